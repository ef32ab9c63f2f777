//! StartQuery: validation, log-group resolution, synchronous compile errors, then the query
//! runs in the background under the account's concurrency limit and the timeout.

use std::sync::Arc;

use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{Value, json};

use larch_insights::SourceKind;
use larch_server::{ApiError, ApiResult, RequestContext};
use larch_storage::LogGroup;

use super::lifecycle::{QueryRecord, QueryState, QueryStatus};
use super::{QueryService, parse};
use crate::compile::CompileParams;
use crate::engine::{self, Statistics};
use crate::error::QueryError;

/// Default rows returned when neither the query nor StartQuery sets a limit.
const DEFAULT_LIMIT: usize = 10_000;
/// Log groups one query may name.
const MAX_GROUPS: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    query_language: Option<String>,
    log_group_name: Option<String>,
    log_group_names: Option<Vec<String>>,
    log_group_identifiers: Option<Vec<String>>,
    start_time: i64,
    end_time: i64,
    query_string: String,
    limit: Option<usize>,
}

impl Input {
    /// StartQuery's range is in seconds, both ends inclusive: `[start s, end s + 999 ms]`.
    fn params(&self, now_ms: i64) -> CompileParams {
        CompileParams {
            start_ms: self.start_time.saturating_mul(1000),
            end_ms: self.end_time.saturating_mul(1000).saturating_add(999),
            now_ms,
            default_limit: self.limit.unwrap_or(DEFAULT_LIMIT),
        }
    }
}

impl QueryService {
    pub(crate) async fn start_query(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        let input: Input = parse(input)?;
        let language = input.query_language.clone().unwrap_or_else(|| "CWLI".into());
        if language != "CWLI" && language != "SQL" {
            return Err(malformed(
                0,
                0,
                format!("queryLanguage {language} is not supported by larch yet; use CWLI (Logs Insights QL) or SQL."),
            ));
        }
        if input.end_time < input.start_time {
            return Err(ApiError::invalid_parameter("endTime must be greater than or equal to startTime."));
        }
        if input.limit.is_some_and(|l| l > self.config.max_rows) {
            return Err(ApiError::invalid_parameter(format!("limit must be at most {}.", self.config.max_rows)));
        }
        self.check_concurrency(ctx)?;
        if language == "SQL" {
            return self.start_sql_query(ctx, input).await;
        }
        let ast = larch_insights::parse(&input.query_string).map_err(|e| malformed(e.start, e.end, e.message))?;
        let groups = self.select_groups(ctx, &input, &ast)?;

        let now = crate::now_ms();
        let params = input.params(now);
        // Compiled once, over the groups as they are now: a query that waits for a slot
        // (Scheduled) reads the events acknowledged before StartQuery answered.
        let prepared =
            engine::prepare(&self.storage, &groups, &input.query_string, &ast, params).await.map_err(to_api_error)?;

        let record = self.new_record(ctx, &input, &language, groups.iter().map(|g| g.name.clone()).collect(), now);
        Ok(self.launch(ctx, record, prepared.run()).await)
    }

    /// Up to `max_concurrent_per_account` queries run at once; as many again wait (Scheduled)
    /// for a slot, so a dashboard firing a burst of queries is not refused. Past that, AWS's
    /// answer: LimitExceededException (which SDKs retry with backoff).
    fn check_concurrency(&self, ctx: &RequestContext) -> ApiResult<()> {
        let limit = self.config.max_concurrent_per_account;
        let active = self
            .queries
            .lock()
            .values()
            .filter(|q| q.account == ctx.account && q.state.lock().status.is_active())
            .count();
        if active >= limit.saturating_mul(2) {
            return Err(ApiError::limit_exceeded(format!(
                "Account maximum query concurrency limit of [{limit}] reached."
            )));
        }
        Ok(())
    }

    fn new_record(
        &self,
        ctx: &RequestContext,
        input: &Input,
        language: &str,
        log_group_names: Vec<String>,
        now: i64,
    ) -> Arc<QueryRecord> {
        let record = Arc::new(QueryRecord {
            id: uuid::Uuid::new_v4().to_string(),
            account: ctx.account.clone(),
            query_string: input.query_string.clone(),
            language: language.to_string(),
            log_group_names,
            region: ctx.region.clone(),
            create_time: now,
            start_time: input.start_time,
            end_time: input.end_time,
            state: Mutex::new(QueryState {
                status: QueryStatus::Scheduled,
                rows: Arc::new(Vec::new()),
                statistics: Statistics::default(),
                ended_at: None,
                error: None,
            }),
            task: Mutex::new(None),
        });
        self.queries.lock().insert(record.id.clone(), Arc::clone(&record));
        record
    }

