//! The leaves of a query's physical plan: scans that hold what they read — segment files,
//! memtable batches, the time window and the live streams — as data apart from the plan.
//!
//! DataFusion's own scans bake their files and the window's literals into the plan, so a plan
//! serves one snapshot and one window. Planning a short query costs more than running it
//! (~2.4 ms of a ~5.6 ms one-hour query: docs/benchmarks.md, ninth engine session), so larch
//! keeps physical plans (`plan_cache`) and runs them again over another snapshot and
//! window by giving their leaves new data (`rebind`).
//!
//! Each leaf has a *slot*: its position among the sources of the base relation, which
//! [`crate::scan::Layout`] numbers the same way whenever the shape is the same.
//!
//! - [`SegmentsExec`]: Parquet segments, as DataFusion's Parquet scan reads them (it is built at
//!   execution, per class of files). Filters pushed down by the physical optimizer reach an
//!   empty template scan, whose predicate then prunes row groups of the real ones (unless it
//!   reads term columns only, which the substring index covers). Files wholly inside the window
//!   of live streams are read unfiltered; the others are filtered here, by their group's lower
//!   bound and the window's end, and by the group's live streams when a file holds deleted ones.
//!   Which row groups of a file are read was decided before ([`crate::scan::plan_segments`]).
//! - [`MemtableExec`]: a group's in-memory batches, filtered here.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, AsArray, BooleanArray, Int64Array, RecordBatch};
use datafusion::arrow::compute::kernels::cmp::{gt_eq, lt_eq};
use datafusion::arrow::compute::{and, filter_record_batch};
use datafusion::arrow::datatypes::{SchemaRef, UInt64Type};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, internal_err};
use datafusion::config::{ConfigOptions, TableParquetOptions};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfig, FileScanConfigBuilder, ParquetFileReaderFactory, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::{Column, DynamicFilterPhysicalExpr};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::filter_pushdown::{ChildPushdownResult, FilterPushdownPhase, FilterPushdownPropagation};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties,
};
use futures::{StreamExt, stream};
use larch_storage::StreamId;
use larch_storage::schema::idx;
use larch_storage::term_columns::TERM_COLUMN_PREFIX;

use crate::count::{RowCounter, fresh_counter};

/// Which rows of a source a query keeps: `lo <= timestamp <= hi`, of the `live` streams when
/// the source holds rows of deleted ones.
#[derive(Debug, Clone)]
pub struct RowFilter {
    pub lo: i64,
    pub hi: i64,
    pub live: Option<Arc<HashSet<StreamId>>>,
}

impl RowFilter {
    /// The rows of a batch to keep, given its timestamp and stream id columns (`None` when all).
    fn mask(&self, timestamps: &dyn Array, streams: Option<&dyn Array>) -> Result<Option<BooleanArray>> {
        let in_window = and(
            &gt_eq(&timestamps, &Int64Array::new_scalar(self.lo))?,
            &lt_eq(&timestamps, &Int64Array::new_scalar(self.hi))?,
        )?;
        let mask = match (&self.live, streams) {
            (Some(live), Some(streams)) => {
                let streams = streams.as_primitive::<UInt64Type>();
                let of_live: BooleanArray = streams.values().iter().map(|s| Some(live.contains(s))).collect();
                and(&in_window, &of_live)?
            }
            _ => in_window,
        };
        Ok((mask.true_count() < mask.len()).then_some(mask))
    }
}

/// Segment files read alike: unfiltered (`filter` `None`), or filtered by one group's bounds.
#[derive(Debug, Clone)]
pub struct FileClass {
    pub filter: Option<RowFilter>,
    pub files: Vec<PartitionedFile>,
}

/// What one leaf reads in one execution.
#[derive(Debug, Clone)]
pub enum SlotData {
    Segments(Vec<FileClass>),
    Memtable { batches: Vec<RecordBatch>, filter: RowFilter },
}

