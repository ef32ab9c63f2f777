//! PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter.
//!
//! Filters are stored, listed and counted; publishing their metrics on ingest is not done yet.
//!
//! Messages AWS's documentation does not give (chosen here): dimensions on a term/regex
//! pattern, more than 3 dimensions, `defaultValue` together with dimensions, and a dimension
//! value that is not a field reference.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use larch_filter::{FilterPattern, validate_metric_value};
use larch_storage::{MetricFilter, MetricTransformation, NewMetricFilter};

use super::log_groups::take_page;
use super::parse;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::tokens;

const TOKEN_KIND: &str = "metric-filters";
/// Metric filters per log group (AWS quota, not adjustable).
const MAX_FILTERS_PER_GROUP: usize = 100;
const MAX_DIMENSIONS: usize = 3;
const DEFAULT_PAGE: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransformationInput {
    metric_name: String,
    metric_namespace: String,
    metric_value: String,
    default_value: Option<f64>,
    dimensions: Option<BTreeMap<String, String>>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutInput {
    log_group_name: String,
    filter_name: String,
    filter_pattern: String,
    metric_transformations: Vec<TransformationInput>,
    apply_on_transformed_logs: Option<bool>,
    field_selection_criteria: Option<String>,
    emit_system_field_dimensions: Option<Vec<String>>,
}

pub fn put_metric_filter(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: PutInput = parse(input)?;
    let pattern = FilterPattern::parse(&input.filter_pattern)
        .map_err(|e| ApiError::invalid_parameter(e.metric_filter_message()))?;
    let transformations = input
        .metric_transformations
        .into_iter()
        .map(|t| validate_transformation(t, &pattern))
        .collect::<ApiResult<Vec<_>>>()?;
    let filter = NewMetricFilter {
        name: input.filter_name,
        pattern: input.filter_pattern,
        transformations,
        apply_on_transformed_logs: input.apply_on_transformed_logs.unwrap_or(false),
        field_selection_criteria: input.field_selection_criteria,
        emit_system_field_dimensions: input.emit_system_field_dimensions,
    };
    ctx.app.storage.put_metric_filter(&ctx.account, &input.log_group_name, filter, MAX_FILTERS_PER_GROUP)?;
    Ok(json!({}))
}

/// The rules on a transformation the model cannot express.
fn validate_transformation(t: TransformationInput, pattern: &FilterPattern) -> ApiResult<MetricTransformation> {
    validate_metric_value(&t.metric_value).map_err(|e| ApiError::invalid_parameter(e.to_string()))?;
    let dimensions = t.dimensions.filter(|d| !d.is_empty());
    if let Some(dimensions) = &dimensions {
        if !pattern.supports_dimensions() {
            return Err(ApiError::invalid_parameter(
                "Dimensions are only supported for metric filters with JSON or space-delimited filter patterns.",
            ));
        }
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(ApiError::invalid_parameter(format!(
                "A metric filter can have at most {MAX_DIMENSIONS} dimensions."
            )));
        }
        if t.default_value.is_some() {
            return Err(ApiError::invalid_parameter("A metric filter with dimensions cannot have a defaultValue."));
        }
        for value in dimensions.values() {
            // A dimension names a field of the event; a constant would be a metric value.
            if !value.trim_start().starts_with('$') || validate_metric_value(value).is_err() {
                return Err(ApiError::invalid_parameter(format!("Invalid dimension value: '{value}'")));
            }
        }
    }
    Ok(MetricTransformation {
        metric_name: t.metric_name,
        metric_namespace: t.metric_namespace,
        metric_value: t.metric_value,
        default_value: t.default_value,
        dimensions,
        unit: t.unit,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    log_group_name: Option<String>,
    filter_name_prefix: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
    metric_name: Option<String>,
    metric_namespace: Option<String>,
}

pub fn describe_metric_filters(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: DescribeInput = parse(input)?;
    let metric = match (input.metric_name, input.metric_namespace) {
        (Some(name), Some(namespace)) => Some((name, namespace)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(missing_companion("metricNamespace", "metricName", "metricNamespace"));
        }
        (None, Some(_)) => {
            return Err(missing_companion("metricName", "metricNamespace", "metricName"));
        }
    };
    let after = input.next_token.as_deref().map(decode_token).transpose()?;
    // (group name, filter) candidates in page order: by filter name, then group name.
    let mut candidates: Vec<(String, MetricFilter)> = match &input.log_group_name {
        Some(name) => {
            let group = ctx.app.storage.log_group(&ctx.account, name).ok_or_else(ApiError::group_not_found)?;
            // The prefix is only honoured together with a log group (documented).
            let prefix = input.filter_name_prefix.as_deref().unwrap_or("");
            ctx.app
                .storage
                .metric_filters(group.id)
                .into_iter()
                .filter(|f| f.name.starts_with(prefix))
                .map(|f| (group.name.clone(), f))
                .collect()
        }
        None => ctx
            .app
            .storage
            .log_groups(&ctx.account)
            .into_iter()
            .flat_map(|g| ctx.app.storage.metric_filters(g.id).into_iter().map(move |f| (g.name.clone(), f)))
            .collect(),
    };
    candidates.sort_by(|(ga, a), (gb, b)| (&a.name, ga).cmp(&(&b.name, gb)));
    let matching = candidates.into_iter().filter(|(group, f)| {
        metric.as_ref().is_none_or(|(name, namespace)| {
            f.transformations.iter().any(|t| &t.metric_name == name && &t.metric_namespace == namespace)
        }) && after.as_ref().is_none_or(|(a_name, a_group)| (&f.name, group) > (a_name, a_group))
    });
    let (page, more) = take_page(matching, input.limit.unwrap_or(DEFAULT_PAGE));
    let mut out = Map::new();
    out.insert("metricFilters".into(), Value::Array(page.iter().map(|(group, f)| filter_item(group, f)).collect()));
    if more && let Some((group, last)) = page.last() {
        out.insert("nextToken".into(), Value::String(encode_token(&last.name, group)));
    }
    Ok(Value::Object(out))
}

/// `metricName` and `metricNamespace` go together (Coral-style message, as moto words it).
fn missing_companion(missing: &str, given: &str, member: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "1 validation error detected: Value 'null' at '{member}' failed to satisfy constraint: \
         If you include the {given} parameter in your request, you must also include the {missing} parameter."
    ))
}

