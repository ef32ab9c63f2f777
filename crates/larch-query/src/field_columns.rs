//! Field columns in the base relation.
//!
//! Segments store frequent discovered fields as columns (`field:<name>`, see larch-storage's
//! `field_columns`). The base relation exposes each field that some scanned segment stores as
//! one column, [`internal`]`(name)`, for every row: read from the segment where it has the
//! column, discovered from the message everywhere else (memtable, older segments, segments that
//! chose other fields). The values are the same either way, so the compiler uses the column
//! whenever the relation has it; columns a query does not use are pruned before execution.
//! Segments that store a field's *positions* instead (`fieldpos:<name>`, for high-entropy
//! strings) give it by slicing the message there (`insights_field_at`).

use std::collections::{BTreeSet, HashSet};

use datafusion::prelude::{Expr, col, ident, lit};
use larch_storage::field_columns::{field_column_name, position_column_name};
use larch_storage::schema::COL_MESSAGE;

use crate::scan::ScanGroup;
use crate::udf::{FieldAtUdf, FieldUdf, udf};

/// The base-relation column of discovered field `name`.
pub fn internal(name: &str) -> String {
    format!("__f:{name}")
}

/// Every field stored as a column (of values or of positions) by some segment of `groups`, in a
/// stable order.
pub fn stored_fields(groups: &[ScanGroup]) -> Vec<String> {
    let names: BTreeSet<&String> = groups
        .iter()
        .flat_map(|g| g.snapshot.segments.iter())
        .flat_map(|(_, meta)| meta.field_columns.iter().chain(&meta.position_columns))
        .collect();
    names.into_iter().cloned().collect()
}

/// The projection giving every field of `all` its [`internal`] column over a source (in the
/// event schema) that stores the fields of `present` as columns and the positions of those of
/// `positioned`.
pub fn field_exprs(present: &HashSet<&str>, positioned: &HashSet<&str>, all: &[String]) -> Vec<Expr> {
    all.iter()
        .map(|name| {
            let value = if present.contains(name.as_str()) {
                ident(field_column_name(name))
            } else if positioned.contains(name.as_str()) {
                udf(FieldAtUdf::default()).call(vec![
                    col(COL_MESSAGE),
                    ident(position_column_name(name)),
                    lit(name.clone()),
                ])
            } else {
                udf(FieldUdf::default()).call(vec![col(COL_MESSAGE), lit(name.clone())])
            };
            value.alias(internal(name))
        })
        .collect()
}
