//! `pattern expr` and `diff`.
//!
//! `pattern` is a DataFusion **user-defined aggregate** ([`PatternUdaf`]): it collects the
//! expression's text with each row's `@timestamp`, ingest sequence and window tag, then runs
//! `larch-patterns`' miner once over all of them (lines in time order, so results are
//! deterministic) and returns the patterns as a list of structs, which the plan unnests into
//! one row per pattern. Keeping it in the plan (rather than collecting batches in the engine)
//! keeps `pattern` composable: `filter`, `sort`, `limit`, `display` after it work as usual.
//!
//! `diff` needs the events of a second window. When a query contains `diff`, the engine scans
//! both the query window and the baseline window and tags each row with [`WINDOW_COLUMN`]
//! (0 = query window, 1 = baseline); the commands before `pattern` apply to both alike, and
//! the aggregate clusters both windows' lines together so the same template gets the same
//! pattern, then counts each pattern per window.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array as _, ArrayRef, AsArray, Float64Array, Int64Array, StringArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int64Type};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::prelude::{cast, col, lit};
use larch_insights::Span;
use larch_patterns::{PatternConfig, PatternMiner};
use serde_json::json;

use super::kind::{Kind, to_str};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;

/// Base-relation column that tags the window of a row in `diff` queries (0: the query
/// window, 1: the baseline).
pub const WINDOW_COLUMN: &str = "__win";

/// Output fields of `pattern`, in result order, with their struct member and kind.
const PATTERN_FIELDS: [(&str, &str, Kind); 9] = [
    ("@pattern", "pattern", Kind::Str),
    ("@ratio", "ratio", Kind::Num),
    ("@sampleCount", "sample_count", Kind::Num),
    ("@severityLabel", "severity", Kind::Str),
    ("@tokens", "tokens", Kind::Str),
    ("@visualization", "visualization", Kind::Str),
    ("@logSamples", "samples", Kind::Str),
    ("@patternId", "id", Kind::Str),
    ("@regexString", "regex", Kind::Str),
];

/// Extra fields of `pattern … | diff`.
const DIFF_FIELDS: [(&str, &str, Kind); 3] = [
    ("@previousSampleCount", "previous", Kind::Num),
    ("@sampleCountDifference", "difference", Kind::Num),
    ("@changeType", "change", Kind::Str),
];

fn struct_fields() -> Fields {
    let mut fields = Vec::new();
    for (_, member, kind) in PATTERN_FIELDS.iter().chain(DIFF_FIELDS.iter()) {
        let ty = match (member, kind) {
            (&"ratio", _) => DataType::Float64,
            (_, Kind::Num) => DataType::Int64,
            _ => DataType::Utf8,
        };
        fields.push(Field::new(*member, ty, true));
    }
    Fields::from(fields)
}

fn result_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Struct(struct_fields()), true)))
}

