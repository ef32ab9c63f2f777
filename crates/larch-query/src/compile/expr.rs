//! Expressions: field resolution (with on-demand discovery), operators with Insights'
//! coercions, `in`, `like`.

use std::ops::Not;

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{Expr, cast, col, ident, in_list, lit};
use larch_insights::{BinaryOp, ExprKind, FieldRef, LikePattern, Number, UnaryOp};

use super::kind::{Kind, to_bool, to_millis, to_num, to_str};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;
use crate::udf::{FieldUdf, RegexMatchUdf, ToNumberUdf, udf};

/// Lambda fields that are numbers (ms or bytes).
const NUMERIC_DISCOVERED: [&str; 5] =
    ["@duration", "@billedDuration", "@memorySize", "@maxMemoryUsed", "@initDuration"];

impl Compiler<'_> {
    /// Resolves a field, discovering it from `@message` on first use.
    pub(crate) fn field(&mut self, f: &FieldRef) -> Result<Column> {
        if let Some(c) = self.scope.get(&f.name).cloned() {
            self.materialize(&c.internal)?;
            return Ok(c);
        }
        if let Some(c) = self.member_field(f)? {
            return Ok(c); // `m.key` of a map/list field (compile/structured.rs)
        }
        if self.aggregated {
            return Err(self.malformed(f.span, format!("Unknown symbols found in or after stats: {}", f.name)));
        }
        if f.name == "@ptr" {
            return Err(self.malformed(f.span, "@ptr can only be returned, not used in expressions."));
        }
        let (expr, kind) = self.discovered(&f.name);
        self.define(&f.name, expr, kind)?;
        Ok(self.scope[&f.name].clone())
    }

    /// The value of discovered field `name` of the base relation's rows.
    fn discovered(&self, name: &str) -> (Expr, Kind) {
        // Segments may store the field as a column (larch-storage `field_columns`); the base
        // relation then offers it, equal row by row to discovering it from the message.
        let stored = crate::field_columns::internal(name);
        let discovered = if self.frame.schema().has_column_with_unqualified_name(&stored) {
            ident(stored)
        } else {
            udf(FieldUdf::default()).call(vec![col(cols::MSG), lit(name.to_string())])
        };
        if NUMERIC_DISCOVERED.contains(&name) {
            (udf(ToNumberUdf::default()).call(vec![discovered]), Kind::Num)
        } else {
            (discovered, Kind::Dyn)
        }
    }

    /// The base relation's term column answering `value like pattern`, when `value` is the
    /// original `@message` and the pattern is a substring (or a regex without metacharacters)
    /// the segments record per row (larch-storage `term_columns`): the same truth value as
    /// searching the message, without reading it.
    fn term_column(&self, value: &Expr, pattern: &LikePattern) -> Option<Expr> {
        if *value != col(cols::MSG) {
            return None;
        }
        let term = match pattern {
            LikePattern::Substring(s) => s.as_str(),
            LikePattern::Regex(r) if r.pattern.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') => {
                r.pattern.as_str()
            }
            LikePattern::Regex(_) => return None,
        };
        let column = crate::term_columns::internal(term);
        self.frame.schema().has_column_with_unqualified_name(&column).then(|| ident(column))
    }

    /// Resolves a field that is only shown (`fields x`, `display x`) without computing it: a
    /// discovered field stays *lazy* and is computed at the end, after the final `limit`, so a
    /// top-k query parses only the rows it returns. Any other use materializes it first.
    /// Returns `false` when `f` is not a field that can stay lazy (it was not resolved).
    pub(crate) fn output_field(&mut self, f: &FieldRef) -> Result<bool> {
        if let Some(c) = self.scope.get(&f.name) {
            return Ok(self.lazy.contains_key(&c.internal));
        }
        let member_of_scoped = (1..f.segments.len()).any(|k| self.scope.contains_key(&f.segments[..k].join(".")));
        if self.aggregated || f.name == "@ptr" || member_of_scoped {
            return Ok(false);
        }
        let (expr, kind) = self.discovered(&f.name);
        let internal = self.fresh();
        self.lazy.insert(internal.clone(), expr);
        self.scope.insert(f.name.clone(), Column { internal, kind });
        Ok(true)
    }

    /// Computes a lazy column now (see [`Self::output_field`]).
    pub(crate) fn materialize(&mut self, internal: &str) -> Result<()> {
        if let Some(expr) = self.lazy.remove(internal) {
            self.frame = self.take_frame().with_column(internal, expr)?;
        }
        Ok(())
    }

    /// Computes every lazy column now: before commands that read fields in other ways than
    /// through expressions.
    pub(crate) fn materialize_all(&mut self) -> Result<()> {
        let mut pending: Vec<String> = self.lazy.keys().cloned().collect();
        pending.sort();
        for internal in pending {
            self.materialize(&internal)?;
        }
        Ok(())
    }

    pub(crate) fn expr(&mut self, e: &larch_insights::Expr) -> Result<(Expr, Kind)> {
        match &e.kind {
            ExprKind::Field(f) => {
                let c = self.field(f)?;
                Ok((col(c.internal.as_str()), c.kind))
            }
            ExprKind::Str(s) => Ok((lit(s.clone()), Kind::Str)),
            ExprKind::Num(n) => Ok((lit(n.as_f64()), Kind::Num)),
            ExprKind::Bool(b) => Ok((lit(*b), Kind::Bool)),
            ExprKind::Unary { op: UnaryOp::Neg, expr } => {
                let (v, k) = self.expr(expr)?;
                Ok((lit(0.0) - to_num(v, k), Kind::Num))
            }
            ExprKind::Unary { op: UnaryOp::Not, expr } => {
                let (v, k) = self.expr(expr)?;
                Ok((to_bool(v, k).not(), Kind::Bool))
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::In { expr, list, negated } => self.in_list(expr, list, *negated),
            ExprKind::Like { expr, pattern, negated } => {
                let (v, k) = self.expr(expr)?;
                if let Some(term) = self.term_column(&v, pattern) {
                    return Ok((if *negated { term.not() } else { term }, Kind::Bool));
                }
                let text = to_str(v, k);
                let test = match pattern {
                    LikePattern::Substring(s) => {
                        datafusion::functions::expr_fn::strpos(text, lit(s.clone())).gt(lit(0i32))
                    }
                    LikePattern::Regex(r) => {
                        if let Err(err) = crate::udf::compile(&r.pattern) {
                            return Err(self.malformed(r.span, format!("Invalid regular expression: {err}")));
                        }
                        udf(RegexMatchUdf::default()).call(vec![text, lit(r.pattern.clone())])
                    }
                };
                Ok((if *negated { test.not() } else { test }, Kind::Bool))
            }
            ExprKind::Call { name, func, args, name_span } => {
                if func.is_aggregate() {
                    if let Some(c) = self.agg_refs.get(&(e.span.start, e.span.end)) {
                        return Ok((col(c.internal.as_str()), c.kind));
                    }
                    return Err(
                        self.malformed(*name_span, format!("The aggregate function {name} can only be used in stats."))
                    );
                }
                self.call(name, args, *name_span, e.span)
            }
            ExprKind::Duration(_) | ExprKind::Regex(_) | ExprKind::Star => {
                Err(self.malformed(e.span, "This literal can only be used as a function argument."))
            }
            ExprKind::Member { base, key } => {
                let (b, bk) = self.expr(base)?;
                Ok((
                    super::functions::scalar(crate::udf::Op::JsonGet, vec![to_str(b, bk), lit(key.clone())]),
                    Kind::Dyn,
                ))
            }
            ExprKind::Index { base, index } => {
                let (b, bk) = self.expr(base)?;
                let (i, ik) = self.expr(index)?;
                Ok((super::functions::scalar(crate::udf::Op::JsonGet, vec![to_str(b, bk), to_str(i, ik)]), Kind::Dyn))
            }
            ExprKind::InSubquery { .. } => {
                Err(self.malformed(e.span, "This expression is not supported by larch yet."))
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &larch_insights::Expr, rhs: &larch_insights::Expr) -> Result<(Expr, Kind)> {
        let (l, lk) = self.expr(lhs)?;
        let (r, rk) = self.expr(rhs)?;
        use BinaryOp::*;
        match op {
            And => Ok((to_bool(l, lk).and(to_bool(r, rk)), Kind::Bool)),
            Or => Ok((to_bool(l, lk).or(to_bool(r, rk)), Kind::Bool)),
            Add | Sub | Mul | Div | Mod | Pow => {
                let (l, r) = (to_num(l, lk), to_num(r, rk));
                let e = match op {
                    Add => l + r,
                    Sub => l - r,
                    Mul => l * r,
                    Div => l / r,
                    Mod => l % r,
                    _ => datafusion::functions::expr_fn::power(l, r),
                };
                Ok((e, Kind::Num))
            }
            Eq | Ne | Lt | Le | Gt | Ge => {
                let compare = |l: Expr, r: Expr| match op {
                    Eq => l.eq(r),
                    Ne => l.not_eq(r),
                    Lt => l.lt(r),
                    Le => l.lt_eq(r),
                    Gt => l.gt(r),
                    _ => l.gt_eq(r),
                };
                if lk == Kind::Dyn && rk == Kind::Dyn {
                    // Two discovered values (JSON numbers are text here): numerically when both
                    // are numbers, else as text.
                    let (ln, rn) = (to_num(l.clone(), lk), to_num(r.clone(), rk));
                    let both = ln.clone().is_not_null().and(rn.clone().is_not_null());
                    let e = datafusion::prelude::when(both, compare(ln, rn)).otherwise(compare(l, r))?;
                    return Ok((e, Kind::Bool));
                }
                let (l, r) = comparable(l, lk, r, rk);
                Ok((compare(l, r), Kind::Bool))
            }
        }
    }

    fn in_list(
        &mut self,
        expr: &larch_insights::Expr,
        list: &[larch_insights::Expr],
        negated: bool,
    ) -> Result<(Expr, Kind)> {
        let (v, k) = self.expr(expr)?;
        let mut items = Vec::new();
        for item in list {
            items.push(self.expr(item)?);
        }
        let numeric =
            k == Kind::Num || k == Kind::Time || (k == Kind::Dyn && items.iter().all(|(_, ik)| *ik == Kind::Num));
        let (value, values): (Expr, Vec<Expr>) = if numeric {
            (to_num(v, k), items.into_iter().map(|(e, ik)| to_num(e, ik)).collect())
        } else {
            (to_str(v, k), items.into_iter().map(|(e, ik)| to_str(e, ik)).collect())
        };
        Ok((in_list(value, values, negated), Kind::Bool))
    }
}

/// Brings two operands of a comparison to one type, the way Insights compares: timestamps as
/// epoch ms, numbers numerically when either side is a number, otherwise as text.
fn comparable(l: Expr, lk: Kind, r: Expr, rk: Kind) -> (Expr, Expr) {
    use Kind::*;
    match (lk, rk) {
        (Time, _) | (_, Time) => (to_millis(l, lk), to_millis(r, rk)),
        (Num, _) | (_, Num) => (to_num(l, lk), to_num(r, rk)),
        (Bool, Bool) => (l, r),
        (Bool, _) | (_, Bool) => (to_str(l, lk), to_str(r, rk)),
        _ => (to_str(l, lk), to_str(r, rk)),
    }
}

/// A numeric literal as f64 (helper for functions taking literal numbers).
pub(crate) fn literal_number(e: &larch_insights::Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Num(Number::Int(i)) => Some(*i as f64),
        ExprKind::Num(Number::Float(f)) => Some(*f),
        ExprKind::Unary { op: UnaryOp::Neg, expr } => literal_number(expr).map(|v| -v),
        _ => None,
    }
}

/// Int64 epoch-ms expression floored to a multiple of `period_ms`.
pub(crate) fn floor_millis(ms: Expr, period_ms: i64) -> Expr {
    let p = lit(period_ms);
    let q = cast(ms, DataType::Int64);
    // Euclidean floor so that times before 1970 also round down.
    q.clone() - ((q % p.clone()) + p.clone()) % p
}
