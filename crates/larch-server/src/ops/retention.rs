//! PutRetentionPolicy, DeleteRetentionPolicy.

use serde::Deserialize;
use serde_json::{Value, json};

use super::parse;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};

/// The only retention periods AWS accepts.
pub const ALLOWED_RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutInput {
    log_group_name: String,
    retention_in_days: i64,
}

pub fn put(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: PutInput = parse(input)?;
    let days = u32::try_from(input.retention_in_days).ok().filter(|d| ALLOWED_RETENTION_DAYS.contains(d)).ok_or_else(|| {
        let allowed: Vec<String> = ALLOWED_RETENTION_DAYS.iter().map(|d| d.to_string()).collect();
        ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            input.retention_in_days,
            allowed.join(", ")
        ))
    })?;
    ctx.app.storage.update_log_group(&ctx.account, &input.log_group_name, |g| {
        g.retention_in_days = Some(days);
        Ok(())
    })?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    log_group_name: String,
}

pub fn delete(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: DeleteInput = parse(input)?;
    ctx.app.storage.update_log_group(&ctx.account, &input.log_group_name, |g| {
        g.retention_in_days = None;
        Ok(())
    })?;
    Ok(json!({}))
}
