//! Expression grammar: a Pratt loop.
//!
//! Binding powers, loosest first:
//!
//! | level | operators | assoc |
//! |---|---|---|
//! | 1 | `or` | left |
//! | 2 | `and` | left |
//! | 3 | `not` (prefix) | — |
//! | 4 | `= != == < <= > >=`, `[not] like`, `=~`, `[not] in` | left |
//! | 5 | `+ -` | left |
//! | 6 | `* / %` | left |
//! | 7 | unary `-` | — |
//! | 8 | `^` | right |
//! | 9 | postfix `[i]`, `.key` | — |
//!
//! So `not a = 1 and b = 2 or c = 3` is `((not (a = 1)) and (b = 2)) or (c = 3)`,
//! `-2 ^ 2` is `-(2 ^ 2)` and `2 ^ 3 ^ 2` is `2 ^ (3 ^ 2)`.

use super::Parser;
use crate::ast::{BinaryOp, Expr, ExprKind, FieldRef, LikePattern, Number, Regex, Span, UnaryOp};
use crate::error::Result;
use crate::functions::lookup_function;
use crate::token::{Token, TokenKind};

const BP_OR: (u8, u8) = (1, 2);
const BP_AND: (u8, u8) = (3, 4);
const BP_NOT: u8 = 5;
const BP_CMP: (u8, u8) = (7, 8);
const BP_ADD: (u8, u8) = (9, 10);
const BP_MUL: (u8, u8) = (11, 12);
const BP_NEG: u8 = 13;
const BP_POW: (u8, u8) = (16, 15);
const BP_POSTFIX: u8 = 17;

/// (operator, number of tokens it spans, (left bp, right bp)).
type InfixMatch = (Infix, u8, (u8, u8));

/// An infix operator recognised at the cursor.
enum Infix {
    Binary(BinaryOp),
    Like { negated: bool, regex_op: bool },
    In { negated: bool },
}

