//! Lambda's text platform lines:
//!
//! ```text
//! START RequestId: <id> Version: $LATEST
//! END RequestId: <id>
//! REPORT RequestId: <id>\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 150.11 ms\t
//! XRAY TraceId: 1-…\tSegmentId: …\tSampled: true\t
//! INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:…
//! INIT_REPORT Init Duration: 10001.21 ms\tPhase: init\tStatus: timeout
//! ```
//!
//! After the type word the line is a sequence of `Label: value [unit]` segments separated by
//! tabs, spaces or newlines; labels may contain spaces, values may not, units (`ms`, `MB`)
//! are optional. Unknown labels are skipped.

use std::borrow::Cow;

use super::{LambdaField, LineType, mb_to_bytes};
use crate::FieldValue;
use crate::scan;

/// The platform line type, recognised by its exact prefix, and where its segments start.
/// START, END and REPORT must continue with `RequestId: `.
#[inline]
pub(crate) fn line_type(message: &str) -> Option<(LineType, usize)> {
    let (line_type, prefix) = match message.as_bytes().first()? {
        b'S' => (LineType::Start, "START "),
        b'E' => (LineType::End, "END "),
        b'R' if message.starts_with("REPORT ") => (LineType::Report, "REPORT "),
        b'R' if message.starts_with("RESTORE_START ") => (LineType::RestoreStart, "RESTORE_START "),
        b'R' => (LineType::RestoreReport, "RESTORE_REPORT "),
        b'I' if message.starts_with("INIT_START ") => (LineType::InitStart, "INIT_START "),
        b'I' => (LineType::InitReport, "INIT_REPORT "),
        _ => return None,
    };
    let rest = message.strip_prefix(prefix)?;
    let needs_id = matches!(line_type, LineType::Start | LineType::End | LineType::Report);
    if needs_id && !rest.starts_with("RequestId: ") {
        return None;
    }
    Some((line_type, prefix.len()))
}

/// `(label, value)` segments of a platform line from byte `i`.
struct Segments<'a> {
    s: &'a str,
    i: usize,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Segments<'a> {
    fn skip_space(&mut self) {
        let b = self.s.as_bytes();
        while b.get(self.i).copied().is_some_and(is_space) {
            self.i += 1;
        }
    }

    fn token_end(&self, from: usize) -> usize {
        let b = self.s.as_bytes();
        let mut j = from;
        while b.get(j).is_some_and(|&c| !is_space(c)) {
            j += 1;
        }
        j
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.s.as_bytes();
        self.skip_space();
        let start = self.i;
        let mut colon = start;
        loop {
            match b.get(colon) {
                Some(b':') => break,
                Some(b'\t' | b'\n' | b'\r') | None => {
                    self.i = b.len();
                    return None;
                }
                Some(_) => colon += 1,
            }
        }
        let label = self.s.get(start..colon)?;
        self.i = colon + 1;
        while b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
        let value_start = self.i;
        self.i = self.token_end(value_start);
        let value = self.s.get(value_start..self.i)?;
        // An optional unit token.
        let unit_start = {
            let mut j = self.i;
            while b.get(j).copied().is_some_and(is_space) {
                j += 1;
            }
            j
        };
        let unit_end = self.token_end(unit_start);
        if matches!(self.s.get(unit_start..unit_end), Some("ms" | "MB")) {
            self.i = unit_end;
        }
        Some((label, value))
    }
}

fn field_of(label: &str) -> Option<LambdaField> {
    Some(match label {
        "RequestId" => LambdaField::RequestId,
        "Duration" => LambdaField::Duration,
        "Billed Duration" => LambdaField::BilledDuration,
        "Memory Size" => LambdaField::MemorySize,
        "Max Memory Used" => LambdaField::MaxMemoryUsed,
        "Init Duration" => LambdaField::InitDuration,
        "XRAY TraceId" => LambdaField::XrayTraceId,
        "SegmentId" => LambdaField::XraySegmentId,
        _ => return None,
    })
}

/// A strictly formatted decimal number (JSON number grammar).
fn parse_number(text: &str) -> Option<FieldValue<'static>> {
    let (end, integer) = scan::skip_number(text.as_bytes(), 0)?;
    if end != text.len() {
        return None;
    }
    scan::number(text, integer)
}

fn convert(field: LambdaField, value: &str) -> Option<FieldValue<'_>> {
    match field {
        LambdaField::RequestId | LambdaField::XrayTraceId | LambdaField::XraySegmentId => {
            (!value.is_empty()).then_some(FieldValue::Str(Cow::Borrowed(value)))
        }
        LambdaField::MemorySize | LambdaField::MaxMemoryUsed => mb_to_bytes(parse_number(value)?),
        LambdaField::Duration | LambdaField::BilledDuration | LambdaField::InitDuration => parse_number(value),
        LambdaField::Type => None,
    }
}

/// One field of a platform line (the first segment that yields it).
#[inline]
pub(crate) fn get(message: &str, field: LambdaField) -> Option<FieldValue<'_>> {
    let (line_type, start) = line_type(message)?;
    if field == LambdaField::Type {
        return Some(line_type.value());
    }
    Segments { s: message, i: start }
        .filter(|(label, _)| field_of(label) == Some(field))
        .find_map(|(_, value)| convert(field, value))
}

/// All fields of a platform line, `@type` first, then in line order.
pub(crate) fn fields(message: &str) -> Vec<(LambdaField, FieldValue<'_>)> {
    let Some((line_type, start)) = line_type(message) else {
        return Vec::new();
    };
    let mut out = vec![(LambdaField::Type, line_type.value())];
    for (label, value) in (Segments { s: message, i: start }) {
        if let Some(field) = field_of(label)
            && let Some(v) = convert(field, value)
        {
            out.push((field, v));
        }
    }
    out
}
