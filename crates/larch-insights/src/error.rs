//! The error type returned by [`crate::parse`].

use crate::ast::Span;

/// A syntax or semantic error in a Logs Insights query.
///
/// `start`/`end` are **character** offsets (Unicode scalar values, not bytes)
/// into the query string, half-open (`end` is exclusive). They map onto
/// `MalformedQueryException.queryCompileError.location.{startCharOffset,endCharOffset}`.
/// For errors at the very end of the query (e.g. a trailing `|`), the range
/// points at the offending token; for an empty query it is `0..0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (characters {start}..{end})")]
pub struct ParseError {
    /// First character of the offending text.
    pub start: usize,
    /// One past the last character of the offending text.
    pub end: usize,
    /// Human-readable message (AWS wording where it is known).
    pub message: String,
}

impl ParseError {
    /// Builds an error from a **byte** span of `query`, converting it to
    /// character offsets.
    pub fn at(query: &str, span: Span, message: impl Into<String>) -> Self {
        let (start, end) = span.char_range(query);
        ParseError { start, end, message: message.into() }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = ParseError> = std::result::Result<T, E>;
