//! Masking and tokenisation: one linear pass over a line that replaces
//! variable-looking substrings (timestamps, IP addresses, UUIDs, hex ids,
//! numbers) by one-character markers and splits the result into tokens.
//!
//! Markers are characters of the Unicode private-use area; any such
//! character already present in the input is replaced by U+FFFD in the
//! masked text (the raw text is never altered), so a marker can only come
//! from the masker.

use std::ops::Range;

/// The kinds of masked values (and of merged wildcards).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Number,
    Ip,
    Uuid,
    Hex,
    Time,
    /// A wildcard created by merging two different tokens.
    Wild,
}

const MARK_NUMBER: char = '\u{E001}';
const MARK_IP: char = '\u{E002}';
const MARK_UUID: char = '\u{E003}';
const MARK_HEX: char = '\u{E004}';
const MARK_TIME: char = '\u{E005}';
pub(crate) const MARK_WILD: char = '\u{E006}';

impl Kind {
    pub(crate) fn marker(self) -> char {
        match self {
            Kind::Number => MARK_NUMBER,
            Kind::Ip => MARK_IP,
            Kind::Uuid => MARK_UUID,
            Kind::Hex => MARK_HEX,
            Kind::Time => MARK_TIME,
            Kind::Wild => MARK_WILD,
        }
    }

    pub(crate) fn from_marker(c: char) -> Option<Kind> {
        Some(match c {
            MARK_NUMBER => Kind::Number,
            MARK_IP => Kind::Ip,
            MARK_UUID => Kind::Uuid,
            MARK_HEX => Kind::Hex,
            MARK_TIME => Kind::Time,
            MARK_WILD => Kind::Wild,
            _ => return None,
        })
    }
}

/// One token of a masked line.
#[derive(Clone, Debug)]
pub(crate) struct Tok {
    /// Byte range in [`Masked::text`].
    pub m: Range<usize>,
    /// Byte range in the raw line.
    pub r: Range<usize>,
    /// Whether whitespace preceded the token in the raw line.
    pub ws: bool,
    /// True when the token has no ASCII digit and is not a lone marker:
    /// usable as a key in the prefix tree.
    pub keyable: bool,
}

/// Reusable output buffers of [`mask_into`].
#[derive(Default, Debug)]
pub(crate) struct Masked {
    pub text: String,
    pub toks: Vec<Tok>,
}

impl Masked {
    pub(crate) fn tok(&self, i: usize) -> &str {
        &self.text[self.toks[i].m.clone()]
    }
}

#[inline]
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

#[inline]
fn boundary_after(b: &[u8], i: usize) -> bool {
    i >= b.len() || !is_word(b[i])
}

fn digits(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    j - i
}

fn hexes(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_hexdigit() {
        j += 1;
    }
    j - i
}

/// Whether the line looks like a JSON object: then `,` `:` `{` `[` outside
/// strings also end tokens.
fn looks_like_json(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 2 && t.starts_with('{') && t.ends_with('}')
}

/// Masks `line` into `out` (cleared first).
pub(crate) fn mask_into(line: &str, out: &mut Masked) {
    out.text.clear();
    out.toks.clear();
    let b = line.as_bytes();
    let n = b.len();
    let json = looks_like_json(line);
    let mut in_str = false;
    let mut i = 0;
    // (masked start, raw start, whitespace before)
    let mut cur: Option<(usize, usize, bool)> = None;
    let mut has_digit = false;
    let mut ws = false;

    macro_rules! end_tok {
        ($raw_end:expr) => {
            if let Some((ms, rs, w)) = cur.take() {
                let me = out.text.len();
                let lone_marker = me - ms == 3 && out.text[ms..me].chars().next().and_then(Kind::from_marker).is_some();
                out.toks.push(Tok { m: ms..me, r: rs..$raw_end, ws: w, keyable: !has_digit && !lone_marker });
            }
        };
    }

    while i < n {
        let c = b[i];
        if c.is_ascii_whitespace() {
            end_tok!(i);
            ws = true;
            i += 1;
            continue;
        }
        if cur.is_none() {
            cur = Some((out.text.len(), i, ws));
            ws = false;
            has_digit = false;
        }
        let at_boundary = i == 0 || !is_word(b[i - 1]);
        if at_boundary
            && (c.is_ascii_alphanumeric() || c == b'-' || c == b'+')
            && let Some((end, kind)) = match_variable(b, i)
        {
            out.text.push(kind.marker());
            i = end;
            continue;
        }
        if is_word(c) {
            let s = i;
            while i < n && is_word(b[i]) {
                if b[i].is_ascii_digit() {
                    has_digit = true;
                }
                i += 1;
            }
            push_sanitized(&mut out.text, &line[s..i]);
            continue;
        }
        // ASCII punctuation.
        out.text.push(c as char);
        i += 1;
        if json {
            if c == b'\\' && in_str {
                if i < n && b[i].is_ascii() && !b[i].is_ascii_whitespace() {
                    out.text.push(b[i] as char);
                    i += 1;
                }
            } else if c == b'"' {
                in_str = !in_str;
            } else if !in_str && matches!(c, b',' | b':' | b'{' | b'[') {
                end_tok!(i);
            }
        }
    }
    end_tok!(n);
}

