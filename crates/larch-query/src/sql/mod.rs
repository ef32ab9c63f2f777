//! `queryLanguage=SQL`: CloudWatch's OpenSearch-SQL flavour run through DataFusion SQL.
//!
//! * The query names its log groups in `FROM` ([`source`]): each table name (a backticked
//!   name or ARN, or `` `logGroups(logGroupIdentifier: [...])` ``) is registered as a view
//!   over those groups' base relation ([`crate::scan`]) for StartQuery's time range.
//! * Columns: the system fields `@timestamp` and `@ingestionTime` (timestamps, rendered as
//!   Insights renders them), `@message`, `@logStream`, `@log`; and any other column the query
//!   references is a discovered field of `@message` (JSON keys, Lambda fields) as text, found
//!   by planning until no column is unknown. JSON is also reachable through [`json`]
//!   functions (`get_json_object`, `json_extract`, ...).
//! * Only a single read-only query (`SELECT`, `WITH`, `UNION`, ...) is accepted; the parser
//!   is sqlparser's Spark dialect (backticks quote identifiers, `'…'` and `"…"` are strings).
//!   Identifiers keep their case.
//! * Results are rendered generically ([`render`]): column names as DataFusion names them,
//!   values as strings, NULLs left out.

pub mod json;
mod render;
pub mod source;

use std::collections::HashSet;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{SchemaError, TableReference};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{Expr, SessionContext, cast, col, lit};
use datafusion::sql::parser::{DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::SparkSqlDialect;
use datafusion::sql::sqlparser::parser::ParserError;

use larch_storage::{LogGroup, Storage};

use crate::compile::CompileParams;
use crate::engine::{Statistics, scan_groups, session};
use crate::error::{QueryError, Result};
use crate::render::Row;
use crate::scan::{base_frame, cols};
use crate::scanned::scanned_totals;
use crate::udf::{FieldUdf, udf};

/// The system fields, as SQL columns.
pub const SYSTEM_FIELDS: [&str; 5] = ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime"];

/// Discovered fields one query may reference.
const MAX_FIELDS: usize = 200;

/// A table of the query's `FROM` clauses.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlTable {
    /// The table name as written (without backticks).
    pub name: String,
    /// The log groups it stands for (names or ARNs).
    pub identifiers: Vec<String>,
}

/// A parsed and checked SQL query.
#[derive(Debug, Clone)]
pub struct SqlQuery {
    text: String,
    statement: DFStatement,
    tables: Vec<SqlTable>,
    /// Discovered fields the query references (the tables' extra columns).
    fields: Vec<String>,
}

impl SqlQuery {
    /// The tables named in `FROM`, in a stable order.
    pub fn tables(&self) -> &[SqlTable] {
        &self.tables
    }
    /// The discovered fields the query references.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }
}

/// Parses `text` and plans it once over empty tables: syntax errors, statements other than a
/// query, unknown functions and type errors become [`QueryError::Malformed`].
pub async fn prepare(text: &str) -> Result<SqlQuery> {
    let statement = parse_statement(text)?;
    let tables = tables(text, &statement)?;
    let mut query = SqlQuery { text: text.to_string(), statement, tables, fields: Vec::new() };
    let ctx = sql_session();
    loop {
        let mut bases = Vec::new();
        for _ in &query.tables {
            bases.push(base_frame(&ctx, &[], 0, 0).await?);
        }
        match plan(&ctx, &query, bases, &query.fields).await {
            Ok(_) => return Ok(query),
            Err(e) => match unknown_column(&e) {
                Some(name)
                    if !query.fields.contains(&name)
                        && !SYSTEM_FIELDS.contains(&name.as_str())
                        && query.fields.len() < MAX_FIELDS =>
                {
                    query.fields.push(name);
                }
                _ => return Err(planning_error(text, e)),
            },
        }
    }
}

