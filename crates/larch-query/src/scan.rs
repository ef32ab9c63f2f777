//! The base relation of a query: every event of the selected log groups in the time range,
//! from the memtable batches and the Parquet segments, with system columns.
//!
//! Pruning happens before any byte is read: segments outside the range are never opened, the
//! timestamp predicate is pushed into the Parquet scan (row-group statistics) of the segments
//! the range cuts (those wholly inside it are read unfiltered, as are those holding only live
//! streams: no per-row predicate costs a whole-range query anything), and when the
//! query's rows must contain literals ([`Pruning`]), segments and row groups whose substring
//! index ([`larch_storage::index`]) rules them out are skipped ([`plan_segments`]).
//!
//! Segments are read through [`SegmentTable`], a table provider that builds the same Parquet
//! scan `read_parquet` would (session Parquet options, file groups split over the target
//! partitions, filters pushed into the scan by the physical optimizer), with a
//! `ParquetAccessPlan` per file restricting it to the selected row groups.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::parquet::ParquetAccessPlan;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::logical_expr::TableProviderFilterPushDown;
use datafusion::object_store::ObjectMeta;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{Expr, SessionContext, cast, col, ident, in_list, lit};

use larch_storage::field_columns::field_column_name;
use larch_storage::index::{Needle, segment_index};
use larch_storage::schema::{
    COL_INGESTION_TIME, COL_MESSAGE, COL_SEQ, COL_STREAM, COL_STREAM_ID, COL_TIMESTAMP, event_schema, idx,
};
use larch_storage::term_columns::term_column_name;
use larch_storage::{GroupSnapshot, SegmentMeta, StreamId};

use crate::error::{QueryError, Result};
use crate::field_columns::{self, field_exprs, stored_fields};
use crate::prune::Pruning;
use crate::term_columns::{self, checked_terms, term_exprs};

/// Internal column names of the base relation.
pub mod cols {
    pub const TS: &str = "__ts";
    pub const MSG: &str = "__msg";
    pub const STREAM: &str = "__stream";
    pub const INGESTION: &str = "__ing";
    pub const SEQ: &str = "__seq";
    pub const GROUP: &str = "__gid";
    pub const LOG: &str = "__log";
}

/// A log group selected by a query.
pub struct ScanGroup {
    pub snapshot: GroupSnapshot,
    /// `account:name`, the value of `@log`.
    pub log: String,
}

/// Builds the union of the groups' events with `start_ms <= timestamp <= end_ms`.
pub async fn base_frame(ctx: &SessionContext, groups: &[ScanGroup], start_ms: i64, end_ms: i64) -> Result<DataFrame> {
    base_frame_pruned(ctx, groups, start_ms, end_ms, &Pruning::none(), None).await
}

/// The derived columns every source of a base relation offers: field columns
/// ([`field_columns`]) and term columns ([`term_columns`]).
struct Derived {
    fields: Vec<String>,
    terms: Vec<String>,
}

/// What one source (the memtable, or segments sharing a schema) stores of the derived columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stored {
    /// Discovered fields stored as columns.
    pub fields: Vec<String>,
    /// Terms checked for, and those of them stored as columns.
    pub terms_checked: Vec<String>,
    pub term_columns: Vec<String>,
}

impl Stored {
    fn of(meta: &SegmentMeta) -> Stored {
        Stored {
            fields: meta.field_columns.clone(),
            terms_checked: meta.terms_checked.clone(),
            term_columns: meta.term_columns.clone(),
        }
    }

    /// A segment's schema: the event columns, its field columns and its term columns.
    fn schema(&self) -> SchemaRef {
        if self.fields.is_empty() && self.term_columns.is_empty() {
            return event_schema();
        }
        let mut fields: Vec<Field> = event_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(self.fields.iter().map(|name| Field::new(field_column_name(name), DataType::Utf8, true)));
        fields
            .extend(self.term_columns.iter().map(|term| Field::new(term_column_name(term), DataType::Boolean, false)));
        Arc::new(Schema::new(fields))
    }
}