/// Appends `s`, replacing characters of the marker range by U+FFFD.
fn push_sanitized(out: &mut String, s: &str) {
    if !s.as_bytes().contains(&0xEE) {
        out.push_str(s);
        return;
    }
    for ch in s.chars() {
        if ('\u{E000}'..='\u{E0FF}').contains(&ch) {
            out.push('\u{FFFD}');
        } else {
            out.push(ch);
        }
    }
}

const MONTHS: [&[u8]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
const WEEKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

/// Tries to recognise a variable value starting at `i` (a word boundary).
/// Returns the end of the value and its kind. The value always ends at a
/// word boundary.
fn match_variable(b: &[u8], i: usize) -> Option<(usize, Kind)> {
    let c = b[i];
    if c.is_ascii_alphabetic() {
        if let Some(e) = match_month_time(b, i) {
            return Some((e, Kind::Time));
        }
        if let Some(e) = match_uuid(b, i) {
            return Some((e, Kind::Uuid));
        }
        return match_hex_word(b, i).map(|e| (e, Kind::Hex));
    }
    if c == b'-' || c == b'+' {
        if i + 1 < b.len() && b[i + 1].is_ascii_digit() {
            return match_number(b, i + 1).map(|e| (e, Kind::Number));
        }
        return None;
    }
    // digit
    if let Some(e) = match_uuid(b, i) {
        return Some((e, Kind::Uuid));
    }
    if let Some(e) = match_ip(b, i) {
        return Some((e, Kind::Ip));
    }
    if let Some(e) = match_datetime(b, i) {
        return Some((e, Kind::Time));
    }
    if c == b'0' && i + 2 < b.len() && (b[i + 1] == b'x' || b[i + 1] == b'X') {
        let h = hexes(b, i + 2);
        if h > 0 && boundary_after(b, i + 2 + h) {
            return Some((i + 2 + h, Kind::Hex));
        }
    }
    if let Some(e) = match_hex_word(b, i) {
        return Some((e, Kind::Hex));
    }
    match_number(b, i).map(|e| (e, Kind::Number))
}

/// A word of hex digits (length >= 6, with a digit and a letter), or a word
/// of length >= 8 that starts with a digit and mixes digits and letters.
fn match_hex_word(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let (mut dig, mut alpha, mut all_hex) = (false, false, true);
    while j < b.len() && b[j].is_ascii_alphanumeric() {
        if b[j].is_ascii_digit() {
            dig = true;
        } else {
            alpha = true;
            if !b[j].is_ascii_hexdigit() {
                all_hex = false;
            }
        }
        j += 1;
    }
    if !boundary_after(b, j) || !dig || !alpha {
        return None;
    }
    let len = j - i;
    if (all_hex && len >= 6) || (len >= 8 && b[i].is_ascii_digit()) { Some(j) } else { None }
}

/// Decimal number with optional `.digits` groups; a short alphabetic unit
/// suffix (`ms`, `KB`) may follow and is left unmasked.
fn match_number(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + digits(b, i);
    if j == i {
        return None;
    }
    while j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
        j += 1 + digits(b, j + 1);
    }
    if boundary_after(b, j) {
        return Some(j);
    }
    // unit suffix
    let mut k = j;
    while k < b.len() && b[k].is_ascii_alphabetic() {
        k += 1;
    }
    if k - j <= 4 && boundary_after(b, k) { Some(j) } else { None }
}

fn match_uuid(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for (k, want) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
        if k > 0 {
            if j >= b.len() || b[j] != b'-' {
                return None;
            }
            j += 1;
        }
        if hexes(b, j) != want {
            return None;
        }
        j += want;
    }
    boundary_after(b, j).then_some(j)
}

