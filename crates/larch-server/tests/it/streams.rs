//! CreateLogStream, DeleteLogStream, DescribeLogStreams.

use serde_json::{Value, json};

use crate::harness::{ACCOUNT, Server, events};

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    (dir, server)
}

fn stream_names(out: &Value) -> Vec<String> {
    out["logStreams"].as_array().unwrap().iter().map(|s| s["logStreamName"].as_str().unwrap().to_string()).collect()
}

#[test]
fn create_describe_delete() {
    let (_dir, s) = server();
    s.create_group("g");
    s.create_stream("g", "2026/01/01/[$LATEST]abc");
    let out = s.ok("DescribeLogStreams", json!({ "logGroupName": "g" }));
    let item = &out["logStreams"][0];
    assert_eq!(item["logStreamName"], "2026/01/01/[$LATEST]abc");
    assert_eq!(item["arn"], format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g:log-stream:2026/01/01/[$LATEST]abc"));
    assert_eq!(item["storedBytes"], 0);
    assert!(item.get("firstEventTimestamp").is_none());
    assert!(item.get("lastEventTimestamp").is_none());

    let dup = s.call("CreateLogStream", json!({ "logGroupName": "g", "logStreamName": "2026/01/01/[$LATEST]abc" }));
    assert_eq!(dup.err("ResourceAlreadyExistsException"), "The specified log stream already exists");
    let no_group = s.call("CreateLogStream", json!({ "logGroupName": "nope", "logStreamName": "s" }));
    assert_eq!(no_group.err("ResourceNotFoundException"), "The specified log group does not exist.");

    s.ok("DeleteLogStream", json!({ "logGroupName": "g", "logStreamName": "2026/01/01/[$LATEST]abc" }));
    let gone = s.call("DeleteLogStream", json!({ "logGroupName": "g", "logStreamName": "2026/01/01/[$LATEST]abc" }));
    assert_eq!(gone.err("ResourceNotFoundException"), "The specified log stream does not exist.");
}

#[test]
fn name_rules() {
    let (_dir, s) = server();
    s.create_group("g");
    let long = s.call("CreateLogStream", json!({ "logGroupName": "g", "logStreamName": "s".repeat(513) }));
    assert_eq!(
        long.err("InvalidParameterException"),
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
    );
    s.create_stream("g", &"s".repeat(512));
    for bad in ["a:b", "a*b"] {
        let answer = s.call("CreateLogStream", json!({ "logGroupName": "g", "logStreamName": bad }));
        assert!(answer.err("InvalidParameterException").contains("logStreamName"));
    }
}

#[test]
fn describe_pages_by_name_and_by_last_event_time() {
    let (_dir, s) = server();
    s.create_group("g");
    let names = ["e", "a", "d", "b", "c"];
    for (i, name) in names.iter().enumerate() {
        s.create_stream("g", name);
        // Later streams get older events, so time order differs from name order.
        let t = crate::harness::now_ms() - 100_000 - i as i64 * 1000;
        s.put("g", name, &[(t, name.to_string())]);
    }
    let collect = |mut input: Value| {
        let mut seen = Vec::new();
        loop {
            let out = s.ok("DescribeLogStreams", input.clone());
            seen.extend(stream_names(&out));
            match out.get("nextToken") {
                Some(t) => input["nextToken"] = t.clone(),
                None => return seen,
            }
        }
    };
    assert_eq!(collect(json!({ "logGroupName": "g", "limit": 2 })), ["a", "b", "c", "d", "e"]);
    assert_eq!(collect(json!({ "logGroupName": "g", "limit": 2, "descending": true })), ["e", "d", "c", "b", "a"]);
    assert_eq!(
        collect(json!({ "logGroupName": "g", "limit": 2, "orderBy": "LastEventTime" })),
        ["c", "b", "d", "a", "e"]
    );
    assert_eq!(collect(json!({ "logGroupName": "g", "logStreamNamePrefix": "d" })), ["d"]);
    let both = s.call(
        "DescribeLogStreams",
        json!({ "logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "a" }),
    );
    both.err("InvalidParameterException");
}

#[test]
fn stream_statistics_follow_ingest() {
    let (_dir, s) = server();
    s.create_group("g");
    s.create_stream("g", "s");
    let batch = events("m", 5);
    s.put("g", "s", &batch);
    let item = s.ok("DescribeLogStreams", json!({ "logGroupName": "g" }))["logStreams"][0].clone();
    assert_eq!(item["firstEventTimestamp"], batch[0].0);
    assert_eq!(item["lastEventTimestamp"], batch[4].0);
    assert!(item["lastIngestionTime"].as_i64().unwrap() >= batch[4].0);
}

#[test]
fn identifier_by_arn_and_name() {
    let (_dir, s) = server();
    s.create_group("g");
    s.create_stream("g", "s");
    let arn = format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g");
    assert_eq!(stream_names(&s.ok("DescribeLogStreams", json!({ "logGroupIdentifier": arn }))), ["s"]);
    assert_eq!(stream_names(&s.ok("DescribeLogStreams", json!({ "logGroupIdentifier": "g" }))), ["s"]);
    let both = s.call("DescribeLogStreams", json!({ "logGroupName": "g", "logGroupIdentifier": "g" }));
    assert_eq!(both.err("ValidationException"), "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    let foreign = "arn:aws:logs:us-east-1:999999999999:log-group:g";
    s.call("DescribeLogStreams", json!({ "logGroupIdentifier": foreign })).err("ResourceNotFoundException");
    s.call("DescribeLogStreams", json!({ "logGroupName": "missing" })).err("ResourceNotFoundException");
}
