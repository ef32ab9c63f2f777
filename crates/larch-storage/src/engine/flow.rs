//! Flow control between ingest and flushing.
//!
//! Ingest never waits for a flush while the memtable is within bounds. The flush thread is woken
//! as soon as the active memtable reaches `flush_bytes` (not at its next poll), and when the
//! active memtable holds `max_buffered_bytes` — ingest outrunning the flushes, e.g. a burst on a
//! busy machine — new PutLogEvents wait (before their WAL append, so nothing is acknowledged
//! late) until a flush makes room. Memory stays bounded instead of growing with the backlog.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::Storage;

/// How long a writer waits for room before it goes ahead anyway (a failing flush must not stop
/// ingest forever; its error is logged by the flush thread).
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Poll interval while waiting for room.
const POLL: Duration = Duration::from_millis(2);

/// Wakes the flush thread early.
#[derive(Default)]
pub(crate) struct FlushWake {
    due: Mutex<bool>,
    cv: Condvar,
}

impl FlushWake {
    pub fn notify(&self) {
        *self.due.lock() = true;
        self.cv.notify_one();
    }

    /// Waits until notified or `timeout` passes.
    pub fn wait(&self, timeout: Duration) {
        let mut due = self.due.lock();
        if !*due {
            self.cv.wait_for(&mut due, timeout);
        }
        *due = false;
    }
}

impl Storage {
    fn buffered_over_limit(&self) -> bool {
        self.inner.memtable.read().active_bytes >= self.inner.config.max_buffered_bytes
    }

    /// Waits (asynchronously) while the memtable is full; see the module docs.
    pub(crate) async fn wait_for_room(&self) {
        let start = Instant::now();
        while self.buffered_over_limit() && start.elapsed() < MAX_WAIT {
            self.inner.flush_wake.notify();
            tokio::time::sleep(POLL).await;
        }
    }

    /// Blocking variant of [`wait_for_room`](Self::wait_for_room).
    pub(crate) fn wait_for_room_blocking(&self) {
        let start = Instant::now();
        while self.buffered_over_limit() && start.elapsed() < MAX_WAIT {
            self.inner.flush_wake.notify();
            std::thread::sleep(POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::engine::{NewLogGroup, Storage, StorageConfig};
    use crate::model::NewEvent;

    #[test]
    fn a_full_memtable_makes_writers_wait_for_a_flush() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = StorageConfig::new(dir.path());
        config.max_buffered_bytes = 1;
        let storage = Storage::open_without_background(config).unwrap();
        let group = storage.create_log_group("123456789012", "g", NewLogGroup::default()).unwrap();
        let stream = storage.create_log_stream("123456789012", "g", "s").unwrap();
        let now = crate::engine::now_ms();
        let event = || vec![NewEvent { timestamp: now, message: "hello".into() }];
        // The first write fits; the memtable is then over the limit.
        storage.put_events_blocking(group.id, &stream, event(), now).unwrap();
        let flushed = Arc::new(AtomicBool::new(false));
        let flusher = {
            let (storage, flushed) = (storage.clone(), Arc::clone(&flushed));
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(200));
                flushed.store(true, Ordering::SeqCst);
                storage.flush().unwrap();
            })
        };
        storage.put_events_blocking(group.id, &stream, event(), now).unwrap();
        assert!(flushed.load(Ordering::SeqCst), "the second write went ahead before a flush made room");
        flusher.join().unwrap();
    }
}