/// How a [`SegmentsExec`] builds the Parquet scan of a class of files.
#[derive(Debug)]
pub struct ParquetRecipe {
    pub table_schema: TableSchema,
    pub options: TableParquetOptions,
    pub readers: Arc<dyn ParquetFileReaderFactory>,
    pub partitions: usize,
    /// Columns read, as indices of the table schema: those asked for, then the timestamp and
    /// stream id when the filter needs them and they were not.
    pub projection: Vec<usize>,
    /// How many of them the leaf outputs (the ones asked for).
    pub width: usize,
}

impl ParquetRecipe {
    /// The columns read for `asked` (indices of the table schema).
    pub fn projection_for(asked: &[usize]) -> (Vec<usize>, usize) {
        let mut projection = asked.to_vec();
        for needed in [idx::TIMESTAMP, idx::STREAM_ID] {
            if !projection.contains(&needed) {
                projection.push(needed);
            }
        }
        (projection, asked.len())
    }

    fn position(&self, column: usize) -> usize {
        self.projection.iter().position(|c| *c == column).unwrap_or(usize::MAX)
    }

    /// The columns read for rows filtered by `filter`: those asked for, then the timestamp (when
    /// filtered) and the stream id (when filtered by live streams).
    fn columns(&self, filter: Option<&RowFilter>) -> &[usize] {
        match filter {
            None => &self.projection[..self.width],
            Some(RowFilter { live: Some(_), .. }) => &self.projection,
            Some(_) => {
                let ts_added = !self.projection[..self.width].contains(&idx::TIMESTAMP);
                &self.projection[..self.width + usize::from(ts_added)]
            }
        }
    }

    /// A Parquet scan of `files` over `self.partitions` file groups, with `predicate`, reading
    /// the columns `filter` needs.
    fn scan(
        &self,
        files: &[PartitionedFile],
        predicate: Option<Arc<dyn PhysicalExpr>>,
        filter: Option<&RowFilter>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projection = self.columns(filter);
        let mut source = ParquetSource::new(self.table_schema.clone())
            .with_table_parquet_options(self.options.clone())
            .with_parquet_file_reader_factory(Arc::clone(&self.readers));
        if let Some(hint) = self.options.global.metadata_size_hint {
            source = source.with_metadata_size_hint(hint);
        }
        if let Some(predicate) = predicate {
            source = source.with_predicate(predicate);
        }
        let groups = FileGroup::new(files.to_vec()).split_files(self.partitions);
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
            .with_file_groups(groups)
            .with_projection_indices(Some(projection.to_vec()))?
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}

/// The scan of a class of files, and the filter of its rows.
type ClassScan = (Option<RowFilter>, Arc<dyn ExecutionPlan>);

/// Parquet segments of one slot (see the module docs).
#[derive(Debug)]
pub struct SegmentsExec {
    slot: usize,
    recipe: Arc<ParquetRecipe>,
    /// A scan of no file that receives the filters pushed down to this leaf.
    template: Arc<dyn ExecutionPlan>,
    classes: Arc<Vec<FileClass>>,
    properties: Arc<PlanProperties>,
    /// Per class, the scan built at the first execution (and its filter).
    scans: OnceLock<Vec<ClassScan>>,
}

impl SegmentsExec {
    pub fn try_new(slot: usize, recipe: ParquetRecipe, classes: Vec<FileClass>) -> Result<Self> {
        let template = recipe.scan(&[], None, None)?;
        let full = template.schema();
        let schema = Arc::new(full.project(&(0..recipe.width).collect::<Vec<_>>())?);
        let properties = Arc::new(leaf_properties(schema, recipe.partitions));
        Ok(SegmentsExec {
            slot,
            recipe: Arc::new(recipe),
            template,
            classes: Arc::new(classes),
            properties,
            scans: OnceLock::new(),
        })
    }

    /// The same leaf reading `classes`.
    fn with_classes(&self, classes: Vec<FileClass>) -> SegmentsExec {
        self.rebuilt(Arc::clone(&self.template), Arc::new(classes))
    }