/// Runs a prepared query. `groups[i]` are the log groups of `query.tables()[i]`.
pub async fn execute(
    storage: &Storage,
    query: &SqlQuery,
    groups: &[Vec<LogGroup>],
    params: CompileParams,
) -> Result<(Vec<Row>, Statistics)> {
    let ctx = sql_session();
    let mut bases = Vec::new();
    let mut distinct: Vec<LogGroup> = Vec::new();
    for table_groups in groups {
        let scan = scan_groups(storage, table_groups, params.start_ms, params.end_ms);
        bases.push(base_frame(&ctx, &scan, params.start_ms, params.end_ms).await?);
        for g in table_groups {
            if !distinct.iter().any(|d| d.id == g.id) {
                distinct.push(g.clone());
            }
        }
    }
    let frame = plan(&ctx, query, bases, &query.fields).await.map_err(|e| planning_error(&query.text, e))?;
    let frame = frame.limit(0, Some(params.default_limit))?;
    let scanned_groups = scan_groups(storage, &distinct, params.start_ms, params.end_ms);
    let (batches, scanned) =
        tokio::join!(frame.collect(), scanned_totals(&ctx, &scanned_groups, params.start_ms, params.end_ms));
    let rows = render::render(&batches?)?;
    let (records, bytes) = scanned?;
    let stats = Statistics {
        records_matched: rows.len() as f64,
        records_scanned: records,
        bytes_scanned: bytes,
        log_groups_scanned: scanned_groups.len() as f64,
    };
    Ok((rows, stats))
}

/// Resolves the tables' log groups by name or ARN in `account`; an unknown group is
/// [`QueryError::NotFound`] naming it.
pub fn resolve_in(storage: &Storage, account: &str, query: &SqlQuery) -> Result<Vec<Vec<LogGroup>>> {
    query
        .tables
        .iter()
        .map(|t| {
            t.identifiers
                .iter()
                .map(|id| {
                    let name = id.rsplit_once(":log-group:").map(|(_, n)| n).unwrap_or(id);
                    storage.log_group(account, name).ok_or_else(|| {
                        QueryError::NotFound(format!("Log group '{name}' does not exist for account ID '{account}'"))
                    })
                })
                .collect()
        })
        .collect()
}

fn sql_session() -> SessionContext {
    let ctx = session();
    {
        let state = ctx.state_ref();
        let mut state = state.write();
        let options = state.config_mut().options_mut();
        // CloudWatch field names are case-sensitive.
        options.sql_parser.enable_ident_normalization = false;
    }
    for f in json::functions() {
        ctx.register_udf(f);
    }
    // Spark names of DataFusion aggregates, as CloudWatch's SQL documents them.
    use datafusion::functions_aggregate::{
        approx_distinct::approx_distinct_udaf, approx_percentile_cont::approx_percentile_cont_udaf,
    };
    ctx.register_udaf(approx_distinct_udaf().as_ref().clone().with_aliases(["approx_count_distinct"]));
    ctx.register_udaf(approx_percentile_cont_udaf().as_ref().clone().with_aliases(["percentile_approx"]));
    ctx
}

/// The columns a table shows to SQL.
fn table_columns(fields: &[String]) -> Vec<Expr> {
    let time = DataType::Timestamp(TimeUnit::Millisecond, None);
    let mut out = vec![
        cast(col(cols::TS), time.clone()).alias("@timestamp"),
        col(cols::MSG).alias("@message"),
        col(cols::STREAM).alias("@logStream"),
        col(cols::LOG).alias("@log"),
        cast(col(cols::INGESTION), time).alias("@ingestionTime"),
    ];
    let field = udf(FieldUdf::default());
    for name in fields {
        out.push(field.call(vec![col(cols::MSG), lit(name.as_str())]).alias(name));
    }
    out
}

async fn plan(
    ctx: &SessionContext,
    query: &SqlQuery,
    bases: Vec<DataFrame>,
    fields: &[String],
) -> Result<DataFrame, DataFusionError> {
    for (table, base) in query.tables.iter().zip(bases) {
        let reference = TableReference::bare(table.name.clone());
        ctx.deregister_table(reference.clone())?;
        ctx.register_table(reference, base.select(table_columns(fields))?.into_view())?;
    }
    let state = ctx.state();
    let plan = state.statement_to_plan(query.statement.clone()).await?;
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false).verify_plan(&plan)?;
    Ok(DataFrame::new(state, plan))
}

