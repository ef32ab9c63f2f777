//! Runs a compiled Insights query: base scan → compiled plan → rendered rows, plus the
//! statistics GetQueryResults reports.

use datafusion::dataframe::DataFrame;
use std::sync::{Arc, LazyLock};

use datafusion::execution::context::SessionConfig;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SessionContext, lit};
use larch_insights::{CommandKind, DiffBaseline, Query};
use larch_storage::{LogGroup, Storage};

use crate::compile::lookup::LookupTables;
use crate::compile::patterns::WINDOW_COLUMN;
use crate::compile::{CompileParams, Matched, OutputColumn, compile};
use crate::count::LarchQueryPlanner;
use crate::error::Result;
use crate::leaves::{has_dynamic_filters, rebind, without_data};
use crate::plan_cache::{self, PlanKey, Template};
use crate::prune::Pruning;
use crate::render::{Row, render};
use crate::scan::ScanGroup;
use crate::scanned::scanned_totals;

/// Counters reported in `statistics`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Statistics {
    pub records_matched: f64,
    pub records_scanned: f64,
    pub bytes_scanned: f64,
    pub log_groups_scanned: f64,
}

/// A fresh DataFusion session, with a catalog of its own (SQL queries register their tables).
pub fn session() -> SessionContext {
    SessionContext::new_with_state(session_state(Language::Sql, None))
}

/// The session of one Insights query, carrying the account's lookup tables for `lookup`.
fn session_with(lookups: Option<LookupTables>) -> SessionContext {
    match lookups {
        // Registering DataFusion's hundreds of functions costs ~0.5 ms: done once, cloned per
        // query. Clones share the prototype's catalog, which is why only Insights queries,
        // which read tables without registering them, start from it.
        None => SessionContext::new_with_state(PROTOTYPE.clone()),
        Some(lookups) => SessionContext::new_with_state(session_state(Language::Insights, Some(lookups))),
    }
}

/// The state every query's session starts from.
static PROTOTYPE: LazyLock<SessionState> = LazyLock::new(|| session_state(Language::Insights, None));

/// Who wrote the plan a session runs.
#[derive(Clone, Copy, PartialEq)]
enum Language {
    /// Compiled by larch from an Insights query: small plans without subqueries.
    Insights,
    /// The user's SQL.
    Sql,
}

fn session_state(language: Language, lookups: Option<LookupTables>) -> SessionState {
    let mut config =
        SessionConfig::new().with_target_partitions(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    // Read Parquet strings as plain Utf8 so segments union with in-memory batches.
    config.options_mut().execution.parquet.schema_force_view_types = false;
    // Filters run after the scan, not inside the Parquet decoder (DataFusion's default). Row
    // filters build a second reader per row group for the predicate columns; on segments that
    // cost more than they saved in every benchmark query (the substring index and row-group
    // statistics already skip what cannot match): docs/benchmarks.md, fifth engine session.
    config.options_mut().execution.parquet.pushdown_filters = false;
    // Segments carry no Parquet bloom filters (the substring index does their job), so
    // looking for them in every file a query opens is wasted work.
    config.options_mut().execution.parquet.bloom_filter_on_read = false;
    if language == Language::Insights {
        // The plans larch compiles need no second optimizer pass to settle (the benchmark
        // queries' physical plans are the same after one, but for a redundant projection over
        // a top-k's rows), and more passes cost ~0.4 ms of every query's fixed cost
        // (docs/benchmarks.md, sixth engine session).
        config.options_mut().optimizer.max_passes = 1;
    }
    if let Some(lookups) = lookups {
        config = config.with_extension(Arc::new(lookups));
    }
    SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(Arc::clone(&RUNTIME))
        .with_default_features()
        .with_query_planner(Arc::new(LarchQueryPlanner))
        .build()
}

/// Memory all running queries share. Sorts, aggregations and joins that would exceed it spill
/// to temporary files instead of growing without bound; the pool is fair, so one big query
/// cannot starve the others.
const QUERY_MEMORY_BYTES: usize = 2 << 30;

static RUNTIME: LazyLock<Arc<RuntimeEnv>> = LazyLock::new(|| {
    let pool = Arc::new(FairSpillPool::new(QUERY_MEMORY_BYTES));
    RuntimeEnvBuilder::new().with_memory_pool(pool).build_arc().unwrap_or_else(|_| Arc::new(RuntimeEnv::default()))
});

/// The baseline window `[start, end]` (ms) of a query with `diff`, if it has one.
pub fn diff_window(ast: &Query, params: &CompileParams) -> Option<(i64, i64)> {
    let baseline = ast.commands.iter().find_map(|c| match &c.kind {
        CommandKind::Diff(b) => Some(*b),
        _ => None,
    })?;
    let (start, end) = (params.start_ms, params.end_ms);
    let shift = |ms: i64| Some((start.saturating_sub(ms), end.saturating_sub(ms)));
    match baseline {
        DiffBaseline::Previous => {
            let len = end.saturating_sub(start).saturating_add(1);
            shift(len)
        }
        DiffBaseline::PreviousDay => shift(86_400_000),
        DiffBaseline::PreviousWeek => shift(7 * 86_400_000),
        DiffBaseline::PreviousMonth => Some((minus_month(start), minus_month(end))),
    }
}

/// The same wall-clock time one calendar month earlier (UTC; the day is clamped to the
/// month's length).
fn minus_month(ms: i64) -> i64 {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000) else { return ms };
    let (year, month) = if t.month() == time::Month::January {
        (t.year() - 1, time::Month::December)
    } else {
        (t.year(), t.month().previous())
    };
    let day = t.day().min(month.length(year));
    let Ok(date) = time::Date::from_calendar_date(year, month, day) else { return ms };
    (t.replace_date(date).unix_timestamp_nanos() / 1_000_000) as i64
}

