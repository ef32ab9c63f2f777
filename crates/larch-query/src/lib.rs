//! larch's query engine: CloudWatch Logs Insights queries compiled to DataFusion plans, and
//! the Insights API operations.
//!
//! A query is parsed by `larch-insights`, compiled ([`compile`]) into a DataFusion plan over
//! the base relation ([`scan`]: the selected log groups' Parquet segments and in-memory
//! batches, pruned by time before anything is read), executed, and rendered into
//! GetQueryResults rows ([`render`]). [`service::QueryService`] runs queries asynchronously
//! with a per-account concurrency limit and a timeout and keeps results for 7 days.
//!
//! # Layout
//! - [`scan`]: the base relation and its system columns; segments and row groups pruned by time
//!   and by the substring index; its sources laid out as numbered slots.
//! - [`leaves`]: the plan's scan leaves, which hold their files, batches and window apart from
//!   the plan, so that a kept plan runs again over other data (`rebind`).
//! - `plan_cache`: physical plans kept per query shape.
//! - `segment_reader`: segment files read with their footer and page index cached together,
//!   column chunks with `pread` on the calling thread.
//! - [`prune`]: the literals a query's rows must contain in `@message` (for the substring index).
//! - [`compile`]: commands, expressions with Insights' coercions ([`compile::Kind`]),
//!   functions, `stats`.
//! - [`udf`]: DataFusion functions for field discovery, number coercion and regexes.
//! - [`count`]: the pass-through node that counts matched rows while the query runs.
//! - [`field_columns`]: discovered fields that segments store as columns, in the base relation.
//! - [`term_columns`]: per-row presence of frequent terms (`ERROR`, ...) stored by segments.
//! - [`engine`]: runs a query.
//! - `scanned`: `recordsScanned` / `bytesScanned` from segment metadata and footers, reading
//!   only what those cannot count.
//! - [`render`]: result values as Insights renders them; `@ptr`.
//! - [`service`]: StartQuery, GetQueryResults, StopQuery, DescribeQueries, query definitions,
//!   GetLogRecord, GetLogGroupFields, ListLogGroupsForQuery.

pub mod compile;
pub mod count;
pub mod engine;
pub mod error;
pub mod field_columns;
pub mod leaves;
mod plan_cache;
pub mod prune;
pub mod render;
pub mod scan;
mod scanned;
mod segment_reader;
pub mod service;
pub mod sql;
pub mod term_columns;
pub mod udf;

pub use error::{QueryError, Result};
pub use plan_cache::hits as plan_cache_hits;
pub use service::{QueryConfig, QueryService};

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
