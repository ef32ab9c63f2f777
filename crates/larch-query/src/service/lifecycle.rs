//! Query records: status transitions, results, GetQueryResults / StopQuery /
//! DescribeQueries / ListLogGroupsForQuery.

use std::sync::Arc;

use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_server::{ApiError, ApiResult, RequestContext};

use super::{QueryService, parse};
use crate::engine::Statistics;
use crate::render::Row;

/// Results are kept this long after a query ends (AWS: 7 days).
const RESULT_RETENTION_MS: i64 = 7 * 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryStatus {
    Scheduled,
    Running,
    Complete,
    Failed,
    Cancelled,
    Timeout,
}

impl QueryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryStatus::Scheduled => "Scheduled",
            QueryStatus::Running => "Running",
            QueryStatus::Complete => "Complete",
            QueryStatus::Failed => "Failed",
            QueryStatus::Cancelled => "Cancelled",
            QueryStatus::Timeout => "Timeout",
        }
    }
    pub fn is_active(self) -> bool {
        matches!(self, QueryStatus::Scheduled | QueryStatus::Running)
    }
}

/// Mutable part of a query.
pub struct QueryState {
    pub status: QueryStatus,
    pub rows: Arc<Vec<Row>>,
    pub statistics: Statistics,
    pub ended_at: Option<i64>,
    pub error: Option<String>,
}

