//! Decides which pattern language a filter pattern uses: the first non-blank character does.

use crate::error::FilterError;

/// A pattern with its kind decided and its outer delimiters removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Classified<'a> {
    /// Empty, blank, or the empty quoted term `""`.
    MatchAll,
    /// The whole (trimmed) pattern.
    Terms(&'a str),
    /// The text between the `%` delimiters.
    Regex(&'a str),
    /// The text between `{` and `}`.
    Json(&'a str),
    /// The text between `[` and `]`.
    Delimited(&'a str),
}

pub(crate) fn classify(pattern: &str) -> Result<Classified<'_>, FilterError> {
    let trimmed = pattern.trim();
    if trimmed.is_empty() || trimmed == "\"\"" {
        return Ok(Classified::MatchAll);
    }
    let inner = || &trimmed[1..trimmed.len() - 1];
    match trimmed.as_bytes()[0] {
        b'{' if trimmed.len() >= 2 && trimmed.ends_with('}') => Ok(Classified::Json(inner())),
        b'{' => Err(FilterError::Unterminated { open: '{', close: '}' }),
        b'[' if trimmed.len() >= 2 && trimmed.ends_with(']') => Ok(Classified::Delimited(inner())),
        b'[' => Err(FilterError::Unterminated { open: '[', close: ']' }),
        // A `%` that does not also close the pattern falls through to the term parser, which
        // rejects it as an invalid character (regexes cannot be mixed with terms).
        b'%' if trimmed.len() >= 2 && trimmed.ends_with('%') => Ok(Classified::Regex(inner())),
        _ => Ok(Classified::Terms(trimmed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_character_decides() {
        assert_eq!(classify("").unwrap(), Classified::MatchAll);
        assert_eq!(classify(" \t ").unwrap(), Classified::MatchAll);
        assert_eq!(classify(" \"\" ").unwrap(), Classified::MatchAll);
        assert_eq!(classify(" { $.a = 1 } ").unwrap(), Classified::Json(" $.a = 1 "));
        assert_eq!(classify("[a, b]").unwrap(), Classified::Delimited("a, b"));
        assert_eq!(classify("%ab%").unwrap(), Classified::Regex("ab"));
        assert_eq!(classify("%").unwrap(), Classified::Terms("%"));
        assert_eq!(classify("ERROR").unwrap(), Classified::Terms("ERROR"));
        assert!(classify("{ $.a = 1").is_err());
        assert!(classify("{").is_err());
        assert!(classify("[a").is_err());
    }
}
