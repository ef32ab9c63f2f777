//! Scalar functions the Insights compiler uses that DataFusion does not have: field
//! discovery on `@message`, lenient number conversion, regex captures and matches with
//! Insights regex syntax.

mod capture;
mod count_distinct;
mod end_anchored;
mod field;
mod histogram;
pub mod json;
mod md5;
mod months;
mod number;
pub mod scalar;

pub use capture::{CaptureItemUdf, CapturesUdf, RegexMatchUdf, compile, translate_regex};
pub use count_distinct::CountDistinctText;
pub use field::{FieldAtUdf, FieldUdf};
pub use histogram::HistogramUdf;
pub use months::{MonthFloorUdf, month_floor};
pub use number::ToNumberUdf;
pub use scalar::{Op, ScalarFn};

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF};

/// Registers nothing globally; the compiler builds calls with [`udf`] directly.
pub fn udf<T: datafusion::logical_expr::ScalarUDFImpl + 'static>(f: T) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(f))
}

/// A UTF-8 array view of an argument (scalars are broadcast to `rows`).
pub(crate) fn string_arg(value: &ColumnarValue, rows: usize) -> Result<StringArray> {
    let array: ArrayRef = value.clone().into_array(rows)?;
    let array = if array.data_type() == &DataType::Utf8 {
        array
    } else {
        datafusion::arrow::compute::cast(&array, &DataType::Utf8)?
    };
    match array.as_any().downcast_ref::<StringArray>() {
        Some(a) => Ok(a.clone()),
        None => exec_err!("expected a string argument"),
    }
}

/// The value of a literal string argument.
pub(crate) fn literal_string(value: &ColumnarValue) -> Result<String> {
    match value {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)),
        ) => Ok(s.clone()),
        _ => exec_err!("expected a string literal argument"),
    }
}

/// Most buckets `histogram()` accepts.
pub fn histogram_max_buckets() -> usize {
    histogram::MAX_BUCKETS
}
