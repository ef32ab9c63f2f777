//! [`Storage`]: the facade the API layer uses — metadata, durable ingest, reads, flushes,
//! retention and recovery.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use arrow::array::AsArray;
use arrow::datatypes::{Int64Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use parking_lot::{Mutex, RwLock};

use crate::catalog::{Catalog, Change};
use crate::error::{Result, StorageError};
use crate::memtable::{Memtable, build_batch};
use crate::model::{GroupId, LogGroup, LogStream, NewEvent, SegmentMeta, StreamId};
use crate::read::{EventPage, EventRead, PageCollector};
use crate::schema::idx;
use crate::segment::{RowFilter, read_segment, rows_by_time_partition, write_rows};
use crate::stats::StorageStats;
use crate::wal::{self, WalWriter, encode_batch, list_wal_files, read_wal_file};

mod compaction;
mod flow;
pub mod metric_filters;

const DAY_MS: i64 = 86_400_000;

/// Tunables of the storage engine.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    /// Flush the memtable to Parquet at least this often (when it holds anything).
    pub flush_interval: Duration,
    /// ... or as soon as it holds this many billable bytes.
    pub flush_bytes: usize,
    /// Writers wait for a flush when the active memtable holds this many billable bytes
    /// (`engine/flow.rs`): bounds memory when ingest outruns flushing.
    pub max_buffered_bytes: usize,
    /// How often expired segments are deleted.
    pub retention_interval: Duration,
    /// Time span of one segment: a flush writes one segment per log group and span, so
    /// queries over a recent window skip whole segments of older data.
    pub segment_span: Duration,
}

impl StorageConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        StorageConfig {
            data_dir: data_dir.into(),
            flush_interval: Duration::from_secs(30),
            flush_bytes: 64 << 20,
            max_buffered_bytes: 256 << 20,
            retention_interval: Duration::from_secs(60),
            segment_span: Duration::from_secs(3600),
        }
    }
}

/// Options of a new log group.
#[derive(Debug, Clone, Default)]
pub struct NewLogGroup {
    pub kms_key_id: Option<String>,
    pub log_group_class: Option<String>,
    pub deletion_protection: bool,
    pub tags: BTreeMap<String, String>,
}

/// What a query engine needs to scan one log group at a point in time.
#[derive(Debug, Clone)]
pub struct GroupSnapshot {
    pub group: LogGroup,
    /// Buffered batches in the event schema (not yet filtered by live streams).
    pub batches: Vec<RecordBatch>,
    /// Segments with absolute paths.
    pub segments: Vec<(PathBuf, SegmentMeta)>,
    /// Stream ids whose rows are visible, with their names.
    pub live_streams: HashMap<StreamId, String>,
    /// Events older than this (epoch ms) are expired by retention and must not be returned.
    pub retention_cutoff: Option<i64>,
}

