//! JSON discovery: locating the object in a message, looking up one flattened path, and
//! flattening every leaf (capped at [`MAX_FIELDS`]).

use crate::FieldValue;
use crate::scan::{self, skip_string, skip_value, skip_value_within, skip_ws, string_text};

/// At most this many JSON leaves per event are discoverable (document order).
pub const MAX_FIELDS: usize = 200;

/// The message from its first `{` on: where its JSON object starts (not validated).
#[inline]
pub(crate) fn from_first_brace(message: &str) -> Option<&str> {
    message.get(message.find('{')?..)
}

/// The validated JSON object of a message: from the first `{` to the end of the value that
/// starts there. Text after it is ignored; if that value is not valid JSON the message has no
/// JSON fields (later `{` are not tried).
#[inline]
pub(crate) fn fragment(message: &str) -> Option<&str> {
    let start = message.find('{')?;
    let mut leaves = 0;
    let end = skip_value(message.as_bytes(), start, &mut leaves)?;
    message.get(start..end)
}

/// Outcome of searching one container.
enum Step<'a> {
    /// The leaf was found; the index is just past the searched value, which was validated.
    Found(FieldValue<'a>, usize),
    /// Not in this value; scanning resumes at the index.
    NotHere(usize),
    /// The field cap was reached or the input is malformed: the answer is `None`.
    Stop,
}

/// What follows a member or element.
enum After {
    /// `,` — the next member/element starts at the index.
    Comma(usize),
    /// The closing bracket — the container ends just before the index.
    Closed(usize),
}

/// Walk state shared by lookup and flattening: the document and the leaves seen so far.
/// `depth` arguments count the containers enclosing the value at hand (validation caps the
/// total at [`scan::MAX_DEPTH`], like [`skip_value`]).
struct Walk<'a> {
    s: &'a str,
    leaves: usize,
}

impl<'a> Walk<'a> {
    fn b(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    /// Parses `"key" :` at `i`; returns the key text and the index of the value.
    fn key(&self, i: usize) -> Option<(std::borrow::Cow<'a, str>, usize)> {
        let (key, value) = self.raw_key(i)?;
        Some((key.text(self.s), value))
    }

    /// Parses `"key" :` at `i` without decoding the key; returns it and the index of the value.
    #[inline]
    fn raw_key(&self, i: usize) -> Option<(RawKey, usize)> {
        let (end, escaped) = skip_string(self.b(), i)?;
        let colon = skip_ws(self.b(), end);
        (self.b().get(colon) == Some(&b':')).then(|| (RawKey { start: i, end, escaped }, skip_ws(self.b(), colon + 1)))
    }

    /// The separator after a member/element ending at `i` of a container closed by `close`.
    fn after(&self, i: usize, close: u8) -> Option<After> {
        let i = skip_ws(self.b(), i);
        match *self.b().get(i)? {
            b',' => Some(After::Comma(skip_ws(self.b(), i + 1))),
            c if c == close => Some(After::Closed(i + 1)),
            _ => None,
        }
    }

    /// Skips (validating, counting leaves) the value at `i`, which has `depth` enclosing
    /// containers.
    fn skip(&mut self, i: usize, depth: u32) -> Option<usize> {
        let budget = scan::MAX_DEPTH.saturating_sub(depth);
        skip_value_within(self.b(), i, &mut self.leaves, budget)
    }

    /// Skips the value at `i`; stops once the cap is passed (nothing later can be found).
    fn skip_step(&mut self, i: usize, depth: u32) -> Step<'a> {
        match self.skip(i, depth) {
            Some(_) if self.leaves >= MAX_FIELDS => Step::Stop,
            Some(end) => Step::NotHere(end),
            None => Step::Stop,
        }
    }

