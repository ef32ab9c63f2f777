//! Segments of several log groups share one Parquet table per schema and filter (a file's
//! group id and `@log` are its partition values): each row must still carry its own group's
//! `@log`, a range that cuts some segments must filter only those, and a stream deleted in one
//! group must not hide the rows of another group's streams.

use larch_query::compile::CompileParams;
use larch_query::engine::execute;
use larch_storage::{LogGroup, NewEvent, NewLogGroup, Storage, StorageConfig};

const ACCOUNT: &str = "000000000000";
const HOUR: i64 = 3_600_000;

fn events(from: i64, n: i64, tag: &str) -> Vec<NewEvent> {
    (0..n).map(|i| NewEvent { timestamp: from + i * 60_000, message: format!("{tag} {i:03}") }).collect()
}

async fn flush(storage: &Storage) {
    let s = storage.clone();
    tokio::task::spawn_blocking(move || s.flush()).await.unwrap().unwrap();
}

async fn run(storage: &Storage, groups: &[LogGroup], query: &str, start_ms: i64, end_ms: i64) -> Vec<String> {
    let ast = larch_insights::parse(query).unwrap();
    let params = CompileParams { start_ms, end_ms, now_ms: end_ms, default_limit: 10_000 };
    let (rows, _) = execute(storage, groups, query, &ast, params).await.unwrap();
    rows.iter()
        .map(|row| {
            row.iter().filter(|(k, _)| k != "@ptr").map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[tokio::test]
async fn groups_sharing_segment_tables_keep_their_rows_apart() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
    let one = storage.create_log_group(ACCOUNT, "/one", NewLogGroup::default()).unwrap();
    let two = storage.create_log_group(ACCOUNT, "/two", NewLogGroup::default()).unwrap();
    let one_a = storage.create_log_stream(ACCOUNT, "/one", "a").unwrap();
    let one_gone = storage.create_log_stream(ACCOUNT, "/one", "gone").unwrap();
    let two_a = storage.create_log_stream(ACCOUNT, "/two", "a").unwrap();
    // Two hours of events per group (one segment per group and hour), 60 events an hour.
    storage.put_events(one.id, &one_a, events(0, 120, "one"), 1).await.unwrap();
    storage.put_events(one.id, &one_gone, events(30_000, 120, "gone"), 1).await.unwrap();
    storage.put_events(two.id, &two_a, events(0, 120, "two"), 1).await.unwrap();
    flush(&storage).await;
    // And some in the memtables.
    storage.put_events(one.id, &one_a, events(2 * HOUR, 5, "one-mem"), 1).await.unwrap();
    storage.put_events(two.id, &two_a, events(2 * HOUR, 3, "two-mem"), 1).await.unwrap();
    let groups = vec![storage.log_group(ACCOUNT, "/one").unwrap(), storage.log_group(ACCOUNT, "/two").unwrap()];

    let by_log = "stats count(*) as n by @log | sort @log asc";
    assert_eq!(
        run(&storage, &groups, by_log, 0, 3 * HOUR).await,
        vec![format!("@log={ACCOUNT}:/one n=245"), format!("@log={ACCOUNT}:/two n=123")]
    );
    // The second hour whole plus the first hour's last 10 minutes: the first hour's segments are cut.
    assert_eq!(
        run(&storage, &groups, by_log, HOUR - 600_000, 2 * HOUR - 1).await,
        vec![format!("@log={ACCOUNT}:/one n=140"), format!("@log={ACCOUNT}:/two n=70")]
    );

    storage.delete_log_stream(ACCOUNT, "/one", "gone").unwrap();
    let groups = vec![storage.log_group(ACCOUNT, "/one").unwrap(), storage.log_group(ACCOUNT, "/two").unwrap()];
    assert_eq!(
        run(&storage, &groups, by_log, 0, 3 * HOUR).await,
        vec![format!("@log={ACCOUNT}:/one n=125"), format!("@log={ACCOUNT}:/two n=123")]
    );
    assert_eq!(
        run(&storage, &groups, by_log, HOUR - 600_000, 2 * HOUR - 1).await,
        vec![format!("@log={ACCOUNT}:/one n=70"), format!("@log={ACCOUNT}:/two n=70")]
    );
    // Each row's @log and @logStream are its own group's.
    let latest = "fields @log, @logStream, @message | sort @timestamp desc, @message asc | limit 3";
    assert_eq!(
        run(&storage, &groups, latest, 0, 2 * HOUR - 1).await,
        vec![
            format!("@log={ACCOUNT}:/one @logStream=a @message=one 119"),
            format!("@log={ACCOUNT}:/two @logStream=a @message=two 119"),
            format!("@log={ACCOUNT}:/one @logStream=a @message=one 118"),
        ]
    );
}
