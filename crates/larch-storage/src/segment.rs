//! Parquet segments: writing a group's flushed events, and reading them back for event reads.
//!
//! A segment's row groups are time slices: rows are cut into [`SLICE_MS`] slices by timestamp,
//! consecutive slices are merged until a row group holds at least [`MIN_ROW_GROUP_ROWS`] rows,
//! and each row group is sorted by (stream id, timestamp, seq). A query over part of a segment's
//! time range (the last hour cuts the previous hour's segment) then skips whole row groups by
//! their timestamp statistics instead of reading the hour; within a row group one stream's
//! events are contiguous, which compresses similar lines together and keeps every stream's rows
//! in time order for GetLogEvents.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::ops::Range;
use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::{Int64Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnPath;

use crate::error::{Result, StorageError};
use crate::schema::{COL_INGESTION_TIME, COL_MESSAGE, COL_SEQ, COL_TIMESTAMP, event_schema, idx};

const ROW_GROUP_ROWS: usize = 64 * 1024;
/// Time slice a row group covers at the finest (5 minutes: `bin(5m)`, "last 15 minutes").
pub(crate) const SLICE_MS: i64 = 5 * 60 * 1000;
/// Slices are merged until a row group has this many rows: small row groups cost footer bytes
/// (statistics, index filters) and per-row-group read overhead for little pruning gain.
pub(crate) const MIN_ROW_GROUP_ROWS: usize = 16 * 1024;
/// ZSTD level of the message column (the rest use 3).
const MESSAGE_ZSTD_LEVEL: i32 = 5;

/// Facts about a written segment.
pub(crate) struct WrittenSegment {
    pub rows: u64,
    pub file_bytes: u64,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    pub stream_ids: Vec<u64>,
    pub raw_bytes: u64,
    /// Fields stored as extra columns (see `field_columns`).
    pub field_columns: Vec<String>,
    /// Fields whose positions in the message are stored (see `field_columns`).
    pub position_columns: Vec<String>,
    /// Terms checked for (see `term_columns`) and those of them stored as columns.
    pub terms_checked: Vec<String>,
    pub term_columns: Vec<String>,
}

/// Sorts `batches` and writes them to `path` (via a temporary file, fsynced, renamed).
/// Returns `None` when there is nothing to write.
pub(crate) fn write_segment(path: &Path, batches: &[RecordBatch]) -> Result<Option<WrittenSegment>> {
    let rows: Vec<RowRef> = batches.iter().enumerate().flat_map(|(b, batch)| RowRef::all_of(batch, b)).collect();
    write_rows(path, batches, rows)
}

/// A row of the batches a segment is written from: its sort key and where it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowRef {
    row_group: u32,
    stream: u64,
    timestamp: i64,
    seq: u64,
    batch: u32,
    row: u32,
}

impl RowRef {
    /// The rows of `batch` (the `batch_index`-th source), in order.
    fn all_of(batch: &RecordBatch, batch_index: usize) -> impl Iterator<Item = RowRef> + '_ {
        let streams = batch.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values();
        let timestamps = batch.column(idx::TIMESTAMP).as_primitive::<Int64Type>().values();
        let seqs = batch.column(idx::SEQ).as_primitive::<UInt64Type>().values();
        (0..batch.num_rows()).map(move |row| RowRef {
            row_group: 0,
            stream: streams[row],
            timestamp: timestamps[row],
            seq: seqs[row],
            batch: batch_index as u32,
            row: row as u32,
        })
    }
}

/// The rows of `batches` by time partition of `span_ms` (partition start → rows), so a segment
/// covers one partition and queries over a recent window skip older segments entirely. Only
/// keys and positions: the rows themselves are copied once, sorted, when a segment is written.
pub(crate) fn rows_by_time_partition(batches: &[RecordBatch], span_ms: i64) -> BTreeMap<i64, Vec<RowRef>> {
    let span = span_ms.max(1);
    let mut partitions: BTreeMap<i64, Vec<RowRef>> = BTreeMap::new();
    for (b, batch) in batches.iter().enumerate() {
        for row in RowRef::all_of(batch, b) {
            partitions.entry(row.timestamp.div_euclid(span) * span).or_default().push(row);
        }
    }
    partitions
}