/// The storage engine. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    config: StorageConfig,
    catalog: Catalog,
    memtable: RwLock<Memtable>,
    wal: WalWriter,
    next_seq: AtomicU64,
    /// Held for a whole flush; remembers the previous one's timing (see `flow::FlushPace`).
    flush_lock: Mutex<flow::FlushPace>,
    stats: Arc<StorageStats>,
    closed: AtomicBool,
    background: Mutex<Option<std::thread::JoinHandle<()>>>,
    flush_wake: flow::FlushWake,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Storage {
    /// Opens (or creates) the data directory, recovering from the WAL, and starts the
    /// background flush and retention thread.
    pub fn open(config: StorageConfig) -> Result<Storage> {
        let storage = Self::open_without_background(config)?;
        storage.start_background();
        Ok(storage)
    }

    /// Like [`open`](Self::open) without the background thread (tests drive flushes by hand).
    pub fn open_without_background(config: StorageConfig) -> Result<Storage> {
        let data = &config.data_dir;
        for dir in [data.clone(), data.join("wal"), data.join("segments")] {
            std::fs::create_dir_all(&dir).map_err(|e| StorageError::io(&dir, e))?;
        }
        let catalog = Catalog::open(&data.join("catalog.redb"))?;
        remove_orphan_segments(data, &catalog)?;
        let stats = Arc::new(StorageStats::default());
        let mut memtable = Memtable::default();
        let (max_seq, last_wal) = replay_wal(&data.join("wal"), &catalog, &mut memtable)?;
        let next_seq = max_seq.max(catalog.read().max_seq) + 1;
        let observer_stats = Arc::clone(&stats);
        let wal = WalWriter::start(
            &data.join("wal"),
            last_wal.max(catalog.read().wal_flushed_through) + 1,
            Box::new(move |elapsed, bytes| observer_stats.observe_fsync(elapsed, bytes)),
        )?;
        Ok(Storage {
            inner: Arc::new(Inner {
                config,
                catalog,
                memtable: RwLock::new(memtable),
                wal,
                next_seq: AtomicU64::new(next_seq),
                flush_lock: Mutex::new(flow::FlushPace::default()),
                stats,
                closed: AtomicBool::new(false),
                background: Mutex::new(None),
                flush_wake: flow::FlushWake::default(),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    pub fn stats(&self) -> Arc<StorageStats> {
        Arc::clone(&self.inner.stats)
    }

    // ---- log groups -------------------------------------------------------------------------

    pub fn create_log_group(&self, account: &str, name: &str, options: NewLogGroup) -> Result<LogGroup> {
        self.inner.catalog.mutate(|state, ids| {
            if state.group(account, name).is_some() {
                return Err(StorageError::LogGroupAlreadyExists);
            }
            let group = LogGroup {
                id: ids.alloc(),
                account: account.to_string(),
                name: name.to_string(),
                creation_time: now_ms(),
                retention_in_days: None,
                kms_key_id: options.kms_key_id,
                log_group_class: options.log_group_class.unwrap_or_else(|| "STANDARD".to_string()),
                deletion_protection: options.deletion_protection,
                tags: options.tags,
                stored_bytes: 0,
            };
            Ok((Change { put_groups: vec![group.clone()], ..Default::default() }, group))
        })
    }

    pub fn log_group(&self, account: &str, name: &str) -> Option<LogGroup> {
        let state = self.inner.catalog.read();
        let mut group = state.group(account, name)?.clone();
        drop(state);
        group.stored_bytes = self.stored_bytes(group.id);
        Some(group)
    }

    /// The account's log groups in ASCII order of name.
    pub fn log_groups(&self, account: &str) -> Vec<LogGroup> {
        let state = self.inner.catalog.read();
        let range = (account.to_string(), String::new())..;
        let mut groups: Vec<LogGroup> = state
            .group_names
            .range(range)
            .take_while(|((a, _), _)| a == account)
            .filter_map(|(_, id)| state.groups.get(id).cloned())
            .collect();
        // One pass over the segments for all groups, not one per group.
        let mut bytes: HashMap<GroupId, u64> = HashMap::new();
        for segment in state.segments.values() {
            *bytes.entry(segment.group_id).or_default() += segment.raw_bytes;
        }
        drop(state);
        let memtable = self.inner.memtable.read();
        for part in [&memtable.active, &memtable.frozen] {
            for (group_id, buffer) in part.iter() {
                *bytes.entry(*group_id).or_default() += buffer.raw_bytes as u64;
            }
        }
        drop(memtable);
        for g in &mut groups {
            g.stored_bytes = bytes.get(&g.id).copied().unwrap_or(0);
        }
        groups
    }

    /// Applies `update` to a group durably (retention, tags, KMS key, ...).
    pub fn update_log_group<T>(
        &self,
        account: &str,
        name: &str,
        update: impl FnOnce(&mut LogGroup) -> Result<T>,
    ) -> Result<T> {
        self.inner.catalog.mutate(|state, _| {
            let mut group = state.group(account, name).ok_or(StorageError::LogGroupNotFound)?.clone();
            let value = update(&mut group)?;
            Ok((Change { put_groups: vec![group], ..Default::default() }, value))
        })
    }

    pub fn delete_log_group(&self, account: &str, name: &str) -> Result<()> {
        let group_id = self.inner.catalog.mutate(|state, _| {
            let group = state.group(account, name).ok_or(StorageError::LogGroupNotFound)?;
            let streams: Vec<StreamId> =
                state.group_streams.get(&group.id).map(|m| m.values().copied().collect()).unwrap_or_default();
            let segments = state.segments.values().filter(|s| s.group_id == group.id).map(|s| s.id).collect();
            let filters = state
                .metric_filters
                .get(&group.id)
                .map(|m| m.keys().map(|name| (group.id, name.clone())).collect())
                .unwrap_or_default();
            let change = Change {
                delete_groups: vec![group.id],
                delete_streams: streams,
                delete_segments: segments,
                delete_metric_filters: filters,
                ..Default::default()
            };
            Ok((change, group.id))
        })?;
        self.inner.memtable.write().drop_group(group_id);
        let dir = self.group_dir(group_id);
        if dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(error = %e, dir = %dir.display(), "could not remove deleted group's segments");
        }
        Ok(())
    }

    // ---- log streams ------------------------------------------------------------------------

    pub fn create_log_stream(&self, account: &str, group: &str, stream: &str) -> Result<LogStream> {
        self.inner.catalog.mutate(|state, ids| {
            let group = state.group(account, group).ok_or(StorageError::LogGroupNotFound)?;
            if state.stream(group.id, stream).is_some() {
                return Err(StorageError::LogStreamAlreadyExists);
            }
            let s = LogStream {
                id: ids.alloc(),
                group_id: group.id,
                name: stream.to_string(),
                creation_time: now_ms(),
                first_event_timestamp: None,
                last_event_timestamp: None,
                last_ingestion_time: None,
            };
            Ok((Change { put_streams: vec![s.clone()], ..Default::default() }, s))
        })
    }

    pub fn delete_log_stream(&self, account: &str, group: &str, stream: &str) -> Result<()> {
        // Rows of the stream stay in segments until they are rewritten, but readers only see
        // live stream ids, so they vanish at once.
        self.inner.catalog.mutate(|state, _| {
            let group = state.group(account, group).ok_or(StorageError::LogGroupNotFound)?;
            let s = state.stream(group.id, stream).ok_or(StorageError::LogStreamNotFound)?;
            Ok((Change { delete_streams: vec![s.id], ..Default::default() }, ()))
        })
    }

    /// Streams of a group in ASCII order of name.
    pub fn log_streams(&self, group_id: GroupId) -> Vec<LogStream> {
        let state = self.inner.catalog.read();
        state
            .group_streams
            .get(&group_id)
            .map(|m| m.values().filter_map(|id| state.streams.get(id).cloned()).collect())
            .unwrap_or_default()
    }

    pub fn log_stream(&self, group_id: GroupId, name: &str) -> Option<LogStream> {
        self.inner.catalog.read().stream(group_id, name).cloned()
    }

    // ---- ingest -----------------------------------------------------------------------------

    /// Appends events (already validated and in chronological order) to a stream. Resolves
    /// once they are durable and readable. Returns the sequence number of the first event.
    pub async fn put_events(
        &self,
        group_id: GroupId,
        stream: &LogStream,
        events: Vec<NewEvent>,
        ingestion_time: i64,
    ) -> Result<u64> {
        self.wait_for_room().await;
        let (frame, first_seq, on_durable) = self.prepare_put(group_id, stream, events, ingestion_time)?;
        self.inner.wal.append(frame, on_durable).await?;
        Ok(first_seq)
    }

    /// Blocking variant of [`put_events`](Self::put_events).
    pub fn put_events_blocking(
        &self,
        group_id: GroupId,
        stream: &LogStream,
        events: Vec<NewEvent>,
        ingestion_time: i64,
    ) -> Result<u64> {
        self.wait_for_room_blocking();
        let (frame, first_seq, on_durable) = self.prepare_put(group_id, stream, events, ingestion_time)?;
        self.inner.wal.append_blocking(frame, on_durable)?;
        Ok(first_seq)
    }

    fn prepare_put(
        &self,
        group_id: GroupId,
        stream: &LogStream,
        events: Vec<NewEvent>,
        ingestion_time: i64,
    ) -> Result<(Vec<u8>, u64, wal::OnDurable)> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(StorageError::WalClosed);
        }
        let n = events.len() as u64;
        let first_seq = self.inner.next_seq.fetch_add(n.max(1), Ordering::Relaxed);
        let frame = encode_batch(group_id, stream.id, ingestion_time, first_seq, &events);
        let batch = build_batch(stream.id, &stream.name, ingestion_time, first_seq, &events);
        let raw_bytes: usize = events.iter().map(|e| e.message.len()).sum();
        let min_ts = events.iter().map(|e| e.timestamp).min().unwrap_or(0);
        let max_ts = events.iter().map(|e| e.timestamp).max().unwrap_or(0);
        let inner = Arc::clone(&self.inner);
        let stream_id = stream.id;
        let on_durable: wal::OnDurable = Box::new(move || {
            let active = {
                let mut memtable = inner.memtable.write();
                memtable.insert(group_id, batch, raw_bytes, min_ts, max_ts, now_ms());
                memtable.active_bytes
            };
            if active >= inner.config.flush_bytes {
                inner.flush_wake.notify();
            }
            inner.catalog.update_stats(|state| {
                record_stream_stats(state.streams.get_mut(&stream_id), min_ts, max_ts, ingestion_time)
            });
            inner.stats.record_ingest(n, raw_bytes as u64);
        });
        Ok((frame, first_seq, on_durable))
    }

    // ---- reads ------------------------------------------------------------------------------

    /// Reads a page of a group's events (blocking file I/O: call from a blocking context).
    pub fn read_events(&self, group_id: GroupId, read: &EventRead) -> Result<EventPage> {
        let snapshot = self.snapshot(group_id).ok_or(StorageError::LogGroupNotFound)?;
        let live: HashSet<StreamId> = snapshot.live_streams.keys().copied().collect();
        let min_ts = read.start_time.unwrap_or(i64::MIN).max(snapshot.retention_cutoff.unwrap_or(i64::MIN));
        let max_ts = read.end_time.unwrap_or(i64::MAX);
        let effective = EventRead {
            streams: read.streams.clone(),
            start_time: Some(min_ts),
            end_time: Some(max_ts),
            after: read.after,
            descending: read.descending,
            limit: read.limit,
            max_bytes: read.max_bytes,
            predicate: read.predicate,
        };
        let mut collector = PageCollector::new(&effective, &live);
        for batch in &snapshot.batches {
            collector.offer_batch(batch);
        }
        let wanted: Option<HashSet<u64>> = read.streams.clone();
        let filter = RowFilter { streams: wanted.as_ref(), min_timestamp: min_ts, max_timestamp: max_ts };
        for (path, meta) in &snapshot.segments {
            if meta.max_timestamp < min_ts || meta.min_timestamp > max_ts {
                continue;
            }
            if let Some(set) = &wanted
                && !meta.stream_ids.iter().any(|s| set.contains(s))
            {
                continue;
            }
            for batch in read_segment(path, &filter)? {
                collector.offer_batch(&batch);
            }
        }
        Ok(collector.finish())
    }

    /// Everything a query needs to scan a group now. `None` if the group is gone.
    pub fn snapshot(&self, group_id: GroupId) -> Option<GroupSnapshot> {
        self.snapshot_between(group_id, i64::MIN, i64::MAX)
    }

    /// [`Self::snapshot`] with only the segments that may hold events in `[start_ms, end_ms]`
    /// (a query over the last hour need not copy the metadata of a month of segments).
    pub fn snapshot_between(&self, group_id: GroupId, start_ms: i64, end_ms: i64) -> Option<GroupSnapshot> {
        let state = self.inner.catalog.read();
        let group = state.groups.get(&group_id)?.clone();
        let live_streams: HashMap<StreamId, String> = state
            .group_streams
            .get(&group_id)
            .map(|m| m.iter().map(|(name, id)| (*id, name.clone())).collect())
            .unwrap_or_default();
        let segments = state
            .segments
            .values()
            .filter(|s| s.group_id == group_id && s.max_timestamp >= start_ms && s.min_timestamp <= end_ms)
            .map(|s| (self.inner.config.data_dir.join(&s.path), s.clone()))
            .collect();
        drop(state);
        let batches = self.inner.memtable.read().group_batches(group_id);
        let retention_cutoff = group.retention_in_days.map(|d| now_ms() - d as i64 * DAY_MS);
        Some(GroupSnapshot { group, batches, segments, live_streams, retention_cutoff })
    }

    /// Raw message bytes of a group: segments plus buffered.
    fn stored_bytes(&self, group_id: GroupId) -> u64 {
        let on_disk: u64 =
            self.inner.catalog.read().segments.values().filter(|s| s.group_id == group_id).map(|s| s.raw_bytes).sum();
        let memtable = self.inner.memtable.read();
        let buffered: usize =
            [&memtable.active, &memtable.frozen].iter().filter_map(|m| m.get(&group_id)).map(|b| b.raw_bytes).sum();
        on_disk + buffered as u64
    }

    fn group_dir(&self, group_id: GroupId) -> PathBuf {
        self.inner.config.data_dir.join("segments").join(group_id.to_string())
    }

    // ---- flush, retention, shutdown ---------------------------------------------------------

    /// Writes everything buffered to Parquet segments and trims the WAL.
    pub fn flush(&self) -> Result<()> {
        let mut pace = self.inner.flush_lock.lock();
        // How long the memtable took to fill (read just before the rotation resets it).
        let filled_in = self.inner.memtable.read().active_since.map_or(Duration::MAX, |since| {
            Duration::from_millis(u64::try_from(now_ms().saturating_sub(since)).unwrap_or(0))
        });
        let inner = Arc::clone(&self.inner);
        let closed_wal = self.inner.wal.rotate_blocking(Box::new(move |_| inner.memtable.write().freeze()))?;
        let started = std::time::Instant::now();
        let frozen = self.inner.memtable.read().frozen.clone();
        let mut jobs = Vec::new();
        for (group_id, buffer) in &frozen {
            let Some((live, cutoff)) = self.live_streams_and_cutoff(*group_id) else { continue };
            jobs.push(GroupFlush {
                group_id: *group_id,
                dir: self.group_dir(*group_id),
                batches: &buffer.batches,
                live,
                cutoff,
                span_ms: self.inner.config.segment_span.as_millis() as i64,
                closed_wal,
            });
        }
        let priority = pace.priority(filled_in);
        let written = write_segments_in_parallel(jobs, priority)?;
        pace.finished(started);
        tracing::info!(
            segments = written.len(),
            rows = written.iter().map(|(_, _, s)| s.rows).sum::<u64>(),
            raw_bytes = written.iter().map(|(_, _, s)| s.raw_bytes).sum::<u64>(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            ?priority,
            "flushed memtable"
        );
        let stream_ids: HashSet<StreamId> = frozen
            .values()
            .flat_map(|b| b.batches.iter())
            .flat_map(|b| b.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values().to_vec())
            .collect();
        let max_seq = self.inner.next_seq.load(Ordering::Relaxed).saturating_sub(1);
        let orphans = self.inner.catalog.mutate(|state, ids| {
            let mut change =
                Change { wal_flushed_through: Some(closed_wal), max_seq: Some(max_seq), ..Default::default() };
            let mut orphans = Vec::new();
            for (group_id, path, seg) in &written {
                if !state.groups.contains_key(group_id) {
                    orphans.push(path.clone());
                    continue;
                }
                change.put_segments.push(SegmentMeta {
                    id: ids.alloc(),
                    group_id: *group_id,
                    path: path.clone(),
                    min_timestamp: seg.min_timestamp,
                    max_timestamp: seg.max_timestamp,
                    rows: seg.rows,
                    file_bytes: seg.file_bytes,
                    raw_bytes: seg.raw_bytes,
                    stream_ids: seg.stream_ids.clone(),
                    field_columns: seg.field_columns.clone(),
                    position_columns: seg.position_columns.clone(),
                    terms_checked: seg.terms_checked.clone(),
                    term_columns: seg.term_columns.clone(),
                });
            }
            change.put_streams = stream_ids.iter().filter_map(|id| state.streams.get(id).cloned()).collect();
            Ok((change, orphans))
        })?;
        for path in orphans {
            let _ = std::fs::remove_file(self.inner.config.data_dir.join(path));
        }
        // Taken under the lock, dropped after it: ~50k request batches take milliseconds to
        // free, and the WAL thread needs this lock to acknowledge writes.
        let flushed = std::mem::take(&mut self.inner.memtable.write().frozen);
        drop(flushed);
        drop(frozen);
        self.inner.stats.record_flush(written.len() as u64);
        remove_wal_files_through(&self.inner.config.data_dir.join("wal"), closed_wal);
        Ok(())
    }

    fn live_streams_and_cutoff(&self, group_id: GroupId) -> Option<(HashSet<StreamId>, Option<i64>)> {
        let state = self.inner.catalog.read();
        let group = state.groups.get(&group_id)?;
        let live = state.group_streams.get(&group_id).map(|m| m.values().copied().collect()).unwrap_or_default();
        Some((live, group.retention_in_days.map(|d| now_ms() - d as i64 * DAY_MS)))
    }

    /// Deletes whole segments that retention has expired.
    pub fn enforce_retention(&self) -> Result<usize> {
        let now = now_ms();
        let expired: Vec<SegmentMeta> = {
            let state = self.inner.catalog.read();
            state
                .segments
                .values()
                .filter(|s| {
                    state
                        .groups
                        .get(&s.group_id)
                        .and_then(|g| g.retention_in_days)
                        .is_some_and(|d| s.max_timestamp < now - d as i64 * DAY_MS)
                })
                .cloned()
                .collect()
        };
        if expired.is_empty() {
            return Ok(0);
        }
        let ids = expired.iter().map(|s| s.id).collect();
        self.inner.catalog.mutate(|_, _| Ok((Change { delete_segments: ids, ..Default::default() }, ())))?;
        for s in &expired {
            let path = self.inner.config.data_dir.join(&s.path);
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(error = %e, path = %path.display(), "could not remove expired segment");
            }
        }
        Ok(expired.len())
    }

    /// Bytes of Parquet segments on disk.
    pub fn segment_bytes(&self) -> (u64, u64) {
        let state = self.inner.catalog.read();
        (state.segments.len() as u64, state.segments.values().map(|s| s.file_bytes).sum())
    }

    /// Buffered event bytes (messages + 26 per event): (accepting new events, being flushed),
    /// and the active size that triggers a flush.
    pub fn memtable_bytes(&self) -> (usize, usize, usize) {
        let memtable = self.inner.memtable.read();
        let flushing = memtable.frozen.values().map(|b| b.raw_bytes + 26 * b.rows).sum();
        (memtable.active_bytes, flushing, self.inner.config.flush_bytes)
    }

    fn start_background(&self) {
        let weak = Arc::downgrade(&self.inner);
        let handle = std::thread::Builder::new()
            .name("larch-flush".into())
            .spawn(move || background_loop(weak))
            .expect("spawn flush thread");
        *self.inner.background.lock() = Some(handle);
    }

    /// Flushes what is buffered and stops the WAL. Further writes fail.
    pub fn shutdown(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if let Some(handle) = self.inner.background.lock().take() {
            let _ = handle.join();
        }
        let result = self.flush();
        self.inner.wal.close();
        result
    }
}

/// One log group's part of a flush.
struct GroupFlush<'a> {
    group_id: GroupId,
    dir: PathBuf,
    batches: &'a [RecordBatch],
    live: HashSet<StreamId>,
    cutoff: Option<i64>,
    span_ms: i64,
    closed_wal: u64,
}

impl GroupFlush<'_> {
    /// Drops rows of deleted streams and expired ones, splits the rest by time partition and
    /// writes a segment per partition: (group, path relative to the data directory, segment).
    fn write(&self) -> Result<Vec<(GroupId, String, crate::segment::WrittenSegment)>> {
        let batches = keep_live_rows(self.batches, &self.live, self.cutoff)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| StorageError::io(&self.dir, e))?;
        let mut written = Vec::new();
        for (partition, rows) in rows_by_time_partition(&batches, self.span_ms) {
            let file_name = format!("{:020}-{:020}.parquet", partition.max(0), self.closed_wal);
            if let Some(segment) = write_rows(&self.dir.join(&file_name), &batches, rows)? {
                written.push((self.group_id, format!("segments/{}/{file_name}", self.group_id), segment));
            }
        }
        Ok(written)
    }
}