fn match_ip(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for k in 0..4 {
        if k > 0 {
            if j >= b.len() || b[j] != b'.' {
                return None;
            }
            j += 1;
        }
        let d = digits(b, j);
        if d == 0 || d > 3 {
            return None;
        }
        let v: u32 = std::str::from_utf8(&b[j..j + d]).ok()?.parse().ok()?;
        if v > 255 {
            return None;
        }
        j += d;
    }
    if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
        return None;
    }
    if j + 1 < b.len() && b[j] == b':' && b[j + 1].is_ascii_digit() {
        let d = digits(b, j + 1);
        if boundary_after(b, j + 1 + d) && d <= 5 {
            return Some(j + 1 + d);
        }
    }
    boundary_after(b, j).then_some(j)
}

/// A compact run of digit groups joined by date/time separators.
struct Chunk {
    end: usize,
    groups: [u8; 12],
    seps: [u8; 12],
    n: usize,
}

fn parse_chunk(b: &[u8], i: usize) -> Option<Chunk> {
    let mut ch = Chunk { end: i, groups: [0; 12], seps: [0; 12], n: 0 };
    let mut j = i;
    loop {
        let d = digits(b, j);
        if d == 0 || d > 8 {
            return None;
        }
        ch.groups[ch.n] = d as u8;
        ch.n += 1;
        j += d;
        if ch.n == 12 || j + 1 >= b.len() {
            break;
        }
        let s = b[j];
        if matches!(s, b'-' | b'/' | b'.' | b':' | b',' | b'T') && b[j + 1].is_ascii_digit() {
            ch.seps[ch.n - 1] = s;
            j += 1;
        } else {
            break;
        }
    }
    ch.end = j;
    Some(ch)
}

impl Chunk {
    /// `hh:mm` or `h:m:s` at group `k`.
    fn time_at(&self, k: usize) -> bool {
        let g = &self.groups;
        k + 1 < self.n
            && self.seps[k] == b':'
            && g[k] <= 2
            && g[k + 1] <= 2
            && (g[k + 1] == 2 || (k + 2 < self.n && self.seps[k + 1] == b':' && g[k + 2] <= 2))
    }
    fn has_time(&self) -> bool {
        (0..self.n).any(|k| self.time_at(k))
    }
    fn starts_with_time(&self) -> bool {
        self.time_at(0)
    }
    fn is_date(&self) -> bool {
        if self.n < 3 {
            return false;
        }
        let (s0, s1) = (self.seps[0], self.seps[1]);
        if s0 != s1 || !matches!(s0, b'-' | b'/' | b'.') {
            return false;
        }
        if s0 == b'.' && self.n > 3 && self.seps[2] == b'.' {
            return false; // version number
        }
        let g = &self.groups;
        (g[0] == 4 && g[1] <= 2 && g[2] <= 2) || (g[0] <= 2 && g[1] <= 2 && (g[2] == 4 || g[2] == 2))
    }
    /// Short date such as `03-17` or `10.30`, which only counts as part of a
    /// timestamp when a time of day follows.
    fn is_short_date(&self) -> bool {
        self.n == 2 && self.groups[0] <= 2 && self.groups[1] <= 2 && matches!(self.seps[0], b'-' | b'/' | b'.')
    }
}

/// Skips a time-zone suffix (`Z`, `+02:00`, `-0700`).
fn tz_suffix(b: &[u8], j: usize) -> usize {
    if j < b.len() && b[j] == b'Z' && boundary_after(b, j + 1) {
        return j + 1;
    }
    if j + 1 < b.len() && (b[j] == b'+' || b[j] == b'-') {
        let d = digits(b, j + 1);
        if d == 4 && boundary_after(b, j + 5) {
            return j + 5;
        }
        if d == 2 && b.get(j + 3) == Some(&b':') && digits(b, j + 4) == 2 && boundary_after(b, j + 6) {
            return j + 6;
        }
    }
    j
}

fn match_datetime(b: &[u8], i: usize) -> Option<usize> {
    let ch = parse_chunk(b, i)?;
    let mut end = ch.end;
    let mut timed = ch.has_time();
    let date = ch.is_date();
    if (date || ch.is_short_date()) && !timed {
        // date, 1-2 spaces, time of day
        let mut j = end;
        let mut sp = 0;
        while j < b.len() && b[j] == b' ' && sp < 2 {
            j += 1;
            sp += 1;
        }
        if sp > 0
            && j < b.len()
            && b[j].is_ascii_digit()
            && let Some(t) = parse_chunk(b, j)
            && t.starts_with_time()
            && boundary_after(b, t.end)
        {
            end = t.end;
            timed = true;
        }
    }
    if !(timed || date) {
        return None;
    }
    if timed {
        end = tz_suffix(b, end);
    }
    boundary_after(b, end).then_some(end)
}

