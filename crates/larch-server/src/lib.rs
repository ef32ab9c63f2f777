//! larch's protocol layer: the AWS CloudWatch Logs API (AWS JSON 1.1 over HTTP).
//!
//! Every request is `POST /` with `X-Amz-Target: Logs_20140328.<Operation>`. The router
//! authenticates it (SigV4), parses and validates the body against the service model
//! ([`model`]), dispatches to the operation ([`dispatch`], [`ops`]), and renders the result or
//! the error in AWS's shape ([`error`]), with `x-amzn-RequestId` on every answer.
//!
//! # Layout
//! - [`http`]: the axum router, body limits, response rendering; `/health`, `/metrics`.
//! - [`auth`]: SigV4 verification against [`keys`] (or accept-any-key mode).
//! - [`model`]: the embedded botocore model and the validation it drives.
//! - [`dispatch`]: operation name → implementation; query operations go to
//!   [`query_service::QueryOperations`], implemented by the query engine crate.
//! - [`ops`]: one module per group of operations.
//! - [`error`]: [`ApiError`], the single mapping to AWS `__type` names and HTTP statuses.
//! - [`tls`]: HTTPS with rustls.
//! - [`tokens`], [`arn`]: pagination tokens and ARNs.

pub mod arn;
pub mod auth;
pub mod context;
pub mod dispatch;
pub mod error;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod query_service;
pub mod state;
pub mod tls;
pub mod tokens;

pub use context::RequestContext;
pub use error::{ApiError, ApiResult};
pub use query_service::{OperationFuture, QueryOperations};
pub use state::{AppState, AuthMode};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// Serves the API on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
