//! The typed AST produced by [`crate::parse`].
//!
//! Every node that can be the subject of an error carries a [`Span`] (byte
//! offsets into the query). Keywords are resolved (`asc`/`desc` →
//! [`SortOrder`], `OUTPUT`/`OUTPUTNEW` → [`LookupMode`] …), function names
//! are canonical ([`crate::functions::FunctionSpec::name`]), and string /
//! regex literals have their escapes resolved.

use crate::duration::Duration;
use crate::functions::FunctionSpec;

/// A half-open **byte** range `start..end` into the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// Creates a span.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text covered by the span (empty if the span is out of range).
    pub fn text(self, query: &str) -> &str {
        query.get(self.start..self.end).unwrap_or("")
    }

    /// Converts to `(start, end)` **character** offsets into `query`.
    pub fn char_range(self, query: &str) -> (usize, usize) {
        let to_char = |byte: usize| {
            let byte = byte.min(query.len());
            query.char_indices().take_while(|(i, _)| *i < byte).count()
        };
        (to_char(self.start), to_char(self.end))
    }
}

/// A name introduced by the query (alias, table name, option value).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name, backticks removed (dotted names joined with `.`).
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A reference to a field, as written (case-sensitive).
///
/// `a.b.0.c` has `name = "a.b.0.c"` and `segments = ["a","b","0","c"]`.
/// Look the whole `name` up first (flattened JSON fields and ephemeral
/// fields are flat names containing dots); if it does not exist and the
/// first segment is a map/list value (from `jsonParse`, `parse … logfmt`),
/// walk the remaining `segments` into it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// Full name, backticks removed, segments joined with `.`.
    pub name: String,
    /// Dot-separated parts (a backticked part may itself contain dots).
    pub segments: Vec<String>,
    /// Where it was written.
    pub span: Span,
}

impl FieldRef {
    /// A field with a single-segment name (used for implicit fields such as
    /// the default `@message` of `parse`).
    pub fn simple(name: &str, span: Span) -> Self {
        FieldRef { name: name.to_string(), segments: vec![name.to_string()], span }
    }
}

/// A numeric literal, keeping integer-ness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Integer literal that fits in `i64`.
    Int(i64),
    /// Decimal / exponent literal (or an integer too large for `i64`).
    Float(f64),
}