fn word_in(b: &[u8], i: usize, set: &[&[u8]]) -> bool {
    i + 3 <= b.len() && set.contains(&&b[i..i + 3]) && boundary_after(b, i + 3)
}

/// `[Weekday ]Month D[D] [hh:mm:ss[.frac]] [YYYY]`.
fn match_month_time(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    if word_in(b, j, &WEEKDAYS) {
        j += 3;
        if j < b.len() && (b[j] == b' ' || b[j] == b',') {
            j += 1;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
        } else {
            return None;
        }
    }
    if !word_in(b, j, &MONTHS) {
        return None;
    }
    j += 3;
    let mut sp = 0;
    while j < b.len() && b[j] == b' ' && sp < 2 {
        j += 1;
        sp += 1;
    }
    let d = digits(b, j);
    if sp == 0 || d == 0 || d > 2 || !boundary_after(b, j + d) {
        return None;
    }
    j += d;
    let mut end = j;
    // optional time of day
    if j + 1 < b.len() && b[j] == b' ' && b[j + 1].is_ascii_digit() {
        if let Some(t) = parse_chunk(b, j + 1)
            && t.starts_with_time()
            && boundary_after(b, t.end)
        {
            end = t.end;
            // optional year
            if end + 5 <= b.len() && b[end] == b' ' && digits(b, end + 1) == 4 && boundary_after(b, end + 5) {
                end += 5;
            }
        } else if digits(b, j + 1) == 4 && boundary_after(b, j + 5) {
            end = j + 5; // "Dec 04 2005"
        }
    }
    Some(end)
}

/// Classifies a whole value: `Some(kind)` when the entire string masks to a
/// single marker.
pub(crate) fn classify_value(v: &str) -> Option<Kind> {
    let b = v.as_bytes();
    if b.is_empty() {
        return None;
    }
    let c = b[0];
    if !(c.is_ascii_alphanumeric() || c == b'-' || c == b'+') {
        return None;
    }
    match match_variable(b, 0) {
        Some((e, k)) if e == b.len() => Some(k),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(line: &str) -> String {
        let mut m = Masked::default();
        mask_into(line, &mut m);
        (0..m.toks.len())
            .map(|i| {
                m.tok(i)
                    .chars()
                    .map(|c| match Kind::from_marker(c) {
                        Some(k) => format!("<{k:?}>"),
                        None => c.to_string(),
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn masks_common_values() {
        assert_eq!(
            show(
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_-6952295868487656571 terminating"
            ),
            "<Number> <Number> <Number> INFO dfs.DataNode$PacketResponder: PacketResponder <Number> for block blk_<Number> terminating"
        );
        assert_eq!(
            show("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"),
            "<Time> LabSZ sshd[<Number>]: Invalid user webmaster from <Ip>"
        );
        assert_eq!(
            show("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6"),
            "[<Time>] [error] mod_jk child workerEnv in error state <Number>"
        );
        assert_eq!(
            show("2015-07-29 17:41:44,747 - INFO  [/10.10.34.11:3888:QuorumCnxManager$Listener@493] - x"),
            "<Time> - INFO [/<Ip>:QuorumCnxManager$Listener@<Number>] - x"
        );
        assert_eq!(
            show("START RequestId: 8f5a1c2e-1d2b-4c3d-9e8f-0a1b2c3d4e5f Version: $LATEST"),
            "START RequestId: <Uuid> Version: $LATEST"
        );
        assert_eq!(show("took 45ms at 0x7fed806eb5d id 9f4ef63"), "took <Number>ms at <Hex> id <Hex>");
        assert_eq!(show("[10.30 16:49:06] chrome.exe"), "[<Time>] chrome.exe");
        assert_eq!(show("20171223-22:15:29:606|Step_LSC|30002312|x"), "<Time>|Step_LSC|<Number>|x");
        assert_eq!(show("at 2024-01-15T10:00:00.123Z ok"), "at <Time> ok");
        assert_eq!(show("node-246 R02-M1-N0 eth0"), "node-<Number> R02-M1-N0 eth0");
    }

    #[test]
    fn json_splits_on_structure() {
        assert_eq!(
            show(r#"{"level":"info","msg":"user logged in","id":42}"#),
            r#"{ "level": "info", "msg": "user logged in", "id": <Number>}"#
        );
    }

    #[test]
    fn sanitizes_marker_chars() {
        assert_eq!(show("a\u{E001}b"), "a\u{FFFD}b");
    }
}