/// Writes `rows` of `batches` as a segment at `path` (see [`write_segment`]).
pub(crate) fn write_rows(
    path: &Path,
    batches: &[RecordBatch],
    mut rows: Vec<RowRef>,
) -> Result<Option<WrittenSegment>> {
    if rows.is_empty() {
        return Ok(None);
    }
    assign_row_groups(&mut rows);
    rows.sort_unstable_by_key(|r| (r.row_group, r.stream, r.timestamp, r.seq));
    let row_groups = runs(&rows);
    // The one copy of the rows a flush makes: straight from the memtable's batches, in order.
    let sources: Vec<&RecordBatch> = batches.iter().collect();
    let positions: Vec<(usize, usize)> = rows.iter().map(|r| (r.batch as usize, r.row as usize)).collect();
    drop(rows);
    let sorted = arrow::compute::interleave_record_batch(&sources, &positions)?;
    drop(positions);

    let timestamps = sorted.column(idx::TIMESTAMP).as_primitive::<Int64Type>();
    let min_timestamp = arrow::compute::min(timestamps).unwrap_or(0);
    let max_timestamp = arrow::compute::max(timestamps).unwrap_or(0);
    // Each row group lists its streams again: sorted, then deduplicated.
    let mut stream_ids: Vec<u64> = sorted.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values().to_vec();
    stream_ids.sort_unstable();
    stream_ids.dedup();
    let raw_bytes = sorted.column(idx::MESSAGE).as_string::<i32>().values().len() as u64;

    let chosen = crate::field_columns::choose_fields(&sorted);
    let props = writer_properties()?;
    let tmp = path.with_extension("parquet.tmp");
    // Written back while it is written, so its fsync does not hold up the WAL's.
    let file = crate::io_pacing::SmoothWriter::new(File::create(&tmp).map_err(|e| StorageError::io(&tmp, e))?);
    let with_fields = crate::field_columns::append_field_columns(&sorted, &chosen)?;
    let (with_fields, term_columns) = crate::term_columns::append_term_columns(&with_fields)?;
    let terms_checked = crate::term_columns::INDEXED_TERMS.iter().map(|t| t.to_string()).collect();
    // No embedded Arrow schema: the Parquet schema maps to the same Arrow types, and every
    // query would decode the embedded one again for each file it opens.
    let options = ArrowWriterOptions::new().with_properties(props).with_skip_arrow_metadata(true);
    let mut writer = ArrowWriter::try_new_with_options(file, with_fields.schema(), options)?;
    for rows in row_groups {
        writer.write(&with_fields.slice(rows.start, rows.len()))?;
        // Closes the row group at the slice boundary (and, for the last, so the index follows
        // the row groups actually written).
        writer.flush()?;
    }
    let index = crate::index::build(sorted.column(idx::MESSAGE).as_string::<i32>(), writer.flushed_row_groups());
    let index_text = index.encode();
    let index_bytes = index_text.len();
    writer.append_key_value_metadata(KeyValue::new(crate::index::INDEX_KEY.to_string(), index_text));
    let seconds = crate::seconds::SecondTotals::build(timestamps, sorted.column(idx::MESSAGE).as_string::<i32>());
    writer.append_key_value_metadata(KeyValue::new(crate::seconds::SECONDS_KEY.to_string(), seconds.encode()));
    let file = writer.into_inner()?.into_inner();
    file.sync_all().map_err(|e| StorageError::io(&tmp, e))?;
    let file_bytes = file.metadata().map_err(|e| StorageError::io(&tmp, e))?.len();
    drop(file);
    tracing::debug!(path = %path.display(), file_bytes, index_bytes, row_groups = index.row_groups(), "segment written");
    std::fs::rename(&tmp, path).map_err(|e| StorageError::io(path, e))?;
    if let Some(dir) = path.parent() {
        crate::wal::sync_dir_pub(dir)?;
    }
    Ok(Some(WrittenSegment {
        rows: sorted.num_rows() as u64,
        file_bytes,
        min_timestamp,
        max_timestamp,
        stream_ids,
        raw_bytes,
        field_columns: chosen.columns,
        position_columns: chosen.positions,
        terms_checked,
        term_columns,
    }))
}

