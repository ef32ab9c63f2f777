//! Compiles a parsed Insights query into a DataFusion plan over the base relation.
//!
//! The compiler walks the commands in order, threading a [`DataFrame`] and a scope that maps
//! Insights field names to internal columns with their [`Kind`]. Fields that are not system
//! fields are discovered on demand from `@message` (JSON keys, Lambda fields) the first time
//! they are referenced. `stats` replaces the scope with its output columns.

mod analytics;
mod commands;
mod expr;
mod functions;
pub mod kind;
pub mod lookup;
pub mod patterns;
mod stats;
mod structured;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use datafusion::common::DFSchema;
use datafusion::dataframe::DataFrame;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::{Expr, col};
use larch_insights::{Query, Span};

use crate::count::{RowCounter, count_rows};
use crate::error::{QueryError, Result};
use crate::scan::cols;
pub use kind::Kind;

/// A resolved column.
#[derive(Debug, Clone)]
pub struct Column {
    pub internal: String,
    pub kind: Kind,
}

/// One output column of the compiled query.
#[derive(Debug, Clone)]
pub struct OutputColumn {
    /// The name shown to the user (`field` in results).
    pub name: String,
    pub internal: String,
    pub kind: Kind,
}

/// Inputs that are not part of the query text.
#[derive(Debug, Clone, Copy)]
pub struct CompileParams {
    pub start_ms: i64,
    pub end_ms: i64,
    /// Query start, for `now()`.
    pub now_ms: i64,
    /// Row cap when the query has no `limit` (StartQuery `limit`, default 10,000).
    pub default_limit: usize,
}

/// The compiled query.
pub struct CompiledQuery {
    pub frame: DataFrame,
    pub output: Vec<OutputColumn>,
    /// Stats results have no `@ptr`.
    pub aggregated: bool,
    /// The rows that matched the filters (input of the first stats, or the result before
    /// limits), for `recordsMatched`.
    pub matched: Matched,
    /// Whether the plan holds the query's window (`queryStartTime()`, `rate()` without `bin`)
    /// or start time (`now()`) as literals: it cannot serve another query.
    pub window_dependent: bool,
}

/// How `recordsMatched` is obtained.
pub enum Matched {
    /// Counted while `frame` runs, by a [`crate::count::CountRows`] node in it.
    Counter(RowCounter),
    /// A separate plan to count (when the matched rows are not a point of `frame`'s flow).
    Plan(DataFrame),
}

pub(crate) struct Compiler<'q> {
    query: &'q str,
    params: CompileParams,
    frame: DataFrame,
    scope: HashMap<String, Column>,
    /// Names shown in results, in order (`fields` accumulates, `display` replaces).
    output: Vec<String>,
    explicit_output: bool,
    aggregated: bool,
    stats_count: usize,
    sorted: bool,
    /// Sort applied at the end if the query did not sort (stats: by the `by` keys).
    default_sort: Option<Vec<datafusion::logical_expr::SortExpr>>,
    matched: Option<Matched>,
    /// Discovered fields that are only shown, by internal column: computed at the end, after the
    /// final limit, unless something uses them before (`expr::output_field`).
    lazy: HashMap<String, Expr>,
    limit: Option<usize>,
    counter: usize,
    /// Aggregate calls (by span) compiled to columns, while compiling a stats expression.
    agg_refs: HashMap<(usize, usize), Column>,
    /// The order rows currently have when a command imposed one (`sort`, `limit`, ...).
    current_sort: Option<Vec<datafusion::logical_expr::SortExpr>>,
    /// The last `stats` by-keys in order, with their `bin()` period in ms (0: not a bin).
    bin_periods: Vec<(String, i64)>,
    /// Whether the plan holds the query's window or start time as literals.
    window_dependent: bool,
}

/// Compiles `ast` (parsed from `query`) over `base`.
pub fn compile(query: &str, ast: &Query, base: DataFrame, params: CompileParams) -> Result<CompiledQuery> {
    let mut c = Compiler {
        query,
        params,
        frame: base,
        scope: system_scope(),
        output: Vec::new(),
        explicit_output: false,
        aggregated: false,
        stats_count: 0,
        sorted: false,
        default_sort: None,
        matched: None,
        lazy: HashMap::new(),
        limit: None,
        counter: 0,
        agg_refs: HashMap::new(),
        current_sort: None,
        bin_periods: Vec::new(),
        window_dependent: false,
    };
    for command in &ast.commands {
        c.command(command)?;
    }
    c.finish()
}