impl Parser<'_> {
    /// Parses a full expression.
    pub(crate) fn parse_expr(&mut self) -> Result<Expr> {
        self.expr_bp(0)
    }

    fn expr_bp(&mut self, min_bp: u8) -> Result<Expr> {
        let here = self.peek_re()?.span;
        self.enter(here)?;
        let r = self.expr_bp_inner(min_bp);
        self.leave();
        r
    }

    fn expr_bp_inner(&mut self, min_bp: u8) -> Result<Expr> {
        let mut lhs = self.prefix()?;
        let mut links = 0usize;
        let result = loop {
            let tok = self.peek()?;
            // Postfix operators.
            if BP_POSTFIX >= min_bp {
                match tok.kind {
                    TokenKind::LBracket => {
                        self.advance(&tok);
                        let index = self.expr_bp(0)?;
                        let close = self.expect(&TokenKind::RBracket, "']'")?;
                        let span = lhs.span.to(close.span);
                        lhs = Expr { kind: ExprKind::Index { base: Box::new(lhs), index: Box::new(index) }, span };
                        links += 1;
                        self.add_links(1, span)?;
                        continue;
                    }
                    TokenKind::Dot => {
                        self.advance(&tok);
                        let key = self.peek()?;
                        let TokenKind::Ident { segments, .. } = key.kind else {
                            break Err(self.unexpected(&key, "a key name after '.'"));
                        };
                        self.pos = key.span.end;
                        let span = lhs.span.to(key.span);
                        for seg in segments {
                            lhs = Expr { kind: ExprKind::Member { base: Box::new(lhs), key: seg }, span };
                            links += 1;
                            self.add_links(1, span)?;
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            let Some((op, op_len_tokens, (lbp, rbp))) = self.infix_at(&tok)? else {
                break Ok(lhs);
            };
            if lbp < min_bp {
                break Ok(lhs);
            }
            // Consume the operator (one or two tokens: `not like`, `not in`).
            self.advance(&tok);
            if op_len_tokens == 2 {
                self.next()?;
            }
            let op_span = Span::new(tok.span.start, self.prev_end());
            lhs = match op {
                Infix::Binary(op) => {
                    let rhs = self.expr_bp(rbp)?;
                    let span = lhs.span.to(rhs.span);
                    Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }
                }
                Infix::Like { negated, regex_op } => {
                    let (pattern, pspan) = self.like_pattern(regex_op, op_span)?;
                    let span = lhs.span.to(pspan);
                    Expr { kind: ExprKind::Like { expr: Box::new(lhs), pattern, negated }, span }
                }
                Infix::In { negated } => self.in_rhs(lhs, negated)?,
            };
            links += 1;
            self.add_links(1, lhs.span)?;
        };
        self.remove_links(links);
        result
    }

    /// Recognises an infix operator at `tok`: (operator, tokens it spans,
    /// binding powers).
    fn infix_at(&self, tok: &Token) -> Result<Option<InfixMatch>> {
        use BinaryOp::*;
        let bin = |op, bp| Some((Infix::Binary(op), 1, bp));
        Ok(match &tok.kind {
            TokenKind::Plus => bin(Add, BP_ADD),
            TokenKind::Minus => bin(Sub, BP_ADD),
            TokenKind::Star => bin(Mul, BP_MUL),
            TokenKind::Slash => bin(Div, BP_MUL),
            TokenKind::Percent => bin(Mod, BP_MUL),
            TokenKind::Caret => bin(Pow, BP_POW),
            TokenKind::Eq | TokenKind::EqEq => bin(Eq, BP_CMP),
            TokenKind::NotEq => bin(Ne, BP_CMP),
            TokenKind::Lt => bin(Lt, BP_CMP),
            TokenKind::Le => bin(Le, BP_CMP),
            TokenKind::Gt => bin(Gt, BP_CMP),
            TokenKind::Ge => bin(Ge, BP_CMP),
            TokenKind::RegexMatch => Some((Infix::Like { negated: false, regex_op: true }, 1, BP_CMP)),
            k if k.is_kw("and") => bin(And, BP_AND),
            k if k.is_kw("or") => bin(Or, BP_OR),
            k if k.is_kw("like") => Some((Infix::Like { negated: false, regex_op: false }, 1, BP_CMP)),
            k if k.is_kw("in") => Some((Infix::In { negated: false }, 1, BP_CMP)),
            k if k.is_kw("not") => {
                let next = self.peek_after(tok)?;
                if next.kind.is_kw("like") {
                    Some((Infix::Like { negated: true, regex_op: false }, 2, BP_CMP))
                } else if next.kind.is_kw("in") {
                    Some((Infix::In { negated: true }, 2, BP_CMP))
                } else {
                    None
                }
            }
            _ => None,
        })
    }

    /// The right-hand side of `like` / `=~`: a string or a regex literal.
    fn like_pattern(&mut self, regex_op: bool, op_span: Span) -> Result<(LikePattern, Span)> {
        let t = self.peek_re()?;
        let op = op_span.text(self.src);
        let pattern = match t.kind {
            TokenKind::Str(s) if regex_op => LikePattern::Regex(Regex { pattern: s, span: t.span }),
            TokenKind::Str(s) => LikePattern::Substring(s),
            TokenKind::Regex(r) => LikePattern::Regex(Regex { pattern: r, span: t.span }),
            _ => {
                return Err(self.unexpected(&t, &format!("a quoted string or a /regular expression/ after '{op}'")));
            }
        };
        self.pos = t.span.end;
        Ok((pattern, t.span))
    }

    /// `[v1, v2]` or `(SOURCE … | …)` after `in` / `not in`.
    fn in_rhs(&mut self, lhs: Expr, negated: bool) -> Result<Expr> {
        let t = self.peek()?;
        match t.kind {
            TokenKind::LBracket => {
                self.advance(&t);
                let mut list = Vec::new();
                if self.eat(&TokenKind::RBracket)?.is_none() {
                    loop {
                        list.push(self.expr_bp(0)?);
                        if self.eat(&TokenKind::Comma)?.is_none() {
                            self.expect(&TokenKind::RBracket, "',' or ']'")?;
                            break;
                        }
                    }
                }
                let span = Span::new(lhs.span.start, self.prev_end());
                Ok(Expr { kind: ExprKind::In { expr: Box::new(lhs), list, negated }, span })
            }
            TokenKind::LParen => {
                let query = self.parse_subquery("'in'")?;
                let span = Span::new(lhs.span.start, self.prev_end());
                Ok(Expr { kind: ExprKind::InSubquery { expr: Box::new(lhs), query: Box::new(query), negated }, span })
            }
            _ => Err(self.unexpected(&t, "'[' (a list of values) or '(' (a sub-query) after 'in'")),
        }
    }

    /// Prefix position: literals, fields, calls, `(…)`, `-x`, `not x`.
    fn prefix(&mut self) -> Result<Expr> {
        let tok = self.peek_re()?;
        let lit = |kind, span| Ok(Expr { kind, span });
        match tok.kind {
            TokenKind::Ident { ref segments, quoted } => {
                let plain = !quoted && segments.len() == 1;
                if plain && tok.kind.is_kw("not") {
                    self.advance(&tok);
                    let operand = self.expr_bp(BP_NOT)?;
                    let span = tok.span.to(operand.span);
                    return Ok(Expr { kind: ExprKind::Unary { op: UnaryOp::Not, expr: Box::new(operand) }, span });
                }
                if plain && tok.kind.is_kw("true") {
                    self.advance(&tok);
                    return lit(ExprKind::Bool(true), tok.span);
                }
                if plain && tok.kind.is_kw("false") {
                    self.advance(&tok);
                    return lit(ExprKind::Bool(false), tok.span);
                }
                if plain && !segments[0].contains('@') && self.peek_after(&tok)?.kind == TokenKind::LParen {
                    return self.call(tok.clone(), segments[0].clone());
                }
                self.advance(&tok);
                let TokenKind::Ident { segments, .. } = tok.kind else { unreachable!("matched above") };
                Ok(Expr {
                    kind: ExprKind::Field(FieldRef { name: segments.join("."), segments, span: tok.span }),
                    span: tok.span,
                })
            }
            TokenKind::Str(ref s) => {
                self.advance(&tok);
                lit(ExprKind::Str(s.clone()), tok.span)
            }
            TokenKind::Number(n) => {
                self.advance(&tok);
                lit(ExprKind::Num(n), tok.span)
            }
            TokenKind::Duration(d) => {
                self.advance(&tok);
                lit(ExprKind::Duration(d), tok.span)
            }
            TokenKind::Regex(ref r) => {
                self.advance(&tok);
                lit(ExprKind::Regex(Regex { pattern: r.clone(), span: tok.span }), tok.span)
            }
            TokenKind::Minus => {
                self.advance(&tok);
                let operand = self.expr_bp(BP_NEG)?;
                let span = tok.span.to(operand.span);
                // Fold `-<number>` into a negative literal.
                if let ExprKind::Num(n) = operand.kind {
                    let folded = match n {
                        Number::Int(i) => match i.checked_neg() {
                            Some(v) => Number::Int(v),
                            None => Number::Float(-(i as f64)),
                        },
                        Number::Float(f) => Number::Float(-f),
                    };
                    return lit(ExprKind::Num(folded), span);
                }
                Ok(Expr { kind: ExprKind::Unary { op: UnaryOp::Neg, expr: Box::new(operand) }, span })
            }
            TokenKind::LParen => {
                self.advance(&tok);
                let mut inner = self.expr_bp(0)?;
                let close = self.expect(&TokenKind::RParen, "')'")?;
                inner.span = tok.span.to(close.span);
                Ok(inner)
            }
            TokenKind::Star => Err(self.error(
                tok.span,
                format!(
                    "Unexpected symbol '*' at position {}; '*' is only allowed as count(*)",
                    self.char_pos(tok.span.start)
                ),
            )),
            _ => Err(self.unexpected(&tok, "an expression")),
        }
    }

    /// `name(args)`; the name token has been peeked, not consumed.
    fn call(&mut self, name_tok: Token, name: String) -> Result<Expr> {
        let Some(func) = lookup_function(&name) else {
            return Err(self.error(
                name_tok.span,
                format!("Unknown function '{name}' at position {}", self.char_pos(name_tok.span.start)),
            ));
        };
        self.advance(&name_tok);
        let open = self.next()?; // '('
        self.enter(open.span)?;
        let args = self.call_args();
        self.leave();
        let args = args?;
        let span = Span::new(name_tok.span.start, self.prev_end());
        if !func.accepts(args.len()) {
            return Err(self.error(
                span,
                format!(
                    "Function {}() expects {} argument{} but got {}",
                    func.name,
                    func.arity_text(),
                    if func.arity_text() == "1" { "" } else { "s" },
                    args.len()
                ),
            ));
        }
        Ok(Expr { kind: ExprKind::Call { name: func.name, func, args, name_span: name_tok.span }, span })
    }

    fn call_args(&mut self) -> Result<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(&TokenKind::RParen)?.is_some() {
            return Ok(args);
        }
        loop {
            let t = self.peek()?;
            let after = self.peek_after(&t)?;
            if t.kind == TokenKind::Star && matches!(after.kind, TokenKind::RParen | TokenKind::Comma) {
                self.advance(&t);
                args.push(Expr { kind: ExprKind::Star, span: t.span });
            } else {
                args.push(self.expr_bp(0)?);
            }
            if self.eat(&TokenKind::Comma)?.is_none() {
                self.expect(&TokenKind::RParen, "',' or ')'")?;
                return Ok(args);
            }
        }
    }
}