/// The relation a query's commands read: the base relation, plus, for `diff`, the baseline
/// window's events, every row tagged with [`WINDOW_COLUMN`] (0 = query window, 1 = baseline).
async fn query_input(
    ctx: &SessionContext,
    scan: &[ScanGroup],
    query_text: &str,
    ast: &Query,
    params: &CompileParams,
    base: &DataFrame,
) -> Result<DataFrame> {
    let Some((start, end)) = diff_window(ast, params) else { return Ok(base.clone()) };
    let baseline = crate::scan::base_frame_pruned(ctx, scan, start, end, &Pruning::none(), Some(query_text)).await?;
    Ok(base.clone().with_column(WINDOW_COLUMN, lit(0i64))?.union(baseline.with_column(WINDOW_COLUMN, lit(1i64))?)?)
}

/// The lookup tables of the account that owns `groups`, when the query uses `lookup`.
fn lookups_for(storage: &Storage, account: &str, ast: &Query) -> Option<LookupTables> {
    if !ast.commands.iter().any(|c| matches!(c.kind, CommandKind::Lookup { .. })) {
        return None;
    }
    Some(crate::service::lookup::load_tables(storage.data_dir(), account))
}

/// Snapshots of `groups` with the segments that may hold events in `[start_ms, end_ms]`.
pub(crate) fn scan_groups(storage: &Storage, groups: &[LogGroup], start_ms: i64, end_ms: i64) -> Vec<ScanGroup> {
    groups
        .iter()
        .filter_map(|g| {
            let snapshot = storage.snapshot_between(g.id, start_ms, end_ms)?;
            Some(ScanGroup { snapshot, log: format!("{}:{}", g.account, g.name) })
        })
        .collect()
}

/// A query planned over a snapshot of its log groups, ready to run.
pub struct Prepared {
    ctx: SessionContext,
    scan: Vec<ScanGroup>,
    /// The physical plan, or why it could not be made: a query that compiled but cannot be
    /// planned fails when it runs (status Failed), as before plans were made in StartQuery,
    /// rather than making StartQuery answer a retryable error.
    plan: Result<Arc<dyn ExecutionPlan>>,
    matched: Matched,
    output: Vec<OutputColumn>,
    aggregated: bool,
    start_ms: i64,
    end_ms: i64,
}