/// [`base_frame`] without the segment rows that cannot satisfy `pruning` (whose `@message`
/// certainly lacks a required literal). Only for relations whose rows then go through the
/// filters `pruning` was derived from; never for counts of scanned records.
///
/// With `mentioned` (a query's text), the relation offers only the derived columns whose field
/// name or term occurs in that text: a query can use no other, and each column offered costs
/// planning time in every source's projection (32 columns × sources × groups).
pub async fn base_frame_pruned(
    ctx: &SessionContext,
    groups: &[ScanGroup],
    start_ms: i64,
    end_ms: i64,
    pruning: &Pruning,
    mentioned: Option<&str>,
) -> Result<DataFrame> {
    // Every group's frame offers the same derived columns, so that they union (and a `diff`
    // baseline window, scanned separately over the same groups, gets the same columns too).
    let mut derived = Derived { fields: stored_fields(groups), terms: checked_terms(groups) };
    if let Some(text) = mentioned {
        derived.fields.retain(|name| text.contains(name.as_str()));
        derived.terms.retain(|term| text.contains(term.as_str()));
    }
    let mut frames = Vec::new();
    for group in groups {
        frames.push(group_frame(ctx, group, start_ms, end_ms, pruning, &derived).await?);
    }
    let mut iter = frames.into_iter();
    let Some(mut frame) = iter.next() else {
        return empty_frame(ctx, &derived);
    };
    for next in iter {
        frame = frame.union(next)?;
    }
    Ok(frame)
}

fn empty_frame(ctx: &SessionContext, derived: &Derived) -> Result<DataFrame> {
    let empty = RecordBatch::new_empty(event_schema());
    let frame = with_derived(ctx.read_batch(empty)?, &Stored::default(), derived)?;
    Ok(frame.select(system_columns(0, "", derived))?)
}

/// The event columns of a source that stores `stored`, plus every derived column of `derived`
/// as its base-relation column (read, constant, or computed from the message).
fn with_derived(frame: DataFrame, stored: &Stored, derived: &Derived) -> Result<DataFrame> {
    // Sources storing no derived column that the relation lacks are already in shape; the
    // others drop their unused columns here, so that all sources union.
    let extra = stored.fields.len() + stored.term_columns.len();
    if derived.fields.is_empty() && derived.terms.is_empty() && extra == 0 {
        return Ok(frame);
    }
    let mut select: Vec<Expr> = event_schema().fields().iter().map(|f| ident(f.name())).collect();
    let fields: HashSet<&str> = stored.fields.iter().map(String::as_str).collect();
    select.extend(field_exprs(&fields, &derived.fields));
    let checked: HashSet<&str> = stored.terms_checked.iter().map(String::as_str).collect();
    let columns: HashSet<&str> = stored.term_columns.iter().map(String::as_str).collect();
    select.extend(term_exprs(&checked, &columns, &derived.terms));
    Ok(frame.select(select)?)
}

/// The lower time bound of a group's scan: the query start or the retention cutoff.
pub(crate) fn low_bound(snapshot: &GroupSnapshot, start_ms: i64) -> i64 {
    start_ms.max(snapshot.retention_cutoff.unwrap_or(i64::MIN))
}

async fn group_frame(
    ctx: &SessionContext,
    group: &ScanGroup,
    start_ms: i64,
    end_ms: i64,
    pruning: &Pruning,
    derived: &Derived,
) -> Result<DataFrame> {
    let snapshot = &group.snapshot;
    let lo = low_bound(snapshot, start_ms);
    let restrict = Restrict { lo, end_ms, live: &snapshot.live_streams };
    let mut parts: Vec<DataFrame> = Vec::new();
    if !snapshot.batches.is_empty() {
        let memtable = with_derived(ctx.read_batches(snapshot.batches.clone())?, &Stored::default(), derived)?;
        let deleted = !only_live_streams(&snapshot.batches, &snapshot.live_streams);
        parts.push(restrict.apply(memtable, true, deleted)?);
    }
    // One table per set of stored derived columns (a table's files share its schema) and per
    // filter its segments need: most segments lie wholly inside the range and hold only live
    // streams, and then their rows are read unfiltered.
    let mut tables: BTreeMap<(Stored, bool, bool), Vec<SegmentScan>> = BTreeMap::new();
    for segment in plan_segments(group, start_ms, end_ms, pruning).await? {
        let key = (segment.stored.clone(), segment.cut_by_range, segment.deleted_streams);
        tables.entry(key).or_default().push(segment);
    }
    for ((stored, cut, deleted), segments) in &tables {
        let table = ctx.read_table(Arc::new(SegmentTable::new(stored.schema(), segments)?))?;
        parts.push(restrict.apply(with_derived(table, stored, derived)?, *cut, *deleted)?);
    }
    let mut iter = parts.into_iter();
    let Some(mut frame) = iter.next() else {
        return empty_frame(ctx, derived);
    };
    for next in iter {
        frame = frame.union(next)?;
    }
    Ok(frame.select(system_columns(snapshot.group.id, &group.log, derived))?)
}

