//! Lambda's JSON log format (`LoggingConfig.LogFormat = JSON`): platform events such as
//!
//! ```json
//! {"time":"…","type":"platform.report","record":{"requestId":"…",
//!  "metrics":{"durationMs":2.1,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":68,
//!  "initDurationMs":148.6},"tracing":{"spanId":"…","type":"X-Amzn-Trace-Id",
//!  "value":"Root=1-…;Parent=…;Sampled=1"},"status":"success"}}
//! ```
//!
//! get the same `@` fields as the text lines, read from their flattened JSON paths.

use std::borrow::Cow;

use super::{LambdaField, LineType, mb_to_bytes, numeric};
use crate::FieldValue;
use crate::json::lookup;

/// The platform event type of a validated JSON object, from its top-level `type`.
fn platform_type(object: &str) -> Option<LineType> {
    let FieldValue::Str(kind) = lookup(object, "type")? else {
        return None;
    };
    Some(match kind.strip_prefix("platform.")? {
        "start" => LineType::Start,
        "runtimeDone" => LineType::End,
        "report" => LineType::Report,
        "initStart" => LineType::InitStart,
        "initReport" => LineType::InitReport,
        "restoreStart" => LineType::RestoreStart,
        "restoreReport" => LineType::RestoreReport,
        _ => return None,
    })
}

fn string_at<'a>(object: &'a str, path: &str) -> Option<FieldValue<'a>> {
    match lookup(object, path)? {
        FieldValue::Str(s) => Some(FieldValue::Str(s)),
        _ => None,
    }
}

/// `Root=1-…` of an `X-Amzn-Trace-Id` header value.
fn trace_root(value: Cow<'_, str>) -> Option<Cow<'_, str>> {
    fn root(s: &str) -> Option<&str> {
        s.split(';').find_map(|part| part.trim().strip_prefix("Root=")).filter(|r| !r.is_empty())
    }
    match value {
        Cow::Borrowed(s) => root(s).map(Cow::Borrowed),
        Cow::Owned(s) => root(&s).map(|r| Cow::Owned(r.to_owned())),
    }
}

fn typed<'a>(object: &'a str, line_type: LineType, field: LambdaField) -> Option<FieldValue<'a>> {
    use LineType::{End, InitReport, Report, Start};
    let report = line_type == Report;
    match field {
        LambdaField::Type => Some(line_type.value()),
        LambdaField::RequestId if matches!(line_type, Start | End | Report) => string_at(object, "record.requestId"),
        LambdaField::Duration if report => numeric(lookup(object, "record.metrics.durationMs")?),
        LambdaField::BilledDuration if report => numeric(lookup(object, "record.metrics.billedDurationMs")?),
        LambdaField::MemorySize if report => mb_to_bytes(lookup(object, "record.metrics.memorySizeMB")?),
        LambdaField::MaxMemoryUsed if report => mb_to_bytes(lookup(object, "record.metrics.maxMemoryUsedMB")?),
        LambdaField::InitDuration if report => numeric(lookup(object, "record.metrics.initDurationMs")?),
        LambdaField::InitDuration if line_type == InitReport => numeric(lookup(object, "record.metrics.durationMs")?),
        LambdaField::XrayTraceId if report => match lookup(object, "record.tracing.value")? {
            FieldValue::Str(v) => trace_root(v).map(FieldValue::Str),
            _ => None,
        },
        LambdaField::XraySegmentId if report => string_at(object, "record.tracing.spanId"),
        _ => None,
    }
}

/// One `@` field of a validated JSON platform event.
pub(crate) fn get(object: &str, field: LambdaField) -> Option<FieldValue<'_>> {
    typed(object, platform_type(object)?, field)
}

/// All `@` fields of a validated JSON platform event, in [`LambdaField::ALL`] order.
pub(crate) fn fields(object: &str) -> Vec<(LambdaField, FieldValue<'_>)> {
    let Some(line_type) = platform_type(object) else {
        return Vec::new();
    };
    LambdaField::ALL.into_iter().filter_map(|f| typed(object, line_type, f).map(|v| (f, v))).collect()
}
