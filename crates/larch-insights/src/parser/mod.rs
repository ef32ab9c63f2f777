//! Recursive-descent parser (commands) with a Pratt loop (expressions).
//!
//! * [`Parser`] owns the cursor and token helpers (this file), the query /
//!   pipeline / `SOURCE` grammar (this file), commands ([`commands`]) and
//!   expressions ([`expr`]).
//! * The lexer is positional: peeking re-lexes at the cursor, in "regex
//!   allowed" mode only where a `/regex/` may start (see [`crate::lexer`]).
//! * Recursion is bounded: nesting deeper than [`MAX_NESTING`] levels, or
//!   expression trees deeper than [`MAX_TREE_DEPTH`], are errors, so no input
//!   can overflow the stack.

mod commands;
mod expr;

use std::mem::discriminant;

use crate::ast::{Command, Ident, LogGroupsSelector, Number, Query, Source, SourceKind, SourceTime, Span};
use crate::error::{ParseError, Result};
use crate::lexer::Lexer;
use crate::token::{Token, TokenKind};

/// Maximum nesting of parentheses / prefix operators / calls / sub-queries.
///
/// Measured stack cost per level: ~2 KB in release, ~16 KB in unoptimised
/// debug builds, so 64 levels stay around 1 MB even in debug — safe on a
/// 2 MB Tokio worker thread. Real queries rarely nest beyond a handful.
pub const MAX_NESTING: usize = 64;
/// Maximum depth of an expression tree (long `a or b or …` chains count).
pub const MAX_TREE_DEPTH: usize = 1024;

/// What ends a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terminator {
    /// End of input (top-level query).
    Eof,
    /// `)` closing a sub-query.
    RParen,
}