/// Compiles and plans a query over a snapshot of `groups` taken now (StartQuery answers its
/// MalformedQueryException from this), or takes a kept plan of the same shape
/// (`plan_cache`). The account's lookup tables are loaded, so a missing table or
/// column is reported here too.
pub async fn prepare(
    storage: &Storage,
    groups: &[LogGroup],
    query_text: &str,
    ast: &Query,
    params: CompileParams,
) -> Result<Prepared> {
    let account = groups.first().map(|g| g.account.as_str()).unwrap_or_default();
    let lookups = lookups_for(storage, account, ast);
    let diff = diff_window(ast, &params);
    let cacheable = lookups.is_none() && diff.is_none();
    let ctx = session_with(lookups);
    // The segments of the query's window and, with `diff`, of its baseline window.
    let (from, to) = match diff {
        Some((start, end)) => (start.min(params.start_ms), end.max(params.end_ms)),
        None => (params.start_ms, params.end_ms),
    };
    let scan = scan_groups(storage, groups, from, to);
    let pruning = crate::prune::Pruning::for_query(ast); // skip what cannot match (substring index)
    let layout = crate::scan::layout(&scan, params.start_ms, params.end_ms, &pruning, Some(query_text)).await?;
    let key = cacheable.then(|| PlanKey {
        data_dir: storage.data_dir().to_path_buf(),
        query: query_text.to_owned(),
        default_limit: params.default_limit,
        groups: scan.iter().map(|g| (g.snapshot.group.id, g.log.clone())).collect(),
        shape: layout.shape(),
    });
    let (start_ms, end_ms) = (params.start_ms, params.end_ms);
    if let Some(template) = key.as_ref().and_then(plan_cache::get) {
        let (plan, counter) = rebind(&template.plan, &layout.data(&scan))?;
        if let Some(counter) = counter {
            plan_cache::record_hit();
            let (output, aggregated) = (template.output.clone(), template.aggregated);
            let matched = Matched::Counter(counter);
            return Ok(Prepared { ctx, scan, plan: Ok(plan), matched, output, aggregated, start_ms, end_ms });
        }
    }
    let base = crate::scan::frame_of(&ctx, &scan, &layout)?;
    let input = query_input(&ctx, &scan, query_text, ast, &params, &base).await?;
    let compiled = compile(query_text, ast, input, params)?;
    let plan = compiled.frame.create_physical_plan().await.map_err(Into::into);
    if let Some(key) = key
        && let Ok(plan) = &plan
        && !compiled.window_dependent
        && matches!(compiled.matched, Matched::Counter(_))
        && !has_dynamic_filters(plan)
    {
        let template =
            Template { plan: without_data(plan)?, output: compiled.output.clone(), aggregated: compiled.aggregated };
        plan_cache::insert(key, template);
    }
    let (matched, output, aggregated) = (compiled.matched, compiled.output, compiled.aggregated);
    Ok(Prepared { ctx, scan, plan, matched, output, aggregated, start_ms, end_ms })
}

impl Prepared {
    /// Runs the query: its rows and the statistics GetQueryResults reports.
    pub async fn run(self) -> Result<(Vec<Row>, Statistics)> {
        let Prepared { ctx, scan, plan, matched, output, aggregated, start_ms, end_ms } = self;
        let plan = plan?;
        let (batches, scanned) =
            tokio::join!(collect(plan, ctx.task_ctx()), scanned_totals(&ctx, &scan, start_ms, end_ms));
        let batches = batches?;
        let matched = match matched {
            Matched::Counter(counter) => counter.get() as usize,
            Matched::Plan(plan) => plan.count().await?,
        };
        let rows = render(&batches, &output, aggregated)?;
        let (records, bytes) = scanned?;
        let stats = Statistics {
            records_matched: matched as f64,
            records_scanned: records,
            bytes_scanned: bytes,
            log_groups_scanned: scan.len() as f64,
        };
        Ok((rows, stats))
    }
}

/// Executes a query over `groups`.
pub async fn execute(
    storage: &Storage,
    groups: &[LogGroup],
    query_text: &str,
    ast: &Query,
    params: CompileParams,
) -> Result<(Vec<Row>, Statistics)> {
    prepare(storage, groups, query_text, ast, params).await?.run().await
}
