//! `insights_month_floor(ms, months)`: epoch milliseconds floored to a calendar period of
//! `months` months (1 = month, 3 = quarter, 12 = year), aligned on January 1970 in UTC — what
//! `bin(1mo)`, `bin(1q)`, `datefloor(@timestamp, 1y)` need (fixed-length arithmetic cannot do
//! calendar months).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Builder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MonthFloorUdf {
    signature: Signature,
}

impl Default for MonthFloorUdf {
    fn default() -> Self {
        MonthFloorUdf { signature: Signature::exact(vec![DataType::Int64, DataType::Int64], Volatility::Immutable) }
    }
}

/// The start (epoch ms, UTC) of the `months`-long calendar period containing `ms`.
pub fn month_floor(ms: i64, months: i64) -> Option<i64> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()?;
    let index = (t.year() as i64 - 1970) * 12 + (t.month() as i64 - 1);
    let floored = index - index.rem_euclid(months.max(1));
    let year = i32::try_from(1970 + floored.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(floored.rem_euclid(12) + 1).ok()?).ok()?;
    let start = time::Date::from_calendar_date(year, month, 1).ok()?.midnight().assume_utc();
    Some((start.unix_timestamp_nanos() / 1_000_000) as i64)
}

impl ScalarUDFImpl for MonthFloorUdf {
    fn name(&self) -> &str {
        "insights_month_floor"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let months = match &args.args[1] {
            ColumnarValue::Scalar(ScalarValue::Int64(Some(n))) => *n,
            _ => return exec_err!("insights_month_floor needs a literal number of months"),
        };
        let values = args.args[0].clone().into_array(args.number_rows)?;
        let values = values.as_primitive::<Int64Type>();
        let mut out = Int64Builder::with_capacity(values.len());
        for i in 0..values.len() {
            out.append_option(if values.is_null(i) { None } else { month_floor(values.value(i), months) });
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::month_floor;

    const MAR_15_2026: i64 = 1_773_576_000_000; // 2026-03-15 12:00:00 UTC

    #[test]
    fn calendar_floors() {
        assert_eq!(crate::render::format_timestamp(month_floor(MAR_15_2026, 1).unwrap()), "2026-03-01 00:00:00.000");
        assert_eq!(crate::render::format_timestamp(month_floor(MAR_15_2026, 3).unwrap()), "2026-01-01 00:00:00.000");
        assert_eq!(crate::render::format_timestamp(month_floor(MAR_15_2026, 12).unwrap()), "2026-01-01 00:00:00.000");
        assert_eq!(crate::render::format_timestamp(month_floor(0, 1).unwrap()), "1970-01-01 00:00:00.000");
        assert_eq!(crate::render::format_timestamp(month_floor(-1, 1).unwrap()), "1969-12-01 00:00:00.000");
    }
}
