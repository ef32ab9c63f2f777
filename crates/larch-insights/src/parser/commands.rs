//! Command grammar (spec §2.2). Each `parse_*` function is entered with the
//! command keyword still at the cursor.

use super::Parser;
use crate::ast::{
    Command, CommandKind, DiffBaseline, ExprKind, FieldRef, Ident, JoinType, LookupMode, NameAlias, Number,
    OutlierAction, Parse, ParseMode, Projection, SortKey, SortOrder, Span, Stats,
};
use crate::duration::Duration;
use crate::error::Result;
use crate::token::{Token, TokenKind};

/// Every command keyword, for "expected one of" messages.
const COMMANDS: &str = "fields, display, filter, where, stats, sort, limit, head, tail, parse, \
dedup, unnest, expand, lookup, join, filterIndex, pattern, diff, anomaly, addtotals, \
relevantfields, autoregress, logcompare, filldown, fillmissing, cidrlookup, outlier, accum, \
appendcols, sessionize, countFrequent";

/// Largest `limit` accepted (spec §2.2 #7).
pub const MAX_LIMIT: u64 = 100_000;

impl Parser<'_> {
    /// Parses one command.
    pub(crate) fn parse_command(&mut self) -> Result<Command> {
        let tok = self.peek()?;
        let Some(word) = tok.kind.word().map(str::to_ascii_lowercase) else {
            return Err(self.unexpected(&tok, "a command"));
        };
        let start = tok.span.start;
        self.advance(&tok);
        let kind = match word.as_str() {
            "fields" => CommandKind::Fields(self.projection_list("fields")?),
            "display" => CommandKind::Display(self.field_list("display")?),
            "filter" | "where" => CommandKind::Filter(self.parse_expr()?),
            "stats" => CommandKind::Stats(self.stats()?),
            "sort" | "order" => CommandKind::Sort(self.sort_keys()?),
            "limit" => {
                let any = self.peek()?.kind.is_kw("any")
                    && matches!(self.peek_after(&self.peek()?)?.kind, TokenKind::Number(_));
                if any {
                    self.next()?;
                }
                CommandKind::Limit { n: self.row_count("limit")?, any }
            }
            "head" => CommandKind::Head(self.row_count("head")?),
            "tail" => CommandKind::Tail(self.row_count("tail")?),
            "parse" => CommandKind::Parse(self.parse_cmd(&tok)?),
            "dedup" => CommandKind::Dedup(self.field_list("dedup")?),
            "unnest" => {
                let field = self.field_ref("a field name after unnest")?;
                self.expect_kw("into")?;
                let alias = self.parse_ident("a name after 'into'")?;
                CommandKind::Unnest { field, alias }
            }
            "expand" => CommandKind::Expand { field: self.field_ref("a field name after expand")? },
            "lookup" => self.lookup()?,
            "cidrlookup" => self.cidrlookup()?,
            "filterindex" => CommandKind::FilterIndex(self.parse_expr()?),
            "pattern" => CommandKind::Pattern(self.parse_expr()?),
            "diff" => CommandKind::Diff(self.diff()?),
            "anomaly" => CommandKind::Anomaly,
            "addtotals" => self.addtotals()?,
            "relevantfields" => {
                let fields = if self.at_kw("where")? { vec![] } else { self.field_list("relevantfields")? };
                self.expect_kw("where")?;
                CommandKind::RelevantFields { fields, condition: self.parse_expr()? }
            }
            "autoregress" => self.autoregress()?,
            "logcompare" => {
                self.expect_kw("timeshift")?;
                CommandKind::LogCompare { timeshift: self.duration("a time period such as 7d after timeshift")? }
            }
            "filldown" => CommandKind::Filldown { fields: self.name_patterns()? },
            "fillmissing" => {
                self.expect_kw("with")?;
                let value = self.parse_expr()?;
                let fields =
                    if self.eat_kw("for")?.is_some() { self.field_list("fillmissing … for")? } else { vec![] };
                CommandKind::Fillmissing { value, fields }
            }
            "outlier" => self.outlier()?,
            "accum" => {
                let field = self.field_ref("a field name after accum")?;
                let alias = self.opt_alias()?;
                CommandKind::Accum { field, alias }
            }
            "appendcols" => self.appendcols()?,
            "sessionize" => self.sessionize()?,
            "countfrequent" | "count_frequent" => CommandKind::CountFrequent(self.field_list("countFrequent")?),
            "join" => self.join()?,
            "source" => {
                return Err(self.error(tok.span, "SOURCE must be the first command in the query"));
            }
            "search" => {
                return Err(self.error(tok.span, "The search command is not supported yet"));
            }
            "unmask" => {
                return Err(
                    self.error(tok.span, "unmask is used as a function inside fields, e.g. 'fields unmask(@message)'")
                );
            }
            _ => {
                return Err(self.error(
                    tok.span,
                    format!(
                        "Unknown command '{}' at position {}; expected one of {COMMANDS}",
                        tok.span.text(self.src),
                        self.char_pos(tok.span.start)
                    ),
                ));
            }
        };
        Ok(self.finish(start, kind))
    }

    // ----- helpers --------------------------------------------------------

    /// `expr [as alias]`.
    fn projection(&mut self) -> Result<Projection> {
        let expr = self.parse_expr()?;
        let alias = self.opt_alias()?;
        let span = match &alias {
            Some(a) => expr.span.to(a.span),
            None => expr.span,
        };
        Ok(Projection { expr, alias, span })
    }

    fn projection_list(&mut self, cmd: &str) -> Result<Vec<Projection>> {
        self.require_operand(cmd)?;
        let mut out = vec![self.projection()?];
        while self.eat(&TokenKind::Comma)?.is_some() {
            out.push(self.projection()?);
        }
        Ok(out)
    }

    /// Fails with a friendly message when a command is followed by nothing.
    fn require_operand(&self, cmd: &str) -> Result<()> {
        let t = self.peek()?;
        if matches!(t.kind, TokenKind::Eof | TokenKind::Pipe | TokenKind::RParen) {
            return Err(self.unexpected(&t, &format!("at least one field or expression after {cmd}")));
        }
        Ok(())
    }

    /// `as name` if present.
    fn opt_alias(&mut self) -> Result<Option<Ident>> {
        if self.eat_kw("as")?.is_some() { Ok(Some(self.parse_ident("a name after 'as'")?)) } else { Ok(None) }
    }

    /// A field name.
    pub(crate) fn field_ref(&mut self, what: &str) -> Result<FieldRef> {
        let t = self.peek()?;
        match t.kind {
            TokenKind::Ident { segments, .. } => {
                self.pos = t.span.end;
                Ok(FieldRef { name: segments.join("."), segments, span: t.span })
            }
            _ => Err(self.unexpected(&t, what)),
        }
    }

    fn field_list(&mut self, cmd: &str) -> Result<Vec<FieldRef>> {
        let what = format!("a field name after {cmd}");
        let mut out = vec![self.field_ref(&what)?];
        while self.eat(&TokenKind::Comma)?.is_some() {
            out.push(self.field_ref("a field name after ','")?);
        }
        Ok(out)
    }

    fn row_count(&mut self, cmd: &str) -> Result<u64> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Number(Number::Int(n)) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as u64),
            TokenKind::Number(_) => {
                Err(self.error(t.span, format!("{cmd} must be an integer between 1 and {MAX_LIMIT}")))
            }
            _ => Err(self.unexpected(&t, &format!("a number of rows after {cmd}"))),
        }
    }

    fn duration(&mut self, what: &str) -> Result<Duration> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Duration(d) => Ok(d),
            _ => Err(self.unexpected(&t, what)),
        }
    }

    /// `key=` for one of `keys` (case-insensitive); consumes both tokens.
    fn option_key(&mut self, keys: &[&str]) -> Result<Option<(String, Token)>> {
        let t = self.peek()?;
        let Some(word) = t.kind.word() else {
            return Ok(None);
        };
        let lower = word.to_ascii_lowercase();
        if !keys.contains(&lower.as_str()) || self.peek_after(&t)?.kind != TokenKind::Eq {
            return Ok(None);
        }
        self.advance(&t);
        self.next()?; // =
        Ok(Some((lower, t)))
    }

    fn option_bool(&mut self) -> Result<bool> {
        let t = self.next()?;
        if t.kind.is_kw("true") {
            Ok(true)
        } else if t.kind.is_kw("false") {
            Ok(false)
        } else {
            Err(self.unexpected(&t, "true or false"))
        }
    }

    /// A bare word or a quoted string.
    fn option_text(&mut self) -> Result<String> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Str(s) => Ok(s),
            TokenKind::Ident { segments, .. } => Ok(segments.join(".")),
            _ => Err(self.unexpected(&t, "a name or a quoted string")),
        }
    }

    fn option_number(&mut self) -> Result<Number> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Number(n) => Ok(n),
            _ => Err(self.unexpected(&t, "a number")),
        }
    }

    fn duplicate_option(&self, key: &Token) -> crate::error::ParseError {
        self.error(key.span, format!("Option '{}' is given more than once", key.span.text(self.src)))
    }

    // ----- commands -------------------------------------------------------

    fn stats(&mut self) -> Result<Stats> {
        let t = self.peek()?;
        if matches!(t.kind, TokenKind::Eof | TokenKind::Pipe | TokenKind::RParen) || t.kind.is_kw("by") {
            return Err(self.unexpected(&t, "an aggregate function such as count(*) after stats"));
        }
        let mut aggregations = vec![self.projection()?];
        while self.eat(&TokenKind::Comma)?.is_some() {
            aggregations.push(self.projection()?);
        }
        let mut by = vec![];
        if self.eat_kw("by")?.is_some() {
            self.require_operand("by")?;
            by.push(self.projection()?);
            while self.eat(&TokenKind::Comma)?.is_some() {
                by.push(self.projection()?);
            }
        }
        let offset = if self.eat_kw("offset")?.is_some() {
            Some(self.duration("a time period such as 1h after offset")?)
        } else {
            None
        };
        Ok(Stats { aggregations, by, offset })
    }

    fn sort_keys(&mut self) -> Result<Vec<SortKey>> {
        // Accept `sort by x` [U] when `by` is not itself the sort field.
        let t = self.peek()?;
        if t.kind.is_kw("by") {
            let after = self.peek_after(&t)?;
            let is_field = matches!(after.kind, TokenKind::Eof | TokenKind::Pipe | TokenKind::Comma)
                || after.kind.is_kw("asc")
                || after.kind.is_kw("desc");
            if !is_field {
                self.advance(&t);
            }
        }
        self.require_operand("sort")?;
        let mut keys = vec![];
        loop {
            let expr = self.parse_expr()?;
            let (order, explicit) = if self.eat_kw("asc")?.is_some() {
                (SortOrder::Asc, true)
            } else if self.eat_kw("desc")?.is_some() {
                (SortOrder::Desc, true)
            } else {
                (SortOrder::Asc, false)
            };
            let span = Span::new(expr.span.start, self.prev_end());
            keys.push(SortKey { expr, order, explicit, span });
            if self.eat(&TokenKind::Comma)?.is_none() {
                return Ok(keys);
            }
        }
    }

    fn parse_cmd(&mut self, kw: &Token) -> Result<Parse> {
        let t = self.peek_re()?;
        let mode_kw = |k: &TokenKind| k.is_kw("logfmt") || k.is_kw("csv");
        let (field, implicit_field) = match &t.kind {
            TokenKind::Ident { .. } if !(mode_kw(&t.kind) && self.peek_after(&t)?.kind.is_kw("as")) => {
                (self.field_ref("a field name")?, false)
            }
            _ => (FieldRef::simple("@message", Span::new(kw.span.end, kw.span.end)), true),
        };
        let t = self.peek_re()?;
        let mode = match t.kind {
            TokenKind::Str(ref pattern) => {
                self.advance(&t);
                if !self.at_kw("as")? {
                    return Err(
                        self.unexpected(&self.peek()?, "'as' followed by one name per '*' in the parse pattern")
                    );
                }
                self.next()?;
                ParseMode::Glob {
                    pattern: pattern.clone(),
                    pattern_span: t.span,
                    aliases: self.ident_list("a name for each '*'")?,
                }
            }
            TokenKind::Regex(ref pattern) => {
                self.advance(&t);
                let multi = self.eat_kw("multi")?.is_some();
                ParseMode::Regex { regex: crate::ast::Regex { pattern: pattern.clone(), span: t.span }, multi }
            }
            ref k if k.is_kw("logfmt") => {
                self.advance(&t);
                self.expect_kw("as")?;
                ParseMode::Logfmt { alias: self.parse_ident("a name for the logfmt map")? }
            }
            ref k if k.is_kw("csv") => {
                self.advance(&t);
                self.expect_kw("as")?;
                ParseMode::Csv { aliases: self.ident_list("a name for each CSV column")? }
            }
            _ => {
                return Err(self.unexpected(&t, "a \"glob * pattern\", a /regular expression/, logfmt or csv in parse"));
            }
        };
        Ok(Parse { field, implicit_field, mode })
    }

    fn ident_list(&mut self, what: &str) -> Result<Vec<Ident>> {
        let mut out = vec![self.parse_ident(what)?];
        while self.eat(&TokenKind::Comma)?.is_some() {
            out.push(self.parse_ident(what)?);
        }
        Ok(out)
    }

    fn name_alias(&mut self, what: &str) -> Result<NameAlias> {
        let name = self.parse_ident(what)?;
        let alias = self.opt_alias()?;
        Ok(NameAlias { name, alias })
    }

    fn lookup_mode(&mut self) -> Result<Option<LookupMode>> {
        if self.eat_kw("outputnew")?.is_some() {
            Ok(Some(LookupMode::OutputNew))
        } else if self.eat_kw("output")?.is_some() {
            Ok(Some(LookupMode::Output))
        } else {
            Ok(None)
        }
    }

    fn lookup_outputs(&mut self) -> Result<Vec<NameAlias>> {
        let mut out = vec![self.name_alias("a column name after OUTPUT")?];
        while self.eat(&TokenKind::Comma)?.is_some() {
            out.push(self.name_alias("a column name")?);
        }
        Ok(out)
    }

    fn lookup(&mut self) -> Result<CommandKind> {
        let table = self.parse_ident("a lookup table name after lookup")?;
        let mut keys = vec![self.name_alias("a key field after the table name")?];
        while self.eat(&TokenKind::Comma)?.is_some() {
            keys.push(self.name_alias("a key field")?);
        }
        let mode = self.lookup_mode()?;
        let outputs = if mode.is_some() { self.lookup_outputs()? } else { vec![] };
        Ok(CommandKind::Lookup { table, keys, mode, outputs })
    }

    fn cidrlookup(&mut self) -> Result<CommandKind> {
        let table = self.parse_ident("a lookup table name after cidrlookup")?;
        let key = self.name_alias("an IP address field after the table name")?;
        let mode = self.lookup_mode()?;
        let outputs = if mode.is_some() { self.lookup_outputs()? } else { vec![] };
        Ok(CommandKind::CidrLookup { table, key, mode, outputs })
    }

    fn diff(&mut self) -> Result<DiffBaseline> {
        let t = self.peek()?;
        let b = if t.kind.is_kw("previousDay") {
            DiffBaseline::PreviousDay
        } else if t.kind.is_kw("previousWeek") {
            DiffBaseline::PreviousWeek
        } else if t.kind.is_kw("previousMonth") {
            DiffBaseline::PreviousMonth
        } else {
            return Ok(DiffBaseline::Previous);
        };
        self.advance(&t);
        Ok(b)
    }

    fn addtotals(&mut self) -> Result<CommandKind> {
        let (mut row, mut col, mut fieldname, mut labelfield, mut label) = (None, None, None, None, None);
        while let Some((key, tok)) = self.option_key(&["row", "col", "fieldname", "labelfield", "label"])? {
            let dup = match key.as_str() {
                "row" => row.replace(self.option_bool()?).is_some(),
                "col" => col.replace(self.option_bool()?).is_some(),
                "fieldname" => fieldname.replace(self.option_text()?).is_some(),
                "labelfield" => labelfield.replace(self.option_text()?).is_some(),
                _ => label.replace(self.option_text()?).is_some(),
            };
            if dup {
                return Err(self.duplicate_option(&tok));
            }
        }
        let fields =
            if matches!(self.peek()?.kind, TokenKind::Ident { .. }) { self.field_list("addtotals")? } else { vec![] };
        Ok(CommandKind::AddTotals { row, col, fieldname, labelfield, label, fields })
    }

    fn autoregress(&mut self) -> Result<CommandKind> {
        let field = self.field_ref("a field name after autoregress")?;
        let alias = self.opt_alias()?;
        let mut lags = (1, 1);
        if self.option_key(&["p"])?.is_some() {
            let from = self.lag()?;
            let to = if self.eat(&TokenKind::Minus)?.is_some() { self.lag()? } else { from };
            if to < from {
                return Err(self.error(Span::new(field.span.start, self.prev_end()), "autoregress p=n-m needs n <= m"));
            }
            lags = (from, to);
        }
        Ok(CommandKind::Autoregress { field, alias, lags })
    }

    fn lag(&mut self) -> Result<u64> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Number(Number::Int(n)) if n >= 1 => Ok(n as u64),
            _ => Err(self.unexpected(&t, "a positive integer lag")),
        }
    }

    /// `filldown` names: `host cpu*` or `host, cpu*`; a `*` glued to the
    /// name makes it a wildcard pattern.
    fn name_patterns(&mut self) -> Result<Vec<Ident>> {
        let mut out = vec![];
        loop {
            let t = self.peek()?;
            let TokenKind::Ident { ref segments, .. } = t.kind else {
                break;
            };
            self.advance(&t);
            let mut name = segments.join(".");
            let mut span = t.span;
            let star = self.peek()?;
            if star.kind == TokenKind::Star && star.span.start == t.span.end {
                self.advance(&star);
                name.push('*');
                span = span.to(star.span);
            }
            out.push(Ident { name, span });
            self.eat(&TokenKind::Comma)?;
        }
        Ok(out)
    }

    fn outlier(&mut self) -> Result<CommandKind> {
        let (mut action, mut param, mut uselower, mut mark) = (None, None, None, None);
        while let Some((key, tok)) = self.option_key(&["action", "param", "uselower", "mark"])? {
            let dup = match key.as_str() {
                "action" => {
                    let v = self.next()?;
                    let a = if v.kind.is_kw("remove") || v.kind.is_kw("rm") {
                        OutlierAction::Remove
                    } else if v.kind.is_kw("transform") || v.kind.is_kw("tf") {
                        OutlierAction::Transform
                    } else {
                        return Err(self.unexpected(&v, "remove or transform"));
                    };
                    action.replace(a).is_some()
                }
                "param" => param.replace(self.option_number()?.as_f64()).is_some(),
                "uselower" => uselower.replace(self.option_bool()?).is_some(),
                _ => mark.replace(self.option_bool()?).is_some(),
            };
            if dup {
                return Err(self.duplicate_option(&tok));
            }
        }
        let fields =
            if matches!(self.peek()?.kind, TokenKind::Ident { .. }) { self.field_list("outlier")? } else { vec![] };
        Ok(CommandKind::Outlier { action, param, uselower, mark, fields })
    }

    fn appendcols(&mut self) -> Result<CommandKind> {
        let (mut override_, mut max) = (None, None);
        while let Some((key, tok)) = self.option_key(&["override", "max"])? {
            let dup = if key == "override" {
                override_.replace(self.option_bool()?).is_some()
            } else {
                max.replace(self.row_count("max")?).is_some()
            };
            if dup {
                return Err(self.duplicate_option(&tok));
            }
        }
        let query = Box::new(self.parse_subquery("appendcols")?);
        Ok(CommandKind::AppendCols { override_, max, query })
    }

    fn sessionize(&mut self) -> Result<CommandKind> {
        let fields = self.field_list("sessionize")?;
        let maxspan = if self.eat_kw("maxspan")?.is_some() {
            Some(self.duration("a time period such as 30m after maxspan")?)
        } else {
            None
        };
        let alias = self.opt_alias()?;
        Ok(CommandKind::Sessionize { fields, maxspan, alias })
    }

    fn join(&mut self) -> Result<CommandKind> {
        let (mut join_type, mut left, mut right) = (None, None, None);
        while let Some((key, tok)) = self.option_key(&["type", "left", "right"])? {
            let dup = match key.as_str() {
                "type" => {
                    let v = self.next()?;
                    let jt = if v.kind.is_kw("inner") {
                        JoinType::Inner
                    } else if v.kind.is_kw("left") {
                        JoinType::Left
                    } else {
                        return Err(self.unexpected(&v, "inner or left"));
                    };
                    join_type.replace(jt).is_some()
                }
                "left" => left.replace(self.parse_ident("an alias")?).is_some(),
                _ => right.replace(self.parse_ident("an alias")?).is_some(),
            };
            if dup {
                return Err(self.duplicate_option(&tok));
            }
        }
        self.expect_kw("where")?;
        let condition = self.parse_expr()?;
        if matches!(condition.kind, ExprKind::InSubquery { .. }) {
            return Err(self.error(condition.span, "join conditions cannot use sub-queries"));
        }
        let query = Box::new(self.parse_subquery("join")?);
        Ok(CommandKind::Join { join_type, left, right, condition, query })
    }
}
