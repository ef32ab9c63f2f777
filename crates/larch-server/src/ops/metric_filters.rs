//! TestMetricFilter (metric filters themselves come with the monitoring work).

use serde::Deserialize;
use serde_json::{Value, json};

use larch_filter::FilterPattern;

use super::parse;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    filter_pattern: String,
    log_event_messages: Vec<String>,
}

pub fn test_metric_filter(_ctx: &RequestContext, input: Value) -> ApiResult<Value> {
    let input: Input = parse(input)?;
    let pattern = FilterPattern::parse(&input.filter_pattern).map_err(|e| ApiError::invalid_parameter(e.to_string()))?;
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
