//! Hand-written lexer.
//!
//! The lexer is *stateless and positional*: [`Lexer::token_at`] lexes one
//! token starting at a byte offset. The parser tells it whether a `/` may
//! start a regex literal (`regex_ok`): that is the case in operand position
//! (after `like`, `=~`, `not like`, at the start of an expression) and in
//! `parse [field] /re/`; everywhere else `/` is division. This is how the
//! regex-vs-division ambiguity of the language is resolved.
//!
//! Rules:
//! * whitespace (incl. newlines) separates tokens; `#` starts a comment to
//!   end of line (outside string/regex/backtick literals);
//! * identifiers: a first char that is a letter, `_` or `@`, then letters,
//!   digits, `_`, `@`; dot-joined segments form one token (`a.b.0.c`,
//!   `@entity.KeyAttributes.Type`); a segment may be backticked
//!   (`` `user-agent` ``, `` m.`key-with-dash` ``);
//! * numbers: `12`, `1.5`, `.5`, `1e3`; an integer directly followed by a
//!   duration unit is a duration (`5m`); a digit-leading word that is
//!   neither (e.g. `2xx`) is lexed as an identifier [U];
//! * strings `'…'`/`"…"`: escapes `\\ \' \" \n \t \r \0`; any other
//!   backslash sequence is kept verbatim (so `"\d+"` stays `\d+`) [U];
//! * regex `/…/`: `\/` becomes `/`, other escapes are kept verbatim; may span
//!   lines.

use crate::ast::{Number, Span};
use crate::duration::{Duration, DurationUnit};
use crate::error::{ParseError, Result};
use crate::token::{Token, TokenKind};

/// Lexer over a query string.
#[derive(Debug, Clone, Copy)]
pub struct Lexer<'a> {
    src: &'a str,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '@'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '@'
}

impl<'a> Lexer<'a> {
    /// Creates a lexer over `src`.
    pub fn new(src: &'a str) -> Self {
        Lexer { src }
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.src.get(pos..).and_then(|s| s.chars().next())
    }