impl Compiler<'_> {
    /// `pattern expr`.
    pub(crate) fn pattern(&mut self, e: &larch_insights::Expr, _span: Span) -> Result<()> {
        let (v, k) = self.expr(e)?;
        let text = to_str(v, k);
        let has_window = self.frame.schema().has_column_with_unqualified_name(WINDOW_COLUMN);
        let window = if has_window { cast(col(WINDOW_COLUMN), DataType::Int64) } else { lit(0i64) };
        let (ts, seq) = if self.aggregated {
            (lit(0i64), lit(0i64))
        } else {
            let ts = self.scope.get("@timestamp").map_or(col(cols::TS), |c| col(c.internal.as_str()));
            (cast(ts, DataType::Int64), cast(col(cols::SEQ), DataType::Int64))
        };
        if self.stats_count == 0 && self.matched.is_none() {
            if has_window {
                // Only the query window's rows matched; the baseline's flow through too.
                self.matched = Some(super::Matched::Plan(self.frame.clone().filter(col(WINDOW_COLUMN).eq(lit(0i64)))?));
            } else {
                self.remember_matched()?;
            }
        }
        let list = self.fresh();
        let call = AggregateUDF::new_from_impl(PatternUdaf::default()).call(vec![text, ts, seq, window]);
        self.frame = self.take_frame().aggregate(vec![], vec![call.alias(&list)])?.unnest_columns(&[list.as_str()])?;
        let mut select = Vec::new();
        let mut outputs = Vec::new();
        let fields: Vec<&(&str, &str, Kind)> = if has_window {
            PATTERN_FIELDS.iter().chain(DIFF_FIELDS.iter()).collect()
        } else {
            PATTERN_FIELDS.iter().collect()
        };
        for (name, member, kind) in fields {
            let internal = self.fresh();
            select.push(datafusion::functions::core::expr_fn::get_field(col(list.as_str()), *member).alias(&internal));
            outputs.push((name.to_string(), Column { internal, kind: *kind }));
        }
        self.frame = self.take_frame().select(select)?;
        self.scope.clear();
        for (name, c) in &outputs {
            self.scope.insert(name.clone(), c.clone());
        }
        self.output = outputs.iter().take(PATTERN_FIELDS.len()).map(|(n, _)| n.clone()).collect();
        self.explicit_output = true;
        self.aggregated = true;
        self.sorted = false;
        self.current_sort = None;
        let count = &self.scope["@sampleCount"].internal;
        let pattern = &self.scope["@pattern"].internal;
        let mut sort = vec![col(count.as_str()).sort(false, false)];
        if has_window {
            sort.push(col(self.scope["@previousSampleCount"].internal.as_str()).sort(false, false));
        }
        sort.push(col(pattern.as_str()).sort(true, false));
        self.default_sort = Some(sort);
        Ok(())
    }

    /// `diff`: shows the baseline counts computed by the preceding `pattern`.
    pub(crate) fn diff(&mut self, span: Span) -> Result<()> {
        if !self.scope.contains_key("@previousSampleCount") {
            return Err(self.malformed(span, "diff must follow a pattern command."));
        }
        for (name, _, _) in DIFF_FIELDS {
            self.add_output(name);
        }
        Ok(())
    }
}

/// The aggregate behind `pattern`: args (text, timestamp ms, sequence, window tag).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PatternUdaf {
    signature: Signature,
}

impl Default for PatternUdaf {
    fn default() -> Self {
        PatternUdaf {
            signature: Signature::exact(
                vec![DataType::Utf8, DataType::Int64, DataType::Int64, DataType::Int64],
                Volatility::Immutable,
            ),
        }
    }
}

impl AggregateUDFImpl for PatternUdaf {
    fn name(&self) -> &str {
        "insights_pattern"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(result_type())
    }
    fn accumulator(&self, _: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::<PatternAccumulator>::default())
    }
    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<datafusion::arrow::datatypes::FieldRef>> {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        Ok(vec![Arc::new(Field::new(format!("{}_lines", args.name), list, true))])
    }
}

/// One collected line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Line {
    pub window: i64,
    pub ts: i64,
    pub seq: i64,
    pub text: String,
}

impl Line {
    fn encode(&self) -> String {
        format!("{}\t{}\t{}\t{}", self.window, self.ts, self.seq, self.text)
    }
    fn decode(s: &str) -> Option<Line> {
        let mut parts = s.splitn(4, '\t');
        Some(Line {
            window: parts.next()?.parse().ok()?,
            ts: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
            text: parts.next()?.to_string(),
        })
    }
}

#[derive(Debug, Default)]
struct PatternAccumulator {
    lines: Vec<Line>,
    bytes: usize,
}

