//! Space-delimited patterns: `[ip, user, ..., status_code = 4*, bytes > 1000]`.
//!
//! The pattern is a comma-separated list of field specs. A spec is empty (an unnamed field),
//! `...` (any number of fields, at most once), a field name, or conditions on one field joined
//! with `&&` / `||` (`&&` binds tighter): `status = 403 || status = 404`.
//!
//! The message is split on blanks; text inside `"…"` or `[…]` is one field, without the quotes
//! or brackets.

use std::collections::BTreeMap;

use crate::comparison::{Operand, Scalar, compare};
use crate::error::FilterError;
use crate::lexer::{Operator, Token, first_invalid_run, tokenize};

const ELLIPSIS: &str = "...";

#[derive(Debug, Clone)]
struct Condition {
    op: Operator,
    operand: Operand,
}

/// One comma-separated entry of the pattern (other than the ellipsis).
#[derive(Debug, Clone)]
struct FieldSpec {
    name: Option<String>,
    /// OR of AND-groups; empty = no condition.
    any_of: Vec<Vec<Condition>>,
}

impl FieldSpec {
    fn matches(&self, field: &str) -> bool {
        self.any_of.is_empty()
            || self.any_of.iter().any(|all_of| all_of.iter().all(|c| compare(Scalar::Text(field), c.op, &c.operand)))
    }
}

/// A compiled space-delimited pattern.
#[derive(Debug, Clone)]
pub(crate) struct DelimitedPattern {
    /// Specs before the ellipsis (all specs when there is none).
    leading: Vec<FieldSpec>,
    /// Specs after the ellipsis; `None` when the pattern has no ellipsis.
    trailing: Option<Vec<FieldSpec>>,
    regex_count: usize,
}

impl DelimitedPattern {
    /// Parses the text between the outer brackets.
    pub(crate) fn parse(body: &str) -> Result<Self, FilterError> {
        if body.trim().is_empty() {
            return Err(FilterError::invalid("empty space-delimited pattern"));
        }
        let mut leading = Vec::new();
        let mut trailing: Option<Vec<FieldSpec>> = None;
        let mut regex_count = 0;
        for raw in split_specs(body)? {
            let raw = raw.trim();
            if raw == ELLIPSIS {
                if trailing.is_some() {
                    return Err(FilterError::invalid("at most one ... is allowed"));
                }
                trailing = Some(Vec::new());
                continue;
            }
            let spec = parse_spec(raw, &mut regex_count)?;
            match trailing.as_mut() {
                Some(after) => after.push(spec),
                None => leading.push(spec),
            }
        }
        Ok(DelimitedPattern { leading, trailing, regex_count })
    }

    pub(crate) fn regex_count(&self) -> usize {
        self.regex_count
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        self.match_fields(&split_fields(message)).is_some()
    }

    /// On a match: every field of the message, keyed `$name` for named specs and `$N`
    /// (1-based position) for unnamed and ellipsis-covered fields.
    pub(crate) fn evaluate(&self, message: &str) -> Option<BTreeMap<String, String>> {
        let fields = split_fields(message);
        let specs = self.match_fields(&fields)?;
        Some(
            fields
                .iter()
                .zip(specs)
                .enumerate()
                .map(|(index, (field, spec))| {
                    let key = match spec.and_then(|s| s.name.as_deref()) {
                        Some(name) => format!("${name}"),
                        None => format!("${}", index + 1),
                    };
                    (key, (*field).to_string())
                })
                .collect(),
        )
    }

    /// Assigns a spec (or `None` for ellipsis-covered fields) to each field, if all conditions
    /// hold.
    fn match_fields(&self, fields: &[&str]) -> Option<Vec<Option<&FieldSpec>>> {
        let trailing = self.trailing.as_deref().unwrap_or(&[]);
        let fixed = self.leading.len() + trailing.len();
        let count_ok = match self.trailing {
            Some(_) => fields.len() >= fixed,
            None => fields.len() == fixed,
        };
        if !count_ok {
            return None;
        }
        let covered = fields.len() - fixed;
        let assignment: Vec<Option<&FieldSpec>> = self
            .leading
            .iter()
            .map(Some)
            .chain(std::iter::repeat_n(None, covered))
            .chain(trailing.iter().map(Some))
            .collect();
        let all_hold = fields.iter().zip(&assignment).all(|(field, spec)| spec.is_none_or(|s| s.matches(field)));
        all_hold.then_some(assignment)
    }
}

