//! Tokens shared by the structured (JSON and space-delimited) pattern parsers, plus the small
//! character-class and literal helpers the term parser uses too.
//!
//! Everything here works on `&str` with byte offsets that only ever advance by whole `char`s,
//! so slicing can never split a UTF-8 sequence (and therefore never panics).

use crate::error::FilterError;

/// Characters allowed in an unquoted term: AWS requires quotes around anything else.
pub(crate) fn is_term_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Characters allowed in an unquoted *value* of a JSON or space-delimited condition.
/// Wider than terms because AWS's own examples use `123.123.*`, `*.html*`, `+1000`, `10e-3`.
pub(crate) fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | '+' | ':' | '/')
}

/// The first run of characters of `text` rejected by `allowed` (AWS's error quotes the
/// offending characters, e.g. `Invalid character(s) in term ':'` for `Status:`).
pub(crate) fn first_invalid_run(text: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    let start = text.find(|c: char| !allowed(c))?;
    let run: String = text[start..].chars().take_while(|&c| !allowed(c) && !c.is_whitespace()).collect();
    // A whitespace character itself is never reported alone; fall back to the char found.
    if run.is_empty() { text[start..].chars().next().map(String::from) } else { Some(run) }
}

/// Parses AWS's numeric literal grammar: optional sign, digits with an optional fraction (or a
/// bare fraction), optional exponent. Stricter than `f64::from_str`, which would also accept
/// `inf`/`NaN` and must never turn a field value such as `nan` into a number.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        i += 1;
        if i < bytes.len() && matches!(bytes[i], b'+' | b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    // `+` is not accepted by Rust's float parser in every position we allow, so strip it.
    text.strip_prefix('+').unwrap_or(text).parse::<f64>().ok()
}

/// Reads a double-quoted string starting at byte `start` (which must hold `"`).
/// `\"` and `\\` are escapes (the form AWS CDK emits); any other backslash is kept literally.
/// Returns the unescaped content and the byte offset just past the closing quote.
pub(crate) fn read_quoted(src: &str, start: usize) -> Result<(String, usize), FilterError> {
    let mut out = String::new();
    let mut chars = src[start..].char_indices().skip(1);
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + offset + 1)),
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => out.push(escaped),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    Err(FilterError::invalid("unterminated quoted string"))
}

/// Reads a `%regex%` starting at byte `start` (which must hold `%`); returns the body and the
/// offset just past the closing `%`. The body cannot contain `%` (it is not in AWS's alphabet).
pub(crate) fn read_regex(src: &str, start: usize) -> Result<(&str, usize), FilterError> {
    let body_start = start + 1;
    let Some(len) = src[body_start..].find('%') else {
        return Err(FilterError::invalid("unterminated %regex%"));
    };
    Ok((&src[body_start..body_start + len], body_start + len + 1))
}

/// Comparison operators of JSON and space-delimited conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Operator {
    /// `=` and `!=` are the only operators allowed with string and regex values.
    pub(crate) fn is_equality(self) -> bool {
        matches!(self, Operator::Eq | Operator::Ne)
    }
}

