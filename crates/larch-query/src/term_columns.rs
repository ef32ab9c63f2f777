//! Term columns in the base relation.
//!
//! Segments record, for a list of frequent search terms (larch-storage's `term_columns`), whether
//! each message contains the term. The base relation exposes every term some scanned segment
//! checked as one Boolean column, [`internal`]`(term)`, equal to `strpos(@message, term) > 0` for
//! every row: read from the segment's column, `false` for a segment that checked the term and
//! found it nowhere, and computed from the message everywhere else (memtable, older segments).
//! The compiler uses the column for `@message like 'term'` whenever the relation has it.

use std::collections::{BTreeSet, HashSet};

use datafusion::prelude::{Expr, col, ident, lit};
use larch_storage::schema::COL_MESSAGE;
use larch_storage::term_columns::term_column_name;

use crate::scan::ScanGroup;

/// The base-relation column of term `term`.
pub fn internal(term: &str) -> String {
    format!("__t:{term}")
}

/// Every term checked by some segment of `groups`, in a stable order.
pub fn checked_terms(groups: &[ScanGroup]) -> Vec<String> {
    let terms: BTreeSet<&String> = groups
        .iter()
        .flat_map(|g| g.snapshot.segments.iter())
        .flat_map(|(_, meta)| meta.terms_checked.iter())
        .collect();
    terms.into_iter().cloned().collect()
}

/// The projection giving every term of `all` its [`internal`] column over a source (in the
/// event schema) that checked the terms of `checked` and stores those of `stored` as columns.
pub fn term_exprs(checked: &HashSet<&str>, stored: &HashSet<&str>, all: &[String]) -> Vec<Expr> {
    all.iter()
        .map(|term| {
            let value = if stored.contains(term.as_str()) {
                ident(term_column_name(term))
            } else if checked.contains(term.as_str()) {
                lit(false)
            } else {
                datafusion::functions::expr_fn::strpos(col(COL_MESSAGE), lit(term.clone())).gt(lit(0i32))
            };
            value.alias(internal(term))
        })
        .collect()
}
