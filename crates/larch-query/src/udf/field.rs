//! `insights_field(@message, 'name')`: the value of a discovered field (JSON keys, Lambda
//! platform fields) as the text Insights shows, or null when absent.

use datafusion::arrow::array::Array as _;
use datafusion::arrow::array::StringBuilder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::{literal_string, string_arg};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FieldUdf {
    signature: Signature,
}

impl Default for FieldUdf {
    fn default() -> Self {
        FieldUdf { signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for FieldUdf {
    fn name(&self) -> &str {
        "insights_field"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let messages = string_arg(&args.args[0], args.number_rows)?;
        let name = literal_string(&args.args[1])?;
        let mut out = StringBuilder::with_capacity(messages.len(), 0);
        for message in messages.iter() {
            match message.and_then(|m| larch_fields::get_field(m, &name)) {
                Some(value) => out.append_value(value.text()),
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}
