//! Metadata records: accounts own log groups, log groups own streams and segments.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Internal, never-reused identifier of a log group. Names can be deleted and created again;
/// ids make sure the old group's data never shows up under the new one.
pub type GroupId = u64;
/// Internal, never-reused identifier of a log stream (unique across all groups).
pub type StreamId = u64;
pub type SegmentId = u64;

/// A log group as stored in the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogGroup {
    pub id: GroupId,
    pub account: String,
    pub name: String,
    /// Epoch milliseconds.
    pub creation_time: i64,
    pub retention_in_days: Option<u32>,
    pub kms_key_id: Option<String>,
    pub log_group_class: String,
    pub deletion_protection: bool,
    pub tags: BTreeMap<String, String>,
    /// Raw message bytes stored (what AWS reports as `storedBytes`).
    pub stored_bytes: u64,
}

/// A log stream as stored in the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogStream {
    pub id: StreamId,
    pub group_id: GroupId,
    pub name: String,
    pub creation_time: i64,
    pub first_event_timestamp: Option<i64>,
    pub last_event_timestamp: Option<i64>,
    pub last_ingestion_time: Option<i64>,
}

/// A Parquet segment: the events of one log group flushed together, sorted by
/// (stream id, timestamp, sequence).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SegmentMeta {
    pub id: SegmentId,
    pub group_id: GroupId,
    /// Path relative to the data directory.
    pub path: String,
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    pub rows: u64,
    /// Size of the file on disk.
    pub file_bytes: u64,
    /// Raw message bytes the segment holds.
    pub raw_bytes: u64,
    /// Streams with rows in this segment (lets stream deletion find what to rewrite).
    pub stream_ids: Vec<StreamId>,
    /// Discovered fields stored as extra columns (`field:<name>`, see `field_columns`); empty
    /// for segments written before field columns existed.
    #[serde(default)]
    pub field_columns: Vec<String>,
    /// Fields whose positions in the message are stored (`fieldpos:<name>`, see
    /// `field_columns`); empty for segments written before position columns existed.
    #[serde(default)]
    pub position_columns: Vec<String>,
    /// Terms whose presence in each message the segment recorded (see `term_columns`); a term
    /// checked but not in [`Self::term_columns`] occurs in no row. Empty for older segments.
    #[serde(default)]
    pub terms_checked: Vec<String>,
    /// Terms stored as Boolean columns (`contains:<term>`).
    #[serde(default)]
    pub term_columns: Vec<String>,
}

/// One event as read back from storage.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub stream_id: StreamId,
    pub timestamp: i64,
    pub ingestion_time: i64,
    /// Global ingest sequence: orders events with equal timestamps and makes event ids.
    pub seq: u64,
    pub message: String,
}

impl StoredEvent {
    /// The event id clients see; stable because timestamp and seq are stored.
    /// 56 digits, like AWS's.
    pub fn event_id(&self) -> String {
        event_id(self.timestamp, self.seq)
    }
}

/// Formats the 56-digit event id of an event.
pub fn event_id(timestamp: i64, seq: u64) -> String {
    format!("{:020}{:036}", timestamp.max(0), seq)
}

/// One event offered for ingestion.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub timestamp: i64,
    pub message: String,
}

/// A metric filter of a log group, keyed by (group, name). Stored as given; evaluating it on
/// ingest is the monitoring layer's business.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricFilter {
    pub group_id: GroupId,
    pub name: String,
    /// The pattern text exactly as given (a blank pattern is kept, as AWS does).
    pub pattern: String,
    /// Exactly one today (the API's limit), kept as a list like the wire shape.
    pub transformations: Vec<MetricTransformation>,
    /// Epoch milliseconds.
    pub creation_time: i64,
    #[serde(default)]
    pub apply_on_transformed_logs: bool,
    #[serde(default)]
    pub field_selection_criteria: Option<String>,
    #[serde(default)]
    pub emit_system_field_dimensions: Option<Vec<String>>,
}

/// How matching events become a CloudWatch metric.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricTransformation {
    pub metric_name: String,
    pub metric_namespace: String,
    /// A number, `$.selector` or `$field`.
    pub metric_value: String,
    #[serde(default)]
    pub default_value: Option<f64>,
    #[serde(default)]
    pub dimensions: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub unit: Option<String>,
}
