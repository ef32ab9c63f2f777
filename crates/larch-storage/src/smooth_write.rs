//! A file writer that hands its data to the disk as it goes, so that the final fsync of a
//! segment is short and, above all, does not stall the WAL's fsyncs.
//!
//! Why: on ext4 (data=ordered) every fsync commits the shared journal, and a commit waits for
//! the data blocks allocated in its transaction. A segment written into the page cache and
//! then fsynced at once puts tens of MB behind that commit: WAL fsyncs issued meanwhile (each
//! acknowledged PutLogEvents waits for one) measured up to 250 ms during a flush, where they
//! otherwise take about a millisecond. Starting writeback every [`CHUNK`] bytes, and waiting
//! for the chunk before the last, keeps at most two chunks in flight — the same remedy as
//! RocksDB's `bytes_per_sync` and PostgreSQL's `backend_flush_after`.
//!
//! Off Linux this is a plain [`File`] writer.

use std::fs::File;
use std::io::{self, Write};

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
    }
}
