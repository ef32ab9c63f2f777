//! An in-process larch server on `127.0.0.1:0` and a SigV4-signing client for it.
//!
//! The server runs on its own tokio runtime; tests talk to it over real HTTP with blocking
//! `reqwest`, so every request goes through the router, authentication and model validation
//! exactly as an SDK's would.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method};
use larch_server::keys::{AccessKey, KeyStore};
use larch_server::{AppState, AuthMode};
use larch_sigv4::{Credentials, RequestParts, sign};
use larch_storage::{Storage, StorageConfig};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "000000000000";
pub const ACCESS_KEY: &str = "AKIAITESTKEY0000000";
pub const SECRET_KEY: &str = "test/secret/key/for/larch/integration";
pub const REGION: &str = "us-east-1";

/// A running server and the data directory it owns.
pub struct Server {
    pub addr: SocketAddr,
    pub storage: Storage,
    pub data_dir: PathBuf,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    client: reqwest::blocking::Client,
    pub creds: Credentials,
}

/// An API answer: status, body, and the headers tests look at.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub request_id: Option<String>,
    pub content_type: Option<String>,
}

impl Answer {
    /// The `__type` of an error answer (empty on success).
    pub fn code(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// Asserts the call failed with `code` and returns the message.
    #[track_caller]
    pub fn err(&self, code: &str) -> &str {
        assert_eq!(self.code(), code, "unexpected answer {} {}", self.status, self.body);
        assert_eq!(self.status, if code == "ServiceUnavailableException" { 500 } else { 400 }, "{}", self.body);
        self.message()
    }
}

impl Server {
    /// Starts a server with SigV4 authentication and one known key on `data_dir`.
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, AuthMode::SigV4)
    }

    pub fn start_with(data_dir: &Path, auth: AuthMode) -> Server {
        let storage = Storage::open_without_background(StorageConfig::new(data_dir)).expect("open storage");
        let root = AccessKey {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            account_id: ACCOUNT.into(),
            created: 0,
        };
        let (keys, _) = KeyStore::open(data_dir, Some(root), ACCOUNT).expect("key store");
        let state = Arc::new(AppState {
            storage: storage.clone(),
            keys,
            auth,
            verifier: larch_sigv4::Verifier::new("logs"),
            metrics: Default::default(),
            queries: None,
            max_body_bytes: 2 << 20,
        });
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(larch_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        Server {
            addr,
            storage,
            data_dir: data_dir.to_path_buf(),
            runtime: Some(runtime),
            shutdown: Some(tx),
            task: Some(task),
            client: reqwest::blocking::Client::new(),
            creds: Credentials {
                access_key_id: ACCESS_KEY.into(),
                secret_access_key: SECRET_KEY.into(),
                session_token: None,
            },
        }
    }

    /// Calls an operation, signed with the server's known key.
    pub fn call(&self, operation: &str, input: Value) -> Answer {
        self.call_as(&self.creds, operation, input)
    }

    /// Calls an operation that must succeed and returns its output.
    #[track_caller]
    pub fn ok(&self, operation: &str, input: Value) -> Value {
        let answer = self.call(operation, input);
        assert_eq!(answer.status, 200, "{operation} failed: {}", answer.body);
        answer.body
    }

    pub fn call_as(&self, creds: &Credentials, operation: &str, input: Value) -> Answer {
        let body = serde_json::to_vec(&input).expect("json");
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(&self.addr.to_string()).expect("host"));
        headers.insert("x-amz-target", HeaderValue::from_str(&format!("Logs_20140328.{operation}")).expect("target"));
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        let parts = RequestParts { method: &Method::POST, path: "/", query: "", headers: &headers, body: &body };
        for (name, value) in sign(&parts, creds, REGION, "logs", time::OffsetDateTime::now_utc()) {
            headers.insert(name, value);
        }
        self.send(headers, body)
    }

    /// Sends a request exactly as given (for protocol tests).
    pub fn send(&self, headers: HeaderMap, body: Vec<u8>) -> Answer {
        let response =
            self.client.post(format!("http://{}/", self.addr)).headers(headers).body(body).send().expect("send");
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let request_id = header("x-amzn-requestid");
        let content_type = header("content-type");
        let text = response.text().expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        Answer { status, body, request_id, content_type }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let response = self.client.get(format!("http://{}{path}", self.addr)).send().expect("send");
        (response.status().as_u16(), response.text().unwrap_or_default())
    }

    /// Graceful stop: drains the HTTP server, flushes and closes storage.
    pub fn stop(mut self) {
        self.stop_http();
        self.storage.shutdown().expect("storage shutdown");
    }

    fn stop_http(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let (Some(runtime), Some(task)) = (self.runtime.as_ref(), self.task.take()) {
            let _ = runtime.block_on(task);
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_http();
        // Not `shutdown`: a dropped (crashed) server must not flush. The last clone of the
        // storage closes its files when dropped.
    }
}

// ---- shorthands -------------------------------------------------------------------------------

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Server {
    pub fn create_group(&self, name: &str) {
        self.ok("CreateLogGroup", json!({ "logGroupName": name }));
    }

    pub fn create_stream(&self, group: &str, stream: &str) {
        self.ok("CreateLogStream", json!({ "logGroupName": group, "logStreamName": stream }));
    }

    /// Puts `(timestamp, message)` events (already in order).
    pub fn put(&self, group: &str, stream: &str, events: &[(i64, String)]) -> Value {
        let events: Vec<Value> = events.iter().map(|(t, m)| json!({ "timestamp": t, "message": m })).collect();
        self.ok("PutLogEvents", json!({ "logGroupName": group, "logStreamName": stream, "logEvents": events }))
    }

    /// Every event of a FilterLogEvents search, following `nextToken` to the end.
    pub fn filter_all(&self, mut input: Value) -> Vec<Value> {
        let mut events = Vec::new();
        for _ in 0..10_000 {
            let out = self.ok("FilterLogEvents", input.clone());
            events.extend(out["events"].as_array().cloned().unwrap_or_default());
            match out.get("nextToken").and_then(Value::as_str) {
                Some(token) => input["nextToken"] = json!(token),
                None => return events,
            }
        }
        panic!("FilterLogEvents never ended");
    }

    /// Messages of a stream, oldest first (GetLogEvents from the head to the end).
    pub fn stream_messages(&self, group: &str, stream: &str) -> Vec<String> {
        let mut input = json!({ "logGroupName": group, "logStreamName": stream, "startFromHead": true, "limit": 1000 });
        let mut messages = Vec::new();
        for _ in 0..10_000 {
            let out = self.ok("GetLogEvents", input.clone());
            let events = out["events"].as_array().cloned().unwrap_or_default();
            messages.extend(events.iter().map(|e| e["message"].as_str().unwrap_or_default().to_string()));
            let next = out["nextForwardToken"].clone();
            if input.get("nextToken") == Some(&next) {
                return messages;
            }
            input["nextToken"] = next;
        }
        panic!("GetLogEvents never ended");
    }
}

/// `n` events one millisecond apart, ending a minute ago.
pub fn events(prefix: &str, n: usize) -> Vec<(i64, String)> {
    let start = now_ms() - 60_000 - n as i64;
    (0..n).map(|i| (start + i as i64, format!("{prefix} {i}"))).collect()
}

/// Copies a data directory as it is on disk right now: what a crash would leave behind.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
