//! The metadata catalog: log groups, streams, segments and checkpoints.
//!
//! Durable in an embedded `redb` database (`<data>/catalog.redb`), mirrored in memory so reads
//! never touch disk. Every mutation commits to redb first and updates the mirror after, so the
//! mirror never shows something that a crash could take back.
//!
//! Metric filters live in their own table keyed by (group id, filter name); deleting a group
//! deletes its filters in the same transaction.
//!
//! Stream and group statistics that change on every PutLogEvents (first/last event time,
//! stored bytes) are kept in memory and persisted with each flush checkpoint; events after the
//! last checkpoint are replayed from the WAL on restart, which recomputes them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use parking_lot::{Mutex, RwLock};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::{Result, StorageError};
use crate::model::{GroupId, LogGroup, LogStream, MetricFilter, SegmentId, SegmentMeta, StreamId};

const GROUPS: TableDefinition<u64, &[u8]> = TableDefinition::new("log_groups");
const STREAMS: TableDefinition<u64, &[u8]> = TableDefinition::new("log_streams");
const SEGMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("segments");
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
const METRIC_FILTERS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("metric_filters");

const NEXT_ID: &str = "next_id";
const WAL_FLUSHED_THROUGH: &str = "wal_flushed_through";
const MAX_SEQ: &str = "max_seq";

/// In-memory mirror of the catalog.
#[derive(Default)]
pub(crate) struct CatalogState {
    pub groups: HashMap<GroupId, LogGroup>,
    /// (account, name) → id; a BTreeMap so listings come out in ASCII order.
    pub group_names: BTreeMap<(String, String), GroupId>,
    pub streams: HashMap<StreamId, LogStream>,
    /// group → (stream name → id), ASCII ordered.
    pub group_streams: HashMap<GroupId, BTreeMap<String, StreamId>>,
    pub segments: BTreeMap<SegmentId, SegmentMeta>,
    /// group → (filter name → filter), ASCII ordered.
    pub metric_filters: HashMap<GroupId, BTreeMap<String, MetricFilter>>,
    pub next_id: u64,
    pub wal_flushed_through: u64,
    pub max_seq: u64,
}

impl CatalogState {
    pub fn group(&self, account: &str, name: &str) -> Option<&LogGroup> {
        let id = self.group_names.get(&(account.to_string(), name.to_string()))?;
        self.groups.get(id)
    }

    pub fn stream(&self, group_id: GroupId, name: &str) -> Option<&LogStream> {
        let id = self.group_streams.get(&group_id)?.get(name)?;
        self.streams.get(id)
    }
}

/// Changes committed together by [`Catalog::commit`].
#[derive(Default)]
pub(crate) struct Change {
    pub put_groups: Vec<LogGroup>,
    pub delete_groups: Vec<GroupId>,
    pub put_streams: Vec<LogStream>,
    pub delete_streams: Vec<StreamId>,
    pub put_segments: Vec<SegmentMeta>,
    pub delete_segments: Vec<SegmentId>,
    /// Create-or-replace, keyed by (group id, name).
    pub put_metric_filters: Vec<MetricFilter>,
    pub delete_metric_filters: Vec<(GroupId, String)>,
    pub wal_flushed_through: Option<u64>,
    pub max_seq: Option<u64>,
}

pub(crate) struct Catalog {
    db: Database,
    /// Serialises writers so that "read state, decide, commit, apply" is atomic.
    write_lock: Mutex<()>,
    state: RwLock<CatalogState>,
}

impl Catalog {
    pub fn open(path: &Path) -> Result<Catalog> {
        let db = Database::create(path)?;
        let state = load(&db)?;
        Ok(Catalog { db, write_lock: Mutex::new(()), state: RwLock::new(state) })
    }

