//! Structured values and the commands that make or take them apart: `parse … multi`,
//! `parse … logfmt as m`, `parse … csv as a, b`, `unnest field into alias`, `expand field`,
//! and `m.key` member access.
//!
//! larch has no map/list column type: a map or list value is kept as its **JSON text**
//! (`parse … logfmt` gives `{"level":"info","user":"bob"}`). A dotted name `m.key` whose
//! prefix `m` is a text field of the query (and which is not itself a field) reads `key`
//! out of that JSON ([`JsonGetUdf`]), falling back to the field discovered from `@message`
//! under the full name. `unnest`/`expand` turn a JSON array into one row per element; any
//! other value is a one-element list (AWS: "Any other types … are treated as a list with one
//! item"); a missing field or an empty list produces no rows.

use std::sync::Arc;

use datafusion::arrow::array::{Array as _, ArrayRef, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result as DfResult, ScalarValue, UnnestOptions, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::{Expr, cast, coalesce, col, lit, when};
use larch_insights::{FieldRef, Ident, Span};
use serde_json::Value;

use super::kind::Kind;
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;
use crate::udf::{FieldUdf, literal_string, string_arg, translate_regex, udf};

/// Separator of path segments passed to [`JsonGetUdf`] (segments may contain dots), and of
/// an element's index and value in [`ElementsUdf`]'s output.
const PATH_SEP: char = '\u{1f}';
/// Hidden column: position of a row among the rows split from one event (kept across
/// several splits), so that they stay in element order.
pub(crate) const SUB_ROW: &str = "__sub";

impl Compiler<'_> {
    /// `m.key` where `m` is a field of the query holding JSON text (a logfmt map, a
    /// `jsonParse` result, an unnested element): reads the member. Called by field
    /// resolution before discovery; `None` when no prefix of the name is a field.
    pub(crate) fn member_field(&mut self, f: &FieldRef) -> Result<Option<Column>> {
        if f.segments.len() < 2 || self.aggregated {
            return Ok(None);
        }
        for k in (1..f.segments.len()).rev() {
            let prefix = f.segments[..k].join(".");
            let Some(base) = self.scope.get(&prefix).cloned() else {
                continue;
            };
            if !matches!(base.kind, Kind::Str | Kind::Dyn) {
                continue;
            }
            let path = f.segments[k..].join(&PATH_SEP.to_string());
            let member = udf(JsonGetUdf::default()).call(vec![col(base.internal.as_str()), lit(path)]);
            // A flattened JSON field of @message with the full dotted name still wins when
            // the prefix field does not hold that member.
            let discovered = udf(FieldUdf::default()).call(vec![col(cols::MSG), lit(f.name.clone())]);
            self.define(&f.name, coalesce(vec![member, discovered]), Kind::Dyn)?;
            return Ok(self.scope.get(&f.name).cloned());
        }
        Ok(None)
    }

    /// `parse f /re/ multi`: one row per match; the named groups of each match are fields.
    /// Events without a match stay, without the fields.
    pub(crate) fn parse_multi(&mut self, text: &Expr, regex: &larch_insights::Regex) -> Result<()> {
        if let Err(e) = crate::udf::compile(&regex.pattern) {
            return Err(self.malformed(regex.span, format!("Invalid regular expression: {e}")));
        }
        let names = regex.named_groups();
        let translated = translate_regex(&regex.pattern);
        let matches = self.fresh();
        let frame = self.take_frame().with_column(
            &matches,
            udf(CaptureAllUdf::default()).call(vec![text.clone(), lit(translated), lit(names.len() as i64)]),
        )?;
        self.frame =
            frame.unnest_columns_with_options(&[matches.as_str()], UnnestOptions::new().with_preserve_nulls(true))?;
        let index =
            datafusion::functions_nested::expr_fn::array_element(col(matches.as_str()), lit(names.len() as i64 + 1));
        self.set_sub_row(cast(index, DataType::Int64))?;
        for (i, name) in names.iter().enumerate() {
            let value = datafusion::functions_nested::expr_fn::array_element(col(matches.as_str()), lit(i as i64 + 1));
            self.define(name, value, Kind::Dyn)?;
        }
        Ok(())
    }

    /// `parse f logfmt as m`: `m` is a map (JSON object text) of the `key=value` pairs.
    pub(crate) fn parse_logfmt(&mut self, text: &Expr, alias: &str) -> Result<()> {
        self.define(alias, udf(LogfmtUdf::default()).call(vec![text.clone()]), Kind::Dyn)
    }

    /// `parse f csv as a, b`: comma-separated values assigned by position.
    pub(crate) fn parse_csv(&mut self, text: &Expr, aliases: &[Ident]) -> Result<()> {
        for (i, alias) in aliases.iter().enumerate() {
            self.define(&alias.name, udf(CsvFieldUdf::default()).call(vec![text.clone(), lit(i as i64)]), Kind::Dyn)?;
        }
        Ok(())
    }

    /// Combines the element position of a new split with that of earlier splits.
    fn set_sub_row(&mut self, index: Expr) -> Result<()> {
        let previous = if self.frame.schema().has_column_with_unqualified_name(SUB_ROW) {
            coalesce(vec![col(SUB_ROW), lit(0i64)])
        } else {
            lit(0i64)
        };
        let combined = previous * lit(1i64 << 20) + coalesce(vec![index, lit(0i64)]);
        let tmp = self.fresh();
        let frame = self.take_frame().with_column(&tmp, combined)?;
        self.frame = frame.with_column(SUB_ROW, col(tmp.as_str()))?;
        Ok(())
    }

    /// `unnest field into alias` and `expand field` (alias = the field itself).
    pub(crate) fn unnest(&mut self, field: &FieldRef, alias: &str, span: Span) -> Result<()> {
        if self.aggregated && !self.scope.contains_key(&field.name) {
            return Err(self.malformed(span, format!("Unknown symbols found in or after stats: {}", field.name)));
        }
        let source = if self.scope.contains_key(&field.name) {
            let c = self.field(field)?;
            super::kind::to_str(col(c.internal.as_str()), c.kind)
        } else if let Some(c) = self.member_field(field)? {
            col(c.internal.as_str())
        } else {
            // A JSON array of @message is not a discovered (leaf) field: read it whole.
            let path = field.segments.join(&PATH_SEP.to_string());
            udf(JsonGetUdf::default()).call(vec![udf(JsonTextUdf::default()).call(vec![col(cols::MSG)]), lit(path)])
        };
        let items = self.fresh();
        let frame = self.take_frame().with_column(&items, udf(ElementsUdf::default()).call(vec![source]))?;
        self.frame =
            frame.unnest_columns_with_options(&[items.as_str()], UnnestOptions::new().with_preserve_nulls(false))?;
        // Elements come as `index<US>value` (no separator: a JSON null element).
        let item = col(items.as_str());
        let sep = lit(PATH_SEP.to_string());
        let at = datafusion::functions::expr_fn::strpos(item.clone(), sep.clone());
        let index = datafusion::functions::expr_fn::split_part(item.clone(), sep, lit(1i64));
        self.set_sub_row(cast(index, DataType::Int64))?;
        let value = when(at.clone().eq(lit(0i32)), lit(ScalarValue::Utf8(None)))
            .otherwise(datafusion::functions::expr_fn::substr(item, at + lit(1i32)))?;
        let internal = self.fresh();
        self.frame = self.take_frame().with_column(&internal, value)?;
        self.scope.insert(alias.to_string(), Column { internal, kind: Kind::Dyn });
        // Members of the old value under the alias are stale.
        let stale: Vec<String> = self.scope.keys().filter(|k| k.starts_with(&format!("{alias}."))).cloned().collect();
        for k in stale {
            self.scope.remove(&k);
        }
        // Unnesting reorders nothing, but the unnest operator does not promise to keep order.
        if self.sorted {
            let order = self.current_order();
            if !order.is_empty() {
                self.frame = self.take_frame().sort(order)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Pure helpers (unit-tested).

/// A JSON value as Insights shows it: strings verbatim, numbers in their shortest form,
/// objects and arrays as compact JSON; `null` is absent.
pub(crate) fn render_json(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => crate::render::format_number(f),
            _ => n.to_string(),
        }),
        other => Some(other.to_string()),
    }
}

/// Follows `path` (segments) into JSON `text`: object members by name, array elements by
/// index.
pub(crate) fn json_get(text: &str, path: &[&str]) -> Option<String> {
    let root: Value = serde_json::from_str(text.trim()).ok()?;
    let mut v = &root;
    for seg in path {
        v = match v {
            Value::Object(m) => m.get(*seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    render_json(v)
}

/// The elements of a list value: a JSON array's elements (rendered), else the value itself.
pub(crate) fn elements(text: &str) -> Vec<Option<String>> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Array(items)) => items.iter().map(render_json).collect(),
        _ => vec![Some(text.to_string())],
    }
}

/// The JSON object of a message, from its first `{` (as field discovery finds it).
pub(crate) fn message_json(message: &str) -> Option<String> {
    let start = message.find('{')?;
    let mut stream = serde_json::Deserializer::from_str(&message[start..]).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v @ Value::Object(_))) => Some(v.to_string()),
        _ => None,
    }
}

