//! The WAL writer thread: group commit.
//!
//! Request handlers send already-encoded frames over a channel and wait on a oneshot. The
//! writer drains everything queued, writes it with one `write_all`, calls `fdatasync` once, then
//! runs each batch's `on_durable` callback (which makes the events queryable) and answers the
//! waiters. Concurrent writers therefore share one fsync, and an event is acknowledged only
//! once it is both durable and visible to reads.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::oneshot;

use super::wal_file_path;
use crate::error::{Result, StorageError};

/// Runs in the writer thread once the frame is durable, before the waiter is answered.
pub(crate) type OnDurable = Box<dyn FnOnce() + Send>;
/// Runs in the writer thread right after a rotation, with the number of the closed file.
pub(crate) type OnRotate = Box<dyn FnOnce(u64) + Send>;

/// Upper bound on bytes written per group commit, so one fsync never waits on an unbounded queue.
const MAX_GROUP_BYTES: usize = 16 << 20;

enum Request {
    Append { frame: Vec<u8>, on_durable: OnDurable, done: oneshot::Sender<Result<()>> },
    Rotate { on_rotate: OnRotate, done: oneshot::Sender<Result<u64>> },
}

/// Observations the writer reports for metrics.
pub(crate) type FsyncObserver = Box<dyn Fn(std::time::Duration, usize) + Send>;

/// Handle to the writer thread.
pub(crate) struct WalWriter {
    tx: parking_lot::Mutex<Option<mpsc::Sender<Request>>>,
    thread: parking_lot::Mutex<Option<JoinHandle<()>>>,
}

impl WalWriter {
    /// Starts writing into a new file `first_number` in `wal_dir`.
    pub(crate) fn start(wal_dir: &Path, first_number: u64, observe: FsyncObserver) -> Result<WalWriter> {
        let file = create_wal_file(wal_dir, first_number)?;
        let (tx, rx) = mpsc::channel();
        let state = WriterState { wal_dir: wal_dir.to_path_buf(), number: first_number, file, poisoned: None, observe };
        let thread = std::thread::Builder::new()
            .name("larch-wal".into())
            .spawn(move || state.run(rx))
            .map_err(|e| StorageError::io(wal_dir, e))?;
        Ok(WalWriter { tx: parking_lot::Mutex::new(Some(tx)), thread: parking_lot::Mutex::new(Some(thread)) })
    }

    /// Appends a frame; resolves once it is durable and `on_durable` has run.
    pub(crate) async fn append(&self, frame: Vec<u8>, on_durable: OnDurable) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.send(Request::Append { frame, on_durable, done })?;
        wait.await.map_err(|_| StorageError::WalClosed)?
    }

    /// Blocking variant of [`append`](Self::append) for callers outside an async runtime.
    pub(crate) fn append_blocking(&self, frame: Vec<u8>, on_durable: OnDurable) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.send(Request::Append { frame, on_durable, done })?;
        wait.blocking_recv().map_err(|_| StorageError::WalClosed)?
    }

    /// Closes the current file and opens the next one. `on_rotate` runs in the writer thread
    /// between the two, so no append can slip in between. Returns the closed file's number.
    pub(crate) fn rotate_blocking(&self, on_rotate: OnRotate) -> Result<u64> {
        let (done, wait) = oneshot::channel();
        self.send(Request::Rotate { on_rotate, done })?;
        wait.blocking_recv().map_err(|_| StorageError::WalClosed)?
    }

    fn send(&self, request: Request) -> Result<()> {
        let guard = self.tx.lock();
        let Some(tx) = guard.as_ref() else {
            return Err(StorageError::WalClosed);
        };
        tx.send(request).map_err(|_| StorageError::WalClosed)
    }

    /// Stops the thread after everything already queued has been written.
    pub(crate) fn close(&self) {
        self.tx.lock().take();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for WalWriter {
    fn drop(&mut self) {
        self.close();
    }
}

fn create_wal_file(wal_dir: &Path, number: u64) -> Result<File> {
    let path = wal_file_path(wal_dir, number);
    let file = OpenOptions::new().create_new(true).append(true).open(&path).map_err(|e| StorageError::io(&path, e))?;
    // The new directory entry must be durable too, or a crash could lose the whole file.
    sync_dir(wal_dir)?;
    Ok(file)
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StorageError::io(dir, e))
}