/// Writes the segments of one flush, one log group at a time on each of as many threads as
/// there are cores (groups are independent; filtering, encoding, field columns and the
/// substring index are CPU-bound), all at `priority`.
fn write_segments_in_parallel(
    jobs: Vec<GroupFlush<'_>>,
    priority: flow::FlushPriority,
) -> Result<Vec<(GroupId, String, crate::segment::WrittenSegment)>> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(jobs.len()).max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Vec<_>>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                priority.apply_to_current_thread();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { return };
                    let result = job.write();
                    results.lock().push((i, result));
                }
            });
        }
    });
    let mut results = results.into_inner();
    results.sort_by_key(|(i, _)| *i);
    let mut written = Vec::new();
    for (_, result) in results {
        written.extend(result?);
    }
    Ok(written)
}

fn background_loop(weak: std::sync::Weak<Inner>) {
    let mut last_retention = std::time::Instant::now();
    loop {
        match weak.upgrade() {
            Some(inner) => inner.flush_wake.wait(Duration::from_millis(250)),
            None => return,
        }
        let Some(inner) = weak.upgrade() else { return };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        let storage = Storage { inner };
        let due = {
            let m = storage.inner.memtable.read();
            let age_due =
                m.active_since.is_some_and(|t| now_ms() - t >= storage.inner.config.flush_interval.as_millis() as i64);
            m.active_bytes >= storage.inner.config.flush_bytes || age_due
        };
        if due && let Err(e) = storage.flush() {
            tracing::error!(error = %e, "flush failed; will retry");
        }
        if last_retention.elapsed() >= storage.inner.config.retention_interval {
            last_retention = std::time::Instant::now();
            if let Err(e) = storage.enforce_retention() {
                tracing::error!(error = %e, "retention enforcement failed");
            }
            match storage.purge_deleted_streams() {
                Ok(0) => {}
                Ok(n) => tracing::info!(segments = n, "rewrote segments without deleted streams"),
                Err(e) => tracing::error!(error = %e, "purging deleted streams failed"),
            }
        }
    }
}