    /// The same leaf with `template` and `classes`, not executed yet.
    fn rebuilt(&self, template: Arc<dyn ExecutionPlan>, classes: Arc<Vec<FileClass>>) -> SegmentsExec {
        SegmentsExec {
            slot: self.slot,
            recipe: Arc::clone(&self.recipe),
            template,
            classes,
            properties: Arc::clone(&self.properties),
            scans: OnceLock::new(),
        }
    }

    /// The filters pushed down to this leaf, over its table schema.
    fn pushed_predicate(&self) -> Option<Arc<dyn PhysicalExpr>> {
        let source = self.template.downcast_ref::<DataSourceExec>()?;
        let config = source.data_source().downcast_ref::<FileScanConfig>()?;
        config.file_source().filter()
    }

    /// The pushed-down filters that may prune row groups, if any. Filters on term columns only
    /// are not: a row group whose term column is all false is one whose substring index ruled
    /// the term out already ([`crate::scan::plan_segments`]), and a scan with a predicate pays
    /// for it at every file it opens (pruning predicates built, statistics and page indexes
    /// evaluated: ~30 % of the CPU of a one-hour error count over 12 files).
    fn pruning_predicate(&self) -> Option<Arc<dyn PhysicalExpr>> {
        let predicate = self.pushed_predicate()?;
        let mut only_terms = true;
        let _ = predicate.apply(|e| {
            if let Some(column) = e.downcast_ref::<Column>() {
                only_terms &= column.name().starts_with(TERM_COLUMN_PREFIX);
            }
            // A top-k's bound, whatever it reads now.
            only_terms &= e.downcast_ref::<DynamicFilterPhysicalExpr>().is_none();
            Ok(TreeNodeRecursion::Continue)
        });
        (!only_terms).then_some(predicate)
    }

    /// The scans of the classes of files, their files split over the partitions by byte
    /// ranges as the physical optimizer splits DataFusion's scans.
    fn build_scans(&self, options: &ConfigOptions) -> Result<Vec<ClassScan>> {
        let pushed = self.pruning_predicate();
        self.classes
            .iter()
            .filter(|class| !class.files.is_empty())
            .map(|class| {
                let predicate = pushed.clone();
                let scan = self.recipe.scan(&class.files, predicate, class.filter.as_ref())?;
                let scan = scan.repartitioned(self.recipe.partitions, options)?.unwrap_or(scan);
                Ok((class.filter.clone(), scan))
            })
            .collect()
    }
}

fn leaf_properties(schema: SchemaRef, partitions: usize) -> PlanProperties {
    PlanProperties::new(
        EquivalenceProperties::new(schema),
        Partitioning::UnknownPartitioning(partitions.max(1)),
        EmissionType::Incremental,
        Boundedness::Bounded,
    )
}

impl DisplayAs for SegmentsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let files: usize = self.classes.iter().map(|c| c.files.len()).sum();
        write!(f, "SegmentsExec: slot={}, files={files}, classes={}", self.slot, self.classes.len())?;
        if let Some(predicate) = self.pushed_predicate() {
            write!(f, ", predicate={predicate}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for SegmentsExec {
    fn name(&self) -> &str {
        "SegmentsExec"
    }
    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }
    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        match self.pushed_predicate() {
            Some(predicate) => f(&predicate),
            None => Ok(TreeNodeRecursion::Continue),
        }
    }
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        if !children.is_empty() {
            return internal_err!("SegmentsExec has no children");
        }
        Ok(self)
    }
    fn reset_state(self: Arc<Self>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(self.rebuilt(Arc::clone(&self.template), Arc::clone(&self.classes))))
    }
    /// Like DataSourceExec: the template scan takes the filters (they prune row groups) and
    /// answers which it applies exactly (none, with larch's Parquet options).
    fn handle_child_pushdown_result(
        &self,
        phase: FilterPushdownPhase,
        child_pushdown_result: ChildPushdownResult,
        config: &ConfigOptions,
    ) -> Result<FilterPushdownPropagation<Arc<dyn ExecutionPlan>>> {
        let pushed = self.template.handle_child_pushdown_result(phase, child_pushdown_result, config)?;
        let updated = pushed
            .updated_node
            .map(|template| Arc::new(self.rebuilt(template, Arc::clone(&self.classes))) as Arc<dyn ExecutionPlan>);
        Ok(FilterPushdownPropagation { filters: pushed.filters, updated_node: updated })
    }
    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let scans = match self.scans.get() {
            Some(scans) => scans,
            None => {
                let built = self.build_scans(context.session_config().options())?;
                self.scans.get_or_init(|| built)
            }
        };
        let schema = self.schema();
        let width = self.recipe.width;
        let (ts, stream_id) = (self.recipe.position(idx::TIMESTAMP), self.recipe.position(idx::STREAM_ID));
        let mut streams = Vec::with_capacity(scans.len());
        for (filter, scan) in scans {
            if partition >= scan.output_partitioning().partition_count() {
                continue;
            }
            let filter = filter.clone();
            let batches = scan.execute(partition, Arc::clone(&context))?.map(move |batch| {
                let batch = batch?;
                let batch = match &filter {
                    Some(filter) => keep(batch, filter, ts, filter.live.is_some().then_some(stream_id))?,
                    None => batch,
                };
                narrow(batch, width)
            });
            streams.push(batches);
        }
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream::iter(streams).flatten())))
    }
}