impl Number {
    /// The value as `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A `/…/` regex literal. `pattern` is the text between the slashes with
/// `\/` unescaped; other escapes are kept as written. Not compiled here.
#[derive(Debug, Clone, PartialEq)]
pub struct Regex {
    /// Pattern source.
    pub pattern: String,
    /// Span of the literal including the slashes.
    pub span: Span,
}

impl Regex {
    /// Names of `(?<name>…)` / `(?P<name>…)` capture groups, in order.
    /// Names may contain characters the `regex` crate rejects (AWS allows
    /// `(?<@user>…)`), so the compiler may need to rename them.
    pub fn named_groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        let p = &self.pattern;
        let bytes = p.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i] == b'(' && p[i..].starts_with("(?") {
                let rest = &p[i + 2..];
                let after = if let Some(r) = rest.strip_prefix("P<") {
                    Some(r)
                } else if rest.starts_with("<=") || rest.starts_with("<!") {
                    None
                } else {
                    rest.strip_prefix('<')
                };
                if let Some(r) = after
                    && let Some(end) = r.find('>')
                {
                    out.push(r[..end].to_string());
                }
            }
            i += 1;
        }
        out
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The expression.
    pub kind: ExprKind,
    /// Source range (a parenthesised expression includes its parentheses).
    pub span: Span,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^` (exponent, right-associative)
    Pow,
    /// `=` (also `==`)
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinaryOp {
    /// Operator symbol for printing.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            Eq => "=",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "and",
            Or => "or",
        }
    }

    /// True for `= != < <= > >=`.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// Right-hand side of `like` / `not like` / `=~`.
#[derive(Debug, Clone, PartialEq)]
pub enum LikePattern {
    /// `like "text"`: case-sensitive substring test (no wildcards).
    Substring(String),
    /// `like /re/`, `=~ /re/` and `=~ "re"` [U]: unanchored regex search.
    Regex(Regex),
}

/// Expression kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A field reference (`@message`, `a.b.0.c`, `` `user-agent` ``).
    Field(FieldRef),
    /// String literal (escapes resolved).
    Str(String),
    /// Numeric literal.
    Num(Number),
    /// `true` / `false` (case-insensitive, unquoted).
    Bool(bool),
    /// A bare `/regex/` literal (only valid as a function argument).
    Regex(Regex),
    /// A time period literal (`5m`).
    Duration(Duration),
    /// `*` — only as the sole argument of `count(*)`.
    Star,
    /// `-x`, `not x`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<Expr>,
    },
    /// `lhs op rhs`.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `expr [not] in [a, b, …]` (exact membership).
    In {
        /// Tested value.
        expr: Box<Expr>,
        /// Candidate values.
        list: Vec<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `expr [not] in (SOURCE … | …)` sub-query (single level).
    InSubquery {
        /// Tested value.
        expr: Box<Expr>,
        /// The sub-query.
        query: Box<Query>,
        /// `not in`.
        negated: bool,
    },
    /// `expr [not] like pattern`, `expr =~ pattern`.
    Like {
        /// Tested value.
        expr: Box<Expr>,
        /// Substring or regex.
        pattern: LikePattern,
        /// `not like`.
        negated: bool,
    },
    /// Function call; `name` is canonical (see [`crate::functions`]).
    Call {
        /// Canonical function name (e.g. `count_distinct`, `isValidIp`).
        name: &'static str,
        /// Registry entry (kind, arity).
        func: &'static FunctionSpec,
        /// Arguments (`count(*)` → `[Star]`, `count()` → `[]`).
        args: Vec<Expr>,
        /// Span of the function name as written.
        name_span: Span,
    },
    /// `base[index]` (list / map access on structured values).
    Index {
        /// The list/map expression.
        base: Box<Expr>,
        /// The index / key expression.
        index: Box<Expr>,
    },
    /// `base.key` where `base` is not a plain field (e.g. `jsonParse(x).a`,
    /// `l[0].id`). Plain dotted names are [`ExprKind::Field`] instead.
    Member {
        /// The map expression.
        base: Box<Expr>,
        /// Key (backticks removed).
        key: String,
    },
}

/// `expr [as alias]` in `fields`, `stats` aggregations and `by` keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The expression.
    pub expr: Expr,
    /// `as alias`, if given.
    pub alias: Option<Ident>,
    /// Span of `expr [as alias]`.
    pub span: Span,
}

impl Projection {
    /// Output column name: the alias, or the verbatim expression text
    /// (`count(*)`, `bin(5m)`), as AWS names columns.
    pub fn output_name(&self, query: &str) -> String {
        match &self.alias {
            Some(a) => a.name.clone(),
            None => self.expr.span.text(query).to_string(),
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// `asc` (the default [U]).
    Asc,
    /// `desc`.
    Desc,
}

/// One `sort` key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// Sort expression.
    pub expr: Expr,
    /// Direction (`Asc` when not written).
    pub order: SortOrder,
    /// Whether `asc`/`desc` was written.
    pub explicit: bool,
    /// Span of the key including the direction.
    pub span: Span,
}

/// The `stats` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Aggregation expressions (each contains ≥1 aggregate call).
    pub aggregations: Vec<Projection>,
    /// `by` keys (no aggregates).
    pub by: Vec<Projection>,
    /// `offset <duration>` (time-series offset) [D26].
    pub offset: Option<Duration>,
}

/// Mode of a `parse` command.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseMode {
    /// `parse f "glob*pattern" as a, b`.
    Glob {
        /// The pattern (escapes resolved); `*` are the captures.
        pattern: String,
        /// Span of the string literal.
        pattern_span: Span,
        /// One alias per `*`.
        aliases: Vec<Ident>,
    },
    /// `parse f /re/ [multi]`: named groups become fields.
    Regex {
        /// The regex.
        regex: Regex,
        /// `multi`: one output row per match.
        multi: bool,
    },
    /// `parse f logfmt as m`: a map of key/value pairs.
    Logfmt {
        /// Alias of the resulting map.
        alias: Ident,
    },
    /// `parse f csv as c1, c2`: positional CSV values.
    Csv {
        /// One alias per column.
        aliases: Vec<Ident>,
    },
}

/// The `parse` command.
#[derive(Debug, Clone, PartialEq)]
pub struct Parse {
    /// Source field (`@message` when omitted; then `implicit_field`).
    pub field: FieldRef,
    /// True if the field was omitted.
    pub implicit_field: bool,
    /// How to parse.
    pub mode: ParseMode,
}

/// `OUTPUT` vs `OUTPUTNEW` in `lookup` / `cidrlookup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupMode {
    /// Overwrite existing fields (null when no match).
    Output,
    /// Only fill fields that are not already present.
    OutputNew,
}

/// `name [as alias]` item used by `lookup` / `cidrlookup`.
#[derive(Debug, Clone, PartialEq)]
pub struct NameAlias {
    /// The name (field or table column).
    pub name: Ident,
    /// `as alias`.
    pub alias: Option<Ident>,
}

