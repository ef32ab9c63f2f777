//! Semantic validation run after parsing (spec §2.2 placement rules, §2.5
//! function rules). Every error carries the span of the offending node.
//!
//! Rules:
//! * at most two `stats`; with two, `sort`/`limit`/`head`/`tail` must come
//!   after the second one;
//! * only `limit` (or `head`/`tail`) may follow `dedup`;
//! * `anomaly` and `diff` need an earlier `pattern`; `relevantfields` must
//!   directly follow `filter`;
//! * aggregate functions only inside `stats` aggregations, never nested,
//!   never in `by`; each `stats` aggregation must use an aggregate, and
//!   fields there must be inside an aggregate;
//! * `*` only as `count(*)`; a bare `/regex/` or time period only as a
//!   function argument; `bin()` and the period of `datefloor`/`dateceil`
//!   must be a time period literal;
//! * an alias may not re-use an ephemeral field name defined earlier
//!   (`fields a as b | fields c as b`); the set of ephemeral names is reset
//!   by each `stats` (its output replaces the row schema) [U];
//! * `parse` glob: number of `*` = number of aliases;
//! * `filterIndex` accepts only `f = v`, `f in [...]` and `and`/`or` of them;
//! * `SOURCE logGroups`: ≤5 name prefixes, ≤20 accounts, class
//!   `STANDARD`/`INFREQUENT_ACCESS`.

use std::collections::HashSet;

use crate::ast::{BinaryOp, Command, CommandKind, Expr, ExprKind, Ident, ParseMode, Query, SourceKind, Span};
use crate::error::{ParseError, Result};

struct Validator<'a> {
    src: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Ordinary row context: no aggregates.
    Row,
    /// `stats` `by` key: no aggregates.
    StatsBy,
    /// `stats` aggregation list, outside any aggregate call.
    StatsAgg,
    /// Inside an aggregate call's arguments.
    InAggregate,
}

/// Validates a parsed query.
pub(crate) fn validate(query: &Query, src: &str) -> Result<()> {
    Validator { src }.query(query)
}

