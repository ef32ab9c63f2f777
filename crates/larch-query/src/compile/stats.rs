//! `stats`: aggregates (possibly inside arithmetic, like `sum(bytes)/1024`) grouped by keys.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::{Expr, cast, col, lit};
use larch_insights::{ExprKind, Span, Stats};

use super::expr::literal_number;
use super::kind::{Kind, to_num};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;
use crate::udf::{CountDistinctText, HistogramUdf, udf};

impl Compiler<'_> {
    pub(crate) fn stats(&mut self, stats: &Stats, span: Span) -> Result<()> {
        if stats.offset.is_some() {
            return Err(self.malformed(span, "stats ... offset is not supported by larch yet."));
        }
        if self.stats_count == 0 {
            // The matched rows are the input of the first stats, even after a `limit`.
            self.matched = None;
            self.remember_matched()?;
        }
        self.stats_count += 1;

        // Group keys.
        let mut group_exprs = Vec::new();
        let mut outputs: Vec<(String, Column)> = Vec::new();
        for p in &stats.by {
            let (e, k) = self.expr(&p.expr)?;
            let internal = self.fresh();
            group_exprs.push(e.alias(&internal));
            outputs.push((p.output_name(self.query), Column { internal, kind: k }));
        }

        // Every aggregate call becomes an aggregate column; the expressions around them are
        // computed after the aggregation.
        let mut agg_exprs = Vec::new();
        self.agg_refs.clear();
        let mut posts: Vec<(String, Expr)> = Vec::new();
        // The `bin()` period of the grouping, for `rate()`.
        let bin_ms = stats.by.iter().find_map(|p| match &p.expr.kind {
            ExprKind::Call { name: "bin", args, .. } => match args.first().map(|a| &a.kind) {
                Some(ExprKind::Duration(d)) => d.bin_millis().map(|ms| ms.max(1) as i64),
                _ => None,
            },
            _ => None,
        });
        for p in &stats.aggregations {
            let mut calls = Vec::new();
            collect_aggregates(&p.expr, &mut calls);
            for call in calls {
                let key = (call.span.start, call.span.end);
                if self.agg_refs.contains_key(&key) {
                    continue;
                }
                let (e, k, post) = self.aggregate(call, bin_ms)?;
                let internal = self.fresh();
                agg_exprs.push(e.alias(&internal));
                let internal = match post {
                    Some(post) => {
                        let finished = self.fresh();
                        posts.push((finished.clone(), post.apply(col(internal.as_str()))));
                        finished
                    }
                    None => internal,
                };
                self.agg_refs.insert(key, Column { internal, kind: k });
            }
        }
        let mut frame = self.take_frame().aggregate(group_exprs, agg_exprs)?;
        for (name, e) in posts {
            frame = frame.with_column(&name, e)?;
        }
        self.frame = frame;
        // Switch scope to the aggregate's columns, then evaluate the outer expressions.
        self.aggregated = true;
        self.scope.clear();
        // Fields only shown before stats are gone with the rows they would have been shown for.
        self.lazy.clear();
        for (name, column) in &outputs {
            self.scope.insert(name.clone(), column.clone());
        }
        let mut select: Vec<Expr> = outputs.iter().map(|(_, c)| col(c.internal.as_str())).collect();
        let mut agg_outputs = Vec::new();
        for p in &stats.aggregations {
            // One column at a time: a later aggregation may use an earlier one's alias
            // (`max(a) as hi, min(a) as lo, hi - lo as d`).
            let (e, k) = self.expr(&p.expr)?;
            let internal = self.fresh();
            self.frame = self.take_frame().with_column(&internal, e)?;
            select.push(col(internal.as_str()));
            let column = Column { internal, kind: k };
            if let Some(alias) = &p.alias {
                self.scope.insert(alias.name.clone(), column.clone());
            }
            agg_outputs.push((p.output_name(self.query), column));
        }
        self.frame = self.take_frame().select(select)?;
        self.agg_refs.clear();
        for (name, column) in agg_outputs {
            outputs.push((name.clone(), column.clone()));
            self.scope.insert(name, column);
        }
        self.default_sort = Some(
            outputs.iter().take(stats.by.len()).map(|(_, c)| col(c.internal.as_str()).sort(true, false)).collect(),
        );
        self.output = outputs.iter().map(|(n, _)| n.clone()).collect();
        self.explicit_output = true;
        self.sorted = false;
        Ok(())
    }

    /// An aggregate call: the aggregate expression, its kind, and a step applied to the
    /// aggregate's column afterwards (DataFusion wants bare aggregates in the aggregation).
    fn aggregate(&mut self, call: &larch_insights::Expr, bin_ms: Option<i64>) -> Result<(Expr, Kind, Option<Post>)> {
        let ExprKind::Call { name, args, name_span, .. } = &call.kind else {
            return Err(self.malformed(call.span, "expected an aggregate function"));
        };
        let star = args.is_empty() || matches!(args[0].kind, ExprKind::Star);
        if *name == "count" && star {
            return Ok((agg::count(lit(1i64)), Kind::Num, None));
        }
        let (value, kind) = self.expr(&args[0])?;
        let out = match *name {
            "count" => (agg::count(value), Kind::Num),
            // Text (and discovered values, shown as text) by 128-bit hashes; see CountDistinctText.
            "count_distinct" if matches!(kind, Kind::Str | Kind::Dyn) => {
                // Plain Utf8 whatever string type the expression has (a no-op cast is dropped).
                let text = cast(value, DataType::Utf8);
                (AggregateUDF::new_from_impl(CountDistinctText::default()).call(vec![text]), Kind::Num)
            }
            "count_distinct" => (agg::count_distinct(value), Kind::Num),
            "sum" => (agg::sum(to_num(value, kind)), Kind::Num),
            "avg" => (agg::avg(to_num(value, kind)), Kind::Num),
            "min" | "max" => {
                let (v, k) = match kind {
                    Kind::Time => (value, Kind::Time),
                    Kind::Str => (value, Kind::Str),
                    other => (to_num(value, other), Kind::Num),
                };
                (if *name == "min" { agg::min(v) } else { agg::max(v) }, k)
            }
            "sortsFirst" => (agg::min(value), kind),
            "sortsLast" => (agg::max(value), kind),
            "stddev" => (agg::stddev(to_num(value, kind)), Kind::Num),
            "pct" => {
                let Some(p) = args.get(1).and_then(literal_number).filter(|p| (0.0..=100.0).contains(p)) else {
                    return Err(self.malformed(call.span, "pct() needs a literal percentile between 0 and 100."));
                };
                let v = to_num(value, kind);
                (agg::percentile_cont(v.sort(true, false), lit(p / 100.0)), Kind::Num)
            }
            "earliest" | "latest" => {
                let order = vec![col(cols::TS).sort(true, false), col(cols::SEQ).sort(true, false)];
                let e =
                    if *name == "earliest" { agg::first_value(value, order) } else { agg::last_value(value, order) };
                (e, kind)
            }
            "histogram" => {
                // histogram(f[, buckets]): buckets default 10, a literal 1..=1000.
                let buckets = match args.get(1) {
                    None => 10.0,
                    Some(a) => match literal_number(a) {
                        Some(n) if n >= 1.0 && n <= crate::udf::histogram_max_buckets() as f64 && n.fract() == 0.0 => n,
                        _ => {
                            return Err(
                                self.malformed(a.span, "histogram() needs a literal bucket count between 1 and 1000.")
                            );
                        }
                    },
                };
                return Ok((agg::array_agg(to_num(value, kind)), Kind::Dyn, Some(Post::Histogram(buckets))));
            }
            "count_over_time" => (agg::count(value), Kind::Num),
            "sum_over_time" => (agg::sum(to_num(value, kind)), Kind::Num),
            "rate" => {
                // Sum per `interval` (default 1s) over the group's time span: the `bin()`
                // period when grouping by one, else the query's time range.
                let interval_ms = match args.get(1).map(|a| &a.kind) {
                    None => 1000,
                    Some(ExprKind::Duration(d)) => match d.millis() {
                        Some(ms) if ms > 0 => ms as i64,
                        _ => {
                            return Err(self.malformed(args[1].span, "rate() needs a fixed time period such as 1m."));
                        }
                    },
                    Some(_) => {
                        return Err(self.malformed(args[1].span, "rate() needs a time period such as 1m."));
                    }
                };
                let span_ms = match bin_ms {
                    Some(ms) => ms,
                    None => {
                        self.window_dependent = true;
                        self.params.end_ms.saturating_sub(self.params.start_ms).saturating_add(1).max(1)
                    }
                };
                let intervals = span_ms as f64 / interval_ms as f64;
                return Ok((agg::sum(to_num(value, kind)), Kind::Num, Some(Post::Divide(intervals))));
            }
            other => {
                return Err(self
                    .malformed(*name_span, format!("The aggregate function {other} is not supported by larch yet.")));
            }
        };
        Ok((out.0, out.1, None))
    }
}

/// Work left after an aggregate.
enum Post {
    /// `rate`: the sum divided by the number of intervals in the span.
    Divide(f64),
    /// `histogram`: the collected values into a bucket map.
    Histogram(f64),
}

impl Post {
    fn apply(self, e: Expr) -> Expr {
        match self {
            Post::Divide(n) => cast(e, DataType::Float64) / lit(n),
            Post::Histogram(buckets) => udf(HistogramUdf::default()).call(vec![e, lit(buckets)]),
        }
    }
}

/// Aggregate calls inside an expression, outermost first.
fn collect_aggregates<'a>(e: &'a larch_insights::Expr, out: &mut Vec<&'a larch_insights::Expr>) {
    match &e.kind {
        ExprKind::Call { func, args, .. } => {
            if func.is_aggregate() {
                out.push(e);
                return;
            }
            for a in args {
                collect_aggregates(a, out);
            }
        }
        ExprKind::Unary { expr, .. } => collect_aggregates(expr, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_aggregates(lhs, out);
            collect_aggregates(rhs, out);
        }
        _ => {}
    }
}
