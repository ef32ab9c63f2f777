//! FilterLogEvents: many streams, one interleaved order, a filter pattern, a single
//! `nextToken` whose absence means the end.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_filter::FilterPattern;
use larch_storage::EventRead;

use super::get_events::{MAX_EVENTS, PAGE_BYTES};
use super::{blocking, parse, resolve_group};
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::tokens;

const TOKEN_KIND: &str = "filter";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_names: Option<Vec<String>>,
    log_stream_name_prefix: Option<String>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    filter_pattern: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
}

pub async fn filter_log_events(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: Input = parse(input)?;
    if input.log_stream_names.is_some() && input.log_stream_name_prefix.is_some() {
        return Err(ApiError::invalid_parameter(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let group = resolve_group(ctx, input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
    let pattern = match input.filter_pattern.as_deref() {
        Some(p) => Some(Arc::new(FilterPattern::parse(p).map_err(|e| ApiError::invalid_parameter(e.to_string()))?)),
        None => None,
    };
    let cursor = input.next_token.as_deref().map(decode_cursor).transpose()?;

    let streams = ctx.app.storage.log_streams(group.id);
    let names: HashMap<u64, String> = streams.iter().map(|s| (s.id, s.name.clone())).collect();
    let selected: Option<HashSet<u64>> = if let Some(wanted) = &input.log_stream_names {
        Some(streams.iter().filter(|s| wanted.contains(&s.name)).map(|s| s.id).collect())
    } else {
        input
            .log_stream_name_prefix
            .as_ref()
            .map(|prefix| streams.iter().filter(|s| s.name.starts_with(prefix.as_str())).map(|s| s.id).collect())
    };

    let storage = ctx.app.storage.clone();
    let limit = input.limit.unwrap_or(MAX_EVENTS);
    let page = blocking(move || {
        let matcher = pattern.as_ref().map(|p| {
            let p = Arc::clone(p);
            move |message: &str| p.matches(message)
        });
        let read = EventRead {
            streams: selected,
            start_time: input.start_time,
            end_time: input.end_time,
            after: cursor,
            descending: false,
            limit,
            max_bytes: PAGE_BYTES,
            predicate: matcher.as_ref().map(|m| m as &(dyn Fn(&str) -> bool + Sync)),
        };
        Ok(storage.read_events(group.id, &read)?)
    })
    .await?;

    let events: Vec<Value> = page
        .events
        .iter()
        .map(|e| {
            json!({
                "logStreamName": names.get(&e.stream_id).cloned().unwrap_or_default(),
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
                "eventId": e.event_id(),
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("events".into(), Value::Array(events));
    // Always empty since 2020 (documented in the service model).
    out.insert("searchedLogStreams".into(), json!([]));
    if page.has_more
        && let Some(last) = page.events.last()
    {
        out.insert(
            "nextToken".into(),
            Value::String(tokens::encode(TOKEN_KIND, &format!("{}:{}", last.timestamp, last.seq))),
        );
    }
    Ok(Value::Object(out))
}

fn decode_cursor(token: &str) -> ApiResult<(i64, u64)> {
    let payload = tokens::decode(TOKEN_KIND, token)?;
    let (ts, seq) = payload.split_once(':').ok_or_else(ApiError::invalid_next_token)?;
    Ok((
        ts.parse().map_err(|_| ApiError::invalid_next_token())?,
        seq.parse().map_err(|_| ApiError::invalid_next_token())?,
    ))
}
