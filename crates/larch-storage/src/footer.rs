//! What a segment's Parquet footer holds besides the data's own metadata: the substring index
//! ([`crate::index`]), the per-second totals ([`crate::seconds`]) and, from the timestamp
//! column's statistics, each row group's time range. All are read with one
//! footer parse and kept in a process-wide cache: segments are immutable and their names
//! unique, so an entry never goes stale (a file rewritten under the same name would differ
//! in size, which is part of the key).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;

use crate::error::{Result, StorageError};
use crate::index::SegmentIndex;
use crate::schema::idx;
use crate::seconds::{SECONDS_KEY, SecondTotals};

/// Decoded footers kept in memory by [`segment_footer`].
const CACHE_BYTES: usize = 64 << 20;

/// The larch-specific parts of one segment's footer; each is `None` when the segment was
/// written without it (older segments) or it is malformed.
#[derive(Debug, Default)]
pub struct SegmentFooter {
    pub index: Option<Arc<SegmentIndex>>,
    pub seconds: Option<Arc<SecondTotals>>,
    /// Each row group's (min, max) timestamp (row groups are time slices): a query whose
    /// range cuts the segment reads the row groups inside it unfiltered.
    pub row_group_times: Option<Vec<(i64, i64)>>,
}

impl SegmentFooter {
    /// Approximate memory held (for the cache bound).
    fn cost(&self) -> usize {
        let index = self.index.as_ref().map_or(0, |i| i.byte_len() + 24 * i.row_groups());
        let seconds = self.seconds.as_ref().map_or(0, |s| 24 * s.len());
        let times = self.row_group_times.as_ref().map_or(0, |t| 16 * t.len());
        index + seconds + times + 128
    }
}

/// Reads the footer of the segment at `path`.
pub fn read_segment_footer(path: &Path) -> Result<SegmentFooter> {
    let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
    let metadata = ParquetMetaDataReader::new().parse_and_finish(&file)?;
    let index = crate::index::from_footer(path, &metadata).map(Arc::new);
    let seconds = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kvs| kvs.iter().find(|kv| kv.key == SECONDS_KEY))
        .and_then(|kv| kv.value.as_deref())
        .and_then(|value| {
            let decoded = SecondTotals::decode(value);
            if decoded.is_none() {
                tracing::warn!(path = %path.display(), "ignoring malformed per-second totals");
            }
            decoded
        })
        .map(Arc::new);
    Ok(SegmentFooter { index, seconds, row_group_times: row_group_times(&metadata) })
}

/// Each row group's (min, max) timestamp, from the column statistics (`None` when a row group
/// lacks them).
fn row_group_times(metadata: &ParquetMetaData) -> Option<Vec<(i64, i64)>> {
    metadata
        .row_groups()
        .iter()
        .map(|rg| match rg.columns().get(idx::TIMESTAMP)?.statistics()? {
            Statistics::Int64(stats) => Some((*stats.min_opt()?, *stats.max_opt()?)),
            _ => None,
        })
        .collect()
}

type CacheKey = (PathBuf, u64);

#[derive(Default)]
struct Cache {
    entries: HashMap<CacheKey, Arc<SegmentFooter>>,
    order: VecDeque<(CacheKey, usize)>,
    bytes: usize,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);

/// The footer of the segment at `path` of `file_bytes` bytes, from the cache (at most 64 MiB,
/// oldest entries evicted first). `None` when the file cannot be read (not cached: the next
/// query tries again). Reads a file on a miss: call it off the async threads.
/// Whether the footer of the segment at `path` is in the cache: [`segment_footer`] then returns
/// at once, without reading the file (callers on async threads need not move off them).
pub fn is_cached(path: &Path, file_bytes: u64) -> bool {
    CACHE.lock().entries.contains_key(&(path.to_path_buf(), file_bytes))
}

pub fn segment_footer(path: &Path, file_bytes: u64) -> Option<Arc<SegmentFooter>> {
    let key = (path.to_path_buf(), file_bytes);
    if let Some(hit) = CACHE.lock().entries.get(&key) {
        return Some(hit.clone());
    }
    let footer = match read_segment_footer(path) {
        Ok(footer) => Arc::new(footer),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read a segment footer");
            return None;
        }
    };
    let cost = footer.cost() + path.as_os_str().len();
    let mut cache = CACHE.lock();
    if let Some(raced) = cache.entries.get(&key) {
        return Some(raced.clone());
    }
    cache.entries.insert(key.clone(), footer.clone());
    cache.order.push_back((key, cost));
    cache.bytes += cost;
    while cache.bytes > CACHE_BYTES {
        let Some((old, old_cost)) = cache.order.pop_front() else { break };
        cache.entries.remove(&old);
        cache.bytes -= old_cost;
    }
    Some(footer)
}
