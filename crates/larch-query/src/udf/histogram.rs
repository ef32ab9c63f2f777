//! `insights_histogram(values, buckets)`: the map `histogram(f, n)` returns, computed from the
//! list of a group's numeric values (`array_agg`). `n` equal-width buckets from the minimum to
//! the maximum; keys `"lo-hi"` (numbers as results show them), values the counts; the last
//! bucket includes the maximum. All values equal → one bucket. No values → null.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::json::Json;
use crate::render::format_number;

/// Most buckets a histogram may have.
pub const MAX_BUCKETS: usize = 1000;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HistogramUdf {
    signature: Signature,
}

impl Default for HistogramUdf {
    fn default() -> Self {
        HistogramUdf { signature: Signature::any(2, Volatility::Immutable) }
    }
}

/// The histogram of `values` with `buckets` buckets as JSON text.
pub fn histogram(values: &[f64], buckets: usize) -> Option<String> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if finite.is_empty() {
        return None;
    }
    let buckets = if hi > lo { buckets.clamp(1, MAX_BUCKETS) } else { 1 };
    let width = (hi - lo) / buckets as f64;
    let mut counts = vec![0u64; buckets];
    for v in &finite {
        let i = if width > 0.0 { (((v - lo) / width) as usize).min(buckets - 1) } else { 0 };
        counts[i] += 1;
    }
    let members = counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let a = lo + width * i as f64;
            let b = if i + 1 == buckets { hi } else { lo + width * (i + 1) as f64 };
            (format!("{}-{}", format_number(a), format_number(b)), Json::Num((*n).into()))
        })
        .collect();
    Some(Json::Obj(members).to_text())
}

impl ScalarUDFImpl for HistogramUdf {
    fn name(&self) -> &str {
        "insights_histogram"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let lists: ArrayRef = args.args[0].clone().into_array(rows)?;
        let buckets: ArrayRef =
            datafusion::arrow::compute::cast(&args.args[1].clone().into_array(rows)?, &DataType::Float64)?;
        let buckets = buckets.as_primitive::<Float64Type>();
        let mut out = StringBuilder::with_capacity(rows, 0);
        let Some(lists) = lists.as_list_opt::<i32>() else {
            for _ in 0..rows {
                out.append_null();
            }
            return Ok(ColumnarValue::Array(Arc::new(out.finish())));
        };
        for row in 0..rows {
            if lists.is_null(row) || buckets.is_null(row) {
                out.append_null();
                continue;
            }
            let values = datafusion::arrow::compute::cast(&lists.value(row), &DataType::Float64)?;
            let values: Vec<f64> = match values.as_any().downcast_ref::<Float64Array>() {
                Some(a) => a.iter().flatten().collect(),
                None => Vec::new(),
            };
            let n = buckets.value(row);
            let n = if n.is_finite() && n >= 1.0 { n as usize } else { 1 };
            out.append_option(histogram(&values, n));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::histogram;

    #[test]
    fn buckets() {
        assert_eq!(histogram(&[0.0, 1.0, 9.0, 10.0], 2).as_deref(), Some(r#"{"0-5":2,"5-10":2}"#));
        assert_eq!(histogram(&[3.0, 3.0], 4).as_deref(), Some(r#"{"3-3":2}"#));
        assert_eq!(histogram(&[], 4), None);
    }
}
