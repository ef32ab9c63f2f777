//! Reclaiming the disk space of deleted log streams: segments that still hold rows of streams
//! that no longer exist are rewritten without them (or removed when nothing is left).
//!
//! Readers never see such rows (they only read live stream ids), so this only frees space; it
//! runs in the background thread with the retention pass.

use std::collections::HashSet;

use super::Storage;
use crate::catalog::Change;
use crate::error::Result;
use crate::model::{SegmentMeta, StreamId};
use crate::segment::{RowFilter, read_segment, write_segment};

impl Storage {
    /// Rewrites every segment holding rows of deleted streams; returns how many were rewritten.
    pub fn purge_deleted_streams(&self) -> Result<usize> {
        // Serialised with flushes, which also change the segment set.
        let _flushing = self.inner.flush_lock.lock();
        let work: Vec<(SegmentMeta, HashSet<StreamId>)> = {
            let state = self.inner.catalog.read();
            state
                .segments
                .values()
                .filter_map(|segment| {
                    let live: HashSet<StreamId> =
                        state.group_streams.get(&segment.group_id)?.values().copied().collect();
                    segment.stream_ids.iter().any(|s| !live.contains(s)).then(|| (segment.clone(), live))
                })
                .collect()
        };
        for (segment, live) in &work {
            self.rewrite_without(segment, live)?;
        }
        Ok(work.len())
    }

    fn rewrite_without(&self, segment: &SegmentMeta, live: &HashSet<StreamId>) -> Result<()> {
        let data = &self.inner.config.data_dir;
        let old_path = data.join(&segment.path);
        let filter = RowFilter { streams: Some(live), min_timestamp: i64::MIN, max_timestamp: i64::MAX };
        let batches = read_segment(&old_path, &filter)?;
        let relative = segment.path.trim_end_matches(".parquet");
        let new_relative = format!("{relative}-r{}.parquet", segment.id);
        let written = write_segment(&data.join(&new_relative), &batches)?;
        let kept = self.inner.catalog.mutate(|state, ids| {
            if !state.segments.contains_key(&segment.id) {
                // Deleted meanwhile (retention, group deletion): drop the rewrite.
                return Ok((Change::default(), false));
            }
            let mut change = Change { delete_segments: vec![segment.id], ..Default::default() };
            if let Some(w) = &written {
                change.put_segments.push(SegmentMeta {
                    id: ids.alloc(),
                    group_id: segment.group_id,
                    path: new_relative.clone(),
                    min_timestamp: w.min_timestamp,
                    max_timestamp: w.max_timestamp,
                    rows: w.rows,
                    file_bytes: w.file_bytes,
                    raw_bytes: w.raw_bytes,
                    stream_ids: w.stream_ids.clone(),
                    field_columns: w.field_columns.clone(),
                    position_columns: w.position_columns.clone(),
                    terms_checked: w.terms_checked.clone(),
                    term_columns: w.term_columns.clone(),
                });
            }
            Ok((change, true))
        })?;
        let obsolete = if kept { old_path } else { data.join(&new_relative) };
        if let Err(e) = std::fs::remove_file(&obsolete)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, path = %obsolete.display(), "could not remove rewritten segment");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewEvent, NewLogGroup, Storage, StorageConfig};

    #[test]
    fn deleting_a_stream_frees_its_disk_space() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
        let group = storage.create_log_group("000000000000", "/g", NewLogGroup::default()).unwrap();
        let keep = storage.create_log_stream("000000000000", "/g", "keep").unwrap();
        let gone = storage.create_log_stream("000000000000", "/g", "gone").unwrap();
        let events = |tag: &str| {
            (0..2000)
                .map(|i| NewEvent { timestamp: 1_000 + i, message: format!("{tag} event {i} {}", "x".repeat(200)) })
                .collect::<Vec<_>>()
        };
        storage.put_events_blocking(group.id, &keep, events("keep"), 1).unwrap();
        storage.put_events_blocking(group.id, &gone, events("gone"), 1).unwrap();
        storage.flush().unwrap();
        let (_, before) = storage.segment_bytes();
        let stored_before = storage.log_group("000000000000", "/g").unwrap().stored_bytes;

        storage.delete_log_stream("000000000000", "/g", "gone").unwrap();
        assert_eq!(storage.purge_deleted_streams().unwrap(), 1);
        assert_eq!(storage.purge_deleted_streams().unwrap(), 0, "nothing left to purge");
        let (segments, after) = storage.segment_bytes();
        assert_eq!(segments, 1);
        assert!(after < before, "segment bytes {after} should drop below {before}");
        let stored_after = storage.log_group("000000000000", "/g").unwrap().stored_bytes;
        assert!(stored_after * 2 <= stored_before + 1000, "storedBytes halves: {stored_before} -> {stored_after}");
        let files: Vec<_> =
            std::fs::read_dir(dir.path().join("segments").join(group.id.to_string())).unwrap().collect();
        assert_eq!(files.len(), 1, "the old segment file is removed");

        // The kept stream's events are all still readable after a restart.
        storage.shutdown().unwrap();
        drop(storage);
        let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
        let read = crate::EventRead {
            streams: None,
            start_time: None,
            end_time: None,
            after: None,
            descending: false,
            limit: 10_000,
            max_bytes: usize::MAX,
            predicate: None,
        };
        let page = storage.read_events(group.id, &read).unwrap();
        assert_eq!(page.events.len(), 2000);
        assert!(page.events.iter().all(|e| e.message.starts_with("keep")));
    }
}
