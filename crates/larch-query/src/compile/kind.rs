//! The value kinds the compiler tracks. Insights values are dynamically typed; DataFusion
//! wants static types, so every compiled expression carries the kind its column holds and
//! conversions are inserted where Insights coerces (spec §2.1 "Types").

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{Expr, cast, lit, when};

use crate::udf::{Op, ScalarFn, ToNumberUdf, udf};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Str,
    /// A number (Float64, or Int64 for counts).
    Num,
    Bool,
    /// Epoch milliseconds (Int64) shown as `YYYY-MM-DD HH:MM:SS.mmm`.
    Time,
    /// A discovered or parsed value: text that may be numeric.
    Dyn,
}

pub fn to_num(e: Expr, k: Kind) -> Expr {
    match k {
        Kind::Num => cast(e, DataType::Float64),
        Kind::Time => cast(e, DataType::Float64),
        Kind::Bool => when(e, lit(1.0)).otherwise(lit(0.0)).unwrap_or_else(|_| lit(0.0)),
        Kind::Str | Kind::Dyn => udf(ToNumberUdf::default()).call(vec![e]),
    }
}

pub fn to_str(e: Expr, k: Kind) -> Expr {
    match k {
        Kind::Str | Kind::Dyn => e,
        // Numbers as Insights prints them (`200`, not Arrow's `200.0`).
        Kind::Num => udf(ScalarFn::new(Op::NumText, 1)).call(vec![cast(e, DataType::Float64)]),
        _ => cast(e, DataType::Utf8),
    }
}

pub fn to_bool(e: Expr, k: Kind) -> Expr {
    match k {
        Kind::Bool => e,
        Kind::Num => e.not_eq(lit(0.0)),
        _ => e.is_not_null(),
    }
}

/// Epoch milliseconds as Int64.
pub fn to_millis(e: Expr, k: Kind) -> Expr {
    match k {
        Kind::Time => e,
        // Clamped to ±8.64e15 ms (the range of dates) so the cast cannot fail.
        other => cast(
            datafusion::functions::expr_fn::least(vec![
                datafusion::functions::expr_fn::greatest(vec![to_num(e, other), lit(-8.64e15)]),
                lit(8.64e15),
            ]),
            DataType::Int64,
        ),
    }
}
