//! CreateLogGroup, DeleteLogGroup, DescribeLogGroups, ListLogGroups, retention and tags.

use serde_json::{Value, json};

use crate::harness::{ACCOUNT, Server};

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    (dir, server)
}

fn describe_one(s: &Server, name: &str) -> Value {
    let out = s.ok("DescribeLogGroups", json!({ "logGroupNamePrefix": name }));
    out["logGroups"].as_array().unwrap().iter().find(|g| g["logGroupName"] == name).cloned().expect("group listed")
}

fn names(out: &Value, key: &str) -> Vec<String> {
    out[key].as_array().unwrap().iter().map(|g| g["logGroupName"].as_str().unwrap().to_string()).collect()
}

#[test]
fn create_describe_delete() {
    let (_dir, s) = server();
    s.create_group("/app/one");
    let g = describe_one(&s, "/app/one");
    assert_eq!(g["arn"], format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/one:*"));
    assert_eq!(g["logGroupArn"], format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/one"));
    assert_eq!(g["metricFilterCount"], 0);
    assert_eq!(g["storedBytes"], 0);
    assert_eq!(g["logGroupClass"], "STANDARD");
    assert_eq!(g["deletionProtectionEnabled"], false);
    assert!(g["creationTime"].as_i64().unwrap() > 0);
    assert!(g.get("retentionInDays").is_none());

    let dup = s.call("CreateLogGroup", json!({ "logGroupName": "/app/one" }));
    assert_eq!(dup.err("ResourceAlreadyExistsException"), "The specified log group already exists");

    s.ok("DeleteLogGroup", json!({ "logGroupName": "/app/one" }));
    let gone = s.call("DeleteLogGroup", json!({ "logGroupName": "/app/one" }));
    assert_eq!(gone.err("ResourceNotFoundException"), "The specified log group does not exist.");
    assert_eq!(s.ok("DescribeLogGroups", json!({}))["logGroups"], json!([]));
}

#[test]
fn name_rules() {
    let (_dir, s) = server();
    let ok = format!("/long/{}", "x".repeat(506));
    assert_eq!(ok.len(), 512);
    s.create_group(&ok);
    let too_long = s.call("CreateLogGroup", json!({ "logGroupName": format!("{ok}y") }));
    assert_eq!(
        too_long.err("InvalidParameterException"),
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
    );
    let bad = s.call("CreateLogGroup", json!({ "logGroupName": "bad name" }));
    assert!(
        bad.err("InvalidParameterException").contains("Member must satisfy regular expression pattern"),
        "{}",
        bad.body
    );
    let reserved = s.call("CreateLogGroup", json!({ "logGroupName": "aws/x" }));
    reserved.err("InvalidParameterException");
    s.create_group("/aws/lambda/fn");
    let missing = s.call("CreateLogGroup", json!({}));
    assert!(missing.err("InvalidParameterException").contains("Member must not be null"));
}

#[test]
fn describe_pages_to_the_end_in_ascii_order() {
    let (_dir, s) = server();
    let mut expected: Vec<String> = ["b", "A", "a", "_", "0", "B", "c.d"].iter().map(|n| format!("/p/{n}")).collect();
    for name in &expected {
        s.create_group(name);
    }
    s.create_group("/other");
    expected.sort();
    let mut seen = Vec::new();
    let mut input = json!({ "logGroupNamePrefix": "/p/", "limit": 3 });
    loop {
        let out = s.ok("DescribeLogGroups", input.clone());
        let page = names(&out, "logGroups");
        assert!(page.len() <= 3);
        seen.extend(page);
        match out.get("nextToken") {
            Some(token) => input["nextToken"] = token.clone(),
            None => break,
        }
    }
    assert_eq!(seen, expected);

    let bad = s.call("DescribeLogGroups", json!({ "nextToken": "garbage" }));
    assert_eq!(bad.err("InvalidParameterException"), "The specified nextToken is invalid.");
    let both = s.call("DescribeLogGroups", json!({ "logGroupNamePrefix": "/p", "logGroupNamePattern": "p" }));
    assert_eq!(
        both.err("InvalidParameterException"),
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
    );
    let over = s.call("DescribeLogGroups", json!({ "limit": 51 }));
    over.err("InvalidParameterException");

    let pattern = s.ok("DescribeLogGroups", json!({ "logGroupNamePattern": "c.d" }));
    assert_eq!(names(&pattern, "logGroups"), ["/p/c.d"]);
    assert!(pattern["logGroups"][0].get("storedBytes").is_none());
}

#[test]
fn list_log_groups() {
    let (_dir, s) = server();
    for name in ["/svc/a", "/svc/b", "/svc/c", "/web/a"] {
        s.create_group(name);
    }
    let mut input = json!({ "limit": 1 });
    let mut seen = Vec::new();
    loop {
        let out = s.ok("ListLogGroups", input.clone());
        seen.extend(names(&out, "logGroups"));
        match out.get("nextToken") {
            Some(t) => input["nextToken"] = t.clone(),
            None => break,
        }
    }
    assert_eq!(seen, ["/svc/a", "/svc/b", "/svc/c", "/web/a"]);
    let out = s.ok("ListLogGroups", json!({ "logGroupNamePattern": "^/web" }));
    assert_eq!(names(&out, "logGroups"), ["/web/a"]);
}

#[test]
fn retention_policies() {
    let (_dir, s) = server();
    s.create_group("g");
    s.ok("PutRetentionPolicy", json!({ "logGroupName": "g", "retentionInDays": 14 }));
    assert_eq!(describe_one(&s, "g")["retentionInDays"], 14);
    let bad = s.call("PutRetentionPolicy", json!({ "logGroupName": "g", "retentionInDays": 2 }));
    assert!(bad.err("InvalidParameterException").contains("Member must satisfy enum value set"));
    let missing = s.call("PutRetentionPolicy", json!({ "logGroupName": "nope", "retentionInDays": 1 }));
    missing.err("ResourceNotFoundException");
    s.ok("DeleteRetentionPolicy", json!({ "logGroupName": "g" }));
    assert!(describe_one(&s, "g").get("retentionInDays").is_none());
}

#[test]
fn deletion_protection() {
    let (_dir, s) = server();
    s.ok("CreateLogGroup", json!({ "logGroupName": "p", "deletionProtectionEnabled": true }));
    assert_eq!(describe_one(&s, "p")["deletionProtectionEnabled"], true);
    s.call("DeleteLogGroup", json!({ "logGroupName": "p" })).err("ValidationException");
}

#[test]
fn tags_new_and_deprecated_apis() {
    let (_dir, s) = server();
    s.ok("CreateLogGroup", json!({ "logGroupName": "t", "tags": { "team": "a" } }));
    let arn = format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:t");
    s.ok("TagResource", json!({ "resourceArn": arn, "tags": { "env": "prod" } }));
    assert_eq!(
        s.ok("ListTagsForResource", json!({ "resourceArn": arn }))["tags"],
        json!({ "team": "a", "env": "prod" })
    );
    s.ok("UntagResource", json!({ "resourceArn": arn, "tagKeys": ["team"] }));
    assert_eq!(s.ok("ListTagsLogGroup", json!({ "logGroupName": "t" }))["tags"], json!({ "env": "prod" }));
    s.ok("TagLogGroup", json!({ "logGroupName": "t", "tags": { "x": "1" } }));
    s.ok("UntagLogGroup", json!({ "logGroupName": "t", "tags": ["env"] }));
    assert_eq!(s.ok("ListTagsForResource", json!({ "resourceArn": arn }))["tags"], json!({ "x": "1" }));

    let reserved = s.call("TagResource", json!({ "resourceArn": arn, "tags": { "aws:x": "1" } }));
    reserved.err("InvalidParameterException");
    let many: serde_json::Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    let too_many = s.call("TagResource", json!({ "resourceArn": arn, "tags": many }));
    too_many.err("TooManyTagsException");
    assert!(too_many.body.get("resourceName").is_some());
    let other = format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:missing");
    s.call("ListTagsForResource", json!({ "resourceArn": other })).err("ResourceNotFoundException");
}

#[test]
fn accounts_are_isolated() {
    let (_dir, s) = server();
    s.create_group("shared-name");
    let key = larch_server::keys::create_key(&s.data_dir, "111111111111").unwrap();
    let other = larch_sigv4::Credentials {
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
        session_token: None,
    };
    let seen = s.call_as(&other, "DescribeLogGroups", json!({}));
    assert_eq!(seen.body["logGroups"], json!([]));
    assert_eq!(s.call_as(&other, "CreateLogGroup", json!({ "logGroupName": "shared-name" })).status, 200);
    let g = &s.call_as(&other, "DescribeLogGroups", json!({})).body["logGroups"][0];
    assert_eq!(g["logGroupArn"], "arn:aws:logs:us-east-1:111111111111:log-group:shared-name");
}
