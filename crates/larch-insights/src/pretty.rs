//! A compact, stable S-expression rendering of the AST, used by the golden
//! tests and handy in logs (`query.to_string()`).
//!
//! One line per command: `name [start..end]: details`. Expressions print as
//! `(op args…)`; fields print as written (backticked where needed), strings
//! with Rust escaping, regexes as `/…/`, durations as `5m`.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;

fn needs_backticks(s: &str) -> bool {
    s.is_empty() || !s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '@')
}

fn write_segments(f: &mut Formatter<'_>, segments: &[String]) -> fmt::Result {
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            f.write_char('.')?;
        }
        if needs_backticks(s) {
            write!(f, "`{s}`")?;
        } else {
            f.write_str(s)?;
        }
    }
    Ok(())
}

impl Display for FieldRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_segments(f, &self.segments)
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if needs_backticks(&self.name) && !self.name.ends_with('*') {
            write!(f, "`{}`", self.name)
        } else {
            f.write_str(&self.name)
        }
    }
}

impl Display for Number {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

fn list<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    sep: &str,
    each: impl Fn(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        each(f, it)?;
    }
    Ok(())
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Field(x) => write!(f, "{x}"),
            ExprKind::Str(s) => write!(f, "{s:?}"),
            ExprKind::Num(n) => write!(f, "{n}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Regex(r) => write!(f, "/{}/", r.pattern),
            ExprKind::Duration(d) => write!(f, "{d}"),
            ExprKind::Star => f.write_str("*"),
            ExprKind::Unary { op, expr } => match op {
                UnaryOp::Neg => write!(f, "(neg {expr})"),
                UnaryOp::Not => write!(f, "(not {expr})"),
            },
            ExprKind::Binary { op, lhs, rhs } => write!(f, "({} {lhs} {rhs})", op.symbol()),
            ExprKind::In { expr, list: l, negated } => {
                write!(f, "({} {expr} [", if *negated { "not-in" } else { "in" })?;
                list(f, l, " ", |f, e| write!(f, "{e}"))?;
                f.write_str("])")
            }
            ExprKind::InSubquery { expr, query, negated } => {
                write!(f, "({} {expr} {{{}}})", if *negated { "not-in" } else { "in" }, InlineQuery(query))
            }
            ExprKind::Like { expr, pattern, negated } => {
                write!(f, "({} {expr} ", if *negated { "not-like" } else { "like" })?;
                match pattern {
                    LikePattern::Substring(s) => write!(f, "{s:?})"),
                    LikePattern::Regex(r) => write!(f, "/{}/)", r.pattern),
                }
            }
            ExprKind::Call { name, args, .. } => {
                write!(f, "({name}")?;
                for a in args {
                    write!(f, " {a}")?;
                }
                f.write_str(")")
            }
            ExprKind::Index { base, index } => write!(f, "(index {base} {index})"),
            ExprKind::Member { base, key } => {
                write!(f, "(member {base} ")?;
                write_segments(f, std::slice::from_ref(key))?;
                f.write_str(")")
            }
        }
    }
}

impl Display for Projection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(a) = &self.alias {
            write!(f, " as {a}")?;
        }
        Ok(())
    }
}

impl Display for NameAlias {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some(a) = &self.alias {
            write!(f, " as {a}")?;
        }
        Ok(())
    }
}

fn opt<T: Display>(f: &mut Formatter<'_>, key: &str, v: &Option<T>) -> fmt::Result {
    if let Some(v) = v {
        write!(f, " {key}={v}")?;
    }
    Ok(())
}

fn alias_opt(f: &mut Formatter<'_>, alias: &Option<Ident>) -> fmt::Result {
    match alias {
        Some(a) => write!(f, " as {a}"),
        None => Ok(()),
    }
}

fn fields(f: &mut Formatter<'_>, fs: &[FieldRef]) -> fmt::Result {
    list(f, fs, ", ", |f, x| write!(f, "{x}"))
}

