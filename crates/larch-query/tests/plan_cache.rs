//! A kept plan runs again over other windows and other data (`plan_cache`, `leaves`): every
//! answer equals the one computed from the events themselves, whether the plan was made for
//! the query or reused — across segments the window cuts, the memtable, deleted streams, and
//! concurrent runs of one plan.

use std::collections::BTreeMap;

use larch_query::compile::CompileParams;
use larch_query::engine::execute;
use larch_storage::{LogGroup, LogStream, NewEvent, NewLogGroup, Storage, StorageConfig};

const ACCOUNT: &str = "000000000000";
const HOUR: i64 = 3_600_000;
const QUERY: &str = "filter @message like 'ERROR=true' | stats count(*) as n by @logStream";

/// One event every 10 s of the hour starting at `from`.
fn hour_of_events(from: i64, tag: &str) -> Vec<NewEvent> {
    (0..360)
        .map(|i| NewEvent { timestamp: from + i * 10_000, message: format!("{tag} {i:04} ERROR={}", i % 3 == 0) })
        .collect()
}

async fn flush(storage: &Storage) {
    let s = storage.clone();
    tokio::task::spawn_blocking(move || s.flush()).await.unwrap().unwrap();
}

type Rows = Vec<Vec<(String, String)>>;

async fn run(storage: &Storage, query: &str, start_ms: i64, end_ms: i64) -> (Rows, f64) {
    let group = storage.log_group(ACCOUNT, "/g").unwrap();
    let ast = larch_insights::parse(query).unwrap();
    let params = CompileParams { start_ms, end_ms, now_ms: end_ms, default_limit: 10_000 };
    let (rows, stats) = execute(storage, &[group], query, &ast, params).await.unwrap();
    (rows, stats.records_matched)
}

/// What [`QUERY`] must answer over `[start, end]`: ERROR=true events per stream.
fn expected(events: &[(String, NewEvent)], start: i64, end: i64) -> (BTreeMap<String, usize>, f64) {
    let mut counts = BTreeMap::new();
    for (stream, event) in events {
        if event.timestamp >= start && event.timestamp <= end && event.message.ends_with("ERROR=true") {
            *counts.entry(stream.clone()).or_insert(0) += 1;
        }
    }
    let total = counts.values().sum::<usize>() as f64;
    (counts, total)
}

fn counts_of(rows: &Rows) -> BTreeMap<String, usize> {
    rows.iter()
        .map(|row| {
            let get = |name: &str| row.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            (get("@logStream"), get("n").parse().unwrap())
        })
        .collect()
}

/// A fresh storage with group `/g` and stream `a` (keep the temp dir alive while it is used).
fn new_storage() -> (tempfile::TempDir, Storage, LogGroup, LogStream) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open_without_background(StorageConfig::new(dir.path())).unwrap();
    let group = storage.create_log_group(ACCOUNT, "/g", NewLogGroup::default()).unwrap();
    let a = storage.create_log_stream(ACCOUNT, "/g", "a").unwrap();
    (dir, storage, group, a)
}

