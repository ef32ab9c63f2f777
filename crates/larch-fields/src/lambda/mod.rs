//! Lambda platform fields (`@type`, `@requestId`, `@duration`, …) from the text platform
//! lines (`text.rs`) and from Lambda's JSON log format (`json.rs`).

pub(crate) mod json;
pub(crate) mod text;

use std::borrow::Cow;

use crate::FieldValue;

/// One generated Lambda field. Declaration order is the order [`crate::discover`] lists them
/// for JSON-format events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LambdaField {
    Type,
    RequestId,
    Duration,
    BilledDuration,
    MemorySize,
    MaxMemoryUsed,
    InitDuration,
    XrayTraceId,
    XraySegmentId,
}

impl LambdaField {
    pub(crate) const ALL: [LambdaField; 9] = [
        LambdaField::Type,
        LambdaField::RequestId,
        LambdaField::Duration,
        LambdaField::BilledDuration,
        LambdaField::MemorySize,
        LambdaField::MaxMemoryUsed,
        LambdaField::InitDuration,
        LambdaField::XrayTraceId,
        LambdaField::XraySegmentId,
    ];

    /// The exposed field name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            LambdaField::Type => "@type",
            LambdaField::RequestId => "@requestId",
            LambdaField::Duration => "@duration",
            LambdaField::BilledDuration => "@billedDuration",
            LambdaField::MemorySize => "@memorySize",
            LambdaField::MaxMemoryUsed => "@maxMemoryUsed",
            LambdaField::InitDuration => "@initDuration",
            LambdaField::XrayTraceId => "@xrayTraceId",
            LambdaField::XraySegmentId => "@xraySegmentId",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<LambdaField> {
        Some(match name {
            "@type" => LambdaField::Type,
            "@requestId" => LambdaField::RequestId,
            "@duration" => LambdaField::Duration,
            "@billedDuration" => LambdaField::BilledDuration,
            "@memorySize" => LambdaField::MemorySize,
            "@maxMemoryUsed" => LambdaField::MaxMemoryUsed,
            "@initDuration" => LambdaField::InitDuration,
            "@xrayTraceId" => LambdaField::XrayTraceId,
            "@xraySegmentId" => LambdaField::XraySegmentId,
            _ => return None,
        })
    }
}

/// The platform event kinds, named as `@type` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineType {
    Start,
    End,
    Report,
    InitStart,
    InitReport,
    RestoreStart,
    RestoreReport,
}

impl LineType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            LineType::Start => "START",
            LineType::End => "END",
            LineType::Report => "REPORT",
            LineType::InitStart => "INIT_START",
            LineType::InitReport => "INIT_REPORT",
            LineType::RestoreStart => "RESTORE_START",
            LineType::RestoreReport => "RESTORE_REPORT",
        }
    }

    pub(crate) fn value(self) -> FieldValue<'static> {
        FieldValue::Str(Cow::Borrowed(self.name()))
    }
}

/// Megabytes (as Lambda reports them) to the bytes Insights exposes: × 1,000,000.
pub(crate) fn mb_to_bytes(v: FieldValue<'_>) -> Option<FieldValue<'static>> {
    match v {
        FieldValue::Int(mb) => Some(match mb.checked_mul(1_000_000) {
            Some(bytes) => FieldValue::Int(bytes),
            None => FieldValue::Num(mb as f64 * 1e6),
        }),
        FieldValue::Num(mb) => Some(FieldValue::Num(mb * 1e6)),
        FieldValue::Str(_) | FieldValue::Bool(_) => None,
    }
}

/// Keeps numbers only.
pub(crate) fn numeric(v: FieldValue<'_>) -> Option<FieldValue<'static>> {
    match v {
        FieldValue::Int(x) => Some(FieldValue::Int(x)),
        FieldValue::Num(x) => Some(FieldValue::Num(x)),
        FieldValue::Str(_) | FieldValue::Bool(_) => None,
    }
}
