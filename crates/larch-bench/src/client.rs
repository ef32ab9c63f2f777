//! A minimal async CloudWatch Logs client that signs every request with SigV4
//! (`larch_sigv4::sign`), over reqwest's keep-alive connection pool.

use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    creds: larch_sigv4::Credentials,
}

/// A request body prepared ahead of time (JSON and its SHA-256), so the timed part of a load
/// run only signs and sends.
pub struct Prepared {
    pub operation: &'static str,
    pub body: bytes::Bytes,
    pub sha256: String,
    /// Events and billable bytes in this request (PutLogEvents).
    pub events: u64,
    pub billable: u64,
}

#[derive(Debug)]
pub enum CallError {
    Api { status: u16, code: String, message: String },
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Api { status, code, message } => write!(f, "{status} {code}: {message}"),
            CallError::Transport(m) => write!(f, "transport: {m}"),
        }
    }
}

impl Client {
    /// `GET /metrics` as (series → value), e.g. `larch_memtable_bytes{part="active"}` → 123.
    pub async fn metrics(&self) -> Result<std::collections::HashMap<String, f64>, CallError> {
        let text = self
            .http
            .get(format!("{}metrics", self.url))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| CallError::Transport(e.to_string()))?
            .text()
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?;
        Ok(text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                Some((series.to_owned(), value.parse().ok()?))
            })
            .collect())
    }

    /// `pool` is the number of idle keep-alive connections kept per host.
    pub fn new(endpoint: &str, key_id: &str, secret: &str, pool: usize) -> Client {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .pool_idle_timeout(Duration::from_secs(300))
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(120))
            .build()
            .expect("http client");
        Client {
            http,
            url: format!("{}/", endpoint.trim_end_matches('/')),
            creds: larch_sigv4::Credentials {
                access_key_id: key_id.to_owned(),
                secret_access_key: secret.to_owned(),
                session_token: None,
            },
        }
    }

    pub fn prepare(operation: &'static str, input: &Value, events: u64, billable: u64) -> Prepared {
        let body = serde_json::to_vec(input).expect("json");
        let sha256 = hex::encode(Sha256::digest(&body));
        Prepared { operation, body: bytes::Bytes::from(body), sha256, events, billable }
    }

    pub async fn call(&self, operation: &'static str, input: &Value) -> Result<Value, CallError> {
        let p = Client::prepare(operation, input, 0, 0);
        self.send(&p).await
    }

    /// Signs (with the precomputed payload hash in `x-amz-content-sha256`, which the server
    /// checks against the body) and sends.
    pub async fn send(&self, p: &Prepared) -> Result<Value, CallError> {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", http::HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert(
            "x-amz-target",
            http::HeaderValue::from_str(&format!("Logs_20140328.{}", p.operation)).expect("header"),
        );
        headers.insert("x-amz-content-sha256", http::HeaderValue::from_str(&p.sha256).expect("header"));
        let method = http::Method::POST;
        let parts =
            larch_sigv4::RequestParts { method: &method, path: &self.url, query: "", headers: &headers, body: &p.body };
        let signed = larch_sigv4::sign(&parts, &self.creds, "us-east-1", "logs", time::OffsetDateTime::now_utc());
        for (n, v) in signed {
            headers.insert(n, v);
        }
        let response = self
            .http
            .post(&self.url)
            .headers(headers)
            .body(p.body.clone())
            .send()
            .await
            .map_err(|e| CallError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.bytes().await.map_err(|e| CallError::Transport(e.to_string()))?;
        let value: Value = if text.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&text).map_err(|e| CallError::Transport(e.to_string()))?
        };
        if status >= 300 {
            let code = value["__type"].as_str().unwrap_or("Unknown");
            return Err(CallError::Api {
                status,
                code: code.rsplit('#').next().unwrap_or(code).to_owned(),
                message: value["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(value)
    }
}
