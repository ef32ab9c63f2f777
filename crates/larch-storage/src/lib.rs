//! larch's storage engine: durable ingest, Parquet segments, metadata.
//!
//! A PutLogEvents batch is framed into the write-ahead log and fsynced (group commit: concurrent
//! writers share one fsync); only then is it inserted into the in-memory Arrow buffer (the
//! memtable), where reads and queries see it at once, and acknowledged. A background thread
//! flushes the memtable to compressed Parquet segments per log group, records them in the
//! catalog together with the WAL checkpoint, and deletes the covered WAL files. Retention
//! deletes whole segments. On start, WAL files after the checkpoint are replayed (a torn tail
//! is truncated), so every acknowledged event is present exactly once.
//!
//! # Layout
//! - [`engine`]: [`Storage`], the facade (metadata operations, ingest, reads, flush, recovery).
//! - `catalog`: log groups, streams, segments and metric filters in `redb`, mirrored in memory.
//! - `wal`: record framing, the group-commit writer thread, the recovery reader.
//! - `memtable`: buffered Arrow batches per log group.
//! - `segment`: writing and reading Parquet segments.
//! - `io_pacing`: segment bytes handed to the disk while written, large files deleted in steps
//!   (so neither stalls the WAL's fsyncs).
//! - [`index`]: the substring index of a segment (a byte-trigram Bloom filter per row group over
//!   `message`, in the segment's Parquet footer under `larch.trigram_bloom.v1`).
//! - [`seconds`]: events and message bytes per second of a segment (footer key
//!   `larch.second_totals.v1`), so query statistics count a segment a time range cuts unread.
//! - [`footer`]: reads both from a segment's footer, with a process-wide cache for queries.
//! - [`field_columns`]: frequent discovered fields (JSON keys, Lambda `REPORT` numbers) stored
//!   as extra columns of a segment, so queries need not parse the messages again.
//! - [`term_columns`]: one Boolean column per frequent search term (`ERROR`, `WARN`, ...) saying
//!   whether each message contains it, so level filters need not scan the messages.
//! - [`read`]: bounded, ordered page reads for GetLogEvents / FilterLogEvents.
//! - [`schema`]: the Arrow schema of events.
//! - [`model`]: metadata records.
//!
//! On-disk layout under the data directory: `catalog.redb`, `wal/<n>.wal`,
//! `segments/<group id>/<min ts>-<wal n>.parquet` (each with its substring index in the footer; segments
//! written before the index existed have none and are always read).

mod catalog;
pub mod engine;
mod error;
pub mod field_columns;
pub mod footer;
pub mod index;
mod io_pacing;
mod memtable;
pub mod model;
pub mod read;
pub mod schema;
pub mod seconds;
mod segment;
pub mod stats;
pub mod term_columns;
mod wal;

pub use engine::metric_filters::NewMetricFilter;
pub use engine::{GroupSnapshot, NewLogGroup, Storage, StorageConfig};
pub use error::{Result, StorageError};
pub use model::{
    GroupId, LogGroup, LogStream, MetricFilter, MetricTransformation, NewEvent, SegmentMeta, StoredEvent, StreamId,
    event_id,
};
pub use read::{EVENT_OVERHEAD_BYTES, EventPage, EventRead};
pub use stats::StorageStats;
