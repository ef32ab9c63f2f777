//! JSON patterns: `{ $.a = "x" && ($.n > 5 || $.b IS NULL) }`.
//!
//! Grammar (precedence `( )` > `&&` > `||`):
//! ```text
//! expr   := and ( '||' and )*
//! and    := factor ( '&&' factor )*
//! factor := '(' expr ')' | SELECTOR test
//! test   := OP value | 'IS' ('NULL' | 'TRUE' | 'FALSE') | 'NOT' 'EXISTS'
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use crate::comparison::{Operand, Scalar, compare};
use crate::error::FilterError;
use crate::lexer::{Operator, Token, tokenize};
use crate::selector::Selector;

/// Bound on `(` nesting so recursion depth stays small whatever the input.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone)]
enum Test {
    Compare(Operator, Operand),
    IsNull,
    IsBool(bool),
    NotExists,
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Condition { selector: Selector, test: Test },
}

/// A compiled JSON pattern.
#[derive(Debug, Clone)]
pub(crate) struct JsonPattern {
    root: Expr,
    /// Non-wildcard selectors used, in order of first use (reported by `evaluate`).
    selectors: Vec<Selector>,
    regex_count: usize,
}

impl JsonPattern {
    /// Parses the text between the outer braces.
    pub(crate) fn parse(body: &str) -> Result<Self, FilterError> {
        let tokens = tokenize(body)?;
        let mut parser = Parser { tokens: &tokens, pos: 0, selectors: Vec::new(), regex_count: 0 };
        if tokens.is_empty() {
            return Err(FilterError::invalid("empty JSON pattern"));
        }
        let root = parser.expr(0)?;
        if parser.pos != tokens.len() {
            return Err(FilterError::invalid(format!("unexpected {:?} in JSON pattern", tokens[parser.pos])));
        }
        Ok(JsonPattern { root, selectors: parser.selectors, regex_count: parser.regex_count })
    }

    pub(crate) fn regex_count(&self) -> usize {
        self.regex_count
    }

    /// Matches `message` when it is a JSON object satisfying the expression.
    pub(crate) fn matches(&self, message: &str) -> bool {
        parse_object(message).is_some_and(|doc| eval(&self.root, &doc))
    }

    /// Like `matches`, also returning the parsed document and the scalar values of the
    /// selectors the pattern uses (keyed by the selector text, e.g. `$.latency`).
    pub(crate) fn evaluate(&self, message: &str) -> Option<(Value, BTreeMap<String, String>)> {
        let doc = parse_object(message)?;
        if !eval(&self.root, &doc) {
            return None;
        }
        let mut values = BTreeMap::new();
        for selector in &self.selectors {
            if let Some(text) = selector.first(&doc).and_then(scalar_text) {
                values.insert(selector.text().to_string(), text);
            }
        }
        Some((doc, values))
    }
}

/// Only JSON objects are candidates; the cheap first-byte check keeps non-JSON events from
/// paying for a parse.
fn parse_object(message: &str) -> Option<Value> {
    if !message.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<Value>(message).ok().filter(Value::is_object)
}

/// The text of a scalar JSON value as it is reported in `extractedValues` / metric values.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn eval(expr: &Expr, doc: &Value) -> bool {
    match expr {
        Expr::Or(parts) => parts.iter().any(|part| eval(part, doc)),
        Expr::And(parts) => parts.iter().all(|part| eval(part, doc)),
        Expr::Condition { selector, test } => match test {
            Test::NotExists => !selector.any(doc, &mut |_| true),
            Test::IsNull => selector.any(doc, &mut |v| v.is_null()),
            Test::IsBool(wanted) => selector.any(doc, &mut |v| v.as_bool() == Some(*wanted)),
            Test::Compare(op, operand) => selector.any(doc, &mut |v| {
                // Objects and arrays never match, for `=` and `!=` alike (AWS docs).
                let number_text;
                let scalar = match v {
                    Value::String(text) => Scalar::Text(text),
                    Value::Number(number) => {
                        // The text form is only needed for string/regex operands; skip the
                        // allocation on the hot numeric path.
                        number_text =
                            if matches!(operand, Operand::Number { .. }) { String::new() } else { number.to_string() };
                        Scalar::Number(number.as_f64().unwrap_or(f64::NAN), &number_text)
                    }
                    Value::Bool(flag) => Scalar::Bool(*flag),
                    Value::Null => Scalar::Null,
                    Value::Array(_) | Value::Object(_) => return false,
                };
                compare(scalar, *op, operand)
            }),
        },
    }
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    selectors: Vec<Selector>,
    regex_count: usize,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token<'_>> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token<'_>> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut parts = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut parts = vec![self.factor(depth)?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            parts.push(self.factor(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, FilterError> {
        match self.next() {
            Some(Token::LParen) => {
                if depth >= MAX_NESTING {
                    return Err(FilterError::invalid("parentheses nested too deeply"));
                }
                let inner = self.expr(depth + 1)?;
                match self.next() {
                    Some(Token::RParen) => Ok(inner),
                    _ => Err(FilterError::invalid("missing ) in JSON pattern")),
                }
            }
            Some(Token::Selector(text)) => {
                let selector = Selector::parse(text)?;
                let test = self.test()?;
                if !selector.has_wildcard() && !self.selectors.iter().any(|s| s.text() == selector.text()) {
                    self.selectors.push(selector.clone());
                }
                Ok(Expr::Condition { selector, test })
            }
            other => Err(FilterError::invalid(format!("expected a $selector or (, found {other:?}"))),
        }
    }

    fn test(&mut self) -> Result<Test, FilterError> {
        match self.next() {
            Some(Token::Op(op)) => {
                let value = self.next().ok_or_else(|| FilterError::invalid("missing value after operator"))?;
                let operand = Operand::from_token(op, &value)?;
                if operand.is_regex() {
                    self.regex_count += 1;
                }
                Ok(Test::Compare(op, operand))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("IS") => match self.next() {
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("NULL") => Ok(Test::IsNull),
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("TRUE") => Ok(Test::IsBool(true)),
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("FALSE") => Ok(Test::IsBool(false)),
                _ => Err(FilterError::invalid("IS must be followed by NULL, TRUE or FALSE")),
            },
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("NOT") => match self.next() {
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("EXISTS") => Ok(Test::NotExists),
                _ => Err(FilterError::invalid("NOT must be followed by EXISTS")),
            },
            other => Err(FilterError::invalid(format!(
                "expected an operator, IS or NOT EXISTS after the selector, found {other:?}"
            ))),
        }
    }
}
