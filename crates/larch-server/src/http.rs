//! HTTP front: `POST /` (AWS JSON 1.1), `GET /health`, `GET /metrics`.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::auth::authenticate;
use crate::context::RequestContext;
use crate::dispatch::dispatch;
use crate::error::ApiError;
use crate::model;
use crate::state::AppState;

const TARGET_PREFIX: &str = "Logs_20140328.";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The router serving the whole API.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .fallback(api)
        .with_state(state)
}

async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let body = app.metrics.render(&app.storage);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn api(State(app): State<Arc<AppState>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .unwrap_or("")
        .to_string();
    let result = async {
        if parts.method != Method::POST {
            return Err(ApiError::new(
                "UnknownOperationException",
                StatusCode::NOT_FOUND,
                "Only POST / is served by the API.",
            ));
        }
        let body =
            axum::body::to_bytes(body, app.max_body_bytes).await.map_err(|e| body_error(&e, app.max_body_bytes))?;
        let query = parts.uri.query().unwrap_or("");
        let headers = with_host_header(&parts);
        let (account, region) = authenticate(&app, &parts.method, parts.uri.path(), query, &headers, &body)?;
        let ctx = RequestContext { app: Arc::clone(&app), account, region, request_id: request_id.clone() };
        handle(&ctx, &parts.headers, &operation, &body).await
    }
    .await;
    let status = result.as_ref().map(|_| StatusCode::OK).unwrap_or_else(|e| e.status);
    let label = if model::has_operation(&operation) { operation.as_str() } else { "unknown" };
    app.metrics.record_request(label, status.as_u16());
    respond(result, &request_id)
}

async fn handle(ctx: &RequestContext, headers: &HeaderMap, operation: &str, body: &Bytes) -> Result<Value, ApiError> {
    if headers.get("x-amz-target").is_none() {
        return Err(ApiError::unknown_operation("Missing X-Amz-Target header."));
    }
    if !model::has_operation(operation) {
        let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
        return Err(ApiError::unknown_operation(format!("Operation {target} is not known to CloudWatch Logs.")));
    }
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::serialization(format!("Malformed JSON request body: {e}")))?
    };
    if !input.is_object() {
        return Err(ApiError::serialization("The request body must be a JSON object."));
    }
    model::validate_input(operation, &input)?;
    let started = std::time::Instant::now();
    let result = dispatch(ctx, operation, input).await;
    tracing::debug!(operation, account = %ctx.account, elapsed_us = started.elapsed().as_micros() as u64, ok = result.is_ok(), "request");
    result
}

/// A body that could not be read: too large (413), or cut off / malformed on the wire (400).
fn body_error(error: &axum::Error, max: usize) -> ApiError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return ApiError::new(
                "RequestEntityTooLargeException",
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Request body exceeds the maximum of {max} bytes."),
            );
        }
        source = e.source();
    }
    ApiError::serialization(format!("Could not read the request body: {error}"))
}

/// HTTP/2 carries the host as `:authority` (in the URI), but SigV4 signs it as `host`.
fn with_host_header(parts: &axum::http::request::Parts) -> std::borrow::Cow<'_, HeaderMap> {
    if parts.headers.contains_key(header::HOST) {
        return std::borrow::Cow::Borrowed(&parts.headers);
    }
    let mut headers = parts.headers.clone();
    if let Some(value) = parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()) {
        headers.insert(header::HOST, value);
    }
    std::borrow::Cow::Owned(headers)
}

fn respond(result: Result<Value, ApiError>, request_id: &str) -> Response {
    let (status, body, error_type) = match result {
        Ok(value) => (StatusCode::OK, value, None),
        Err(e) => {
            if e.status.is_server_error() {
                tracing::warn!(code = e.code, message = %e.message, "request failed");
            }
            (e.status, e.body(), Some(e.code))
        }
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Some(code) = error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(code));
    }
    response
}
