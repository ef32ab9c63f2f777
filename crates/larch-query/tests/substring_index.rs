//! The substring index prunes segments and row groups for literal filters without changing any
//! answer: results equal those of an equivalent query that cannot be pruned, and the statistics
//! still count every scanned record.

use larch_query::compile::CompileParams;
use larch_query::engine::execute;
use larch_query::prune::Pruning;
use larch_query::scan::{ScanGroup, SegmentScan, plan_segments};
use larch_storage::{NewEvent, NewLogGroup, Storage, StorageConfig};

const ACCOUNT: &str = "000000000000";
const NEEDLE: &str = "needle-0123abcd4567";
const HOUR: i64 = 3_600_000;

type Rows = Vec<Vec<(String, String)>>;

async fn flush(storage: &Storage) {
    let s = storage.clone();
    tokio::task::spawn_blocking(move || s.flush()).await.unwrap().unwrap();
}

async fn run(storage: &Storage, query: &str) -> (Rows, larch_query::engine::Statistics) {
    let group = storage.log_group(ACCOUNT, "/app").unwrap();
    let ast = larch_insights::parse(query).unwrap();
    let params = CompileParams { start_ms: 0, end_ms: 100 * HOUR, now_ms: 100 * HOUR, default_limit: 10_000 };
    execute(storage, &[group], query, &ast, params).await.unwrap()
}

fn scan_group(storage: &Storage) -> ScanGroup {
    let group = storage.log_group(ACCOUNT, "/app").unwrap();
    ScanGroup { snapshot: storage.snapshot(group.id).unwrap(), log: format!("{ACCOUNT}:/app") }
}

/// (files, row groups) a query's scan reads.
async fn planned(storage: &Storage, query: &str) -> (usize, usize) {
    let pruning = Pruning::for_query(&larch_insights::parse(query).unwrap());
    let group = scan_group(storage);
    let plan: Vec<SegmentScan> = plan_segments(&group, 0, 100 * HOUR, &pruning).await.unwrap();
    let row_groups = plan
        .iter()
        .map(|s| {
            let total = larch_storage::index::read_segment_index(&s.path).unwrap().unwrap().row_groups();
            s.selected(total)
        })
        .sum();
    (plan.len(), row_groups)
}

fn line(i: i64) -> String {
    format!("GET /api/items/{i} 200 {} ms user={}", i % 97, i % 13)
}

/// Five hourly segments (the default segment span is an hour) plus one of more than one row
/// group; the needle appears in segment 2, in the last row group of the big one and in the
/// memtable.
async fn storage_with_needles() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
    let group = storage.create_log_group(ACCOUNT, "/app", NewLogGroup::default()).unwrap();
    let a = storage.create_log_stream(ACCOUNT, "/app", "a").unwrap();
    let b = storage.create_log_stream(ACCOUNT, "/app", "b").unwrap();
    for hour in 0..5 {
        let events: Vec<NewEvent> = (0..500)
            .map(|i| {
                let message = if hour == 2 && i == 250 { format!("trace={NEEDLE} seen") } else { line(i) };
                NewEvent { timestamp: hour * HOUR + i * 1000, message }
            })
            .collect();
        storage.put_events(group.id, &a, events, 1).await.unwrap();
    }
    flush(&storage).await;
    // 70,000 events 10 ms apart in hour 10: three row groups, one per 5-minute time slice
    // (30,000 + 30,000 + 10,000 rows).
    let big: Vec<NewEvent> = (0..70_000)
        .map(|i| {
            let message = if i == 69_000 { format!("{NEEDLE} ERROR late") } else { line(i) };
            NewEvent { timestamp: 10 * HOUR + i * 10, message }
        })
        .collect();
    for chunk in big.chunks(10_000) {
        storage.put_events(group.id, &b, chunk.to_vec(), 1).await.unwrap();
    }
    flush(&storage).await;
    let memtable = vec![NewEvent { timestamp: 20 * HOUR, message: format!("in memory {NEEDLE}") }];
    storage.put_events(group.id, &a, memtable, 1).await.unwrap();
    (dir, storage)
}

#[tokio::test]
async fn literal_filters_skip_segments_and_row_groups_with_the_same_answers() {
    let (_dir, storage) = storage_with_needles().await;
    let total_events = (5 * 500 + 70_000 + 1) as f64;
    let (all_files, all_row_groups) = planned(&storage, "fields @message").await;
    assert_eq!((all_files, all_row_groups), (6, 8));

    let needle =
        format!("filter @message like '{NEEDLE}' | fields @timestamp, @message | sort @timestamp desc | limit 20");
    // The same filter in a form the analysis leaves alone (double negation).
    let unpruned = format!(
        "filter not (@message not like '{NEEDLE}') | fields @timestamp, @message | sort @timestamp desc | limit 20"
    );
    assert!(Pruning::for_query(&larch_insights::parse(&unpruned).unwrap()).is_empty());
    let (rows, stats) = run(&storage, &needle).await;
    let (expected, expected_stats) = run(&storage, &unpruned).await;
    assert_eq!(rows, expected);
    assert_eq!(rows.len(), 3);
    assert_eq!(stats.records_scanned, total_events);
    assert_eq!(stats.records_matched, 3.0);
    assert_eq!(stats, expected_stats);
    // Segment of hour 2, and the last row group of the big segment only.
    assert_eq!(planned(&storage, &needle).await, (2, 2));

    // Equivalent pairs: pruned query, unprunable query.
    let pairs = [
        (
            format!("filter @message like /{NEEDLE} ERROR/ | stats count(*) as n"),
            "filter @message like /ERROR late$/ | stats count(*) as n".to_string(),
        ),
        (
            format!("filter @message like '{NEEDLE}' or @message like 'user=12' | stats count(*) as n by bin(1h)"),
            format!(
                "filter not (@message not like '{NEEDLE}' and @message not like 'user=12') | stats count(*) as n by bin(1h)"
            ),
        ),
        (
            "filter @message like 'GET' and @message like 'items/4' | stats count(*) as n".to_string(),
            "filter strcontains(@message, 'GET') and strcontains(@message, 'items/4') | stats count(*) as n"
                .to_string(),
        ),
        (
            "filter @message like 'no such text anywhere' | stats count(*) as n".to_string(),
            "filter @message like 'x' and 1 = 0 | stats count(*) as n".to_string(),
        ),
    ];
    for (pruned, reference) in &pairs {
        let (rows, stats) = run(&storage, pruned).await;
        let (expected, expected_stats) = run(&storage, reference).await;
        assert_eq!(rows, expected, "{pruned}");
        assert_eq!(stats.records_scanned, total_events, "{pruned}");
        assert_eq!(stats.records_scanned, expected_stats.records_scanned, "{pruned}");
    }
    assert_eq!(planned(&storage, &pairs[0].0).await, (1, 1));
    assert_eq!(planned(&storage, "filter @message like 'no such text anywhere'").await, (0, 0));
    // A literal that is everywhere prunes nothing.
    assert_eq!(planned(&storage, "filter @message like 'GET /api'").await, (6, 8));
}