/// `diff` baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffBaseline {
    /// The immediately preceding window of equal length (no argument).
    Previous,
    /// `previousDay`
    PreviousDay,
    /// `previousWeek`
    PreviousWeek,
    /// `previousMonth`
    PreviousMonth,
}

/// `outlier action=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlierAction {
    /// Drop outlier rows.
    Remove,
    /// Clamp outliers.
    Transform,
}

/// `join type=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    /// `type=inner` (default [U]).
    Inner,
    /// `type=left`.
    Left,
}

/// A command with its span (keyword through last token).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// What the command does.
    pub kind: CommandKind,
    /// Source range of the whole command.
    pub span: Span,
}

/// All commands of §2.2 (aliases resolved: `where` → `Filter`, `order` →
/// `Sort`, `count_frequent` → `CountFrequent`).
#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `fields expr [as a], …`
    Fields(Vec<Projection>),
    /// `display f1, f2` (only the last `display` is honoured).
    Display(Vec<FieldRef>),
    /// `filter expr` / `where expr`.
    Filter(Expr),
    /// `stats …`
    Stats(Stats),
    /// `sort expr [asc|desc], …` / `order …`.
    Sort(Vec<SortKey>),
    /// `limit n` / `limit any n`.
    Limit {
        /// Row count (1..=100,000).
        n: u64,
        /// `limit any`.
        any: bool,
    },
    /// `head n` (legacy; ≈ `limit n`).
    Head(u64),
    /// `tail n` (legacy; last n rows in sort order [U]).
    Tail(u64),
    /// `parse …`
    Parse(Parse),
    /// `dedup f1, f2`.
    Dedup(Vec<FieldRef>),
    /// `unnest field into alias`.
    Unnest {
        /// List field.
        field: FieldRef,
        /// Element alias.
        alias: Ident,
    },
    /// `expand field`.
    Expand {
        /// Array field.
        field: FieldRef,
    },
    /// `lookup table key [as k], … [OUTPUT|OUTPUTNEW out [as a], …]`.
    Lookup {
        /// Lookup table name.
        table: Ident,
        /// Match keys: `name` is the event field, `alias` the table column
        /// when it differs (spec: `keyField [as tableKey]`) [U].
        keys: Vec<NameAlias>,
        /// `OUTPUT` / `OUTPUTNEW` (`None`: all columns, OUTPUT semantics [U]).
        mode: Option<LookupMode>,
        /// Table columns to copy (`name`), optionally renamed (`alias`).
        outputs: Vec<NameAlias>,
    },
    /// `filterIndex f = v` / `filterIndex f in [..]` (and/or combinations).
    FilterIndex(Expr),
    /// `pattern expr`.
    Pattern(Expr),
    /// `diff [previousDay|previousWeek|previousMonth]`.
    Diff(DiffBaseline),
    /// `anomaly`.
    Anomaly,
    /// `addtotals [row=b] [col=b] [fieldname=x] [labelfield=f] [label=x] [f…]`.
    AddTotals {
        /// Add a per-row total column (default true [U]).
        row: Option<bool>,
        /// Add a totals row (default false [U]).
        col: Option<bool>,
        /// Name of the total column (default `Total`).
        fieldname: Option<String>,
        /// Field that receives the label on the totals row.
        labelfield: Option<String>,
        /// Label text (default `Total`).
        label: Option<String>,
        /// Fields to sum (empty: all numeric fields).
        fields: Vec<FieldRef>,
    },
    /// `relevantfields [f…] where cond` (must follow `filter`).
    RelevantFields {
        /// Candidate fields (empty: all).
        fields: Vec<FieldRef>,
        /// The condition.
        condition: Expr,
    },
    /// `autoregress f [as a] [p=n|p=n-m]`.
    Autoregress {
        /// Source field.
        field: FieldRef,
        /// Output prefix.
        alias: Option<Ident>,
        /// Lag range `(from, to)`; `p=n` is `(n, n)`; default `(1, 1)` [U].
        lags: (u64, u64),
    },
    /// `logcompare timeshift <duration>`.
    LogCompare {
        /// Time shift.
        timeshift: Duration,
    },
    /// `filldown [f1, f2* …]` (names may end with a `*` wildcard).
    Filldown {
        /// Field names / wildcard patterns (empty: all fields).
        fields: Vec<Ident>,
    },
    /// `fillmissing with <value> [for f1, f2]`.
    Fillmissing {
        /// Fill value.
        value: Expr,
        /// Fields to fill (empty: all [U]).
        fields: Vec<FieldRef>,
    },
    /// `cidrlookup table ipField [as col] OUTPUT|OUTPUTNEW o1, …`.
    CidrLookup {
        /// Lookup table name.
        table: Ident,
        /// IP field and optional table CIDR column.
        key: NameAlias,
        /// Output mode.
        mode: Option<LookupMode>,
        /// Columns to copy.
        outputs: Vec<NameAlias>,
    },
    /// `outlier [action=…] [param=n] [uselower=b] [mark=b] f…`.
    Outlier {
        /// Remove or transform (default remove [U]).
        action: Option<OutlierAction>,
        /// IQR multiplier (default 2.5).
        param: Option<f64>,
        /// Also use the lower bound.
        uselower: Option<bool>,
        /// Mark instead of remove.
        mark: Option<bool>,
        /// Fields.
        fields: Vec<FieldRef>,
    },
    /// `accum field [as out]`.
    Accum {
        /// Summed field.
        field: FieldRef,
        /// Output name.
        alias: Option<Ident>,
    },
    /// `appendcols [override=b] [max=n] ( subquery )`.
    AppendCols {
        /// Override existing columns (default false).
        override_: Option<bool>,
        /// Max rows (1..=100,000; default 10,000).
        max: Option<u64>,
        /// The sub-query.
        query: Box<Query>,
    },
    /// `sessionize f1, … [maxspan <dur>] [as name]`.
    Sessionize {
        /// Key fields.
        fields: Vec<FieldRef>,
        /// Maximum gap (default 30m).
        maxspan: Option<Duration>,
        /// Output field (default `session_id`).
        alias: Option<Ident>,
    },
    /// `countFrequent f1, …` / `count_frequent`.
    CountFrequent(Vec<FieldRef>),
    /// `join [type=inner|left] [left=a] [right=b] where cond ( subquery )`.
    Join {
        /// Join type.
        join_type: Option<JoinType>,
        /// Alias of the current rows.
        left: Option<Ident>,
        /// Alias of the sub-query rows.
        right: Option<Ident>,
        /// Equality condition.
        condition: Expr,
        /// The sub-query.
        query: Box<Query>,
    },
}

