//! `lookup table key [as tableKey], … [OUTPUT|OUTPUTNEW col [as name], …]`.
//!
//! Lookup tables (CreateLookupTable, `service/lookup.rs`) are CSV with a header row. The
//! engine loads the tables of the querying account into the DataFusion session
//! ([`LookupTables`], a session-config extension); the compiler turns the table into an
//! in-memory relation and left-joins the rows to it on the keys (exact, case-sensitive text
//! equality; a table row whose key repeats an earlier row's key is ignored).
//! `OUTPUT` (and no mode) sets the output fields to the table's values, null when no row
//! matched; `OUTPUTNEW` only fills fields the event does not have. Without output columns,
//! every non-key column of the table is an output.
//!
//! `StartQuery`'s synchronous compile check runs without the tables (they are only loaded to
//! execute), so a missing table or column is reported when the query runs (status `Failed`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::JoinType;
use datafusion::prelude::{Expr, SessionContext, cast, coalesce, col};
use larch_insights::{FieldRef, Ident, LookupMode, NameAlias};

use super::Compiler;
use super::kind::Kind;
use crate::error::Result;

/// A parsed lookup table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LookupTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The lookup tables a query may use (by name), attached to the session by the engine.
#[derive(Debug, Clone, Default)]
pub struct LookupTables {
    pub tables: HashMap<String, LookupTable>,
}

/// Parses a table body: CSV (RFC 4180 quoting, `\n` or `\r\n` line ends), a header row of
/// unique non-empty column names, then rows with exactly as many fields.
pub fn parse_table(body: &str) -> std::result::Result<LookupTable, String> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_field_start = true;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_field_start = true;
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err("The table body has an unterminated quoted field.".into());
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    let mut iter = records.into_iter();
    let Some(header) = iter.next() else {
        return Err("The table body must start with a header row.".into());
    };
    let columns: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
    let mut seen = HashSet::new();
    for c in &columns {
        if c.is_empty() {
            return Err("Column names in the header row must not be empty.".into());
        }
        if !seen.insert(c.clone()) {
            return Err(format!("Duplicate column name in the header row: {c}"));
        }
    }
    let mut rows = Vec::new();
    for (i, row) in iter.enumerate() {
        if row.len() != columns.len() {
            return Err(format!("Row {} has {} fields; the header has {}.", i + 2, row.len(), columns.len()));
        }
        rows.push(row);
    }
    Ok(LookupTable { columns, rows })
}

impl Compiler<'_> {
    pub(crate) fn lookup(
        &mut self,
        table: &Ident,
        keys: &[NameAlias],
        mode: Option<LookupMode>,
        outputs: &[NameAlias],
    ) -> Result<()> {
        let loaded = self.frame.task_ctx().session_config().get_extension::<LookupTables>();
        let data = match &loaded {
            Some(tables) => match tables.tables.get(&table.name) {
                Some(t) => t.clone(),
                None => {
                    return Err(self.malformed(table.span, format!("Lookup table {} does not exist.", table.name)));
                }
            },
            // Compile check without the tables: assume the named columns exist.
            None => LookupTable {
                columns: keys
                    .iter()
                    .map(|k| k.alias.as_ref().unwrap_or(&k.name).name.clone())
                    .chain(outputs.iter().map(|o| o.name.name.clone()))
                    .collect(),
                rows: Vec::new(),
            },
        };
        let position = |name: &str| data.columns.iter().position(|c| c == name);
        // (event field, table column index)
        let mut key_columns = Vec::new();
        for k in keys {
            let column = k.alias.as_ref().unwrap_or(&k.name);
            let Some(i) = position(&column.name) else {
                return Err(
                    self.malformed(column.span, format!("Lookup table {} has no column {}.", table.name, column.name))
                );
            };
            key_columns.push((k.name.name.clone(), i));
        }
        // (table column index, field name)
        let mut out_columns = Vec::new();
        if outputs.is_empty() {
            for (i, c) in data.columns.iter().enumerate() {
                if !key_columns.iter().any(|(_, k)| *k == i) {
                    out_columns.push((i, c.clone()));
                }
            }
        }
        for o in outputs {
            let Some(i) = position(&o.name.name) else {
                return Err(
                    self.malformed(o.name.span, format!("Lookup table {} has no column {}.", table.name, o.name.name))
                );
            };
            out_columns.push((i, o.alias.as_ref().unwrap_or(&o.name).name.clone()));
        }

        // The table as a relation: key columns then output columns, first row per key.
        let mut seen = HashSet::new();
        let rows: Vec<&Vec<String>> = data
            .rows
            .iter()
            .filter(|r| seen.insert(key_columns.iter().map(|(_, i)| r[*i].clone()).collect::<Vec<_>>()))
            .collect();
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        let mut internal_of = Vec::new();
        for i in key_columns.iter().map(|(_, i)| *i).chain(out_columns.iter().map(|(i, _)| *i)) {
            let internal = self.fresh();
            fields.push(Field::new(&internal, DataType::Utf8, true));
            arrays.push(Arc::new(StringArray::from(rows.iter().map(|r| Some(r[i].as_str())).collect::<Vec<_>>())));
            internal_of.push(internal);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
        let (state, _) = self.frame.clone().into_parts();
        let relation = SessionContext::new_with_state(state).read_batch(batch)?;

        let mut on = Vec::new();
        for ((field, _), internal) in key_columns.iter().zip(&internal_of) {
            let c = self.field(&FieldRef::simple(field, table.span))?;
            on.push(key_text(col(c.internal.as_str()), c.kind).eq(col(internal.as_str())));
        }
        self.frame = self.take_frame().join_on(relation, JoinType::Left, on)?;
        for ((_, name), internal) in out_columns.iter().zip(&internal_of[key_columns.len()..]) {
            let value = col(internal.as_str());
            let value = if mode == Some(LookupMode::OutputNew) {
                let existing = self.field(&FieldRef::simple(name, table.span))?;
                coalesce(vec![key_text(col(existing.internal.as_str()), existing.kind), value])
            } else {
                value
            };
            self.define(name, value, Kind::Dyn)?;
            self.show(name);
        }
        self.resort()
    }
}

/// A value as the text a lookup key compares with (numbers as Insights renders them).
fn key_text(e: Expr, kind: Kind) -> Expr {
    match kind {
        Kind::Str | Kind::Dyn => e,
        Kind::Num => super::analytics::num_text(cast(e, DataType::Float64)),
        _ => cast(e, DataType::Utf8),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_table;

    #[test]
    fn tables() {
        let t = parse_table("id,name,team\r\n1,Ann,\"red, blue\"\n2,\"Bo \"\"B\"\"\",green\n").unwrap();
        assert_eq!(t.columns, vec!["id", "name", "team"]);
        assert_eq!(t.rows, vec![vec!["1", "Ann", "red, blue"], vec!["2", "Bo \"B\"", "green"]]);
        assert!(parse_table("").is_err());
        assert!(parse_table("a,a\n1,2").is_err());
        assert!(parse_table("a,b\n1").is_err());
        assert!(parse_table("a,\"b\n").is_err());
        assert_eq!(parse_table("a\n").unwrap().rows.len(), 0);
    }
}