/// `key=value` pairs (values optionally double-quoted with `\"` escapes) as a JSON object.
/// Words without `=` are skipped; a repeated key keeps its first value.
pub(crate) fn logfmt(text: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let key_start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[key_start..i].iter().collect();
        if i >= chars.len() || chars[i] != '=' {
            continue;
        }
        i += 1;
        let mut value = String::new();
        if i < chars.len() && chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                    value.push(match chars[i] {
                        'n' => '\n',
                        't' => '\t',
                        c => c,
                    });
                } else {
                    value.push(chars[i]);
                }
                i += 1;
            }
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                value.push(chars[i]);
                i += 1;
            }
        }
        if !key.is_empty() && !out.contains_key(&key) {
            out.insert(key, Value::String(value));
        }
    }
    out
}

/// One line of CSV (RFC 4180 quoting: `"a,b"`, `""` for a quote).
pub(crate) fn csv_fields(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    out.push(field);
    out
}

/// All matches of `regex` (translated names `g0..`): per match, the value of each group.
pub(crate) fn capture_all(regex: &regex::Regex, text: &str, groups: usize) -> Vec<Vec<Option<String>>> {
    regex
        .captures_iter(text)
        .filter(|c| c.get(0).is_some_and(|m| !m.is_empty()))
        .map(|c| (0..groups).map(|i| c.name(&format!("g{i}")).map(|m| m.as_str().to_string())).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------
// UDFs.

macro_rules! scalar_udf {
    ($name:ident, $sql:literal, [$($arg:expr),*], $ret:expr) => {
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            signature: Signature,
        }
        impl Default for $name {
            fn default() -> Self {
                $name { signature: Signature::exact(vec![$($arg),*], Volatility::Immutable) }
            }
        }
        impl $name {
            fn ret() -> DataType {
                $ret
            }
        }
    };
}

fn list_of_utf8() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

scalar_udf!(JsonGetUdf, "insights_json_get", [DataType::Utf8, DataType::Utf8], DataType::Utf8);
scalar_udf!(JsonTextUdf, "insights_message_json", [DataType::Utf8], DataType::Utf8);
scalar_udf!(ElementsUdf, "insights_elements", [DataType::Utf8], list_of_utf8());
scalar_udf!(LogfmtUdf, "insights_logfmt", [DataType::Utf8], DataType::Utf8);
scalar_udf!(CsvFieldUdf, "insights_csv_field", [DataType::Utf8, DataType::Int64], DataType::Utf8);
scalar_udf!(
    CaptureAllUdf,
    "insights_capture_all",
    [DataType::Utf8, DataType::Utf8, DataType::Int64],
    DataType::List(Arc::new(Field::new_list_field(list_of_utf8(), true)))
);

fn literal_i64(value: &ColumnarValue) -> DfResult<i64> {
    match value {
        ColumnarValue::Scalar(datafusion::common::ScalarValue::Int64(Some(v))) => Ok(*v),
        _ => exec_err!("expected an integer literal argument"),
    }
}

fn map_strings(args: &ScalarFunctionArgs, f: impl Fn(&str) -> Option<String>) -> DfResult<ColumnarValue> {
    let texts = string_arg(&args.args[0], args.number_rows)?;
    let mut out = StringBuilder::with_capacity(texts.len(), 0);
    for t in texts.iter() {
        out.append_option(t.and_then(&f));
    }
    Ok(ColumnarValue::Array(Arc::new(out.finish())))
}

impl ScalarUDFImpl for JsonGetUdf {
    fn name(&self) -> &str {
        "insights_json_get"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(Self::ret())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let path = literal_string(&args.args[1])?;
        let segments: Vec<&str> = path.split(PATH_SEP).collect();
        map_strings(&args, |t| json_get(t, &segments))
    }
}

impl ScalarUDFImpl for JsonTextUdf {
    fn name(&self) -> &str {
        "insights_message_json"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(Self::ret())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        map_strings(&args, message_json)
    }
}

impl ScalarUDFImpl for LogfmtUdf {
    fn name(&self) -> &str {
        "insights_logfmt"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(Self::ret())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        map_strings(&args, |t| {
            let map = logfmt(t);
            (!map.is_empty()).then(|| Value::Object(map).to_string())
        })
    }
}

impl ScalarUDFImpl for CsvFieldUdf {
    fn name(&self) -> &str {
        "insights_csv_field"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(Self::ret())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let index = usize::try_from(literal_i64(&args.args[1])?).unwrap_or(usize::MAX);
        map_strings(&args, |t| csv_fields(t).into_iter().nth(index))
    }
}

impl ScalarUDFImpl for ElementsUdf {
    fn name(&self) -> &str {
        "insights_elements"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(Self::ret())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let texts = string_arg(&args.args[0], args.number_rows)?;
        let mut out = ListBuilder::new(StringBuilder::new());
        for t in texts.iter() {
            match t {
                Some(t) => {
                    for (i, item) in elements(t).into_iter().enumerate() {
                        out.values().append_value(match item {
                            Some(v) => format!("{i}{PATH_SEP}{v}"),
                            None => i.to_string(),
                        });
                    }
                    out.append(true);
                }
                None => out.append(false),
            }
        }
        let array: ArrayRef = Arc::new(out.finish());
        Ok(ColumnarValue::Array(array))
    }
}

impl ScalarUDFImpl for CaptureAllUdf {
    fn name(&self) -> &str {
        "insights_capture_all"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(Self::ret())
    }
    /// Args: text, translated pattern, number of named groups.
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let texts = string_arg(&args.args[0], args.number_rows)?;
        let pattern = literal_string(&args.args[1])?;
        let groups = usize::try_from(literal_i64(&args.args[2])?).unwrap_or(0);
        // Shared compiled-regex cache: not recompiled for every batch.
        let regex = match crate::udf::compile(&pattern) {
            Ok(r) => r,
            Err(e) => return exec_err!("invalid regex: {e}"),
        };
        let mut out = ListBuilder::new(ListBuilder::new(StringBuilder::new()));
        for t in texts.iter() {
            let matches = t.map(|t| capture_all(&regex, t, groups)).unwrap_or_default();
            if matches.is_empty() {
                out.append(false);
                continue;
            }
            for (i, m) in matches.into_iter().enumerate() {
                for v in m {
                    out.values().values().append_option(v);
                }
                // The match's position, after the groups (for row order).
                out.values().values().append_value(i.to_string());
                out.values().append(true);
            }
            out.append(true);
        }
        let array: ArrayRef = Arc::new(out.finish());
        debug_assert_eq!(array.len(), texts.len());
        Ok(ColumnarValue::Array(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        let j = r#"{"a":{"b":[1,{"c":"x"}],"n":2.5,"t":true,"z":null}}"#;
        assert_eq!(json_get(j, &["a", "b", "1", "c"]).as_deref(), Some("x"));
        assert_eq!(json_get(j, &["a", "b"]).as_deref(), Some(r#"[1,{"c":"x"}]"#));
        assert_eq!(json_get(j, &["a", "n"]).as_deref(), Some("2.5"));
        assert_eq!(json_get(j, &["a", "t"]).as_deref(), Some("true"));
        assert_eq!(json_get(j, &["a", "z"]), None);
        assert_eq!(json_get(j, &["a", "missing"]), None);
        assert_eq!(json_get("not json", &["a"]), None);
    }

    #[test]
    fn list_elements() {
        assert_eq!(elements(r#"["a",1,{"k":2}]"#), vec![Some("a".into()), Some("1".into()), Some(r#"{"k":2}"#.into())]);
        assert_eq!(elements("plain"), vec![Some("plain".into())]);
        assert_eq!(elements(r#"{"k":1}"#), vec![Some(r#"{"k":1}"#.into())]);
        assert!(elements("[]").is_empty());
    }

    #[test]
    fn message_objects() {
        assert_eq!(message_json(r#"INFO {"a":[1,2]} trailing"#).as_deref(), Some(r#"{"a":[1,2]}"#));
        assert_eq!(message_json("no json"), None);
        assert_eq!(message_json("{broken"), None);
    }

    #[test]
    fn logfmt_pairs() {
        let m = logfmt(r#"level=info msg="hello \"world\"" user=bob dur=12ms bare level=dup"#);
        assert_eq!(m.get("level"), Some(&Value::String("info".into())));
        assert_eq!(m.get("msg"), Some(&Value::String("hello \"world\"".into())));
        assert_eq!(m.get("dur"), Some(&Value::String("12ms".into())));
        assert!(!m.contains_key("bare"));
        assert!(logfmt("no pairs here").is_empty());
        assert!(logfmt("=").is_empty());
        assert_eq!(logfmt("k=").get("k"), Some(&Value::String(String::new())));
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_fields(r#"a,"b,c","say ""hi""",,e"#), vec!["a", "b,c", "say \"hi\"", "", "e"]);
        assert_eq!(csv_fields(""), vec![""]);
        assert_eq!(csv_fields(r#""unterminated"#), vec!["unterminated"]);
    }

    #[test]
    fn all_matches() {
        let re = regex::Regex::new(&translate_regex(r"(?<k>\w+)=(?<v>\d+)")).unwrap();
        assert_eq!(
            capture_all(&re, "a=1 b=x c=3", 2),
            vec![
                vec![Some("a".to_string()), Some("1".to_string())],
                vec![Some("c".to_string()), Some("3".to_string())]
            ]
        );
        assert!(capture_all(&re, "none", 2).is_empty());
    }
}
