//! Per-request context handed to every operation.

use std::sync::Arc;

use crate::state::AppState;

/// Who is calling and where.
#[derive(Clone)]
pub struct RequestContext {
    pub app: Arc<AppState>,
    /// The caller's account (from its access key).
    pub account: String,
    /// The region of the signing scope; ARNs carry it.
    pub region: String,
    pub request_id: String,
}

impl RequestContext {
    /// `arn:aws:logs:{region}:{account}:log-group:{name}`.
    pub fn log_group_arn(&self, name: &str) -> String {
        crate::arn::log_group_arn(&self.region, &self.account, name)
    }
}
