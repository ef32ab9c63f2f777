//! Byte-level JSON scanning: whitespace, strings, numbers, literals and a validating,
//! leaf-counting skip over whole values. No allocation, no recursion, no panics.

use std::borrow::Cow;

use crate::FieldValue;

/// Deepest container nesting accepted (serde_json's default recursion limit). Deeper documents
/// are treated as invalid JSON, which also bounds the recursion of the tree walks.
pub(crate) const MAX_DEPTH: u32 = 128;

/// Index of the first non-whitespace byte at or after `i` (JSON whitespace only).
#[inline]
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

/// Validates the string literal whose opening quote is at `i`. Returns the index just past
/// the closing quote and whether the literal contains escapes.
#[inline]
pub(crate) fn skip_string(b: &[u8], i: usize) -> Option<(usize, bool)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        j = plain_run(b, j);
        let Some(&c) = b.get(j) else { break };
        match c {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                match *b.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                    b'u' => {
                        let hex = b.get(j + 2..j + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        j += 6;
                    }
                    _ => return None,
                }
            }
            0..=0x1f => return None,
            _ => j += 1,
        }
    }
    None
}

/// Index of the first byte at or after `j` that is `"`, `\\` or a control character, eight
/// bytes at a time (SWAR), then byte by byte near the end.
#[inline]
fn plain_run(b: &[u8], mut j: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = b.get(j..j + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = has_zero(x ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(x ^ (ONES * u64::from(b'\\')));
        // Bytes < 0x20: subtracting 0x20 borrows into the high bit, for bytes without it set.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let special = quote | backslash | control;
        if special != 0 {
            // A borrow can only mark bytes above a byte that really matches, so the lowest
            // marked byte is the first special one.
            return j + (special.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while let Some(&c) = b.get(j) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        j += 1;
    }
    j
}

/// Validates a number starting at `i` (strict JSON grammar). Returns the end index and
/// whether it is a plain integer (no fraction, no exponent).
#[inline]
pub(crate) fn skip_number(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let digits = |mut j: usize| {
        let start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        (j, j - start)
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j).0,
        _ => return None,
    }
    let mut integer = true;
    if b.get(j) == Some(&b'.') {
        integer = false;
        let (end, n) = digits(j + 1);
        if n == 0 {
            return None;
        }
        j = end;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        integer = false;
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (end, n) = digits(j);
        if n == 0 {
            return None;
        }
        j = end;
    }
    Some((j, integer))
}

#[inline]
fn skip_literal(b: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    (b.get(i..i + lit.len())? == lit).then_some(i + lit.len())
}

/// Validates one scalar (string, number, `true`, `false`, `null`) at `i`; returns its end and
/// whether it is a leaf (anything but `null`). `None` for containers and invalid input.
#[inline]
fn skip_scalar(b: &[u8], i: usize) -> Option<(usize, bool)> {
    match *b.get(i)? {
        b'"' => skip_string(b, i).map(|(end, _)| (end, true)),
        b't' => skip_literal(b, i, b"true").map(|end| (end, true)),
        b'f' => skip_literal(b, i, b"false").map(|end| (end, true)),
        b'n' => skip_literal(b, i, b"null").map(|end| (end, false)),
        _ => skip_number(b, i).map(|(end, _)| (end, true)),
    }
}

/// Validates the JSON value starting at `i` (after whitespace) and returns the index just past
/// it. Adds the number of leaves (non-null scalars) it contains to `leaves`. Iterative: the
/// container stack is a 128-bit set (bit = "is an object"), so depth is capped at
/// [`MAX_DEPTH`] (an empty container does not count as a level).
pub(crate) fn skip_value(b: &[u8], i: usize, leaves: &mut usize) -> Option<usize> {
    skip_value_within(b, i, leaves, MAX_DEPTH)
}

/// [`skip_value`] for a value that may nest at most `max_depth` containers deep.
pub(crate) fn skip_value_within(b: &[u8], i: usize, leaves: &mut usize, max_depth: u32) -> Option<usize> {
    let i = skip_ws(b, i);
    if !matches!(b.get(i), Some(b'{' | b'[')) {
        // A scalar (most values): no container bookkeeping.
        let (end, leaf) = skip_scalar(b, i)?;
        *leaves += usize::from(leaf);
        return Some(end);
    }
    let mut stack: u128 = 0;
    let mut depth: u32 = 0;
    let mut i = i;
    loop {
        // Expecting a value at `i`.
        i = skip_ws(b, i);
        match *b.get(i)? {
            open @ (b'{' | b'[') => {
                let is_object = open == b'{';
                i = skip_ws(b, i + 1);
                let close = if is_object { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    i += 1;
                } else {
                    if depth >= max_depth {
                        return None;
                    }
                    stack = (stack << 1) | u128::from(is_object);
                    depth += 1;
                    if is_object {
                        i = skip_key(b, i)?;
                    }
                    continue;
                }
            }
            _ => {
                let (end, leaf) = skip_scalar(b, i)?;
                *leaves += usize::from(leaf);
                i = end;
            }
        }
        // After a value: close containers or move to the next member.
        loop {
            if depth == 0 {
                return Some(i);
            }
            let in_object = stack & 1 == 1;
            i = skip_ws(b, i);
            match (*b.get(i)?, in_object) {
                (b',', true) => {
                    i = skip_key(b, skip_ws(b, i + 1))?;
                    break;
                }
                (b',', false) => {
                    i += 1;
                    break;
                }
                (b'}', true) | (b']', false) => {
                    i += 1;
                    stack >>= 1;
                    depth -= 1;
                }
                _ => return None,
            }
        }
    }
}

/// Validates `"key" :` at `i` and returns the index after the colon.
#[inline]
fn skip_key(b: &[u8], i: usize) -> Option<usize> {
    let (end, _) = skip_string(b, i)?;
    let colon = skip_ws(b, end);
    (b.get(colon) == Some(&b':')).then_some(colon + 1)
}

/// The text of the (already validated) string literal `s[start..end]` (quotes included),
/// borrowed when it has no escapes.
pub(crate) fn string_text(s: &str, start: usize, end: usize, escaped: bool) -> Cow<'_, str> {
    let inner = s.get(start + 1..end.saturating_sub(1)).unwrap_or("");
    if escaped { Cow::Owned(unescape(inner)) } else { Cow::Borrowed(inner) }
}

/// Decodes JSON escapes. Lone or mismatched UTF-16 surrogates become U+FFFD.
fn unescape(inner: &str) -> String {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(inner.get(run..i).unwrap_or(""));
        let Some(&kind) = b.get(i + 1) else { break };
        i += 2;
        let c = match kind {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(b, i);
                i += 4;
                match hi {
                    Some(hi @ 0xD800..=0xDBFF) => {
                        let lo = (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
                            .then(|| hex4(b, i + 2))
                            .flatten()
                            .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                        match lo {
                            Some(lo) => {
                                i += 6;
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).unwrap_or('\u{FFFD}')
                            }
                            None => '\u{FFFD}',
                        }
                    }
                    Some(cp) => char::from_u32(cp).unwrap_or('\u{FFFD}'),
                    None => '\u{FFFD}',
                }
            }
            other => char::from(other),
        };
        out.push(c);
        run = i;
    }
    out.push_str(inner.get(run..).unwrap_or(""));
    out
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(acc * 16 + v)
    })
}