/// Parser state.
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    lexer: Lexer<'a>,
    /// Byte offset just after the last consumed token.
    pos: usize,
    /// Current nesting depth.
    depth: usize,
    /// Current expression tree depth (nesting + binary chain links).
    tree_depth: usize,
    /// Sub-query nesting depth.
    subquery_depth: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Parser { src, lexer: Lexer::new(src), pos: 0, depth: 0, tree_depth: 0, subquery_depth: 0 }
    }

    // ----- cursor helpers -------------------------------------------------

    /// Next token, `/` lexed as division.
    pub(crate) fn peek(&self) -> Result<Token> {
        self.lexer.token_at(self.pos, false)
    }

    /// Next token, `/` lexed as the start of a regex literal.
    pub(crate) fn peek_re(&self) -> Result<Token> {
        self.lexer.token_at(self.pos, true)
    }

    /// The token after `tok` (normal mode).
    pub(crate) fn peek_after(&self, tok: &Token) -> Result<Token> {
        self.lexer.token_at(tok.span.end, false)
    }

    /// Consumes `tok` (which must have been peeked at the cursor).
    pub(crate) fn advance(&mut self, tok: &Token) {
        self.pos = tok.span.end;
    }

    /// Consumes and returns the next token (normal mode).
    pub(crate) fn next(&mut self) -> Result<Token> {
        let t = self.peek()?;
        self.advance(&t);
        Ok(t)
    }

    /// End of the last consumed token.
    pub(crate) fn prev_end(&self) -> usize {
        self.pos
    }

    /// Consumes the next token if it has the same kind as `kind`
    /// (payload ignored).
    pub(crate) fn eat(&mut self, kind: &TokenKind) -> Result<Option<Token>> {
        let t = self.peek()?;
        if discriminant(&t.kind) == discriminant(kind) {
            self.advance(&t);
            Ok(Some(t))
        } else {
            Ok(None)
        }
    }

    /// Consumes the next token if it is the keyword `kw`.
    pub(crate) fn eat_kw(&mut self, kw: &str) -> Result<Option<Token>> {
        let t = self.peek()?;
        if t.kind.is_kw(kw) {
            self.advance(&t);
            Ok(Some(t))
        } else {
            Ok(None)
        }
    }

    /// True if the next token is the keyword `kw`.
    pub(crate) fn at_kw(&self, kw: &str) -> Result<bool> {
        Ok(self.peek()?.kind.is_kw(kw))
    }

    /// Consumes a token of kind `kind` or fails with "expected `what`".
    pub(crate) fn expect(&mut self, kind: &TokenKind, what: &str) -> Result<Token> {
        match self.eat(kind)? {
            Some(t) => Ok(t),
            None => Err(self.unexpected(&self.peek()?, what)),
        }
    }

    /// Consumes the keyword `kw` or fails.
    pub(crate) fn expect_kw(&mut self, kw: &str) -> Result<Token> {
        match self.eat_kw(kw)? {
            Some(t) => Ok(t),
            None => Err(self.unexpected(&self.peek()?, &format!("'{kw}'"))),
        }
    }

    // ----- errors ---------------------------------------------------------

    pub(crate) fn error(&self, span: Span, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.src, span, msg)
    }

    pub(crate) fn char_pos(&self, byte: usize) -> usize {
        Span::new(byte, byte).char_range(self.src).0
    }

    /// "Unexpected symbol 'x' at position N; expected …".
    pub(crate) fn unexpected(&self, tok: &Token, expected: &str) -> ParseError {
        let msg = match tok.kind {
            TokenKind::Eof => format!("Unexpected end of query; expected {expected}"),
            _ => format!(
                "Unexpected symbol {} at position {}; expected {expected}",
                tok.describe(self.src),
                self.char_pos(tok.span.start)
            ),
        };
        self.error(tok.span, msg)
    }

    /// Enters one nesting level.
    pub(crate) fn enter(&mut self, span: Span) -> Result<()> {
        self.depth += 1;
        self.tree_depth += 1;
        if self.depth > MAX_NESTING || self.tree_depth > MAX_TREE_DEPTH {
            self.depth -= 1;
            self.tree_depth -= 1;
            return Err(self.error(span, format!("Query is nested too deeply (more than {MAX_NESTING} levels)")));
        }
        Ok(())
    }

    /// Leaves one nesting level.
    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
        self.tree_depth -= 1;
    }

    /// Adds `n` to the tree depth for a binary-operator chain link.
    pub(crate) fn add_links(&mut self, n: usize, span: Span) -> Result<()> {
        self.tree_depth += n;
        if self.tree_depth > MAX_TREE_DEPTH {
            return Err(self.error(
                span,
                format!("Expression is too long or nested too deeply (more than {MAX_TREE_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    pub(crate) fn remove_links(&mut self, n: usize) {
        self.tree_depth -= n;
    }

    // ----- query ----------------------------------------------------------

    /// Parses a whole query.
    pub(crate) fn parse_top(&mut self) -> Result<Query> {
        let first = self.peek()?;
        if first.kind == TokenKind::Eof {
            return Err(
                self.error(Span::new(0, 0), "Query is empty; expected a command such as fields, filter or stats")
            );
        }
        self.parse_query(Terminator::Eof)
    }

    fn at_terminator(tok: &Token, term: Terminator) -> bool {
        match term {
            Terminator::Eof => tok.kind == TokenKind::Eof,
            Terminator::RParen => tok.kind == TokenKind::RParen,
        }
    }

    /// Parses `[SOURCE …] cmd | cmd …` up to (not including) `term`.
    pub(crate) fn parse_query(&mut self, term: Terminator) -> Result<Query> {
        let mut query = Query { source: None, commands: Vec::new() };
        let first = self.peek()?;
        if first.kind.is_kw("source") {
            query.source = Some(self.parse_source()?);
            let t = self.peek()?;
            if Self::at_terminator(&t, term) {
                return Ok(query);
            }
            let pipe = self.expect(&TokenKind::Pipe, "'|' after the SOURCE clause")?;
            self.check_command_follows(&pipe)?;
        }
        loop {
            let cmd = self.parse_command()?;
            query.commands.push(cmd);
            let t = self.peek()?;
            if Self::at_terminator(&t, term) {
                return Ok(query);
            }
            if t.kind == TokenKind::Pipe {
                self.advance(&t);
                self.check_command_follows(&t)?;
                continue;
            }
            let expected = match term {
                Terminator::Eof => "'|' or end of query",
                Terminator::RParen => "'|' or ')'",
            };
            let last = query.commands.last().map(|c| c.kind.name());
            if last == Some("stats") {
                let text = Span::new(t.span.start, self.src.len()).text(self.src);
                let shown = text.split_whitespace().next().unwrap_or("");
                return Err(self.error(t.span, format!("Unknown symbols found in or after stats: {shown}")));
            }
            return Err(self.unexpected(&t, expected));
        }
    }

    /// After a `|`: a command must follow.
    fn check_command_follows(&self, pipe: &Token) -> Result<()> {
        let t = self.peek()?;
        match t.kind {
            TokenKind::Eof | TokenKind::RParen => Err(self.error(
                pipe.span,
                format!(
                    "Unexpected symbol '|' at position {}; expected a command after '|'",
                    self.char_pos(pipe.span.start)
                ),
            )),
            TokenKind::Pipe => Err(self.error(
                t.span,
                format!(
                    "Unexpected symbol '|' at position {}; expected a command after '|'",
                    self.char_pos(t.span.start)
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Parses a parenthesised sub-query `( [SOURCE …] | … )`; the caller has
    /// not consumed the `(`.
    pub(crate) fn parse_subquery(&mut self, what: &str) -> Result<Query> {
        let open = self.expect(&TokenKind::LParen, &format!("'(' starting the {what} sub-query"))?;
        if self.subquery_depth >= 1 {
            return Err(self.error(open.span, "Nested sub-queries are not supported"));
        }
        self.enter(open.span)?;
        self.subquery_depth += 1;
        let first = self.peek()?;
        let result = if first.kind == TokenKind::RParen {
            Err(self.error(first.span, format!("The {what} sub-query is empty")))
        } else {
            self.parse_query(Terminator::RParen)
        };
        self.subquery_depth -= 1;
        self.leave();
        let q = result?;
        self.expect(&TokenKind::RParen, "')' closing the sub-query")?;
        Ok(q)
    }

    // ----- SOURCE ---------------------------------------------------------

    fn parse_source(&mut self) -> Result<Source> {
        let kw = self.next()?;
        let t = self.peek()?;
        let kind = if t.kind.is_kw("logGroups") && self.peek_after(&t)?.kind == TokenKind::LParen {
            self.advance(&t);
            self.next()?; // (
            SourceKind::LogGroups(self.parse_log_groups()?)
        } else if matches!(t.kind, TokenKind::Str(_) | TokenKind::Ident { .. }) {
            let mut names = Vec::new();
            loop {
                let t = self.next()?;
                match t.kind {
                    TokenKind::Str(s) => names.push(s),
                    TokenKind::Ident { segments, .. } => names.push(segments.join(".")),
                    _ => return Err(self.unexpected(&t, "a log group name")),
                }
                if self.eat(&TokenKind::Comma)?.is_none() {
                    break;
                }
            }
            let mut start = None;
            let mut end = None;
            loop {
                let t = self.peek()?;
                let key = if t.kind.is_kw("start") {
                    "start"
                } else if t.kind.is_kw("end") {
                    "end"
                } else {
                    break;
                };
                if self.peek_after(&t)?.kind != TokenKind::Eq {
                    break;
                }
                self.advance(&t);
                self.next()?; // =
                let v = self.parse_source_time()?;
                if key == "start" {
                    start = Some(v);
                } else {
                    end = Some(v);
                }
            }
            SourceKind::Named { names, start, end }
        } else {
            return Err(self.unexpected(&t, "logGroups(...) or a log group name after SOURCE"));
        };
        Ok(Source { kind, span: Span::new(kw.span.start, self.prev_end()) })
    }

    fn parse_source_time(&mut self) -> Result<SourceTime> {
        let t = self.next()?;
        Ok(match t.kind {
            TokenKind::Minus => {
                let v = self.next()?;
                match v.kind {
                    TokenKind::Duration(d) => SourceTime::Ago(d),
                    TokenKind::Number(Number::Int(i)) => SourceTime::Epoch(Number::Int(-i)),
                    TokenKind::Number(Number::Float(f)) => SourceTime::Epoch(Number::Float(-f)),
                    _ => return Err(self.unexpected(&v, "a time period such as 1d")),
                }
            }
            TokenKind::Number(n) => SourceTime::Epoch(n),
            TokenKind::Str(s) => SourceTime::Text(s),
            _ if t.kind.is_kw("now") => SourceTime::Now,
            _ => return Err(self.unexpected(&t, "now, -<period>, a number or a string")),
        })
    }

    fn parse_log_groups(&mut self) -> Result<LogGroupsSelector> {
        let mut sel = LogGroupsSelector { name_prefix: vec![], account_identifiers: vec![], class: None };
        if self.eat(&TokenKind::RParen)?.is_some() {
            return Ok(sel);
        }
        loop {
            let key = self.next()?;
            let Some(word) = key.kind.word().map(str::to_ascii_lowercase) else {
                return Err(self.unexpected(&key, "namePrefix, accountIdentifiers or class"));
            };
            self.expect(&TokenKind::Colon, "':'")?;
            match word.as_str() {
                "nameprefix" => sel.name_prefix = self.parse_string_list()?,
                "accountidentifiers" => sel.account_identifiers = self.parse_string_list()?,
                "class" => {
                    let v = self.next()?;
                    match v.kind {
                        TokenKind::Str(s) => sel.class = Some(s),
                        TokenKind::Ident { ref segments, quoted: false } if segments.len() == 1 => {
                            sel.class = Some(segments[0].clone())
                        }
                        _ => return Err(self.unexpected(&v, "'STANDARD' or 'INFREQUENT_ACCESS'")),
                    }
                }
                _ => {
                    return Err(self.error(
                        key.span,
                        format!(
                            "Unknown logGroups parameter '{}'; expected namePrefix, accountIdentifiers or class (other selectors are not supported yet)",
                            key.span.text(self.src)
                        ),
                    ));
                }
            }
            if self.eat(&TokenKind::Comma)?.is_none() {
                self.expect(&TokenKind::RParen, "',' or ')'")?;
                return Ok(sel);
            }
        }
    }

    /// `['a', 'b']` or a single `'a'`.
    fn parse_string_list(&mut self) -> Result<Vec<String>> {
        let t = self.next()?;
        match t.kind {
            TokenKind::Str(s) => Ok(vec![s]),
            TokenKind::LBracket => {
                let mut out = vec![];
                if self.eat(&TokenKind::RBracket)?.is_some() {
                    return Ok(out);
                }
                loop {
                    let v = self.next()?;
                    match v.kind {
                        TokenKind::Str(s) => out.push(s),
                        _ => return Err(self.unexpected(&v, "a quoted string")),
                    }
                    if self.eat(&TokenKind::Comma)?.is_none() {
                        self.expect(&TokenKind::RBracket, "',' or ']'")?;
                        return Ok(out);
                    }
                }
            }
            _ => Err(self.unexpected(&t, "'[' or a quoted string")),
        }
    }

    // ----- shared small grammar pieces -----------------------------------

    /// An identifier token turned into an [`Ident`] (name as written,
    /// backticks removed).
    pub(crate) fn parse_ident(&mut self, what: &str) -> Result<Ident> {
        let t = self.peek()?;
        match t.kind {
            TokenKind::Ident { segments, .. } => {
                self.pos = t.span.end;
                Ok(Ident { name: segments.join("."), span: t.span })
            }
            _ => Err(self.unexpected(&t, what)),
        }
    }

    /// Builds a [`Command`] spanning from `start` to the cursor.
    pub(crate) fn finish(&self, start: usize, kind: crate::ast::CommandKind) -> Command {
        Command { kind, span: Span::new(start, self.prev_end()) }
    }
}
