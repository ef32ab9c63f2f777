//! Runs a compiled Insights query: base scan → compiled plan → rendered rows, plus the
//! statistics GetQueryResults reports.

use datafusion::execution::context::SessionConfig;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::prelude::{SessionContext, col, lit};
use larch_insights::Query;
use larch_storage::{LogGroup, Storage};

use crate::compile::{CompileParams, compile};
use crate::error::{QueryError, Result};
use crate::render::{Row, render};
use crate::scan::{ScanGroup, base_frame, cols};

/// Counters reported in `statistics`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Statistics {
    pub records_matched: f64,
    pub records_scanned: f64,
    pub bytes_scanned: f64,
    pub log_groups_scanned: f64,
}

/// A fresh DataFusion session for one query.
pub fn session() -> SessionContext {
    let mut config = SessionConfig::new().with_target_partitions(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    // Read Parquet strings as plain Utf8 so segments union with in-memory batches.
    config.options_mut().execution.parquet.schema_force_view_types = false;
    config.options_mut().execution.parquet.pushdown_filters = true;
    SessionContext::new_with_config(config)
}

fn scan_groups(storage: &Storage, groups: &[LogGroup]) -> Vec<ScanGroup> {
    groups
        .iter()
        .filter_map(|g| storage.snapshot(g.id).map(|snapshot| ScanGroup { snapshot, log: format!("{}:{}", g.account, g.name) }))
        .collect()
}

/// Checks that a query compiles (for StartQuery's synchronous MalformedQueryException).
pub async fn check(query_text: &str, ast: &Query, params: CompileParams) -> Result<()> {
    let ctx = session();
    let base = base_frame(&ctx, &[], params.start_ms, params.end_ms).await?;
    compile(query_text, ast, base, params)?;
    Ok(())
}

/// Executes a query over `groups`.
pub async fn execute(storage: &Storage, groups: &[LogGroup], query_text: &str, ast: &Query, params: CompileParams) -> Result<(Vec<Row>, Statistics)> {
    let ctx = session();
    let scan = scan_groups(storage, groups);
    let base = base_frame(&ctx, &scan, params.start_ms, params.end_ms).await?;
    let compiled = compile(query_text, ast, base.clone(), params)?;
    let scanned = base.aggregate(vec![], vec![agg::count(lit(1i64)).alias("n"), agg::sum(datafusion::functions::expr_fn::octet_length(col(cols::MSG))).alias("b")])?;
    let (batches, scanned, matched) = tokio::join!(compiled.frame.collect(), scanned.collect(), compiled.matched.count());
    let batches = batches?;
    let scanned = scanned?;
    let rows = render(&batches, &compiled.output, compiled.aggregated)?;
    let (records, bytes) = first_row_numbers(&scanned)?;
    let stats = Statistics {
        records_matched: matched? as f64,
        records_scanned: records,
        bytes_scanned: bytes,
        log_groups_scanned: scan.len() as f64,
    };
    Ok((rows, stats))
}

fn first_row_numbers(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> Result<(f64, f64)> {
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else { return Ok((0.0, 0.0)) };
    let get = |i: usize| -> Result<f64> {
        let a = datafusion::arrow::compute::cast(batch.column(i), &datafusion::arrow::datatypes::DataType::Float64)?;
        let a = a.as_any().downcast_ref::<datafusion::arrow::array::Float64Array>().ok_or_else(|| QueryError::Execution("bad statistics".into()))?;
        Ok(if a.is_null(0) { 0.0 } else { a.value(0) })
    };
    Ok((get(0)?, get(1)?))
}

use datafusion::arrow::array::Array;