impl Validator<'_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.src, span, msg)
    }

    fn query(&self, q: &Query) -> Result<()> {
        if let Some(src) = &q.source
            && let SourceKind::LogGroups(sel) = &src.kind
        {
            if sel.name_prefix.len() > 5 {
                return Err(self.err(src.span, "logGroups accepts at most 5 namePrefix values"));
            }
            if sel.account_identifiers.len() > 20 {
                return Err(self.err(src.span, "logGroups accepts at most 20 accountIdentifiers values"));
            }
            if let Some(c) = &sel.class
                && !c.eq_ignore_ascii_case("STANDARD")
                && !c.eq_ignore_ascii_case("INFREQUENT_ACCESS")
            {
                return Err(self
                    .err(src.span, format!("Invalid log group class '{c}'; expected STANDARD or INFREQUENT_ACCESS")));
            }
        }
        self.placement(&q.commands)?;
        let mut ephemeral: HashSet<String> = HashSet::new();
        for cmd in &q.commands {
            self.command(cmd, &mut ephemeral)?;
        }
        Ok(())
    }

    fn placement(&self, cmds: &[Command]) -> Result<()> {
        let stats: Vec<usize> =
            cmds.iter().enumerate().filter(|(_, c)| matches!(c.kind, CommandKind::Stats(_))).map(|(i, _)| i).collect();
        if let Some(&third) = stats.get(2) {
            return Err(self.err(cmds[third].span, "A query can contain at most two stats commands"));
        }
        if let Some(&second) = stats.get(1) {
            for c in &cmds[..second] {
                if matches!(
                    c.kind,
                    CommandKind::Sort(_) | CommandKind::Limit { .. } | CommandKind::Head(_) | CommandKind::Tail(_)
                ) {
                    return Err(self.err(
                        c.span,
                        format!(
                            "{} must come after the second stats command when a query uses two stats commands",
                            c.kind.name()
                        ),
                    ));
                }
            }
        }
        let mut after_dedup = false;
        let mut seen_pattern = false;
        let mut prev: Option<&Command> = None;
        for c in cmds {
            if after_dedup && !matches!(c.kind, CommandKind::Limit { .. } | CommandKind::Head(_) | CommandKind::Tail(_))
            {
                return Err(self.err(c.span, format!("Only limit can follow dedup; found '{}'", c.kind.name())));
            }
            match c.kind {
                CommandKind::Dedup(_) => after_dedup = true,
                CommandKind::Pattern(_) => seen_pattern = true,
                CommandKind::Anomaly | CommandKind::Diff(_) if !seen_pattern => {
                    return Err(self.err(
                        c.span,
                        format!(
                            "{} requires a preceding pattern command, e.g. 'pattern @message | {}'",
                            c.kind.name(),
                            c.kind.name()
                        ),
                    ));
                }
                CommandKind::RelevantFields { .. }
                    if !prev.is_some_and(|p| matches!(p.kind, CommandKind::Filter(_))) =>
                {
                    return Err(self.err(c.span, "relevantfields must directly follow a filter command"));
                }
                _ => {}
            }
            prev = Some(c);
        }
        Ok(())
    }

    fn define(&self, ephemeral: &mut HashSet<String>, alias: &Ident) -> Result<()> {
        if !ephemeral.insert(alias.name.clone()) {
            return Err(self.err(
                alias.span,
                format!(
                    "Alias '{}' re-uses the name of an ephemeral field defined earlier in the query; choose a different name",
                    alias.name
                ),
            ));
        }
        Ok(())
    }

    fn command(&self, cmd: &Command, eph: &mut HashSet<String>) -> Result<()> {
        use CommandKind::*;
        match &cmd.kind {
            Fields(projs) => {
                for p in projs {
                    self.expr(&p.expr, Ctx::Row)?;
                }
                for p in projs {
                    if let Some(a) = &p.alias {
                        self.define(eph, a)?;
                    }
                }
            }
            Filter(e) | Pattern(e) => self.expr(e, Ctx::Row)?,
            Stats(s) => {
                // Aggregations may reference aliases of earlier aggregations
                // of the same stats (AWS sample: `max(a) as x, min(b) as y,
                // x - y as d`).
                let mut earlier: HashSet<&str> = HashSet::new();
                for p in &s.aggregations {
                    if refs_only(&p.expr, &earlier) {
                        if let Some(a) = &p.alias {
                            earlier.insert(&a.name);
                        }
                        continue;
                    }
                    if let Some(a) = &p.alias {
                        earlier.insert(&a.name);
                    }
                    if !contains_aggregate(&p.expr) {
                        return Err(self.err(
                            p.expr.span,
                            format!(
                                "stats expression '{}' does not use an aggregate function such as count(*), sum() or avg()",
                                p.expr.span.text(self.src)
                            ),
                        ));
                    }
                    self.expr(&p.expr, Ctx::StatsAgg)?;
                }
                for p in &s.by {
                    self.expr(&p.expr, Ctx::StatsBy)?;
                }
                eph.clear();
                for p in s.aggregations.iter().chain(&s.by) {
                    if let Some(a) = &p.alias {
                        self.define(eph, a)?;
                    }
                }
            }
            Sort(keys) => {
                for k in keys {
                    self.expr(&k.expr, Ctx::Row)?;
                }
            }
            Parse(p) => match &p.mode {
                ParseMode::Glob { pattern, pattern_span, aliases } => {
                    let stars = pattern.matches('*').count();
                    if stars != aliases.len() {
                        return Err(self.err(
                            *pattern_span,
                            format!(
                                "The parse pattern has {stars} '*' wildcard{} but {} alias{} given; the counts must match",
                                if stars == 1 { "" } else { "s" },
                                aliases.len(),
                                if aliases.len() == 1 { " is" } else { "es are" }
                            ),
                        ));
                    }
                    for a in aliases {
                        self.define(eph, a)?;
                    }
                }
                ParseMode::Csv { aliases } => {
                    for a in aliases {
                        self.define(eph, a)?;
                    }
                }
                ParseMode::Logfmt { alias } => self.define(eph, alias)?,
                ParseMode::Regex { .. } => {}
            },
            Unnest { alias, .. } => self.define(eph, alias)?,
            FilterIndex(e) => {
                self.expr(e, Ctx::Row)?;
                self.filter_index(e)?;
            }
            RelevantFields { condition, .. } => self.expr(condition, Ctx::Row)?,
            Fillmissing { value, .. } => self.expr(value, Ctx::Row)?,
            AppendCols { query, .. } => self.query(query)?,
            Join { condition, query, .. } => {
                self.expr(condition, Ctx::Row)?;
                self.query(query)?;
            }
            Display(_)
            | Limit { .. }
            | Head(_)
            | Tail(_)
            | Dedup(_)
            | Expand { .. }
            | Lookup { .. }
            | Diff(_)
            | Anomaly
            | AddTotals { .. }
            | Autoregress { .. }
            | LogCompare { .. }
            | Filldown { .. }
            | CidrLookup { .. }
            | Outlier { .. }
            | Accum { .. }
            | Sessionize { .. }
            | CountFrequent(_) => {}
        }
        Ok(())
    }

    fn filter_index(&self, e: &Expr) -> Result<()> {
        let is_field = |e: &Expr| matches!(e.kind, ExprKind::Field(_));
        let is_lit = |e: &Expr| matches!(e.kind, ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_));
        match &e.kind {
            ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or, lhs, rhs } => {
                self.filter_index(lhs)?;
                self.filter_index(rhs)
            }
            ExprKind::Binary { op: BinaryOp::Eq, lhs, rhs } if is_field(lhs) && is_lit(rhs) => Ok(()),
            ExprKind::In { expr, list, negated: false } if is_field(expr) && list.iter().all(is_lit) => Ok(()),
            _ => Err(self.err(
                e.span,
                "filterIndex supports only 'field = value' and 'field in [value, …]' conditions (combined with and/or)",
            )),
        }
    }

    fn expr(&self, e: &Expr, ctx: Ctx) -> Result<()> {
        match &e.kind {
            ExprKind::Field(f) => {
                if ctx == Ctx::StatsAgg {
                    return Err(self.err(
                        f.span,
                        format!("Field '{}' must be used inside an aggregate function in stats", f.name),
                    ));
                }
                Ok(())
            }
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) => Ok(()),
            ExprKind::Regex(r) => Err(self.err(
                r.span,
                "A /regular expression/ is only allowed after like, =~, in parse, or as a function argument",
            )),
            ExprKind::Duration(_) => Err(self.err(
                e.span,
                format!(
                    "The time period '{}' is only allowed as a function argument, e.g. bin({})",
                    e.span.text(self.src),
                    e.span.text(self.src)
                ),
            )),
            ExprKind::Star => Err(self.err(e.span, "'*' is only allowed as count(*)")),
            ExprKind::Unary { expr, .. } => self.expr(expr, ctx),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, ctx)?;
                self.expr(rhs, ctx)
            }
            ExprKind::In { expr, list, .. } => {
                self.expr(expr, ctx)?;
                list.iter().try_for_each(|x| self.expr(x, ctx))
            }
            ExprKind::InSubquery { expr, query, .. } => {
                self.expr(expr, ctx)?;
                self.query(query)
            }
            ExprKind::Like { expr, .. } => self.expr(expr, ctx),
            ExprKind::Index { base, index } => {
                self.expr(base, ctx)?;
                self.expr(index, ctx)
            }
            ExprKind::Member { base, .. } => self.expr(base, ctx),
            ExprKind::Call { name, func, args, name_span } => {
                let inner = if func.is_aggregate() {
                    match ctx {
                        Ctx::StatsAgg => Ctx::InAggregate,
                        Ctx::InAggregate => {
                            return Err(self.err(
                                *name_span,
                                format!(
                                    "Aggregate function {name}() cannot be nested inside another aggregate function"
                                ),
                            ));
                        }
                        Ctx::StatsBy => {
                            return Err(self.err(
                                *name_span,
                                format!("Aggregate function {name}() cannot be used in the 'by' clause of stats"),
                            ));
                        }
                        Ctx::Row => {
                            return Err(
                                self.err(*name_span, format!("Aggregate function {name}() can only be used in stats"))
                            );
                        }
                    }
                } else {
                    ctx
                };
                for (i, a) in args.iter().enumerate() {
                    match &a.kind {
                        ExprKind::Star if *name == "count" && args.len() == 1 => {}
                        ExprKind::Regex(_) => {}
                        ExprKind::Duration(_) => {}
                        _ => self.expr(a, inner)?,
                    }
                    let needs_period =
                        (*name == "bin" && i == 0) || ((*name == "datefloor" || *name == "dateceil") && i == 1);
                    if needs_period && !matches!(a.kind, ExprKind::Duration(_)) {
                        return Err(self.err(a.span, format!("{name}() expects a time period such as 5m or 1h here")));
                    }
                }
                Ok(())
            }
        }
    }
}

