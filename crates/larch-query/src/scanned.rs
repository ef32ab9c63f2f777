//! `recordsScanned` and `bytesScanned`: the events (and their message bytes) in a query's time
//! range of the groups it selects — exact, and read from as little as possible.
//!
//! - A segment wholly inside the range, holding only live streams: its catalog metadata.
//! - A segment the range cuts: the per-second totals in its footer
//!   ([`larch_storage::seconds`]), exact because ranges are whole seconds.
//! - The memtable: counted directly over its Arrow batches.
//! - Anything else (segments of deleted streams not rewritten yet, segments written before the
//!   totals existed, bounds inside a second — a retention cutoff): a DataFusion count over them.
//!
//! A query thus plans and reads nothing extra for its statistics in the common case.

use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Int64Type, UInt64Type};
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::prelude::{SessionContext, col, lit};
use larch_storage::GroupSnapshot;
use larch_storage::schema::idx;

use crate::error::{QueryError, Result};
use crate::prune::Pruning;
use crate::scan::{ScanGroup, cols, low_bound};

/// Exact (events, message bytes) in `[start_ms, end_ms]` of the scanned groups.
pub(crate) async fn scanned_totals(
    ctx: &SessionContext,
    scan: &[ScanGroup],
    start_ms: i64,
    end_ms: i64,
) -> Result<(f64, f64)> {
    let (mut rows, mut bytes) = (0u64, 0u64);
    let mut cut = Vec::new(); // segments the range cuts: counted from their footers
    let mut unread = Vec::new(); // segments with deleted streams: read
    for (g, group) in scan.iter().enumerate() {
        let snapshot = &group.snapshot;
        let lo = low_bound(snapshot, start_ms);
        let (n, b) = memtable_totals(snapshot, lo, end_ms);
        rows += n;
        bytes += b;
        for (path, meta) in &snapshot.segments {
            if meta.max_timestamp < lo || meta.min_timestamp > end_ms {
                continue;
            }
            let inside = meta.min_timestamp >= lo && meta.max_timestamp <= end_ms;
            let live = meta.stream_ids.iter().all(|s| snapshot.live_streams.contains_key(s));
            match (inside, live) {
                (true, true) => {
                    rows += meta.rows;
                    bytes += meta.raw_bytes;
                }
                (false, true) => cut.push(Cut { group: g, path: path.clone(), file_bytes: meta.file_bytes, lo }),
                (_, false) => unread.push((g, path.clone())),
            }
        }
    }
    if !cut.is_empty() {
        // Footers not cached yet are read from disk: off the async threads.
        let cached = cut.iter().all(|c| larch_storage::footer::is_cached(&c.path, c.file_bytes));
        let (n, b, uncounted) = if cached {
            count_from_footers(cut, end_ms)
        } else {
            tokio::task::spawn_blocking(move || count_from_footers(cut, end_ms))
                .await
                .map_err(|e| QueryError::Execution(format!("statistics failed: {e}")))?
        };
        rows += n;
        bytes += b;
        unread.extend(uncounted);
    }
    if unread.is_empty() {
        return Ok((rows as f64, bytes as f64));
    }
    let (n, b) = read_totals(ctx, scan, &unread, start_ms, end_ms).await?;
    Ok((rows as f64 + n, bytes as f64 + b))
}

/// A segment of a group the range `[lo, ..]` cuts.
struct Cut {
    group: usize,
    path: PathBuf,
    file_bytes: u64,
    lo: i64,
}

/// Counts the cut segments whose footer totals answer their range; returns the totals and the
/// (group, path) of the others.
fn count_from_footers(cut: Vec<Cut>, end_ms: i64) -> (u64, u64, Vec<(usize, PathBuf)>) {
    let (mut rows, mut bytes) = (0u64, 0u64);
    let mut unread = Vec::new();
    for segment in cut {
        let answer = larch_storage::footer::segment_footer(&segment.path, segment.file_bytes)
            .and_then(|footer| footer.seconds.as_ref()?.in_range(segment.lo, end_ms));
        match answer {
            Some((n, b)) => {
                rows += n;
                bytes += b;
            }
            None => unread.push((segment.group, segment.path)),
        }
    }
    (rows, bytes, unread)
}

/// Events of live streams in `[lo, end_ms]` among the memtable's batches, and their bytes.
fn memtable_totals(snapshot: &GroupSnapshot, lo: i64, end_ms: i64) -> (u64, u64) {
    let (mut rows, mut bytes) = (0u64, 0u64);
    for batch in &snapshot.batches {
        let timestamps = batch.column(idx::TIMESTAMP).as_primitive::<Int64Type>().values();
        let streams = batch.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values();
        let offsets = batch.column(idx::MESSAGE).as_string::<i32>().value_offsets();
        // A batch is one PutLogEvents call's rows: its stream is looked up once per change.
        let mut last: Option<(u64, bool)> = None;
        for (i, (&ts, &stream)) in timestamps.iter().zip(streams.iter()).enumerate() {
            if ts < lo || ts > end_ms {
                continue;
            }
            let live = match last {
                Some((id, live)) if id == stream => live,
                _ => {
                    let live = snapshot.live_streams.contains_key(&stream);
                    last = Some((stream, live));
                    live
                }
            };
            if live {
                rows += 1;
                bytes += (offsets[i + 1] - offsets[i]) as u64;
            }
        }
    }
    (rows, bytes)
}

/// Counts the `unread` segments with DataFusion (the scan applies the range and live streams).
async fn read_totals(
    ctx: &SessionContext,
    scan: &[ScanGroup],
    unread: &[(usize, PathBuf)],
    start_ms: i64,
    end_ms: i64,
) -> Result<(f64, f64)> {
    let groups: Vec<ScanGroup> = scan
        .iter()
        .enumerate()
        .filter_map(|(g, group)| {
            let segments: Vec<_> = group
                .snapshot
                .segments
                .iter()
                .filter(|(path, _)| unread.iter().any(|(ug, up)| *ug == g && up == path))
                .cloned()
                .collect();
            if segments.is_empty() {
                return None;
            }
            let mut snapshot = group.snapshot.clone();
            snapshot.segments = segments;
            snapshot.batches = Vec::new(); // counted already
            Some(ScanGroup { snapshot, log: group.log.clone() })
        })
        .collect();
    // Counting needs no derived column: offer none (less to plan).
    let frame = crate::scan::base_frame_pruned(ctx, &groups, start_ms, end_ms, &Pruning::none(), Some("")).await?;
    let totals = frame
        .aggregate(
            vec![],
            vec![
                agg::count(lit(1i64)).alias("n"),
                agg::sum(datafusion::functions::expr_fn::octet_length(col(cols::MSG))).alias("b"),
            ],
        )?
        .collect()
        .await?;
    first_row_numbers(&totals)
}

fn first_row_numbers(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> Result<(f64, f64)> {
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else { return Ok((0.0, 0.0)) };
    let get = |i: usize| -> Result<f64> {
        let a = datafusion::arrow::compute::cast(batch.column(i), &datafusion::arrow::datatypes::DataType::Float64)?;
        let a = a
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Float64Array>()
            .ok_or_else(|| QueryError::Execution("bad statistics".into()))?;
        Ok(if a.is_null(0) { 0.0 } else { a.value(0) })
    };
    Ok((get(0)?, get(1)?))
}