/// The filters that keep a group's visible rows in a scan's range.
struct Restrict<'a> {
    lo: i64,
    end_ms: i64,
    live: &'a HashMap<StreamId, String>,
}

impl Restrict<'_> {
    /// `frame` restricted to the range (when `cut`) and to live streams (when it holds `deleted` ones).
    fn apply(&self, frame: DataFrame, cut: bool, deleted: bool) -> Result<DataFrame> {
        let mut frame = frame;
        if cut {
            frame =
                frame.filter(col(COL_TIMESTAMP).gt_eq(lit(self.lo)).and(col(COL_TIMESTAMP).lt_eq(lit(self.end_ms))))?;
        }
        if deleted {
            let live = self.live.keys().map(|id| lit(*id)).collect();
            frame = frame.filter(in_list(col(COL_STREAM_ID), live, false))?;
        }
        Ok(frame)
    }
}

/// Whether every row of `batches` belongs to a live stream (a batch is usually one
/// PutLogEvents call: one stream, looked up once).
fn only_live_streams(batches: &[RecordBatch], live: &HashMap<StreamId, String>) -> bool {
    batches.iter().all(|batch| {
        let streams = batch.column(idx::STREAM_ID).as_primitive::<UInt64Type>().values();
        let mut last = None;
        streams.iter().all(|id| {
            if last == Some(*id) {
                return true;
            }
            last = Some(*id);
            live.contains_key(id)
        })
    })
}

fn system_columns(group_id: u64, log: &str, derived: &Derived) -> Vec<datafusion::prelude::Expr> {
    let mut columns = vec![
        col(COL_TIMESTAMP).alias(cols::TS),
        col(COL_MESSAGE).alias(cols::MSG),
        col(COL_STREAM).alias(cols::STREAM),
        col(COL_INGESTION_TIME).alias(cols::INGESTION),
        col(COL_SEQ).alias(cols::SEQ),
        cast(lit(group_id), DataType::UInt64).alias(cols::GROUP),
        lit(log.to_string()).alias(cols::LOG),
    ];
    columns.extend(derived.fields.iter().map(|name| ident(field_columns::internal(name))));
    columns.extend(derived.terms.iter().map(|term| ident(term_columns::internal(term))));
    columns
}

/// A segment a scan reads, and which of its row groups.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentScan {
    pub path: PathBuf,
    pub file_bytes: u64,
    /// Row groups to read (`None`: all of them).
    pub row_groups: Option<Vec<bool>>,
    /// The derived columns the segment stores.
    pub stored: Stored,
    /// Whether some of its rows lie outside the scan's range (they must be filtered out).
    pub cut_by_range: bool,
    /// Whether it holds rows of deleted streams (they must be filtered out).
    pub deleted_streams: bool,
}

impl SegmentScan {
    /// How many row groups are read (`total` when all).
    pub fn selected(&self, total: usize) -> usize {
        self.row_groups.as_ref().map_or(total, |rgs| rgs.iter().filter(|r| **r).count())
    }
}

