//! Counters the server exports as Prometheus metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the WAL fsync latency histogram buckets.
pub const FSYNC_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

#[derive(Default)]
pub struct StorageStats {
    pub events_ingested: AtomicU64,
    pub bytes_ingested: AtomicU64,
    pub fsyncs: AtomicU64,
    pub fsync_micros: AtomicU64,
    pub wal_bytes_written: AtomicU64,
    pub fsync_buckets: [AtomicU64; FSYNC_BUCKETS.len()],
    pub flushes: AtomicU64,
    pub segments_written: AtomicU64,
}

impl StorageStats {
    pub(crate) fn observe_fsync(&self, elapsed: Duration, bytes: usize) {
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.fsync_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.wal_bytes_written.fetch_add(bytes as u64, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        for (i, bound) in FSYNC_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.fsync_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn record_ingest(&self, events: u64, bytes: u64) {
        self.events_ingested.fetch_add(events, Ordering::Relaxed);
        self.bytes_ingested.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn record_flush(&self, segments: u64) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.segments_written.fetch_add(segments, Ordering::Relaxed);
    }
}
