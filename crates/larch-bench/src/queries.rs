//! The query suite: each query in Logs Insights (run through StartQuery + GetQueryResults),
//! in DuckDB SQL and in ClickHouse SQL (chDB), and as a ripgrep command where one exists.
//!
//! The baselines read the same events as the table `{src}` with columns
//! `grp`, `stream`, `ts` (epoch ms) and `message`, and parse messages at query time as larch
//! does (larch discovers JSON and Lambda fields on first reference).

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::client::Client;
use crate::corpus::Manifest;
use crate::server;

pub struct Query {
    pub id: &'static str,
    pub title: &'static str,
    pub groups: Groups,
    pub last_hour: bool,
    pub insights: String,
    pub duckdb: String,
    pub clickhouse: String,
    /// ripgrep arguments (relative to the corpus `raw/` dir); counts matching lines.
    pub rg: Option<Vec<String>>,
}

#[derive(Clone, Copy)]
pub enum Groups {
    All,
    Lambda,
    App,
    Access,
}

impl Groups {
    pub fn names(self, m: &Manifest) -> Vec<String> {
        m.groups
            .iter()
            .filter(|g| match self {
                Groups::All => true,
                Groups::Lambda => g.kind == "lambda",
                Groups::App => g.kind == "json",
                Groups::Access => g.kind == "access",
            })
            .map(|g| g.name.clone())
            .collect()
    }
    fn sql(self) -> &'static str {
        match self {
            Groups::All => "true",
            Groups::Lambda => "grp LIKE '/aws/lambda/%'",
            Groups::App => "grp = '/app/api'",
            Groups::Access => "grp = '/nginx/access'",
        }
    }
    fn raw_glob(self) -> &'static str {
        match self {
            Groups::All => "*.log",
            Groups::Lambda => "aws_lambda_*.log",
            Groups::App => "app_api.log",
            Groups::Access => "nginx_access.log",
        }
    }
}

