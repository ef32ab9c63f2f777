//! Returning freed memory to the system.
//!
//! Ingest and queries allocate large Arrow buffers (memtable batches, flush copies, message
//! columns) from several threads and free them soon after. glibc keeps freed memory in its
//! arenas, so the server's RSS grows towards its all-time peak of live plus free memory (1 GB
//! while ingesting 1 GB). A background thread calls `malloc_trim` once a second, which hands the
//! arenas' free pages back. Measured alternatives (docs/benchmarks.md): a fixed 1–4 MiB mmap
//! threshold lowered RSS too but slowed queries by up to 75 % (a mapping and page faults per
//! buffer); mimalloc raised RSS to 1.4 GB.

use std::time::Duration;

/// How often free memory is returned.
const TRIM_EVERY: Duration = Duration::from_secs(1);

/// Starts the trimming thread (glibc only; a no-op elsewhere).
pub fn start_trimming() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let spawned = std::thread::Builder::new().name("malloc-trim".into()).spawn(|| {
            loop {
                std::thread::sleep(TRIM_EVERY);
                let started = std::time::Instant::now();
                // SAFETY: malloc_trim only releases free memory of the allocator's arenas.
                unsafe {
                    libc::malloc_trim(0);
                }
                tracing::debug!(ms = started.elapsed().as_millis() as u64, "malloc_trim");
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the malloc-trim thread: {e}");
        }
    }
}