    /// The value at `i` is the one whose full name was requested: a non-null scalar is the
    /// answer unless the cap was already reached; anything else is skipped.
    fn leaf_candidate(&mut self, i: usize, depth: u32) -> Step<'a> {
        match scan::scalar(self.s, i) {
            Some((Some(v), end)) if self.leaves < MAX_FIELDS => Step::Found(v, end),
            Some((Some(_), _)) => Step::Stop,
            Some((None, end)) => Step::NotHere(end),
            None => self.skip_step(i, depth),
        }
    }

    /// The name continues below the value at `i`: search it if it is a container, otherwise
    /// count it as an ordinary leaf.
    fn descend(&mut self, i: usize, sub: &str, depth: u32) -> Step<'a> {
        match self.b().get(i) {
            Some(b'{' | b'[') => self.find(i, sub, depth),
            _ => self.skip_step(i, depth),
        }
    }

    /// One object member `key: value@i` while searching for `rest`: the value is the leaf
    /// when the key is all of `rest`, is searched when the key is `rest` up to a `.`.
    fn member(&mut self, i: usize, rest: &str, key: RawKey, depth: u32) -> Step<'a> {
        if key.escaped {
            let key = key.text(self.s);
            return self.member_named(i, rest, key.as_bytes(), depth);
        }
        // Unescaped: the key's text is its bytes between the quotes, compared in place.
        let b = self.b();
        self.member_named(i, rest, &b[key.start + 1..key.end - 1], depth)
    }

    #[inline]
    fn member_named(&mut self, i: usize, rest: &str, key: &[u8], depth: u32) -> Step<'a> {
        let wanted = rest.as_bytes();
        // Most keys differ from the wanted one in length or first byte: no memcmp for those.
        let prefix = wanted.len() >= key.len()
            && key.first().is_none_or(|first| wanted.first() == Some(first))
            && wanted.get(..key.len()).is_some_and(|head| head == key);
        if !prefix {
            return self.skip_step(i, depth);
        }
        match wanted.get(key.len()) {
            None => self.leaf_candidate(i, depth),
            // `.` is ASCII: `rest` splits at a character boundary after it.
            Some(b'.') => match rest.get(key.len() + 1..) {
                Some(sub) => self.descend(i, sub, depth),
                None => self.skip_step(i, depth),
            },
            Some(_) => self.skip_step(i, depth),
        }
    }

    /// Searches the container at `i` (with `depth` enclosing containers) for the path `rest`,
    /// relative to it, validating everything it passes — including, after a hit, the rest of
    /// the container.
    fn find(&mut self, i: usize, rest: &str, depth: u32) -> Step<'a> {
        let b = self.b();
        let Some(&open) = b.get(i) else {
            return Step::Stop;
        };
        let is_object = open == b'{';
        let close = if is_object { b'}' } else { b']' };
        let mut pos = skip_ws(b, i + 1);
        if b.get(pos) == Some(&close) {
            return Step::NotHere(pos + 1);
        }
        if depth >= scan::MAX_DEPTH {
            return Step::Stop;
        }
        let inner = depth + 1;
        let index = if is_object { None } else { ArrayIndex::parse(rest) };
        let mut element = 0usize;
        loop {
            let step = if is_object {
                let Some((key, value)) = self.raw_key(pos) else {
                    return Step::Stop;
                };
                self.member(value, rest, key, inner)
            } else {
                let step = match index {
                    Some(ix) if ix.index == element => match ix.sub {
                        None => self.leaf_candidate(pos, inner),
                        Some(sub) => self.descend(pos, sub, inner),
                    },
                    _ => self.skip_step(pos, inner),
                };
                element += 1;
                step
            };
            match step {
                Step::NotHere(end) => match self.after(end, close) {
                    Some(After::Comma(next)) => pos = next,
                    Some(After::Closed(end)) => return Step::NotHere(end),
                    None => return Step::Stop,
                },
                Step::Found(v, end) => {
                    return match self.finish(is_object, close, end, inner) {
                        Some(end) => Step::Found(v, end),
                        None => Step::Stop,
                    };
                }
                Step::Stop => return Step::Stop,
            }
        }
    }

    /// Validates the remaining members/elements of a container after the one ending at `i`;
    /// returns the index after the container.
    fn finish(&mut self, is_object: bool, close: u8, mut i: usize, depth: u32) -> Option<usize> {
        loop {
            match self.after(i, close)? {
                After::Closed(end) => return Some(end),
                After::Comma(next) => {
                    let value = if is_object { self.raw_key(next)?.1 } else { next };
                    i = self.skip(value, depth)?;
                }
            }
        }
    }

    /// Appends every leaf under the container at `i` (path prefix in `path`) to `out` until
    /// [`MAX_FIELDS`] leaves were seen. The document must be validated already. Returns the
    /// index after the container, or `None` when the cap stops the walk.
    fn flatten(
        &mut self,
        i: usize,
        nested: bool,
        path: &mut String,
        out: &mut Vec<(String, FieldValue<'a>)>,
    ) -> Option<usize> {
        let b = self.b();
        let is_object = *b.get(i)? == b'{';
        let close = if is_object { b'}' } else { b']' };
        let mut pos = skip_ws(b, i + 1);
        if b.get(pos) == Some(&close) {
            return Some(pos + 1);
        }
        let base = path.len();
        let mut element = 0usize;
        loop {
            if nested {
                path.push('.');
            }
            let value = if is_object {
                let (key, value) = self.key(pos)?;
                path.push_str(&key);
                value
            } else {
                push_index(path, element);
                element += 1;
                pos
            };
            let end = match scan::scalar(self.s, value) {
                Some((leaf, end)) => {
                    if let Some(v) = leaf {
                        if self.leaves >= MAX_FIELDS {
                            return None;
                        }
                        self.leaves += 1;
                        out.push((exposed_name(path), v));
                    }
                    end
                }
                None => self.flatten(value, true, path, out)?,
            };
            path.truncate(base);
            match self.after(end, close)? {
                After::Comma(next) => pos = next,
                After::Closed(end) => return Some(end),
            }
        }
    }
}

