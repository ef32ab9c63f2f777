//! How scans read segment files: DataFusion's cached Parquet reader, asked to load each file's
//! page index together with its footer, so both are cached and reused by later queries.
//!
//! DataFusion's Parquet opener asks for footer-only metadata and then loads the page index
//! itself when a predicate can use it, outside the metadata cache: every query re-read and
//! re-parsed the page index of every file it opened (~6 % of the CPU of a one-hour query over
//! 12 segments). Segments are immutable, so their page index is as cacheable as their footer.
//!
//! Column chunks the page cache holds are read on the calling thread ([`SegmentReader`]), not
//! through the object store's blocking pool.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::object_store::ObjectStore;
use datafusion::object_store::local::LocalFileSystem;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt;
use futures::future::BoxFuture;

/// Readers of segment files whose metadata always carries the page index (from the cache when
/// an earlier query loaded it).
#[derive(Debug)]
pub(crate) struct SegmentReaderFactory {
    cached: CachedParquetFileReaderFactory,
}

impl SegmentReaderFactory {
    pub(crate) fn new(store: Arc<dyn ObjectStore>, cache: Arc<FileMetadataCache>) -> Self {
        SegmentReaderFactory { cached: CachedParquetFileReaderFactory::new(store, cache) }
    }
}

impl ParquetFileReaderFactory for SegmentReaderFactory {
    fn create_reader(
        &self,
        partition_index: usize,
        file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> datafusion::error::Result<Box<dyn AsyncFileReader + Send>> {
        let path = LocalFileSystem::new().path_to_filesystem(&file.object_meta.location)?;
        let metadata = self.cached.create_reader(partition_index, file, metadata_size_hint, metrics)?;
        Ok(Box::new(SegmentReader { metadata, path, file: None }))
    }
}

/// A reader that asks for the page index whenever metadata is requested, and reads column
/// chunks from the page cache on the calling thread.
///
/// The object store's local files hand every read to a blocking thread and wait for it: a
/// thread switch each way per column chunk, which cost more than the reads themselves (a
/// segment's pages are in the page cache after the first query; the context switches were
/// ~15 % of a one-hour query's CPU). Reads the page cache cannot serve at once (`RWF_NOWAIT`)
/// still go to a blocking thread, so a cold query never stalls the async threads that answer
/// PutLogEvents. Segments are local files here (the embedded default).
struct SegmentReader {
    /// The cached reader, for metadata.
    metadata: Box<dyn AsyncFileReader + Send>,
    path: PathBuf,
    /// Opened at the first read.
    file: Option<Arc<File>>,
}

impl SegmentReader {
    fn read(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, ParquetResult<Vec<Bytes>>> {
        let file = match &self.file {
            Some(file) => Arc::clone(file),
            None => match File::open(&self.path) {
                Ok(file) => Arc::clone(self.file.insert(Arc::new(file))),
                Err(e) => return futures::future::ready(Err(external(e))).boxed(),
            },
        };
        read_ranges(file, ranges).boxed()
    }
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> ParquetError {
    ParquetError::External(Box::new(e))
}

/// The bytes of `ranges` of `file`: what the page cache holds read here, the rest on a
/// blocking thread.
pub(crate) async fn read_ranges(file: Arc<File>, ranges: Vec<Range<u64>>) -> ParquetResult<Vec<Bytes>> {
    let mut chunks = Vec::with_capacity(ranges.len());
    let mut missing = Vec::new(); // (chunk, bytes already read)
    for (i, range) in ranges.iter().enumerate() {
        let len = usize::try_from(range.end.saturating_sub(range.start)).map_err(external)?;
        let mut buf = vec![0u8; len];
        let got = read_cached(&file, &mut buf, range.start).map_err(external)?;
        if got < len {
            missing.push((i, got));
        }
        chunks.push(buf);
    }
    if !missing.is_empty() {
        chunks = tokio::task::spawn_blocking(move || {
            for (i, got) in missing {
                file.read_exact_at(&mut chunks[i][got..], ranges[i].start + got as u64)?;
            }
            Ok::<_, std::io::Error>(chunks)
        })
        .await
        .map_err(external)?
        .map_err(external)?;
    }
    Ok(chunks.into_iter().map(Bytes::from).collect())
}

/// Reads into `buf` from `offset` what the page cache holds, without waiting for the disk:
/// how many bytes (fewer than `buf.len()` when the rest is not cached; 0 where the system
/// cannot tell).
fn read_cached(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::fd::AsRawFd;
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            let iov = libc::iovec { iov_base: rest.as_mut_ptr().cast(), iov_len: rest.len() };
            let at = libc::off_t::try_from(offset + done as u64).map_err(std::io::Error::other)?;
            // SAFETY: one iovec over `rest`, valid and writable for its whole length while the
            // call runs; the descriptor is owned by `file`.
            let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, at, libc::RWF_NOWAIT) };
            if n > 0 {
                done += n as usize;
                continue;
            }
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let error = std::io::Error::last_os_error();
            match error.raw_os_error() {
                Some(libc::EINTR) => continue,
                // Not cached, or RWF_NOWAIT not supported here: the blocking read does the rest.
                Some(libc::EAGAIN | libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL) => return Ok(done),
                _ => return Err(error),
            }
        }
        Ok(done)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = (file, buf, offset);
        Ok(0)
    }
}

impl AsyncFileReader for SegmentReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, ParquetResult<Bytes>> {
        let read = self.read(vec![range]);
        async move { Ok(read.await?.pop().unwrap_or_default()) }.boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, ParquetResult<Vec<Bytes>>> {
        self.read(ranges)
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, ParquetResult<Arc<ParquetMetaData>>> {
        let options = options.cloned().unwrap_or_default().with_page_index_policy(PageIndexPolicy::Optional);
        async move { self.metadata.get_metadata(Some(&options)).await }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ranges_of(data: &[u8], ranges: &[Range<u64>]) -> Vec<Bytes> {
        ranges.iter().map(|r| Bytes::copy_from_slice(&data[r.start as usize..r.end as usize])).collect()
    }

    #[tokio::test]
    async fn reads_ranges_from_the_page_cache_and_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("segment");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = File::create(&path).unwrap();
        f.write_all(&data).unwrap();
        f.sync_all().unwrap();
        let ranges = vec![0..10, 4096..1_000_000, 2_999_990..3_000_000, 17..17];
        let file = Arc::new(File::open(&path).unwrap());
        // Cached (just written): read on this thread.
        assert_eq!(read_ranges(Arc::clone(&file), ranges.clone()).await.unwrap(), ranges_of(&data, &ranges));
        // Evicted from the page cache (a clean file): the blocking read serves what is missing.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: advice on a descriptor `file` owns.
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
        assert_eq!(read_ranges(Arc::clone(&file), ranges.clone()).await.unwrap(), ranges_of(&data, &ranges));
        // Past the end: an error, not short data.
        let past_end: Range<u64> = 2_999_999..3_000_100;
        assert!(read_ranges(file, vec![past_end]).await.is_err());
    }
}
