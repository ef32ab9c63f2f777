//! The crate's single error type.
//!
//! `Display` is the message the server puts into its `InvalidParameterException`, so the texts
//! below are AWS's own wording wherever it is known (see the crate docs, `## Decisions`, for the
//! ones that had to be chosen).

/// Why a filter pattern (or a metric value reference) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The pattern is longer than the API's 1024-character limit.
    #[error(
        "1 validation error detected: Value '{pattern}' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024"
    )]
    TooLong {
        /// The rejected pattern, echoed like AWS's validation messages do.
        pattern: String,
    },

    /// A character outside the allowed alphabet of a term, value or regex (AWS's wording).
    #[error("Invalid character(s) in term '{term}'")]
    InvalidCharacters {
        /// The offending characters (the first run of them).
        term: String,
    },

    /// `{…` without the closing `}` or `[…` without the closing `]` (AWS's wording).
    #[error("If a filter pattern starts with '{open}' it must end with '{close}'")]
    Unterminated {
        /// `{` or `[`.
        open: char,
        /// `}` or `]`.
        close: char,
    },

    /// More `%regex%` uses than AWS's limit of 2 per filter pattern.
    #[error("Invalid filter pattern: a filter pattern can contain at most 2 regular expressions")]
    TooManyRegexes {
        /// How many were found.
        count: usize,
    },

    /// Any other syntax error. AWS answers these with the bare text "Invalid filter pattern";
    /// `reason` keeps the detail for logs and tests without changing the client-visible text.
    #[error("Invalid filter pattern")]
    Invalid {
        /// Human-readable detail (not part of `Display`).
        reason: String,
    },

    /// A metric transformation `metricValue` / dimension value that is neither a number nor a
    /// `$field` / `$.selector` reference.
    #[error("Invalid metric value: '{reference}'")]
    InvalidMetricValue {
        /// The rejected reference.
        reference: String,
    },
}

impl FilterError {
    /// Shorthand for [`FilterError::Invalid`].
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        FilterError::Invalid { reason: reason.into() }
    }

    /// The detail behind a generic "Invalid filter pattern", if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            FilterError::Invalid { reason } => Some(reason),
            _ => None,
        }
    }

    /// The message as `PutMetricFilter` words it: AWS says "Invalid metric filter pattern" where
    /// FilterLogEvents says "Invalid filter pattern"; every other message is the same.
    pub fn metric_filter_message(&self) -> String {
        match self {
            FilterError::Invalid { .. } => "Invalid metric filter pattern".to_string(),
            other => other.to_string(),
        }
    }
}
