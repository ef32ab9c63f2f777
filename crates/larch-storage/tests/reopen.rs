//! Flush, reopen and read back: ordering, limits and cursors across memtable and segments.

use larch_storage::{
    EventRead, MetricTransformation, NewEvent, NewLogGroup, NewMetricFilter, Storage, StorageConfig, StorageError,
};

const ACCOUNT: &str = "000000000000";

fn open(dir: &std::path::Path) -> Storage {
    Storage::open_without_background(StorageConfig::new(dir)).unwrap()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn read(limit: usize) -> EventRead<'static> {
    EventRead {
        streams: None,
        start_time: None,
        end_time: None,
        after: None,
        descending: false,
        limit,
        max_bytes: usize::MAX,
        predicate: None,
    }
}

/// Writes events with timestamps `base + ts` for each ts, in the given (sorted) order.
fn put(storage: &Storage, group: &str, stream: &str, timestamps: &[i64], base: i64) {
    let g = storage.log_group(ACCOUNT, group).unwrap();
    let s = storage.log_stream(g.id, stream).unwrap();
    let events =
        timestamps.iter().map(|t| NewEvent { timestamp: base + t, message: format!("{stream}@{t}") }).collect();
    storage.put_events_blocking(g.id, &s, events, now_ms()).unwrap();
}

fn messages(page: &larch_storage::EventPage) -> Vec<String> {
    page.events.iter().map(|e| e.message.clone()).collect()
}

#[test]
fn reads_merge_segments_and_memtable_in_order_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let base = now_ms() - 3_600_000;
    let storage = open(dir.path());
    let g = storage.create_log_group(ACCOUNT, "g", NewLogGroup::default()).unwrap();
    storage.create_log_stream(ACCOUNT, "g", "a").unwrap();
    storage.create_log_stream(ACCOUNT, "g", "b").unwrap();
    put(&storage, "g", "a", &[0, 2, 4, 6], base);
    storage.flush().unwrap();
    put(&storage, "g", "b", &[1, 3, 5], base);
    storage.flush().unwrap();
    put(&storage, "g", "a", &[3, 7], base); // equal timestamp with b@3: seq breaks the tie
    let expected = ["a@0", "b@1", "a@2", "b@3", "a@3", "a@4", "b@5", "a@6", "a@7"];
    assert_eq!(messages(&storage.read_events(g.id, &read(100)).unwrap()), expected);
    storage.shutdown().unwrap();
    assert!(matches!(
        storage.put_events_blocking(g.id, &storage.log_stream(g.id, "a").unwrap(), vec![], 0),
        Err(StorageError::WalClosed)
    ));
    drop(storage);

    let storage = open(dir.path());
    assert_eq!(messages(&storage.read_events(g.id, &read(100)).unwrap()), expected);

    // Pages of 4 following the cursor cover everything once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = storage.read_events(g.id, &EventRead { after, ..read(4) }).unwrap();
        seen.extend(messages(&page));
        let Some(last) = page.events.last() else {
            break;
        };
        after = Some((last.timestamp, last.seq));
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, expected);

    // Descending reads return the newest page, oldest first.
    let newest = storage.read_events(g.id, &EventRead { descending: true, ..read(3) }).unwrap();
    assert_eq!(messages(&newest), ["b@5", "a@6", "a@7"]);
    assert!(newest.has_more);

    // Stream and time restrictions (both bounds inclusive).
    let b_id = storage.log_stream(g.id, "b").unwrap().id;
    let only_b =
        EventRead { streams: Some([b_id].into()), start_time: Some(base + 2), end_time: Some(base + 5), ..read(100) };
    assert_eq!(messages(&storage.read_events(g.id, &only_b).unwrap()), ["b@3", "b@5"]);

    // The byte cap: each event costs its message plus 26 bytes; at least one is returned.
    let capped = storage.read_events(g.id, &EventRead { max_bytes: 2 * (3 + 26), ..read(100) }).unwrap();
    assert_eq!(messages(&capped), ["a@0", "b@1"]);
    assert!(capped.has_more);
    let tiny = storage.read_events(g.id, &EventRead { max_bytes: 1, ..read(100) }).unwrap();
    assert_eq!(tiny.events.len(), 1);

    // Sequence numbers keep growing after a restart.
    let max_seq = storage.read_events(g.id, &read(100)).unwrap().events.iter().map(|e| e.seq).max().unwrap();
    put(&storage, "g", "b", &[8], base);
    let last = storage.read_events(g.id, &read(100)).unwrap().events.pop().unwrap();
    assert_eq!(last.message, "b@8");
    assert!(last.seq > max_seq);
    storage.shutdown().unwrap();
}

#[test]
fn metric_filters_persist_and_follow_their_group() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    let g = storage.create_log_group(ACCOUNT, "g", NewLogGroup::default()).unwrap();
    let filter = |name: &str| NewMetricFilter {
        name: name.into(),
        pattern: "ERROR".into(),
        transformations: vec![MetricTransformation {
            metric_name: "Errors".into(),
            metric_namespace: "App".into(),
            metric_value: "1".into(),
            default_value: Some(0.0),
            dimensions: None,
            unit: None,
        }],
        apply_on_transformed_logs: false,
        field_selection_criteria: None,
        emit_system_field_dimensions: None,
    };
    storage.put_metric_filter(ACCOUNT, "g", filter("b"), 2).unwrap();
    storage.put_metric_filter(ACCOUNT, "g", filter("a"), 2).unwrap();
    assert!(matches!(
        storage.put_metric_filter(ACCOUNT, "g", filter("c"), 2),
        Err(StorageError::MetricFilterLimitExceeded)
    ));
    storage.put_metric_filter(ACCOUNT, "g", filter("a"), 2).unwrap();
    assert!(matches!(storage.put_metric_filter(ACCOUNT, "nope", filter("a"), 2), Err(StorageError::LogGroupNotFound)));
    storage.shutdown().unwrap();
    drop(storage);

    let storage = open(dir.path());
    let names: Vec<String> = storage.metric_filters(g.id).into_iter().map(|f| f.name).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(storage.metric_filters(g.id)[0].transformations[0].default_value, Some(0.0));
    storage.delete_metric_filter(ACCOUNT, "g", "b").unwrap();
    assert!(matches!(storage.delete_metric_filter(ACCOUNT, "g", "b"), Err(StorageError::MetricFilterNotFound)));
    storage.delete_log_group(ACCOUNT, "g").unwrap();
    storage.shutdown().unwrap();
    drop(storage);

    let storage = open(dir.path());
    let g2 = storage.create_log_group(ACCOUNT, "g", NewLogGroup::default()).unwrap();
    assert_eq!(storage.metric_filter_count(g.id), 0);
    assert_eq!(storage.metric_filter_count(g2.id), 0);
    storage.shutdown().unwrap();
}
