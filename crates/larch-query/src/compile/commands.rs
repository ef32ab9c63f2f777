//! One method per Insights command.

use std::ops::Not;

use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{Expr, col, lit};
use larch_insights::{Command, CommandKind, ParseMode, SortOrder};

use super::kind::{Kind, to_bool, to_num, to_str};
use super::{Column, Compiler};
use crate::error::Result;
use crate::scan::cols;
use crate::udf::{CaptureUdf, translate_regex, udf};

impl Compiler<'_> {
    pub(crate) fn command(&mut self, command: &Command) -> Result<()> {
        match &command.kind {
            CommandKind::Fields(projections) => {
                for p in projections {
                    let (expr, kind) = self.expr(&p.expr)?;
                    let name = p.output_name(self.query);
                    self.define(&name, expr, kind)?;
                    self.add_output(&name);
                }
                self.explicit_output = true;
                Ok(())
            }
            CommandKind::Display(fields) => {
                let mut names = Vec::new();
                for f in fields {
                    self.field(f)?;
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
            CommandKind::Stats(stats) => self.stats(stats, command.span),
            CommandKind::Sort(keys) => {
                let mut sort = Vec::new();
                for key in keys {
                    let (expr, kind) = self.expr(&key.expr)?;
                    let asc = key.order == SortOrder::Asc;
                    if kind == Kind::Dyn {
                        // Natural order for discovered values: text before numbers, numbers
                        // numerically, text by code point.
                        let number = to_num(expr.clone(), Kind::Dyn);
                        sort.push(number.clone().is_not_null().sort(asc, false));
                        sort.push(number.sort(asc, false));
                    }
                    sort.push(expr.sort(asc, false));
                }
                self.frame = self.take_frame().sort(sort)?;
                self.sorted = true;
                Ok(())
            }
            CommandKind::Limit { n, .. } | CommandKind::Head(n) => {
                self.apply_default_order()?;
                self.remember_matched();
                let n = *n as usize;
                self.limit = Some(self.limit.map_or(n, |l| l.min(n)));
                self.frame = self.take_frame().limit(0, Some(n))?;
                Ok(())
            }
            CommandKind::Parse(parse) => self.parse(parse),
            CommandKind::Dedup(fields) => {
                self.apply_default_order()?;
                self.remember_matched();
                self.dedup(fields)
            }
            other => Err(self.malformed(command.span, format!("The {} command is not supported by larch yet.", other.name()))),
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
    fn apply_default_order(&mut self) -> Result<()> {
        if self.sorted {
            return Ok(());
        }
        if self.aggregated {
            if let Some(sort) = self.default_sort.take() {
                self.frame = self.take_frame().sort(sort)?;
            }
        } else {
            self.frame = self.take_frame().sort(vec![col(cols::TS).sort(false, false), col(cols::SEQ).sort(false, false)])?;
        }
        self.sorted = true;
        Ok(())
    }

    fn remember_matched(&mut self) {
        if self.matched.is_none() {
            self.matched = Some(self.frame.clone());
        }
    }

    fn parse(&mut self, parse: &larch_insights::Parse) -> Result<()> {
        let source = self.field(&parse.field)?;
        let text = to_str(col(source.internal.as_str()), source.kind);
        let (regex, names): (String, Vec<String>) = match &parse.mode {
            ParseMode::Glob { pattern, aliases, .. } => (glob_to_regex(pattern), aliases.iter().map(|a| a.name.clone()).collect()),
            ParseMode::Regex { regex, multi: false } => {
                if let Err(e) = crate::udf::compile(&regex.pattern) {
                    return Err(self.malformed(regex.span, format!("Invalid regular expression: {e}")));
                }
                (regex.pattern.clone(), regex.named_groups())
            }
            _ => return Err(self.malformed(parse.field.span, "This form of the parse command is not supported by larch yet.")),
        };
        // Both forms become named groups g0, g1, ... after translation.
        let translated = translate_regex(&regex);
        for (i, name) in names.iter().enumerate() {
            let capture = udf(CaptureUdf::default()).call(vec![text.clone(), lit(translated.clone()), lit(format!("g{i}"))]);
            self.define(name, capture, Kind::Dyn)?;
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
        let row_number = datafusion::functions_window::expr_fn::row_number()
            .partition_by(keys)
            .order_by(order)
            .build()?;
        let frame = self.take_frame().window(vec![row_number.alias(&rank)])?;
        let keep = col(rank.as_str()).eq(lit(1u64)).or(not_null.map(|e| e.not()).unwrap_or(lit(false)));
        self.frame = frame.filter(keep)?;
        Ok(())
    }

    /// The order rows currently have, as sort expressions (for window functions).
    fn current_order(&self) -> Vec<datafusion::logical_expr::SortExpr> {
        if self.aggregated {
            return self.default_sort.clone().unwrap_or_default();
        }
        vec![col(cols::TS).sort(false, false), col(cols::SEQ).sort(false, false)]
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
            let last = i + 2 == parts.len();
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
