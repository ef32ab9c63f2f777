//! JSON property selectors: `$.a.b`, `$.a[0]`, `$.a[0][1]`, `$.['key.with.dots']`,
//! and the wildcards `$.a[*].b` / `$.*.b`.

use serde_json::Value;

use crate::error::FilterError;

/// AWS allows one wildcard per selector.
const MAX_WILDCARDS_PER_SELECTOR: usize = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
    /// `.*`: every member of an object or element of an array.
    AnyChild,
    /// `[*]`: every element of an array.
    AnyElement,
}

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    /// The selector as written (the key used in `extractedValues`).
    text: String,
    segments: Vec<Segment>,
}

impl Selector {
    pub(crate) fn parse(text: &str) -> Result<Self, FilterError> {
        let invalid = |upto: usize| FilterError::InvalidCharacters { term: take_through_char(text, upto) };
        let mut segments = Vec::new();
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'$') {
            return Err(invalid(0));
        }
        let mut pos = 1;
        while pos < bytes.len() {
            match bytes[pos] {
                b'.' => {
                    pos += 1;
                    match bytes.get(pos) {
                        Some(b'*') => {
                            segments.push(Segment::AnyChild);
                            pos += 1;
                        }
                        Some(b'[') => {} // `.['quoted']` — handled by the bracket arm
                        _ => {
                            let len = text[pos..].find(|c: char| !is_key_char(c)).unwrap_or(text.len() - pos);
                            if len == 0 {
                                return Err(invalid(pos));
                            }
                            segments.push(Segment::Key(text[pos..pos + len].to_string()));
                            pos += len;
                        }
                    }
                }
                b'[' => {
                    let close = text[pos..]
                        .find(']')
                        .map(|offset| pos + offset)
                        .ok_or_else(|| FilterError::invalid("unclosed [ in selector"))?;
                    let inner = &text[pos + 1..close];
                    segments.push(bracket_segment(inner).ok_or_else(|| invalid(pos))?);
                    pos = close + 1;
                }
                _ => return Err(invalid(pos)),
            }
        }
        let wildcards = segments.iter().filter(|s| matches!(s, Segment::AnyChild | Segment::AnyElement)).count();
        if wildcards > MAX_WILDCARDS_PER_SELECTOR {
            return Err(FilterError::invalid(format!("selector {text} uses more than one wildcard")));
        }
        Ok(Selector { text: text.to_string(), segments })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn has_wildcard(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::AnyChild | Segment::AnyElement))
    }

    /// Calls `test` on every value the selector reaches in `root` until it returns true.
    /// Returns whether it did. Without wildcards at most one value is visited.
    pub(crate) fn any(&self, root: &Value, test: &mut dyn FnMut(&Value) -> bool) -> bool {
        visit(root, &self.segments, test)
    }

    /// The single value reached (the first one, for a wildcard selector).
    pub(crate) fn first<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        first(root, &self.segments)
    }
}

fn visit(value: &Value, segments: &[Segment], test: &mut dyn FnMut(&Value) -> bool) -> bool {
    let Some((segment, rest)) = segments.split_first() else {
        return test(value);
    };
    match (segment, value) {
        (Segment::Key(key), Value::Object(map)) => map.get(key).is_some_and(|child| visit(child, rest, test)),
        (Segment::Index(index), Value::Array(items)) => items.get(*index).is_some_and(|child| visit(child, rest, test)),
        (Segment::AnyChild, Value::Object(map)) => map.values().any(|child| visit(child, rest, test)),
        (Segment::AnyChild | Segment::AnyElement, Value::Array(items)) => {
            items.iter().any(|child| visit(child, rest, test))
        }
        _ => false,
    }
}

fn first<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    let Some((segment, rest)) = segments.split_first() else {
        return Some(value);
    };
    match (segment, value) {
        (Segment::Key(key), Value::Object(map)) => first(map.get(key)?, rest),
        (Segment::Index(index), Value::Array(items)) => first(items.get(*index)?, rest),
        (Segment::AnyChild, Value::Object(map)) => map.values().find_map(|c| first(c, rest)),
        (Segment::AnyChild | Segment::AnyElement, Value::Array(items)) => items.iter().find_map(|c| first(c, rest)),
        _ => None,
    }
}

/// Property names: AWS documents alphanumerics plus `-` and `_`.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The contents of `[…]`: `*`, an index, or a quoted key (`'a.b'` or `"a.b"`).
fn bracket_segment(inner: &str) -> Option<Segment> {
    let inner = inner.trim();
    if inner == "*" {
        return Some(Segment::AnyElement);
    }
    if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
        return inner.parse().ok().map(Segment::Index);
    }
    let quoted = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))?;
    Some(Segment::Key(quoted.to_string()))
}

/// `text` up to and including the character at byte `upto` (what AWS quotes in its error).
fn take_through_char(text: &str, upto: usize) -> String {
    let end = text[upto.min(text.len())..].chars().next().map_or(text.len(), |c| upto + c.len_utf8());
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(selector: &str, doc: &Value) -> Vec<Value> {
        let mut found = Vec::new();
        Selector::parse(selector).unwrap().any(doc, &mut |v| {
            found.push(v.clone());
            false
        });
        found
    }

    #[test]
    fn navigates_keys_indices_and_wildcards() {
        let doc = json!({"a": {"b": [10, [1, 2]], "c.d": 5}, "users": [{"id": 1}, {"id": 2}]});
        assert_eq!(values("$.a.b[0]", &doc), vec![json!(10)]);
        assert_eq!(values("$.a.b[1][1]", &doc), vec![json!(2)]);
        assert_eq!(values("$.a.['c.d']", &doc), vec![json!(5)]);
        assert_eq!(values("$.users[*].id", &doc), vec![json!(1), json!(2)]);
        assert_eq!(values("$.*.b[0]", &doc), vec![json!(10)]);
        assert!(values("$.a.missing", &doc).is_empty());
        assert!(values("$.a.b[9]", &doc).is_empty());
    }

    #[test]
    fn rejects_bad_selectors_with_aws_style_terms() {
        assert_eq!(Selector::parse("$.\"").unwrap_err(), FilterError::InvalidCharacters { term: "$.\"".into() });
        assert!(Selector::parse("$.a[*].b[*]").is_err());
        assert!(Selector::parse("$.a[x]").is_err());
        assert!(Selector::parse("$.").is_err());
        assert!(Selector::parse("$.a[0").is_err());
        assert!(Selector::parse("$.a[99999999999999999999999]").is_err());
    }
}
