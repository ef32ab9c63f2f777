//! Restarts, crashes and torn WAL tails.
//!
//! A crash is simulated by copying the data directory while the server still runs (without
//! flushing or shutting down): the copy holds exactly what a power cut would leave, since
//! every acknowledged batch has been fsynced to the WAL. A second server then opens the copy.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{ACCOUNT, Server, copy_dir, events};

/// Everything a client can see of group `g`.
fn snapshot(s: &Server) -> Value {
    let streams = s.ok("DescribeLogStreams", json!({ "logGroupName": "g" }))["logStreams"].clone();
    let names: Vec<String> =
        streams.as_array().unwrap().iter().map(|x| x["logStreamName"].as_str().unwrap().to_string()).collect();
    let events: HashMap<String, Value> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                s.ok(
                    "GetLogEvents",
                    json!({ "logGroupName": "g", "logStreamName": n, "startFromHead": true }),
                )["events"]
                    .clone(),
            )
        })
        .collect();
    json!({
        "group": s.ok("DescribeLogGroups", json!({ "logGroupNamePrefix": "g" }))["logGroups"],
        "streams": streams,
        "events": events,
        "filtered": s.filter_all(json!({ "logGroupName": "g" })),
        "tags": s.ok("ListTagsLogGroup", json!({ "logGroupName": "g" }))["tags"],
        "metric_filters": s.ok("DescribeMetricFilters", json!({ "logGroupName": "g" }))["metricFilters"],
    })
}

fn populate(s: &Server) {
    s.ok("CreateLogGroup", json!({ "logGroupName": "g", "tags": { "team": "x" } }));
    s.ok("PutRetentionPolicy", json!({ "logGroupName": "g", "retentionInDays": 30 }));
    s.ok(
        "PutMetricFilter",
        json!({ "logGroupName": "g", "filterName": "errors", "filterPattern": "ERROR",
                "metricTransformations": [{ "metricName": "Errors", "metricNamespace": "App", "metricValue": "1" }] }),
    );
    s.create_stream("g", "a");
    s.create_stream("g", "b");
    s.create_stream("g", "empty");
}

fn messages_of(s: &Server) -> Vec<String> {
    s.filter_all(json!({ "logGroupName": "g" })).iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
}

#[test]
fn graceful_restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    populate(&s);
    s.put("g", "a", &events("flushed", 5));
    s.storage.flush().unwrap();
    s.put("g", "b", &events("buffered", 5));
    let before = snapshot(&s);
    s.stop();

    let s = Server::start(dir.path());
    assert_eq!(snapshot(&s), before);
    // New events get fresh ids after a restart.
    s.put("g", "a", &events("after", 1));
    let ids: std::collections::HashSet<String> = s
        .filter_all(json!({ "logGroupName": "g" }))
        .iter()
        .map(|e| e["eventId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 11);
    s.stop();
}

/// Copies the server's directory as a crash would leave it and starts a server on the copy.
fn crash_copy(s: &Server, to: &Path) -> Server {
    copy_dir(&s.data_dir, to);
    Server::start(to)
}

fn all_acknowledged(batches: &[Vec<(i64, String)>]) -> Vec<String> {
    let mut all: Vec<(i64, String)> = batches.iter().flatten().cloned().collect();
    all.sort();
    all.into_iter().map(|(_, m)| m).collect()
}

#[test]
fn crash_recovers_every_acknowledged_event_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    populate(&s);
    let first = events("one", 20);
    s.put("g", "a", &first);
    s.storage.flush().unwrap();
    let second = events("two", 20);
    s.put("g", "b", &second);
    let before = snapshot(&s);

    let copy = tempfile::tempdir().unwrap();
    let recovered = crash_copy(&s, copy.path());
    assert_eq!(messages_of(&recovered), all_acknowledged(&[first.clone(), second.clone()]));
    // Streams, stats and event ids are rebuilt exactly (statistics come from the WAL replay).
    assert_eq!(snapshot(&recovered), before);

    // Recovering, flushing and crashing again still yields each event once.
    recovered.storage.flush().unwrap();
    let third = events("three", 3);
    recovered.put("g", "a", &third);
    let again = tempfile::tempdir().unwrap();
    let twice = crash_copy(&recovered, again.path());
    assert_eq!(messages_of(&twice), all_acknowledged(&[first, second, third]));
    twice.stop();
    recovered.stop();
    s.stop();
}

fn wal_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    files.sort();
    files
}

#[test]
fn wal_files_left_behind_by_a_flush_are_not_replayed() {
    // A crash after the flush's catalog commit but before the flushed WAL files were deleted:
    // those files must not be replayed on top of the segments.
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    populate(&s);
    let batch = events("once", 10);
    s.put("g", "a", &batch);
    let stale = tempfile::tempdir().unwrap();
    copy_dir(&dir.path().join("wal"), stale.path());
    s.storage.flush().unwrap();

    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), copy.path());
    copy_dir(stale.path(), &copy.path().join("wal"));
    assert!(!wal_files(copy.path()).is_empty());
    let recovered = Server::start(copy.path());
    assert_eq!(messages_of(&recovered), all_acknowledged(&[batch]));
    recovered.stop();
    s.stop();
}

#[test]
fn torn_wal_tail_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    populate(&s);
    let batch = events("safe", 10);
    s.put("g", "a", &batch[..5]);
    s.put("g", "b", &batch[5..]);

    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir.path(), copy.path());
    let newest = wal_files(copy.path()).pop().expect("a WAL file");
    let mut f = std::fs::OpenOptions::new().append(true).open(&newest).unwrap();
    f.write_all(&[0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x00, 0xff, 0x17, 0x42]).unwrap();
    drop(f);

    let recovered = Server::start(copy.path());
    let mut expected: Vec<String> = batch.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(messages_of(&recovered), expected);
    // The log keeps working after the truncation, and a second crash recovers both.
    let more = events("later", 2);
    recovered.put("g", "a", &more);
    let again = tempfile::tempdir().unwrap();
    let twice = crash_copy(&recovered, again.path());
    expected = all_acknowledged(&[batch, more]);
    assert_eq!(messages_of(&twice), expected);
    twice.stop();
    recovered.stop();
    s.stop();
}

#[test]
fn deleted_group_is_not_resurrected_by_replay() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    populate(&s);
    s.put("g", "a", &events("old", 3));
    s.ok("DeleteLogGroup", json!({ "logGroupName": "g" }));
    s.create_group("g");
    s.create_stream("g", "a");
    s.put("g", "a", &events("new", 2));

    let copy = tempfile::tempdir().unwrap();
    let recovered = crash_copy(&s, copy.path());
    assert_eq!(messages_of(&recovered), ["new 0", "new 1"]);
    assert_eq!(recovered.ok("DescribeMetricFilters", json!({ "logGroupName": "g" }))["metricFilters"], json!([]));
    let arn = format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g");
    assert_eq!(recovered.ok("ListTagsForResource", json!({ "resourceArn": arn }))["tags"], json!({}));
    recovered.stop();
    s.stop();
}
