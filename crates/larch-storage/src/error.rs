//! The storage crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong below the API layer.
///
/// User-facing conditions (a missing group, a duplicate stream) are variants of their own so the
/// protocol layer can map them to AWS error names; the rest are internal failures.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("The specified log group does not exist.")]
    LogGroupNotFound,
    #[error("The specified log stream does not exist.")]
    LogStreamNotFound,
    #[error("The specified log group already exists")]
    LogGroupAlreadyExists,
    #[error("The specified log stream already exists")]
    LogStreamAlreadyExists,
    #[error("The specified metric filter does not exist.")]
    MetricFilterNotFound,
    /// The group already holds the maximum number of metric filters.
    #[error("Resource limit exceeded.")]
    MetricFilterLimitExceeded,
    #[error("io error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("metadata store: {0}")]
    Catalog(String),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("write-ahead log is closed")]
    WalClosed,
    #[error("write-ahead log failure: {0}")]
    Wal(String),
}

impl StorageError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StorageError::Io { path: path.into(), source }
    }
}

macro_rules! catalog_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self {
                StorageError::Catalog(e.to_string())
            }
        }
    )*};
}
catalog_error_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error
);

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