    fn err(&self, start: usize, end: usize, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.src, Span::new(start, end), msg)
    }

    /// Skips whitespace and comments from `pos`; returns the new offset.
    pub fn skip_trivia(&self, mut pos: usize) -> usize {
        while let Some(c) = self.char_at(pos) {
            if c.is_whitespace() {
                pos += c.len_utf8();
            } else if c == '#' {
                match self.src[pos..].find('\n') {
                    Some(i) => pos += i + 1,
                    None => pos = self.src.len(),
                }
            } else {
                break;
            }
        }
        pos
    }

    /// Lexes the token starting at (or after trivia following) `pos`.
    pub fn token_at(&self, pos: usize, regex_ok: bool) -> Result<Token> {
        let start = self.skip_trivia(pos);
        let Some(c) = self.char_at(start) else {
            let end = self.src.len();
            return Ok(Token { kind: TokenKind::Eof, span: Span::new(end, end) });
        };
        let next = self.char_at(start + c.len_utf8());
        let simple = |kind: TokenKind, len: usize| Ok(Token { kind, span: Span::new(start, start + len) });
        match c {
            '|' => simple(TokenKind::Pipe, 1),
            ',' => simple(TokenKind::Comma, 1),
            '(' => simple(TokenKind::LParen, 1),
            ')' => simple(TokenKind::RParen, 1),
            '[' => simple(TokenKind::LBracket, 1),
            ']' => simple(TokenKind::RBracket, 1),
            ':' => simple(TokenKind::Colon, 1),
            '+' => simple(TokenKind::Plus, 1),
            '-' => simple(TokenKind::Minus, 1),
            '*' => simple(TokenKind::Star, 1),
            '%' => simple(TokenKind::Percent, 1),
            '^' => simple(TokenKind::Caret, 1),
            '=' => match next {
                Some('=') => simple(TokenKind::EqEq, 2),
                Some('~') => simple(TokenKind::RegexMatch, 2),
                _ => simple(TokenKind::Eq, 1),
            },
            '!' => match next {
                Some('=') => simple(TokenKind::NotEq, 2),
                _ => Err(self.err(
                    start,
                    start + 1,
                    format!("Unexpected symbol '!' at position {}; use '!=' or 'not'", self.char_pos(start)),
                )),
            },
            '<' => match next {
                Some('=') => simple(TokenKind::Le, 2),
                _ => simple(TokenKind::Lt, 1),
            },
            '>' => match next {
                Some('=') => simple(TokenKind::Ge, 2),
                _ => simple(TokenKind::Gt, 1),
            },
            '/' if regex_ok => self.lex_regex(start),
            '/' => simple(TokenKind::Slash, 1),
            '\'' | '"' => self.lex_string(start, c),
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => self.lex_number(start),
            '.' => simple(TokenKind::Dot, 1),
            '`' => self.lex_ident(start),
            c if c.is_ascii_digit() => self.lex_number(start),
            c if is_ident_start(c) => self.lex_ident(start),
            other => Err(self.err(
                start,
                start + other.len_utf8(),
                format!("Unexpected symbol '{other}' at position {}", self.char_pos(start)),
            )),
        }
    }

    fn char_pos(&self, byte: usize) -> usize {
        Span::new(byte, byte).char_range(self.src).0
    }

    fn lex_string(&self, start: usize, quote: char) -> Result<Token> {
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                return Ok(Token { kind: TokenKind::Str(out), span: Span::new(start, start + 1 + i + 1) });
            }
            if c == '\\' {
                match chars.next() {
                    Some((_, e)) => match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '\'' | '"' => out.push(e),
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    },
                    None => break,
                }
            } else {
                out.push(c);
            }
        }
        Err(self.err(
            start,
            self.src.len(),
            format!(
                "Unterminated string literal starting at position {}; missing closing {quote}",
                self.char_pos(start)
            ),
        ))
    }

    fn lex_regex(&self, start: usize) -> Result<Token> {
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '/' => {
                    return Ok(Token { kind: TokenKind::Regex(out), span: Span::new(start, start + 1 + i + 1) });
                }
                '\\' => match chars.next() {
                    Some((_, '/')) => out.push('/'),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                },
                _ => out.push(c),
            }
        }
        Err(self.err(
            start,
            self.src.len(),
            format!("Unterminated regular expression starting at position {}; missing closing /", self.char_pos(start)),
        ))
    }

    /// Lexes one identifier segment (plain or backticked) at `pos`.
    /// Returns (text, end, quoted).
    fn lex_segment(&self, pos: usize) -> Result<(String, usize, bool)> {
        if self.char_at(pos) == Some('`') {
            let rest = &self.src[pos + 1..];
            match rest.find('`') {
                Some(0) => Err(self.err(pos, pos + 2, "Empty backtick identifier ``")),
                Some(i) => Ok((rest[..i].to_string(), pos + 1 + i + 1, true)),
                None => Err(self.err(
                    pos,
                    self.src.len(),
                    format!(
                        "Unterminated backtick identifier starting at position {}; missing closing `",
                        self.char_pos(pos)
                    ),
                )),
            }
        } else {
            let mut end = pos;
            while let Some(c) = self.char_at(end) {
                if is_ident_char(c) {
                    end += c.len_utf8();
                } else {
                    break;
                }
            }
            Ok((self.src[pos..end].to_string(), end, false))
        }
    }

    fn lex_ident(&self, start: usize) -> Result<Token> {
        let mut segments = Vec::new();
        let mut quoted = false;
        let mut pos = start;
        loop {
            let (seg, end, q) = self.lex_segment(pos)?;
            segments.push(seg);
            quoted |= q;
            pos = end;
            // Continue with `.segment` when the dot is directly followed by
            // an identifier character or a backtick.
            if self.char_at(pos) == Some('.') && self.char_at(pos + 1).is_some_and(|c| is_ident_char(c) || c == '`') {
                pos += 1;
            } else {
                break;
            }
        }
        Ok(Token { kind: TokenKind::Ident { segments, quoted }, span: Span::new(start, pos) })
    }

    fn lex_number(&self, start: usize) -> Result<Token> {
        let bytes = self.src.as_bytes();
        let digits = |mut p: usize| {
            while p < bytes.len() && bytes[p].is_ascii_digit() {
                p += 1;
            }
            p
        };
        let mut end = digits(start);
        let mut is_int = true;
        if end < bytes.len() && bytes[end] == b'.' && end + 1 < bytes.len() && bytes[end + 1].is_ascii_digit() {
            end = digits(end + 1);
            is_int = false;
        }
        if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
            let mut p = end + 1;
            if p < bytes.len() && (bytes[p] == b'+' || bytes[p] == b'-') {
                p += 1;
            }
            if p < bytes.len() && bytes[p].is_ascii_digit() {
                let after = digits(p);
                // `1e5` is an exponent; `1e5x` is not a number at all.
                if !self.char_at(after).is_some_and(is_ident_char) {
                    end = after;
                    is_int = false;
                }
            }
        }
        let text = &self.src[start..end];
        // A number glued to identifier characters: a duration (`5m`) or a
        // digit-leading identifier (`2xx`).
        if self.char_at(end).is_some_and(is_ident_char) {
            let mut wend = end;
            while let Some(c) = self.char_at(wend) {
                if is_ident_char(c) {
                    wend += c.len_utf8();
                } else {
                    break;
                }
            }
            let word = &self.src[end..wend];
            if let Some(unit) = DurationUnit::parse(word) {
                if !is_int {
                    return Err(self.err(
                        start,
                        wend,
                        format!("Invalid time period '{}': the amount must be an integer", &self.src[start..wend]),
                    ));
                }
                let amount: u64 = text.parse().map_err(|_| {
                    self.err(start, wend, format!("Time period '{}' is too large", &self.src[start..wend]))
                })?;
                return Ok(Token {
                    kind: TokenKind::Duration(Duration { amount, unit }),
                    span: Span::new(start, wend),
                });
            }
            if is_int && text.bytes().all(|b| b.is_ascii_digit()) {
                return self.lex_ident(start);
            }
            return Err(self.err(
                start,
                wend,
                format!("Invalid number '{}' at position {}", &self.src[start..wend], self.char_pos(start)),
            ));
        }
        let number = if is_int {
            match text.parse::<i64>() {
                Ok(i) => Number::Int(i),
                Err(_) => Number::Float(text.parse::<f64>().unwrap_or(f64::INFINITY)),
            }
        } else {
            Number::Float(text.parse::<f64>().unwrap_or(f64::NAN))
        };
        Ok(Token { kind: TokenKind::Number(number), span: Span::new(start, end) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str, regex_ok: bool) -> Vec<TokenKind> {
        let lx = Lexer::new(src);
        let mut pos = 0;
        let mut out = vec![];
        loop {
            let t = lx.token_at(pos, regex_ok).unwrap();
            pos = t.span.end;
            if t.kind == TokenKind::Eof {
                break;
            }
            out.push(t.kind);
        }
        out
    }

    #[test]
    fn idents_and_paths() {
        let k = kinds("a.b.0.c `x-y` m.`k-d`.z @@x # comment", false);
        assert_eq!(
            k[0],
            TokenKind::Ident { segments: vec!["a".into(), "b".into(), "0".into(), "c".into()], quoted: false }
        );
        assert_eq!(k[2], TokenKind::Ident { segments: vec!["m".into(), "k-d".into(), "z".into()], quoted: true });
        assert_eq!(k.len(), 4);
    }

    #[test]
    fn numbers_durations() {
        let k = kinds("5m 1.5 .5 1e3 2xx 10", false);
        assert!(matches!(k[0], TokenKind::Duration(_)));
        assert_eq!(k[1], TokenKind::Number(Number::Float(1.5)));
        assert_eq!(k[2], TokenKind::Number(Number::Float(0.5)));
        assert_eq!(k[3], TokenKind::Number(Number::Float(1000.0)));
        assert!(matches!(k[4], TokenKind::Ident { .. }));
        assert_eq!(k[5], TokenKind::Number(Number::Int(10)));
    }

    #[test]
    fn strings_and_regex() {
        assert_eq!(kinds(r#""a\"b\d" 'c'"#, false), vec![TokenKind::Str("a\"b\\d".into()), TokenKind::Str("c".into())]);
        assert_eq!(kinds(r"/a\/b\d/", true), vec![TokenKind::Regex("a/b\\d".into())]);
        assert_eq!(kinds("/", false), vec![TokenKind::Slash]);
        assert!(Lexer::new("/abc").token_at(0, true).is_err());
        assert!(Lexer::new("'abc").token_at(0, true).is_err());
    }
}
