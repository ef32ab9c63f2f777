//! Field columns: the discovered fields a segment's events share (frequent JSON keys, the Lambda
//! `REPORT` numbers), extracted once when the segment is written and stored as extra columns,
//! so that queries over them read a small column instead of parsing every message again.
//!
//! A field column named [`FIELD_COLUMN_PREFIX`]`<name>` holds, for every row, exactly what
//! `larch_fields::get_field(message, name)` renders (`null` when the event has no such field):
//! the query engine may read the column or parse the message and gets the same value either way.
//!
//! Which fields: chosen per segment from a sample of its rows: present in at least
//! [`MIN_PRESENCE`] of them (Lambda `@` fields: [`MIN_PRESENCE_LAMBDA`], since `REPORT` is one
//! line of several per invocation), and cheap to store — numbers, booleans and strings with few
//! distinct values. At most [`MAX_FIELD_COLUMNS`] per segment.
//!
//! High-entropy strings (request ids, user ids) would repeat a large part of the message bytes,
//! so they are not copied: a *position column* [`POSITION_COLUMN_PREFIX`]`<name>` gives, per row,
//! the byte offset in the message where the value's text starts when the value is a string
//! without escapes (it then ends at the next `"`), and null otherwise (no such field, another
//! type, escapes: the engine parses that message). Offsets take well under a byte a row; a
//! lookup becomes a slice of the message column the query reads anyway (docs/design.md "Field
//! columns"). At most [`MAX_POSITION_COLUMNS`] per segment.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder, UInt32Builder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use larch_fields::FieldValue;

use crate::error::Result;
use crate::schema::idx;

/// Parquet/Arrow column name prefix of field columns.
pub const FIELD_COLUMN_PREFIX: &str = "field:";
/// Most field columns a segment gets.
pub const MAX_FIELD_COLUMNS: usize = 16;
/// Parquet/Arrow column name prefix of position columns.
pub const POSITION_COLUMN_PREFIX: &str = "fieldpos:";
/// Most position columns a segment gets.
pub const MAX_POSITION_COLUMNS: usize = 8;
/// Share of sampled rows a JSON field must be present in.
pub const MIN_PRESENCE: f64 = 0.2;
/// Share of sampled rows a Lambda `@` field must be present in.
pub const MIN_PRESENCE_LAMBDA: f64 = 0.02;
/// Rows looked at to choose the fields.
const SAMPLE_ROWS: usize = 4096;
/// A string field is kept when its sample has at most this many distinct values…
const MAX_DISTINCT_STRINGS: usize = 256;
/// …and at most this share of its sampled values are distinct.
const MAX_DISTINCT_SHARE: f64 = 0.1;
/// Lambda fields that identify one invocation: never worth a column.
const HIGH_ENTROPY_LAMBDA: [&str; 3] = ["@requestId", "@xrayTraceId", "@xraySegmentId"];

/// The Arrow/Parquet column name of field `name`.
pub fn field_column_name(name: &str) -> String {
    format!("{FIELD_COLUMN_PREFIX}{name}")
}

/// The Arrow/Parquet column name of the position column of field `name`.
pub fn position_column_name(name: &str) -> String {
    format!("{POSITION_COLUMN_PREFIX}{name}")
}

/// The derived columns chosen for a segment.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Chosen {
    /// Fields stored as columns of their values.
    pub columns: Vec<String>,
    /// Fields stored as columns of their positions in the message.
    pub positions: Vec<String>,
}

/// A field name with its sample statistics.
type Sampled = (String, Seen);

/// Per-name statistics of the sample.
#[derive(Default)]
struct Seen {
    present: usize,
    non_string: usize,
    distinct: HashSet<String>,
    first_row: usize,
}

/// Chooses the field and position columns of `batch` (in the event schema) from a sample of
/// its messages; each list most frequent first.
pub fn choose_fields(batch: &RecordBatch) -> Chosen {
    let messages = batch.column(idx::MESSAGE).as_string::<i32>();
    let n = messages.len();
    if n == 0 {
        return Chosen::default();
    }
    let step = n.div_ceil(SAMPLE_ROWS).max(1);
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut sampled = 0usize;
    for (order, row) in (0..n).step_by(step).enumerate() {
        sampled += 1;
        for (name, value) in larch_fields::discover(messages.value(row)) {
            if name.len() > 255 || HIGH_ENTROPY_LAMBDA.contains(&name.as_str()) {
                continue;
            }
            let entry = seen.entry(name).or_insert_with(|| Seen { first_row: order, ..Default::default() });
            entry.present += 1;
            match value {
                FieldValue::Str(s) => {
                    if entry.distinct.len() <= MAX_DISTINCT_STRINGS {
                        entry.distinct.insert(s.into_owned());
                    }
                }
                _ => entry.non_string += 1,
            }
        }
    }
    let frequent = |name: &str, s: &Seen| {
        let min = if name.starts_with('@') { MIN_PRESENCE_LAMBDA } else { MIN_PRESENCE };
        (s.present as f64) >= min * sampled as f64
    };
    let cheap = |s: &Seen| {
        let strings = s.present - s.non_string;
        strings == 0
            || (s.distinct.len() <= MAX_DISTINCT_STRINGS
                && (s.distinct.len() as f64) <= MAX_DISTINCT_SHARE * strings as f64)
    };
    let (mut columns, mut positions): (Vec<Sampled>, Vec<Sampled>) =
        seen.into_iter().filter(|(name, s)| frequent(name, s)).partition(|(_, s)| cheap(s));
    // Positions only for JSON fields (those not cheap hold strings; rows with another type get
    // no position). Lambda fields are numbers or ids nobody aggregates.
    positions.retain(|(name, _)| !name.starts_with('@'));
    Chosen {
        columns: most_frequent(&mut columns, MAX_FIELD_COLUMNS),
        positions: most_frequent(&mut positions, MAX_POSITION_COLUMNS),
    }
}

