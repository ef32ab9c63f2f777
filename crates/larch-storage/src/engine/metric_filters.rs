//! Metric filters: create-or-replace, list, delete. Only metadata; the API layer validates
//! patterns and transformations before they get here.

use super::{Storage, now_ms};
use crate::catalog::Change;
use crate::error::{Result, StorageError};
use crate::model::{GroupId, MetricFilter, MetricTransformation};

/// A metric filter as requested (the group and creation time are filled in by storage).
#[derive(Debug, Clone)]
pub struct NewMetricFilter {
    pub name: String,
    pub pattern: String,
    pub transformations: Vec<MetricTransformation>,
    pub apply_on_transformed_logs: bool,
    pub field_selection_criteria: Option<String>,
    pub emit_system_field_dimensions: Option<Vec<String>>,
}

impl Storage {
    /// Creates the filter or replaces the group's filter of the same name. A new name beyond
    /// `max_per_group` filters fails with [`StorageError::MetricFilterLimitExceeded`]; the
    /// count check and the write happen under the catalog's writer lock, so concurrent puts
    /// cannot overshoot.
    pub fn put_metric_filter(
        &self,
        account: &str,
        group: &str,
        filter: NewMetricFilter,
        max_per_group: usize,
    ) -> Result<MetricFilter> {
        self.inner.catalog.mutate(|state, _| {
            let group = state.group(account, group).ok_or(StorageError::LogGroupNotFound)?;
            let existing = state.metric_filters.get(&group.id);
            let replaces = existing.is_some_and(|m| m.contains_key(&filter.name));
            if !replaces && existing.map_or(0, |m| m.len()) >= max_per_group {
                return Err(StorageError::MetricFilterLimitExceeded);
            }
            let stored = MetricFilter {
                group_id: group.id,
                name: filter.name,
                pattern: filter.pattern,
                transformations: filter.transformations,
                creation_time: now_ms(),
                apply_on_transformed_logs: filter.apply_on_transformed_logs,
                field_selection_criteria: filter.field_selection_criteria,
                emit_system_field_dimensions: filter.emit_system_field_dimensions,
            };
            Ok((Change { put_metric_filters: vec![stored.clone()], ..Default::default() }, stored))
        })
    }

    /// A group's metric filters in ASCII order of name.
    pub fn metric_filters(&self, group_id: GroupId) -> Vec<MetricFilter> {
        self.inner
            .catalog
            .read()
            .metric_filters
            .get(&group_id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// How many metric filters a group has (DescribeLogGroups' `metricFilterCount`).
    pub fn metric_filter_count(&self, group_id: GroupId) -> usize {
        self.inner.catalog.read().metric_filters.get(&group_id).map_or(0, |m| m.len())
    }

    pub fn delete_metric_filter(&self, account: &str, group: &str, name: &str) -> Result<()> {
        self.inner.catalog.mutate(|state, _| {
            let group = state.group(account, group).ok_or(StorageError::LogGroupNotFound)?;
            if !state.metric_filters.get(&group.id).is_some_and(|m| m.contains_key(name)) {
                return Err(StorageError::MetricFilterNotFound);
            }
            Ok((Change { delete_metric_filters: vec![(group.id, name.to_string())], ..Default::default() }, ()))
        })
    }
}