/// One query started by StartQuery.
pub struct QueryRecord {
    pub id: String,
    pub account: String,
    pub query_string: String,
    pub language: String,
    pub log_group_names: Vec<String>,
    pub region: String,
    pub create_time: i64,
    pub start_time: i64,
    pub end_time: i64,
    pub state: Mutex<QueryState>,
    pub task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl QueryRecord {
    /// Moves to `status` unless the query already ended (a stop wins over a late completion).
    pub fn finish(&self, status: QueryStatus, rows: Vec<Row>, statistics: Statistics, error: Option<String>) {
        let mut state = self.state.lock();
        if !state.status.is_active() {
            return;
        }
        state.status = status;
        state.rows = Arc::new(rows);
        state.statistics = statistics;
        state.error = error;
        state.ended_at = Some(crate::now_ms());
    }
}

fn statistics_json(s: &Statistics) -> Value {
    json!({
        "recordsMatched": s.records_matched,
        "recordsScanned": s.records_scanned,
        "estimatedRecordsSkipped": 0.0,
        "bytesScanned": s.bytes_scanned,
        "estimatedBytesSkipped": 0.0,
        "logGroupsScanned": s.log_groups_scanned,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetResultsInput {
    query_id: String,
    next_token: Option<String>,
    max_items: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryIdInput {
    query_id: String,
}

impl QueryService {
    pub(crate) fn record(&self, ctx: &RequestContext, id: &str) -> ApiResult<Arc<QueryRecord>> {
        self.expire_old_results();
        let queries = self.queries.lock();
        queries
            .get(id)
            .filter(|q| q.account == ctx.account)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("Query does not exist: {id}")))
    }

    fn expire_old_results(&self) {
        let cutoff = crate::now_ms() - RESULT_RETENTION_MS;
        self.queries.lock().retain(|_, q| q.state.lock().ended_at.is_none_or(|t| t >= cutoff));
    }

    pub(crate) fn get_query_results(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        let input: GetResultsInput = parse(input)?;
        let record = self.record(ctx, &input.query_id)?;
        let state = record.state.lock();
        let rows = Arc::clone(&state.rows);
        let offset = match &input.next_token {
            Some(t) => larch_server::tokens::decode(&format!("results:{}", record.id), t)?
                .parse::<usize>()
                .map_err(|_| ApiError::invalid_next_token())?,
            None => 0,
        };
        let page_size = input.max_items.filter(|n| *n > 0).unwrap_or(usize::MAX);
        let end = offset.saturating_add(page_size).min(rows.len());
        let page: Vec<Value> = rows
            .get(offset.min(rows.len())..end)
            .unwrap_or_default()
            .iter()
            .map(|row| Value::Array(row.iter().map(|(f, v)| json!({"field": f, "value": v})).collect()))
            .collect();
        let mut out = Map::new();
        out.insert("queryLanguage".into(), json!(record.language));
        out.insert("results".into(), Value::Array(page));
        out.insert("statistics".into(), statistics_json(&state.statistics));
        out.insert("status".into(), json!(state.status.as_str()));
        if end < rows.len() {
            out.insert(
                "nextToken".into(),
                json!(larch_server::tokens::encode(&format!("results:{}", record.id), &end.to_string())),
            );
        }
        Ok(Value::Object(out))
    }

    pub(crate) fn stop_query(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        let input: QueryIdInput = parse(input)?;
        let record = self.record(ctx, &input.query_id)?;
        {
            let mut state = record.state.lock();
            if !state.status.is_active() {
                return Err(ApiError::invalid_parameter(format!(
                    "Query {} is not running (status {}).",
                    record.id,
                    state.status.as_str()
                )));
            }
            state.status = QueryStatus::Cancelled;
            state.ended_at = Some(crate::now_ms());
        }
        if let Some(task) = record.task.lock().take() {
            task.abort();
        }
        Ok(json!({"success": true}))
    }

    pub(crate) fn describe_queries(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            log_group_name: Option<String>,
            status: Option<String>,
            max_results: Option<usize>,
            next_token: Option<String>,
            query_language: Option<String>,
        }
        let input: Input = parse(input)?;
        self.expire_old_results();
        let mut records: Vec<Arc<QueryRecord>> =
            self.queries.lock().values().filter(|q| q.account == ctx.account).cloned().collect();
        records.sort_by(|a, b| b.create_time.cmp(&a.create_time).then_with(|| a.id.cmp(&b.id)));
        let after = input.next_token.as_deref().map(|t| larch_server::tokens::decode("queries", t)).transpose()?;
        let mut started = after.is_none();
        let mut items = Vec::new();
        let mut next = None;
        let max = input.max_results.unwrap_or(1000);
        for q in records {
            if !started {
                started = after.as_deref() == Some(q.id.as_str());
                continue;
            }
            let status = q.state.lock().status;
            if input.status.as_deref().is_some_and(|s| s != status.as_str())
                || input.query_language.as_deref().is_some_and(|l| l != q.language)
                || input.log_group_name.as_deref().is_some_and(|g| !q.log_group_names.iter().any(|n| n == g))
            {
                continue;
            }
            if items.len() == max {
                next = Some(larch_server::tokens::encode("queries", &q.id));
                break;
            }
            items.push(query_info(&q, status));
        }
        let mut out = Map::new();
        out.insert("queries".into(), Value::Array(items));
        if let Some(n) = next {
            out.insert("nextToken".into(), json!(n));
        }
        Ok(Value::Object(out))
    }

    pub(crate) fn list_log_groups_for_query(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        let input: QueryIdInput = parse(input)?;
        let record = self.record(ctx, &input.query_id)?;
        let arns: Vec<String> = record
            .log_group_names
            .iter()
            .map(|n| larch_server::arn::log_group_arn(&record.region, &record.account, n))
            .collect();
        Ok(json!({"logGroupIdentifiers": arns}))
    }
}

fn query_info(q: &QueryRecord, status: QueryStatus) -> Value {
    let state = q.state.lock();
    let mut info = Map::new();
    info.insert("queryLanguage".into(), json!(q.language));
    info.insert("queryId".into(), json!(q.id));
    // AWS reports the query with its source and time range spelled out (observed).
    let source = q.log_group_names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    // SQL names its log groups in the query itself.
    let query_string = if q.language == "CWLI" {
        format!("SOURCE {source} START={}000 END={}999 | {}", q.start_time, q.end_time, q.query_string)
    } else {
        q.query_string.clone()
    };
    info.insert("queryString".into(), json!(query_string));
    info.insert("status".into(), json!(status.as_str()));
    info.insert("createTime".into(), json!(q.create_time));
    if let Some(first) = q.log_group_names.first() {
        info.insert("logGroupName".into(), json!(first));
    }
    if let Some(end) = state.ended_at {
        info.insert("queryDuration".into(), json!(end - q.create_time));
    }
    info.insert("bytesScanned".into(), json!(state.statistics.bytes_scanned));
    Value::Object(info)
}