fn record_stream_stats(stream: Option<&mut LogStream>, min_ts: i64, max_ts: i64, ingestion_time: i64) {
    let Some(s) = stream else { return };
    s.first_event_timestamp = Some(s.first_event_timestamp.map_or(min_ts, |v| v.min(min_ts)));
    s.last_event_timestamp = Some(s.last_event_timestamp.map_or(max_ts, |v| v.max(max_ts)));
    s.last_ingestion_time = Some(s.last_ingestion_time.map_or(ingestion_time, |v| v.max(ingestion_time)));
}

/// Drops rows of deleted streams and rows retention has expired before they reach a segment.
fn keep_live_rows(batches: &[RecordBatch], live: &HashSet<StreamId>, cutoff: Option<i64>) -> Result<Vec<RecordBatch>> {
    let min_timestamp = cutoff.unwrap_or(i64::MIN);
    let filter = RowFilter { streams: Some(live), min_timestamp, max_timestamp: i64::MAX };
    batches
        .iter()
        .map(|b| {
            // Almost every batch (one PutLogEvents call) is kept whole: no copy then.
            let streams = b.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values();
            let times = b.column(idx::TIMESTAMP).as_primitive::<Int64Type>().values();
            let whole = times.iter().all(|t| *t >= min_timestamp)
                && streams.first().is_none_or(|first| live.contains(first) && streams.iter().all(|s| s == first));
            if whole { Ok(b.clone()) } else { filter.apply(b) }
        })
        .collect()
}

