//! Physical plans kept per query shape, so that a query asked again — a dashboard refreshing,
//! a window sliding — skips planning, which costs more than running a short query.
//!
//! A plan's leaves hold the data they read apart from the plan ([`crate::leaves`]), so a plan
//! serves every query with the same text, limit and log groups whose sources have the same
//! [`Shape`] (which memtables, which sets of stored columns), whatever its window and the
//! segments in it: [`crate::leaves::rebind`] gives the leaves the new query's data.
//!
//! Not kept: plans holding the window or the start time as literals (`queryStartTime()`,
//! `now()`, ...), plans with dynamic filters in their scans (a top-k's bound; none reach them
//! today, the `CountRows` node below a top-k stops filter pushdown),
//! and plans counting matched rows with a second plan; queries with `lookup` or `diff` are not
//! looked up at all.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use datafusion::physical_plan::ExecutionPlan;

use crate::compile::OutputColumn;
use crate::scan::Shape;

/// What a query's plan depends on besides its window and data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PlanKey {
    pub data_dir: PathBuf,
    pub query: String,
    pub default_limit: usize,
    /// The log groups (id, `account:name`), in the query's order.
    pub groups: Vec<(u64, String)>,
    pub shape: Shape,
}

/// A kept plan and how its rows render.
pub(crate) struct Template {
    pub plan: Arc<dyn ExecutionPlan>,
    pub output: Vec<OutputColumn>,
    pub aggregated: bool,
}

/// Plans kept at most: a dashboard's panels times a few shapes each.
const CAPACITY: usize = 256;

struct Cache {
    entries: HashMap<PlanKey, (Arc<Template>, u64)>,
    /// Incremented at every use: the entry used longest ago is evicted first.
    clock: u64,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(Cache { entries: HashMap::new(), clock: 0 }));

static HITS: AtomicU64 = AtomicU64::new(0);

/// How many queries have run a kept plan since the process started.
pub fn hits() -> u64 {
    HITS.load(Ordering::Relaxed)
}

pub(crate) fn record_hit() {
    HITS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn get(key: &PlanKey) -> Option<Arc<Template>> {
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    cache.clock += 1;
    let clock = cache.clock;
    let (template, used) = cache.entries.get_mut(key)?;
    *used = clock;
    Some(Arc::clone(template))
}

pub(crate) fn insert(key: PlanKey, template: Template) {
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if cache.entries.len() >= CAPACITY
        && let Some(oldest) = cache.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone())
    {
        cache.entries.remove(&oldest);
    }
    cache.clock += 1;
    let clock = cache.clock;
    cache.entries.insert(key, (Arc::new(template), clock));
}
