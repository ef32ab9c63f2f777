//! Result rows in GetQueryResults' shape: sparse lists of `{field, value}` strings, values
//! rendered as Insights renders them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt64Type};
use datafusion::arrow::record_batch::RecordBatch;

use crate::compile::{Kind, OutputColumn};
use crate::error::{QueryError, Result};
use crate::scan::cols;

/// One result row: (field, value) pairs in output order, nulls omitted.
pub type Row = Vec<(String, String)>;

/// Renders batches of a compiled query. Non-aggregated rows get `@ptr`.
pub fn render(batches: &[RecordBatch], output: &[OutputColumn], aggregated: bool) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for batch in batches {
        let mut columns: Vec<(&OutputColumn, ArrayRef)> = Vec::new();
        for o in output {
            let array = batch
                .column_by_name(&o.internal)
                .ok_or_else(|| QueryError::Execution(format!("missing column {}", o.internal)))?;
            columns.push((o, normalize(array, o.kind)?));
        }
        let ptr_columns = if aggregated {
            None
        } else {
            let get = |name: &str| batch.column_by_name(name).cloned();
            match (get(cols::GROUP), get(cols::SEQ), get(cols::TS)) {
                (Some(g), Some(s), Some(t)) => Some((
                    datafusion::arrow::compute::cast(&g, &DataType::UInt64)?,
                    datafusion::arrow::compute::cast(&s, &DataType::UInt64)?,
                    datafusion::arrow::compute::cast(&t, &DataType::Int64)?,
                )),
                _ => None,
            }
        };
        for i in 0..batch.num_rows() {
            let mut row = Row::new();
            for (o, array) in &columns {
                if let Some(v) = value(array, o.kind, i) {
                    row.push((o.name.clone(), v));
                }
            }
            if let Some((g, s, t)) = &ptr_columns {
                let ptr = encode_ptr(
                    g.as_primitive::<UInt64Type>().value(i),
                    s.as_primitive::<UInt64Type>().value(i),
                    t.as_primitive::<Int64Type>().value(i),
                );
                row.push(("@ptr".into(), ptr));
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Casts a column to the type its kind renders from.
fn normalize(array: &ArrayRef, kind: Kind) -> Result<ArrayRef> {
    let target = match kind {
        Kind::Time => DataType::Int64,
        Kind::Num if array.data_type() == &DataType::Int64 => DataType::Int64,
        Kind::Num => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Str | Kind::Dyn => DataType::Utf8,
    };
    if array.data_type() == &target {
        return Ok(array.clone());
    }
    Ok(datafusion::arrow::compute::cast(array, &target)?)
}

fn value(array: &ArrayRef, kind: Kind, i: usize) -> Option<String> {
    if array.is_null(i) {
        return None;
    }
    Some(match kind {
        Kind::Time => try_format_timestamp(array.as_primitive::<Int64Type>().value(i))?,
        Kind::Num if array.data_type() == &DataType::Int64 => array.as_primitive::<Int64Type>().value(i).to_string(),
        Kind::Num => {
            let v = array.as_primitive::<Float64Type>().value(i);
            if !v.is_finite() {
                return None;
            }
            format_number(v)
        }
        Kind::Bool => array.as_boolean().value(i).to_string(),
        Kind::Str | Kind::Dyn => array.as_string::<i32>().value(i).to_string(),
    })
}

/// Integral values without a fraction, others in the shortest form that reads back exactly.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 1e21 {
        // Not 300 digits for 1e300.
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// [`format_timestamp`], or `None` outside the years 1..9999 (shown as absent).
pub fn try_format_timestamp(ms: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()?;
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]");
    t.format(&f).ok()
}

/// `YYYY-MM-DD HH:MM:SS.mmm` in UTC, as Insights shows timestamps.
pub fn format_timestamp(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]");
    t.format(&f).unwrap_or_default()
}

/// The opaque `@ptr` of an event: which group, and where in it.
pub fn encode_ptr(group_id: u64, seq: u64, timestamp: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("larch1:{group_id}:{seq}:{timestamp}"))
}

/// Inverse of [`encode_ptr`].
pub fn decode_ptr(ptr: &str) -> Option<(u64, u64, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(ptr).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.strip_prefix("larch1:")?.split(':');
    let g = parts.next()?.parse().ok()?;
    let s = parts.next()?.parse().ok()?;
    let t = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((g, s, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(102.25), "102.25");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_timestamp(1_764_064_800_123), "2025-11-25 10:00:00.123");
        assert_eq!(decode_ptr(&encode_ptr(7, 42, 1_700_000_000_000)), Some((7, 42, 1_700_000_000_000)));
        assert_eq!(decode_ptr("garbage"), None);
    }
}
