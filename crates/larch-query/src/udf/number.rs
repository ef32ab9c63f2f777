//! `insights_num(x)`: text → number the way Insights coerces (a value that parses as a number
//! after trimming is that number; anything else is null).

use std::sync::Arc;

use datafusion::arrow::array::Array as _;
use datafusion::arrow::array::Float64Builder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::string_arg;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToNumberUdf {
    signature: Signature,
}

impl Default for ToNumberUdf {
    fn default() -> Self {
        ToNumberUdf { signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable) }
    }
}

/// Parses a decimal number; rejects `inf`/`nan` spellings Rust would accept.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let first = t.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl ScalarUDFImpl for ToNumberUdf {
    fn name(&self) -> &str {
        "insights_num"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = string_arg(&args.args[0], args.number_rows)?;
        let mut out = Float64Builder::with_capacity(values.len());
        for v in values.iter() {
            out.append_option(v.and_then(parse_number));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn coercion() {
        assert_eq!(parse_number(" 12.5 "), Some(12.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("12ms"), None);
        assert_eq!(parse_number(""), None);
    }
}
