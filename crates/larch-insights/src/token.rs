//! Tokens produced by the [`crate::lexer`].

use crate::ast::{Number, Span};
use crate::duration::Duration;

/// One lexical token with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What was lexed.
    pub kind: TokenKind,
    /// Byte range in the query.
    pub span: Span,
}

/// Token kinds. Keywords are not separate kinds: they are [`TokenKind::Ident`]
/// tokens recognised case-insensitively by the parser where a keyword is
/// expected (soft keywords), unless written with backticks.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A field name / keyword / function name. `segments` are the
    /// dot-separated parts (`a.b.0.c` → `["a","b","0","c"]`, backticks
    /// removed); `quoted` is true when any part was backticked.
    Ident {
        /// Dot-separated parts, backticks removed.
        segments: Vec<String>,
        /// True if any part used backticks.
        quoted: bool,
    },
    /// `'…'` or `"…"` with escapes resolved.
    Str(String),
    /// `/…/` regex literal (only lexed where a regex may start).
    Regex(String),
    /// Integer or decimal literal.
    Number(Number),
    /// `5m`, `1h` …
    Duration(Duration),
    /// `|`
    Pipe,
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `:`
    Colon,
    /// `.` (only when not part of an identifier or number)
    Dot,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/` (division; see [`TokenKind::Regex`])
    Slash,
    /// `%`
    Percent,
    /// `^`
    Caret,
    /// `=`
    Eq,
    /// `==` (accepted as `=` [U])
    EqEq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~`
    RegexMatch,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// The keyword text if this is a plain (unquoted, undotted) identifier.
    pub fn word(&self) -> Option<&str> {
        match self {
            TokenKind::Ident { segments, quoted } if !quoted && segments.len() == 1 => Some(&segments[0]),
            _ => None,
        }
    }

    /// True if this is the plain identifier `kw` (ASCII case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        self.word().is_some_and(|w| w.eq_ignore_ascii_case(kw))
    }
}

impl Token {
    /// A short description for error messages, e.g. `'|'` or `end of query`.
    pub fn describe(&self, src: &str) -> String {
        match self.kind {
            TokenKind::Eof => "end of query".to_string(),
            _ => {
                let text = self.span.text(src);
                let short: String = text.chars().take(40).collect();
                if short.len() < text.len() { format!("'{short}…'") } else { format!("'{short}'") }
            }
        }
    }
}
