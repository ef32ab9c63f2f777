//! Prometheus metrics (`GET /metrics`), rendered in the text exposition format by hand: a
//! handful of counters does not need a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use larch_storage::Storage;
use larch_storage::stats::FSYNC_BUCKETS;

#[derive(Default)]
pub struct Metrics {
    /// (operation, HTTP status) → count.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Metrics {
    pub fn record_request(&self, operation: &str, status: u16) {
        *self.requests.lock().entry((operation.to_string(), status)).or_default() += 1;
    }

    pub fn render(&self, storage: &Storage) -> String {
        let mut out = String::new();
        out.push_str("# HELP larch_requests_total API requests by operation and HTTP status.\n# TYPE larch_requests_total counter\n");
        for ((op, status), n) in self.requests.lock().iter() {
            let _ = writeln!(out, "larch_requests_total{{operation=\"{op}\",status=\"{status}\"}} {n}");
        }
        let stats = storage.stats();
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            &mut out,
            "larch_events_ingested_total",
            "Log events accepted.",
            stats.events_ingested.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "larch_bytes_ingested_total",
            "Message bytes accepted.",
            stats.bytes_ingested.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "larch_wal_bytes_written_total",
            "Bytes written to the write-ahead log.",
            stats.wal_bytes_written.load(Ordering::Relaxed),
        );
        counter(&mut out, "larch_flushes_total", "Memtable flushes to Parquet.", stats.flushes.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "# HELP larch_wal_fsync_seconds WAL fsync latency.\n# TYPE larch_wal_fsync_seconds histogram"
        );
        for (i, bound) in FSYNC_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "larch_wal_fsync_seconds_bucket{{le=\"{bound}\"}} {}",
                stats.fsync_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = stats.fsyncs.load(Ordering::Relaxed);
        let _ = writeln!(out, "larch_wal_fsync_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ =
            writeln!(out, "larch_wal_fsync_seconds_sum {}", stats.fsync_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "larch_wal_fsync_seconds_count {count}");
        let (segments, bytes) = storage.segment_bytes();
        let _ = writeln!(
            out,
            "# HELP larch_segments Parquet segments on disk.\n# TYPE larch_segments gauge\nlarch_segments {segments}"
        );
        let _ = writeln!(
            out,
            "# HELP larch_segment_bytes Bytes of Parquet segments on disk.\n# TYPE larch_segment_bytes gauge\nlarch_segment_bytes {bytes}"
        );
        let (active, flushing, threshold) = storage.memtable_bytes();
        let _ = writeln!(
            out,
            "# HELP larch_memtable_bytes Buffered event bytes (messages + 26 per event), accepting or being flushed.\n# TYPE larch_memtable_bytes gauge\nlarch_memtable_bytes{{part=\"active\"}} {active}\nlarch_memtable_bytes{{part=\"flushing\"}} {flushing}"
        );
        let _ = writeln!(
            out,
            "# HELP larch_flush_threshold_bytes Active memtable bytes that start a flush.\n# TYPE larch_flush_threshold_bytes gauge\nlarch_flush_threshold_bytes {threshold}"
        );
        out
    }
}
