//! How scans read segment files: DataFusion's cached Parquet reader, asked to load each file's
//! page index together with its footer, so both are cached and reused by later queries.
//!
//! DataFusion's Parquet opener asks for footer-only metadata and then loads the page index
//! itself when a predicate can use it, outside the metadata cache: every query re-read and
//! re-parsed the page index of every file it opened (~6 % of the CPU of a one-hour query over
//! 12 segments). Segments are immutable, so their page index is as cacheable as their footer.
//!
//! Column chunks are read with `pread` on the calling thread ([`SegmentReader`]), not through
//! the object store's blocking pool.

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
/// chunks with `pread` on the calling thread.
///
/// The object store's local files hand every read to a blocking thread and wait for it: a
/// thread switch each way per column chunk, which cost more than the reads themselves (a
/// segment's pages are in the page cache after the first query; the context switches were
/// ~15 % of a one-hour query's CPU). Segments are local files here (the embedded default).
struct SegmentReader {
    /// The cached reader, for metadata.
    metadata: Box<dyn AsyncFileReader + Send>,
    path: PathBuf,
    /// Opened at the first read.
    file: Option<File>,
}

impl SegmentReader {
    fn read(&mut self, ranges: &[Range<u64>]) -> ParquetResult<Vec<Bytes>> {
        let file = match &self.file {
            Some(file) => file,
            None => self.file.insert(File::open(&self.path).map_err(|e| ParquetError::External(Box::new(e)))?),
        };
        ranges
            .iter()
            .map(|range| {
                let len = usize::try_from(range.end.saturating_sub(range.start))
                    .map_err(|e| ParquetError::External(Box::new(e)))?;
                let mut buf = vec![0u8; len];
                file.read_exact_at(&mut buf, range.start).map_err(|e| ParquetError::External(Box::new(e)))?;
                Ok(Bytes::from(buf))
            })
            .collect()
    }
}

impl AsyncFileReader for SegmentReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, ParquetResult<Bytes>> {
        let read = self.read(std::slice::from_ref(&range)).map(|mut chunks| chunks.pop().unwrap_or_default());
        futures::future::ready(read).boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, ParquetResult<Vec<Bytes>>> {
        futures::future::ready(self.read(&ranges)).boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, ParquetResult<Arc<ParquetMetaData>>> {
        let options = options.cloned().unwrap_or_default().with_page_index_policy(PageIndexPolicy::Optional);
        async move { self.metadata.get_metadata(Some(&options)).await }.boxed()
    }
}
