//! Counting the rows that flow past a point of a plan, without a second execution.
//!
//! GetQueryResults reports `recordsMatched`: the events that passed the query's filters (the
//! input of the first `stats`, or the rows before `limit`). Counting them with a separate
//! `count()` plan ran the whole scan, every filter and every field extraction twice. Instead the
//! compiler puts a [`CountRows`] node where the matched rows flow; its physical twin
//! ([`CountRowsExec`]) passes batches through unchanged and adds their row counts to a shared
//! counter that the engine reads once the query has finished.
//!
//! The node is a barrier for limit and predicate pushdown (DataFusion's defaults for extension
//! nodes), so every matched row reaches it, and it asks nothing of its input's columns, so
//! projection pushdown still prunes what later commands do not need.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DFSchemaRef, Result, internal_err};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNode, UserDefinedLogicalNodeCore};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use futures::StreamExt;

/// A counter shared between a plan and whoever reads the count after execution.
#[derive(Debug, Clone, Default)]
pub struct RowCounter(Arc<AtomicU64>);

impl RowCounter {
    pub fn get(&self) -> u64 {
        self.0.load(AtomicOrdering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, AtomicOrdering::Relaxed);
    }
}

/// Logical pass-through node that counts its input rows into `counter`.
#[derive(Debug, Clone)]
pub struct CountRows {
    input: LogicalPlan,
    counter: RowCounter,
}

/// Wraps `plan` in a counting node, below any unlimited sorts and projections at its top:
/// neither changes the number of rows, and a sort must stay next to a following `limit` for
/// DataFusion to turn the pair into a top-k.
pub fn count_rows(plan: LogicalPlan, counter: RowCounter) -> Result<LogicalPlan> {
    match plan {
        LogicalPlan::Sort(sort) if sort.fetch.is_none() => {
            let input = count_rows(Arc::unwrap_or_clone(sort.input), counter)?;
            Ok(LogicalPlan::Sort(datafusion::logical_expr::Sort { input: Arc::new(input), ..sort }))
        }
        LogicalPlan::Projection(projection) => {
            let input = count_rows(Arc::unwrap_or_clone(projection.input), counter)?;
            let projection = datafusion::logical_expr::Projection::try_new(projection.expr, Arc::new(input))?;
            Ok(LogicalPlan::Projection(projection))
        }
        other => Ok(LogicalPlan::Extension(Extension { node: Arc::new(CountRows { input: other, counter }) })),
    }
}

impl PartialEq for CountRows {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.counter.0, &other.counter.0) && self.input == other.input
    }
}
impl Eq for CountRows {}
impl Hash for CountRows {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.counter.0) as usize).hash(state);
        self.input.hash(state);
    }
}
impl PartialOrd for CountRows {
    fn partial_cmp(&self, _other: &Self) -> Option<Ordering> {
        None
    }
}

impl UserDefinedLogicalNodeCore for CountRows {
    fn name(&self) -> &str {
        "CountRows"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }
    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CountRows")
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let Some(input) = inputs.pop() else { return internal_err!("CountRows needs one input") };
        Ok(CountRows { input, counter: self.counter.clone() })
    }
    /// The node reads no column: whatever the parent needs is all the input must produce.
    fn necessary_children_exprs(&self, output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        Some(vec![output_columns.to_vec()])
    }
}

/// Physical pass-through that counts rows.
#[derive(Debug)]
struct CountRowsExec {
    input: Arc<dyn ExecutionPlan>,
    counter: RowCounter,
}

impl DisplayAs for CountRowsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CountRowsExec")
    }
}

impl ExecutionPlan for CountRowsExec {
    fn name(&self) -> &str {
        "CountRowsExec"
    }
    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }
    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }
    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }
    fn with_new_children(self: Arc<Self>, mut children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop() else { return internal_err!("CountRowsExec needs one input") };
        Ok(Arc::new(CountRowsExec { input, counter: self.counter.clone() }))
    }
    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let counter = self.counter.clone();
        let counted = input.map(move |batch| {
            if let Ok(batch) = &batch {
                counter.add(batch.num_rows());
            }
            batch
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, counted)))
    }
}

/// `node` with a new counter, when it is a [`CountRowsExec`]: a cached plan runs again
/// ([`crate::leaves::rebind`]) and its count must not add to the previous run's. Nodes that
/// shared a counter (a plan reading the matched rows twice) share the new one: `renewed` maps
/// old counters to new ones.
pub(crate) fn fresh_counter(
    node: &Arc<dyn ExecutionPlan>,
    renewed: &mut Vec<(RowCounter, RowCounter)>,
) -> Option<Arc<dyn ExecutionPlan>> {
    let count = node.downcast_ref::<CountRowsExec>()?;
    let counter = match renewed.iter().find(|(old, _)| Arc::ptr_eq(&old.0, &count.counter.0)) {
        Some((_, new)) => new.clone(),
        None => {
            let new = RowCounter::default();
            renewed.push((count.counter.clone(), new.clone()));
            new
        }
    };
    Some(Arc::new(CountRowsExec { input: Arc::clone(&count.input), counter }))
}

struct CountRowsPlanner;

#[async_trait]
impl ExtensionPlanner for CountRowsPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _ctx: &datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(count) = node.as_any().downcast_ref::<CountRows>() else { return Ok(None) };
        let [input] = physical_inputs else { return internal_err!("CountRows needs one input") };
        Ok(Some(Arc::new(CountRowsExec { input: Arc::clone(input), counter: count.counter.clone() })))
    }
}

/// The session's query planner: DataFusion's, plus [`CountRows`].
#[derive(Debug)]
pub struct LarchQueryPlanner;

#[async_trait]
impl QueryPlanner for LarchQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session_state: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(CountRowsPlanner)])
            .create_physical_plan(logical_plan, session_state)
            .await
    }
}
