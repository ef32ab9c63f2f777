//! Structure values (`jsonParse`, `split`, `histogram`, maps/lists) are carried as compact JSON
//! text in columns of kind [`crate::compile::Kind::Json`]. This module holds the JSON value
//! type used to read and write that text: unlike `serde_json::Value` it keeps object keys in
//! document order (so `jsonStringify(jsonParse(s))` keeps the keys where they were).

use std::fmt::Write as _;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value with ordered objects.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number as written (normalized by serde_json).
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// Depth limit for parsing (serde_json's own recursion limit is 128).
impl Json {
    /// Parses JSON text (surrounding whitespace allowed); `None` if it is not JSON.
    pub fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok()
    }

    /// Compact JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Str(s) => out.push_str(&quote(s)),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote(k));
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as Insights shows a scalar: strings unquoted, numbers and booleans as
    /// written; `null`, maps and lists have no scalar text.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Json::Str(s) => Some(s.clone()),
            Json::Num(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// How a value is rendered in results: scalars as [`scalar_text`](Self::scalar_text),
    /// maps and lists as compact JSON.
    pub fn display_text(&self) -> Option<String> {
        match self {
            Json::Null => None,
            Json::Arr(_) | Json::Obj(_) => Some(self.to_text()),
            other => other.scalar_text(),
        }
    }

    /// `m.key` / `l[i]`: a member of a map, or an element of a list when `key` is an index.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            Json::Arr(items) => {
                let index = key.parse::<usize>().ok().or_else(|| {
                    key.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as usize)
                })?;
                items.get(index)
            }
            _ => None,
        }
    }
}

/// A JSON string literal for `s`.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map(Json::Num).unwrap_or(Json::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Obj(members))
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_key_order_and_renders() {
        let j = Json::parse(r#" {"b": 1, "a": [true, null, "x"], "c": {"d": 2.5}} "#).unwrap();
        assert_eq!(j.to_text(), r#"{"b":1,"a":[true,null,"x"],"c":{"d":2.5}}"#);
        assert_eq!(j.get("a").and_then(|a| a.get("2")).and_then(Json::scalar_text).as_deref(), Some("x"));
        assert_eq!(j.get("a").and_then(|a| a.get("0.0")).and_then(Json::scalar_text).as_deref(), Some("true"));
        assert_eq!(j.get("c").and_then(Json::display_text).as_deref(), Some(r#"{"d":2.5}"#));
        assert!(Json::parse("{").is_none());
        assert!(Json::parse(&"[".repeat(10_000)).is_none());
    }
}