/// One token of a structured pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'a> {
    LParen,
    RParen,
    And,
    Or,
    Op(Operator),
    /// A JSON selector's raw text, starting with `$` (parsed by `selector.rs`).
    Selector(&'a str),
    /// An unquoted word: a field name, keyword (`IS`, `NOT`, …), number or string value.
    Word(&'a str),
    Quoted(String),
    Regex(&'a str),
}

/// Splits a structured pattern body into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(c) = src[pos..].chars().next() {
        let rest = &src[pos..];
        match c {
            c if c.is_whitespace() => pos += c.len_utf8(),
            '(' => {
                tokens.push(Token::LParen);
                pos += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                pos += 1;
            }
            '&' if rest.starts_with("&&") => {
                tokens.push(Token::And);
                pos += 2;
            }
            '|' if rest.starts_with("||") => {
                tokens.push(Token::Or);
                pos += 2;
            }
            '!' if rest.starts_with("!=") => {
                tokens.push(Token::Op(Operator::Ne));
                pos += 2;
            }
            '<' | '>' => {
                let or_equal = rest[1..].starts_with('=');
                let op = match (c, or_equal) {
                    ('<', false) => Operator::Lt,
                    ('<', true) => Operator::Le,
                    ('>', false) => Operator::Gt,
                    _ => Operator::Ge,
                };
                tokens.push(Token::Op(op));
                pos += if or_equal { 2 } else { 1 };
            }
            '=' => {
                tokens.push(Token::Op(Operator::Eq));
                pos += 1;
            }
            '"' => {
                let (text, end) = read_quoted(src, pos)?;
                tokens.push(Token::Quoted(text));
                pos = end;
            }
            '%' => {
                let (body, end) = read_regex(src, pos)?;
                tokens.push(Token::Regex(body));
                pos = end;
            }
            '$' => {
                let len = selector_len(rest);
                let text = &rest[..len];
                // `$."key"` is not selector syntax; AWS rejects it quoting `$."` — fail here,
                // before the stray quote is taken for the start of a string.
                if text.ends_with(['"', '\'']) && !text.contains('[') {
                    return Err(FilterError::InvalidCharacters { term: text.to_string() });
                }
                tokens.push(Token::Selector(text));
                pos += len;
            }
            c if is_value_char(c) => {
                let len = rest.find(|c: char| !is_value_char(c)).unwrap_or(rest.len());
                tokens.push(Token::Word(&rest[..len]));
                pos += len;
            }
            _ => {
                let term = first_invalid_run(rest, |c| {
                    is_value_char(c) || matches!(c, '(' | ')' | '"' | '%' | '$' | '=' | '<' | '>')
                })
                .unwrap_or_else(|| c.to_string());
                return Err(FilterError::InvalidCharacters { term });
            }
        }
    }
    Ok(tokens)
}

/// Length of the selector text at the start of `rest` (which begins with `$`): the `$` plus
/// everything that can belong to a selector, including bracketed, possibly quoted, parts.
/// Validation happens later in `selector.rs`; this only finds where the token ends.
fn selector_len(rest: &str) -> usize {
    let mut in_brackets = false;
    let mut quote: Option<char> = None;
    for (offset, c) in rest.char_indices().skip(1) {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            '\'' | '"' if in_brackets => quote = Some(c),
            // An unbracketed quote is swallowed so the selector reports it (AWS quotes `$."`).
            '"' | '\'' => return offset + 1,
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*') => {}
            _ if in_brackets => {}
            _ => return offset,
        }
    }
    rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_aws_grammar() {
        for ok in ["1", "+1000", "-5", "55.5", ".5", "5.", "10e3", "10e-3", "1E+2"] {
            assert!(parse_number(ok).is_some(), "{ok}");
        }
        for bad in ["", "+", "e3", "1e", "nan", "inf", "1.2.3", "4*", "0x10", " 1"] {
            assert!(parse_number(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn quoted_strings_unescape_quote_and_backslash_only() {
        let (text, end) = read_quoted(r#""a\"b\\c\nd" rest"#, 0).unwrap();
        assert_eq!(text, "a\"b\\c\\nd");
        assert_eq!(end, 12);
        assert!(read_quoted("\"open", 0).is_err());
    }

    #[test]
    fn tokenizes_operators_and_values() {
        let tokens = tokenize("($.a>=1&&$.b!=\"x\")||$.c = %re%").unwrap();
        assert_eq!(
            tokens,
            vec![
                Token::LParen,
                Token::Selector("$.a"),
                Token::Op(Operator::Ge),
                Token::Word("1"),
                Token::And,
                Token::Selector("$.b"),
                Token::Op(Operator::Ne),
                Token::Quoted("x".into()),
                Token::RParen,
                Token::Or,
                Token::Selector("$.c"),
                Token::Op(Operator::Eq),
                Token::Regex("re"),
            ]
        );
    }

    #[test]
    fn reports_the_offending_characters() {
        assert_eq!(tokenize("$.a = b@c").unwrap_err(), FilterError::InvalidCharacters { term: "@".into() });
    }
}
