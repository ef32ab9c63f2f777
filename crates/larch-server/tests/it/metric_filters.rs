//! PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter.

use serde_json::{Value, json};

use crate::harness::Server;

fn server_with_group() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    s.create_group("g");
    (dir, s)
}

fn transformation() -> Value {
    json!({ "metricName": "Errors", "metricNamespace": "App", "metricValue": "1" })
}

fn put(s: &Server, group: &str, name: &str, pattern: &str, t: Value) -> crate::harness::Answer {
    s.call(
        "PutMetricFilter",
        json!({ "logGroupName": group, "filterName": name, "filterPattern": pattern, "metricTransformations": [t] }),
    )
}

fn filter_names(out: &Value) -> Vec<String> {
    out["metricFilters"].as_array().unwrap().iter().map(|f| f["filterName"].as_str().unwrap().to_string()).collect()
}

fn metric_filter_count(s: &Server, group: &str) -> Value {
    s.ok("DescribeLogGroups", json!({ "logGroupNamePrefix": group }))["logGroups"][0]["metricFilterCount"].clone()
}

#[test]
fn put_describe_replace_delete() {
    let (_dir, s) = server_with_group();
    assert_eq!(put(&s, "g", "errors", "ERROR", transformation()).status, 200);
    let out = s.ok("DescribeMetricFilters", json!({ "logGroupName": "g" }));
    let item = &out["metricFilters"][0];
    assert_eq!(item["filterName"], "errors");
    assert_eq!(item["filterPattern"], "ERROR");
    assert_eq!(item["logGroupName"], "g");
    assert_eq!(item["applyOnTransformedLogs"], false);
    assert!(item["creationTime"].as_i64().unwrap() > 0);
    assert_eq!(item["metricTransformations"], json!([transformation()]));
    assert!(out.get("nextToken").is_none());
    assert_eq!(metric_filter_count(&s, "g"), 1);

    // Same name replaces; a blank pattern is kept as given; defaultValue only when given.
    let t = json!({ "metricName": "All", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0, "unit": "Count" });
    assert_eq!(put(&s, "g", "errors", " ", t).status, 200);
    let item = s.ok("DescribeMetricFilters", json!({ "logGroupName": "g" }))["metricFilters"][0].clone();
    assert_eq!(item["filterPattern"], " ");
    assert_eq!(item["metricTransformations"][0]["defaultValue"], 0.0);
    assert_eq!(item["metricTransformations"][0]["unit"], "Count");
    assert_eq!(metric_filter_count(&s, "g"), 1);

    s.ok("DeleteMetricFilter", json!({ "logGroupName": "g", "filterName": "errors" }));
    assert_eq!(metric_filter_count(&s, "g"), 0);
    let gone = s.call("DeleteMetricFilter", json!({ "logGroupName": "g", "filterName": "errors" }));
    assert_eq!(gone.err("ResourceNotFoundException"), "The specified metric filter does not exist.");
    let no_group = s.call("DeleteMetricFilter", json!({ "logGroupName": "nope", "filterName": "errors" }));
    assert_eq!(no_group.err("ResourceNotFoundException"), "The specified log group does not exist.");
}

#[test]
fn put_validation() {
    let (_dir, s) = server_with_group();
    let two = s.call(
        "PutMetricFilter",
        json!({ "logGroupName": "g", "filterName": "f", "filterPattern": "", "metricTransformations": [transformation(), transformation()] }),
    );
    assert!(two.err("InvalidParameterException").contains("Member must have length less than or equal to 1"));
    let none = s.call(
        "PutMetricFilter",
        json!({ "logGroupName": "g", "filterName": "f", "filterPattern": "", "metricTransformations": [] }),
    );
    none.err("InvalidParameterException");
    assert_eq!(
        put(&s, "g", "f", "{ $.a = }", transformation()).err("InvalidParameterException"),
        "Invalid metric filter pattern"
    );
    let unterminated = put(&s, "g", "f", "{ $.a = 1", transformation());
    assert_eq!(
        unterminated.err("InvalidParameterException"),
        "If a filter pattern starts with '{' it must end with '}'"
    );
    let bad_value = json!({ "metricName": "M", "metricNamespace": "N", "metricValue": "lots" });
    assert!(put(&s, "g", "f", "", bad_value).err("InvalidParameterException").contains("lots"));
    put(&s, "g", "f:x", "", transformation()).err("InvalidParameterException");
    let bad_name = json!({ "metricName": "a:b", "metricNamespace": "N", "metricValue": "1" });
    put(&s, "g", "f", "", bad_name).err("InvalidParameterException");
    assert_eq!(
        put(&s, "missing", "f", "", transformation()).err("ResourceNotFoundException"),
        "The specified log group does not exist."
    );

    let dims = |d: Value| json!({ "metricName": "Latency", "metricNamespace": "App", "metricValue": "$.latency", "dimensions": d });
    assert_eq!(put(&s, "g", "json", "{ $.latency > 0 }", dims(json!({ "Path": "$.path" }))).status, 200);
    assert_eq!(put(&s, "g", "space", "[ip, path, latency]", dims(json!({ "Path": "$path" }))).status, 200);
    put(&s, "g", "terms", "ERROR", dims(json!({ "Path": "$.path" }))).err("InvalidParameterException");
    let four = json!({ "a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d" });
    put(&s, "g", "four", "{ $.a = 1 }", dims(four)).err("InvalidParameterException");
    let with_default = json!({ "metricName": "L", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0, "dimensions": { "P": "$.p" } });
    put(&s, "g", "default", "{ $.a = 1 }", with_default).err("InvalidParameterException");
    put(&s, "g", "constant", "{ $.a = 1 }", dims(json!({ "P": "7" }))).err("InvalidParameterException");
    let listed = s.ok("DescribeMetricFilters", json!({ "logGroupName": "g" }));
    assert_eq!(filter_names(&listed), ["json", "space"]);
    assert_eq!(listed["metricFilters"][0]["metricTransformations"][0]["dimensions"], json!({ "Path": "$.path" }));
}