/// Parses the scalar at `i` of an already validated document. Returns the value (`None` for
/// `null`) and the end index; `None` overall when `i` is not a scalar (a container).
#[inline]
pub(crate) fn scalar(s: &str, i: usize) -> Option<(Option<FieldValue<'_>>, usize)> {
    let b = s.as_bytes();
    match *b.get(i)? {
        b'"' => {
            let (end, escaped) = skip_string(b, i)?;
            Some((Some(FieldValue::Str(string_text(s, i, end, escaped))), end))
        }
        b't' => Some((Some(FieldValue::Bool(true)), skip_literal(b, i, b"true")?)),
        b'f' => Some((Some(FieldValue::Bool(false)), skip_literal(b, i, b"false")?)),
        b'n' => Some((None, skip_literal(b, i, b"null")?)),
        b'{' | b'[' => None,
        _ => {
            let (end, integer) = skip_number(b, i)?;
            let text = s.get(i..end)?;
            Some((Some(number(text, integer)?), end))
        }
    }
}

/// A validated JSON number: `Int` when it is an integer that fits `i64`, else `Num`.
pub(crate) fn number(text: &str, integer: bool) -> Option<FieldValue<'static>> {
    if integer && let Ok(v) = text.parse::<i64>() {
        return Some(FieldValue::Int(v));
    }
    text.parse::<f64>().ok().map(FieldValue::Num)
}