/// True if `e` only combines literals, scalar functions and fields named in
/// `aliases`, with at least one such field.
fn refs_only(e: &Expr, aliases: &HashSet<&str>) -> bool {
    fn walk(e: &Expr, aliases: &HashSet<&str>, found: &mut bool) -> bool {
        match &e.kind {
            ExprKind::Field(f) => {
                *found = true;
                aliases.contains(f.name.as_str())
            }
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) => true,
            ExprKind::Unary { expr, .. } => walk(expr, aliases, found),
            ExprKind::Binary { lhs, rhs, .. } => walk(lhs, aliases, found) && walk(rhs, aliases, found),
            ExprKind::Call { func, args, .. } => !func.is_aggregate() && args.iter().all(|a| walk(a, aliases, found)),
            _ => false,
        }
    }
    let mut found = false;
    walk(e, aliases, &mut found) && found
}

/// True if `e` contains an aggregate call.
fn contains_aggregate(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { func, args, .. } => func.is_aggregate() || args.iter().any(contains_aggregate),
        ExprKind::Unary { expr, .. } | ExprKind::Like { expr, .. } | ExprKind::Member { base: expr, .. } => {
            contains_aggregate(expr)
        }
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Index { base: lhs, index: rhs } => {
            contains_aggregate(lhs) || contains_aggregate(rhs)
        }
        ExprKind::In { expr, list, .. } => contains_aggregate(expr) || list.iter().any(contains_aggregate),
        ExprKind::InSubquery { expr, .. } => contains_aggregate(expr),
        _ => false,
    }
}