/// Runs [`QUERY`] over each window and checks its rows and `recordsMatched` against the events.
async fn check_windows(storage: &Storage, events: &[(String, NewEvent)], windows: &[(i64, i64)], context: &str) {
    for &(start, end) in windows {
        let (rows, matched) = run(storage, QUERY, start, end).await;
        let (want, want_matched) = expected(events, start, end);
        assert_eq!(counts_of(&rows), want, "{context}: window {start}..{end}");
        assert_eq!(matched, want_matched, "{context}: recordsMatched over {start}..{end}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_plans_answer_every_window_from_its_own_data() {
    let (_dir, storage, group, a) = new_storage();
    let b = storage.create_log_stream(ACCOUNT, "/g", "b").unwrap();
    let mut all: Vec<(String, NewEvent)> = Vec::new();
    // Hours 0–2 in segments (stream b in hour 1 only), hour 3 in the memtable.
    for hour in 0..4 {
        let events = hour_of_events(hour * HOUR, &format!("h{hour}"));
        storage.put_events(group.id, &a, events.clone(), 1).await.unwrap();
        all.extend(events.into_iter().map(|e| ("a".to_string(), e)));
        if hour == 1 {
            let events = hour_of_events(HOUR + 5_000, "bee");
            storage.put_events(group.id, &b, events.clone(), 1).await.unwrap();
            all.extend(events.into_iter().map(|e| ("b".to_string(), e)));
        }
        if hour < 3 {
            flush(&storage).await;
        }
    }

    let hits_before = larch_query::plan_cache_hits();
    // Windows of one shape (segments and the memtable) cutting segments anywhere, then
    // windows of other shapes (segments only; the memtable only).
    let windows = [
        (0, 4 * HOUR - 1),
        (HOUR / 2, 4 * HOUR - 1),
        (HOUR + 1_234_000, 3 * HOUR + 600_000),
        (0, 4 * HOUR - 1),
        (2 * HOUR + 10_000, 3 * HOUR + 10_000),
        (0, HOUR + 1_800_000),
        (HOUR / 3, 2 * HOUR),
        (3 * HOUR, 4 * HOUR),
        (3 * HOUR + 50_000, 3 * HOUR + 900_000),
    ];
    check_windows(&storage, &all, &windows, "first runs").await;
    assert!(
        larch_query::plan_cache_hits() >= hits_before + 4,
        "windows of one shape reuse the plan: {} hits",
        larch_query::plan_cache_hits() - hits_before
    );

    // The same plan runs concurrently over different windows: each run counts its own rows.
    let runs = windows.iter().map(|(start, end)| run(&storage, QUERY, *start, *end));
    for ((rows, matched), (start, end)) in futures::future::join_all(runs).await.into_iter().zip(windows) {
        let (want, want_matched) = expected(&all, start, end);
        assert_eq!(counts_of(&rows), want, "concurrent window {start}..{end}");
        assert_eq!(matched, want_matched, "concurrent recordsMatched over {start}..{end}");
    }

    // Events acknowledged since the plan was made are read by it (same shape, new memtable).
    let late: Vec<NewEvent> = (0..90)
        .map(|i| NewEvent { timestamp: 3 * HOUR + 5_000 + i * 20_000, message: format!("late {i} ERROR=true") })
        .collect();
    storage.put_events(group.id, &a, late.clone(), 1).await.unwrap();
    all.extend(late.into_iter().map(|e| ("a".to_string(), e)));
    let hits = larch_query::plan_cache_hits();
    check_windows(&storage, &all, &windows, "with late events").await;
    assert!(larch_query::plan_cache_hits() > hits, "the kept plans served the new data");

    // A deleted stream's rows disappear from reused plans too.
    storage.delete_log_stream(ACCOUNT, "/g", "b").unwrap();
    all.retain(|(stream, _)| stream != "b");
    check_windows(&storage, &all, &windows, "after deleting b").await;
}

#[tokio::test]
async fn plans_holding_the_window_are_not_reused() {
    let (_dir, storage, group, a) = new_storage();
    storage.put_events(group.id, &a, hour_of_events(0, "x"), 1).await.unwrap();
    flush(&storage).await;
    let query = "stats count(*) as n | fields queryStartTime() as s";
    for minute in 0..3 {
        let (rows, _) = run(&storage, query, minute * 60_000, HOUR).await;
        let s = rows[0].iter().find(|(k, _)| k == "s").map(|(_, v)| v.clone()).unwrap();
        assert_eq!(
            s,
            format!("1970-01-01 00:0{minute}:00.000"),
            "queryStartTime() of the window starting at {minute} min"
        );
    }
}

/// Of a segment a window cuts, only the row groups (time slices) overlapping the window are
/// read, and its rows are filtered only when one of those reaches past the window.
#[tokio::test]
async fn cut_segments_read_only_the_row_groups_the_window_overlaps() {
    let (_dir, storage, group, a) = new_storage();
    // One hour, one event every 50 ms: 72,000 events, several row groups.
    let events: Vec<NewEvent> =
        (0..72_000).map(|i| NewEvent { timestamp: i * 50, message: format!("e {i} ERROR={}", i % 7 == 0) }).collect();
    for chunk in events.chunks(8_000) {
        storage.put_events(group.id, &a, chunk.to_vec(), 1).await.unwrap();
    }
    flush(&storage).await;
    let snapshot = storage.snapshot(group.id).unwrap();
    let (path, meta) = snapshot.segments.first().cloned().unwrap();
    let times = larch_storage::footer::segment_footer(&path, meta.file_bytes).unwrap().row_group_times.clone().unwrap();
    assert!(times.len() >= 3, "several row groups: {times:?}");
    let scan = larch_query::scan::ScanGroup { snapshot, log: format!("{ACCOUNT}:/g") };
    let pruning = larch_query::prune::Pruning::none();
    let all = |(start, end): (i64, i64)| {
        let from = times.iter().position(|t| t.1 >= start).unwrap();
        let to = times.iter().rposition(|t| t.0 <= end).unwrap();
        (0..times.len()).map(|rg| rg >= from && rg <= to).collect::<Vec<bool>>()
    };
    // Exactly row groups 1..=2: read unfiltered. Cutting into them: read filtered.
    for (window, cut) in [((times[1].0, times[2].1), false), ((times[1].0 + 1_000, times[2].1 - 1_000), true)] {
        let planned = larch_query::scan::plan_segments(&scan, window.0, window.1, &pruning).await.unwrap();
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].row_groups, Some(all(window)), "row groups read over {window:?}");
        assert_eq!(planned[0].cut_by_range, cut, "rows filtered over {window:?}");
        let (rows, matched) =
            run(&storage, "filter @message like 'ERROR=true' | stats count(*) as n", window.0, window.1).await;
        let want = events
            .iter()
            .filter(|e| e.timestamp >= window.0 && e.timestamp <= window.1)
            .filter(|e| e.message.ends_with("ERROR=true"))
            .count();
        assert_eq!(rows, vec![vec![("n".to_string(), want.to_string())]], "count over {window:?}");
        assert_eq!(matched, want as f64);
    }
}

