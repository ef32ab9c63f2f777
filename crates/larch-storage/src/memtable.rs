//! Events that are durable in the WAL but not yet in a Parquet segment, as Arrow batches.
//!
//! `active` receives new batches; a flush moves it to `frozen` (at a WAL rotation, so the
//! frozen set is exactly the content of the closed WAL files), writes the frozen batches to
//! segments and drops them. Readers see active + frozen + segments.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, StringArray, UInt64Array};
use arrow::record_batch::RecordBatch;

use crate::model::{GroupId, NewEvent, StreamId};
use crate::schema::event_schema;

/// Small batches (one per PutLogEvents) are merged once this many pile up, so scans don't
/// pay per-batch overhead for thousands of 10-event requests.
const MERGE_AFTER: usize = 64;
const SMALL_BATCH_ROWS: usize = 8192;

#[derive(Default, Clone)]
pub(crate) struct GroupBuffer {
    pub batches: Vec<RecordBatch>,
    pub rows: usize,
    pub raw_bytes: usize,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    /// Index in `batches` from which batches are still "small" (candidates for merging).
    small_from: usize,
}

impl GroupBuffer {
    fn push(&mut self, batch: RecordBatch, raw_bytes: usize, min_ts: i64, max_ts: i64) {
        if self.rows == 0 {
            self.min_timestamp = min_ts;
            self.max_timestamp = max_ts;
        } else {
            self.min_timestamp = self.min_timestamp.min(min_ts);
            self.max_timestamp = self.max_timestamp.max(max_ts);
        }
        self.rows += batch.num_rows();
        self.raw_bytes += raw_bytes;
        let small = batch.num_rows() < SMALL_BATCH_ROWS;
        self.batches.push(batch);
        if !small {
            self.small_from = self.batches.len();
            return;
        }
        if self.batches.len() - self.small_from >= MERGE_AFTER {
            let tail = self.batches.split_off(self.small_from);
            match arrow::compute::concat_batches(&event_schema(), &tail) {
                Ok(merged) => {
                    let merged_is_small = merged.num_rows() < SMALL_BATCH_ROWS;
                    self.batches.push(merged);
                    if !merged_is_small {
                        self.small_from = self.batches.len();
                    }
                }
                // Same schema by construction; keep the pieces if it ever fails.
                Err(_) => self.batches.extend(tail),
            }
        }
    }
}

/// All buffered events, by group.
#[derive(Default)]
pub(crate) struct Memtable {
    pub active: HashMap<GroupId, GroupBuffer>,
    /// Frozen at the last rotation and being flushed.
    pub frozen: HashMap<GroupId, GroupBuffer>,
    pub active_bytes: usize,
    /// Wall-clock ms of the first insert into the current `active`.
    pub active_since: Option<i64>,
}

impl Memtable {
    pub fn insert(
        &mut self,
        group_id: GroupId,
        batch: RecordBatch,
        raw_bytes: usize,
        min_ts: i64,
        max_ts: i64,
        now: i64,
    ) {
        self.active_bytes += raw_bytes + 26 * batch.num_rows();
        self.active_since.get_or_insert(now);
        self.active.entry(group_id).or_default().push(batch, raw_bytes, min_ts, max_ts);
    }

    /// Batches of a group visible to readers (frozen first: they are older).
    pub fn group_batches(&self, group_id: GroupId) -> Vec<RecordBatch> {
        let mut out = Vec::new();
        for part in [&self.frozen, &self.active] {
            if let Some(buffer) = part.get(&group_id) {
                out.extend(buffer.batches.iter().cloned());
            }
        }
        out
    }

    pub fn freeze(&mut self) {
        debug_assert!(self.frozen.is_empty(), "previous flush still pending");
        let active = std::mem::take(&mut self.active);
        for (group, buffer) in active {
            let entry = self.frozen.entry(group).or_default();
            for batch in buffer.batches {
                let rows = batch.num_rows();
                entry.batches.push(batch);
                entry.rows += rows;
            }
            entry.raw_bytes += buffer.raw_bytes;
            entry.min_timestamp = if entry.rows == buffer.rows {
                buffer.min_timestamp
            } else {
                entry.min_timestamp.min(buffer.min_timestamp)
            };
            entry.max_timestamp = entry.max_timestamp.max(buffer.max_timestamp);
        }
        self.active_bytes = 0;
        self.active_since = None;
    }

    pub fn drop_group(&mut self, group_id: GroupId) {
        if let Some(buffer) = self.active.remove(&group_id) {
            self.active_bytes = self.active_bytes.saturating_sub(buffer.raw_bytes + 26 * buffer.rows);
        }
        self.frozen.remove(&group_id);
    }
}

/// Builds the Arrow batch for one PutLogEvents request.
pub(crate) fn build_batch(
    stream_id: StreamId,
    stream_name: &str,
    ingestion_time: i64,
    first_seq: u64,
    events: &[NewEvent],
) -> RecordBatch {
    let n = events.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(vec![stream_id; n])),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(stream_name, n))),
        Arc::new(Int64Array::from_iter_values(events.iter().map(|e| e.timestamp))),
        Arc::new(Int64Array::from(vec![ingestion_time; n])),
        Arc::new(UInt64Array::from_iter_values((0..n as u64).map(|i| first_seq + i))),
        Arc::new(StringArray::from_iter_values(events.iter().map(|e| e.message.as_str()))),
    ];
    RecordBatch::try_new(event_schema(), columns).expect("columns match the event schema")
}
