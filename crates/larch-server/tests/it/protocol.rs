//! The wire protocol: targets, bodies, authentication, headers, side endpoints.

use http::{HeaderMap, HeaderValue, Method};
use larch_server::AuthMode;
use larch_sigv4::{Credentials, RequestParts, sign};
use serde_json::json;

use crate::harness::{ACCESS_KEY, Server};

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    (dir, server)
}

/// Signed headers for a raw body and target.
fn signed(s: &Server, target: Option<&str>, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&s.addr.to_string()).unwrap());
    if let Some(t) = target {
        headers.insert("x-amz-target", HeaderValue::from_str(t).unwrap());
    }
    headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
    let parts = RequestParts { method: &Method::POST, path: "/", query: "", headers: &headers, body };
    for (name, value) in sign(&parts, &s.creds, "us-east-1", "logs", time::OffsetDateTime::now_utc()) {
        headers.insert(name, value);
    }
    headers
}

#[test]
fn success_headers() {
    let (_dir, s) = server();
    let answer = s.call("DescribeLogGroups", json!({}));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/x-amz-json-1.1"));
    assert!(answer.request_id.is_some_and(|id| id.len() == 36));
}

#[test]
fn unknown_and_missing_targets() {
    let (_dir, s) = server();
    let unknown = s.send(signed(&s, Some("Logs_20140328.Nope"), b"{}"), b"{}".to_vec());
    unknown.err("UnknownOperationException");
    let missing = s.send(signed(&s, None, b"{}"), b"{}".to_vec());
    missing.err("UnknownOperationException");
    // In the model but not implemented by larch.
    let unsupported = s.call("PutSubscriptionFilter", json!({
        "logGroupName": "g", "filterName": "f", "filterPattern": "", "destinationArn": "arn:aws:lambda:us-east-1:000000000000:function:x"
    }));
    unsupported.err("InvalidOperationException");
}

#[test]
fn malformed_bodies() {
    let (_dir, s) = server();
    let bad_json = s.send(signed(&s, Some("Logs_20140328.DescribeLogGroups"), b"{nope"), b"{nope".to_vec());
    bad_json.err("SerializationException");
    let array = s.send(signed(&s, Some("Logs_20140328.DescribeLogGroups"), b"[]"), b"[]".to_vec());
    array.err("SerializationException");
    let wrong_type = s.call("DescribeLogGroups", json!({ "limit": "ten" }));
    wrong_type.err("SerializationException");
    // An empty body is an empty input.
    let empty = s.send(signed(&s, Some("Logs_20140328.DescribeLogGroups"), b""), Vec::new());
    assert_eq!(empty.status, 200, "{}", empty.body);
}

#[test]
fn authentication_failures() {
    let (_dir, s) = server();
    let wrong_secret =
        Credentials { access_key_id: ACCESS_KEY.into(), secret_access_key: "wrong".into(), session_token: None };
    s.call_as(&wrong_secret, "DescribeLogGroups", json!({})).err("InvalidSignatureException");
    let unknown = Credentials {
        access_key_id: "AKIAUNKNOWN000000000".into(),
        secret_access_key: "x".into(),
        session_token: None,
    };
    s.call_as(&unknown, "DescribeLogGroups", json!({})).err("UnrecognizedClientException");

    let mut headers = HeaderMap::new();
    headers.insert("x-amz-target", HeaderValue::from_static("Logs_20140328.DescribeLogGroups"));
    s.send(headers, b"{}".to_vec()).err("MissingAuthenticationTokenException");

    // A body changed after signing breaks the signature.
    let headers = signed(&s, Some("Logs_20140328.DescribeLogGroups"), b"{}");
    s.send(headers, br#"{"limit": 1}"#.to_vec()).err("InvalidSignatureException");
}

#[test]
fn accept_any_key_mode() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(dir.path(), AuthMode::AcceptAnyKey { account: "222222222222".into() });
    let anyone = Credentials {
        access_key_id: "AKIAANYONE0000000000".into(),
        secret_access_key: "whatever".into(),
        session_token: None,
    };
    assert_eq!(s.call_as(&anyone, "CreateLogGroup", json!({ "logGroupName": "g" })).status, 200);
    let out = s.call_as(&anyone, "DescribeLogGroups", json!({}));
    assert_eq!(out.body["logGroups"][0]["logGroupArn"], "arn:aws:logs:us-east-1:222222222222:log-group:g");
}

#[test]
fn health_and_metrics_endpoints() {
    let (_dir, s) = server();
    assert_eq!(s.get("/health"), (200, "ok".to_string()));
    s.call("DescribeLogGroups", json!({}));
    let (status, body) = s.get("/metrics");
    assert_eq!(status, 200);
    assert!(!body.is_empty());
}

#[test]
fn body_size_limit() {
    let (_dir, s) = server();
    let huge = vec![b' '; 3 << 20];
    let answer = s.send(signed(&s, Some("Logs_20140328.DescribeLogGroups"), &huge), huge.clone());
    assert_eq!(answer.status, 413);
    assert_eq!(answer.code(), "RequestEntityTooLargeException");
}
