//! The one place where failures become AWS JSON 1.1 error responses.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use larch_storage::StorageError;

/// An error answered to the client as `{"__type": code, "message": ...}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    pub status: StatusCode,
    /// Extra members some errors carry (e.g. `queryCompileError`, `resourceName`).
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(code: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), status, extra: Map::new() }
    }

    pub fn with_member(mut self, name: &str, value: Value) -> Self {
        self.extra.insert(name.to_string(), value);
        self
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", StatusCode::BAD_REQUEST, message)
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", StatusCode::BAD_REQUEST, message)
    }
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new("ResourceAlreadyExistsException", StatusCode::BAD_REQUEST, message)
    }
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new("LimitExceededException", StatusCode::BAD_REQUEST, message)
    }
    pub fn invalid_operation(message: impl Into<String>) -> Self {
        Self::new("InvalidOperationException", StatusCode::BAD_REQUEST, message)
    }
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", StatusCode::BAD_REQUEST, message)
    }
    pub fn unknown_operation(message: impl Into<String>) -> Self {
        Self::new("UnknownOperationException", StatusCode::BAD_REQUEST, message)
    }
    pub fn malformed_query(message: impl Into<String>) -> Self {
        Self::new("MalformedQueryException", StatusCode::BAD_REQUEST, message)
    }
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new("ServiceUnavailableException", StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    pub fn group_not_found() -> Self {
        Self::not_found("The specified log group does not exist.")
    }
    pub fn stream_not_found() -> Self {
        Self::not_found("The specified log stream does not exist.")
    }
    pub fn invalid_next_token() -> Self {
        Self::invalid_parameter("The specified nextToken is invalid.")
    }

    /// The JSON body of the response.
    pub fn body(&self) -> Value {
        let mut body = self.extra.clone();
        body.insert("__type".into(), Value::String(self.code.to_string()));
        body.insert("message".into(), Value::String(self.message.clone()));
        Value::Object(body)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::LogGroupNotFound => ApiError::group_not_found(),
            StorageError::LogStreamNotFound => ApiError::stream_not_found(),
            StorageError::MetricFilterNotFound => ApiError::not_found(e.to_string()),
            StorageError::MetricFilterLimitExceeded => ApiError::limit_exceeded(e.to_string()),
            StorageError::LogGroupAlreadyExists | StorageError::LogStreamAlreadyExists => {
                ApiError::already_exists(e.to_string())
            }
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::service_unavailable("The service cannot complete the request.")
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