impl Accumulator for PatternAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let [text, ts, seq, window] = values else {
            return Ok(());
        };
        let text = datafusion::arrow::compute::cast(text, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        let ts = ts.as_primitive::<Int64Type>();
        let seq = seq.as_primitive::<Int64Type>();
        let window = window.as_primitive::<Int64Type>();
        for i in 0..text.len() {
            if text.is_null(i) {
                continue;
            }
            let line = Line {
                window: if window.is_null(i) { 0 } else { window.value(i) },
                ts: if ts.is_null(i) { 0 } else { ts.value(i) },
                seq: if seq.is_null(i) { 0 } else { seq.value(i) },
                text: text.value(i).to_string(),
            };
            self.bytes += line.text.len() + 32;
            self.lines.push(line);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(lists) = states.first() else {
            return Ok(());
        };
        let lists = lists.as_list::<i32>();
        for i in 0..lists.len() {
            if lists.is_null(i) {
                continue;
            }
            let values = lists.value(i);
            let values = values.as_string::<i32>();
            for s in values.iter().flatten() {
                if let Some(line) = Line::decode(s) {
                    self.bytes += line.text.len() + 32;
                    self.lines.push(line);
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self.lines.iter().map(|l| ScalarValue::Utf8(Some(l.encode()))).collect();
        Ok(vec![ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Utf8))])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let rows = mine(std::mem::take(&mut self.lines));
        Ok(to_scalar(&rows))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bytes
    }
}

/// One result row of `pattern` (and `diff`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatternRow {
    pub pattern: String,
    pub ratio: f64,
    pub sample_count: i64,
    pub severity: String,
    pub tokens: String,
    pub visualization: String,
    pub samples: String,
    pub id: String,
    pub regex: String,
    pub previous: i64,
}

