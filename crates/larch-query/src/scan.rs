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
//! The sources are computed first ([`layout`]: which memtables, which segment files in which
//! class of filtering, numbered as slots), then planned ([`frame_of`]). Their plan leaves
//! ([`crate::leaves`]) hold what they read apart from the plan, so that a cached plan can run
//! over another layout of the same [`Shape`]. Segments are read through [`SegmentTable`], whose
//! leaf builds the same Parquet scan `read_parquet` would (session Parquet options, file groups
//! split over the target partitions, filters pushed into the scan by the physical optimizer),
//! with a `ParquetAccessPlan` per file restricting it to the selected row groups.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, UInt64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::parquet::ParquetAccessPlan;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::logical_expr::{LogicalPlan, TableProviderFilterPushDown, Union};
use datafusion::object_store::ObjectMeta;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{Expr, SessionContext, cast, col, ident, lit};

use larch_storage::field_columns::{field_column_name, position_column_name};
use larch_storage::index::Needle;
use larch_storage::schema::{COL_INGESTION_TIME, COL_MESSAGE, COL_SEQ, COL_STREAM, COL_TIMESTAMP, event_schema, idx};
use larch_storage::term_columns::term_column_name;
use larch_storage::{GroupSnapshot, SegmentMeta, StreamId};

use crate::error::{QueryError, Result};
use crate::field_columns::{self, field_exprs, stored_fields};
use crate::leaves::{FileClass, MemtableExec, ParquetRecipe, RowFilter, SegmentsExec, SlotData};
use crate::prune::Pruning;
use crate::segment_reader::SegmentReaderFactory;
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
#[derive(Debug)]
struct Derived {
    fields: Vec<String>,
    terms: Vec<String>,
}

/// What one source (the memtable, or segments sharing a schema) stores of the derived columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stored {
    /// Discovered fields stored as columns.
    pub fields: Vec<String>,
    /// Discovered fields whose positions in the message are stored.
    pub positions: Vec<String>,
    /// Terms checked for, and those of them stored as columns.
    pub terms_checked: Vec<String>,
    pub term_columns: Vec<String>,
}

impl Stored {
    fn of(meta: &SegmentMeta) -> Stored {
        Stored {
            fields: meta.field_columns.clone(),
            positions: meta.position_columns.clone(),
            terms_checked: meta.terms_checked.clone(),
            term_columns: meta.term_columns.clone(),
        }
    }

    /// What it stores of the derived columns a relation offers: segments that differ only in
    /// columns the query cannot use share a table (and its plan nodes).
    fn relevant(&self, derived: &Derived) -> Stored {
        let keep = |names: &[String], wanted: &[String]| -> Vec<String> {
            names.iter().filter(|n| wanted.contains(n)).cloned().collect()
        };
        Stored {
            fields: keep(&self.fields, &derived.fields),
            positions: keep(&self.positions, &derived.fields),
            terms_checked: keep(&self.terms_checked, &derived.terms),
            term_columns: keep(&self.term_columns, &derived.terms),
        }
    }

    /// A segment's schema: the event columns, its field columns and its term columns.
    fn schema(&self) -> SchemaRef {
        if self.fields.is_empty() && self.positions.is_empty() && self.term_columns.is_empty() {
            return event_schema();
        }
        let mut fields: Vec<Field> = event_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(self.fields.iter().map(|name| Field::new(field_column_name(name), DataType::Utf8, true)));
        fields.extend(self.positions.iter().map(|name| Field::new(position_column_name(name), DataType::UInt32, true)));
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
    let layout = layout(groups, start_ms, end_ms, pruning, mentioned).await?;
    frame_of(ctx, groups, &layout)
}

/// The sources of a base relation and what each reads, numbered: a source's index is the slot
/// of its plan leaf ([`crate::leaves`]).
///
/// The relation is one union of few sources: each group's memtable, and one Parquet table per
/// set of derived columns stored ([`Stored`]) whose files may belong to any of the groups (a
/// file's group id and `@log` are its partition values). Planning and starting a query cost
/// time per source, which a short range over many groups would otherwise pay once per group and
/// segment schema.
#[derive(Debug)]
pub struct Layout {
    derived: Derived,
    slots: Vec<Slot>,
}

#[derive(Debug)]
enum Slot {
    /// The memtable batches of a group (index into the scan's groups).
    Memtable { group: usize, filter: RowFilter },
    /// Segments storing `stored` of the derived columns the relation offers, by class of files.
    Segments { stored: Stored, classes: Vec<FileClass> },
}

/// What the plan over a [`Layout`] depends on besides the data it reads: layouts of equal shape
/// (over the same groups) have the same plan, leaves aside.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shape {
    fields: Vec<String>,
    terms: Vec<String>,
    slots: Vec<SlotShape>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SlotShape {
    Memtable(usize),
    Segments(Stored),
}

impl Layout {
    pub fn shape(&self) -> Shape {
        let slots = self
            .slots
            .iter()
            .map(|slot| match slot {
                Slot::Memtable { group, .. } => SlotShape::Memtable(*group),
                Slot::Segments { stored, .. } => SlotShape::Segments(stored.clone()),
            })
            .collect();
        Shape { fields: self.derived.fields.clone(), terms: self.derived.terms.clone(), slots }
    }

