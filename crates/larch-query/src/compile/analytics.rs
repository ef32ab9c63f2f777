//! Row-order and analytics commands: `tail`, `accum`, `autoregress`, `filldown`,
//! `fillmissing`, `addtotals`, `countFrequent`, `sessionize`, `outlier`.
//!
//! Everything is a DataFusion plan: running values are window functions over the current row
//! order ([`Compiler::current_order`]: the query's `sort`, else newest first, or the `stats`
//! keys), whole-set statistics (`outlier`'s quartiles, `addtotals col=true`) are aggregates
//! joined or appended back, and `fillmissing` joins the rows onto the full grid of bins.
//! Window and join operators do not promise to keep row order, so the rows are re-sorted
//! afterwards.

use std::ops::Not;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    ExprFunctionExt, JoinType, Operator, SortExpr, WindowFrame, WindowFrameBound, WindowFrameUnits, binary_expr,
};
use datafusion::prelude::{Expr, cast, coalesce, col, lit, when};
use larch_insights::{Duration, ExprKind, FieldRef, Ident, Span};

use super::kind::{Kind, to_num, to_str};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;

/// `addtotals` options with AWS's defaults applied.
pub(crate) struct TotalsOptions {
    pub row: bool,
    pub col: bool,
    pub fieldname: String,
    pub labelfield: Option<String>,
    pub label: String,
}

/// `outlier` options with AWS's defaults applied (`action=transform`, `param=2.5`).
pub(crate) struct OutlierOptions {
    pub remove: bool,
    pub param: f64,
    pub uselower: bool,
    pub mark: bool,
}

/// Name of the boolean field `outlier mark=true` adds.
pub(crate) const OUTLIER_MARK: &str = "isOutlier";
/// Most bins `fillmissing` inserts between the first and last bin.
const MAX_FILLED_BINS: i64 = 100_000;

/// An aggregate function as a window function.
fn window_agg(udaf: std::sync::Arc<datafusion::logical_expr::AggregateUDF>, args: Vec<Expr>) -> Expr {
    Expr::from(WindowFunction::new(udaf, args))
}

/// `ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`.
fn running() -> WindowFrame {
    WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    )
}

/// A number as Insights renders it, as text (for text columns that receive numbers).
pub(crate) fn num_text(e: Expr) -> Expr {
    let integral = e
        .clone()
        .eq(datafusion::functions::expr_fn::trunc(vec![e.clone()]))
        .and(datafusion::functions::expr_fn::abs(e.clone()).lt(lit(1e15)));
    when(integral, cast(cast(e.clone(), DataType::Int64), DataType::Utf8))
        .otherwise(cast(e, DataType::Utf8))
        .unwrap_or_else(|_| lit(ScalarValue::Utf8(None)))
}

/// Simple glob (`*` = any run of characters) match for `filldown cpu*`.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i + 1 == parts.len() {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

/// The literal of `fillmissing with <value>`.
enum FillValue {
    Num(f64),
    Text(String),
    Bool(bool),
}

fn fill_value(e: &larch_insights::Expr) -> Option<FillValue> {
    match &e.kind {
        ExprKind::Str(s) => Some(FillValue::Text(s.clone())),
        ExprKind::Bool(b) => Some(FillValue::Bool(*b)),
        _ => super::expr::literal_number(e).map(FillValue::Num),
    }
}

impl FillValue {
    /// The value as a literal of a column's type.
    fn literal(&self, target: &DataType) -> Expr {
        let text = match self {
            FillValue::Num(v) => crate::render::format_number(*v),
            FillValue::Text(s) => s.clone(),
            FillValue::Bool(b) => b.to_string(),
        };
        match (self, target) {
            (FillValue::Num(v), DataType::Int64) if v.fract() == 0.0 => lit(*v as i64),
            (FillValue::Num(v), _) if target.is_numeric() => cast(lit(*v), target.clone()),
            (FillValue::Bool(b), DataType::Boolean) => lit(*b),
            (_, DataType::Utf8) => lit(text),
            _ => cast(lit(text), target.clone()),
        }
    }
}

