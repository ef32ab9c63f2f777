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
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, UInt64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::parquet::ParquetAccessPlan;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::logical_expr::{LogicalPlan, TableProviderFilterPushDown, Union};
use datafusion::object_store::ObjectMeta;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{Expr, SessionContext, cast, col, ident, in_list, lit};

use larch_storage::field_columns::{field_column_name, position_column_name};
use larch_storage::index::{Needle, segment_index};
use larch_storage::schema::{
    COL_INGESTION_TIME, COL_MESSAGE, COL_SEQ, COL_STREAM, COL_STREAM_ID, COL_TIMESTAMP, event_schema, idx,
};
use larch_storage::term_columns::term_column_name;
use larch_storage::{GroupSnapshot, SegmentMeta, StreamId};

use crate::error::{QueryError, Result};
use crate::field_columns::{self, field_exprs, stored_fields};
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
struct Derived {
    fields: Vec<String>,
    terms: Vec<String>,
}

/// What one source (the memtable, or segments sharing a schema) stores of the derived columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
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
///
/// The relation is one union of few sources: each group's memtable, and one Parquet table per
/// [`TableKey`] whose files may belong to any of the groups (a file's group id and `@log` are
/// its partition values). Planning and starting a query cost time per source, which a short
/// range over many groups would otherwise pay once per group and segment schema.
pub async fn base_frame_pruned(
    ctx: &SessionContext,
    groups: &[ScanGroup],
    start_ms: i64,
    end_ms: i64,
    pruning: &Pruning,
    mentioned: Option<&str>,
) -> Result<DataFrame> {
    // Every source offers the same derived columns, so that they union (and a `diff`
    // baseline window, scanned separately over the same groups, gets the same columns too).
    let mut derived = Derived { fields: stored_fields(groups), terms: checked_terms(groups) };
    if let Some(text) = mentioned {
        derived.fields.retain(|name| text.contains(name.as_str()));
        derived.terms.retain(|term| text.contains(term.as_str()));
    }
    let mut parts: Vec<DataFrame> = Vec::new();
    let mut tables: BTreeMap<TableKey, Vec<(SegmentScan, usize)>> = BTreeMap::new();
    for (index, group) in groups.iter().enumerate() {
        if let Some(memtable) = memtable_frame(ctx, group, start_ms, end_ms, &derived)? {
            parts.push(memtable);
        }
        let lo = low_bound(&group.snapshot, start_ms);
        for segment in plan_segments(group, start_ms, end_ms, pruning).await? {
            let key = TableKey {
                stored: segment.stored.relevant(&derived),
                cut_from: segment.cut_by_range.then_some(lo),
                deleted_in: segment.deleted_streams.then_some(index),
            };
            tables.entry(key).or_default().push((segment, index));
        }
    }
    for (key, segments) in &tables {
        parts.push(segment_frame(ctx, groups, key, segments, end_ms, &derived)?);
    }
    union_all(ctx, parts, &derived)
}

/// What the segments sharing a table have in common: the derived columns they store of those
/// the relation offers (a table's files have at least its schema's columns; Parquet columns
/// outside it are not read) and the filters their rows need. Most segments lie wholly inside
/// the range and hold only live streams: their rows are read unfiltered.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TableKey {
    stored: Stored,
    /// The range cuts them: rows before this bound (or after the range's end) are dropped.
    cut_from: Option<i64>,
    /// They hold rows of streams this group (index into the scan's groups) has deleted.
    deleted_in: Option<usize>,
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

/// A group's in-memory events in the range (`None` when it has none).
fn memtable_frame(
    ctx: &SessionContext,
    group: &ScanGroup,
    start_ms: i64,
    end_ms: i64,
    derived: &Derived,
) -> Result<Option<DataFrame>> {
    let snapshot = &group.snapshot;
    if snapshot.batches.is_empty() {
        return Ok(None);
    }
    let memtable = with_derived(ctx.read_batches(snapshot.batches.clone())?, &Stored::default(), derived, &[])?;
    let mut frame = within(memtable, low_bound(snapshot, start_ms), end_ms)?;
    if !only_live_streams(&snapshot.batches, &snapshot.live_streams) {
        frame = of_streams(frame, &snapshot.live_streams)?;
    }
    let system = system_columns(cast(lit(snapshot.group.id), DataType::UInt64), lit(group.log.clone()), derived);
    Ok(Some(frame.select(system)?))
}

