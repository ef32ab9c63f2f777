//! `insights_field(@message, 'name')`: the value of a discovered field (JSON keys, Lambda
//! platform fields) as the text Insights shows, or null when absent; and
//! `insights_field_at(@message, offset, 'name')`, the same over a segment's position column.

use datafusion::arrow::array::Array as _;
use datafusion::arrow::array::{AsArray as _, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::UInt32Type;
use datafusion::common::{Result, exec_err};
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
            append_parsed(&mut out, message, &name);
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}

/// `insights_field_at(@message, offset, 'name')`: [`FieldUdf`] for rows whose segment stores
/// where the field's value starts in the message (larch-storage's position columns): the text
/// from `offset` to the next `"` — an unescaped JSON string — without parsing the message.
/// Rows without an offset are parsed as `insights_field` would.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FieldAtUdf {
    signature: Signature,
}

impl Default for FieldAtUdf {
    fn default() -> Self {
        FieldAtUdf {
            signature: Signature::exact(vec![DataType::Utf8, DataType::UInt32, DataType::Utf8], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for FieldAtUdf {
    fn name(&self) -> &str {
        "insights_field_at"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let messages = string_arg(&args.args[0], args.number_rows)?;
        let offsets = args.args[1].clone().into_array(args.number_rows)?;
        let Some(offsets) = offsets.as_primitive_opt::<UInt32Type>() else {
            return exec_err!("insights_field_at expects UInt32 offsets, got {}", offsets.data_type());
        };
        let name = literal_string(&args.args[2])?;
        let mut out = StringBuilder::with_capacity(messages.len(), messages.len() * 8);
        for (row, message) in messages.iter().enumerate() {
            let at = offsets.is_valid(row).then(|| offsets.value(row) as usize);
            match message.zip(at).and_then(|(message, start)| text_at(message, start)) {
                Some(text) => out.append_value(text),
                None => append_parsed(&mut out, message, &name),
            }
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}

/// Appends field `name` of `message` as `insights_field` renders it (null when absent).
fn append_parsed(out: &mut StringBuilder, message: Option<&str>, name: &str) {
    match message.and_then(|m| larch_fields::get_field(m, name)) {
        Some(value) => out.append_value(value.text()),
        None => out.append_null(),
    }
}

/// The text from `start` to the next `"` of `message` (`None` if there is none).
fn text_at(message: &str, start: usize) -> Option<&str> {
    let rest = message.get(start..)?;
    let len = memchr::memchr(b'"', rest.as_bytes())?;
    rest.get(..len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, StringArray, UInt32Array};
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::ScalarValue;
    use std::sync::Arc;

    #[test]
    fn offsets_slice_the_message_and_missing_ones_parse_it() {
        let messages: ArrayRef = Arc::new(StringArray::from(vec![
            Some(r#"{"id":"u-1","n":1}"#),
            Some(r#"{"id":"with \"escape\""}"#),
            Some(r#"{"n":2}"#),
            None,
            Some(r#"{"id":"x"}"#),
        ]));
        let offsets: ArrayRef = Arc::new(UInt32Array::from(vec![Some(7), None, None, None, Some(99)]));
        let args = ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(messages),
                ColumnarValue::Array(offsets),
                ColumnarValue::Scalar(ScalarValue::Utf8(Some("id".into()))),
            ],
            arg_fields: vec![
                Arc::new(Field::new("m", DataType::Utf8, true)),
                Arc::new(Field::new("o", DataType::UInt32, true)),
                Arc::new(Field::new("n", DataType::Utf8, false)),
            ],
            number_rows: 5,
            return_field: Arc::new(Field::new("f", DataType::Utf8, true)),
            config_options: Arc::new(Default::default()),
        };
        let ColumnarValue::Array(out) = FieldAtUdf::default().invoke_with_args(args).unwrap() else { panic!() };
        let out = out.as_string::<i32>();
        let got: Vec<Option<&str>> = out.iter().collect();
        // Row 5's offset is out of range: parsed instead.
        assert_eq!(got, vec![Some("u-1"), Some(r#"with "escape""#), None, None, Some("x")]);
    }
}
