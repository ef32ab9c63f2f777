//! Ordered, bounded event reads across memtable batches and segments.
//!
//! Both GetLogEvents and FilterLogEvents want "the first N events after a cursor in
//! (timestamp, seq) order, at most ~1 MB". Sources are not globally sorted, so every
//! candidate row goes through a bounded heap that keeps only what the page can hold.

use std::collections::{BinaryHeap, HashSet};

use arrow::array::AsArray;
use arrow::datatypes::{Int64Type, UInt64Type};
use arrow::record_batch::RecordBatch;

use crate::model::{StoredEvent, StreamId};
use crate::schema::idx;

/// Bytes AWS counts per event on top of the message.
pub const EVENT_OVERHEAD_BYTES: usize = 26;

/// A request for a page of events of one log group.
pub struct EventRead<'a> {
    /// Restrict to these streams (`None` = all live streams of the group).
    pub streams: Option<HashSet<StreamId>>,
    /// Inclusive lower bound on the timestamp.
    pub start_time: Option<i64>,
    /// Inclusive upper bound on the timestamp.
    pub end_time: Option<i64>,
    /// Exclusive cursor in (timestamp, seq) order, in the direction of the read.
    pub after: Option<(i64, u64)>,
    /// `true` reads newest first (the page is still returned oldest first).
    pub descending: bool,
    pub limit: usize,
    /// Page size cap counting message bytes + 26 per event; at least one event is returned.
    pub max_bytes: usize,
    /// Extra predicate on the message (a filter pattern).
    pub predicate: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

/// A page of events in ascending (timestamp, seq) order.
#[derive(Debug, Default)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    /// Whether matching events exist beyond this page in the read direction.
    pub has_more: bool,
    /// Events read and tested (for statistics).
    pub scanned: u64,
}

/// Heap entry; the heap is a max-heap on `key`, so the largest key is evicted first and the
/// smallest keys (in read direction) are kept.
struct Entry {
    key: (i64, u64),
    event: StoredEvent,
}
impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

pub(crate) struct PageCollector<'r, 'a> {
    read: &'r EventRead<'a>,
    live: &'r HashSet<StreamId>,
    heap: BinaryHeap<Entry>,
    heap_bytes: usize,
    has_more: bool,
    scanned: u64,
}

impl<'r, 'a> PageCollector<'r, 'a> {
    pub fn new(read: &'r EventRead<'a>, live: &'r HashSet<StreamId>) -> Self {
        PageCollector { read, live, heap: BinaryHeap::new(), heap_bytes: 0, has_more: false, scanned: 0 }
    }

    /// Direction-normalised key: smaller = earlier in the read.
    fn key(&self, ts: i64, seq: u64) -> (i64, u64) {
        if self.read.descending { (-ts, u64::MAX - seq) } else { (ts, seq) }
    }

    pub fn offer_batch(&mut self, batch: &RecordBatch) {
        let ts = batch.column(idx::TIMESTAMP).as_primitive::<Int64Type>();
        let sid = batch.column(idx::STREAM_ID).as_primitive::<UInt64Type>();
        let seq = batch.column(idx::SEQ).as_primitive::<UInt64Type>();
        let ing = batch.column(idx::INGESTION_TIME).as_primitive::<Int64Type>();
        let msg = batch.column(idx::MESSAGE).as_string::<i32>();
        let cursor = self.read.after.map(|(t, s)| self.key(t, s));
        for i in 0..batch.num_rows() {
            let (t, s, stream) = (ts.value(i), seq.value(i), sid.value(i));
            if self.read.start_time.is_some_and(|b| t < b) || self.read.end_time.is_some_and(|b| t > b) {
                continue;
            }
            if !self.live.contains(&stream) || self.read.streams.as_ref().is_some_and(|set| !set.contains(&stream)) {
                continue;
            }
            let key = self.key(t, s);
            if cursor.is_some_and(|c| key <= c) {
                continue;
            }
            // Cheap rejection before testing the predicate: the heap is full of better keys.
            if self.heap.len() >= self.read.limit && self.heap.peek().is_some_and(|top| key > top.key) {
                self.has_more = true;
                continue;
            }
            self.scanned += 1;
            let message = msg.value(i);
            if self.read.predicate.is_some_and(|p| !p(message)) {
                continue;
            }
            self.push(Entry {
                key,
                event: StoredEvent {
                    stream_id: stream,
                    timestamp: t,
                    ingestion_time: ing.value(i),
                    seq: s,
                    message: message.to_string(),
                },
            });
        }
    }

    fn push(&mut self, entry: Entry) {
        self.heap_bytes += entry.event.message.len() + EVENT_OVERHEAD_BYTES;
        self.heap.push(entry);
        while self.heap.len() > self.read.limit.max(1) || (self.heap.len() > 1 && self.heap_bytes > self.read.max_bytes)
        {
            if let Some(evicted) = self.heap.pop() {
                self.heap_bytes -= evicted.event.message.len() + EVENT_OVERHEAD_BYTES;
                self.has_more = true;
            }
        }
    }

    pub fn finish(self) -> EventPage {
        let mut events: Vec<StoredEvent> = self.heap.into_sorted_vec().into_iter().map(|e| e.event).collect();
        if self.read.descending {
            events.reverse();
        }
        EventPage { events, has_more: self.has_more, scanned: self.scanned }
    }
}
