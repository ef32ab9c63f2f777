//! GetLogEvents: one stream, paged forwards or backwards with AWS-style tokens.
//!
//! A forward token `f/K` means "events after position K", a backward token `b/K` "events
//! before K"; positions are (timestamp, seq). When a direction has nothing more, the token
//! that was sent comes back unchanged, which is how clients detect the end.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Value, json};

use larch_storage::EventRead;

use super::{blocking, parse, resolve_group};
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::tokens::{Direction, decode_stream_token, encode_stream_token};

/// Page size cap in bytes (message + 26 per event), as AWS.
pub const PAGE_BYTES: usize = 1_048_576;
pub const MAX_EVENTS: usize = 10_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_name: String,
    start_time: Option<i64>,
    end_time: Option<i64>,
    next_token: Option<String>,
    limit: Option<usize>,
    start_from_head: Option<bool>,
}

pub async fn get_log_events(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: Input = parse(input)?;
    let group = resolve_group(ctx, input.log_group_name.as_deref(), input.log_group_identifier.as_deref())?;
    let stream = ctx.app.storage.log_stream(group.id, &input.log_stream_name).ok_or_else(ApiError::stream_not_found)?;
    let token = input.next_token.as_deref().map(decode_stream_token).transpose()?;
    let direction = match token {
        Some((d, _, _)) => d,
        None if input.start_from_head.unwrap_or(false) => Direction::Forward,
        None => Direction::Backward,
    };
    // endTime is exclusive for GetLogEvents.
    let end_inclusive = input.end_time.map(|t| t.saturating_sub(1));
    let cursor = token.map(|(_, ts, seq)| (ts, seq));
    let read_storage = ctx.app.storage.clone();
    let stream_id = stream.id;
    let limit = input.limit.unwrap_or(MAX_EVENTS);
    let page = blocking(move || {
        let read = EventRead {
            streams: Some(HashSet::from([stream_id])),
            start_time: input.start_time,
            end_time: end_inclusive,
            after: cursor,
            descending: direction == Direction::Backward,
            limit,
            max_bytes: PAGE_BYTES,
            predicate: None,
        };
        Ok(read_storage.read_events(group.id, &read)?)
    })
    .await?;

    let events: Vec<Value> = page
        .events
        .iter()
        .map(|e| json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}))
        .collect();
    let (forward, backward) = match (page.events.first(), page.events.last()) {
        (Some(first), Some(last)) => (
            encode_stream_token(Direction::Forward, last.timestamp, last.seq),
            encode_stream_token(Direction::Backward, first.timestamp, first.seq),
        ),
        _ => empty_page_tokens(input.next_token.as_deref(), token, input.start_time, input.end_time),
    };
    Ok(json!({"events": events, "nextForwardToken": forward, "nextBackwardToken": backward}))
}

/// Tokens for an empty page: the sent token comes back for its own direction; the other
/// direction resumes from the same position.
fn empty_page_tokens(
    sent: Option<&str>,
    token: Option<(Direction, i64, u64)>,
    start: Option<i64>,
    end: Option<i64>,
) -> (String, String) {
    match (sent, token) {
        (Some(sent), Some((Direction::Forward, ts, seq))) => {
            (sent.to_string(), encode_stream_token(Direction::Backward, ts, seq.saturating_add(1)))
        }
        (Some(sent), Some((Direction::Backward, ts, seq))) => {
            (encode_stream_token(Direction::Forward, ts, seq.saturating_sub(1)), sent.to_string())
        }
        _ => {
            // Nothing in range: forward resumes just before the start, backward just after the end.
            let before_start = start.unwrap_or(0).saturating_sub(1);
            let after_end = end.unwrap_or(i64::MAX / 2);
            (
                encode_stream_token(Direction::Forward, before_start, u64::MAX),
                encode_stream_token(Direction::Backward, after_end, 0),
            )
        }
    }
}
