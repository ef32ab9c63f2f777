//! Regex support with Insights syntax: `insights_captures(text, regex, n)` (the named groups
//! of the first match, for `parse`) and `insights_regex_match(text, regex)` (unanchored search,
//! for `like /re/` and `=~`).
//!
//! Insights allows capture names such as `(?<@user>…)` that the `regex` crate rejects, so
//! names are rewritten to `g0`, `g1`, … ([`translate_regex`]) and looked up by position.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::Array as _;
use datafusion::arrow::array::{AsArray as _, BooleanBuilder, ListBuilder, StringBuilder, UInt32Array, new_null_array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use parking_lot::Mutex;
use regex::Regex;
use regex_automata::dfa::onepass;
use regex_automata::util::captures::{Captures, GroupInfo};
use regex_automata::{Input, PatternID, meta};

use super::end_anchored::{EndAnchored, Outcome};
use super::{literal_string, string_arg};

/// Compiled regexes by source, shared across batches of a query.
static CACHE: std::sync::LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = std::sync::LazyLock::new(Default::default);
/// The same, for UDFs that run a regex over whole batches.
static BATCH_CACHE: std::sync::LazyLock<Mutex<HashMap<String, Arc<BatchRegex>>>> =
    std::sync::LazyLock::new(Default::default);

/// A compiled regex (the engine `regex::Regex` wraps, same syntax and limits) with spare search
/// caches. `regex::Regex` takes a cache from a pool on every call, which costs a lock and
/// bookkeeping per row when several threads share the regex (4 % of a `parse` query); here a
/// batch takes one cache for all its rows.
struct BatchRegex {
    regex: meta::Regex,
    /// The captures fast path of regexes anchored at the end of the text ([`EndAnchored`]).
    end_anchored: Option<EndAnchored>,
    spare: Mutex<Vec<SearchCache>>,
}

/// The search state of one batch.
struct SearchCache {
    meta: meta::Cache,
    end_anchored: Option<onepass::Cache>,
}

impl BatchRegex {
    /// Runs `f` with the regex and a search cache of its own.
    fn with_cache<T>(&self, f: impl FnOnce(&BatchRegex, &mut SearchCache) -> T) -> T {
        let mut cache = self.spare.lock().pop().unwrap_or_else(|| SearchCache {
            meta: self.regex.create_cache(),
            end_anchored: self.end_anchored.as_ref().map(EndAnchored::create_cache),
        });
        let out = f(self, &mut cache);
        let mut spare = self.spare.lock();
        if spare.len() < 16 {
            spare.push(cache);
        }
        out
    }
}

/// [`compile`] for batch UDFs.
fn compile_batch(pattern: &str) -> std::result::Result<Arc<BatchRegex>, String> {
    cached(&BATCH_CACHE, pattern, |translated| {
        let regex = meta::Regex::new(translated).map_err(|e| e.to_string())?;
        Ok(BatchRegex { regex, end_anchored: EndAnchored::new(translated), spare: Mutex::new(Vec::new()) })
    })
}

/// The regex `build` makes of `pattern` (group names translated), from `cache` when it was
/// built before. The cache is emptied when it grows past 1,024 patterns.
fn cached<T>(
    cache: &Mutex<HashMap<String, Arc<T>>>,
    pattern: &str,
    build: impl FnOnce(&str) -> std::result::Result<T, String>,
) -> std::result::Result<Arc<T>, String> {
    if let Some(r) = cache.lock().get(pattern) {
        return Ok(Arc::clone(r));
    }
    let regex = Arc::new(build(&translate_regex(pattern))?);
    let mut cache = cache.lock();
    if cache.len() > 1024 {
        cache.clear();
    }
    cache.insert(pattern.to_string(), Arc::clone(&regex));
    Ok(regex)
}

/// Rewrites named groups to `gN` (N = position among named groups) so any Insights name works.
pub fn translate_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut n = 0;
    let mut rest = pattern;
    while let Some(pos) = rest.find("(?") {
        // Skip escaped parentheses: count preceding backslashes.
        let escaped = rest[..pos].chars().rev().take_while(|c| *c == '\\').count() % 2 == 1;
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let name_start = if let Some(a) = after.strip_prefix("P<") {
            Some(a)
        } else if after.starts_with("<=") || after.starts_with("<!") {
            None
        } else {
            after.strip_prefix('<')
        };
        match (escaped, name_start.and_then(|a| a.find('>').map(|end| (a, end)))) {
            (false, Some((a, end))) => {
                out.push_str(&format!("(?<g{n}>"));
                n += 1;
                rest = &a[end + 1..];
            }
            _ => {
                out.push_str("(?");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `pattern` compiled by the `regex` crate (group names translated), cached.
pub fn compile(pattern: &str) -> std::result::Result<Arc<Regex>, String> {
    cached(&CACHE, pattern, |translated| Regex::new(translated).map_err(|e| e.to_string()))
}

/// `insights_captures(text, regex, n)`: the named groups g0..g(n-1) of the first match as a
/// list (one regex run per row for all the fields of a `parse`); null when nothing matches.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CapturesUdf {
    signature: Signature,
}

impl Default for CapturesUdf {
    fn default() -> Self {
        CapturesUdf {
            signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8, DataType::Int64], Volatility::Immutable),
        }
    }
}

impl CapturesUdf {
    fn item_type() -> DataType {
        DataType::List(Arc::new(datafusion::arrow::datatypes::Field::new("item", DataType::Utf8, true)))
    }
}

impl ScalarUDFImpl for CapturesUdf {
    fn name(&self) -> &str {
        "insights_captures"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(Self::item_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = string_arg(&args.args[0], args.number_rows)?;
        let pattern = literal_string(&args.args[1])?;
        let count = match &args.args[2] {
            ColumnarValue::Scalar(datafusion::common::ScalarValue::Int64(Some(n))) => usize::try_from(*n).unwrap_or(0),
            _ => return exec_err!("insights_captures needs a literal group count"),
        };
        let regex = match compile_batch(&pattern) {
            Ok(r) => r,
            Err(e) => return exec_err!("invalid regex: {e}"),
        };
        // Group gI's index, looked up once rather than by name on every row; the captures are
        // reused from row to row (no allocation per row).
        let group_index = |info: &GroupInfo| -> Vec<Option<usize>> {
            (0..count).map(|i| info.to_index(PatternID::ZERO, &format!("g{i}"))).collect()
        };
        let groups = group_index(regex.regex.group_info());
        let values = StringBuilder::with_capacity(texts.len() * count, texts.len() * count * 8);
        let mut out = ListBuilder::with_capacity(values, texts.len());
        regex.with_cache(|regex, cache| {
            let mut captures = regex.regex.create_captures();
            let mut fast = regex.end_anchored.as_ref().zip(cache.end_anchored.as_mut()).map(|(fast, fast_cache)| {
                let captures = fast.create_captures();
                let groups = group_index(captures.group_info());
                (fast, fast_cache, captures, groups)
            });
            for text in texts.iter() {
                let Some(t) = text else {
                    out.append(false);
                    continue;
                };
                if let Some((fast, fast_cache, fast_captures, fast_groups)) = fast.as_mut() {
                    match fast.captures(fast_cache, t, fast_captures) {
                        Outcome::NoMatch => {
                            out.append(false);
                            continue;
                        }
                        Outcome::Matched => {
                            append_groups(&mut out, fast_captures, fast_groups, t);
                            continue;
                        }
                        Outcome::Unsure => {}
                    }
                }
                regex.regex.search_captures_with(&mut cache.meta, &Input::new(t), &mut captures);
                if !captures.is_match() {
                    out.append(false);
                    continue;
                }
                append_groups(&mut out, &captures, &groups, t);
            }
        });
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Appends one row: the text of each group (null when it did not participate).
fn append_groups(out: &mut ListBuilder<StringBuilder>, captures: &Captures, groups: &[Option<usize>], text: &str) {
    for group in groups {
        // Spans of UTF-8 patterns fall on character boundaries; `get` keeps any surprise a null
        // rather than a panic.
        out.values().append_option(group.and_then(|g| captures.get_group(g)).and_then(|span| text.get(span.range())));
    }
    out.append(true);
}

/// `insights_capture_item(captures, i)`: item `i` (from 0) of each row's list of captures
/// (null when the row has no such item). Unlike `array_element`, which copies element by
/// element through a generic builder, this takes all rows' items in one `take`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CaptureItemUdf {
    signature: Signature,
}

impl Default for CaptureItemUdf {
    fn default() -> Self {
        CaptureItemUdf {
            signature: Signature::exact(vec![CapturesUdf::item_type(), DataType::Int64], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for CaptureItemUdf {
    fn name(&self) -> &str {
        "insights_capture_item"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let lists = args.args[0].clone().into_array(args.number_rows)?;
        let Some(lists) = lists.as_list_opt::<i32>() else {
            return exec_err!("insights_capture_item needs a list of strings");
        };
        let item = match &args.args[1] {
            ColumnarValue::Scalar(datafusion::common::ScalarValue::Int64(Some(n))) => *n,
            _ => return exec_err!("insights_capture_item needs a literal index"),
        };
        let Ok(item) = i32::try_from(item) else {
            return Ok(ColumnarValue::Array(new_null_array(&DataType::Utf8, lists.len())));
        };
        let offsets = lists.value_offsets();
        let indices: UInt32Array = (0..lists.len())
            .map(|row| {
                let (start, end) = (offsets[row], offsets[row + 1]);
                (lists.is_valid(row) && item >= 0 && start + item < end).then(|| (start + item) as u32)
            })
            .collect();
        Ok(ColumnarValue::Array(take(lists.values().as_ref(), &indices, None)?))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RegexMatchUdf {
    signature: Signature,
}

impl Default for RegexMatchUdf {
    fn default() -> Self {
        RegexMatchUdf { signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for RegexMatchUdf {
    fn name(&self) -> &str {
        "insights_regex_match"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let texts = string_arg(&args.args[0], args.number_rows)?;
        let pattern = literal_string(&args.args[1])?;
        let regex = match compile_batch(&pattern) {
            Ok(r) => r,
            Err(e) => return exec_err!("invalid regex: {e}"),
        };
        let mut out = BooleanBuilder::with_capacity(texts.len());
        regex.with_cache(|regex, cache| {
            for text in texts.iter() {
                out.append_option(
                    text.map(|t| regex.regex.search_with(&mut cache.meta, &Input::new(t).earliest(true)).is_some()),
                );
            }
        });
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_rewritten() {
        assert_eq!(translate_regex(r"(?<@user>\w+) (?<ip>\S+)"), r"(?<g0>\w+) (?<g1>\S+)");
        assert_eq!(translate_regex(r"\(?<x>"), r"\(?<x>");
        assert_eq!(translate_regex(r"(?i)err"), r"(?i)err");
        assert!(compile(r"(?<@user>\w+)").is_ok());
    }
}