/// The names of the `max` most frequent of `fields`; ties in order of first appearance, so the
/// choice is deterministic.
fn most_frequent(fields: &mut Vec<Sampled>, max: usize) -> Vec<String> {
    fields.sort_by(|(_, a), (_, b)| b.present.cmp(&a.present).then(a.first_row.cmp(&b.first_row)));
    fields.truncate(max);
    fields.drain(..).map(|(name, _)| name).collect()
}

/// Appends the chosen columns to `batch` (in the event schema): one per field of
/// `chosen.columns` — each row's value as `larch_fields::get_field(message, name)` renders it,
/// or null — then one per field of `chosen.positions` (see the module docs).
pub fn append_field_columns(batch: &RecordBatch, chosen: &Chosen) -> Result<RecordBatch> {
    if chosen.columns.is_empty() && chosen.positions.is_empty() {
        return Ok(batch.clone());
    }
    let messages = batch.column(idx::MESSAGE).as_string::<i32>();
    let names: Vec<&str> = chosen.columns.iter().chain(&chosen.positions).map(String::as_str).collect();
    let mut values: Vec<StringBuilder> =
        chosen.columns.iter().map(|_| StringBuilder::with_capacity(messages.len(), messages.len() * 4)).collect();
    let mut offsets: Vec<UInt32Builder> =
        chosen.positions.iter().map(|_| UInt32Builder::with_capacity(messages.len())).collect();
    // One walk per row for all top-level JSON names (`get_fields`), not one per field.
    for message in messages.iter() {
        let message = message.unwrap_or_default();
        let found = larch_fields::get_fields(message, &names);
        let (for_values, for_offsets) = found.split_at(values.len());
        for (builder, value) in values.iter_mut().zip(for_values) {
            match value {
                Some(FieldValue::Str(text)) => builder.append_value(text),
                Some(other) => builder.append_value(other.render()),
                None => builder.append_null(),
            }
        }
        for (builder, value) in offsets.iter_mut().zip(for_offsets) {
            builder.append_option(match value {
                Some(FieldValue::Str(Cow::Borrowed(text))) => offset_in(message, text),
                _ => None,
            });
        }
    }
    let mut schema_fields: Vec<Field> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, mut builder) in chosen.columns.iter().zip(values) {
        schema_fields.push(Field::new(field_column_name(name), DataType::Utf8, true));
        columns.push(Arc::new(builder.finish()));
    }
    for (name, mut builder) in chosen.positions.iter().zip(offsets) {
        schema_fields.push(Field::new(position_column_name(name), DataType::UInt32, true));
        columns.push(Arc::new(builder.finish()));
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(schema_fields)), columns)?)
}

