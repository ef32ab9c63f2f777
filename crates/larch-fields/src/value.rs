//! [`FieldValue`]: a discovered value with its JSON type, and how results show it.

use std::borrow::Cow;

/// A discovered field value. Strings borrow from the message when they contain no escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// A JSON string (escapes decoded) or a textual Lambda value such as `@requestId`.
    Str(Cow<'a, str>),
    /// A non-integral number, or an integer outside the `i64` range.
    Num(f64),
    /// An integer that fits `i64`, kept exact.
    Int(i64),
    /// A JSON boolean.
    Bool(bool),
}

impl FieldValue<'_> {
    /// The value as Insights shows it in query results and `GetLogRecord`:
    ///
    /// * strings verbatim (escapes decoded, no quotes);
    /// * integers in decimal;
    /// * other numbers in the shortest form that reads back to the same `f64`, without a
    ///   trailing `.0` for integral values (`3.0` → `3`), `-0` → `0`, and JavaScript-style
    ///   exponents outside `[1e-7, 1e21)` (`1e+21`, `1.5e-8`);
    /// * booleans as `true` / `false`.
    pub fn render(&self) -> String {
        match self {
            FieldValue::Str(s) => s.clone().into_owned(),
            FieldValue::Int(v) => v.to_string(),
            FieldValue::Num(v) => render_f64(*v),
            FieldValue::Bool(v) => v.to_string(),
        }
    }

    /// [`Self::render`] without a copy for strings (the common case in hot loops).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            FieldValue::Str(s) => Cow::Borrowed(s.as_ref()),
            other => Cow::Owned(other.render()),
        }
    }

    /// The value as a number for arithmetic and numeric comparison: numbers as is, strings
    /// when their trimmed text is a decimal number (`"42"`, `" -1.5e3 "`; not `"inf"`,
    /// `"NaN"`, `"0x10"`), booleans never.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Num(v) => Some(*v),
            FieldValue::Int(v) => Some(*v as f64),
            FieldValue::Bool(_) => None,
            FieldValue::Str(s) => parse_decimal(s),
        }
    }

    /// Detaches the value from the message it borrows from.
    pub fn into_owned(self) -> FieldValue<'static> {
        match self {
            FieldValue::Str(s) => FieldValue::Str(Cow::Owned(s.into_owned())),
            FieldValue::Num(v) => FieldValue::Num(v),
            FieldValue::Int(v) => FieldValue::Int(v),
            FieldValue::Bool(v) => FieldValue::Bool(v),
        }
    }
}

fn render_f64(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let magnitude = v.abs();
    if (1e-7..1e21).contains(&magnitude) {
        return v.to_string();
    }
    let text = format!("{v:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text,
    }
}

fn parse_decimal(s: &str) -> Option<f64> {
    let t = s.trim();
    let plausible = t.bytes().any(|c| c.is_ascii_digit())
        && t.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'));
    if !plausible {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}