    /// What each slot's leaf reads.
    pub fn data(&self, groups: &[ScanGroup]) -> Vec<SlotData> {
        self.slots
            .iter()
            .map(|slot| match slot {
                Slot::Memtable { group, filter } => {
                    SlotData::Memtable { batches: groups[*group].snapshot.batches.clone(), filter: filter.clone() }
                }
                Slot::Segments { classes, .. } => SlotData::Segments(classes.clone()),
            })
            .collect()
    }
}

/// The [`Layout`] of the groups' events in `[start_ms, end_ms]` (see [`base_frame_pruned`]).
pub async fn layout(
    groups: &[ScanGroup],
    start_ms: i64,
    end_ms: i64,
    pruning: &Pruning,
    mentioned: Option<&str>,
) -> Result<Layout> {
    // Every source offers the same derived columns, so that they union (and a `diff`
    // baseline window, scanned separately over the same groups, gets the same columns too).
    let mut derived = Derived { fields: stored_fields(groups), terms: checked_terms(groups) };
    if let Some(text) = mentioned {
        derived.fields.retain(|name| text.contains(name.as_str()));
        derived.terms.retain(|term| text.contains(term.as_str()));
    }
    let mut slots = Vec::new();
    let mut tables: BTreeMap<Stored, Vec<(SegmentScan, usize)>> = BTreeMap::new();
    for (index, group) in groups.iter().enumerate() {
        let snapshot = &group.snapshot;
        if !snapshot.batches.is_empty() {
            let live = (!only_live_streams(&snapshot.batches, &snapshot.live_streams)).then(|| live_set(snapshot));
            let filter = RowFilter { lo: low_bound(snapshot, start_ms), hi: end_ms, live };
            slots.push(Slot::Memtable { group: index, filter });
        }
        for segment in plan_segments(group, start_ms, end_ms, pruning).await? {
            tables.entry(segment.stored.relevant(&derived)).or_default().push((segment, index));
        }
    }
    for (stored, segments) in tables {
        slots.push(Slot::Segments { stored, classes: file_classes(groups, start_ms, end_ms, segments)? });
    }
    Ok(Layout { derived, slots })
}

/// The base relation over a [`Layout`].
pub fn frame_of(ctx: &SessionContext, groups: &[ScanGroup], layout: &Layout) -> Result<DataFrame> {
    let derived = &layout.derived;
    let parts = layout
        .slots
        .iter()
        .enumerate()
        .map(|(slot, source)| match source {
            Slot::Memtable { group, filter } => memtable_frame(ctx, slot, &groups[*group], filter, derived),
            Slot::Segments { stored, classes } => segment_frame(ctx, slot, stored, classes, derived),
        })
        .collect::<Result<Vec<_>>>()?;
    union_all(ctx, parts, derived)
}

/// A slot's segments by how their rows are filtered: most lie wholly inside the range and hold
/// only live streams (read unfiltered: no per-row predicate costs a whole-range query anything);
/// the others are filtered by their group's bounds, and those holding deleted streams by their
/// group's live streams too (one class per distinct filter: a scan per class costs time).
fn file_classes(
    groups: &[ScanGroup],
    start_ms: i64,
    end_ms: i64,
    segments: Vec<(SegmentScan, usize)>,
) -> Result<Vec<FileClass>> {
    let mut unfiltered = Vec::new();
    // By lower bound, and group when the rows must be of its live streams.
    let mut filtered: BTreeMap<(i64, Option<usize>), Vec<PartitionedFile>> = BTreeMap::new();
    for (segment, index) in segments {
        let group = &groups[index];
        let values = vec![ScalarValue::UInt64(Some(group.snapshot.group.id)), ScalarValue::from(group.log.as_str())];
        let file = partitioned_file(&segment)?.with_partition_values(values);
        if !segment.cut_by_range && !segment.deleted_streams {
            unfiltered.push(file);
            continue;
        }
        let lo = low_bound(&group.snapshot, start_ms);
        filtered.entry((lo, segment.deleted_streams.then_some(index))).or_default().push(file);
    }
    let mut classes = vec![FileClass { filter: None, files: unfiltered }];
    for ((lo, deleted_in), files) in filtered {
        let live = deleted_in.map(|index| live_set(&groups[index].snapshot));
        classes.push(FileClass { filter: Some(RowFilter { lo, hi: end_ms, live }), files });
    }
    Ok(classes)
}

fn live_set(snapshot: &GroupSnapshot) -> Arc<HashSet<StreamId>> {
    Arc::new(snapshot.live_streams.keys().copied().collect())
}

/// One union of `parts` (an empty relation when there are none). Built at once rather than
/// pairwise: nested unions cost the optimizer a flattening pass per level.
fn union_all(ctx: &SessionContext, parts: Vec<DataFrame>, derived: &Derived) -> Result<DataFrame> {
    if parts.len() <= 1 {
        return match parts.into_iter().next() {
            Some(frame) => Ok(frame),
            None => empty_frame(ctx, derived),
        };
    }
    let mut state = None;
    let inputs: Vec<Arc<LogicalPlan>> = parts
        .into_iter()
        .map(|frame| {
            let (frame_state, plan) = frame.into_parts();
            state.get_or_insert(frame_state);
            Arc::new(plan)
        })
        .collect();
    let state = state.unwrap_or_else(|| ctx.state());
    let union = LogicalPlan::Union(Union::try_new_with_loose_types(inputs)?);
    Ok(DataFrame::new(state, union))
}

fn empty_frame(ctx: &SessionContext, derived: &Derived) -> Result<DataFrame> {
    let empty = RecordBatch::new_empty(event_schema());
    let frame = with_derived(ctx.read_batch(empty)?, &Stored::default(), derived, &[])?;
    Ok(frame.select(system_columns(lit(0u64), lit(""), derived))?)
}

/// The event columns of a source that stores `stored` and its columns `keep`, plus every
/// derived column of `derived` as its base-relation column (read, constant, or computed from
/// the message).
fn with_derived(frame: DataFrame, stored: &Stored, derived: &Derived, keep: &[&str]) -> Result<DataFrame> {
    // Sources storing no derived column that the relation lacks are already in shape; the
    // others drop their unused columns here, so that all sources union.
    let extra = stored.fields.len() + stored.positions.len() + stored.term_columns.len();
    if derived.fields.is_empty() && derived.terms.is_empty() && extra == 0 {
        return Ok(frame);
    }
    let mut select: Vec<Expr> = event_schema().fields().iter().map(|f| ident(f.name())).collect();
    select.extend(keep.iter().map(|name| ident(*name)));
    let fields: HashSet<&str> = stored.fields.iter().map(String::as_str).collect();
    let positioned: HashSet<&str> = stored.positions.iter().map(String::as_str).collect();
    select.extend(field_exprs(&fields, &positioned, &derived.fields));
    let checked: HashSet<&str> = stored.terms_checked.iter().map(String::as_str).collect();
    let columns: HashSet<&str> = stored.term_columns.iter().map(String::as_str).collect();
    select.extend(term_exprs(&checked, &columns, &derived.terms));
    Ok(frame.select(select)?)
}

/// The lower time bound of a group's scan: the query start or the retention cutoff.
pub(crate) fn low_bound(snapshot: &GroupSnapshot, start_ms: i64) -> i64 {
    start_ms.max(snapshot.retention_cutoff.unwrap_or(i64::MIN))
}

/// A group's in-memory events in the range.
fn memtable_frame(
    ctx: &SessionContext,
    slot: usize,
    group: &ScanGroup,
    filter: &RowFilter,
    derived: &Derived,
) -> Result<DataFrame> {
    let snapshot = &group.snapshot;
    let table = MemtableTable { slot, batches: snapshot.batches.clone(), filter: filter.clone() };
    let memtable = with_derived(ctx.read_table(Arc::new(table))?, &Stored::default(), derived, &[])?;
    let system = system_columns(cast(lit(snapshot.group.id), DataType::UInt64), lit(group.log.clone()), derived);
    Ok(memtable.select(system)?)
}

/// The segments of one slot as a source of the base relation.
fn segment_frame(
    ctx: &SessionContext,
    slot: usize,
    stored: &Stored,
    classes: &[FileClass],
    derived: &Derived,
) -> Result<DataFrame> {
    let table = SegmentTable::new(slot, stored.schema(), partition_fields(), classes.to_vec());
    let frame = with_derived(ctx.read_table(Arc::new(table))?, stored, derived, &[cols::GROUP, cols::LOG])?;
    Ok(frame.select(system_columns(col(cols::GROUP), col(cols::LOG), derived))?)
}

/// The partition columns of segment tables: a file's group id and `@log`.
fn partition_fields() -> Vec<FieldRef> {
    vec![
        Arc::new(Field::new(cols::GROUP, DataType::UInt64, false)),
        Arc::new(Field::new(cols::LOG, DataType::Utf8, false)),
    ]
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

/// The base relation's columns of a source whose group id and `@log` are `group` and `log`.
fn system_columns(group: Expr, log: Expr, derived: &Derived) -> Vec<Expr> {
    let mut columns = vec![
        col(COL_TIMESTAMP).alias(cols::TS),
        col(COL_MESSAGE).alias(cols::MSG),
        col(COL_STREAM).alias(cols::STREAM),
        col(COL_INGESTION_TIME).alias(cols::INGESTION),
        col(COL_SEQ).alias(cols::SEQ),
        group.alias(cols::GROUP),
        log.alias(cols::LOG),
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
///
/// Of a segment the range cuts, only the row groups whose time range (row groups are time
/// slices) overlaps it are read; its rows are filtered only if one of those is not wholly inside
/// the range. (Splitting it into a filtered and an unfiltered part would open the file twice,
/// which costs more than filtering a row group.)
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
    if (pruning.is_empty() && !segments.iter().any(|s| s.cut_by_range)) || segments.is_empty() {
        return Ok(segments);
    }
    let clauses: Vec<Vec<Needle>> = pruning
        .clauses
        .iter()
        .map(|clause| clause.iter().map(|literal| Needle::new(literal.as_bytes())).collect())
        .collect();
    let select_all = move |segments: Vec<SegmentScan>| {
        segments.into_iter().filter_map(|s| select(s, &clauses, lo, end_ms)).collect()
    };
    // Reading a footer not cached yet opens the file: off the async threads. Cached ones are
    // looked up here (a thread switch each way costs more than the lookups).
    if segments.iter().all(|s| larch_storage::footer::is_cached(&s.path, s.file_bytes)) {
        return Ok(select_all(segments));
    }
    tokio::task::spawn_blocking(move || select_all(segments))
        .await
        .map_err(|e| QueryError::Execution(format!("segment selection failed: {e}")))
}

/// What to read of a segment: the row groups that may hold a row satisfying every clause and,
/// when the range cuts the segment, overlap `[lo, hi]` (none: nothing).
fn select(segment: SegmentScan, clauses: &[Vec<Needle>], lo: i64, hi: i64) -> Option<SegmentScan> {
    let Some(footer) = larch_storage::footer::segment_footer(&segment.path, segment.file_bytes) else {
        return Some(segment);
    };
    let index = footer.index.as_ref().filter(|_| !clauses.is_empty());
    let times = footer.row_group_times.as_ref().filter(|_| segment.cut_by_range);
    let Some(row_groups) = index.map(|i| i.row_groups()).or(times.map(Vec::len)) else { return Some(segment) };
    let may_match = |rg: usize| {
        index.is_none_or(|index| clauses.iter().all(|clause| clause.iter().any(|needle| index.may_contain(rg, needle))))
    };
    let Some(times) = times.filter(|t| t.len() == row_groups) else {
        let keep: Vec<bool> = (0..row_groups).map(may_match).collect();
        return restricted(segment, keep);
    };
    let overlapping: Vec<bool> =
        (0..row_groups).map(|rg| may_match(rg) && times[rg].1 >= lo && times[rg].0 <= hi).collect();
    let inside = |rg: usize| lo <= times[rg].0 && times[rg].1 <= hi;
    let cut_by_range = (0..row_groups).any(|rg| overlapping[rg] && !inside(rg));
    restricted(SegmentScan { cut_by_range, ..segment }, overlapping)
}

/// The segment restricted to the row groups in `keep` (`None` when none is).
fn restricted(segment: SegmentScan, keep: Vec<bool>) -> Option<SegmentScan> {
    if !keep.contains(&true) {
        return None;
    }
    let row_groups = keep.contains(&false).then_some(keep);
    Some(SegmentScan { row_groups, ..segment })
}

/// Parquet segments as a table: scanned by a [`SegmentsExec`] leaf, which builds the scan
/// `read_parquet` would (the session's Parquet options, its metadata cache — holding page
/// indexes too, see `segment_reader` — file groups over the target partitions, filters pushed
/// into the scan by the physical optimizer) over known files with their sizes, each restricted
/// to its selected row groups and with its partition values.
#[derive(Debug)]
pub struct SegmentTable {
    slot: usize,
    /// The files' columns, then the partition columns.
    schema: SchemaRef,
    file_schema: SchemaRef,
    partition_fields: Vec<FieldRef>,
    classes: Vec<FileClass>,
}

impl SegmentTable {
    /// Segments whose files all have (at least the columns of) `file_schema`, each with its
    /// values of the `partition_fields`, read by the leaf of `slot`.
    pub fn new(slot: usize, file_schema: SchemaRef, partition_fields: Vec<FieldRef>, classes: Vec<FileClass>) -> Self {
        let mut fields: Vec<FieldRef> = file_schema.fields().iter().cloned().collect();
        fields.extend(partition_fields.iter().cloned());
        let schema = Arc::new(Schema::new(fields));
        SegmentTable { slot, schema, file_schema, partition_fields, classes }
    }
}

/// A segment as a file of a scan, restricted to its selected row groups.
fn partitioned_file(segment: &SegmentScan) -> Result<PartitionedFile> {
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
    let Some(keep) = &segment.row_groups else { return Ok(file) };
    let mut plan = ParquetAccessPlan::new_all(keep.len());
    for (rg, _) in keep.iter().enumerate().filter(|(_, k)| !**k) {
        plan.skip(rg);
    }
    Ok(file.with_extension(plan))
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
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let table_schema = TableSchema::builder(Arc::clone(&self.file_schema))
            .with_table_partition_cols(self.partition_fields.clone())
            .build();
        // What `ParquetFormat::create_physical_plan` builds, with a reader that caches page
        // indexes along with footers (`segment_reader`).
        let runtime = state.runtime_env();
        let url = ObjectStoreUrl::local_filesystem();
        let readers =
            SegmentReaderFactory::new(runtime.object_store(&url)?, runtime.cache_manager.get_file_metadata_cache());
        let asked = columns_asked(projection, &self.schema);
        let (projection, width) = ParquetRecipe::projection_for(&asked);
        let recipe = ParquetRecipe {
            table_schema,
            options: state.default_table_options().parquet,
            readers: Arc::new(readers),
            partitions: state.config().target_partitions().max(1),
            projection,
            width,
        };
        Ok(Arc::new(SegmentsExec::try_new(self.slot, recipe, self.classes.clone())?))
    }
}

/// A group's memtable batches as a table, scanned by a [`MemtableExec`] leaf.
#[derive(Debug)]
struct MemtableTable {
    slot: usize,
    batches: Vec<RecordBatch>,
    filter: RowFilter,
}

#[async_trait]
impl TableProvider for MemtableTable {
    fn schema(&self) -> SchemaRef {
        event_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let partitions = state.config().target_partitions().max(1);
        let projection = columns_asked(projection, &event_schema());
        let leaf = MemtableExec::try_new(self.slot, projection, self.batches.clone(), self.filter.clone(), partitions)?;
        Ok(Arc::new(leaf))
    }
}

/// The columns a scan is asked for: its projection, or all of `schema`.
fn columns_asked(projection: Option<&Vec<usize>>, schema: &SchemaRef) -> Vec<usize> {
    match projection {
        Some(columns) => columns.clone(),
        None => (0..schema.fields().len()).collect(),
    }
}