    /// Runs `run` in the background under the account's concurrency limit and the timeout;
    /// answers StartQuery once the query has finished or `start_wait` has passed, whichever
    /// comes first (the query goes on in the background either way).
    async fn launch<F>(&self, ctx: &RequestContext, record: Arc<QueryRecord>, run: F) -> Value
    where
        F: std::future::Future<Output = crate::Result<(Vec<crate::render::Row>, Statistics)>> + Send + 'static,
    {
        let slots = Arc::clone(
            self.slots
                .lock()
                .entry(ctx.account.clone())
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.config.max_concurrent_per_account))),
        );
        let timeout = self.config.timeout;
        let task_record = Arc::clone(&record);
        let handle = tokio::spawn(async move {
            let Ok(_slot) = slots.acquire_owned().await else { return };
            {
                let mut state = task_record.state.lock();
                if state.status != QueryStatus::Scheduled {
                    return;
                }
                state.status = QueryStatus::Running;
            }
            match tokio::time::timeout(timeout, run).await {
                Ok(Ok((rows, stats))) => task_record.finish(QueryStatus::Complete, rows, stats, None),
                Ok(Err(e)) => {
                    tracing::warn!(query = %task_record.id, error = %e, "query failed");
                    task_record.finish(QueryStatus::Failed, Vec::new(), Statistics::default(), Some(e.to_string()));
                }
                Err(_) => task_record.finish(
                    QueryStatus::Timeout,
                    Vec::new(),
                    Statistics::default(),
                    Some("query timed out".into()),
                ),
            }
        });
        *record.task.lock() = Some(handle.abort_handle());
        // Dropping the handle when the wait runs out detaches the task; it is not cancelled.
        let _ = tokio::time::timeout(self.config.start_wait, handle).await;
        json!({"queryId": record.id})
    }

    /// StartQuery with `queryLanguage=SQL`: the log groups come from the query's `FROM`
    /// clauses; StartQuery's log-group parameters, if given, are ignored.
    async fn start_sql_query(&self, ctx: &RequestContext, input: Input) -> ApiResult<Value> {
        let query = crate::sql::prepare(&input.query_string).await.map_err(to_api_error)?;
        let groups: Vec<Vec<LogGroup>> = query
            .tables()
            .iter()
            .map(|t| t.identifiers.iter().map(|id| self.group(ctx, id)).collect::<ApiResult<Vec<_>>>())
            .collect::<ApiResult<_>>()?;
        let mut names: Vec<String> = Vec::new();
        for g in groups.iter().flatten() {
            if !names.contains(&g.name) {
                names.push(g.name.clone());
            }
        }
        let now = crate::now_ms();
        let params = input.params(now);
        let record = self.new_record(ctx, &input, "SQL", names, now);
        let storage = self.storage.clone();
        Ok(self.launch(ctx, record, async move { crate::sql::execute(&storage, &query, &groups, params).await }).await)
    }

    /// The log groups a query reads: exactly one of the three parameters, or `SOURCE`.
    fn select_groups(
        &self,
        ctx: &RequestContext,
        input: &Input,
        ast: &larch_insights::Query,
    ) -> ApiResult<Vec<LogGroup>> {
        let given =
            [input.log_group_name.is_some(), input.log_group_names.is_some(), input.log_group_identifiers.is_some()];
        let count = given.iter().filter(|g| **g).count();
        if let Some(source) = &ast.source {
            if count > 0 {
                return Err(ApiError::invalid_parameter(
                    "Log groups must not be given as parameters when the query starts with SOURCE.",
                ));
            }
            return match &source.kind {
                SourceKind::LogGroups(selector) => {
                    if selector.account_identifiers.iter().any(|a| a != &ctx.account) {
                        return Err(ApiError::invalid_parameter(
                            "Cross-account queries are not supported by larch yet.",
                        ));
                    }
                    let groups: Vec<LogGroup> = self
                        .storage
                        .log_groups(&ctx.account)
                        .into_iter()
                        .filter(|g| {
                            selector.name_prefix.is_empty()
                                || selector.name_prefix.iter().any(|p| g.name.starts_with(p.as_str()))
                        })
                        .filter(|g| selector.class.as_deref().is_none_or(|c| g.log_group_class == c))
                        .collect();
                    if groups.len() > 10_000 {
                        return Err(ApiError::invalid_parameter("SOURCE selects more than 10,000 log groups."));
                    }
                    Ok(groups)
                }
                SourceKind::Named { names, .. } => names.iter().map(|n| self.group(ctx, n)).collect(),
            };
        }
        if count != 1 {
            return Err(ApiError::invalid_parameter(
                "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.",
            ));
        }
        let names: Vec<String> = if let Some(n) = &input.log_group_name {
            vec![n.clone()]
        } else if let Some(ns) = &input.log_group_names {
            ns.clone()
        } else {
            input.log_group_identifiers.clone().unwrap_or_default()
        };
        if names.is_empty() || names.len() > MAX_GROUPS {
            return Err(ApiError::invalid_parameter(format!(
                "A query must name between 1 and {MAX_GROUPS} log groups."
            )));
        }
        names.iter().map(|n| self.group(ctx, n)).collect()
    }

    fn group(&self, ctx: &RequestContext, identifier: &str) -> ApiResult<LogGroup> {
        larch_server::ops::group_by_identifier(ctx, identifier).map_err(|_| {
            let name = larch_server::arn::parse_log_group_arn(identifier).map(|a| a.name).unwrap_or(identifier);
            ApiError::not_found(format!(
                "Log group '{name}' does not exist for account ID '{}' (Service: AWSLogs; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: {}; Proxy: null)",
                ctx.account, ctx.request_id
            ))
        })
    }
}

fn malformed(start: usize, end: usize, message: String) -> ApiError {
    ApiError::malformed_query(message.clone()).with_member(
        "queryCompileError",
        json!({"location": {"startCharOffset": start, "endCharOffset": end}, "message": message}),
    )
}

fn to_api_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Malformed { start, end, message } => malformed(start, end, message),
        QueryError::InvalidParameter(m) => ApiError::invalid_parameter(m),
        QueryError::NotFound(m) => ApiError::not_found(m),
        QueryError::Execution(m) => ApiError::service_unavailable(m),
    }
}
