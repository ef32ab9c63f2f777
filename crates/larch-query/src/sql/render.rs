//! SQL result rows in GetQueryResults' shape: every column under the name DataFusion gives
//! it, values as strings, `NULL`s left out (as Insights leaves out missing fields).

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::Result;
use crate::render::{Row, format_number, format_timestamp};

/// How one column is turned into strings.
enum Column {
    /// Milliseconds since the epoch, shown as Insights shows `@timestamp`.
    Time(ArrayRef),
    Float(ArrayRef),
    Text(ArrayRef),
    Other(ArrayRef),
}

fn prepare(array: &ArrayRef) -> Result<Column> {
    use datafusion::arrow::compute::cast;
    Ok(match array.data_type() {
        DataType::Timestamp(_, _) => {
            let ms = cast(array, &DataType::Timestamp(TimeUnit::Millisecond, None))?;
            Column::Time(cast(&ms, &DataType::Int64)?)
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Column::Float(cast(array, &DataType::Float64)?),
        DataType::Utf8 => Column::Text(array.clone()),
        DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
            Column::Text(cast(array, &DataType::Utf8)?)
        }
        _ => Column::Other(array.clone()),
    })
}

/// Renders the batches of a SQL query.
pub fn render(batches: &[RecordBatch]) -> Result<Vec<Row>> {
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        let columns: Vec<Column> = batch.columns().iter().map(prepare).collect::<Result<_>>()?;
        let formatters: Vec<Option<ArrayFormatter<'_>>> = columns
            .iter()
            .map(|c| match c {
                Column::Other(a) => ArrayFormatter::try_new(a.as_ref(), &options).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let mut row = Row::new();
            for (j, column) in columns.iter().enumerate() {
                let value = match column {
                    Column::Time(a) if a.is_valid(i) => Some(format_timestamp(a.as_primitive::<Int64Type>().value(i))),
                    Column::Float(a) if a.is_valid(i) => {
                        let v = a.as_primitive::<Float64Type>().value(i);
                        v.is_finite().then(|| format_number(v))
                    }
                    Column::Text(a) if a.is_valid(i) => Some(a.as_string::<i32>().value(i).to_string()),
                    Column::Other(a) if a.is_valid(i) => formatters[j].as_ref().map(|f| f.value(i).to_string()),
                    _ => None,
                };
                if let Some(value) = value {
                    row.push((schema.field(j).name().clone(), value));
                }
            }
            rows.push(row);
        }
    }
    Ok(rows)
}
