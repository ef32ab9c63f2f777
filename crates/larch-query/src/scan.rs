//! The base relation of a query: every event of the selected log groups in the time range,
//! from the memtable batches and the Parquet segments, with system columns.
//!
//! Pruning happens before any byte is read: segments outside the range are never opened, and
//! the timestamp predicate is pushed into the Parquet scan (row-group statistics).

use std::collections::HashSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{ParquetReadOptions, SessionContext, cast, col, in_list, lit};

use larch_storage::GroupSnapshot;
use larch_storage::schema::{
    COL_INGESTION_TIME, COL_MESSAGE, COL_SEQ, COL_STREAM, COL_STREAM_ID, COL_TIMESTAMP, event_schema,
};

use crate::error::Result;

/// Internal column names of the base relation.
pub mod cols {
    pub const TS: &str = "__ts";
    pub const MSG: &str = "__msg";
    pub const STREAM: &str = "__stream";
    pub const INGESTION: &str = "__ing";
    pub const SEQ: &str = "__seq";
    pub const GROUP: &str = "__gid";
    pub const LOG: &str = "__log";
}

/// A log group selected by a query.
pub struct ScanGroup {
    pub snapshot: GroupSnapshot,
    /// `account:name`, the value of `@log`.
    pub log: String,
}

/// Builds the union of the groups' events with `start_ms <= timestamp <= end_ms`.
pub async fn base_frame(ctx: &SessionContext, groups: &[ScanGroup], start_ms: i64, end_ms: i64) -> Result<DataFrame> {
    let mut frames = Vec::new();
    for group in groups {
        frames.push(group_frame(ctx, group, start_ms, end_ms).await?);
    }
    let mut iter = frames.into_iter();
    let Some(mut frame) = iter.next() else {
        return empty_frame(ctx);
    };
    for next in iter {
        frame = frame.union(next)?;
    }
    Ok(frame)
}

fn empty_frame(ctx: &SessionContext) -> Result<DataFrame> {
    let empty = RecordBatch::new_empty(event_schema());
    let frame = ctx.read_batch(empty)?;
    Ok(frame.select(system_columns(0, ""))?)
}

async fn group_frame(ctx: &SessionContext, group: &ScanGroup, start_ms: i64, end_ms: i64) -> Result<DataFrame> {
    let snapshot = &group.snapshot;
    let lo = start_ms.max(snapshot.retention_cutoff.unwrap_or(i64::MIN));
    let mut parts: Vec<DataFrame> = Vec::new();
    if !snapshot.batches.is_empty() {
        parts.push(ctx.read_batches(snapshot.batches.clone())?);
    }
    let paths: Vec<String> = snapshot
        .segments
        .iter()
        .filter(|(_, meta)| meta.max_timestamp >= lo && meta.min_timestamp <= end_ms)
        .map(|(path, _)| path.to_string_lossy().into_owned())
        .collect();
    if !paths.is_empty() {
        let schema = event_schema();
        let options = ParquetReadOptions { schema: Some(&schema), file_extension: ".parquet", ..Default::default() };
        parts.push(ctx.read_parquet(paths, options).await?);
    }
    let mut iter = parts.into_iter();
    let Some(mut frame) = iter.next() else {
        return empty_frame(ctx);
    };
    for next in iter {
        frame = frame.union(next)?;
    }
    let live: HashSet<u64> = snapshot.live_streams.keys().copied().collect();
    let live_list = live.iter().map(|id| lit(*id)).collect();
    let frame = frame
        .filter(col(COL_TIMESTAMP).gt_eq(lit(lo)).and(col(COL_TIMESTAMP).lt_eq(lit(end_ms))))?
        .filter(in_list(col(COL_STREAM_ID), live_list, false))?;
    Ok(frame.select(system_columns(snapshot.group.id, &group.log))?)
}

fn system_columns(group_id: u64, log: &str) -> Vec<datafusion::prelude::Expr> {
    vec![
        col(COL_TIMESTAMP).alias(cols::TS),
        col(COL_MESSAGE).alias(cols::MSG),
        col(COL_STREAM).alias(cols::STREAM),
        col(COL_INGESTION_TIME).alias(cols::INGESTION),
        col(COL_SEQ).alias(cols::SEQ),
        cast(lit(group_id), DataType::UInt64).alias(cols::GROUP),
        lit(log.to_string()).alias(cols::LOG),
    ]
}
