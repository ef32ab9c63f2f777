//! The query crate's one error type.

/// Why a query could not be compiled or run.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query text is wrong: becomes `MalformedQueryException` with `queryCompileError`.
    #[error("{message}")]
    Malformed {
        /// Character offsets into the query.
        start: usize,
        end: usize,
        message: String,
    },
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    NotFound(String),
    #[error("query execution failed: {0}")]
    Execution(String),
}

impl From<datafusion::error::DataFusionError> for QueryError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        QueryError::Execution(e.to_string())
    }
}

impl From<datafusion::arrow::error::ArrowError> for QueryError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        QueryError::Execution(e.to_string())
    }
}

impl From<larch_insights::ParseError> for QueryError {
    fn from(e: larch_insights::ParseError) -> Self {
        QueryError::Malformed { start: e.start, end: e.end, message: e.message }
    }
}

pub type Result<T, E = QueryError> = std::result::Result<T, E>;
