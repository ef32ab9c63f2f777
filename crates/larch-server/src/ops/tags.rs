//! TagResource, UntagResource, ListTagsForResource and the deprecated TagLogGroup,
//! UntagLogGroup, ListTagsLogGroup.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::parse;
use crate::arn::parse_log_group_arn;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};

pub const MAX_TAGS: usize = 50;

/// AWS reserves the `aws:` prefix for its own tags.
pub fn validate_tag_keys<'a>(keys: impl Iterator<Item = &'a String>) -> ApiResult<()> {
    for key in keys {
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid_parameter(format!("Tag keys starting with 'aws:' are reserved: {key}")));
        }
    }
    Ok(())
}

/// The log group named by a tagging ARN (log-group ARN without `:*`).
fn group_name_from_arn<'a>(ctx: &RequestContext, arn: &'a str) -> ApiResult<&'a str> {
    if arn.ends_with(":*") {
        return Err(ApiError::invalid_parameter("The resourceArn must not end with ':*'; use the logGroupArn form."));
    }
    let parsed =
        parse_log_group_arn(arn).ok_or_else(|| ApiError::invalid_parameter(format!("Invalid resource ARN: {arn}")))?;
    if parsed.account != ctx.account {
        return Err(ApiError::not_found(format!("The specified resource does not exist: {arn}")));
    }
    Ok(parsed.name)
}

fn add_tags(ctx: &RequestContext, group: &str, resource: &str, tags: BTreeMap<String, String>) -> ApiResult<()> {
    validate_tag_keys(tags.keys())?;
    ctx.app.storage.update_log_group(&ctx.account, group, |g| {
        let mut merged = g.tags.clone();
        merged.extend(tags);
        if merged.len() > MAX_TAGS {
            return Ok(Err(ApiError::new(
                "TooManyTagsException",
                StatusCode::BAD_REQUEST,
                format!("A resource can have no more than {MAX_TAGS} tags."),
            )
            .with_member("resourceName", json!(resource))));
        }
        g.tags = merged;
        Ok(Ok(()))
    })?
}

fn remove_tags(ctx: &RequestContext, group: &str, keys: &[String]) -> ApiResult<()> {
    ctx.app.storage.update_log_group(&ctx.account, group, |g| {
        for k in keys {
            g.tags.remove(k);
        }
        Ok(())
    })?;
    Ok(())
}

fn tags_of(ctx: &RequestContext, group: &str) -> ApiResult<BTreeMap<String, String>> {
    Ok(ctx.app.storage.log_group(&ctx.account, group).ok_or_else(ApiError::group_not_found)?.tags)
}

fn resource_not_found(e: ApiError, arn: &str) -> ApiError {
    if e.code == "ResourceNotFoundException" {
        ApiError::not_found(format!("The specified resource does not exist: {arn}"))
    } else {
        e
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagResourceInput {
    resource_arn: String,
    tags: BTreeMap<String, String>,
}

pub fn tag_resource(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: TagResourceInput = parse(input)?;
    let group = group_name_from_arn(ctx, &input.resource_arn)?;
    add_tags(ctx, group, &input.resource_arn, input.tags).map_err(|e| resource_not_found(e, &input.resource_arn))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagResourceInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

pub fn untag_resource(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: UntagResourceInput = parse(input)?;
    let group = group_name_from_arn(ctx, &input.resource_arn)?;
    remove_tags(ctx, group, &input.tag_keys).map_err(|e| resource_not_found(e, &input.resource_arn))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceInput {
    resource_arn: String,
}

pub fn list_tags_for_resource(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: ResourceInput = parse(input)?;
    let group = group_name_from_arn(ctx, &input.resource_arn)?;
    let tags = tags_of(ctx, group).map_err(|e| resource_not_found(e, &input.resource_arn))?;
    Ok(json!({ "tags": tags }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagLogGroupInput {
    log_group_name: String,
    tags: BTreeMap<String, String>,
}

pub fn tag_log_group(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: TagLogGroupInput = parse(input)?;
    let arn = ctx.log_group_arn(&input.log_group_name);
    add_tags(ctx, &input.log_group_name, &arn, input.tags)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagLogGroupInput {
    log_group_name: String,
    tags: Vec<String>,
}

pub fn untag_log_group(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: UntagLogGroupInput = parse(input)?;
    remove_tags(ctx, &input.log_group_name, &input.tags)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupInput {
    log_group_name: String,
}

pub fn list_tags_log_group(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: GroupInput = parse(input)?;
    Ok(json!({ "tags": tags_of(ctx, &input.log_group_name)? }))
}
