//! The Insights operations of the API (StartQuery, GetQueryResults, ...), plugged into the
//! protocol layer through [`larch_server::QueryOperations`].

mod definitions;
mod lifecycle;
pub mod lookup;
mod records;
mod start;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;

use larch_server::{OperationFuture, QueryOperations, RequestContext};
use larch_storage::Storage;

pub use lifecycle::{QueryRecord, QueryStatus};

/// Limits of the query service.
#[derive(Debug, Clone)]
pub struct QueryConfig {
    /// Queries running at once per account (AWS: 100 for CWLI).
    pub max_concurrent_per_account: usize,
    /// Queries running longer are stopped with status `Timeout` (AWS: 60 min).
    pub timeout: Duration,
    /// Largest `limit` accepted (AWS: 100,000; larch allows configuring more).
    pub max_rows: usize,
    /// How long StartQuery waits for its query to finish before answering, so that a quick
    /// query is complete at the client's first GetQueryResults instead of a poll later.
    pub start_wait: Duration,
    /// Where saved query definitions are kept.
    pub data_dir: PathBuf,
}

impl QueryConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        QueryConfig {
            max_concurrent_per_account: 100,
            timeout: Duration::from_secs(3600),
            max_rows: 100_000,
            start_wait: Duration::from_millis(20),
            data_dir: data_dir.into(),
        }
    }
}

/// Implements the query operations.
pub struct QueryService {
    pub(crate) storage: Storage,
    pub(crate) config: QueryConfig,
    pub(crate) queries: Mutex<HashMap<String, Arc<QueryRecord>>>,
    pub(crate) slots: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    pub(crate) definitions: definitions::Definitions,
    pub(crate) lookups: lookup::LookupStore,
}

const OPERATIONS: &[&str] = &[
    "StartQuery",
    "GetQueryResults",
    "StopQuery",
    "DescribeQueries",
    "PutQueryDefinition",
    "DescribeQueryDefinitions",
    "DeleteQueryDefinition",
    "GetLogRecord",
    "GetLogGroupFields",
    "ListLogGroupsForQuery",
    "CreateLookupTable",
    "DescribeLookupTables",
    "GetLookupTable",
    "UpdateLookupTable",
    "DeleteLookupTable",
];

impl QueryService {
    pub fn new(storage: Storage, config: QueryConfig) -> Arc<QueryService> {
        let definitions = definitions::Definitions::open(config.data_dir.join("query-definitions.json"));
        Arc::new(QueryService {
            storage,
            config,
            queries: Mutex::new(HashMap::new()),
            slots: Mutex::new(HashMap::new()),
            definitions,
            lookups: lookup::LookupStore::new(),
        })
    }
}

impl QueryOperations for QueryService {
    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn call<'a>(&'a self, ctx: &'a RequestContext, operation: &'a str, input: Value) -> OperationFuture<'a> {
        Box::pin(async move {
            match operation {
                "StartQuery" => self.start_query(ctx, input).await,
                "GetQueryResults" => self.get_query_results(ctx, input),
                "StopQuery" => self.stop_query(ctx, input),
                "DescribeQueries" => self.describe_queries(ctx, input),
                "PutQueryDefinition" => self.put_query_definition(ctx, input),
                "DescribeQueryDefinitions" => self.describe_query_definitions(ctx, input),
                "DeleteQueryDefinition" => self.delete_query_definition(ctx, input),
                "GetLogRecord" => self.get_log_record(ctx, input).await,
                "GetLogGroupFields" => self.get_log_group_fields(ctx, input).await,
                "ListLogGroupsForQuery" => self.list_log_groups_for_query(ctx, input),
                "CreateLookupTable" => self.create_lookup_table(ctx, input),
                "DescribeLookupTables" => self.describe_lookup_tables(ctx, input),
                "GetLookupTable" => self.get_lookup_table(ctx, input),
                "UpdateLookupTable" => self.update_lookup_table(ctx, input),
                "DeleteLookupTable" => self.delete_lookup_table(ctx, input),
                other => Err(larch_server::ApiError::invalid_operation(format!(
                    "The operation {other} is not supported by larch yet."
                ))),
            }
        })
    }
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(input: Value) -> larch_server::ApiResult<T> {
    larch_server::ops::parse(input)
}
