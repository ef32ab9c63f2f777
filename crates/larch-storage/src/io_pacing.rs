//! Disk I/O paced so that it does not stall the WAL's fsyncs (each acknowledged PutLogEvents
//! waits for one): a segment writer that hands its data to the disk as it goes, and deletion of
//! large files in steps.
//!
//! Why: on ext4 (data=ordered) every fsync commits the shared journal, and a commit waits for
//! the data blocks allocated in its transaction. A segment written into the page cache and
//! then fsynced at once puts tens of MB behind that commit: WAL fsyncs issued meanwhile (each
//! acknowledged PutLogEvents waits for one) measured up to 250 ms during a flush, where they
//! otherwise take about a millisecond. Starting writeback every [`CHUNK`] bytes, and waiting
//! for the chunk before the last, keeps at most two chunks in flight — the same remedy as
//! RocksDB's `bytes_per_sync` and PostgreSQL's `backend_flush_after`.
//!
//! Deleting a file of tens of MB (a flushed WAL file) frees all its extents in one journal
//! transaction; WAL fsyncs issued meanwhile waited 20–35 ms for it in a test on this disk
//! (`unlink` of 200 MB), and 4 ms when the file was first truncated 8 MiB at a time
//! ([`remove_gradually`], as RocksDB's `DeleteScheduler` does).
//!
//! Off Linux the writer is a plain [`File`] writer.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// Bytes written between two writeback requests.
const CHUNK: u64 = 1 << 20;

pub(crate) struct SmoothWriter {
    file: File,
    /// Bytes written so far.
    written: u64,
    /// Bytes whose writeback has been requested.
    requested: u64,
}

impl SmoothWriter {
    pub fn new(file: File) -> SmoothWriter {
        SmoothWriter { file, written: 0, requested: 0 }
    }

    /// The file, for the final `sync_all` (still needed: writeback is not durability).
    pub fn into_inner(self) -> File {
        self.file
    }

    fn start_writeback(&mut self) {
        while self.written - self.requested >= CHUNK {
            let (from, len) = (self.requested, CHUNK);
            self.requested += len;
            #[cfg(target_os = "linux")]
            {
                use std::os::fd::AsRawFd;
                let fd = self.file.as_raw_fd();
                // Advisory: a failure (e.g. a filesystem without support) only loses the smoothing,
                // and the final fsync still reports real write errors.
                // SAFETY: plain syscalls on an open descriptor; no memory is passed.
                unsafe {
                    libc::sync_file_range(fd, from as i64, len as i64, libc::SYNC_FILE_RANGE_WRITE);
                    if from >= CHUNK {
                        libc::sync_file_range(
                            fd,
                            (from - CHUNK) as i64,
                            CHUNK as i64,
                            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                                | libc::SYNC_FILE_RANGE_WRITE
                                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                        );
                    }
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = from;
        }
    }
}

impl Write for SmoothWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        self.start_writeback();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Bytes freed per truncation step of [`remove_gradually`].
const DELETE_STEP: u64 = 8 << 20;

/// Removes the file at `path`, first truncating it [`DELETE_STEP`] bytes at a time with a
/// short pause between steps. For background work only (a 100 MB file takes ~25 ms).
pub(crate) fn remove_gradually(path: &Path) -> io::Result<()> {
    if let Ok(file) = OpenOptions::new().write(true).open(path) {
        let mut len = file.metadata().map(|m| m.len()).unwrap_or(0);
        while len > DELETE_STEP {
            len -= DELETE_STEP;
            if file.set_len(len).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    std::fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut w = SmoothWriter::new(File::create(&path).unwrap());
        let data: Vec<u8> = (0..(3 * CHUNK as usize + 12345)).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(70_001) {
            w.write_all(piece).unwrap();
        }
        w.into_inner().sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
        remove_gradually(&path).unwrap();
        assert!(!path.exists());
        assert!(remove_gradually(&path).is_err(), "a missing file is reported");
    }
}
