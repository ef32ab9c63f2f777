//! One method per Insights command.

use std::ops::Not;

use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{Expr, col, lit};
use larch_insights::{Command, CommandKind, ExprKind, ParseMode, SortOrder};

use super::kind::{Kind, to_bool, to_num, to_str};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;
use crate::udf::{CaptureItemUdf, CapturesUdf, translate_regex, udf};

impl Compiler<'_> {
    pub(crate) fn command(&mut self, command: &Command) -> Result<()> {
        // Commands that resolve fields only through expressions (or just show them) leave lazy
        // fields lazy; every other command sees them computed.
        let keeps_lazy = matches!(
            command.kind,
            CommandKind::Fields(_)
                | CommandKind::Display(_)
                | CommandKind::Filter(_)
                | CommandKind::Sort(_)
                | CommandKind::Limit { .. }
                | CommandKind::Head(_)
                | CommandKind::Stats(_)
        );
        if !keeps_lazy {
            self.materialize_all()?;
        }
        match &command.kind {
            CommandKind::Fields(projections) => {
                for p in projections {
                    let name = p.output_name(self.query);
                    if let ExprKind::Field(f) = &p.expr.kind
                        && p.alias.is_none()
                        && f.name == name
                        && self.output_field(f)?
                    {
                        self.add_output(&name);
                        continue;
                    }
                    let (expr, kind) = self.expr(&p.expr)?;
                    self.define(&name, expr, kind)?;
                    self.add_output(&name);
                }
                self.explicit_output = true;
                Ok(())
            }
            CommandKind::Display(fields) => {
                let mut names = Vec::new();
                for f in fields {
                    if !self.output_field(f)? {
                        self.field(f)?;
                    }
                    names.push(f.name.clone());
                }
                self.output = names;
                self.explicit_output = true;
                Ok(())
            }
            CommandKind::Filter(e) => {
                let (expr, kind) = self.expr(e)?;
                self.frame = self.take_frame().filter(to_bool(expr, kind))?;
                Ok(())
            }
            CommandKind::Stats(stats) => {
                self.note_bin_periods(stats);
                self.stats(stats, command.span)
            }
            CommandKind::Sort(keys) => {
                let mut sort = Vec::new();
                for key in keys {
                    let (expr, kind) = self.expr(&key.expr)?;
                    let asc = key.order == SortOrder::Asc;
                    if kind == Kind::Dyn {
                        // Natural order for discovered values: text before numbers, numbers
                        // numerically, text by code point.
                        let number = to_num(expr.clone(), Kind::Dyn);
                        sort.push(expr.clone().is_null().sort(true, false)); // missing values last
                        sort.push(number.clone().is_not_null().sort(asc, false));
                        sort.push(number.sort(asc, false));
                    }
                    sort.push(expr.sort(asc, false));
                }
                if !self.aggregated {
                    // Ties keep the default order (newest first), so that row-order commands
                    // (accum, autoregress, tail, ...) see a deterministic order.
                    sort.extend(self.default_row_order());
                }
                self.frame = self.take_frame().sort(sort.clone())?;
                self.sorted = true;
                self.current_sort = Some(sort);
                Ok(())
            }
            CommandKind::Limit { n, .. } | CommandKind::Head(n) => {
                self.apply_default_order()?;
                self.remember_matched()?;
                let n = *n as usize;
                self.limit = Some(self.limit.map_or(n, |l| l.min(n)));
                self.frame = self.take_frame().limit(0, Some(n))?;
                Ok(())
            }
            CommandKind::Parse(parse) => self.parse(parse),
            CommandKind::Dedup(fields) => {
                self.apply_default_order()?;
                self.remember_matched()?;
                self.dedup(fields)
            }
            CommandKind::Tail(n) => {
                self.apply_default_order()?;
                self.remember_matched()?;
                self.tail(*n as usize)
            }
            CommandKind::FilterIndex(e) => {
                // No field indexes yet: an exact filter over every selected log group.
                let (expr, kind) = self.expr(e)?;
                self.frame = self.take_frame().filter(to_bool(expr, kind))?;
                Ok(())
            }
            CommandKind::Unnest { field, alias } => self.unnest(field, &alias.name, command.span),
            CommandKind::Expand { field } => self.unnest(field, &field.name.clone(), command.span),
            CommandKind::Lookup { table, keys, mode, outputs } => self.lookup(table, keys, *mode, outputs),
            CommandKind::Pattern(e) => self.pattern(e, command.span),
            CommandKind::Diff(_) => self.diff(command.span),
            CommandKind::Accum { field, alias } => {
                self.apply_default_order()?;
                self.accum(field, alias.as_ref())
            }
            CommandKind::Autoregress { field, alias, lags } => {
                self.apply_default_order()?;
                self.autoregress(field, alias.as_ref(), *lags, command.span)
            }
            CommandKind::Filldown { fields } => {
                self.apply_default_order()?;
                self.filldown(fields)
            }
            CommandKind::Fillmissing { value, fields } => self.fillmissing(value, fields),
            CommandKind::AddTotals { row, col, fieldname, labelfield, label, fields } => {
                self.apply_default_order()?;
                let options = super::analytics::TotalsOptions {
                    row: row.unwrap_or(true),
                    col: col.unwrap_or(false),
                    fieldname: fieldname.clone().unwrap_or_else(|| "Total".into()),
                    labelfield: labelfield.clone(),
                    label: label.clone().unwrap_or_else(|| "Total".into()),
                };
                self.addtotals(&options, fields)
            }
            CommandKind::CountFrequent(fields) => self.count_frequent(fields),
            CommandKind::Sessionize { fields, maxspan, alias } => {
                self.sessionize(fields, maxspan.as_ref(), alias.as_ref(), command.span)
            }
            CommandKind::Outlier { action, param, uselower, mark, fields } => {
                let options = super::analytics::OutlierOptions {
                    remove: *action == Some(larch_insights::OutlierAction::Remove),
                    param: param.unwrap_or(2.5),
                    uselower: uselower.unwrap_or(false),
                    mark: mark.unwrap_or(false),
                };
                self.outlier(&options, fields, command.span)
            }
            other => {
                Err(self
                    .malformed(command.span, format!("The {} command is not supported by larch yet.", other.name())))
            }
        }
    }

    /// Adds (or replaces) a named column.
    pub(crate) fn define(&mut self, name: &str, expr: Expr, kind: Kind) -> Result<()> {
        let internal = self.fresh();
        self.frame = self.take_frame().with_column(&internal, expr)?;
        self.scope.insert(name.to_string(), Column { internal, kind });
        Ok(())
    }

    /// Non-aggregated rows are newest first unless the query sorted them; commands that depend
    /// on row order (limit, dedup) see that order.
    pub(crate) fn apply_default_order(&mut self) -> Result<()> {
        if self.sorted {
            return Ok(());
        }
        let sort =
            if self.aggregated { self.default_sort.take().unwrap_or_default() } else { self.default_row_order() };
        if !sort.is_empty() {
            self.frame = self.take_frame().sort(sort.clone())?;
        }
        self.sorted = true;
        self.current_sort = Some(sort);
        Ok(())
    }

    fn parse(&mut self, parse: &larch_insights::Parse) -> Result<()> {
        let source = self.field(&parse.field)?;
        let text = to_str(col(source.internal.as_str()), source.kind);
        let (regex, names): (String, Vec<String>) = match &parse.mode {
            ParseMode::Glob { pattern, aliases, .. } => {
                (glob_to_regex(pattern), aliases.iter().map(|a| a.name.clone()).collect())
            }
            ParseMode::Regex { regex, multi: false } => {
                if let Err(e) = crate::udf::compile(&regex.pattern) {
                    return Err(self.malformed(regex.span, format!("Invalid regular expression: {e}")));
                }
                (regex.pattern.clone(), regex.named_groups())
            }
            ParseMode::Regex { regex, multi: true } => return self.parse_multi(&text, regex),
            ParseMode::Logfmt { alias } => return self.parse_logfmt(&text, &alias.name),
            ParseMode::Csv { aliases } => return self.parse_csv(&text, aliases),
        };
        // Both forms become named groups g0, g1, ... after translation. The regex runs once
        // per row into a hidden list column; each field takes its element. (Not a struct: the
        // optimizer moves struct field access towards the scan, which would run the regex
        // once per field.)
        let translated = translate_regex(&regex);
        let captures = self.fresh();
        let all = udf(CapturesUdf::default()).call(vec![text, lit(translated), lit(names.len() as i64)]);
        self.frame = self.take_frame().with_column(&captures, all)?;
        for (i, name) in names.iter().enumerate() {
            let element = udf(CaptureItemUdf::default()).call(vec![col(captures.as_str()), lit(i as i64)]);
            self.define(name, element, Kind::Dyn)?;
        }
        Ok(())
    }

    fn dedup(&mut self, fields: &[larch_insights::FieldRef]) -> Result<()> {
        // Keep the first row per key in the current order; rows with a null key are kept.
        let mut keys = Vec::new();
        let mut not_null = None::<Expr>;
        for f in fields {
            let c = self.field(f)?;
            let e = col(c.internal.as_str());
            not_null = Some(match not_null {
                None => e.clone().is_not_null(),
                Some(acc) => acc.and(e.clone().is_not_null()),
            });
            keys.push(e);
        }
        let rank = self.fresh();
        let order = self.current_order();
        let row_number =
            datafusion::functions_window::expr_fn::row_number().partition_by(keys).order_by(order.clone()).build()?;
        let frame = self.take_frame().window(vec![row_number.alias(&rank)])?;
        let keep = col(rank.as_str()).eq(lit(1u64)).or(not_null.map(|e| e.not()).unwrap_or(lit(false)));
        let frame = frame.filter(keep)?;
        // The window does not keep the row order: restore it.
        self.frame = if order.is_empty() { frame } else { frame.sort(order)? };
        Ok(())
    }

    /// Newest first, then ingest order; rows split from one event (`parse … multi`,
    /// `unnest`, `expand`) in element order.
    pub(crate) fn default_row_order(&self) -> Vec<datafusion::logical_expr::SortExpr> {
        let mut order = vec![col(cols::TS).sort(false, false), col(cols::SEQ).sort(false, false)];
        if self.frame.schema().has_column_with_unqualified_name(super::structured::SUB_ROW) {
            order.push(col(super::structured::SUB_ROW).sort(true, false));
        }
        order
    }

    /// The order rows currently have, as sort expressions (for window functions).
    pub(crate) fn current_order(&self) -> Vec<datafusion::logical_expr::SortExpr> {
        if self.sorted
            && let Some(sort) = &self.current_sort
        {
            return sort.clone();
        }
        if self.aggregated {
            return self.default_sort.clone().unwrap_or_default();
        }
        self.default_row_order()
    }
}

/// A glob (`*` = capture) as a regex: literal text escaped, `*` lazy except the last, which
/// takes the rest of the line.
pub fn glob_to_regex(glob: &str) -> String {
    let parts: Vec<&str> = glob.split('*').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        out.push_str(&regex::escape(part));
        if i + 1 < parts.len() {
            // Only a `*` that ends the pattern takes the rest of the text.
            let last = i + 2 == parts.len() && parts[i + 1].is_empty();
            out.push_str(if last { "(?<x>.*)" } else { "(?<x>.*?)" });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob_to_regex;

    #[test]
    fn globs() {
        let re = regex::Regex::new(&crate::udf::translate_regex(&glob_to_regex("user=*, method:*"))).unwrap();
        let caps = re.captures("x user=bob, method:GET /a").unwrap();
        assert_eq!(&caps["g0"], "bob");
        assert_eq!(&caps["g1"], "GET /a");
    }
}