/// Splits the pattern body on commas that are outside quotes and `%regex%`.
fn split_specs(body: &str) -> Result<Vec<&str>, FilterError> {
    let mut specs = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut in_regex = false;
    let mut escaped = false;
    for (offset, c) in body.char_indices() {
        if in_quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' if !in_regex => in_quote = true,
            '%' => in_regex = !in_regex,
            ',' if !in_regex => {
                specs.push(&body[start..offset]);
                start = offset + 1;
            }
            _ => {}
        }
    }
    if in_quote {
        return Err(FilterError::invalid("unterminated quoted string"));
    }
    if in_regex {
        return Err(FilterError::invalid("unterminated %regex%"));
    }
    specs.push(&body[start..]);
    Ok(specs)
}

/// Field names: AWS CDK validates `[A-Za-z0-9_-]+`.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn parse_name(word: &str) -> Result<String, FilterError> {
    match first_invalid_run(word, is_name_char) {
        Some(term) => Err(FilterError::InvalidCharacters { term }),
        None => Ok(word.to_string()),
    }
}

fn parse_spec(raw: &str, regex_count: &mut usize) -> Result<FieldSpec, FilterError> {
    if raw.is_empty() {
        return Ok(FieldSpec { name: None, any_of: Vec::new() });
    }
    let tokens = tokenize(raw)?;
    if let [Token::Word(word)] = tokens.as_slice() {
        return Ok(FieldSpec { name: Some(parse_name(word)?), any_of: Vec::new() });
    }
    let mut name: Option<String> = None;
    let mut any_of = vec![Vec::new()];
    let mut rest = tokens.as_slice();
    loop {
        let [Token::Word(field), Token::Op(op), value, tail @ ..] = rest else {
            return Err(FilterError::invalid(format!("expected `name OP value` in field spec `{raw}`")));
        };
        let field = parse_name(field)?;
        match &name {
            // AWS rejects conditions on two different fields inside one spec.
            Some(existing) if *existing != field => {
                return Err(FilterError::invalid(format!("field spec `{raw}` mixes fields {existing} and {field}")));
            }
            Some(_) => {}
            None => name = Some(field),
        }
        let operand = Operand::from_token(*op, value)?;
        if operand.is_regex() {
            *regex_count += 1;
        }
        let group = any_of.last_mut().expect("any_of is never empty");
        group.push(Condition { op: *op, operand });
        match tail {
            [] => break,
            [Token::And, more @ ..] => rest = more,
            [Token::Or, more @ ..] => {
                any_of.push(Vec::new());
                rest = more;
            }
            _ => {
                return Err(FilterError::invalid(format!("expected && or || in field spec `{raw}`")));
            }
        }
    }
    Ok(FieldSpec { name, any_of })
}

/// Splits a message into fields: runs of blanks separate fields; a field starting with `"`
/// runs to the next `"`, one starting with `[` to its matching `]`; the delimiters are dropped.
/// An unclosed quote or bracket takes the rest of the message.
pub(crate) fn split_fields(message: &str) -> Vec<&str> {
    let bytes = message.as_bytes();
    let is_blank = |b: u8| b == b' ' || b == b'\t';
    let mut fields = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_blank(bytes[i]) {
            i += 1;
            continue;
        }
        // All delimiters are ASCII, so every index used for slicing is a char boundary.
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let end = message[start..].find('"').map_or(bytes.len(), |offset| start + offset);
                fields.push(&message[start..end]);
                i = end + 1;
            }
            b'[' => {
                let start = i + 1;
                let mut depth = 1usize;
                let mut end = bytes.len();
                for (offset, &b) in bytes[start..].iter().enumerate() {
                    match b {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = start + offset;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                fields.push(&message[start..end]);
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < bytes.len() && !is_blank(bytes[i]) {
                    i += 1;
                }
                fields.push(&message[start..i]);
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_and_bracketed_fields() {
        let line = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#;
        assert_eq!(
            split_fields(line),
            vec!["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534"]
        );
        assert_eq!(split_fields("  a   b  "), vec!["a", "b"]);
        assert_eq!(split_fields("a \"open"), vec!["a", "open"]);
        assert_eq!(split_fields("[a [b] c] d"), vec!["a [b] c", "d"]);
        assert_eq!(split_fields("é \"ü\""), vec!["é", "ü"]);
        assert!(split_fields("").is_empty());
    }

    #[test]
    fn commas_inside_quotes_and_regexes_do_not_split() {
        assert_eq!(
            split_specs(r#"a = "x,y", b = %[0-9]{1,3}%, c"#).unwrap(),
            vec!["a = \"x,y\"", " b = %[0-9]{1,3}%", " c"]
        );
    }

    #[test]
    fn rejects_malformed_specs() {
        assert!(DelimitedPattern::parse("a, ..., b, ...").is_err());
        assert!(DelimitedPattern::parse("status_code = 4* && bytes > 1000").is_err());
        assert!(DelimitedPattern::parse("a b").is_err());
        assert!(DelimitedPattern::parse("a =").is_err());
        assert!(DelimitedPattern::parse("a.b").is_err());
        assert!(DelimitedPattern::parse(" ").is_err());
    }
}
