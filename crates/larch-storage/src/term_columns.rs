//! Term columns: for a fixed list of frequent search terms (log levels and failure words), one
//! Boolean column per segment saying, for every row, whether the message contains the term as a
//! case-sensitive substring — exactly `strpos(message, term) > 0`.
//!
//! `filter @message like 'ERROR' | stats count(*) by bin(5m)` is the most common log query there
//! is, and every row group contains `ERROR` somewhere, so the substring index cannot skip
//! anything: without these columns the query decompresses and scans every message. With them it
//! reads one bit per row (and Parquet statistics skip the row groups where the term is absent).
//!
//! A segment stores a column for each term of [`INDEXED_TERMS`] that occurs in it at least once,
//! and lists in its metadata every term it checked ([`SegmentMeta::terms_checked`]), so a term
//! checked but absent reads as a constant `false` at no storage cost. Segments written before
//! term columns existed check nothing; queries fall back to scanning their messages.
//!
//! [`SegmentMeta::terms_checked`]: crate::model::SegmentMeta::terms_checked

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use memchr::memmem;

use crate::error::Result;
use crate::schema::idx;

/// Parquet/Arrow column name prefix of term columns.
pub const TERM_COLUMN_PREFIX: &str = "contains:";

/// The terms every new segment checks. At most 64 (a row's matches are one `u64`). Changing the
/// list is compatible: each segment records which terms it checked.
pub const INDEXED_TERMS: [&str; 16] = [
    "ERROR",
    "Error",
    "error",
    "WARN",
    "Warn",
    "warn",
    "WARNING",
    "INFO",
    "DEBUG",
    "FATAL",
    "CRITICAL",
    "Exception",
    "exception",
    "Traceback",
    "panic",
    "timed out",
];

static FINDERS: LazyLock<Vec<memmem::Finder<'static>>> =
    LazyLock::new(|| INDEXED_TERMS.iter().map(|t| memmem::Finder::new(t.as_bytes())).collect());

/// The Arrow/Parquet column name of term `term`.
pub fn term_column_name(term: &str) -> String {
    format!("{TERM_COLUMN_PREFIX}{term}")
}

/// Which terms each message contains: bit `i` of a row's mask is set when the message contains
/// `INDEXED_TERMS[i]`.
///
/// One SIMD substring search per term over the column's whole values buffer (the messages back
/// to back), not one per message: ~2.5x faster than an Aho-Corasick pass per message on log
/// text. A hit is mapped to its row through the offsets; a hit that runs past the end of its
/// row spans two messages and does not count. After a hit (true or not) the search resumes at
/// the next row, since a row needs only one.
fn term_masks(batch: &RecordBatch) -> Vec<u64> {
    let messages = batch.column(idx::MESSAGE).as_string::<i32>();
    let offsets: Vec<usize> = messages.value_offsets().iter().map(|o| *o as usize).collect();
    let values = messages.values().as_slice();
    let mut masks = vec![0u64; messages.len()];
    let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else { return masks };
    for (bit, finder) in FINDERS.iter().enumerate() {
        let len = finder.needle().len();
        let mut at = first;
        while at < last {
            let Some(hit) = finder.find(&values[at..last]).map(|p| p + at) else { break };
            // The row holding byte `hit`: the last row starting at or before it.
            let row = offsets.partition_point(|&o| o <= hit) - 1;
            let row_end = offsets[row + 1];
            if hit + len <= row_end {
                masks[row] |= 1 << bit;
            }
            at = row_end.max(hit + 1);
        }
    }
    masks
}