/// An object key as it appears in the document: the string literal `s[start..end]` (quotes
/// included), already validated.
#[derive(Clone, Copy)]
struct RawKey {
    start: usize,
    end: usize,
    escaped: bool,
}

impl RawKey {
    fn text(self, s: &str) -> std::borrow::Cow<'_, str> {
        string_text(s, self.start, self.end, self.escaped)
    }
}

/// A name segment addressing an array element: canonical decimal index, then the rest.
#[derive(Clone, Copy)]
struct ArrayIndex<'n> {
    index: usize,
    sub: Option<&'n str>,
}

impl<'n> ArrayIndex<'n> {
    fn parse(rest: &'n str) -> Option<Self> {
        let (segment, sub) = match rest.split_once('.') {
            Some((segment, sub)) => (segment, Some(sub)),
            None => (rest, None),
        };
        let canonical = !segment.is_empty()
            && segment.bytes().all(|c| c.is_ascii_digit())
            && (segment == "0" || !segment.starts_with('0'));
        let index = if canonical {
            segment.parse().ok()?
        } else {
            return None;
        };
        Some(Self { index, sub })
    }
}

fn push_index(path: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        path.push(char::from(d));
    }
}

/// The name a flattened path is exposed under: a leading `@` gets a second one.
fn exposed_name(path: &str) -> String {
    if path.starts_with('@') {
        let mut name = String::with_capacity(path.len() + 1);
        name.push('@');
        name.push_str(path);
        name
    } else {
        path.to_owned()
    }
}

/// The leaf at flattened `path` (as written in the document, i.e. without the extra `@`) of
/// the object starting at byte 0 of `object` (text after it is ignored), if it is among the
/// first [`MAX_FIELDS`] leaves. With duplicate names the first leaf in document order wins.
/// One pass: the object is validated while it is searched, so an invalid object gives `None`.
pub(crate) fn lookup<'a>(object: &'a str, path: &str) -> Option<FieldValue<'a>> {
    let mut walk = Walk { s: object, leaves: 0 };
    match walk.find(0, path, 0) {
        Step::Found(v, _) => Some(v),
        Step::NotHere(_) | Step::Stop => None,
    }
}

/// The top-level members named in `names` (dotless names as written, no leading `@`) of the
/// object starting at byte 0 of `object`, in one pass: `out[k]` gets what [`lookup`] would give
/// for `names[k]`. Returns `false` when the object is not valid JSON (every answer is then
/// `None`; `out` must be ignored).
pub(crate) fn top_level<'a>(object: &'a str, names: &[&str], out: &mut [Option<FieldValue<'a>>]) -> bool {
    let b = object.as_bytes();
    if b.first() != Some(&b'{') {
        return false;
    }
    let mut walk = Walk { s: object, leaves: 0 };
    let mut pos = skip_ws(b, 1);
    if b.get(pos) == Some(&b'}') {
        return true;
    }
    loop {
        let Some((key, value)) = walk.key(pos) else { return false };
        let wanted = names.iter().any(|n| *n == key);
        let end = match wanted.then(|| scan::scalar(object, value)).flatten() {
            Some((leaf, end)) => {
                if let Some(v) = leaf {
                    // Counted like any leaf; the first one of a name wins, within the cap.
                    if walk.leaves < MAX_FIELDS {
                        for (slot, _) in out.iter_mut().zip(names).filter(|(slot, n)| slot.is_none() && **n == key) {
                            *slot = Some(v.clone());
                        }
                    }
                    walk.leaves += 1;
                }
                end
            }
            _ => match walk.skip(value, 1) {
                Some(end) => end,
                None => return false,
            },
        };
        match walk.after(end, b'}') {
            Some(After::Comma(next)) => pos = next,
            Some(After::Closed(_)) => return true,
            None => return false,
        }
    }
}

/// Every leaf of a validated object, in document order, up to [`MAX_FIELDS`] leaves, named
/// as exposed (`@x` → `@@x`). Duplicate names are kept; the caller de-duplicates.
pub(crate) fn flatten(object: &str) -> Vec<(String, FieldValue<'_>)> {
    let mut walk = Walk { s: object, leaves: 0 };
    let mut out = Vec::new();
    let mut path = String::new();
    let _ = walk.flatten(0, false, &mut path, &mut out);
    out
}