pub fn suite(m: &Manifest) -> Vec<Query> {
    let needle = &m.needle;
    let last_hour_start = m.end_ms - 3_600_000;
    let mut q = vec![
        Query {
            id: "needle",
            title: "needle search, sort + limit (all groups)",
            groups: Groups::All,
            last_hour: false,
            insights: format!(
                "filter @message like '{needle}' | fields @timestamp, @message | sort @timestamp desc | limit 20"
            ),
            duckdb: format!(
                "SELECT ts, message FROM {{src}} WHERE message LIKE '%{needle}%' ORDER BY ts DESC LIMIT 20"
            ),
            clickhouse: format!(
                "SELECT ts, message FROM {{src}} WHERE position(message, '{needle}') > 0 ORDER BY ts DESC LIMIT 20"
            ),
            rg: Some(vec!["-F".into(), needle.clone()]),
        },
        Query {
            id: "errors_5m",
            title: "error count by bin(5m) (Lambda groups)",
            groups: Groups::Lambda,
            last_hour: false,
            insights: "filter @message like 'ERROR' | stats count(*) as errors by bin(5m)".into(),
            duckdb: format!(
                "SELECT ts // 300000 * 300000 AS b, count(*) AS errors FROM {{src}} WHERE {} AND message LIKE '%ERROR%' GROUP BY b ORDER BY b",
                Groups::Lambda.sql()
            ),
            clickhouse: format!(
                "SELECT intDiv(ts, 300000) * 300000 AS b, count() AS errors FROM {{src}} WHERE {} AND position(message, 'ERROR') > 0 GROUP BY b ORDER BY b",
                Groups::Lambda.sql()
            ),
            rg: Some(vec!["-F".into(), "ERROR".into()]),
        },
        Query {
            id: "report_durations",
            title: "REPORT durations: avg / pct / max by log group",
            groups: Groups::Lambda,
            last_hour: false,
            insights: "filter @type = 'REPORT' | stats avg(@duration) as avg_ms, pct(@duration, 95) as p95_ms, max(@duration) as max_ms, max(@maxMemoryUsed) as max_mem by @log".into(),
            duckdb: format!(
                "SELECT grp, avg(d) AS avg_ms, quantile_cont(d, 0.95) AS p95_ms, max(d) AS max_ms, max(mem) AS max_mem FROM (SELECT grp, CAST(regexp_extract(message, '\\tDuration: ([0-9.]+) ms', 1) AS DOUBLE) AS d, CAST(regexp_extract(message, 'Max Memory Used: ([0-9]+) MB', 1) AS BIGINT) * 1000000 AS mem FROM {{src}} WHERE {} AND message LIKE 'REPORT %') GROUP BY grp ORDER BY grp",
                Groups::Lambda.sql()
            ),
            clickhouse: format!(
                "SELECT grp, avg(d) AS avg_ms, quantileExactInclusive(0.95)(d) AS p95_ms, max(d) AS max_ms, max(mem) AS max_mem FROM (SELECT grp, toFloat64OrNull(extract(message, '\\tDuration: ([0-9.]+) ms')) AS d, toInt64OrNull(extract(message, 'Max Memory Used: ([0-9]+) MB')) * 1000000 AS mem FROM {{src}} WHERE {} AND startsWith(message, 'REPORT ')) GROUP BY grp ORDER BY grp",
                Groups::Lambda.sql()
            ),
            rg: None,
        },
        Query {
            id: "top_latency",
            title: "top 10 by JSON latency_ms",
            groups: Groups::App,
            last_hour: false,
            insights: "filter ispresent(latency_ms) | fields @timestamp, request_id, latency_ms | sort latency_ms desc | limit 10".into(),
            duckdb: format!(
                "SELECT ts, json_extract_string(message, '$.request_id') AS request_id, CAST(json_extract(message, '$.latency_ms') AS DOUBLE) AS latency_ms FROM {{src}} WHERE {} ORDER BY latency_ms DESC NULLS LAST LIMIT 10",
                Groups::App.sql()
            ),
            clickhouse: format!(
                "SELECT ts, JSONExtractString(message, 'request_id') AS request_id, JSONExtract(message, 'latency_ms', 'Nullable(Float64)') AS latency_ms FROM {{src}} WHERE {} AND latency_ms IS NOT NULL ORDER BY latency_ms DESC LIMIT 10",
                Groups::App.sql()
            ),
            rg: None,
        },
        Query {
            id: "distinct_users",
            title: "count_distinct(user_id) by service",
            groups: Groups::App,
            last_hour: false,
            insights: "stats count_distinct(user_id) as users by service".into(),
            duckdb: format!(
                "SELECT json_extract_string(message, '$.service') AS service, count(DISTINCT json_extract_string(message, '$.user_id')) AS users FROM {{src}} WHERE {} GROUP BY service ORDER BY service",
                Groups::App.sql()
            ),
            clickhouse: format!(
                "SELECT JSONExtractString(message, 'service') AS service, uniqExact(JSONExtractString(message, 'user_id')) AS users FROM {{src}} WHERE {} GROUP BY service ORDER BY service",
                Groups::App.sql()
            ),
            rg: None,
        },
        Query {
            id: "access_status",
            title: "regex parse + stats on access logs",
            groups: Groups::Access,
            last_hour: false,
            insights: r#"parse @message /" (?<status>\d{3}) (?<size>\d+) "[^"]*" "[^"]*" (?<rt>[0-9.]+)$/ | stats count(*) as requests, avg(rt) as avg_rt, sum(size) as bytes by status"#.into(),
            duckdb: format!(
                r#"SELECT r.status AS status, count(*) AS requests, avg(CAST(r.rt AS DOUBLE)) AS avg_rt, sum(CAST(r.size AS BIGINT)) AS bytes FROM (SELECT regexp_extract(message, '" (\d{{3}}) (\d+) "[^"]*" "[^"]*" ([0-9.]+)$', ['status', 'size', 'rt']) AS r FROM {{src}} WHERE {}) WHERE r.status <> '' GROUP BY status ORDER BY status"#,
                Groups::Access.sql()
            ),
            clickhouse: format!(
                r#"SELECT g[1] AS status, count() AS requests, avg(toFloat64(g[3])) AS avg_rt, sum(toInt64(g[2])) AS bytes FROM (SELECT extractGroups(message, '" (\\d{{3}}) (\\d+) "[^"]*" "[^"]*" ([0-9.]+)$') AS g FROM {{src}} WHERE {}) WHERE length(g) = 3 GROUP BY status ORDER BY status"#,
                Groups::Access.sql()
            ),
            rg: None,
        },
    ];
    q.push(Query {
        id: "errors_last_hour",
        title: "error count by bin(5m), last hour only",
        groups: Groups::Lambda,
        last_hour: true,
        insights: q[1].insights.clone(),
        duckdb: format!(
            "SELECT ts // 300000 * 300000 AS b, count(*) AS errors FROM {{src}} WHERE {} AND ts >= {last_hour_start} AND message LIKE '%ERROR%' GROUP BY b ORDER BY b",
            Groups::Lambda.sql()
        ),
        clickhouse: format!(
            "SELECT intDiv(ts, 300000) * 300000 AS b, count() AS errors FROM {{src}} WHERE {} AND ts >= {last_hour_start} AND position(message, 'ERROR') > 0 GROUP BY b ORDER BY b",
            Groups::Lambda.sql()
        ),
        rg: None,
    });
    q
}