/// `batch`'s rows that `filter` keeps.
fn keep(batch: RecordBatch, filter: &RowFilter, ts: usize, stream_id: Option<usize>) -> Result<RecordBatch> {
    let Some(timestamps) = batch.columns().get(ts) else { return internal_err!("scan lost its timestamp column") };
    let streams = stream_id.and_then(|i| batch.columns().get(i)).map(|c| c.as_ref());
    match filter.mask(timestamps.as_ref(), streams)? {
        Some(mask) => Ok(filter_record_batch(&batch, &mask)?),
        None => Ok(batch),
    }
}

/// `batch` without the columns read only for filtering.
fn narrow(batch: RecordBatch, width: usize) -> Result<RecordBatch> {
    if batch.num_columns() == width {
        return Ok(batch);
    }
    Ok(batch.project(&(0..width).collect::<Vec<_>>())?)
}

/// A group's memtable batches (see the module docs).
#[derive(Debug)]
pub struct MemtableExec {
    slot: usize,
    /// Columns of the event schema output.
    projection: Vec<usize>,
    batches: Arc<Vec<RecordBatch>>,
    filter: RowFilter,
    properties: Arc<PlanProperties>,
    /// The filtered batches as a memory scan, split over the partitions by size as the physical
    /// optimizer splits DataFusion's: built at the first execution.
    scan: OnceLock<Arc<dyn ExecutionPlan>>,
}

impl MemtableExec {
    pub fn try_new(
        slot: usize,
        projection: Vec<usize>,
        batches: Vec<RecordBatch>,
        filter: RowFilter,
        partitions: usize,
    ) -> Result<Self> {
        let schema = Arc::new(larch_storage::schema::event_schema().project(&projection)?);
        let properties = Arc::new(leaf_properties(schema, partitions));
        Ok(MemtableExec { slot, projection, batches: Arc::new(batches), filter, properties, scan: OnceLock::new() })
    }

    /// The same leaf reading `batches` filtered by `filter`, not executed yet.
    fn with_batches(&self, batches: Arc<Vec<RecordBatch>>, filter: RowFilter) -> MemtableExec {
        MemtableExec {
            slot: self.slot,
            projection: self.projection.clone(),
            batches,
            filter,
            properties: Arc::clone(&self.properties),
            scan: OnceLock::new(),
        }
    }

    fn build_scan(&self, options: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        let mut kept = Vec::with_capacity(self.batches.len());
        for batch in self.batches.iter() {
            let batch = keep(batch.clone(), &self.filter, idx::TIMESTAMP, Some(idx::STREAM_ID))?;
            if batch.num_rows() > 0 {
                kept.push(batch.project(&self.projection)?);
            }
        }
        let scan: Arc<dyn ExecutionPlan> = MemorySourceConfig::try_new_exec(&[kept], self.schema(), None)?;
        let partitions = self.properties.output_partitioning().partition_count();
        Ok(scan.repartitioned(partitions, options)?.unwrap_or(scan))
    }
}

