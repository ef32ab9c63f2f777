//! GetLogRecord (an event by its `@ptr`) and GetLogGroupFields (fields discovered in a
//! sample of recent events).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_server::{ApiError, ApiResult, RequestContext};
use larch_storage::EventRead;

use super::{QueryService, parse};
use crate::render::{decode_ptr, format_timestamp};

/// Events sampled by GetLogGroupFields.
const FIELD_SAMPLE: usize = 10_000;

impl QueryService {
    pub(crate) async fn get_log_record(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            log_record_pointer: String,
        }
        let input: Input = parse(input)?;
        let invalid = || ApiError::invalid_parameter("The specified logRecordPointer is invalid.");
        let (group_id, seq, timestamp) = decode_ptr(&input.log_record_pointer).ok_or_else(invalid)?;
        let snapshot = self
            .storage
            .snapshot(group_id)
            .filter(|s| s.group.account == ctx.account)
            .ok_or_else(|| ApiError::not_found("The log record does not exist."))?;
        let storage = self.storage.clone();
        let page = larch_server::ops::blocking(move || {
            let read = EventRead {
                streams: None,
                start_time: Some(timestamp),
                end_time: Some(timestamp),
                after: Some((timestamp, seq.saturating_sub(1))),
                descending: false,
                limit: 1,
                max_bytes: usize::MAX,
                predicate: None,
            };
            Ok(storage.read_events(group_id, &read)?)
        })
        .await?;
        let event = page
            .events
            .into_iter()
            .find(|e| e.seq == seq)
            .ok_or_else(|| ApiError::not_found("The log record does not exist."))?;
        let mut record = Map::new();
        record.insert("@timestamp".into(), json!(event.timestamp.to_string()));
        record.insert("@message".into(), json!(event.message));
        record.insert(
            "@logStream".into(),
            json!(snapshot.live_streams.get(&event.stream_id).cloned().unwrap_or_default()),
        );
        record.insert("@log".into(), json!(format!("{}:{}", snapshot.group.account, snapshot.group.name)));
        record.insert("@ingestionTime".into(), json!(event.ingestion_time.to_string()));
        for (name, value) in larch_fields::discover(&event.message) {
            record.entry(name).or_insert_with(|| json!(value.render()));
        }
        Ok(json!({"logRecord": record}))
    }

    pub(crate) async fn get_log_group_fields(&self, ctx: &RequestContext, input: Value) -> ApiResult<Value> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Input {
            log_group_name: Option<String>,
            log_group_identifier: Option<String>,
            time: Option<i64>,
        }
        let input: Input = parse(input)?;
        let group = larch_server::ops::resolve_group(
            ctx,
            input.log_group_name.as_deref(),
            input.log_group_identifier.as_deref(),
        )?;
        // ±8 minutes around `time` (seconds), or the last 15 minutes.
        let (start, end) = match input.time {
            Some(t) => (t * 1000 - 8 * 60_000, t * 1000 + 8 * 60_000),
            None => (crate::now_ms() - 15 * 60_000, crate::now_ms()),
        };
        let storage = self.storage.clone();
        let page = larch_server::ops::blocking(move || {
            let read = EventRead {
                streams: None,
                start_time: Some(start),
                end_time: Some(end),
                after: None,
                descending: true,
                limit: FIELD_SAMPLE,
                max_bytes: usize::MAX,
                predicate: None,
            };
            Ok(storage.read_events(group.id, &read)?)
        })
        .await?;
        let total = page.events.len();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for event in &page.events {
            let mut seen = std::collections::HashSet::new();
            for (name, _) in larch_fields::discover(&event.message) {
                if seen.insert(name.clone()) {
                    *counts.entry(name).or_default() += 1;
                }
            }
        }
        let mut fields: Vec<(String, usize)> = Vec::new();
        if total > 0 {
            for system in ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime"] {
                fields.push((system.to_string(), 100));
            }
        }
        for (name, n) in counts.into_iter().take(1000) {
            fields.push((name, (n * 100 + total / 2) / total.max(1)));
        }
        fields.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let _ = format_timestamp;
        Ok(
            json!({"logGroupFields": fields.into_iter().map(|(name, percent)| json!({"name": name, "percent": percent})).collect::<Vec<_>>()}),
        )
    }
}
