//! Flow control between ingest and flushing.
//!
//! Ingest never waits for a flush while the memtable is within bounds. The flush thread is woken
//! as soon as the active memtable reaches `flush_bytes` (not at its next poll), and when the
//! active memtable holds `max_buffered_bytes` — ingest outrunning the flushes, e.g. a burst on a
//! busy machine — new PutLogEvents wait (before their WAL append, so nothing is acknowledged
//! late) until a flush makes room. Memory stays bounded instead of growing with the backlog.
//!
//! Flushing competes with request handling for the CPU (on two cores, one flush takes one core
//! for most of a second). When the memtable took much longer to fill than a flush takes —
//! steady traffic below saturation — the segment writers run as `SCHED_IDLE` threads
//! ([`FlushPace`]): they use the CPU request threads leave, so acknowledgements are not held up
//! by compression. Measured at half load with 10-event batches, ack p99 from the schedule:
//! normal priority 52 ms; nice 10: 30–128 ms in most runs; `SCHED_IDLE`: 11–21 ms. When the
//! memtable fills about as fast as it is flushed, flushing is the bottleneck and runs at normal
//! priority: deprioritised there, it fell behind, ingest waited for room, and RSS rose from 0.8
//! to 1.1 GB. The signal is the fill time rather than the gap since the previous flush, so the
//! first flush of a burst after a quiet period is not deprioritised.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::Storage;

/// How long a writer waits for room before it goes ahead anyway (a failing flush must not stop
/// ingest forever; its error is logged by the flush thread).
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Poll interval while waiting for room.
const POLL: Duration = Duration::from_millis(2);

/// Nice value of segment writers when `SCHED_IDLE` is refused.
const BACKGROUND_NICE: i32 = 10;
/// Flushing is the bottleneck when the memtable filled within this many flush durations.
const BUSY_RATIO: u32 = 2;
/// The flush duration assumed before the first flush.
const FIRST_FLUSH_GUESS: Duration = Duration::from_secs(1);

/// The CPU priority segment writers run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlushPriority {
    /// Below request handling (`SCHED_IDLE`): the memtable filled slowly compared with a flush.
    Background,
    /// As request handling: ingest refills the memtable as fast as it is flushed.
    Normal,
}

impl FlushPriority {
    /// Lowers the calling thread's priority for [`FlushPriority::Background`] (`SCHED_IDLE`, or
    /// nice 10 where that is refused). Threads are created per flush, so a thread's priority is
    /// never raised again (which would need privileges). Linux only; elsewhere a no-op.
    pub fn apply_to_current_thread(self) {
        if self == FlushPriority::Normal {
            return;
        }
        #[cfg(target_os = "linux")]
        // SAFETY: sched_setscheduler / setpriority on the calling thread (pid 0); the param
        // struct outlives the call.
        unsafe {
            let param = libc::sched_param { sched_priority: 0 };
            if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
                libc::setpriority(libc::PRIO_PROCESS, 0, BACKGROUND_NICE);
            }
        }
    }
}

/// Duration of the previous flush, which with the memtable's fill time decides the next
/// flush's [`FlushPriority`].
#[derive(Debug, Default)]
pub(crate) struct FlushPace {
    /// How long writing the previous flush's segments took.
    last: Option<Duration>,
}

impl FlushPace {
    /// The priority of a flush of a memtable that took `filled_in` to fill.
    pub fn priority(&self, filled_in: Duration) -> FlushPriority {
        if filled_in < self.last.unwrap_or(FIRST_FLUSH_GUESS) * BUSY_RATIO {
            FlushPriority::Normal
        } else {
            FlushPriority::Background
        }
    }

    /// Records a flush whose segment writing started at `started` and has just ended.
    pub fn finished(&mut self, started: Instant) {
        self.last = Some(started.elapsed());
    }
}

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
    #[test]
    fn memtables_filled_as_fast_as_flushed_flush_at_normal_priority() {
        use super::{FlushPace, FlushPriority};
        use std::time::{Duration, Instant};
        let mut pace = FlushPace::default();
        // Before any flush, one is assumed to take a second.
        assert_eq!(pace.priority(Duration::from_millis(700)), FlushPriority::Normal, "a burst");
        assert_eq!(pace.priority(Duration::from_secs(8)), FlushPriority::Background, "steady traffic");
        // After a flush that took 10 s, a memtable filled in 8 s means flushing is the bottleneck.
        pace.finished(Instant::now() - Duration::from_secs(10));
        assert_eq!(pace.priority(Duration::from_secs(8)), FlushPriority::Normal);
        assert_eq!(pace.priority(Duration::from_secs(30)), FlushPriority::Background);
    }

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
