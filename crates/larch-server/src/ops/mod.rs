//! One module per group of operations. Inputs arrive validated against the service model
//! (types, required members, lengths, patterns, enums, ranges); each operation adds the rules
//! the model cannot express.

pub mod filter_events;
pub mod get_events;
pub mod log_groups;
pub mod log_streams;
pub mod metric_filters;
pub mod put_events;
pub mod retention;
pub mod tags;

use serde::de::DeserializeOwned;
use serde_json::Value;

use larch_storage::LogGroup;

use crate::arn::parse_log_group_arn;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};

/// Deserialises a validated input into its typed form.
pub fn parse<T: DeserializeOwned>(input: Value) -> ApiResult<T> {
    serde_json::from_value(input).map_err(|e| ApiError::serialization(e.to_string()))
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Resolves a log group given by name or by identifier (a name or an ARN), exactly one of
/// which must be present.
pub fn resolve_group(ctx: &RequestContext, name: Option<&str>, identifier: Option<&str>) -> ApiResult<LogGroup> {
    match (name, identifier) {
        (Some(_), Some(_)) => {
            Err(ApiError::validation("LogGroup name and LogGroup ARN are mutually exclusive parameters."))
        }
        (None, None) => {
            Err(ApiError::invalid_parameter("Either logGroupName or logGroupIdentifier must be specified."))
        }
        (Some(name), None) => ctx.app.storage.log_group(&ctx.account, name).ok_or_else(ApiError::group_not_found),
        (None, Some(identifier)) => group_by_identifier(ctx, identifier),
    }
}

/// A log-group identifier is a name or an ARN (without `:*`); ARNs of other accounts are not
/// visible (no cross-account observability).
pub fn group_by_identifier(ctx: &RequestContext, identifier: &str) -> ApiResult<LogGroup> {
    let name = if identifier.starts_with("arn:") {
        let arn = parse_log_group_arn(identifier)
            .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid log group ARN: {identifier}")))?;
        if arn.account != ctx.account {
            return Err(ApiError::group_not_found());
        }
        arn.name
    } else {
        identifier
    };
    ctx.app.storage.log_group(&ctx.account, name).ok_or_else(ApiError::group_not_found)
}

/// Runs blocking storage work (file reads) off the async runtime.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::service_unavailable(format!("internal task failed: {e}")))?
}