struct WriterState {
    wal_dir: PathBuf,
    number: u64,
    file: File,
    /// After a failed write or fsync the file's state is unknown: refuse everything.
    poisoned: Option<String>,
    observe: FsyncObserver,
}

struct Pending {
    on_durable: OnDurable,
    done: oneshot::Sender<Result<()>>,
}

impl WriterState {
    fn run(mut self, rx: mpsc::Receiver<Request>) {
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        let mut pending: Vec<Pending> = Vec::new();
        while let Ok(first) = rx.recv() {
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Append { frame, on_durable, done } => {
                        buf.extend_from_slice(&frame);
                        pending.push(Pending { on_durable, done });
                    }
                    Request::Rotate { on_rotate, done } => {
                        self.commit(&mut buf, &mut pending);
                        let _ = done.send(self.rotate(on_rotate));
                    }
                }
                if buf.len() >= MAX_GROUP_BYTES {
                    break;
                }
                next = rx.try_recv().ok();
            }
            self.commit(&mut buf, &mut pending);
        }
        // Channel closed: everything queued was handled above.
        let _ = self.file.sync_data();
    }

    /// Writes and fsyncs the group, then makes it visible and answers the waiters.
    fn commit(&mut self, buf: &mut Vec<u8>, pending: &mut Vec<Pending>) {
        if pending.is_empty() {
            return;
        }
        let result = self.write_durably(buf);
        buf.clear();
        for p in pending.drain(..) {
            match &result {
                Ok(()) => {
                    (p.on_durable)();
                    let _ = p.done.send(Ok(()));
                }
                Err(message) => {
                    let _ = p.done.send(Err(StorageError::Wal(message.clone())));
                }
            }
        }
    }

    fn write_durably(&mut self, buf: &[u8]) -> Result<(), String> {
        if let Some(reason) = &self.poisoned {
            return Err(reason.clone());
        }
        let started = Instant::now();
        let outcome = self.file.write_all(buf).and_then(|()| self.file.sync_data());
        if let Err(e) = outcome {
            let reason = format!("write to WAL file {} failed: {e}", self.number);
            tracing::error!(error = %e, file = self.number, "wal write failed; refusing further writes");
            self.poisoned = Some(reason.clone());
            return Err(reason);
        }
        let took = started.elapsed();
        (self.observe)(took, buf.len());
        if took > std::time::Duration::from_millis(50) {
            tracing::warn!(ms = took.as_millis() as u64, bytes = buf.len(), "slow WAL write + fsync");
        }
        Ok(())
    }

    fn rotate(&mut self, on_rotate: OnRotate) -> Result<u64> {
        if let Some(reason) = &self.poisoned {
            return Err(StorageError::Wal(reason.clone()));
        }
        let closed = self.number;
        let file = create_wal_file(&self.wal_dir, closed + 1)?;
        self.file = file;
        self.number = closed + 1;
        on_rotate(closed);
        Ok(closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewEvent;
    use crate::wal::{encode_batch, read_wal_file};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn appends_are_durable_visible_and_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let writer = WalWriter::start(dir.path(), 1, Box::new(|_, _| {})).unwrap();
        let applied = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|s| {
            for t in 0..4 {
                let writer = &writer;
                let applied = Arc::clone(&applied);
                s.spawn(move || {
                    for i in 0..50 {
                        let frame =
                            encode_batch(1, 1, 0, t * 100 + i, &[NewEvent { timestamp: 1, message: "m".into() }]);
                        let applied = Arc::clone(&applied);
                        writer
                            .append_blocking(
                                frame,
                                Box::new(move || {
                                    applied.fetch_add(1, Ordering::SeqCst);
                                }),
                            )
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(applied.load(Ordering::SeqCst), 200);
        let closed = writer.rotate_blocking(Box::new(|_| {})).unwrap();
        assert_eq!(closed, 1);
        writer.close();
        let contents = read_wal_file(&wal_file_path(dir.path(), 1)).unwrap();
        assert_eq!(contents.batches.len(), 200);
        assert!(wal_file_path(dir.path(), 2).exists());
    }
}
