//! CreateLogGroup, DeleteLogGroup, DescribeLogGroups, ListLogGroups.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_storage::{LogGroup, NewLogGroup};

use super::{group_by_identifier, parse};
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::tokens;

const TOKEN_KIND: &str = "groups";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    log_group_name: String,
    kms_key_id: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    log_group_class: Option<String>,
    deletion_protection_enabled: Option<bool>,
}

pub fn create(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: CreateInput = parse(input)?;
    validate_new_group_name(&input.log_group_name)?;
    if let Some(tags) = &input.tags {
        super::tags::validate_tag_keys(tags.keys())?;
    }
    let options = NewLogGroup {
        kms_key_id: input.kms_key_id,
        log_group_class: input.log_group_class,
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        tags: input.tags.unwrap_or_default(),
    };
    ctx.app.storage.create_log_group(&ctx.account, &input.log_group_name, options)?;
    Ok(json!({}))
}

/// Rules on top of the model's pattern and length.
fn validate_new_group_name(name: &str) -> ApiResult<()> {
    if name.starts_with("aws/") {
        return Err(ApiError::invalid_parameter("Log groups starting with AWS/ are reserved for AWS."));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    log_group_name: String,
}

pub fn delete(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: DeleteInput = parse(input)?;
    let group = ctx.app.storage.log_group(&ctx.account, &input.log_group_name).ok_or_else(ApiError::group_not_found)?;
    if group.deletion_protection {
        return Err(ApiError::validation(
            "Log group deletion protection is enabled; disable it before deleting the log group.",
        ));
    }
    ctx.app.storage.delete_log_group(&ctx.account, &input.log_group_name)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    log_group_name_prefix: Option<String>,
    log_group_name_pattern: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
    log_group_class: Option<String>,
    log_group_identifiers: Option<Vec<String>>,
    account_identifiers: Option<Vec<String>>,
}

pub fn describe(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: DescribeInput = parse(input)?;
    if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
        return Err(ApiError::invalid_parameter(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    if input.log_group_identifiers.is_some()
        && (input.log_group_name_prefix.is_some() || input.log_group_name_pattern.is_some())
    {
        return Err(ApiError::invalid_parameter(
            "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.",
        ));
    }
    if input.account_identifiers.as_ref().is_some_and(|a| a.iter().any(|id| id != &ctx.account)) {
        return Err(ApiError::invalid_parameter("Cross-account observability is not configured for this account."));
    }
    let after = input.next_token.as_deref().map(|t| tokens::decode(TOKEN_KIND, t)).transpose()?;
    let limit = input.limit.unwrap_or(50);
    let identifiers: Option<Vec<String>> = input
        .log_group_identifiers
        .map(|ids| ids.iter().filter_map(|id| group_by_identifier(ctx, id).ok()).map(|g| g.name).collect());
    let pattern_mode = input.log_group_name_pattern.is_some();
    let matching = ctx.app.storage.log_groups(&ctx.account).into_iter().filter(|g| {
        input.log_group_name_prefix.as_deref().is_none_or(|p| g.name.starts_with(p))
            && input.log_group_name_pattern.as_deref().is_none_or(|p| g.name.contains(p))
            && input.log_group_class.as_deref().is_none_or(|c| g.log_group_class == c)
            && identifiers.as_ref().is_none_or(|ids| ids.contains(&g.name))
            && after.as_deref().is_none_or(|a| g.name.as_str() > a)
    });
    let (page, more) = take_page(matching, limit);
    let items: Vec<Value> = page.iter().map(|g| describe_item(ctx, g, pattern_mode)).collect();
    let mut out = Map::new();
    if more && let Some(last) = page.last() {
        out.insert("nextToken".into(), Value::String(tokens::encode(TOKEN_KIND, &last.name)));
    }
    out.insert("logGroups".into(), Value::Array(items));
    Ok(Value::Object(out))
}

/// The first `limit` items and whether more exist.
pub fn take_page<T>(items: impl Iterator<Item = T>, limit: usize) -> (Vec<T>, bool) {
    let mut page = Vec::new();
    let mut items = items.peekable();
    while page.len() < limit {
        match items.next() {
            Some(item) => page.push(item),
            None => break,
        }
    }
    let more = items.peek().is_some();
    (page, more)
}

/// One DescribeLogGroups item. With a name pattern AWS omits `storedBytes` and
/// `deletionProtectionEnabled` (observed).
fn describe_item(ctx: &RequestContext, g: &LogGroup, pattern_mode: bool) -> Value {
    let arn = ctx.log_group_arn(&g.name);
    let mut item = Map::new();
    item.insert("logGroupName".into(), json!(g.name));
    item.insert("creationTime".into(), json!(g.creation_time));
    if let Some(days) = g.retention_in_days {
        item.insert("retentionInDays".into(), json!(days));
    }
    item.insert("metricFilterCount".into(), json!(ctx.app.storage.metric_filter_count(g.id)));
    item.insert("arn".into(), json!(format!("{arn}:*")));
    if !pattern_mode {
        item.insert("storedBytes".into(), json!(g.stored_bytes));
    }
    if let Some(kms) = &g.kms_key_id {
        item.insert("kmsKeyId".into(), json!(kms));
    }
    item.insert("logGroupClass".into(), json!(g.log_group_class));
    item.insert("logGroupArn".into(), json!(arn));
    if !pattern_mode {
        item.insert("deletionProtectionEnabled".into(), json!(g.deletion_protection));
    }
    Value::Object(item)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    log_group_name_pattern: Option<String>,
    log_group_class: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
    data_sources: Option<Vec<Value>>,
    field_index_names: Option<Vec<String>>,
    log_group_tags: Option<Vec<TagFilter>>,
    account_identifiers: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagFilter {
    key: String,
    values: Option<Vec<String>>,
}

impl TagFilter {
    /// The group has the key and, when values are given, a value matching any of them.
    fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        let Some(value) = tags.get(&self.key) else { return false };
        match &self.values {
            None => true,
            Some(specs) if specs.is_empty() => true,
            Some(specs) => specs.iter().any(|spec| tag_value_matches(spec, value)),
        }
    }
}

/// `prod` exact, `prod*` / `*prod` / `*prod*` wildcards, `!spec` negation (case-sensitive).
fn tag_value_matches(spec: &str, value: &str) -> bool {
    if let Some(negated) = spec.strip_prefix('!') {
        return !tag_value_matches(negated, value);
    }
    match (spec.strip_prefix('*'), spec.strip_suffix('*')) {
        (Some(rest), _) if rest.ends_with('*') && !rest.is_empty() => value.contains(&rest[..rest.len() - 1]),
        (Some(rest), _) => value.ends_with(rest),
        (None, Some(prefix)) => value.starts_with(prefix),
        (None, None) => value == spec,
    }
}

pub fn list(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: ListInput = parse(input)?;
    if input.account_identifiers.as_ref().is_some_and(|a| a.iter().any(|id| id != &ctx.account)) {
        return Err(ApiError::invalid_parameter("Cross-account observability is not configured for this account."));
    }
    // larch's log groups have no data sources and no field indexes yet: filtering on either
    // matches nothing (rather than silently ignoring the filter).
    let impossible = input.data_sources.is_some() || input.field_index_names.is_some();
    let tag_filters = input.log_group_tags.unwrap_or_default();
    let after = input.next_token.as_deref().map(|t| tokens::decode("list-groups", t)).transpose()?;
    let alternatives: Vec<(bool, String)> = input
        .log_group_name_pattern
        .as_deref()
        .map(|p| p.split('|').map(|alt| (alt.starts_with('^'), alt.trim_start_matches('^').to_string())).collect())
        .unwrap_or_default();
    let matching = ctx.app.storage.log_groups(&ctx.account).into_iter().filter(|g| {
        (alternatives.is_empty()
            || alternatives.iter().any(|(anchored, text)| {
                if *anchored { g.name.starts_with(text.as_str()) } else { g.name.contains(text.as_str()) }
            }))
            && input.log_group_class.as_deref().is_none_or(|c| g.log_group_class == c)
            && after.as_deref().is_none_or(|a| g.name.as_str() > a)
            && !impossible
            && tag_filters.iter().all(|f| f.matches(&g.tags))
    });
    let (page, more) = take_page(matching, input.limit.unwrap_or(50));
    let items: Vec<Value> = page
        .iter()
        .map(|g| json!({"logGroupName": g.name, "logGroupArn": ctx.log_group_arn(&g.name), "logGroupClass": g.log_group_class}))
        .collect();
    let mut out = Map::new();
    out.insert("logGroups".into(), Value::Array(items));
    if more && let Some(last) = page.last() {
        out.insert("nextToken".into(), Value::String(tokens::encode("list-groups", &last.name)));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::tag_value_matches;

    #[test]
    fn tag_value_specs() {
        assert!(tag_value_matches("prod", "prod"));
        assert!(!tag_value_matches("prod", "production"));
        assert!(tag_value_matches("prod*", "production"));
        assert!(tag_value_matches("*tion", "production"));
        assert!(tag_value_matches("*duct*", "production"));
        assert!(tag_value_matches("!prod", "dev"));
        assert!(!tag_value_matches("!prod*", "production"));
        assert!(!tag_value_matches("Prod", "prod"));
    }
}
