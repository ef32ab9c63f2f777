//! Right-hand sides of `selector OP value` (JSON) and `field OP value` (space-delimited)
//! conditions, and how they compare against a value taken from the log event.

use crate::error::FilterError;
use crate::lexer::{Operator, Token, parse_number};
use crate::regex_pattern::AwsRegex;

/// A string value with AWS's `*` wildcard: only a leading and/or trailing `*` is special;
/// `Ev*ent` matches the literal text `Ev*ent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextPattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// `*` alone: any value at all (AWS's existence idiom `{ $.latency = * }`).
    Any,
}

impl TextPattern {
    pub(crate) fn new(text: &str) -> Self {
        if text.chars().all(|c| c == '*') && !text.is_empty() && text.len() <= 2 {
            return TextPattern::Any;
        }
        match (text.strip_prefix('*'), text.strip_suffix('*')) {
            (Some(_), Some(_)) if text.len() >= 2 => TextPattern::Contains(text[1..text.len() - 1].to_string()),
            (Some(rest), _) => TextPattern::Suffix(rest.to_string()),
            (None, Some(rest)) => TextPattern::Prefix(rest.to_string()),
            (None, None) => TextPattern::Exact(text.to_string()),
        }
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            TextPattern::Exact(expected) => text == expected,
            TextPattern::Prefix(prefix) => text.starts_with(prefix.as_str()),
            TextPattern::Suffix(suffix) => text.ends_with(suffix.as_str()),
            TextPattern::Contains(needle) => text.contains(needle.as_str()),
            TextPattern::Any => true,
        }
    }
}

/// The value side of a condition.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    /// An unquoted numeric literal (`500`, `+1000`, `10e-3`); `text` is kept for the string
    /// fallback (a JSON string "400" still equals the literal `400`).
    Number {
        value: f64,
        text: String,
    },
    /// A quoted string, or an unquoted non-numeric word (possibly with `*`).
    Text(TextPattern),
    Regex(AwsRegex),
}

impl Operand {
    /// Builds the operand from its token, checking that the operator suits the value type.
    /// Returns whether a regex was used (for the per-pattern regex quota).
    pub(crate) fn from_token(op: Operator, token: &Token<'_>) -> Result<Self, FilterError> {
        let operand = match token {
            Token::Word(word) => match parse_number(word) {
                Some(value) => Operand::Number { value, text: (*word).to_string() },
                None => Operand::Text(TextPattern::new(word)),
            },
            Token::Quoted(text) => Operand::Text(TextPattern::new(text)),
            Token::Regex(body) => Operand::Regex(AwsRegex::compile(body)?),
            other => {
                return Err(FilterError::invalid(format!("expected a value after the operator, found {other:?}")));
            }
        };
        if !op.is_equality() && !matches!(operand, Operand::Number { .. }) {
            return Err(FilterError::invalid("only = and != can compare strings and regular expressions"));
        }
        Ok(operand)
    }

    pub(crate) fn is_regex(&self) -> bool {
        matches!(self, Operand::Regex(_))
    }
}

/// A value from the log event, seen through the eyes of a comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    /// A JSON string or a space-delimited field.
    Text(&'a str),
    /// A JSON number: its value and its textual form (for wildcard/regex matching).
    Number(f64, &'a str),
    Bool(bool),
    Null,
}

impl Scalar<'_> {
    fn as_number(&self) -> Option<f64> {
        match *self {
            Scalar::Number(value, _) => Some(value),
            // Numeric text compares numerically too (space-delimited fields are always text;
            // JSON services such as API Gateway log numbers as strings).
            Scalar::Text(text) => parse_number(text),
            Scalar::Bool(_) | Scalar::Null => None,
        }
    }

    fn as_text(&self) -> Option<&str> {
        match *self {
            Scalar::Text(text) | Scalar::Number(_, text) => Some(text),
            Scalar::Bool(true) => Some("true"),
            Scalar::Bool(false) => Some("false"),
            Scalar::Null => None,
        }
    }
}

/// `value OP operand`.
pub(crate) fn compare(value: Scalar<'_>, op: Operator, operand: &Operand) -> bool {
    match operand {
        Operand::Number { value: wanted, text } => match value.as_number() {
            Some(actual) => match op {
                Operator::Eq => actual == *wanted,
                Operator::Ne => actual != *wanted,
                Operator::Lt => actual < *wanted,
                Operator::Le => actual <= *wanted,
                Operator::Gt => actual > *wanted,
                Operator::Ge => actual >= *wanted,
            },
            None => match (op, value) {
                (Operator::Eq, Scalar::Text(actual)) => actual == text,
                (Operator::Ne, Scalar::Text(actual)) => actual != text,
                _ => false,
            },
        },
        Operand::Text(pattern) => value.as_text().is_some_and(|text| {
            let matched = pattern.matches(text);
            if op == Operator::Ne { !matched } else { matched }
        }),
        Operand::Regex(regex) => value.as_text().is_some_and(|text| {
            let matched = regex.is_match(text);
            if op == Operator::Ne { !matched } else { matched }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_only_at_the_ends() {
        assert!(TextPattern::new("*Event").matches("PutEvent"));
        assert!(TextPattern::new("Event*").matches("EventName"));
        assert!(TextPattern::new("*ven*").matches("Event"));
        assert!(!TextPattern::new("Ev*ent").matches("Event"));
        assert!(TextPattern::new("Ev*ent").matches("Ev*ent"));
        assert!(TextPattern::new("*").matches(""));
        assert!(TextPattern::new("**").matches("x"));
        assert_eq!(TextPattern::new("***"), TextPattern::Contains("*".into()));
    }

    #[test]
    fn numbers_compare_numerically_and_fall_back_to_text() {
        let op = Operand::from_token(Operator::Eq, &Token::Word("400")).unwrap();
        assert!(compare(Scalar::Number(400.0, "400"), Operator::Eq, &op));
        assert!(compare(Scalar::Text("400.0"), Operator::Eq, &op));
        assert!(!compare(Scalar::Text("abc"), Operator::Eq, &op));
        assert!(compare(Scalar::Text("abc"), Operator::Ne, &op));
        assert!(!compare(Scalar::Null, Operator::Ne, &op));
        assert!(!compare(Scalar::Bool(true), Operator::Ne, &op));
    }

    #[test]
    fn string_operators_are_checked() {
        assert!(Operand::from_token(Operator::Gt, &Token::Word("abc")).is_err());
        assert!(Operand::from_token(Operator::Lt, &Token::Quoted("1".into())).is_err());
        assert!(Operand::from_token(Operator::Ge, &Token::Word("1")).is_ok());
    }
}