/// How segment columns are encoded and compressed (why each choice: docs/design.md
/// "Segment layout").
fn writer_properties() -> Result<WriterProperties> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        // Messages are most of the bytes: level 5 makes segments ~3 % smaller than level 3
        // (which pays for the time-slice row groups and the codecs below), for ~10 % more CPU
        // in the background flush.
        .set_column_compression(
            ColumnPath::from(COL_MESSAGE),
            Compression::ZSTD(ZstdLevel::try_new(MESSAGE_ZSTD_LEVEL)?),
        )
        // Every query reads the timestamps of each row group it touches. A reader creates a
        // ZSTD compressor and decompressor per column chunk (~8 µs each, parquet 59), which
        // with time-slice row groups cost more than ZSTD saves on delta-encoded times.
        .set_column_compression(ColumnPath::from(COL_TIMESTAMP), Compression::LZ4_RAW);
    // Term columns are sparse booleans: run-length encoded they need no codec at all.
    for term in crate::term_columns::INDEXED_TERMS {
        let column = ColumnPath::from(crate::term_columns::term_column_name(term));
        props = props
            .set_column_encoding(column.clone(), Encoding::RLE)
            .set_column_dictionary_enabled(column.clone(), false)
            .set_column_compression(column, Compression::UNCOMPRESSED);
    }
    Ok(props
        .set_column_dictionary_enabled(ColumnPath::from(COL_TIMESTAMP), false)
        .set_column_encoding(ColumnPath::from(COL_TIMESTAMP), Encoding::DELTA_BINARY_PACKED)
        .set_column_dictionary_enabled(ColumnPath::from(COL_INGESTION_TIME), false)
        .set_column_encoding(ColumnPath::from(COL_INGESTION_TIME), Encoding::DELTA_BINARY_PACKED)
        .set_column_dictionary_enabled(ColumnPath::from(COL_SEQ), false)
        .set_column_encoding(ColumnPath::from(COL_SEQ), Encoding::DELTA_BINARY_PACKED)
        // Messages are mostly distinct: a dictionary fills up within a few thousand rows and
        // falls back to plain, leaving a dictionary page every reader must decompress first.
        .set_column_dictionary_enabled(ColumnPath::from(COL_MESSAGE), false)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_sorting_columns(Some(
            [idx::STREAM_ID, idx::TIMESTAMP, idx::SEQ]
                .iter()
                .map(|&i| SortingColumn { column_idx: i as i32, descending: false, nulls_first: false })
                .collect(),
        ))
        .build())
}

/// Sets each row's row group: its [`SLICE_MS`] slice, consecutive slices merged until a row
/// group holds [`MIN_ROW_GROUP_ROWS`] rows (the last may hold fewer). Numbers grow with time.
fn assign_row_groups(rows: &mut [RowRef]) {
    let slice_of = |t: i64| t.div_euclid(SLICE_MS);
    let mut rows_per_slice: BTreeMap<i64, usize> = BTreeMap::new();
    for row in rows.iter() {
        *rows_per_slice.entry(slice_of(row.timestamp)).or_default() += 1;
    }
    let mut group_of_slice: HashMap<i64, u32> = HashMap::with_capacity(rows_per_slice.len());
    let (mut group, mut rows_in_group) = (0u32, 0usize);
    for (slice, count) in rows_per_slice {
        if rows_in_group >= MIN_ROW_GROUP_ROWS {
            (group, rows_in_group) = (group + 1, 0);
        }
        group_of_slice.insert(slice, group);
        rows_in_group += count;
    }
    for row in rows.iter_mut() {
        row.row_group = group_of_slice[&slice_of(row.timestamp)];
    }
}