    pub fn read(&self) -> parking_lot::RwLockReadGuard<'_, CatalogState> {
        self.state.read()
    }

    /// Mutates in-memory-only statistics (persisted at the next checkpoint).
    pub fn update_stats<R>(&self, f: impl FnOnce(&mut CatalogState) -> R) -> R {
        f(&mut self.state.write())
    }

    /// Runs `decide` on the current state under the writer lock; the change it returns is
    /// committed durably, then applied to the mirror. Ids handed out via `alloc_id` are
    /// persisted with the change.
    pub fn mutate<T>(&self, decide: impl FnOnce(&CatalogState, &mut IdAllocator) -> Result<(Change, T)>) -> Result<T> {
        let _writer = self.write_lock.lock();
        let (change, value, next_id) = {
            let state = self.state.read();
            let mut ids = IdAllocator { next: state.next_id };
            let (change, value) = decide(&state, &mut ids)?;
            (change, value, ids.next)
        };
        self.persist(&change, next_id)?;
        let mut state = self.state.write();
        state.next_id = next_id;
        apply(&mut state, change);
        Ok(value)
    }

    fn persist(&self, change: &Change, next_id: u64) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut groups = txn.open_table(GROUPS)?;
            for g in &change.put_groups {
                groups.insert(g.id, serde_json::to_vec(g)?.as_slice())?;
            }
            for id in &change.delete_groups {
                groups.remove(*id)?;
            }
            let mut streams = txn.open_table(STREAMS)?;
            for s in &change.put_streams {
                streams.insert(s.id, serde_json::to_vec(s)?.as_slice())?;
            }
            for id in &change.delete_streams {
                streams.remove(*id)?;
            }
            let mut segments = txn.open_table(SEGMENTS)?;
            for s in &change.put_segments {
                segments.insert(s.id, serde_json::to_vec(s)?.as_slice())?;
            }
            for id in &change.delete_segments {
                segments.remove(*id)?;
            }
            let mut filters = txn.open_table(METRIC_FILTERS)?;
            for (group_id, name) in &change.delete_metric_filters {
                filters.remove((*group_id, name.as_str()))?;
            }
            for f in &change.put_metric_filters {
                filters.insert((f.group_id, f.name.as_str()), serde_json::to_vec(f)?.as_slice())?;
            }
            let mut counters = txn.open_table(COUNTERS)?;
            counters.insert(NEXT_ID, next_id)?;
            if let Some(n) = change.wal_flushed_through {
                counters.insert(WAL_FLUSHED_THROUGH, n)?;
            }
            if let Some(n) = change.max_seq {
                counters.insert(MAX_SEQ, n)?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// Hands out ids inside [`Catalog::mutate`].
pub(crate) struct IdAllocator {
    next: u64,
}

impl IdAllocator {
    pub fn alloc(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }
}

fn apply(state: &mut CatalogState, change: Change) {
    for id in change.delete_groups {
        if let Some(g) = state.groups.remove(&id) {
            state.group_names.remove(&(g.account, g.name));
        }
        state.metric_filters.remove(&id);
        if let Some(streams) = state.group_streams.remove(&id) {
            for sid in streams.values() {
                state.streams.remove(sid);
            }
        }
    }
    for (group_id, name) in change.delete_metric_filters {
        if let Some(filters) = state.metric_filters.get_mut(&group_id) {
            filters.remove(&name);
            if filters.is_empty() {
                state.metric_filters.remove(&group_id);
            }
        }
    }
    for id in change.delete_streams {
        if let Some(s) = state.streams.remove(&id)
            && let Some(names) = state.group_streams.get_mut(&s.group_id)
        {
            names.remove(&s.name);
        }
    }
    for id in change.delete_segments {
        state.segments.remove(&id);
    }
    for g in change.put_groups {
        state.group_names.insert((g.account.clone(), g.name.clone()), g.id);
        state.group_streams.entry(g.id).or_default();
        state.groups.insert(g.id, g);
    }
    for s in change.put_streams {
        state.group_streams.entry(s.group_id).or_default().insert(s.name.clone(), s.id);
        state.streams.insert(s.id, s);
    }
    for s in change.put_segments {
        state.segments.insert(s.id, s);
    }
    for f in change.put_metric_filters {
        state.metric_filters.entry(f.group_id).or_default().insert(f.name.clone(), f);
    }
    if let Some(n) = change.wal_flushed_through {
        state.wal_flushed_through = n;
    }
    if let Some(n) = change.max_seq {
        state.max_seq = state.max_seq.max(n);
    }
}

fn load(db: &Database) -> Result<CatalogState> {
    // Create the tables on first start so read transactions find them.
    let txn = db.begin_write()?;
    {
        txn.open_table(GROUPS)?;
        txn.open_table(STREAMS)?;
        txn.open_table(SEGMENTS)?;
        txn.open_table(COUNTERS)?;
        txn.open_table(METRIC_FILTERS)?;
    }
    txn.commit()?;

    let mut state = CatalogState { next_id: 1, ..Default::default() };
    let read = db.begin_read()?;
    let counters = read.open_table(COUNTERS)?;
    if let Some(v) = counters.get(NEXT_ID)? {
        state.next_id = v.value();
    }
    if let Some(v) = counters.get(WAL_FLUSHED_THROUGH)? {
        state.wal_flushed_through = v.value();
    }
    if let Some(v) = counters.get(MAX_SEQ)? {
        state.max_seq = v.value();
    }
    let mut change = Change::default();
    for item in read.open_table(GROUPS)?.iter()? {
        let (_, v) = item?;
        change.put_groups.push(decode(v.value())?);
    }
    for item in read.open_table(STREAMS)?.iter()? {
        let (_, v) = item?;
        change.put_streams.push(decode(v.value())?);
    }
    for item in read.open_table(SEGMENTS)?.iter()? {
        let (_, v) = item?;
        change.put_segments.push(decode(v.value())?);
    }
    for item in read.open_table(METRIC_FILTERS)?.iter()? {
        let (_, v) = item?;
        change.put_metric_filters.push(decode(v.value())?);
    }
    apply(&mut state, change);
    Ok(state)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::Catalog(format!("corrupt catalog record: {e}")))
}
