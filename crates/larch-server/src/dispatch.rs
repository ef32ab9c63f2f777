//! Routes an operation name to its implementation.

use serde_json::Value;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::ops;

pub async fn dispatch(ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError> {
    match operation {
        "CreateLogGroup" => ops::log_groups::create(ctx, input),
        "DeleteLogGroup" => ops::log_groups::delete(ctx, input),
        "DescribeLogGroups" => ops::log_groups::describe(ctx, input),
        "ListLogGroups" => ops::log_groups::list(ctx, input),
        "CreateLogStream" => ops::log_streams::create(ctx, input),
        "DeleteLogStream" => ops::log_streams::delete(ctx, input),
        "DescribeLogStreams" => ops::log_streams::describe(ctx, input),
        "PutLogEvents" => ops::put_events::put_log_events(ctx, input).await,
        "GetLogEvents" => ops::get_events::get_log_events(ctx, input).await,
        "FilterLogEvents" => ops::filter_events::filter_log_events(ctx, input).await,
        "PutRetentionPolicy" => ops::retention::put(ctx, input),
        "DeleteRetentionPolicy" => ops::retention::delete(ctx, input),
        "TagResource" => ops::tags::tag_resource(ctx, input),
        "UntagResource" => ops::tags::untag_resource(ctx, input),
        "ListTagsForResource" => ops::tags::list_tags_for_resource(ctx, input),
        "TagLogGroup" => ops::tags::tag_log_group(ctx, input),
        "UntagLogGroup" => ops::tags::untag_log_group(ctx, input),
        "ListTagsLogGroup" => ops::tags::list_tags_log_group(ctx, input),
        "TestMetricFilter" => ops::metric_filters::test_metric_filter(ctx, input),
        "PutMetricFilter" => ops::metric_filters::put_metric_filter(ctx, input),
        "DescribeMetricFilters" => ops::metric_filters::describe_metric_filters(ctx, input),
        "DeleteMetricFilter" => ops::metric_filters::delete_metric_filter(ctx, input),
        other => {
            if let Some(queries) = &ctx.app.queries
                && queries.operations().contains(&other)
            {
                return queries.call(ctx, other, input).await;
            }
            Err(ApiError::invalid_operation(format!("The operation {other} is not supported by larch yet.")))
        }
    }
}
