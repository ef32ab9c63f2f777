//! PutLogEvents, GetLogEvents (token semantics), FilterLogEvents (patterns, pagination).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::harness::{Server, events, now_ms};

fn server_with_stream() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    s.create_group("g");
    s.create_stream("g", "s");
    (dir, s)
}

fn messages(out: &Value) -> Vec<String> {
    out["events"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
}

#[test]
fn put_validation() {
    let (_dir, s) = server_with_stream();
    let t = now_ms();
    let unordered = s.call(
        "PutLogEvents",
        json!({ "logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}] }),
    );
    assert_eq!(
        unordered.err("InvalidParameterException"),
        "Log events in a single PutLogEvents request must be in chronological order."
    );
    let no_stream = s.call(
        "PutLogEvents",
        json!({ "logGroupName": "g", "logStreamName": "x", "logEvents": [{"timestamp": t, "message": "a"}] }),
    );
    assert_eq!(no_stream.err("ResourceNotFoundException"), "The specified log stream does not exist.");
    let no_group = s.call(
        "PutLogEvents",
        json!({ "logGroupName": "x", "logStreamName": "s", "logEvents": [{"timestamp": t, "message": "a"}] }),
    );
    no_group.err("ResourceNotFoundException");
    let empty = s.call("PutLogEvents", json!({ "logGroupName": "g", "logStreamName": "s", "logEvents": [] }));
    empty.err("InvalidParameterException");

    let old = t - 15 * 86_400_000;
    let new = t + 3 * 3_600_000;
    let out = s.ok(
        "PutLogEvents",
        json!({ "logGroupName": "g", "logStreamName": "s", "logEvents": [
            {"timestamp": old, "message": "old"}, {"timestamp": t, "message": "ok"}, {"timestamp": new, "message": "new"}] }),
    );
    assert_eq!(out["rejectedLogEventsInfo"], json!({ "tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2 }));
    assert!(out["nextSequenceToken"].is_string());
    assert_eq!(s.stream_messages("g", "s"), ["ok"]);
}

#[test]
fn get_log_events_tokens() {
    let (_dir, s) = server_with_stream();
    let batch = events("e", 10);
    s.put("g", "s", &batch);

    // Forward from the head, 3 at a time; at the end the sent token comes back.
    let mut input = json!({ "logGroupName": "g", "logStreamName": "s", "startFromHead": true, "limit": 3 });
    let mut seen = Vec::new();
    let mut last_forward = Value::Null;
    for _ in 0..10 {
        let out = s.ok("GetLogEvents", input.clone());
        seen.extend(messages(&out));
        let next = out["nextForwardToken"].clone();
        assert!(next.as_str().unwrap().starts_with("f/"));
        assert!(out["nextBackwardToken"].as_str().unwrap().starts_with("b/"));
        if input.get("nextToken") == Some(&next) {
            assert!(out["events"].as_array().unwrap().is_empty());
            last_forward = next;
            break;
        }
        input["nextToken"] = next;
    }
    let expected: Vec<String> = batch.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(seen, expected);
    assert!(last_forward.is_string(), "the end was never signalled");

    // New events show up behind the end token.
    s.put("g", "s", &[(batch[9].0 + 1, "late".to_string())]);
    let out = s.ok("GetLogEvents", json!({ "logGroupName": "g", "logStreamName": "s", "nextToken": last_forward }));
    assert_eq!(messages(&out), ["late"]);

    // Without a token the newest events come first (backward), still returned oldest first.
    let out = s.ok("GetLogEvents", json!({ "logGroupName": "g", "logStreamName": "s", "limit": 2 }));
    assert_eq!(messages(&out), ["e 9", "late"]);
    let back = s.ok(
        "GetLogEvents",
        json!({ "logGroupName": "g", "logStreamName": "s", "limit": 2, "nextToken": out["nextBackwardToken"] }),
    );
    assert_eq!(messages(&back), ["e 7", "e 8"]);

    // Time window: startTime inclusive, endTime exclusive.
    let window = s.ok(
        "GetLogEvents",
        json!({ "logGroupName": "g", "logStreamName": "s", "startFromHead": true, "startTime": batch[2].0, "endTime": batch[5].0 }),
    );
    assert_eq!(messages(&window), ["e 2", "e 3", "e 4"]);

    let bad = s.call("GetLogEvents", json!({ "logGroupName": "g", "logStreamName": "s", "nextToken": "f/123" }));
    assert_eq!(bad.err("InvalidParameterException"), "The specified nextToken is invalid.");
    let over = s.call("GetLogEvents", json!({ "logGroupName": "g", "logStreamName": "s", "limit": 10001 }));
    assert_eq!(
        over.err("InvalidParameterException"),
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"
    );
    s.call("GetLogEvents", json!({ "logGroupName": "g", "logStreamName": "nope" })).err("ResourceNotFoundException");
}

#[test]
fn reads_span_segments_and_buffer() {
    let (_dir, s) = server_with_stream();
    let batch = events("e", 6);
    s.put("g", "s", &batch[..3]);
    s.storage.flush().unwrap();
    s.put("g", "s", &batch[3..]);
    let expected: Vec<String> = batch.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(s.stream_messages("g", "s"), expected);
    let filtered: Vec<String> = s
        .filter_all(json!({ "logGroupName": "g", "limit": 2 }))
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(filtered, expected);
}

fn filter_messages(s: &Server, input: Value) -> Vec<String> {
    s.filter_all(input).iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
}

#[test]
fn filter_log_events_patterns() {
    let (_dir, s) = server_with_stream();
    s.create_stream("g", "other");
    let t = now_ms() - 60_000;
    let lines = [
        "ERROR disk full",
        "INFO all good",
        r#"{"level": "error", "latency": 731}"#,
        r#"{"level": "info", "latency": 12}"#,
        "10.0.0.1 bob GET /index.html 404 120",
        "10.0.0.2 amy GET /a.png 200 5000",
    ];
    let batch: Vec<(i64, String)> = lines.iter().enumerate().map(|(i, m)| (t + i as i64, m.to_string())).collect();
    s.put("g", "s", &batch);
    s.put("g", "other", &[(t + 100, "ERROR elsewhere".to_string())]);

    assert_eq!(
        filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "ERROR" })),
        ["ERROR disk full", "ERROR elsewhere"]
    );
    assert_eq!(
        filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "ERROR -elsewhere" })),
        ["ERROR disk full"]
    );
    assert_eq!(
        filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "?INFO ?disk" })),
        ["ERROR disk full", "INFO all good"]
    );
    assert_eq!(filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "{ $.latency > 500 }" })), [lines[2]]);
    assert_eq!(
        filter_messages(
            &s,
            json!({ "logGroupName": "g", "filterPattern": "[ip, user, verb, path, status = 4*, bytes]" })
        ),
        [lines[4]]
    );
    assert_eq!(filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "%amy|bob%" })), [lines[4], lines[5]]);
    assert_eq!(filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "" })).len(), 7);
    assert_eq!(
        filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "ERROR", "logStreamNames": ["other"] })),
        ["ERROR elsewhere"]
    );
    assert_eq!(
        filter_messages(&s, json!({ "logGroupName": "g", "filterPattern": "ERROR", "logStreamNamePrefix": "s" })),
        ["ERROR disk full"]
    );
    assert_eq!(
        filter_messages(&s, json!({ "logGroupName": "g", "startTime": t + 1, "endTime": t + 2 })),
        [lines[1], lines[2]]
    );

    let invalid = s.call("FilterLogEvents", json!({ "logGroupName": "g", "filterPattern": "{ $.a = " }));
    invalid.err("InvalidParameterException");
    let both =
        s.call("FilterLogEvents", json!({ "logGroupName": "g", "logStreamNames": ["s"], "logStreamNamePrefix": "s" }));
    both.err("InvalidParameterException");
    let token = s.call("FilterLogEvents", json!({ "logGroupName": "g", "nextToken": "nope" }));
    assert_eq!(token.err("InvalidParameterException"), "The specified nextToken is invalid.");
    s.call("FilterLogEvents", json!({ "logGroupName": "missing" })).err("ResourceNotFoundException");
}

