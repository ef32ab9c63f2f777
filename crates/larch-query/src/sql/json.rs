//! JSON functions of CloudWatch's SQL: `get_json_object(json, path)` and its alias
//! `json_extract(json, path)`, `json_array_length(json)`, `json_object_keys(json)`.
//!
//! The path is a JSONPath subset: `$`, `.name`, `['name']`, `[index]`. Strings come back
//! without quotes, numbers and booleans as their JSON text, objects and arrays as compact
//! JSON; a missing path or JSON `null` is SQL `NULL`. When the text is not JSON as a whole
//! (a Lambda line with an embedded object, `2024-… INFO {"a":1}`), leaf values are looked up
//! with Insights' field discovery ([`larch_fields::get_field`]) instead.

use std::sync::Arc;

use datafusion::arrow::array::{Array as _, Int64Builder, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use serde_json::Value;

use crate::udf::string_arg;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Parses `$.a.b[0]['c d']`; `None` for paths this subset does not support (`[*]`, `..`).
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let path = path.trim();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    let mut steps = Vec::new();
    let mut first = path.starts_with('$');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            if let Some(q) = inner
                .strip_prefix('\'')
                .and_then(|i| i.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|i| i.strip_suffix('"')))
            {
                steps.push(Step::Key(q.to_string()));
            } else {
                steps.push(Step::Index(inner.parse().ok()?));
            }
            rest = &r[end + 1..];
        } else {
            let r = match rest.strip_prefix('.') {
                Some(r) => r,
                None if !first => rest,
                None => return None,
            };
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Key(r[..end].to_string()));
            rest = &r[end..];
        }
        first = false;
    }
    Some(steps)
}

fn walk<'v>(mut value: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    for step in steps {
        value = match (step, value) {
            (Step::Key(k), Value::Object(map)) => map.get(k)?,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            (Step::Index(i), Value::Object(map)) => map.get(&i.to_string())?,
            _ => return None,
        };
    }
    Some(value)
}

fn render(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `get_json_object(json, path)` for one value.
fn extract(json: &str, steps: &[Step]) -> Option<String> {
    match serde_json::from_str::<Value>(json) {
        Ok(root) => render(walk(&root, steps)?),
        Err(_) => {
            let dotted: Vec<String> = steps
                .iter()
                .map(|s| match s {
                    Step::Key(k) => k.clone(),
                    Step::Index(i) => i.to_string(),
                })
                .collect();
            if dotted.is_empty() {
                return None;
            }
            larch_fields::get_field(json, &dotted.join(".")).map(|v| v.render())
        }
    }
}

/// `get_json_object` (or the same function under another name).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct GetJsonObject {
    name: &'static str,
    signature: Signature,
}

impl GetJsonObject {
    pub fn named(name: &'static str) -> Self {
        GetJsonObject { name, signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for GetJsonObject {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let texts = string_arg(&args.args[0], rows)?;
        let paths = string_arg(&args.args[1], rows)?;
        let mut cached: Option<(String, Option<Vec<Step>>)> = None;
        let mut out = StringBuilder::with_capacity(rows, 0);
        for i in 0..rows {
            if texts.is_null(i) || paths.is_null(i) {
                out.append_null();
                continue;
            }
            let path = paths.value(i);
            if cached.as_ref().is_none_or(|(p, _)| p != path) {
                cached = Some((path.to_string(), parse_path(path)));
            }
            let steps = cached.as_ref().and_then(|(_, s)| s.as_deref());
            match steps.and_then(|s| extract(texts.value(i), s)) {
                Some(v) => out.append_value(v),
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `json_array_length(json)`: elements of a JSON array, `NULL` for anything else.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonArrayLength {
    signature: Signature,
}

impl Default for JsonArrayLength {
    fn default() -> Self {
        JsonArrayLength { signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for JsonArrayLength {
    fn name(&self) -> &str {
        "json_array_length"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = string_arg(&args.args[0], args.number_rows)?;
        let mut out = Int64Builder::with_capacity(texts.len());
        for text in texts.iter() {
            match text.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
                Some(Value::Array(items)) => out.append_value(items.len() as i64),
                _ => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `json_object_keys(json)`: the keys of a JSON object as a list, `NULL` for anything else.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonObjectKeys {
    signature: Signature,
}

impl Default for JsonObjectKeys {
    fn default() -> Self {
        JsonObjectKeys { signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for JsonObjectKeys {
    fn name(&self) -> &str {
        "json_object_keys"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = string_arg(&args.args[0], args.number_rows)?;
        let mut out = ListBuilder::new(StringBuilder::new());
        for text in texts.iter() {
            match text.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
                Some(Value::Object(map)) => {
                    for key in map.keys() {
                        out.values().append_value(key);
                    }
                    out.append(true);
                }
                _ => out.append(false),
            }
        }
        let array = out.finish();
        if array.len() != texts.len() {
            return exec_err!("json_object_keys: length mismatch");
        }
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

/// The JSON functions, for registering in a SQL session.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(GetJsonObject::named("get_json_object")),
        ScalarUDF::new_from_impl(GetJsonObject::named("json_extract")),
        ScalarUDF::new_from_impl(JsonArrayLength::default()),
        ScalarUDF::new_from_impl(JsonObjectKeys::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(json: &str, path: &str) -> Option<String> {
        extract(json, &parse_path(path)?)
    }

    #[test]
    fn paths() {
        let j = r#"{"a":{"b":[10,{"c":"x"}],"d e":true},"n":null,"s":"str"}"#;
        assert_eq!(get(j, "$.a.b[0]").as_deref(), Some("10"));
        assert_eq!(get(j, "$.a.b[1].c").as_deref(), Some("x"));
        assert_eq!(get(j, "$.a['d e']").as_deref(), Some("true"));
        assert_eq!(get(j, "$.a.b").as_deref(), Some(r#"[10,{"c":"x"}]"#));
        assert_eq!(get(j, "$.s").as_deref(), Some("str"));
        assert_eq!(get(j, "s").as_deref(), Some("str"));
        assert_eq!(get(j, "$.n"), None);
        assert_eq!(get(j, "$.missing"), None);
        assert_eq!(get(j, "$.a.b[*]"), None);
        assert_eq!(get(j, "$").as_deref(), Some(r#"{"a":{"b":[10,{"c":"x"}],"d e":true},"n":null,"s":"str"}"#));
        // Not JSON as a whole: Insights field discovery on the embedded object.
        assert_eq!(get("2024-01-01T00:00:00Z\tabc\tINFO\t{\"a\":{\"b\":7}}", "$.a.b").as_deref(), Some("7"));
        assert_eq!(get("plain text", "$.a"), None);
    }
}
