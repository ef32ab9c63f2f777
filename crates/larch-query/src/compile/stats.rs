//! `stats`: aggregates (possibly inside arithmetic, like `sum(bytes)/1024`) grouped by keys.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::prelude::{Expr, cast, col, lit};
use larch_insights::{ExprKind, Span, Stats};

use super::expr::literal_number;
use super::kind::{Kind, to_num};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;

impl Compiler<'_> {
    pub(crate) fn stats(&mut self, stats: &Stats, span: Span) -> Result<()> {
        if stats.offset.is_some() {
            return Err(self.malformed(span, "stats ... offset is not supported by larch yet."));
        }
        if self.stats_count == 0 {
            self.matched = Some(self.frame.clone());
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
        for p in &stats.aggregations {
            let mut calls = Vec::new();
            collect_aggregates(&p.expr, &mut calls);
            for call in calls {
                let key = (call.span.start, call.span.end);
                if self.agg_refs.contains_key(&key) {
                    continue;
                }
                let (e, k) = self.aggregate(call)?;
                let internal = self.fresh();
                agg_exprs.push(e.alias(&internal));
                self.agg_refs.insert(key, Column { internal, kind: k });
            }
        }
        let frame = self.take_frame().aggregate(group_exprs, agg_exprs)?;
        self.frame = frame;
        // Switch scope to the aggregate's columns, then evaluate the outer expressions.
        self.aggregated = true;
        self.scope.clear();
        for (name, column) in &outputs {
            self.scope.insert(name.clone(), column.clone());
        }
        let mut select: Vec<Expr> = outputs.iter().map(|(_, c)| col(c.internal.as_str())).collect();
        let mut agg_outputs = Vec::new();
        for p in &stats.aggregations {
            let (e, k) = self.expr(&p.expr)?;
            let internal = self.fresh();
            select.push(e.alias(&internal));
            agg_outputs.push((p.output_name(self.query), Column { internal, kind: k }));
        }
        self.frame = self.take_frame().select(select)?;
        self.agg_refs.clear();
        for (name, column) in agg_outputs {
            outputs.push((name.clone(), column.clone()));
            self.scope.insert(name, column);
        }
        self.default_sort = Some(outputs.iter().take(stats.by.len()).map(|(_, c)| col(c.internal.as_str()).sort(true, false)).collect());
        self.output = outputs.iter().map(|(n, _)| n.clone()).collect();
        self.explicit_output = true;
        self.sorted = false;
        Ok(())
    }

    fn aggregate(&mut self, call: &larch_insights::Expr) -> Result<(Expr, Kind)> {
        let ExprKind::Call { name, args, name_span, .. } = &call.kind else {
            return Err(self.malformed(call.span, "expected an aggregate function"));
        };
        let star = args.is_empty() || matches!(args[0].kind, ExprKind::Star);
        if *name == "count" && star {
            return Ok((agg::count(lit(1i64)), Kind::Num));
        }
        let (value, kind) = self.expr(&args[0])?;
        let out = match *name {
            "count" => (agg::count(value), Kind::Num),
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
                let e = if *name == "earliest" { agg::first_value(value, order) } else { agg::last_value(value, order) };
                (e, kind)
            }
            other => return Err(self.malformed(*name_span, format!("The aggregate function {other} is not supported by larch yet."))),
        };
        Ok(out)
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

#[allow(dead_code)]
fn as_float(e: Expr) -> Expr {
    cast(e, DataType::Float64)
}