impl Display for CommandKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use CommandKind::*;
        match self {
            Fields(p) => list(f, p, ", ", |f, x| write!(f, "{x}")),
            Display(fs) | Dedup(fs) | CountFrequent(fs) => fields(f, fs),
            Filter(e) | FilterIndex(e) | Pattern(e) => write!(f, "{e}"),
            Stats(s) => {
                list(f, &s.aggregations, ", ", |f, x| write!(f, "{x}"))?;
                if !s.by.is_empty() {
                    f.write_str(" by ")?;
                    list(f, &s.by, ", ", |f, x| write!(f, "{x}"))?;
                }
                opt(f, "offset", &s.offset)
            }
            Sort(keys) => list(f, keys, ", ", |f, k| {
                write!(
                    f,
                    "{} {}",
                    k.expr,
                    match k.order {
                        SortOrder::Asc => "asc",
                        SortOrder::Desc => "desc",
                    }
                )?;
                if !k.explicit {
                    f.write_str("(default)")?;
                }
                Ok(())
            }),
            Limit { n, any } => write!(f, "{}{n}", if *any { "any " } else { "" }),
            Head(n) | Tail(n) => write!(f, "{n}"),
            Parse(p) => {
                write!(f, "{}{} ", p.field, if p.implicit_field { "(implicit)" } else { "" })?;
                match &p.mode {
                    ParseMode::Glob { pattern, aliases, .. } => {
                        write!(f, "glob {pattern:?} as ")?;
                        list(f, aliases, ", ", |f, a| write!(f, "{a}"))
                    }
                    ParseMode::Regex { regex, multi } => {
                        write!(f, "regex /{}/ groups=[{}]", regex.pattern, regex.named_groups().join(", "))?;
                        if *multi {
                            f.write_str(" multi")?;
                        }
                        Ok(())
                    }
                    ParseMode::Logfmt { alias } => write!(f, "logfmt as {alias}"),
                    ParseMode::Csv { aliases } => {
                        f.write_str("csv as ")?;
                        list(f, aliases, ", ", |f, a| write!(f, "{a}"))
                    }
                }
            }
            Unnest { field, alias } => write!(f, "{field} into {alias}"),
            Expand { field } => write!(f, "{field}"),
            Lookup { table, keys, mode, outputs } => {
                write!(f, "table={table} keys=[")?;
                list(f, keys, ", ", |f, k| write!(f, "{k}"))?;
                write!(f, "] mode={mode:?} outputs=[")?;
                list(f, outputs, ", ", |f, k| write!(f, "{k}"))?;
                f.write_str("]")
            }
            CidrLookup { table, key, mode, outputs } => {
                write!(f, "table={table} key={key} mode={mode:?} outputs=[")?;
                list(f, outputs, ", ", |f, k| write!(f, "{k}"))?;
                f.write_str("]")
            }
            Diff(b) => write!(f, "{b:?}"),
            Anomaly => Ok(()),
            AddTotals { row, col, fieldname, labelfield, label, fields: fs } => {
                f.write_str("options:")?;
                opt(f, "row", row)?;
                opt(f, "col", col)?;
                opt(f, "fieldname", fieldname)?;
                opt(f, "labelfield", labelfield)?;
                opt(f, "label", label)?;
                f.write_str(" fields=[")?;
                fields(f, fs)?;
                f.write_str("]")
            }
            RelevantFields { fields: fs, condition } => {
                f.write_str("fields=[")?;
                fields(f, fs)?;
                write!(f, "] where {condition}")
            }
            Autoregress { field, alias, lags } => {
                write!(f, "{field}")?;
                alias_opt(f, alias)?;
                write!(f, " p={}-{}", lags.0, lags.1)
            }
            LogCompare { timeshift } => write!(f, "timeshift {timeshift}"),
            Filldown { fields: fs } => {
                f.write_str("[")?;
                list(f, fs, ", ", |f, x| write!(f, "{x}"))?;
                f.write_str("]")
            }
            Fillmissing { value, fields: fs } => {
                write!(f, "with {value} for [")?;
                fields(f, fs)?;
                f.write_str("]")
            }
            Outlier { action, param, uselower, mark, fields: fs } => {
                f.write_str("options:")?;
                if let Some(a) = action {
                    write!(f, " action={a:?}")?;
                }
                opt(f, "param", param)?;
                opt(f, "uselower", uselower)?;
                opt(f, "mark", mark)?;
                f.write_str(" fields=[")?;
                fields(f, fs)?;
                f.write_str("]")
            }
            Accum { field, alias } => {
                write!(f, "{field}")?;
                alias_opt(f, alias)
            }
            AppendCols { override_, max, query } => {
                f.write_str("options:")?;
                opt(f, "override", override_)?;
                opt(f, "max", max)?;
                write!(f, " {{{}}}", InlineQuery(query))
            }
            Sessionize { fields: fs, maxspan, alias } => {
                fields(f, fs)?;
                opt(f, "maxspan", maxspan)?;
                alias_opt(f, alias)
            }
            Join { join_type, left, right, condition, query } => {
                f.write_str("options:")?;
                if let Some(t) = join_type {
                    write!(f, " type={t:?}")?;
                }
                opt(f, "left", left)?;
                opt(f, "right", right)?;
                write!(f, " where {condition} {{{}}}", InlineQuery(query))
            }
        }
    }
}

impl Display for SourceTime {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SourceTime::Now => f.write_str("now"),
            SourceTime::Ago(d) => write!(f, "-{d}"),
            SourceTime::Epoch(n) => write!(f, "{n}"),
            SourceTime::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl Display for SourceKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SourceKind::LogGroups(s) => {
                write!(f, "logGroups namePrefix={:?} accountIdentifiers={:?}", s.name_prefix, s.account_identifiers)?;
                if let Some(c) = &s.class {
                    write!(f, " class={c:?}")?;
                }
                Ok(())
            }
            SourceKind::Named { names, start, end } => {
                write!(f, "names={names:?}")?;
                opt(f, "start", start)?;
                opt(f, "end", end)
            }
        }
    }
}

/// A sub-query on one line: `source … | cmd … | cmd …`.
struct InlineQuery<'a>(&'a Query);

impl Display for InlineQuery<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut first = true;
        if let Some(s) = &self.0.source {
            write!(f, "source {}", s.kind)?;
            first = false;
        }
        for c in &self.0.commands {
            if !first {
                f.write_str(" | ")?;
            }
            first = false;
            write!(f, "{}: {}", c.kind.name(), c.kind)?;
        }
        Ok(())
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.source {
            writeln!(f, "source [{}..{}]: {}", s.span.start, s.span.end, s.kind)?;
        }
        for c in &self.commands {
            writeln!(f, "{} [{}..{}]: {}", c.kind.name(), c.span.start, c.span.end, c.kind)?;
        }
        Ok(())
    }
}
