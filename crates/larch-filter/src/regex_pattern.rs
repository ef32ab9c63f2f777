//! `%regex%` support: AWS's restricted regex alphabet, translated to the `regex` crate.
//!
//! AWS documents the alphabet as: ASCII letters and digits; the symbols `_ # = @ / ; , - :`;
//! the operators `^ $ ? [ ] { } | \ * + .`; no parentheses, no multi-byte characters.
//! The `regex` crate guarantees linear-time matching, so no pattern can stall ingestion.

use crate::error::FilterError;
use crate::lexer::first_invalid_run;

/// Upper bound on the compiled program, so a 1 KB pattern such as `a{999}{999}` is rejected at
/// parse time instead of eating memory.
const COMPILED_SIZE_LIMIT: usize = 1 << 20;

/// A validated, compiled `%regex%`.
#[derive(Debug, Clone)]
pub(crate) struct AwsRegex {
    regex: regex::Regex,
}

impl AwsRegex {
    /// Validates `body` (the text between the `%` delimiters) and compiles it.
    pub(crate) fn compile(body: &str) -> Result<Self, FilterError> {
        if body.is_empty() {
            return Err(FilterError::invalid("empty %regex%"));
        }
        if let Some(term) = first_invalid_run(body, is_regex_char) {
            return Err(FilterError::InvalidCharacters { term });
        }
        let translated = translate(body);
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(COMPILED_SIZE_LIMIT)
            .dfa_size_limit(COMPILED_SIZE_LIMIT)
            .build()
            .map_err(|error| FilterError::invalid(format!("invalid regex: {error}")))?;
        Ok(AwsRegex { regex })
    }

    /// Unanchored search, as AWS does (anchor with `^`/`$` explicitly).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// AWS's regex alphabet. The space is not in the documented list; it is accepted here (see the
/// crate docs, `## Decisions`) because AWS's own examples and users rely on it.
fn is_regex_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '_' | '#'
                | '='
                | '@'
                | '/'
                | ';'
                | ','
                | '-'
                | ':'
                | ' '
                | '^'
                | '$'
                | '?'
                | '['
                | ']'
                | '{'
                | '}'
                | '|'
                | '\\'
                | '*'
                | '+'
                | '.'
        )
}

/// Rewrites the shorthand classes to their ASCII meaning (AWS's engine is Java-like, where
/// `\d`, `\w`, `\s` are ASCII-only; the `regex` crate would make them Unicode-aware).
/// Everything else is passed through: the two dialects agree on the remaining alphabet.
fn translate(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 16);
    let mut class_depth = 0usize;
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    // A trailing backslash: keep it so the regex compiler reports the error.
                    out.push('\\');
                    break;
                };
                let ascii_class = match escaped {
                    'd' => Some("digit"),
                    'D' => Some("^digit"),
                    'w' => Some("word"),
                    'W' => Some("^word"),
                    's' => Some("space"),
                    'S' => Some("^space"),
                    _ => None,
                };
                match ascii_class {
                    Some(name) if class_depth > 0 => {
                        out.push_str("[:");
                        out.push_str(name);
                        out.push_str(":]");
                    }
                    Some(name) => {
                        out.push_str("[[:");
                        out.push_str(name);
                        out.push_str(":]]");
                    }
                    None => {
                        out.push('\\');
                        out.push(escaped);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_classes_are_ascii() {
        let digits = AwsRegex::compile(r"^\d+$").unwrap();
        assert!(digits.is_match("123"));
        assert!(!digits.is_match("١٢٣")); // Arabic-Indic digits are not `\d` in Java
        let class = AwsRegex::compile(r"^[\w-]+$").unwrap();
        assert!(class.is_match("a-b_c"));
        assert!(!class.is_match("é"));
        let negated = AwsRegex::compile(r"^\S+$").unwrap();
        assert!(negated.is_match("abc"));
        assert!(!negated.is_match("a b"));
    }

    #[test]
    fn parentheses_and_unlisted_symbols_are_rejected() {
        assert_eq!(AwsRegex::compile("a(b)").unwrap_err(), FilterError::InvalidCharacters { term: "(".into() });
        assert_eq!(AwsRegex::compile("something!").unwrap_err(), FilterError::InvalidCharacters { term: "!".into() });
        assert!(AwsRegex::compile("é").is_err());
        assert!(AwsRegex::compile(r"\x28x\x29").is_ok());
    }

    #[test]
    fn broken_and_huge_regexes_are_errors_not_panics() {
        assert!(AwsRegex::compile("a{").is_err());
        assert!(AwsRegex::compile("[a").is_err());
        assert!(AwsRegex::compile("\\").is_err());
        assert!(AwsRegex::compile("a{1000}{1000}").is_err());
        assert!(AwsRegex::compile(r"\1").is_err());
    }
}