/// Appends a Boolean column for every term of [`INDEXED_TERMS`] that some message of `batch`
/// (in the event schema, possibly with field columns after it) contains. Returns the new batch
/// and the terms that got a column; the caller records all of [`INDEXED_TERMS`] as checked.
pub fn append_term_columns(batch: &RecordBatch) -> Result<(RecordBatch, Vec<String>)> {
    let masks = term_masks(batch);
    let present = masks.iter().fold(0u64, |acc, m| acc | m);
    let mut schema_fields: Vec<Field> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let mut stored = Vec::new();
    for (bit, term) in INDEXED_TERMS.iter().enumerate() {
        if present & (1 << bit) == 0 {
            continue;
        }
        let mut values = BooleanBufferBuilder::new(masks.len());
        for mask in &masks {
            values.append(mask & (1 << bit) != 0);
        }
        schema_fields.push(Field::new(term_column_name(term), DataType::Boolean, false));
        columns.push(Arc::new(BooleanArray::new(values.finish(), None)));
        stored.push(term.to_string());
    }
    if stored.is_empty() {
        return Ok((batch.clone(), stored));
    }
    Ok((RecordBatch::try_new(Arc::new(Schema::new(schema_fields)), columns)?, stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memtable::build_batch;
    use crate::model::NewEvent;

    fn batch(messages: &[&str]) -> RecordBatch {
        let events: Vec<NewEvent> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| NewEvent { timestamp: i as i64, message: m.to_string() })
            .collect();
        build_batch(1, "s", 0, 1, &events)
    }

    #[test]
    fn term_columns_equal_substring_search_row_by_row() {
        let messages = [
            "2026-11-25T08:25:05.037Z\tb6326c7a\tERROR\tTask timed out",
            "WARNING: disk almost full",
            r#"{"level":"error","msg":"boom"}"#,
            "all good",
            "",
            "ERRO R split, Exceptionally",
            "INFO DEBUG FATAL CRITICAL panic Traceback exception Warn warn Error",
        ];
        let b = batch(&messages);
        let (out, stored) = append_term_columns(&b).unwrap();
        assert_eq!(out.num_columns(), b.num_columns() + stored.len());
        for term in INDEXED_TERMS {
            let want: Vec<bool> = messages.iter().map(|m| m.contains(term)).collect();
            let column = out.schema().index_of(&term_column_name(term)).ok();
            match column {
                Some(i) => {
                    let got: Vec<bool> = out.column(i).as_boolean().iter().map(|v| v.unwrap()).collect();
                    assert_eq!(got, want, "term {term}");
                }
                None => assert!(!want.contains(&true), "term {term} occurs but has no column"),
            }
        }
        // Every term occurs in some message above, so every term got a column.
        assert_eq!(stored.len(), INDEXED_TERMS.len());
    }

    #[test]
    fn absent_terms_get_no_column() {
        let b = batch(&["nothing to see", "here either"]);
        let (out, stored) = append_term_columns(&b).unwrap();
        assert!(stored.is_empty());
        assert_eq!(out.num_columns(), b.num_columns());
    }

    #[test]
    fn matches_spanning_two_messages_do_not_count() {
        // "xERR" + "ORERROR": the buffer holds "xERRORERROR"; only the second row contains ERROR.
        let b = batch(&["xERR", "ORERROR", "ERRO", "R"]);
        let (out, _) = append_term_columns(&b).unwrap();
        let column = out.column(out.schema().index_of(&term_column_name("ERROR")).unwrap()).as_boolean();
        let got: Vec<bool> = column.iter().map(|v| v.unwrap()).collect();
        assert_eq!(got, vec![false, true, false, false]);
    }

    #[test]
    fn sliced_batches_are_searched_within_their_rows() {
        let b = batch(&["ERROR one", "nothing", "WARN three", "ERROR four"]).slice(1, 2);
        let masks = term_masks(&b);
        let warn = INDEXED_TERMS.iter().position(|t| *t == "WARN").unwrap();
        assert_eq!(masks, vec![0, 1 << warn]);
    }

    #[test]
    fn overlapping_terms_are_all_reported() {
        let b = batch(&["WARNING"]);
        let (out, stored) = append_term_columns(&b).unwrap();
        assert_eq!(stored, vec!["WARN".to_string(), "WARNING".to_string()]);
        for term in ["WARN", "WARNING"] {
            assert!(out.column(out.schema().index_of(&term_column_name(term)).unwrap()).as_boolean().true_count() > 0);
        }
    }

    proptest::proptest! {
        /// Row by row equal to `str::contains`, on messages made of term fragments (so that
        /// terms span row boundaries in the values buffer).
        #[test]
        fn masks_equal_contains(parts in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(vec!["ERR", "OR", "ERROR", "WA", "RN", "WARNING", "x", " ", "timed", " out", "é"]), 0..6),
            0..20,
        )) {
            let messages: Vec<String> = parts.iter().map(|p| p.concat()).collect();
            let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
            let masks = term_masks(&batch(&refs));
            for (row, message) in messages.iter().enumerate() {
                for (bit, term) in INDEXED_TERMS.iter().enumerate() {
                    proptest::prop_assert_eq!(masks[row] & (1 << bit) != 0, message.contains(term), "{:?} {}", message, term);
                }
            }
        }
    }
}