/// Where `text`, a slice of `message` holding an unescaped JSON string's content, starts in it
/// (`None` if it is not such a slice, which `get_fields` never returns).
fn offset_in(message: &str, text: &str) -> Option<u32> {
    let offset = (text.as_ptr() as usize).checked_sub(message.as_ptr() as usize)?;
    let end = offset.checked_add(text.len())?;
    // The text must end right before a `"`: that is how a reader finds its end.
    (message.as_bytes().get(end) == Some(&b'"')).then_some(())?;
    u32::try_from(offset).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memtable::build_batch;
    use crate::model::NewEvent;

    fn batch(messages: &[String]) -> RecordBatch {
        let events: Vec<NewEvent> =
            messages.iter().enumerate().map(|(i, m)| NewEvent { timestamp: i as i64, message: m.clone() }).collect();
        build_batch(1, "s", 0, 1, &events)
    }

    #[test]
    fn frequent_cheap_fields_are_chosen_and_high_entropy_ones_are_not() {
        let messages: Vec<String> = (0..3000)
            .map(|i| match i % 4 {
                0 => format!(
                    "REPORT RequestId: {i:08x}-aaaa\tDuration: {}.5 ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t",
                    i % 300,
                    i % 300 + 1
                ),
                1 => format!(r#"{{"level":"info","latency_ms":{},"request_id":"r-{i}","ok":true}}"#, i % 97),
                2 => format!(r#"{{"level":"warn","latency_ms":{}.25,"request_id":"r-{i}","ok":false}}"#, i % 89),
                _ => format!("plain text line {i}"),
            })
            .collect();
        let chosen = choose_fields(&batch(&messages));
        for want in ["level", "latency_ms", "ok", "@type", "@duration", "@maxMemoryUsed"] {
            assert!(chosen.columns.contains(&want.to_string()), "{want} missing from {chosen:?}");
        }
        assert!(!chosen.columns.contains(&"request_id".to_string()), "{chosen:?}");
        assert!(!chosen.columns.contains(&"@requestId".to_string()), "{chosen:?}");
        assert!(chosen.columns.len() <= MAX_FIELD_COLUMNS);
        // The high-entropy JSON string gets its positions stored instead; Lambda ids do not.
        assert_eq!(chosen.positions, vec!["request_id".to_string()]);
    }

    #[test]
    fn rare_fields_are_not_chosen() {
        let messages: Vec<String> =
            (0..1000).map(|i| if i % 10 == 0 { format!(r#"{{"rare":{i}}}"#) } else { format!("line {i}") }).collect();
        assert_eq!(choose_fields(&batch(&messages)), Chosen::default());
    }

    #[test]
    fn field_columns_equal_get_field_rendering_row_by_row() {
        let messages: Vec<String> = vec![
            r#"{"a":1,"b":"x","c":{"d":2.5}}"#.into(),
            r#"{"a":12345678901234567,"b":"","c":{"d":1e21}}"#.into(),
            "not json".into(),
            r#"{"a":true,"b":null}"#.into(),
            r#"{"a":1,"a":2}"#.into(),
            "REPORT RequestId: 1\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t".into(),
        ];
        let fields: Vec<String> = ["a", "b", "c.d", "@duration", "missing"].iter().map(|s| s.to_string()).collect();
        let b = batch(&messages);
        let out = append_field_columns(&b, &Chosen { columns: fields.clone(), positions: vec![] }).unwrap();
        assert_eq!(out.num_columns(), b.num_columns() + fields.len());
        for (k, name) in fields.iter().enumerate() {
            let column = out.column(b.num_columns() + k).as_string::<i32>();
            assert_eq!(out.schema().field(b.num_columns() + k).name(), &field_column_name(name));
            for (row, message) in messages.iter().enumerate() {
                let want = larch_fields::get_field(message, name).map(|v| v.render());
                let got = (!column.is_null(row)).then(|| column.value(row).to_string());
                assert_eq!(got, want, "field {name} row {row}");
            }
        }
    }

    #[test]
    fn positions_give_the_text_of_unescaped_strings_and_null_otherwise() {
        let messages: Vec<String> = vec![
            r#"{"id":"u-1","n":1}"#.into(),
            r#"prefix {"n":2, "id" : "abc def"}"#.into(),
            r#"{"id":"with \"escape\""}"#.into(),
            r#"{"id":7}"#.into(),
            r#"{"id":""}"#.into(),
            r#"{"other":"x"}"#.into(),
            r#"{"id":"x""#.into(),
            "no json".into(),
        ];
        let b = batch(&messages);
        let out = append_field_columns(&b, &Chosen { columns: vec![], positions: vec!["id".into()] }).unwrap();
        let column = out.column(b.num_columns());
        assert_eq!(out.schema().field(b.num_columns()).name(), &position_column_name("id"));
        let offsets = column.as_primitive::<arrow::datatypes::UInt32Type>();
        let expected = [Some("u-1"), Some("abc def"), None, None, Some(""), None, None, None];
        for (row, message) in messages.iter().enumerate() {
            let got = (!offsets.is_null(row)).then(|| {
                let start = offsets.value(row) as usize;
                let end = start + message[start..].find('"').unwrap();
                &message[start..end]
            });
            assert_eq!(got, expected[row], "row {row}: {message}");
            // Where there is a position, the text is what get_field gives.
            if let Some(text) = got {
                assert_eq!(larch_fields::get_field(message, "id").map(|v| v.render()), Some(text.to_string()));
            }
        }
    }
}

/// Cost of choosing and building field columns on a real log file:
/// `LARCH_FIELDS_FILE=app.log cargo test --release -p larch-storage field_columns_cost -- --ignored --nocapture`
#[cfg(test)]
mod cost {
    use super::*;
    use crate::memtable::build_batch;
    use crate::model::NewEvent;

    #[test]
    #[ignore]
    fn field_columns_cost() {
        let Ok(path) = std::env::var("LARCH_FIELDS_FILE") else { return };
        let text = std::fs::read_to_string(path).unwrap();
        let events: Vec<NewEvent> = text
            .lines()
            .take(300_000)
            .enumerate()
            .map(|(i, l)| NewEvent { timestamp: i as i64, message: l.to_string() })
            .collect();
        let batch = build_batch(1, "s", 0, 1, &events);
        let t = std::time::Instant::now();
        let fields = choose_fields(&batch);
        let chose = t.elapsed();
        let t = std::time::Instant::now();
        let out = append_field_columns(&batch, &fields).unwrap();
        let built = t.elapsed();
        println!(
            "{} rows: chose {:?} in {chose:?}, built {} columns in {built:?}",
            events.len(),
            fields,
            out.num_columns() - batch.num_columns()
        );
    }
}