/// Tokens carry the last (filter name, group name) as a JSON pair: names may hold any byte
/// but `:` and `*`, so no separator character is safe.
fn encode_token(filter: &str, group: &str) -> String {
    tokens::encode(TOKEN_KIND, &json!([filter, group]).to_string())
}

fn decode_token(token: &str) -> ApiResult<(String, String)> {
    let payload = tokens::decode(TOKEN_KIND, token)?;
    serde_json::from_str(&payload).map_err(|_| ApiError::invalid_next_token())
}

/// One DescribeMetricFilters item; optional members only when set (observed).
fn filter_item(group: &str, f: &MetricFilter) -> Value {
    let transformations: Vec<Value> = f
        .transformations
        .iter()
        .map(|t| {
            let mut item = Map::new();
            item.insert("metricName".into(), json!(t.metric_name));
            item.insert("metricNamespace".into(), json!(t.metric_namespace));
            item.insert("metricValue".into(), json!(t.metric_value));
            if let Some(v) = t.default_value {
                item.insert("defaultValue".into(), json!(v));
            }
            if let Some(d) = &t.dimensions {
                item.insert("dimensions".into(), json!(d));
            }
            if let Some(u) = &t.unit {
                item.insert("unit".into(), json!(u));
            }
            Value::Object(item)
        })
        .collect();
    let mut item = Map::new();
    item.insert("filterName".into(), json!(f.name));
    item.insert("filterPattern".into(), json!(f.pattern));
    item.insert("metricTransformations".into(), Value::Array(transformations));
    item.insert("creationTime".into(), json!(f.creation_time));
    item.insert("logGroupName".into(), json!(group));
    item.insert("applyOnTransformedLogs".into(), json!(f.apply_on_transformed_logs));
    if let Some(c) = &f.field_selection_criteria {
        item.insert("fieldSelectionCriteria".into(), json!(c));
    }
    if let Some(e) = &f.emit_system_field_dimensions {
        item.insert("emitSystemFieldDimensions".into(), json!(e));
    }
    Value::Object(item)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    log_group_name: String,
    filter_name: String,
}

pub fn delete_metric_filter(ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: DeleteInput = parse(input)?;
    ctx.app.storage.delete_metric_filter(&ctx.account, &input.log_group_name, &input.filter_name)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestInput {
    filter_pattern: String,
    log_event_messages: Vec<String>,
}

pub fn test_metric_filter(_ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: TestInput = parse(input)?;
    let pattern =
        FilterPattern::parse(&input.filter_pattern).map_err(|e| ApiError::invalid_parameter(e.to_string()))?;
    let matches: Vec<Value> = input
        .log_event_messages
        .iter()
        .enumerate()
        .filter_map(|(i, message)| {
            let extracted = pattern.evaluate(message)?;
            Some(json!({"eventNumber": i + 1, "eventMessage": message, "extractedValues": extracted.values}))
        })
        .collect();
    Ok(json!({ "matches": matches }))
}