impl Compiler<'_> {
    /// Makes `name` a result column; a query that showed the default columns keeps them.
    pub(crate) fn show(&mut self, name: &str) {
        if !self.explicit_output {
            if !self.aggregated {
                self.output = vec!["@timestamp".into(), "@message".into()];
            }
            self.explicit_output = true;
        }
        self.add_output(name);
    }

    /// Puts rows back in the current order after an operator that may not keep it.
    pub(crate) fn resort(&mut self) -> Result<()> {
        if self.sorted {
            let order = self.current_order();
            if !order.is_empty() {
                self.frame = self.take_frame().sort(order)?;
            }
        }
        Ok(())
    }

    /// The arrow type of an internal column.
    pub(crate) fn column_type(&self, internal: &str) -> DataType {
        self.frame
            .schema()
            .field_with_unqualified_name(internal)
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Utf8)
    }

    /// Adds window expressions as named fields (`(name, expr, kind)`), then restores order.
    fn define_windows(&mut self, defs: Vec<(String, Expr, Kind)>) -> Result<()> {
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (name, e, kind) in defs {
            let internal = self.fresh();
            exprs.push(e.alias(&internal));
            columns.push((name, Column { internal, kind }));
        }
        self.frame = self.take_frame().window(exprs)?;
        for (name, column) in columns {
            self.scope.insert(name.clone(), column);
            self.show(&name);
        }
        self.resort()
    }

    /// Records the `by` keys of a `stats` (and their `bin()` periods) for `fillmissing`.
    pub(crate) fn note_bin_periods(&mut self, stats: &larch_insights::Stats) {
        self.bin_periods = stats
            .by
            .iter()
            .map(|p| {
                let period = match &p.expr.kind {
                    ExprKind::Call { name: "bin", args, .. } => match args.first().map(|a| &a.kind) {
                        Some(ExprKind::Duration(d)) => d.bin_millis().map_or(0, |ms| ms as i64),
                        _ => 0,
                    },
                    _ => 0,
                };
                (p.output_name(self.query), period)
            })
            .collect();
    }

    /// `tail n`: the last `n` rows in the current order (kept in that order).
    pub(crate) fn tail(&mut self, n: usize) -> Result<()> {
        let order = self.current_order();
        let reversed: Vec<SortExpr> = order.iter().map(|s| s.reverse()).collect();
        let rank = self.fresh();
        let row_number = datafusion::functions_window::expr_fn::row_number().order_by(reversed).build()?;
        self.frame =
            self.take_frame().window(vec![row_number.alias(&rank)])?.filter(col(rank.as_str()).lt_eq(lit(n as u64)))?;
        if !order.is_empty() {
            self.frame = self.take_frame().sort(order)?;
        }
        self.limit = Some(self.limit.map_or(n, |l| l.min(n)));
        Ok(())
    }

    /// `accum f [as out]`: running sum in the current order; without `as`, `f` itself is
    /// replaced by its running sum.
    pub(crate) fn accum(&mut self, field: &FieldRef, alias: Option<&Ident>) -> Result<()> {
        let c = self.field(field)?;
        let value = to_num(col(c.internal.as_str()), c.kind);
        let sum = window_agg(datafusion::functions_aggregate::sum::sum_udaf(), vec![value])
            .order_by(self.current_order())
            .window_frame(running())
            .build()?;
        let name = alias.map_or_else(|| field.name.clone(), |a| a.name.clone());
        self.define_windows(vec![(name, sum, Kind::Num)])
    }

    /// `autoregress f [as a] [p=n|p=n-m]`: previous rows' values as `f_p<k>` (`a` names a
    /// single lag; with a range it is the prefix).
    pub(crate) fn autoregress(
        &mut self,
        field: &FieldRef,
        alias: Option<&Ident>,
        lags: (u64, u64),
        span: Span,
    ) -> Result<()> {
        let (from, to) = lags;
        if from == 0 || from > to || to - from >= 100 {
            return Err(self.malformed(span, "autoregress p must be n or n-m with 1 <= n <= m and at most 100 lags."));
        }
        let c = self.field(field)?;
        let order = self.current_order();
        let mut defs = Vec::new();
        for k in from..=to {
            let name = match alias {
                Some(a) if from == to => a.name.clone(),
                Some(a) => format!("{}_p{k}", a.name),
                None => format!("{}_p{k}", field.name),
            };
            let lag = datafusion::functions_window::expr_fn::lag(col(c.internal.as_str()), Some(k as i64), None)
                .order_by(order.clone())
                .build()?;
            defs.push((name, lag, c.kind));
        }
        self.define_windows(defs)
    }

    /// `filldown [f1 f2* …]`: nulls take the last non-null value above (current order).
    /// Without fields: every result field.
    pub(crate) fn filldown(&mut self, fields: &[Ident]) -> Result<()> {
        let mut candidates: Vec<String> =
            if self.explicit_output { self.output.clone() } else { vec!["@timestamp".into(), "@message".into()] };
        for name in self.scope.keys() {
            if !candidates.contains(name) {
                candidates.push(name.clone());
            }
        }
        let mut names: Vec<(String, Span)> = Vec::new();
        if fields.is_empty() {
            let shown =
                if self.explicit_output { self.output.clone() } else { vec!["@timestamp".into(), "@message".into()] };
            names.extend(shown.into_iter().map(|n| (n, Span::default())));
        }
        for f in fields {
            if f.name.contains('*') {
                names.extend(candidates.iter().filter(|c| glob_match(&f.name, c)).map(|c| (c.clone(), f.span)));
            } else {
                names.push((f.name.clone(), f.span));
            }
        }
        let order = self.current_order();
        let mut defs = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (name, span) in names {
            if !seen.insert(name.clone()) || name == "@ptr" {
                continue;
            }
            let c = self.field(&FieldRef::simple(&name, span))?;
            let last = window_agg(
                datafusion::functions_aggregate::first_last::last_value_udaf(),
                vec![col(c.internal.as_str())],
            )
            .order_by(order.clone())
            .window_frame(running())
            .null_treatment(datafusion::logical_expr::expr::NullTreatment::IgnoreNulls)
            .build()?;
            defs.push((name, last, c.kind));
        }
        if defs.is_empty() {
            return Ok(());
        }
        self.define_windows(defs)
    }

    /// `fillmissing with v [for f…]`: after `stats … by bin(…)`, inserts the empty bins
    /// between the first and the last bin (per combination of the other `by` keys) and sets
    /// the listed fields (all aggregate fields when none are listed) of the inserted rows to
    /// `v`. Anywhere else it fills null values of the listed fields (all result fields).
    pub(crate) fn fillmissing(&mut self, value: &larch_insights::Expr, fields: &[FieldRef]) -> Result<()> {
        let Some(fill) = fill_value(value) else {
            return Err(self.malformed(value.span, "fillmissing needs a literal value (number, string or boolean)."));
        };
        let keys: Vec<(String, i64)> = if self.aggregated {
            self.bin_periods.iter().filter(|(n, _)| self.scope.contains_key(n)).cloned().collect()
        } else {
            Vec::new()
        };
        let bin = keys.iter().find(|(_, p)| *p > 0).cloned();
        let mut targets: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
        if targets.is_empty() {
            targets = if self.explicit_output { self.output.clone() } else { vec!["@message".into()] };
            targets.retain(|n| !keys.iter().any(|(k, _)| k == n));
        }
        let mut resolved = Vec::new();
        for (i, name) in targets.iter().enumerate() {
            let span = fields.get(i).map_or(Span::default(), |f| f.span);
            resolved.push((name.clone(), self.field(&FieldRef::simple(name, span))?));
        }
        let Some((bin_name, period)) = bin else {
            for (name, c) in resolved {
                let ty = self.column_type(&c.internal);
                let filled = coalesce(vec![col(c.internal.as_str()), fill.literal(&ty)]);
                self.define(&name, filled, c.kind)?;
            }
            return Ok(());
        };

        // Grid of bins × other keys, left-joined with the rows.
        let bin_col = self.scope[&bin_name].clone();
        let present = self.fresh();
        let frame = self.take_frame().with_column(&present, lit(true))?;
        let (lo, hi, t) = (self.fresh(), self.fresh(), self.fresh());
        let bin_ms = cast(col(bin_col.internal.as_str()), DataType::Int64);
        let span_ok = (col(hi.as_str()) - col(lo.as_str())).lt_eq(lit(MAX_FILLED_BINS * period));
        let stop = when(span_ok, col(hi.as_str()) + lit(period)).otherwise(col(lo.as_str()) + lit(period))?;
        let mut grid = frame
            .clone()
            .aggregate(vec![], vec![agg::min(bin_ms.clone()).alias(&lo), agg::max(bin_ms.clone()).alias(&hi)])?
            .filter(col(lo.as_str()).is_not_null())?
            .select(vec![datafusion::functions_nested::expr_fn::range(col(lo.as_str()), stop, lit(period)).alias(&t)])?
            .unnest_columns(&[t.as_str()])?;
        let mut on = vec![col(t.as_str()).eq(bin_ms)];
        let mut key_columns = vec![(bin_name.clone(), t.clone(), Kind::Time)];
        let others: Vec<(String, Column)> =
            keys.iter().filter(|(n, _)| *n != bin_name).map(|(n, _)| (n.clone(), self.scope[n].clone())).collect();
        if !others.is_empty() {
            let mut group = Vec::new();
            for (name, c) in &others {
                let alias = self.fresh();
                group.push(col(c.internal.as_str()).alias(&alias));
                on.push(binary_expr(col(alias.as_str()), Operator::IsNotDistinctFrom, col(c.internal.as_str())));
                key_columns.push((name.clone(), alias, c.kind));
            }
            let combos = frame.clone().aggregate(group, vec![])?;
            grid = grid.join_on(combos, JoinType::Inner, vec![])?;
        }
        self.frame = grid.join_on(frame, JoinType::Left, on)?;
        for (name, grid_col, kind) in key_columns {
            let c = self.scope[&name].clone();
            let value = if kind == Kind::Time {
                col(grid_col.as_str())
            } else {
                coalesce(vec![col(grid_col.as_str()), col(c.internal.as_str())])
            };
            self.define(&name, value, kind)?;
        }
        for (name, c) in resolved {
            if keys.iter().any(|(k, _)| *k == name) {
                continue;
            }
            let ty = self.column_type(&c.internal);
            let filled =
                when(col(present.as_str()).is_null(), fill.literal(&ty)).otherwise(col(c.internal.as_str()))?;
            self.define(&name, filled, c.kind)?;
        }
        // Rows in key order, as after the stats.
        let sort: Vec<SortExpr> =
            keys.iter().map(|(n, _)| col(self.scope[n].internal.as_str()).sort(true, false)).collect();
        self.default_sort = Some(sort);
        self.sorted = false;
        self.current_sort = None;
        Ok(())
    }

    /// `addtotals`: a per-row total column and/or a totals row at the bottom.
    pub(crate) fn addtotals(&mut self, options: &TotalsOptions, fields: &[FieldRef]) -> Result<()> {
        let mut summed: Vec<(String, Column)> = Vec::new();
        if fields.is_empty() {
            let shown = if self.explicit_output { self.output.clone() } else { Vec::new() };
            for name in shown {
                let is_key = self.aggregated && self.bin_periods.iter().any(|(k, _)| *k == name);
                if let Some(c) = self.scope.get(&name)
                    && matches!(c.kind, Kind::Num | Kind::Dyn)
                    && name != options.fieldname
                    && !is_key
                    && options.labelfield.as_deref() != Some(name.as_str())
                {
                    summed.push((name, c.clone()));
                }
            }
        } else {
            for f in fields {
                summed.push((f.name.clone(), self.field(f)?));
            }
        }
        if options.row {
            let numbers: Vec<Expr> = summed.iter().map(|(_, c)| to_num(col(c.internal.as_str()), c.kind)).collect();
            let total = if numbers.is_empty() {
                lit(ScalarValue::Float64(None))
            } else {
                let any = coalesce(numbers.clone());
                let sum =
                    numbers.into_iter().map(|n| coalesce(vec![n, lit(0.0)])).reduce(|a, b| a + b).unwrap_or(lit(0.0));
                when(any.is_null(), lit(ScalarValue::Float64(None))).otherwise(sum)?
            };
            self.define(&options.fieldname, total, Kind::Num)?;
            self.show(&options.fieldname);
            let c = self.scope[&options.fieldname].clone();
            summed.push((options.fieldname.clone(), c));
        }
        if !options.col {
            return Ok(());
        }
        if let Some(label_field) = &options.labelfield {
            if !self.scope.contains_key(label_field) {
                self.define(label_field, lit(ScalarValue::Utf8(None)), Kind::Str)?;
            }
            self.show(label_field);
        }
        let ord = self.fresh();
        let frame = self.take_frame().with_column(&ord, lit(0i64))?;
        let mut sums = Vec::new();
        let mut sum_of = std::collections::HashMap::new();
        for (_, c) in &summed {
            let alias = self.fresh();
            sums.push(agg::sum(to_num(col(c.internal.as_str()), c.kind)).alias(&alias));
            sum_of.insert(c.internal.clone(), alias);
        }
        let label_internal =
            options.labelfield.as_ref().and_then(|l| self.scope.get(l)).map(|c| (c.internal.clone(), c.kind));
        let totals = frame.clone().aggregate(vec![], sums)?;
        let mut select = Vec::new();
        for field in frame.schema().fields() {
            let name = field.name();
            let ty = field.data_type();
            let e = if name == &ord {
                lit(1i64)
            } else if let Some(alias) = sum_of.get(name) {
                if ty == &DataType::Utf8 {
                    num_text(col(alias.as_str()))
                } else {
                    cast(col(alias.as_str()), ty.clone())
                }
            } else if label_internal.as_ref().is_some_and(|(l, _)| l == name) {
                cast(lit(options.label.clone()), ty.clone())
            } else {
                cast(lit(ScalarValue::Null), ty.clone())
            };
            select.push(e.alias(name));
        }
        let totals = totals.select(select)?;
        self.frame = frame.union(totals)?;
        let mut order = vec![col(ord.as_str()).sort(true, false)];
        order.extend(self.current_order());
        self.frame = self.take_frame().sort(order.clone())?;
        self.sorted = true;
        self.current_sort = Some(order);
        Ok(())
    }

    /// `countFrequent f…`: the distinct value combinations with their count
    /// (`_approxcount`, exact in larch), most frequent first.
    pub(crate) fn count_frequent(&mut self, fields: &[FieldRef]) -> Result<()> {
        if self.stats_count == 0 {
            self.remember_matched()?;
        }
        let mut group = Vec::new();
        let mut outputs = Vec::new();
        for f in fields {
            let c = self.field(f)?;
            let internal = self.fresh();
            group.push(col(c.internal.as_str()).alias(&internal));
            outputs.push((f.name.clone(), Column { internal, kind: c.kind }));
        }
        let count = self.fresh();
        self.frame = self.take_frame().aggregate(group, vec![agg::count(lit(1i64)).alias(&count)])?;
        outputs.push(("_approxcount".to_string(), Column { internal: count.clone(), kind: Kind::Num }));
        let mut order = vec![col(count.as_str()).sort(false, false)];
        order.extend(outputs.iter().take(fields.len()).map(|(_, c)| col(c.internal.as_str()).sort(true, false)));
        self.frame = self.take_frame().sort(order.clone())?;
        self.aggregated = true;
        self.scope.clear();
        for (name, c) in &outputs {
            self.scope.insert(name.clone(), c.clone());
        }
        self.output = outputs.into_iter().map(|(n, _)| n).collect();
        self.explicit_output = true;
        self.sorted = true;
        self.current_sort = Some(order);
        self.default_sort = None;
        Ok(())
    }

    /// `sessionize f… [maxspan d] [as name]`: per key, events closer than `maxspan` to the
    /// previous one (by `@timestamp`) share a session; sessions are numbered 1, 2, … by
    /// their start time (then keys). Events with a null key get no session.
    pub(crate) fn sessionize(
        &mut self,
        fields: &[FieldRef],
        maxspan: Option<&Duration>,
        alias: Option<&Ident>,
        span: Span,
    ) -> Result<()> {
        if self.aggregated || !self.scope.contains_key("@timestamp") {
            return Err(self.malformed(span, "sessionize needs @timestamp: it cannot follow stats."));
        }
        let gap = match maxspan {
            None => 30 * 60_000,
            Some(d) => match d.millis() {
                Some(ms) => ms as i64,
                None => {
                    return Err(
                        self.malformed(span, "sessionize maxspan must be a fixed duration (ms, s, m, h, d, w).")
                    );
                }
            },
        };
        let ts = self.scope["@timestamp"].clone();
        let mut keys = Vec::new();
        let mut any_null: Option<Expr> = None;
        for f in fields {
            let c = self.field(f)?;
            let e = col(c.internal.as_str());
            any_null = Some(match any_null {
                None => e.clone().is_null(),
                Some(acc) => acc.or(e.clone().is_null()),
            });
            keys.push(e);
        }
        let ts_ms = cast(col(ts.internal.as_str()), DataType::Int64);
        let by_time = vec![ts_ms.clone().sort(true, false), col(cols::SEQ).sort(true, false)];
        let (prev, nth, start, id) = (self.fresh(), self.fresh(), self.fresh(), self.fresh());
        let lag = datafusion::functions_window::expr_fn::lag(ts_ms.clone(), Some(1), None)
            .partition_by(keys.clone())
            .order_by(by_time.clone())
            .build()?;
        let frame = self.take_frame().window(vec![lag.alias(&prev)])?;
        let new_session =
            when(col(prev.as_str()).is_null().or((ts_ms.clone() - col(prev.as_str())).gt(lit(gap))), lit(1i64))
                .otherwise(lit(0i64))?;
        let count = window_agg(datafusion::functions_aggregate::sum::sum_udaf(), vec![new_session])
            .partition_by(keys.clone())
            .order_by(by_time)
            .window_frame(running())
            .build()?;
        let frame = frame.window(vec![count.alias(&nth)])?;
        let mut session_keys = keys.clone();
        session_keys.push(col(nth.as_str()));
        let first = window_agg(datafusion::functions_aggregate::min_max::min_udaf(), vec![ts_ms])
            .partition_by(session_keys)
            .build()?;
        let frame = frame.window(vec![first.alias(&start)])?;
        // Events without a key get no session and do not use up a number.
        let mut numbering =
            vec![any_null.clone().unwrap_or(lit(false)).sort(true, false), col(start.as_str()).sort(true, false)];
        numbering.extend(keys.iter().map(|k| k.clone().sort(true, false)));
        numbering.push(col(nth.as_str()).sort(true, false));
        let rank = datafusion::functions_window::expr_fn::dense_rank().order_by(numbering).build()?;
        self.frame = frame.window(vec![rank.alias(&id)])?;
        let value = match any_null {
            Some(null) => when(null, lit(ScalarValue::UInt64(None))).otherwise(col(id.as_str()))?,
            None => col(id.as_str()),
        };
        let name = alias.map_or_else(|| "session_id".to_string(), |a| a.name.clone());
        self.define(&name, value, Kind::Num)?;
        self.show(&name);
        self.resort()
    }

    /// `outlier`: values above `Q3 + param × IQR` (and, with `uselower`, below
    /// `Q1 − param × IQR`) are clamped to that bound (`action=transform`, the default) or
    /// their rows dropped (`action=remove`). `mark=true` keeps every row and adds
    /// `isOutlier` (true when any listed field was an outlier).
    pub(crate) fn outlier(&mut self, options: &OutlierOptions, fields: &[FieldRef], span: Span) -> Result<()> {
        if fields.is_empty() {
            return Err(self.malformed(span, "outlier needs at least one field."));
        }
        let mut columns = Vec::new();
        for f in fields {
            columns.push((f.name.clone(), self.field(f)?));
        }
        let mut quartiles = Vec::new();
        let mut bounds = Vec::new();
        for (_, c) in &columns {
            let v = to_num(col(c.internal.as_str()), c.kind);
            let (q1, q3) = (self.fresh(), self.fresh());
            quartiles.push(agg::percentile_cont(v.clone().sort(true, false), lit(0.25)).alias(&q1));
            quartiles.push(agg::percentile_cont(v.sort(true, false), lit(0.75)).alias(&q3));
            bounds.push((q1, q3));
        }
        let stats = self.frame.clone().aggregate(vec![], quartiles)?;
        self.frame = self.take_frame().join_on(stats, JoinType::Inner, vec![])?;
        let mut any: Option<Expr> = None;
        let mut replaced = Vec::new();
        for ((name, c), (q1, q3)) in columns.iter().zip(bounds) {
            let v = to_num(col(c.internal.as_str()), c.kind);
            let iqr = col(q3.as_str()) - col(q1.as_str());
            let upper = col(q3.as_str()) + lit(options.param) * iqr.clone();
            let lower = col(q1.as_str()) - lit(options.param) * iqr;
            let high = v.clone().gt(upper.clone());
            let low = if options.uselower { v.clone().lt(lower.clone()) } else { lit(false) };
            let out = coalesce(vec![high.clone().or(low.clone()), lit(false)]);
            any = Some(match any {
                None => out,
                Some(acc) => acc.or(out),
            });
            if !options.remove {
                let (up, down, keep) = match c.kind {
                    Kind::Num => (upper, lower, v),
                    _ => (num_text(upper), num_text(lower), to_str(col(c.internal.as_str()), c.kind)),
                };
                let clamped = when(high, up).when(low, down).otherwise(keep)?;
                let kind = if c.kind == Kind::Num { Kind::Num } else { Kind::Dyn };
                replaced.push((name.clone(), clamped, kind));
            }
        }
        let any = any.unwrap_or(lit(false));
        if options.mark {
            self.define(OUTLIER_MARK, any.clone(), Kind::Bool)?;
            self.show(OUTLIER_MARK);
        } else if options.remove {
            self.frame = self.take_frame().filter(any.clone().not())?;
        }
        for (name, e, kind) in replaced {
            self.define(&name, e, kind)?;
        }
        self.resort()
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("cpu*", "cpu_user"));
        assert!(glob_match("cpu*", "cpu"));
        assert!(!glob_match("cpu*", "xcpu"));
        assert!(glob_match("*_ms", "latency_ms"));
        assert!(glob_match("a*b*c", "a-x-b-y-c"));
        assert!(!glob_match("a*b*c", "a-x-c"));
        assert!(glob_match("host", "host"));
        assert!(!glob_match("host", "hostname"));
    }
}