impl CommandKind {
    /// The canonical command keyword (`where` → `filter`).
    pub fn name(&self) -> &'static str {
        use CommandKind::*;
        match self {
            Fields(_) => "fields",
            Display(_) => "display",
            Filter(_) => "filter",
            Stats(_) => "stats",
            Sort(_) => "sort",
            Limit { .. } => "limit",
            Head(_) => "head",
            Tail(_) => "tail",
            Parse(_) => "parse",
            Dedup(_) => "dedup",
            Unnest { .. } => "unnest",
            Expand { .. } => "expand",
            Lookup { .. } => "lookup",
            FilterIndex(_) => "filterIndex",
            Pattern(_) => "pattern",
            Diff(_) => "diff",
            Anomaly => "anomaly",
            AddTotals { .. } => "addtotals",
            RelevantFields { .. } => "relevantfields",
            Autoregress { .. } => "autoregress",
            LogCompare { .. } => "logcompare",
            Filldown { .. } => "filldown",
            Fillmissing { .. } => "fillmissing",
            CidrLookup { .. } => "cidrlookup",
            Outlier { .. } => "outlier",
            Accum { .. } => "accum",
            AppendCols { .. } => "appendcols",
            Sessionize { .. } => "sessionize",
            CountFrequent(_) => "countFrequent",
            Join { .. } => "join",
        }
    }
}

/// `logGroups(...)` class parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupsSelector {
    /// `namePrefix: ['a', 'b']` (≤5).
    pub name_prefix: Vec<String>,
    /// `accountIdentifiers: ['123456789012']` (≤20).
    pub account_identifiers: Vec<String>,
    /// `class: 'STANDARD' | 'INFREQUENT_ACCESS'`.
    pub class: Option<String>,
}

/// A `start=` / `end=` bound of `SOURCE 'name' …`.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceTime {
    /// `now`.
    Now,
    /// `-1d`: that long before now.
    Ago(Duration),
    /// A number (epoch seconds [U]).
    Epoch(Number),
    /// A string timestamp (format not validated) [U].
    Text(String),
}

/// The `SOURCE` clause.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// `SOURCE logGroups(namePrefix: […], accountIdentifiers: […], class: '…')`.
    LogGroups(LogGroupsSelector),
    /// `SOURCE 'name' [, 'name2'] [start=…] [end=…]`.
    Named {
        /// Log group names/ARNs.
        names: Vec<String>,
        /// Start bound.
        start: Option<SourceTime>,
        /// End bound.
        end: Option<SourceTime>,
    },
}

/// The `SOURCE` clause with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// What was selected.
    pub kind: SourceKind,
    /// Source range.
    pub span: Span,
}

/// A parsed query (or sub-query).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Leading `SOURCE` clause, if any.
    pub source: Option<Source>,
    /// The pipeline, in order.
    pub commands: Vec<Command>,
}