impl Query {
    pub fn rg_args(&self, raw_dir: &std::path::Path) -> Option<Vec<String>> {
        let mut args = self.rg.clone()?;
        args.splice(0..0, ["--no-filename".to_string(), "--count-matches".into()]);
        // expand the glob ourselves: rg has no shell
        let pattern = self.groups.raw_glob();
        let mut files: Vec<String> = std::fs::read_dir(raw_dir)
            .ok()?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| glob_match(pattern, n))
            .map(|n| raw_dir.join(n).to_string_lossy().into_owned())
            .collect();
        files.sort();
        args.extend(files);
        Some(args)
    }
}

fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryRun {
    pub ms: f64,
    pub rows: usize,
    pub status: String,
    pub records_scanned: f64,
    pub bytes_scanned: f64,
    pub peak_rss_bytes: u64,
    pub first_row: Value,
}

/// StartQuery, then GetQueryResults every 2 ms until the query is no longer running.
/// The time covers both calls and the polling.
pub async fn run_insights(
    client: &Client,
    groups: &[String],
    start_s: i64,
    end_s: i64,
    query: &str,
    server_pid: u32,
    timeout: Duration,
) -> Result<QueryRun, String> {
    let rss_reset = server::reset_peak_rss(server_pid);
    let mut peak = server::vm_bytes(server_pid, "VmRSS:");
    let t0 = Instant::now();
    let started = client
        .call(
            "StartQuery",
            &json!({"logGroupNames": groups, "startTime": start_s, "endTime": end_s, "queryString": query, "limit": 10000}),
        )
        .await
        .map_err(|e| format!("StartQuery: {e}"))?;
    let id = started["queryId"].as_str().unwrap_or_default().to_owned();
    loop {
        let r = client
            .call("GetQueryResults", &json!({"queryId": id}))
            .await
            .map_err(|e| format!("GetQueryResults: {e}"))?;
        let status = r["status"].as_str().unwrap_or_default().to_owned();
        if !rss_reset {
            peak = peak.max(server::vm_bytes(server_pid, "VmRSS:"));
        }
        if status != "Scheduled" && status != "Running" {
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            if rss_reset {
                peak = server::vm_bytes(server_pid, "VmHWM:");
            }
            let results = r["results"].as_array().cloned().unwrap_or_default();
            let first_row = results.first().cloned().unwrap_or(Value::Null);
            return Ok(QueryRun {
                ms,
                rows: results.len(),
                status,
                records_scanned: r["statistics"]["recordsScanned"].as_f64().unwrap_or(0.0),
                bytes_scanned: r["statistics"]["bytesScanned"].as_f64().unwrap_or(0.0),
                peak_rss_bytes: peak,
                first_row,
            });
        }
        if t0.elapsed() > timeout {
            let _ = client.call("StopQuery", &json!({"queryId": id})).await;
            return Err(format!("timed out after {timeout:?}"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Ingest → queryable: put one event with a unique token, then run
/// `filter @message like 'token'` until it returns the event. Milliseconds per sample.
pub async fn visibility_samples(
    client: &Client,
    group: &str,
    stream: &str,
    samples: usize,
    server_pid: u32,
) -> (Vec<f64>, u64) {
    let mut out = Vec::new();
    let mut failures = 0;
    let run_id = crate::now_ms();
    for i in 0..samples {
        let token = format!("vis{run_id}x{i}");
        let t0 = Instant::now();
        let now = crate::now_ms();
        let put = client
            .call(
                "PutLogEvents",
                &json!({"logGroupName": group, "logStreamName": stream, "logEvents": [{"timestamp": now, "message": format!("probe {token}")}]}),
            )
            .await;
        if put.is_err() {
            failures += 1;
            continue;
        }
        let deadline = t0 + Duration::from_secs(10);
        let mut seen = false;
        while Instant::now() < deadline {
            let r = run_insights(
                client,
                &[group.to_owned()],
                now / 1000 - 300,
                now / 1000 + 60,
                &format!("filter @message like '{token}' | limit 1"),
                server_pid,
                Duration::from_secs(10),
            )
            .await;
            if matches!(r, Ok(ref q) if q.rows > 0) {
                seen = true;
                break;
            }
        }
        if seen {
            out.push(t0.elapsed().as_secs_f64() * 1e3);
        } else {
            failures += 1;
        }
    }
    (out, failures)
}
