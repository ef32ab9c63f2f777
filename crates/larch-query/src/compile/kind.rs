//! The value kinds the compiler tracks. Insights values are dynamically typed; DataFusion
//! wants static types, so every compiled expression carries the kind its column holds and
//! conversions are inserted where Insights coerces (spec §2.1 "Types").

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{Expr, cast, lit, when};

use crate::udf::{ToNumberUdf, udf};

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
        other => cast(to_num(e, other), DataType::Int64),
    }
}
