//! CreateLogStream, DeleteLogStream, DescribeLogStreams.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_storage::LogStream;

use super::log_groups::take_page;
use super::{parse, resolve_group};
use crate::arn::log_stream_arn;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::tokens;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamInput {
    log_group_name: String,
    log_stream_name: String,
}

pub fn create(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: StreamInput = parse(input)?;
    ctx.app.storage.create_log_stream(&ctx.account, &input.log_group_name, &input.log_stream_name)?;
    Ok(json!({}))
}

pub fn delete(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: StreamInput = parse(input)?;
    ctx.app.storage.delete_log_stream(&ctx.account, &input.log_group_name, &input.log_stream_name)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_name_prefix: Option<String>,
    order_by: Option<String>,
    descending: Option<bool>,
    next_token: Option<String>,
    limit: Option<usize>,
}

pub fn describe(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: DescribeInput = parse(input)?;
    let by_last_event = input.order_by.as_deref() == Some("LastEventTime");
    if by_last_event && input.log_stream_name_prefix.is_some() {
        return Err(ApiError::invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix."));
    }
    let group = resolve_group(ctx, input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
    let descending = input.descending.unwrap_or(false);
    let kind = if by_last_event { "streams-by-time" } else { "streams-by-name" };
    let after = input.next_token.as_deref().map(|t| tokens::decode(kind, t)).transpose()?;

    let mut streams: Vec<(String, LogStream)> = ctx
        .app
        .storage
        .log_streams(group.id)
        .into_iter()
        .filter(|s| input.log_stream_name_prefix.as_deref().is_none_or(|p| s.name.starts_with(p)))
        .map(|s| (sort_key(&s, by_last_event), s))
        .collect();
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    if descending {
        streams.reverse();
    }
    let remaining = streams.into_iter().filter(|(key, _)| match after.as_deref() {
        None => true,
        Some(a) if descending => key.as_str() < a,
        Some(a) => key.as_str() > a,
    });
    let (page, more) = take_page(remaining, input.limit.unwrap_or(50));
    let items: Vec<Value> = page.iter().map(|(_, s)| stream_item(ctx, &group.name, s)).collect();
    let mut out = Map::new();
    out.insert("logStreams".into(), Value::Array(items));
    if more && let Some((key, _)) = page.last() {
        out.insert("nextToken".into(), Value::String(tokens::encode(kind, key)));
    }
    Ok(Value::Object(out))
}

/// Total order used for paging: by name, or by last event time then name.
fn sort_key(s: &LogStream, by_last_event: bool) -> String {
    if by_last_event {
        let t = s.last_event_timestamp.unwrap_or(0).max(0);
        format!("{t:020}\u{1}{}", s.name)
    } else {
        s.name.clone()
    }
}

fn stream_item(ctx: &RequestContext, group: &str, s: &LogStream) -> Value {
    let mut item = Map::new();
    item.insert("logStreamName".into(), json!(s.name));
    item.insert("creationTime".into(), json!(s.creation_time));
    if let Some(t) = s.first_event_timestamp {
        item.insert("firstEventTimestamp".into(), json!(t));
    }
    if let Some(t) = s.last_event_timestamp {
        item.insert("lastEventTimestamp".into(), json!(t));
    }
    if let Some(t) = s.last_ingestion_time {
        item.insert("lastIngestionTime".into(), json!(t));
    }
    item.insert("arn".into(), json!(log_stream_arn(&ctx.region, &ctx.account, group, &s.name)));
    item.insert("storedBytes".into(), json!(0));
    Value::Object(item)
}
