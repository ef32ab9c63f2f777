//! Shared server state.

use std::sync::Arc;

use larch_sigv4::Verifier;
use larch_storage::Storage;

use crate::keys::KeyStore;
use crate::metrics::Metrics;
use crate::query_service::QueryOperations;

/// How requests are authenticated.
pub enum AuthMode {
    /// Every request must carry a valid SigV4 signature from a known key.
    SigV4,
    /// Accept any signature (throw-away local setups); requests act as `account`.
    AcceptAnyKey { account: String },
}

/// Everything a request handler can reach.
pub struct AppState {
    pub storage: Storage,
    pub keys: KeyStore,
    pub auth: AuthMode,
    pub verifier: Verifier,
    pub metrics: Metrics,
    /// Insights and query-definition operations, provided by the query engine crate.
    pub queries: Option<Arc<dyn QueryOperations>>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
}
