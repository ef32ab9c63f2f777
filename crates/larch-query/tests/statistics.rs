//! `statistics` of GetQueryResults are exact: records and bytes scanned in the time range,
//! whether the events sit in the memtable, in segments wholly inside the range (counted from
//! metadata), or in segments the range cuts (per-second totals in their footers, or read when a
//! bound splits a second), and with deleted streams excluded.

use larch_query::compile::CompileParams;
use larch_query::engine::execute;
use larch_storage::{NewEvent, NewLogGroup, Storage, StorageConfig};

const ACCOUNT: &str = "000000000000";

fn events(from: i64, n: i64, tag: &str) -> Vec<NewEvent> {
    (0..n)
        .map(|i| NewEvent { timestamp: from + i * 1000, message: format!("{tag} {i:04} ERROR={}", i % 3 == 0) })
        .collect()
}

async fn flush(storage: &Storage) {
    let s = storage.clone();
    tokio::task::spawn_blocking(move || s.flush()).await.unwrap().unwrap();
}

async fn run(
    storage: &Storage,
    query: &str,
    start_ms: i64,
    end_ms: i64,
) -> (Vec<Vec<(String, String)>>, larch_query::engine::Statistics) {
    let group = storage.log_group(ACCOUNT, "/g").unwrap();
    let ast = larch_insights::parse(query).unwrap();
    let params = CompileParams { start_ms, end_ms, now_ms: end_ms, default_limit: 10_000 };
    execute(storage, &[group], query, &ast, params).await.unwrap()
}

#[tokio::test]
async fn scanned_counts_are_exact_across_memtable_and_segments() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
    let group = storage.create_log_group(ACCOUNT, "/g", NewLogGroup::default()).unwrap();
    let a = storage.create_log_stream(ACCOUNT, "/g", "a").unwrap();
    let b = storage.create_log_stream(ACCOUNT, "/g", "b").unwrap();
    // Segment 1: t = 0..100 s; segment 2: t = 100..200 s; memtable: t = 200..300 s.
    let first = events(0, 100, "one");
    let second = events(100_000, 100, "two");
    let third = events(200_000, 100, "three");
    storage.put_events(group.id, &a, first.clone(), 1).await.unwrap();
    flush(&storage).await;
    storage.put_events(group.id, &a, second.clone(), 1).await.unwrap();
    storage.put_events(group.id, &b, events(100_500, 10, "bee"), 1).await.unwrap();
    flush(&storage).await;
    storage.put_events(group.id, &a, third.clone(), 1).await.unwrap();

    let bytes = |evs: &[NewEvent]| evs.iter().map(|e| e.message.len() as f64).sum::<f64>();
    let bee_bytes = bytes(&events(100_500, 10, "bee"));

    // Whole range: everything, counted partly from metadata.
    let (rows, stats) = run(&storage, "filter @message like 'ERROR=true' | stats count(*) as n", 0, 299_999).await;
    assert_eq!(stats.records_scanned, 310.0);
    assert_eq!(stats.bytes_scanned, bytes(&first) + bytes(&second) + bytes(&third) + bee_bytes);
    assert_eq!(stats.records_matched, 34.0 * 3.0 + 4.0);
    assert_eq!(rows, vec![vec![("n".to_string(), "106".to_string())]]);

    // A range cutting the first segment in half and ending inside the memtable.
    let (_, stats) = run(&storage, "fields @message", 50_000, 249_999).await;
    assert_eq!(stats.records_scanned, 50.0 + 100.0 + 10.0 + 50.0);
    assert_eq!(stats.bytes_scanned, bytes(&first[50..]) + bytes(&second) + bee_bytes + bytes(&third[..50]));

    // Bounds inside a second that holds events (not what StartQuery sends, but what a
    // retention cutoff can be): the per-second totals cannot split it, the rows are read.
    let (_, stats) = run(&storage, "fields @message", 49_500, 150_200).await;
    assert_eq!(stats.records_scanned, 50.0 + 51.0 + 10.0);
    assert_eq!(stats.bytes_scanned, bytes(&first[50..]) + bytes(&second[..51]) + bee_bytes);

    // A deleted stream's rows are neither scanned nor counted.
    storage.delete_log_stream(ACCOUNT, "/g", "b").unwrap();
    let (_, stats) = run(&storage, "fields @message", 0, 299_999).await;
    assert_eq!(stats.records_scanned, 300.0);
    assert_eq!(stats.bytes_scanned, bytes(&first) + bytes(&second) + bytes(&third));
}