impl DisplayAs for MemtableExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "MemtableExec: slot={}, batches={}", self.slot, self.batches.len())
    }
}

impl ExecutionPlan for MemtableExec {
    fn name(&self) -> &str {
        "MemtableExec"
    }
    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }
    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        if !children.is_empty() {
            return internal_err!("MemtableExec has no children");
        }
        Ok(self)
    }
    fn reset_state(self: Arc<Self>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(self.with_batches(Arc::clone(&self.batches), self.filter.clone())))
    }
    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let scan = match self.scan.get() {
            Some(scan) => scan,
            None => {
                let built = self.build_scan(context.session_config().options())?;
                self.scan.get_or_init(|| built)
            }
        };
        if partition >= scan.output_partitioning().partition_count() {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), stream::empty())));
        }
        scan.execute(partition, context)
    }
}

/// `plan` (a cached plan) over new data: each leaf reads its slot of `data`, every other node
/// starts from a fresh state, and the matched-rows counter is a new one (returned; `None` unless
/// the plan has exactly one).
pub(crate) fn rebind(
    plan: &Arc<dyn ExecutionPlan>,
    data: &[SlotData],
) -> Result<(Arc<dyn ExecutionPlan>, Option<RowCounter>)> {
    let mut renewed = Vec::new();
    let bound = Arc::clone(plan)
        .transform_up(|node| {
            if let Some(leaf) = node.downcast_ref::<SegmentsExec>() {
                let Some(SlotData::Segments(classes)) = data.get(leaf.slot) else {
                    return internal_err!("no segments for slot {}", leaf.slot);
                };
                return Ok(Transformed::yes(Arc::new(leaf.with_classes(classes.clone())) as Arc<dyn ExecutionPlan>));
            }
            if let Some(leaf) = node.downcast_ref::<MemtableExec>() {
                let Some(SlotData::Memtable { batches, filter }) = data.get(leaf.slot) else {
                    return internal_err!("no memtable for slot {}", leaf.slot);
                };
                let bound = leaf.with_batches(Arc::new(batches.clone()), filter.clone());
                return Ok(Transformed::yes(Arc::new(bound) as Arc<dyn ExecutionPlan>));
            }
            if let Some(fresh) = fresh_counter(&node, &mut renewed) {
                return Ok(Transformed::yes(fresh));
            }
            Ok(Transformed::yes(node.reset_state()?))
        })?
        .data;
    let counter = match renewed.as_slice() {
        [(_, new)] => Some(new.clone()),
        _ => None,
    };
    Ok((bound, counter))
}

/// `plan` with leaves that hold no data: what a kept plan holds (a memtable's batches or a
/// window's file list would otherwise stay in memory as long as the plan is kept).
pub(crate) fn without_data(plan: &Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    Ok(Arc::clone(plan)
        .transform_up(|node| {
            if let Some(leaf) = node.downcast_ref::<SegmentsExec>() {
                return Ok(Transformed::yes(Arc::new(leaf.with_classes(Vec::new())) as Arc<dyn ExecutionPlan>));
            }
            if let Some(leaf) = node.downcast_ref::<MemtableExec>() {
                let empty = leaf.with_batches(Arc::new(Vec::new()), leaf.filter.clone());
                return Ok(Transformed::yes(Arc::new(empty) as Arc<dyn ExecutionPlan>));
            }
            Ok(Transformed::no(node))
        })?
        .data)
}

/// Whether a plan shares state between executions that [`rebind`] cannot renew: dynamic
/// filters pushed into its scans (a top-k's bound), which the nodes that produce them renew on
/// their side only.
pub(crate) fn has_dynamic_filters(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut found = false;
    let _ = plan.apply(|node| {
        if !node.children().is_empty() {
            return Ok(TreeNodeRecursion::Continue);
        }
        node.apply_expressions(&mut |expr| {
            expr.apply(|e| {
                found |= e.downcast_ref::<DynamicFilterPhysicalExpr>().is_some();
                Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
            })
        })
    });
    found
}