/// Replays WAL files not covered by the last checkpoint into the memtable.
/// Returns (highest seq seen, highest WAL file number present).
fn replay_wal(wal_dir: &Path, catalog: &Catalog, memtable: &mut Memtable) -> Result<(u64, u64)> {
    let flushed_through = catalog.read().wal_flushed_through;
    let mut max_seq = 0;
    let mut last_file = 0;
    let files = list_wal_files(wal_dir)?;
    for (number, path) in files {
        last_file = last_file.max(number);
        if number <= flushed_through {
            // Flushed before a crash that came ahead of the file's deletion.
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let contents = read_wal_file(&path)?;
        if contents.valid_len < contents.file_len {
            tracing::warn!(file = %path.display(), valid = contents.valid_len, len = contents.file_len, "truncating torn WAL tail");
            let f = std::fs::OpenOptions::new().write(true).open(&path).map_err(|e| StorageError::io(&path, e))?;
            f.set_len(contents.valid_len).and_then(|()| f.sync_all()).map_err(|e| StorageError::io(&path, e))?;
        }
        let mut replayed = 0usize;
        for batch in contents.batches {
            max_seq = max_seq.max(batch.first_seq + batch.events.len() as u64);
            let stream = catalog.read().streams.get(&batch.stream_id).cloned();
            let Some(stream) = stream.filter(|s| s.group_id == batch.group_id) else { continue };
            if batch.events.is_empty() {
                continue;
            }
            let min_ts = batch.events.iter().map(|e| e.timestamp).min().unwrap_or(0);
            let max_ts = batch.events.iter().map(|e| e.timestamp).max().unwrap_or(0);
            let raw: usize = batch.events.iter().map(|e| e.message.len()).sum();
            let rb = build_batch(stream.id, &stream.name, batch.ingestion_time, batch.first_seq, &batch.events);
            memtable.insert(batch.group_id, rb, raw, min_ts, max_ts, now_ms());
            catalog.update_stats(|state| {
                record_stream_stats(state.streams.get_mut(&stream.id), min_ts, max_ts, batch.ingestion_time)
            });
            replayed += 1;
        }
        tracing::info!(file = %path.display(), batches = replayed, "replayed WAL file");
    }
    Ok((max_seq, last_file))
}

fn remove_wal_files_through(wal_dir: &Path, number: u64) {
    let Ok(files) = list_wal_files(wal_dir) else { return };
    for (n, path) in files {
        if n <= number
            && let Err(e) = crate::io_pacing::remove_gradually(&path)
        {
            tracing::warn!(error = %e, path = %path.display(), "could not remove flushed WAL file");
        }
    }
}

/// Deletes segment files the catalog does not know (a crash between writing a segment and
/// committing it) and leftover temporary files.
fn remove_orphan_segments(data: &Path, catalog: &Catalog) -> Result<()> {
    let known: HashSet<PathBuf> = catalog.read().segments.values().map(|s| data.join(&s.path)).collect();
    let root = data.join("segments");
    let Ok(groups) = std::fs::read_dir(&root) else { return Ok(()) };
    for group in groups.flatten() {
        let Ok(files) = std::fs::read_dir(group.path()) else { continue };
        for file in files.flatten() {
            let path = file.path();
            if !known.contains(&path) {
                tracing::info!(path = %path.display(), "removing orphan segment file");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    Ok(())
}