fn system_scope() -> HashMap<String, Column> {
    let mut scope = HashMap::new();
    for (name, internal, kind) in [
        ("@timestamp", cols::TS, Kind::Time),
        ("@message", cols::MSG, Kind::Str),
        ("@logStream", cols::STREAM, Kind::Str),
        ("@log", cols::LOG, Kind::Str),
        ("@ingestionTime", cols::INGESTION, Kind::Time),
    ] {
        scope.insert(name.to_string(), Column { internal: internal.to_string(), kind });
    }
    scope
}

/// A session state without registered functions: what a taken frame leaves behind.
static BARE_STATE: LazyLock<SessionState> = LazyLock::new(|| SessionStateBuilder::new().build());

impl Compiler<'_> {
    pub(crate) fn fresh(&mut self) -> String {
        self.counter += 1;
        format!("c{}", self.counter)
    }

    pub(crate) fn malformed(&self, span: Span, message: impl Into<String>) -> QueryError {
        let (start, end) = span.char_range(self.query);
        QueryError::Malformed { start, end, message: message.into() }
    }

    /// The frame, to be replaced by the caller with what it builds on it. Taken rather than
    /// cloned: a DataFrame clone copies its session state, hundreds of registered functions.
    pub(crate) fn take_frame(&mut self) -> DataFrame {
        let placeholder =
            LogicalPlan::EmptyRelation(EmptyRelation { produce_one_row: false, schema: Arc::new(DFSchema::empty()) });
        std::mem::replace(&mut self.frame, DataFrame::new(BARE_STATE.clone(), placeholder))
    }

    fn finish(mut self) -> Result<CompiledQuery> {
        if !self.sorted {
            let sort = match self.default_sort.take() {
                Some(sort) => sort,
                None if self.aggregated => Vec::new(),
                None => self.default_row_order(),
            };
            if !sort.is_empty() {
                self.frame = self.take_frame().sort(sort)?;
            }
        }
        self.remember_matched()?;
        let matched = self.matched.take().unwrap_or_else(|| Matched::Plan(self.frame.clone()));
        let limit = self.limit.unwrap_or(self.params.default_limit);
        self.frame = self.take_frame().limit(0, Some(limit))?;

        if !self.explicit_output && !self.aggregated {
            self.output = vec!["@timestamp".into(), "@message".into()];
        }
        let mut output = Vec::new();
        let mut select: Vec<Expr> = Vec::new();
        for name in &self.output {
            let column = self
                .scope
                .get(name)
                .cloned()
                .ok_or_else(|| QueryError::Execution(format!("unresolved output column {name}")))?;
            let alias = format!("o{}", output.len());
            let value = match self.lazy.get(&column.internal) {
                Some(lazy) => lazy.clone(),
                None => col(column.internal.as_str()),
            };
            select.push(value.alias(&alias));
            output.push(OutputColumn { name: name.clone(), internal: alias, kind: column.kind });
        }
        if !self.aggregated {
            for hidden in [cols::GROUP, cols::SEQ, cols::TS] {
                select.push(col(hidden));
            }
        }
        let frame = self.take_frame().select(select)?;
        Ok(CompiledQuery {
            frame,
            output,
            aggregated: self.aggregated,
            matched,
            window_dependent: self.window_dependent,
        })
    }

    /// Marks the rows now flowing out of the frame as the matched rows (once): a counting node
    /// is put into the plan, so they are counted while the query runs.
    pub(crate) fn remember_matched(&mut self) -> Result<()> {
        if self.matched.is_some() {
            return Ok(());
        }
        let counter = RowCounter::default();
        let (state, plan) = self.take_frame().into_parts();
        self.frame = DataFrame::new(state, count_rows(plan, counter.clone())?);
        self.matched = Some(Matched::Counter(counter));
        Ok(())
    }

    /// Makes `name` an output column (once).
    pub(crate) fn add_output(&mut self, name: &str) {
        if !self.output.iter().any(|n| n == name) {
            self.output.push(name.to_string());
        }
    }
}