/// A top-k (`sort … | limit`) pushes a dynamic filter (its current bound) into the scans: a
/// reused plan must start from a fresh bound, or a later window would be pruned by the
/// previous run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_top_k_plans_start_from_a_fresh_bound() {
    let (_dir, storage, group, a) = new_storage();
    for hour in 0..3 {
        storage.put_events(group.id, &a, hour_of_events(hour * HOUR, &format!("h{hour}")), 1).await.unwrap();
        flush(&storage).await;
    }
    let query = "fields @timestamp, @message | sort @timestamp desc | limit 3";
    let newest =
        |end: i64| -> Vec<String> { (0..3).map(|k| ((end / 10_000) * 10_000 - k * 10_000).to_string()).collect() };
    let hits = larch_query::plan_cache_hits();
    // The latest window first (its bound ends near the end of hour 2), then older ones.
    for end in [3 * HOUR - 1, 2 * HOUR - 1, HOUR - 1, 3 * HOUR - 1, HOUR + 600_000, 2 * HOUR + 5_000] {
        let (rows, _) = run(&storage, query, 0, end).await;
        let got: Vec<String> = rows
            .iter()
            .map(|row| row.iter().find(|(k, _)| k == "@message").map(|(_, v)| v.clone()).unwrap_or_default())
            .map(|m| {
                let i: i64 = m.split(' ').nth(1).unwrap().parse().unwrap();
                let hour: i64 = m[1..2].parse().unwrap();
                (hour * HOUR + i * 10_000).to_string()
            })
            .collect();
        assert_eq!(got, newest(end), "newest 3 events up to {end}");
    }
    eprintln!("top-k plan reuses: {}", larch_query::plan_cache_hits() - hits);
}
