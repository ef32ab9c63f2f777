//! What a match yields for metric filters: the `extractedValues` of TestMetricFilter and the
//! resolution of `metricValue` / dimension references against them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::FilterError;
use crate::json::scalar_text;
use crate::lexer::parse_number;
use crate::selector::Selector;

/// AWS's length limit on `metricValue`.
const MAX_METRIC_VALUE_LEN: usize = 100;

/// Values extracted from a matching event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// Keys exactly as TestMetricFilter's `extractedValues`: `$1`…`$n` and `$name` for
    /// space-delimited patterns, the selector text (`$.latency`) for JSON patterns, nothing for
    /// term and regex patterns.
    pub values: BTreeMap<String, String>,
    /// The parsed event, for JSON patterns: metric values may reference selectors that the
    /// pattern itself does not use (`{ $.status = 200 }` with `metricValue: $.latency`).
    document: Option<Value>,
}

impl Extracted {
    pub(crate) fn new(values: BTreeMap<String, String>, document: Option<Value>) -> Self {
        Extracted { values, document }
    }

    /// Resolves a `metricValue` or dimension reference: a literal number (`"1"`, `"2.5"`),
    /// a JSON selector (`$.latency`, `$.a[0].b`), or a space-delimited field (`$size`, `$3`).
    /// `None` when the reference points at nothing (or at a JSON object, array or null).
    pub fn resolve(&self, reference: &str) -> Option<String> {
        let reference = reference.trim();
        if parse_number(reference).is_some() {
            return Some(reference.to_string());
        }
        if let Some(value) = self.values.get(reference) {
            return Some(value.clone());
        }
        if reference.starts_with("$.") || reference.starts_with("$[") {
            let document = self.document.as_ref()?;
            let selector = Selector::parse(reference).ok()?;
            return selector.first(document).and_then(scalar_text);
        }
        None
    }
}

/// Checks the syntax of a `metricValue` / dimension value: a number, `$.selector` or `$field`.
pub fn validate_metric_value(reference: &str) -> Result<(), FilterError> {
    let invalid = || FilterError::InvalidMetricValue { reference: reference.to_string() };
    let trimmed = reference.trim();
    if trimmed.is_empty() || reference.chars().count() > MAX_METRIC_VALUE_LEN {
        return Err(invalid());
    }
    if parse_number(trimmed).is_some() {
        return Ok(());
    }
    if trimmed.starts_with("$.") || trimmed.starts_with("$[") {
        return Selector::parse(trimmed).map(|_| ()).map_err(|_| invalid());
    }
    match trimmed.strip_prefix('$') {
        Some(name) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
            Ok(())
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_literals_fields_and_selectors() {
        let extracted = Extracted::new(
            BTreeMap::from([("$size".to_string(), "42".to_string())]),
            Some(json!({"latency": 12.5, "nested": {"ok": true}, "obj": {}})),
        );
        assert_eq!(extracted.resolve("1").as_deref(), Some("1"));
        assert_eq!(extracted.resolve("$size").as_deref(), Some("42"));
        assert_eq!(extracted.resolve("$.latency").as_deref(), Some("12.5"));
        assert_eq!(extracted.resolve("$.nested.ok").as_deref(), Some("true"));
        assert_eq!(extracted.resolve("$.obj"), None);
        assert_eq!(extracted.resolve("$missing"), None);
        assert_eq!(extracted.resolve("abc"), None);
    }

    #[test]
    fn validates_metric_values() {
        for ok in ["1", "-2.5", "1e3", "$.latency", "$.a[0].b", "$size", "$1", "$status_code"] {
            assert!(validate_metric_value(ok).is_ok(), "{ok}");
        }
        for bad in ["", "abc", "$", "$.", "$a.b", "$ x", &"9".repeat(101)] {
            assert!(validate_metric_value(bad).is_err(), "{bad}");
        }
    }
}