/// Ranges of sorted rows with the same row group.
fn runs(rows: &[RowRef]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=rows.len() {
        if i == rows.len() || rows[i].row_group != rows[start].row_group {
            out.push(start..i);
            start = i;
        }
    }
    out
}

/// Which rows of a segment an event read wants.
pub(crate) struct RowFilter<'a> {
    /// `None` = every stream.
    pub streams: Option<&'a HashSet<u64>>,
    /// Inclusive bounds on the timestamp.
    pub min_timestamp: i64,
    pub max_timestamp: i64,
}

impl RowFilter<'_> {
    fn keeps_range(&self, stream_min: u64, stream_max: u64, ts_min: i64, ts_max: i64) -> bool {
        if ts_max < self.min_timestamp || ts_min > self.max_timestamp {
            return false;
        }
        match self.streams {
            None => true,
            Some(set) => set.iter().any(|s| *s >= stream_min && *s <= stream_max),
        }
    }

    /// Applies the filter to a batch in the event schema.
    pub fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let ts = batch.column(idx::TIMESTAMP).as_primitive::<Int64Type>();
        let sid = batch.column(idx::STREAM_ID).as_primitive::<UInt64Type>();
        let mask: arrow::array::BooleanArray = (0..batch.num_rows())
            .map(|i| {
                let t = ts.value(i);
                let keep = t >= self.min_timestamp
                    && t <= self.max_timestamp
                    && self.streams.is_none_or(|set| set.contains(&sid.value(i)));
                Some(keep)
            })
            .collect();
        Ok(arrow::compute::filter_record_batch(batch, &mask)?)
    }
}

/// Reads the rows of a segment that pass `filter`, skipping row groups by their statistics.
pub(crate) fn read_segment(path: &Path, filter: &RowFilter) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|e| StorageError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let metadata = builder.metadata().clone();
    let row_groups: Vec<usize> = metadata
        .row_groups()
        .iter()
        .enumerate()
        .filter(|(_, rg)| {
            let (smin, smax) = int_range(rg.column(idx::STREAM_ID).statistics()).unwrap_or((i64::MIN, i64::MAX));
            let (tmin, tmax) = int_range(rg.column(idx::TIMESTAMP).statistics()).unwrap_or((i64::MIN, i64::MAX));
            filter.keeps_range(smin.max(0) as u64, smax.max(0) as u64, tmin, tmax)
        })
        .map(|(i, _)| i)
        .collect();
    if row_groups.is_empty() {
        return Ok(Vec::new());
    }
    // Only the event columns: field columns (an optional tail) are for queries.
    let events = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), 0..event_schema().fields().len());
    let reader = builder.with_row_groups(row_groups).with_projection(events).with_batch_size(8192).build()?;
    let mut out = Vec::new();
    for batch in reader {
        let filtered = filter.apply(&batch?)?;
        if filtered.num_rows() > 0 {
            out.push(filtered);
        }
    }
    Ok(out)
}