#[test]
fn filter_log_events_pages_to_the_end_interleaved() {
    let (_dir, s) = server_with_stream();
    s.create_stream("g", "t");
    let base = now_ms() - 120_000;
    let a: Vec<(i64, String)> = (0..25).map(|i| (base + 2 * i, format!("s {i}"))).collect();
    let b: Vec<(i64, String)> = (0..25).map(|i| (base + 2 * i + 1, format!("t {i}"))).collect();
    s.put("g", "s", &a);
    s.put("g", "t", &b);
    let all = s.filter_all(json!({ "logGroupName": "g", "limit": 7 }));
    assert_eq!(all.len(), 50);
    let timestamps: Vec<i64> = all.iter().map(|e| e["timestamp"].as_i64().unwrap()).collect();
    assert!(timestamps.windows(2).all(|w| w[0] < w[1]), "interleaved in time order");
    let ids: HashSet<&str> = all.iter().map(|e| e["eventId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 50);
    assert!(ids.iter().all(|id| id.len() == 56));
    assert_eq!(all[0]["logStreamName"], "s");
    assert_eq!(all[1]["logStreamName"], "t");
    let first = s.ok("FilterLogEvents", json!({ "logGroupName": "g", "limit": 7 }));
    assert_eq!(first["searchedLogStreams"], json!([]));
}

#[test]
fn deleted_streams_and_groups_stop_showing_events() {
    let (_dir, s) = server_with_stream();
    s.create_stream("g", "gone");
    s.put("g", "s", &events("keep", 2));
    s.put("g", "gone", &events("drop", 2));
    s.storage.flush().unwrap();
    s.ok("DeleteLogStream", json!({ "logGroupName": "g", "logStreamName": "gone" }));
    let left = filter_messages(&s, json!({ "logGroupName": "g" }));
    assert_eq!(left, ["keep 0", "keep 1"]);

    s.ok("DeleteLogGroup", json!({ "logGroupName": "g" }));
    s.create_group("g");
    s.create_stream("g", "s");
    assert!(filter_messages(&s, json!({ "logGroupName": "g" })).is_empty());
    assert!(s.stream_messages("g", "s").is_empty());
}