#[test]
fn at_most_100_filters_per_group() {
    let (_dir, s) = server_with_group();
    for i in 0..100 {
        assert_eq!(put(&s, "g", &format!("f{i:03}"), "", transformation()).status, 200);
    }
    put(&s, "g", "one-more", "", transformation()).err("LimitExceededException");
    // Replacing an existing filter is still allowed at the limit.
    assert_eq!(put(&s, "g", "f000", "ERROR", transformation()).status, 200);
    assert_eq!(metric_filter_count(&s, "g"), 100);
}

#[test]
fn describe_filters_order_pages_and_selects() {
    let (_dir, s) = server_with_group();
    s.create_group("h");
    for name in ["b", "a", "B", "ab", "c"] {
        put(&s, "g", name, "", transformation());
    }
    put(&s, "h", "a", "", json!({ "metricName": "Other", "metricNamespace": "App", "metricValue": "1" }));

    let mut input = json!({ "logGroupName": "g", "limit": 2 });
    let mut seen = Vec::new();
    loop {
        let out = s.ok("DescribeMetricFilters", input.clone());
        assert!(out["metricFilters"].as_array().unwrap().len() <= 2);
        seen.extend(filter_names(&out));
        match out.get("nextToken") {
            Some(t) => input["nextToken"] = t.clone(),
            None => break,
        }
    }
    assert_eq!(seen, ["B", "a", "ab", "b", "c"]);

    let prefixed = s.ok("DescribeMetricFilters", json!({ "logGroupName": "g", "filterNamePrefix": "a" }));
    assert_eq!(filter_names(&prefixed), ["a", "ab"]);

    // Without a log group: every group of the account.
    let all = s.ok("DescribeMetricFilters", json!({}));
    let pairs: Vec<(String, String)> = all["metricFilters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["filterName"].as_str().unwrap().to_string(), f["logGroupName"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(pairs.len(), 6);
    assert!(pairs.contains(&("a".to_string(), "h".to_string())));
    let by_metric = s.ok("DescribeMetricFilters", json!({ "metricName": "Other", "metricNamespace": "App" }));
    assert_eq!(by_metric["metricFilters"][0]["logGroupName"], "h");
    assert_eq!(by_metric["metricFilters"].as_array().unwrap().len(), 1);

    s.call("DescribeMetricFilters", json!({ "metricName": "Other" })).err("InvalidParameterException");
    s.call("DescribeMetricFilters", json!({ "metricNamespace": "App" })).err("InvalidParameterException");
    s.call("DescribeMetricFilters", json!({ "logGroupName": "missing" })).err("ResourceNotFoundException");
    s.call("DescribeMetricFilters", json!({ "limit": 51 })).err("InvalidParameterException");
    s.call("DescribeMetricFilters", json!({ "nextToken": "x" })).err("InvalidParameterException");
}

#[test]
fn deleting_a_group_deletes_its_filters() {
    let (_dir, s) = server_with_group();
    put(&s, "g", "f", "ERROR", transformation());
    s.ok("DeleteLogGroup", json!({ "logGroupName": "g" }));
    s.create_group("g");
    assert_eq!(s.ok("DescribeMetricFilters", json!({ "logGroupName": "g" }))["metricFilters"], json!([]));
    assert_eq!(metric_filter_count(&s, "g"), 0);
}

#[test]
fn test_metric_filter() {
    let (_dir, s) = server_with_group();
    let out = s.ok(
        "TestMetricFilter",
        json!({ "filterPattern": "[ip, user, ..., status = 4*, bytes]", "logEventMessages": ["1.2.3.4 bob GET /x 404 12", "nope"] }),
    );
    assert_eq!(out["matches"].as_array().unwrap().len(), 1);
    assert_eq!(out["matches"][0]["eventNumber"], 1);
    assert_eq!(out["matches"][0]["extractedValues"]["$status"], "404");
    s.call("TestMetricFilter", json!({ "filterPattern": "{ $.a", "logEventMessages": ["x"] }))
        .err("InvalidParameterException");
}