/// Runs the miner over the lines (both windows) and counts each pattern per window.
pub(crate) fn mine(mut lines: Vec<Line>) -> Vec<PatternRow> {
    lines.sort_by(|a, b| (a.ts, a.seq, a.window, &a.text).cmp(&(b.ts, b.seq, b.window, &b.text)));
    let mut miner = PatternMiner::new(PatternConfig::default());
    let handles: Vec<_> = lines.iter().map(|l| miner.add_tagged(&l.text, None)).collect();
    let (patterns, index) = miner.finish_indexed();
    let mut current = vec![0i64; patterns.len()];
    let mut previous = vec![0i64; patterns.len()];
    let mut times: Vec<Vec<i64>> = vec![Vec::new(); patterns.len()];
    let mut samples: Vec<Vec<String>> = vec![Vec::new(); patterns.len()];
    for (line, handle) in lines.iter().zip(handles) {
        let Some(p) = index.pattern_of(handle) else {
            continue;
        };
        if line.window == 0 {
            current[p] += 1;
            times[p].push(line.ts);
            if samples[p].len() < 5 {
                samples[p].push(line.text.clone());
            }
        } else {
            previous[p] += 1;
        }
    }
    let total: i64 = current.iter().sum();
    let mut rows = Vec::new();
    for (i, p) in patterns.into_iter().enumerate() {
        if current[i] == 0 && previous[i] == 0 {
            continue;
        }
        let tokens: Vec<serde_json::Value> = p
            .tokens
            .iter()
            .map(|t| {
                json!({
                    "dynamicTokenPosition": t.position,
                    "tokenString": t.name,
                    "inferredTokenName": t.token_type.name(),
                    "enumerations": t.values.iter().map(|v| json!({"value": v.value, "count": v.count})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let samples = if samples[i].is_empty() { p.log_samples.clone() } else { std::mem::take(&mut samples[i]) };
        rows.push(PatternRow {
            ratio: if total > 0 { current[i] as f64 / total as f64 } else { 0.0 },
            sample_count: current[i],
            severity: p.severity_label.clone(),
            tokens: serde_json::Value::Array(tokens).to_string(),
            visualization: histogram(&times[i]),
            samples: serde_json::to_string(&samples).unwrap_or_default(),
            id: p.pattern_id.clone(),
            regex: p.regex_string.clone(),
            previous: previous[i],
            pattern: p.pattern,
        });
    }
    rows.sort_by(|a, b| {
        b.sample_count.cmp(&a.sample_count).then(b.previous.cmp(&a.previous)).then(a.pattern.cmp(&b.pattern))
    });
    rows
}

/// Bucket widths `@visualization` chooses from (the smallest giving at most 60 buckets).
const WIDTHS_MS: [i64; 14] = [
    1_000,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    600_000,
    1_800_000,
    3_600_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    604_800_000,
];

/// A pattern's time histogram: `[{"timestamp": "…", "count": n}]`, non-empty buckets only,
/// buckets aligned to the epoch.
pub(crate) fn histogram(times: &[i64]) -> String {
    let (Some(lo), Some(hi)) = (times.iter().min(), times.iter().max()) else {
        return "[]".into();
    };
    let width = WIDTHS_MS.iter().copied().find(|w| (hi - lo) / w < 60).unwrap_or(WIDTHS_MS[WIDTHS_MS.len() - 1]);
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for t in times {
        *buckets.entry(t.div_euclid(width) * width).or_default() += 1;
    }
    let items: Vec<serde_json::Value> = buckets
        .into_iter()
        .map(|(t, n)| json!({"timestamp": crate::render::format_timestamp(t), "count": n}))
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn change_type(current: i64, previous: i64) -> &'static str {
    match (current, previous) {
        (c, 0) if c > 0 => "NEW",
        (0, p) if p > 0 => "REMOVED",
        (c, p) if c > p => "INCREASED",
        (c, p) if c < p => "DECREASED",
        _ => "UNCHANGED",
    }
}

fn to_scalar(rows: &[PatternRow]) -> ScalarValue {
    let strings = |f: &dyn Fn(&PatternRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let ints = |f: &dyn Fn(&PatternRow) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| r.pattern.clone()),
        Arc::new(Float64Array::from(rows.iter().map(|r| r.ratio).collect::<Vec<_>>())),
        ints(&|r| r.sample_count),
        strings(&|r| r.severity.clone()),
        strings(&|r| r.tokens.clone()),
        strings(&|r| r.visualization.clone()),
        strings(&|r| r.samples.clone()),
        strings(&|r| r.id.clone()),
        strings(&|r| r.regex.clone()),
        ints(&|r| r.previous),
        ints(&|r| r.sample_count - r.previous),
        strings(&|r| change_type(r.sample_count, r.previous).to_string()),
    ];
    let array = StructArray::new(struct_fields(), columns, None);
    SingleRowListArrayBuilder::new(Arc::new(array)).with_nullable(true).build_list_scalar()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(window: i64, ts: i64, text: &str) -> Line {
        Line { window, ts, seq: ts, text: text.into() }
    }

    #[test]
    fn counts_per_window() {
        let mut lines = Vec::new();
        for i in 0..4 {
            lines.push(line(0, 1000 + i, &format!("user {i} logged in from 10.0.0.{i}")));
        }
        lines.push(line(1, 10, "user 9 logged in from 10.0.0.9"));
        lines.push(line(1, 11, "disk full on /dev/sda1"));
        let rows = mine(lines);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].sample_count, rows[0].previous), (4, 1));
        assert_eq!(rows[0].ratio, 1.0);
        assert_eq!(change_type(rows[0].sample_count, rows[0].previous), "INCREASED");
        assert_eq!((rows[1].sample_count, rows[1].previous), (0, 1));
        assert_eq!(change_type(0, 1), "REMOVED");
        assert_eq!(change_type(2, 0), "NEW");
        assert_eq!(change_type(2, 2), "UNCHANGED");
    }

    #[test]
    fn histograms() {
        assert_eq!(histogram(&[]), "[]");
        assert_eq!(
            histogram(&[1_000, 1_500, 3_000]),
            r#"[{"count":2,"timestamp":"1970-01-01 00:00:01.000"},{"count":1,"timestamp":"1970-01-01 00:00:03.000"}]"#
        );
    }

    #[test]
    fn line_codec() {
        let l = line(1, -5, "a\tb");
        assert_eq!(Line::decode(&l.encode()), Some(l));
        assert_eq!(Line::decode("garbage"), None);
    }
}