fn int_range(stats: Option<&Statistics>) -> Option<(i64, i64)> {
    match stats? {
        Statistics::Int64(s) => Some((*s.min_opt()?, *s.max_opt()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memtable::build_batch;
    use crate::model::NewEvent;

    #[test]
    fn rows_are_partitioned_by_time_span() {
        let hour = 3_600_000;
        let events: Vec<NewEvent> = [5, hour + 1, 10, 3 * hour, hour + 7]
            .iter()
            .map(|t| NewEvent { timestamp: *t, message: format!("m{t}") })
            .collect();
        let batches = [build_batch(1, "s", 0, 100, &events[..2]), build_batch(1, "s", 0, 102, &events[2..])];
        let parts = rows_by_time_partition(&batches, hour);
        let summary: Vec<(i64, Vec<i64>)> =
            parts.iter().map(|(p, rows)| (*p, rows.iter().map(|r| r.timestamp).collect())).collect();
        assert_eq!(summary, vec![(0, vec![5, 10]), (hour, vec![hour + 1, hour + 7]), (3 * hour, vec![3 * hour])]);
        assert!(rows_by_time_partition(&[], hour).is_empty());
        // Each partition's rows written from the two batches: the segment holds exactly them.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let rows = parts.get(&hour).unwrap().clone();
        let written = write_rows(&path, &batches, rows).unwrap().unwrap();
        assert_eq!((written.rows, written.min_timestamp, written.max_timestamp), (2, hour + 1, hour + 7));
        let all = RowFilter { streams: None, min_timestamp: i64::MIN, max_timestamp: i64::MAX };
        let read = read_segment(&path, &all).unwrap();
        let messages: Vec<&str> =
            read.iter().flat_map(|b| b.column(idx::MESSAGE).as_string::<i32>().iter().flatten()).collect();
        assert_eq!(messages, vec![format!("m{}", hour + 1), format!("m{}", hour + 7)]);
    }

    #[test]
    fn segments_round_trip_with_delta_encoded_times() {
        let dir = tempfile::tempdir().unwrap();
        let events: Vec<NewEvent> =
            (0..5000).map(|i| NewEvent { timestamp: 1_000_000 + i * 7, message: format!("event {i}") }).collect();
        let batch = build_batch(3, "s", 42, 10, &events);
        let path = dir.path().join("x.parquet");
        let written = write_segment(&path, &[batch]).unwrap().unwrap();
        assert_eq!(
            (written.rows, written.min_timestamp, written.max_timestamp),
            (5000, 1_000_000, 1_000_000 + 4999 * 7)
        );
        let filter = RowFilter { streams: None, min_timestamp: 1_000_000 + 7 * 10, max_timestamp: 1_000_000 + 7 * 19 };
        let rows: usize = read_segment(&path, &filter).unwrap().iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 10);
    }

    #[test]
    fn segments_carry_a_substring_index_per_row_group() {
        use crate::index::{Needle, read_segment_index, segment_index};
        let dir = tempfile::tempdir().unwrap();
        // Two row groups (64 Ki rows each at most): the needle sits in the second only.
        let n = ROW_GROUP_ROWS as i64 + 100;
        let events: Vec<NewEvent> = (0..n)
            .map(|i| {
                let message = if i == n - 7 { "found needle-0123abcd4567 here".into() } else { format!("line {i}") };
                NewEvent { timestamp: 1_000_000 + i, message }
            })
            .collect();
        let path = dir.path().join("x.parquet");
        let written = write_segment(&path, &[build_batch(1, "s", 0, 1, &events)]).unwrap().unwrap();
        let index = read_segment_index(&path).unwrap().unwrap();
        assert_eq!(index.row_groups(), 2);
        let needle = Needle::new(b"needle-0123abcd4567");
        assert!(!index.may_contain(0, &needle));
        assert!(index.may_contain(1, &needle));
        assert!(index.may_contain(0, &Needle::new(b"line 4242")));
        let cached = segment_index(&path, written.file_bytes).unwrap();
        assert_eq!(*cached, index);
        assert!(std::sync::Arc::ptr_eq(&cached, &segment_index(&path, written.file_bytes).unwrap()));
        let all = RowFilter { streams: None, min_timestamp: i64::MIN, max_timestamp: i64::MAX };
        let rows: usize = read_segment(&path, &all).unwrap().iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows as i64, n);
    }

    #[test]
    fn row_groups_are_time_slices_sorted_by_stream() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let dir = tempfile::tempdir().unwrap();
        // One hour, 120,000 events 30 ms apart over 3 streams, written out of order: 5-minute
        // slices of 10,000 rows merge in pairs to reach 16 Ki rows, so 6 row groups of 10 minutes.
        let hour = 3_600_000i64;
        let batches: Vec<RecordBatch> = (0..3u64)
            .map(|stream| {
                let events: Vec<NewEvent> = (0..120_000i64)
                    .filter(|i| (*i as u64) % 3 == stream)
                    .rev()
                    .map(|i| NewEvent { timestamp: hour + i * 30, message: format!("s{stream} e{i}") })
                    .collect();
                build_batch(stream + 1, "s", 0, 1, &events)
            })
            .collect();
        let path = dir.path().join("t.parquet");
        let written = write_segment(&path, &batches).unwrap().unwrap();
        assert_eq!(written.stream_ids, vec![1, 2, 3]);
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let ranges: Vec<(i64, i64)> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| int_range(rg.column(idx::TIMESTAMP).statistics()).unwrap())
            .collect();
        let ten_minutes = 2 * SLICE_MS;
        let expected: Vec<(i64, i64)> =
            (0..6).map(|k| (hour + k * ten_minutes, hour + (k + 1) * ten_minutes - 30)).collect();
        assert_eq!(ranges, expected);
        // Within a row group: stream by stream, each in time order.
        let all = RowFilter { streams: None, min_timestamp: i64::MIN, max_timestamp: i64::MAX };
        let rows = read_segment(&path, &all).unwrap();
        let batch = arrow::compute::concat_batches(&event_schema(), &rows).unwrap();
        let streams = batch.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values();
        let times = batch.column(idx::TIMESTAMP).as_primitive::<Int64Type>().values();
        let mut start = 0;
        for (lo, hi) in &expected {
            let end = start + times[start..].iter().take_while(|t| **t >= *lo && **t <= *hi).count();
            let keys: Vec<(u64, i64)> = (start..end).map(|i| (streams[i], times[i])).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "row group {lo} sorted by (stream, time)");
            start = end;
        }
        assert_eq!(start, 120_000);
        // A window of the last five minutes reads back exactly its rows.
        let last = RowFilter { streams: None, min_timestamp: 2 * hour - SLICE_MS, max_timestamp: 2 * hour };
        let rows: usize = read_segment(&path, &last).unwrap().iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, (SLICE_MS / 30) as usize);
    }

    #[test]
    fn small_segments_stay_one_row_group() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let dir = tempfile::tempdir().unwrap();
        // 600 events over an hour: far below the row-group minimum, so one row group.
        let events: Vec<NewEvent> =
            (0..600).map(|i| NewEvent { timestamp: i * 6_000, message: format!("m{i}") }).collect();
        let path = dir.path().join("small.parquet");
        write_segment(&path, &[build_batch(1, "s", 0, 1, &events)]).unwrap().unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 1);
    }

    #[test]
    fn segments_carry_per_second_totals() {
        let dir = tempfile::tempdir().unwrap();
        // 2,500 events 1 ms apart from t = 10 s: seconds 10 and 11 full, 12 half.
        let events: Vec<NewEvent> =
            (0..2_500).map(|i| NewEvent { timestamp: 10_000 + i, message: format!("m{i}") }).collect();
        let bytes = |range: std::ops::Range<usize>| events[range].iter().map(|e| e.message.len() as u64).sum::<u64>();
        let path = dir.path().join("s.parquet");
        let written = write_segment(&path, &[build_batch(1, "s", 0, 1, &events)]).unwrap().unwrap();
        let footer = crate::footer::segment_footer(&path, written.file_bytes).unwrap();
        let seconds = footer.seconds.as_ref().expect("totals in the footer");
        assert_eq!(seconds.len(), 3);
        assert_eq!(seconds.in_range(11_000, 20_999), Some((1_500, bytes(1_000..2_500))));
        assert_eq!(seconds.in_range(0, 10_999), Some((1_000, bytes(0..1_000))));
        assert_eq!(seconds.in_range(10_500, 20_999), None);
        assert_eq!(seconds.in_range(i64::MIN / 2, i64::MAX / 2), Some((2_500, written.raw_bytes)));
    }
}
