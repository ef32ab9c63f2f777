//! A small, signed CloudWatch Logs client used by the client commands. It talks to larch or
//! to real AWS: endpoint, region and credentials come from flags or the standard variables.

pub mod commands;
pub mod query;

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

/// Connection options shared by every client command.
#[derive(Args, Clone, Debug)]
pub struct ConnectArgs {
    /// API endpoint [env LARCH_ENDPOINT; default http://127.0.0.1:4588].
    #[arg(long, env = "LARCH_ENDPOINT", default_value = "http://127.0.0.1:4588")]
    pub endpoint: String,
    /// Region to sign for [env AWS_REGION / AWS_DEFAULT_REGION; default us-east-1].
    #[arg(long)]
    pub region: Option<String>,
    /// Data directory whose key file is used when no AWS credentials are set.
    #[arg(long, env = "LARCH_DATA", default_value = "larch-data")]
    pub data: PathBuf,
}

/// An API error or a transport failure.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{code}: {message}")]
    Api { code: String, message: String, status: u16 },
    #[error("{0}")]
    Transport(String),
}

impl From<ClientError> for String {
    fn from(e: ClientError) -> String {
        e.to_string()
    }
}

pub struct Client {
    endpoint: String,
    region: String,
    credentials: larch_sigv4::Credentials,
    http: reqwest::blocking::Client,
}

impl Client {
    pub fn connect(args: &ConnectArgs) -> Result<Client, String> {
        let region = args
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".into());
        let credentials = credentials(args)?;
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Client { endpoint: args.endpoint.trim_end_matches('/').to_string(), region, credentials, http })
    }

    /// Calls an operation and returns its JSON output.
    pub fn call(&self, operation: &str, input: &Value) -> Result<Value, ClientError> {
        let body = serde_json::to_vec(input).map_err(|e| ClientError::Transport(e.to_string()))?;
        let url = format!("{}/", self.endpoint);
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", http::HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert(
            "x-amz-target",
            http::HeaderValue::from_str(&format!("Logs_20140328.{operation}"))
                .map_err(|e| ClientError::Transport(e.to_string()))?,
        );
        let method = http::Method::POST;
        let parts =
            larch_sigv4::RequestParts { method: &method, path: &url, query: "", headers: &headers, body: &body };
        let signed =
            larch_sigv4::try_sign(&parts, &self.credentials, &self.region, "logs", time::OffsetDateTime::now_utc())
                .map_err(|e| ClientError::Transport(format!("cannot sign request: {e}")))?;
        let mut request = self.http.post(&url).body(body);
        for (name, value) in headers.iter().chain(signed.iter().map(|(n, v)| (n, v))) {
            request = request.header(name.as_str(), value.as_bytes());
        }
        let response =
            request.send().map_err(|e| ClientError::Transport(format!("cannot reach {}: {e}", self.endpoint)))?;
        let status = response.status().as_u16();
        let text = response.text().map_err(|e| ClientError::Transport(e.to_string()))?;
        let value: Value = if text.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_str(&text)
                .map_err(|e| ClientError::Transport(format!("invalid response ({status}): {e}")))?
        };
        if status >= 300 {
            let code = value["__type"].as_str().unwrap_or("UnknownError");
            let code = code.rsplit('#').next().unwrap_or(code).to_string();
            let message = value["message"].as_str().or(value["Message"].as_str()).unwrap_or("").to_string();
            return Err(ClientError::Api { code, message, status });
        }
        Ok(value)
    }
}

/// AWS credential variables first, then the local data directory's first key.
fn credentials(args: &ConnectArgs) -> Result<larch_sigv4::Credentials, String> {
    if let (Ok(id), Ok(secret)) = (std::env::var("AWS_ACCESS_KEY_ID"), std::env::var("AWS_SECRET_ACCESS_KEY")) {
        return Ok(larch_sigv4::Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: std::env::var("AWS_SESSION_TOKEN").ok().filter(|t| !t.is_empty()),
        });
    }
    let keys = larch_server::keys::list_keys(&args.data).unwrap_or_default();
    let key = keys.into_iter().next().ok_or_else(|| {
        format!(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run from a directory containing {}",
            args.data.display()
        )
    })?;
    Ok(larch_sigv4::Credentials {
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
        session_token: None,
    })
}

/// Parses `10m`, `2h`, `3d`, `45s`, `500ms` into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| format!("invalid duration: {text}"))?;
    let factor = match unit {
        "ms" => 1,
        "s" | "" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return Err(format!("invalid duration unit in {text} (use ms, s, m, h, d, w)")),
    };
    Ok(n * factor)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("10m").unwrap(), 600_000);
        assert_eq!(parse_duration_ms("2h").unwrap(), 7_200_000);
        assert_eq!(parse_duration_ms("500ms").unwrap(), 500);
        assert!(parse_duration_ms("abc").is_err());
        assert!(parse_duration_ms("5y").is_err());
    }
}
