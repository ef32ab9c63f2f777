//! The Arrow schema events have in memory and in Parquet segments.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

pub const COL_STREAM_ID: &str = "stream_id";
pub const COL_STREAM: &str = "stream";
pub const COL_TIMESTAMP: &str = "timestamp";
pub const COL_INGESTION_TIME: &str = "ingestion_time";
pub const COL_SEQ: &str = "seq";
pub const COL_MESSAGE: &str = "message";

/// Column indexes in [`event_schema`] order.
pub mod idx {
    pub const STREAM_ID: usize = 0;
    pub const STREAM: usize = 1;
    pub const TIMESTAMP: usize = 2;
    pub const INGESTION_TIME: usize = 3;
    pub const SEQ: usize = 4;
    pub const MESSAGE: usize = 5;
}

static EVENT_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new(COL_STREAM_ID, DataType::UInt64, false),
        Field::new(COL_STREAM, DataType::Utf8, false),
        Field::new(COL_TIMESTAMP, DataType::Int64, false),
        Field::new(COL_INGESTION_TIME, DataType::Int64, false),
        Field::new(COL_SEQ, DataType::UInt64, false),
        Field::new(COL_MESSAGE, DataType::Utf8, false),
    ]))
});

/// The schema of every event batch (memtable and segments alike).
pub fn event_schema() -> SchemaRef {
    Arc::clone(&EVENT_SCHEMA)
}