/// The name of a column the planner could not find, if that is why planning failed.
fn unknown_column(e: &DataFusionError) -> Option<String> {
    match e.find_root() {
        DataFusionError::SchemaError(e, _) => match e.as_ref() {
            SchemaError::FieldNotFound { field, .. } => Some(field.name.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn planning_error(text: &str, e: DataFusionError) -> QueryError {
    let message = match e.find_root() {
        DataFusionError::Plan(m) | DataFusionError::NotImplemented(m) => m.clone(),
        root => root.strip_backtrace(),
    };
    QueryError::Malformed { start: 0, end: text.chars().count(), message }
}

fn parse_statement(text: &str) -> Result<DFStatement> {
    let dialect = SparkSqlDialect {};
    let mut statements = DFParserBuilder::new(text)
        .with_dialect(&dialect)
        .build()
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| syntax_error(text, e))?;
    if statements.len() > 1 {
        return Err(QueryError::Malformed {
            start: 0,
            end: text.chars().count(),
            message: "A SQL query must be a single statement.".into(),
        });
    }
    let Some(statement) = statements.pop_front() else {
        return Err(QueryError::Malformed { start: 0, end: 0, message: "The SQL query is empty.".into() });
    };
    let allowed = matches!(&statement, DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Query(_)));
    if !allowed {
        let keyword: String = text.split_whitespace().next().unwrap_or("").to_uppercase();
        let len = text.split_whitespace().next().map(|w| w.chars().count()).unwrap_or(0);
        let start = text.chars().take_while(|c| c.is_whitespace()).count();
        return Err(QueryError::Malformed {
            start,
            end: start + len,
            message: format!("Only read-only SELECT queries are supported; {keyword} statements are not allowed."),
        });
    }
    Ok(statement)
}

fn syntax_error(text: &str, e: DataFusionError) -> QueryError {
    let message = match e.find_root() {
        DataFusionError::SQL(e, _) => match e.as_ref() {
            ParserError::ParserError(m) | ParserError::TokenizerError(m) => m.clone(),
            other => other.to_string(),
        },
        other => other.strip_backtrace(),
    };
    let len = text.chars().count();
    let (start, end) =
        location(text, &message).unwrap_or(if message.ends_with("found: EOF") { (len, len) } else { (0, len) });
    QueryError::Malformed { start, end, message: format!("Syntax error: {message}") }
}

/// Char offsets of sqlparser's `at Line: L, Column: C` (1-based) in `text`.
fn location(text: &str, message: &str) -> Option<(usize, usize)> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let line: usize = line.trim().parse().ok()?;
    let column: usize = rest.chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().ok()?;
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            let start = offset + column.saturating_sub(1).min(l.chars().count());
            let token = text.chars().skip(start).take_while(|c| !c.is_whitespace()).count();
            return Some((start, start + token));
        }
        offset += l.chars().count() + 1;
    }
    None
}

/// The tables the statement reads (CTE names excluded), each with its log groups.
fn tables(text: &str, statement: &DFStatement) -> Result<Vec<SqlTable>> {
    let (references, _) =
        datafusion::sql::resolve::resolve_table_references(statement, false).map_err(|e| planning_error(text, e))?;
    let mut out: Vec<SqlTable> = Vec::new();
    let mut seen = HashSet::new();
    for reference in references {
        let TableReference::Bare { table } = &reference else {
            let name = reference.to_string();
            let (start, end) = span_of(text, &name);
            return Err(QueryError::Malformed {
                start,
                end,
                message: format!("Unknown table {name}: put log group names in backticks, e.g. FROM `{name}`."),
            });
        };
        if !seen.insert(table.to_string()) {
            continue;
        }
        let identifiers = source::identifiers(table).map_err(|e| match e {
            QueryError::Malformed { message, .. } => {
                let (start, end) = span_of(text, table);
                QueryError::Malformed { start, end, message }
            }
            other => other,
        })?;
        out.push(SqlTable { name: table.to_string(), identifiers });
    }
    if out.is_empty() {
        return Err(QueryError::Malformed {
            start: 0,
            end: text.chars().count(),
            message: "A SQL query must name its log groups in the FROM clause, e.g. SELECT * FROM `my-log-group`."
                .into(),
        });
    }
    Ok(out)
}

fn span_of(text: &str, needle: &str) -> (usize, usize) {
    match text.find(needle) {
        Some(byte) => {
            let start = text[..byte].chars().count();
            (start, start + needle.chars().count())
        }
        None => (0, text.chars().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::location;

    #[test]
    fn parser_locations() {
        assert_eq!(
            location("SELECT * FRM x", "Expected: end of statement, found: x at Line: 1, Column: 14"),
            Some((13, 14))
        );
        assert_eq!(location("SELECT *\nFROM `a`\nWHERE ((", "found: EOF at Line: 3, Column: 7"), Some((24, 26)));
    }
}
