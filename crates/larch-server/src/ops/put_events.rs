//! PutLogEvents, with every batch rule AWS applies (spec §1.4), in AWS's order.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_storage::{EVENT_OVERHEAD_BYTES, NewEvent};

use super::{now_ms, parse};
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};

/// Largest batch: Σ (UTF-8 message bytes + 26).
pub const MAX_BATCH_BYTES: usize = 1_048_576;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Events newer than now + 2 h are rejected one by one.
const TOO_NEW_MS: i64 = 2 * HOUR_MS;
/// Events older than now − 14 days are rejected one by one.
const TOO_OLD_MS: i64 = 14 * DAY_MS;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    log_group_name: String,
    log_stream_name: String,
    log_events: Vec<InputEvent>,
}

#[derive(Deserialize)]
struct InputEvent {
    timestamp: i64,
    message: String,
}

pub async fn put_log_events(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: Input = parse(input)?;
    let storage = &ctx.app.storage;
    let group = storage.log_group(&ctx.account, &input.log_group_name).ok_or_else(ApiError::group_not_found)?;
    let stream = storage.log_stream(group.id, &input.log_stream_name).ok_or_else(ApiError::stream_not_found)?;

    let batch_bytes: usize = input.log_events.iter().map(|e| e.message.len() + EVENT_OVERHEAD_BYTES).sum();
    if batch_bytes > MAX_BATCH_BYTES {
        return Err(ApiError::invalid_parameter(format!(
            "Upload too large: {batch_bytes} bytes exceeds the maximum of {MAX_BATCH_BYTES} bytes (message bytes plus 26 bytes per event)."
        )));
    }
    if input.log_events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(ApiError::invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }

    let now = now_ms();
    let timestamps: Vec<i64> = input.log_events.iter().map(|e| e.timestamp).collect();
    let verdict = classify(&timestamps, now, group.retention_in_days);
    let accepted = &input.log_events[verdict.accepted.clone()];
    if let (Some(first), Some(last)) = (accepted.first(), accepted.last())
        && last.timestamp - first.timestamp > DAY_MS
    {
        return Err(ApiError::invalid_parameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
        ));
    }

    let events: Vec<NewEvent> = input
        .log_events
        .into_iter()
        .skip(verdict.accepted.start)
        .take(verdict.accepted.len())
        .map(|e| NewEvent { timestamp: e.timestamp, message: e.message })
        .collect();
    let first_seq = if events.is_empty() { 0 } else { storage.put_events(group.id, &stream, events, now).await? };

    let mut out = Map::new();
    out.insert("nextSequenceToken".into(), json!(format!("{:056}", first_seq)));
    let rejected = verdict.rejected_info();
    if !rejected.is_empty() {
        out.insert("rejectedLogEventsInfo".into(), Value::Object(rejected));
    }
    Ok(Value::Object(out))
}

/// Which events of a chronologically ordered batch are accepted.
#[derive(Debug, PartialEq)]
struct Verdict {
    accepted: std::ops::Range<usize>,
    /// Exclusive end index of events older than 14 days.
    too_old_end: Option<usize>,
    /// Exclusive end index of events older than the retention period.
    expired_end: Option<usize>,
    /// First index of events more than 2 hours in the future.
    too_new_start: Option<usize>,
}

impl Verdict {
    fn rejected_info(&self) -> Map<String, Value> {
        let mut info = Map::new();
        if let Some(i) = self.too_new_start {
            info.insert("tooNewLogEventStartIndex".into(), json!(i));
        }
        if let Some(i) = self.too_old_end {
            info.insert("tooOldLogEventEndIndex".into(), json!(i));
        }
        if let Some(i) = self.expired_end {
            info.insert("expiredLogEventEndIndex".into(), json!(i));
        }
        info
    }
}

/// Because the batch is sorted, rejected events form a prefix (too old / expired) and a
/// suffix (too new).
fn classify(timestamps: &[i64], now: i64, retention_days: Option<u32>) -> Verdict {
    let too_old = timestamps.partition_point(|&t| t < now - TOO_OLD_MS);
    let expired = retention_days.map(|d| timestamps.partition_point(|&t| t < now - d as i64 * DAY_MS)).unwrap_or(0);
    let too_new = timestamps.partition_point(|&t| t <= now + TOO_NEW_MS);
    let start = too_old.max(expired).min(too_new);
    Verdict {
        accepted: start..too_new,
        too_old_end: (too_old > 0).then_some(too_old),
        expired_end: (expired > 0).then_some(expired),
        too_new_start: (too_new < timestamps.len()).then_some(too_new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn all_fresh_events_are_accepted() {
        let v = classify(&[NOW - 1000, NOW, NOW + 1000], NOW, None);
        assert_eq!(v, Verdict { accepted: 0..3, too_old_end: None, expired_end: None, too_new_start: None });
        assert!(v.rejected_info().is_empty());
    }

    #[test]
    fn old_and_new_events_are_cut_off() {
        let ts = [NOW - 15 * DAY_MS, NOW - 15 * DAY_MS, NOW, NOW + 3 * HOUR_MS];
        let v = classify(&ts, NOW, None);
        assert_eq!(v, Verdict { accepted: 2..3, too_old_end: Some(2), expired_end: None, too_new_start: Some(3) });
    }

    #[test]
    fn retention_expires_events() {
        let ts = [NOW - 2 * DAY_MS, NOW - 12 * HOUR_MS, NOW];
        let v = classify(&ts, NOW, Some(1));
        assert_eq!(v, Verdict { accepted: 1..3, too_old_end: None, expired_end: Some(1), too_new_start: None });
    }

    #[test]
    fn everything_rejected_leaves_an_empty_range() {
        let v = classify(&[NOW - 20 * DAY_MS, NOW + 5 * HOUR_MS], NOW, None);
        assert!(v.accepted.is_empty());
        assert_eq!(v.too_old_end, Some(1));
        assert_eq!(v.too_new_start, Some(1));
    }
}