/// The segments of `group` a scan over `[start_ms, end_ms]` reads: those overlapping the range
/// (and the retention window), minus the files and row groups whose substring index proves that
/// no message contains a clause of `pruning`. Segments without an index are read whole.
pub async fn plan_segments(
    group: &ScanGroup,
    start_ms: i64,
    end_ms: i64,
    pruning: &Pruning,
) -> Result<Vec<SegmentScan>> {
    let lo = low_bound(&group.snapshot, start_ms);
    let live = &group.snapshot.live_streams;
    let segments: Vec<SegmentScan> = group
        .snapshot
        .segments
        .iter()
        .filter(|(_, meta)| meta.max_timestamp >= lo && meta.min_timestamp <= end_ms)
        .map(|(path, meta)| SegmentScan {
            path: path.clone(),
            file_bytes: meta.file_bytes,
            row_groups: None,
            stored: Stored::of(meta),
            cut_by_range: meta.min_timestamp < lo || meta.max_timestamp > end_ms,
            deleted_streams: !meta.stream_ids.iter().all(|s| live.contains_key(s)),
        })
        .collect();
    if pruning.is_empty() || segments.is_empty() {
        return Ok(segments);
    }
    let clauses: Vec<Vec<Needle>> = pruning
        .clauses
        .iter()
        .map(|clause| clause.iter().map(|literal| Needle::new(literal.as_bytes())).collect())
        .collect();
    // Reading an index not cached yet opens the file: off the async threads.
    tokio::task::spawn_blocking(move || segments.into_iter().filter_map(|segment| select(segment, &clauses)).collect())
        .await
        .map_err(|e| QueryError::Execution(format!("segment selection failed: {e}")))
}

/// The segment restricted to the row groups that may hold a row satisfying every clause
/// (`None`: none may).
fn select(segment: SegmentScan, clauses: &[Vec<Needle>]) -> Option<SegmentScan> {
    let Some(index) = segment_index(&segment.path, segment.file_bytes) else {
        return Some(segment);
    };
    let keep: Vec<bool> = (0..index.row_groups())
        .map(|rg| clauses.iter().all(|clause| clause.iter().any(|needle| index.may_contain(rg, needle))))
        .collect();
    if !keep.contains(&true) {
        return None;
    }
    let row_groups = (keep.contains(&false)).then_some(keep);
    Some(SegmentScan { row_groups, ..segment })
}

/// Parquet segments as a table: the scan `read_parquet` builds (the session's Parquet options,
/// its metadata cache, file groups over the target partitions, filters pushed into the scan by
/// the physical optimizer), over known files with their sizes, each restricted to its selected
/// row groups.
#[derive(Debug)]
pub struct SegmentTable {
    schema: SchemaRef,
    files: Vec<PartitionedFile>,
}

impl SegmentTable {
    /// Segments whose files all have (at least the columns of) `schema`.
    pub fn new(schema: SchemaRef, segments: &[SegmentScan]) -> Result<Self> {
        let files = segments
            .iter()
            .map(|segment| {
                let path = std::path::absolute(&segment.path)
                    .map_err(|e| QueryError::Execution(format!("{}: {e}", segment.path.display())))?;
                let location = datafusion::object_store::path::Path::from_absolute_path(&path)
                    .map_err(|e| QueryError::Execution(e.to_string()))?;
                let meta = ObjectMeta {
                    location,
                    last_modified: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                    size: segment.file_bytes,
                    e_tag: None,
                    version: None,
                };
                let file = PartitionedFile::new_from_meta(meta);
                Ok(match &segment.row_groups {
                    Some(keep) => {
                        let mut plan = ParquetAccessPlan::new_all(keep.len());
                        for (rg, _) in keep.iter().enumerate().filter(|(_, k)| !**k) {
                            plan.skip(rg);
                        }
                        file.with_extension(plan)
                    }
                    None => file,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SegmentTable { schema, files })
    }
}

#[async_trait]
impl TableProvider for SegmentTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Like a listing table: filters are offered to the scan (the physical optimizer pushes
    /// them into the Parquet source: statistics, page index, row filters) and applied above it.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let format = ParquetFormat::default().with_options(state.default_table_options().parquet);
        let source = format.file_source(TableSchema::from(Arc::clone(&self.schema)));
        let partitions = state.config().target_partitions().max(1);
        let groups = FileGroup::new(self.files.clone()).split_files(partitions);
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), source)
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        format.create_physical_plan(state, config).await
    }
}
