//! The seam between the protocol layer and the query engine.
//!
//! The query engine (DataFusion) lives in its own crate so that this crate builds and tests
//! without it; the binary plugs it in through this trait.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::context::RequestContext;
use crate::error::ApiError;

pub type OperationFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send + 'a>>;

/// Operations answered by the query engine (StartQuery, GetQueryResults, ...).
pub trait QueryOperations: Send + Sync {
    /// Names of the operations this implementation answers.
    fn operations(&self) -> &'static [&'static str];
    /// Runs one of [`operations`](Self::operations) on an already model-validated input.
    fn call<'a>(&'a self, ctx: &'a RequestContext, operation: &'a str, input: Value) -> OperationFuture<'a>;
}