/// The segments of one [`TableKey`] as a source of the base relation.
fn segment_frame(
    ctx: &SessionContext,
    groups: &[ScanGroup],
    key: &TableKey,
    segments: &[(SegmentScan, usize)],
    end_ms: i64,
    derived: &Derived,
) -> Result<DataFrame> {
    let files = segments.iter().map(|(segment, index)| {
        let group = &groups[*index];
        (segment, vec![ScalarValue::UInt64(Some(group.snapshot.group.id)), ScalarValue::from(group.log.as_str())])
    });
    let table = SegmentTable::new(key.stored.schema(), partition_fields(), files)?;
    let mut frame = with_derived(ctx.read_table(Arc::new(table))?, &key.stored, derived, &[cols::GROUP, cols::LOG])?;
    if let Some(lo) = key.cut_from {
        frame = within(frame, lo, end_ms)?;
    }
    if let Some(index) = key.deleted_in {
        frame = of_streams(frame, &groups[index].snapshot.live_streams)?;
    }
    Ok(frame.select(system_columns(col(cols::GROUP), col(cols::LOG), derived))?)
}

/// The partition columns of segment tables: a file's group id and `@log`.
fn partition_fields() -> Vec<FieldRef> {
    vec![
        Arc::new(Field::new(cols::GROUP, DataType::UInt64, false)),
        Arc::new(Field::new(cols::LOG, DataType::Utf8, false)),
    ]
}

/// `frame`'s rows with `lo <= timestamp <= end_ms`.
fn within(frame: DataFrame, lo: i64, end_ms: i64) -> Result<DataFrame> {
    Ok(frame.filter(col(COL_TIMESTAMP).gt_eq(lit(lo)).and(col(COL_TIMESTAMP).lt_eq(lit(end_ms))))?)
}

/// `frame`'s rows of the `live` streams.
fn of_streams(frame: DataFrame, live: &HashMap<StreamId, String>) -> Result<DataFrame> {
    let live = live.keys().map(|id| lit(*id)).collect();
    Ok(frame.filter(in_list(col(COL_STREAM_ID), live, false))?)
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
/// its metadata cache — holding page indexes too, see `segment_reader` — file groups over the
/// target partitions, filters pushed into the scan by the physical optimizer), over known files
/// with their sizes, each restricted to its selected row groups, and with per-file partition
/// values.
#[derive(Debug)]
pub struct SegmentTable {
    /// The files' columns, then the partition columns.
    schema: SchemaRef,
    file_schema: SchemaRef,
    partition_fields: Vec<FieldRef>,
    files: Vec<PartitionedFile>,
}

impl SegmentTable {
    /// Segments whose files all have (at least the columns of) `file_schema`, each with its
    /// values of the `partition_fields`.
    pub fn new<'a>(
        file_schema: SchemaRef,
        partition_fields: Vec<FieldRef>,
        segments: impl IntoIterator<Item = (&'a SegmentScan, Vec<ScalarValue>)>,
    ) -> Result<Self> {
        let files = segments
            .into_iter()
            .map(|(segment, values)| Ok(partitioned_file(segment)?.with_partition_values(values)))
            .collect::<Result<Vec<_>>>()?;
        let mut fields: Vec<FieldRef> = file_schema.fields().iter().cloned().collect();
        fields.extend(partition_fields.iter().cloned());
        let schema = Arc::new(Schema::new(fields));
        Ok(SegmentTable { schema, file_schema, partition_fields, files })
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
        limit: Option<usize>,
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
        let options = state.default_table_options().parquet;
        let size_hint = options.global.metadata_size_hint;
        let mut source = ParquetSource::new(table_schema)
            .with_table_parquet_options(options)
            .with_parquet_file_reader_factory(Arc::new(readers));
        if let Some(hint) = size_hint {
            source = source.with_metadata_size_hint(hint);
        }
        let partitions = state.config().target_partitions().max(1);
        let groups = FileGroup::new(self.files.clone()).split_files(partitions);
        let config = FileScanConfigBuilder::new(url, Arc::new(source))
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}
