//! A faster `parse` for regexes anchored at the end of the text (`… (?<rt>[0-9.]+)$`), the
//! usual shape of access-log patterns.
//!
//! For such a regex the `regex` engine finds where the match starts with a reverse lazy DFA
//! run from the end of the text, then takes the captures with a one-pass DFA from that start.
//! The reverse scan crosses every byte of the match (user agents, referrers) at ~2 ns a byte:
//! Unicode-aware classes such as `[^"]` are small UTF-8 automata, whose states the DFA cannot
//! skip through. Here the start comes from a *dense, minimized* reverse DFA of a byte-level
//! **superset** of the regex (every class holding non-ASCII characters also accepts any run of
//! bytes ≥ 0x80), in which `[^"]*` is one self-looping state that the DFA crosses with
//! `memrchr`: 0.7 ns a byte (access-log `parse` 482 → 357 ns a line, docs/benchmarks.md).
//!
//! Why the answer is the same as the `regex` engine's: the superset matches whatever the regex
//! matches, so its leftmost start `s` is at or before the regex's. When the one-pass DFA (with
//! the regex's own Unicode semantics) matches anchored at `s`, `s` is a start of the regex, so
//! it is its leftmost start, and the one-pass DFA's captures are the leftmost-first ones the
//! engine would report. When the superset does not match, neither does the regex. Otherwise
//! (the one-pass DFA fails at `s`: non-ASCII text the superset accepted too loosely) the caller
//! runs the ordinary search.
//!
//! ASCII texts (most log lines) skip the one-pass DFA too, which stepped through the whole
//! match at ~2.7 ns a byte: on ASCII text the superset *is* the regex, so `s` is exact, and when
//! the regex is a concatenation ending in `$` whose groups are top-level items, each piece (a
//! group, or the run of items between groups) gets its own dense DFA; the pieces take their
//! longest matches one after the other from `s`. If they reach the end of the text, that split
//! is a match of the whole regex from `s`, and since the regex is one-pass it has no other path:
//! the pieces' bounds are the engine's captures. Otherwise the one-pass DFA decides
//! (access_status, 1 GB: 370 → 310 ms).

use regex_automata::dfa::{Automaton, StartKind, dense, onepass};
use regex_automata::nfa::thompson;
use regex_automata::util::captures::Captures;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, HirKind, Look, LookSet, Repetition};

/// Largest reverse DFA built (bytes); bigger patterns keep the ordinary search. Small, since up
/// to 1,024 compiled patterns stay cached (an access-log pattern's DFA takes ~1.3 KiB).
const DFA_SIZE_LIMIT: usize = 64 << 10;

/// The fast path of one end-anchored regex.
pub(crate) struct EndAnchored {
    /// Reverse DFA of the byte-level superset, anchored at the end of the text.
    reverse: dense::DFA<Vec<u32>>,
    /// The regex itself, for captures from a known start.
    onepass: onepass::DFA,
    /// The regex as consecutive pieces, for captures of ASCII texts without the one-pass DFA.
    pieces: Option<Vec<Piece>>,
}

/// One piece of a regex that is a concatenation: a capture group, or a run of items between
/// groups, with an anchored forward DFA of its byte-level superset (exact on ASCII text).
struct Piece {
    dfa: dense::DFA<Vec<u32>>,
    /// The capture group this piece is (its index), if it is one.
    group: Option<usize>,
}

/// What the fast path found for one text.
pub(crate) enum Outcome {
    /// The regex does not match.
    NoMatch,
    /// The regex matches; the captures are filled in.
    Matched,
    /// Undecided: run the ordinary search.
    Unsure,
}

impl EndAnchored {
    /// The fast path for `pattern` (in `regex` syntax), when it applies: every match ends at
    /// the end of the text, the pattern is not anchored at the start (the engine already runs
    /// the one-pass DFA then), it has no look-around but `^` / `$`, and it is one-pass.
    pub(crate) fn new(pattern: &str) -> Option<EndAnchored> {
        let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
        let props = hir.properties();
        let only_text_anchors = LookSet::empty().insert(Look::Start).insert(Look::End);
        if !props.look_set_suffix().contains(Look::End)
            || props.look_set_prefix().contains(Look::Start)
            || !props.look_set().subtract(only_text_anchors).is_empty()
        {
            return None;
        }
        let onepass = onepass::DFA::new(pattern).ok()?;
        let reverse = superset_dfa(&hir, true)?;
        Some(EndAnchored { reverse, onepass, pieces: pieces(&hir) })
    }

    pub(crate) fn create_cache(&self) -> onepass::Cache {
        self.onepass.create_cache()
    }

    pub(crate) fn create_captures(&self) -> Captures {
        self.onepass.create_captures()
    }

    /// Searches `text`, filling `captures` when the regex matches.
    pub(crate) fn captures(&self, cache: &mut onepass::Cache, text: &str, captures: &mut Captures) -> Outcome {
        let start = match self.reverse.try_search_rev(&Input::new(text).anchored(Anchored::Yes)) {
            Ok(Some(half)) => half.offset(),
            Ok(None) => return Outcome::NoMatch,
            Err(_) => return Outcome::Unsure,
        };
        if let Some(pieces) = &self.pieces
            && text.is_ascii()
            && captures_by_pieces(pieces, text, start, captures)
        {
            return Outcome::Matched;
        }
        // The range keeps the text's real end, which `$` looks at.
        let input = Input::new(text).range(start..).anchored(Anchored::Yes);
        match self.onepass.try_search(cache, &input, captures) {
            Ok(()) if captures.is_match() => Outcome::Matched,
            _ => Outcome::Unsure,
        }
    }
}

/// Captures of an ASCII `text` whose match starts at `start` (on ASCII text the superset is the
/// regex, so `start` is exact), taken piece by piece: each piece's longest match from where the
/// previous one ended. If that reaches the end of the text, it is a match of the whole regex
/// from `start`; the regex being one-pass, that match has a single path through it, so these are
/// its captures. `false` when a piece does not match or the text is not reached (a shorter
/// match of some piece might have been needed): the one-pass DFA decides then.
fn captures_by_pieces(pieces: &[Piece], text: &str, start: usize, captures: &mut Captures) -> bool {
    let slots = captures.slots_mut();
    slots.iter_mut().for_each(|slot| *slot = None);
    let mut at = start;
    for piece in pieces {
        let input = Input::new(text).range(at..).anchored(Anchored::Yes);
        let Ok(Some(end)) = piece.dfa.try_search_fwd(&input) else { return false };
        let end = end.offset();
        if let Some(group) = piece.group {
            let (Some(from), Some(to)) = (NonMaxUsize::new(at), NonMaxUsize::new(end)) else { return false };
            let Some([open, close]) = slots.get_mut(group * 2..group * 2 + 2) else { return false };
            (*open, *close) = (Some(from), Some(to));
        }
        at = end;
    }
    if at != text.len() {
        return false;
    }
    let (Some(from), Some(to)) = (NonMaxUsize::new(start), NonMaxUsize::new(at)) else { return false };
    let Some([open, close]) = slots.get_mut(0..2) else { return false };
    (*open, *close) = (Some(from), Some(to));
    captures.set_pattern(Some(PatternID::ZERO));
    true
}

/// `hir` as [`Piece`]s, when it is a concatenation ending in `$` whose capture groups are
/// top-level items without groups inside.
fn pieces(hir: &Hir) -> Option<Vec<Piece>> {
    let HirKind::Concat(items) = hir.kind() else { return None };
    let end = items.iter().rposition(|item| !matches!(item.kind(), HirKind::Look(Look::End)))? + 1;
    if end == items.len() {
        return None;
    }
    let mut pieces = Vec::new();
    let mut run: Vec<Hir> = Vec::new();
    for item in &items[..end] {
        match item.kind() {
            HirKind::Capture(capture) => {
                if capture.sub.properties().explicit_captures_len() > 0 {
                    return None;
                }
                if !run.is_empty() {
                    pieces
                        .push(Piece { dfa: superset_dfa(&Hir::concat(std::mem::take(&mut run)), false)?, group: None });
                }
                pieces.push(Piece { dfa: superset_dfa(&capture.sub, false)?, group: Some(capture.index as usize) });
            }
            _ if item.properties().explicit_captures_len() > 0 => return None,
            _ => run.push(item.clone()),
        }
    }
    if !run.is_empty() {
        pieces.push(Piece { dfa: superset_dfa(&Hir::concat(run), false)?, group: None });
    }
    Some(pieces)
}

/// An anchored DFA of `hir`'s byte-level superset, forward or reverse, that keeps scanning to its
/// longest match (for a reverse DFA: the leftmost start, as the engine's reverse DFAs do).
fn superset_dfa(hir: &Hir, reverse: bool) -> Option<dense::DFA<Vec<u32>>> {
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .reverse(reverse)
                .utf8(false)
                .shrink(true)
                .which_captures(thompson::WhichCaptures::None),
        )
        .build_from_hir(&byte_superset(hir))
        .ok()?;
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                // Merges the states of a class's ASCII and non-ASCII branches, so that `[^"]*`
                // becomes one state with a single exit byte (accelerated).
                .minimize(true)
                .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
        )
        .build_from_nfa(&nfa)
        .ok()
}

/// A byte-level regex matching at least everything `hir` matches: literals stay (as their
/// UTF-8 bytes), each class keeps its ASCII part and, if it holds anything else, also accepts
/// one or more bytes ≥ 0x80 (a non-ASCII character is 2–4 of them). Captures are dropped.
fn byte_superset(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Class(Class::Bytes(_)) => hir.clone(),
        HirKind::Class(Class::Unicode(class)) => {
            let ascii: Vec<ClassBytesRange> = class
                .ranges()
                .iter()
                .filter(|r| u32::from(r.start()) <= 0x7F)
                .map(|r| ClassBytesRange::new(r.start() as u8, u32::from(r.end()).min(0x7F) as u8))
                .collect();
            let has_non_ascii = class.ranges().last().is_some_and(|r| u32::from(r.end()) > 0x7F);
            let ascii = Hir::class(Class::Bytes(ClassBytes::new(ascii)));
            if !has_non_ascii {
                return ascii;
            }
            let high = Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(0x80, 0xFF)])));
            let high_run = Hir::repetition(Repetition { min: 1, max: None, greedy: true, sub: Box::new(high) });
            Hir::alternation(vec![ascii, high_run])
        }
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            min: rep.min,
            max: rep.max,
            greedy: rep.greedy,
            sub: Box::new(byte_superset(&rep.sub)),
        }),
        HirKind::Capture(capture) => byte_superset(&capture.sub),
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(byte_superset).collect()),
        HirKind::Alternation(parts) => Hir::alternation(parts.iter().map(byte_superset).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta;

    /// The fast path's answer for `text`, or `None` when it defers to the ordinary search.
    fn fast(re: &EndAnchored, text: &str) -> Option<Option<Vec<Option<String>>>> {
        let mut cache = re.create_cache();
        let mut caps = re.create_captures();
        match re.captures(&mut cache, text, &mut caps) {
            Outcome::NoMatch => Some(None),
            Outcome::Matched => Some(Some(groups(&caps, text))),
            Outcome::Unsure => None,
        }
    }

    fn groups(caps: &Captures, text: &str) -> Vec<Option<String>> {
        (1..caps.group_len()).map(|g| caps.get_group(g).map(|s| text[s.range()].to_string())).collect()
    }

    fn engine(pattern: &str, text: &str) -> Option<Vec<Option<String>>> {
        let re = meta::Regex::new(pattern).unwrap();
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        caps.is_match().then(|| groups(&caps, text))
    }

    const ACCESS: &str = r#"" (\d{3}) (\d+) "[^"]*" "[^"]*" ([0-9.]+)$"#;

    #[test]
    fn applies_to_end_anchored_one_pass_patterns_only() {
        assert!(EndAnchored::new(ACCESS).is_some());
        assert!(EndAnchored::new(r"(\d+) ms").is_none(), "not anchored at the end");
        assert!(EndAnchored::new(r"^(\w+) (\d+)$").is_none(), "anchored at both ends: the engine is one-pass already");
        assert!(EndAnchored::new(r"\b(\d+)$").is_none(), "word boundary");
        assert!(EndAnchored::new(r"(?m)(\d+)$").is_none(), "line anchor");
        assert!(EndAnchored::new(r"(a|ab)(c|bcd)$").is_none(), "not one-pass");
    }

    #[test]
    fn same_answers_as_the_engine() {
        let cases: &[(&str, &[&str])] = &[
            (
                ACCESS,
                &[
                    r#"10.0.0.1 - - [26/Nov/2026:00:35:01 +0000] "GET /a HTTP/1.1" 200 13694 "https://x/" "curl/8" 0.034"#,
                    r#"1.2.3.4 - - [x] "GET /é HTTP/1.1" 404 0 "-" "Mozilla/5.0 (ü; 日本)" 1.5"#,
                    r#"a "b" 200 5 "c" "d" 0.1 trailing"#,
                    r#"" 200 5 "" "" 1"#,
                    r#"" ٣٠٠ 5 "" "" 1"#,
                    "",
                    "no quotes at all 0.1",
                ],
            ),
            (r"(?i)user=(\w+) took (\d+)ms$", &["x USER=bob took 12ms", "user=Kelvin took 3ms", "user=bob took 3ms!"]),
            (r"(?<k>[^=]+)=(?<v>.*)$", &["a=b", "ключ=значение", "=", "no equals"]),
            (r"é(\d)$", &["café1", "cafe1", "é٣"]),
            (r"(\S+) (\S+)$", &["a b", "αβ γδ", "x  ", "one"]),
        ];
        let (mut decided, mut total) = (0, 0);
        for (pattern, texts) in cases {
            let re = EndAnchored::new(pattern).unwrap_or_else(|| panic!("{pattern}: fast path expected"));
            for text in *texts {
                total += 1;
                let expected = engine(pattern, text);
                if let Some(got) = fast(&re, text) {
                    decided += 1;
                    assert_eq!(got, expected, "{pattern} on {text:?}");
                }
            }
        }
        assert!(decided * 4 >= total * 3, "the fast path decided only {decided} of {total}");
    }

    proptest::proptest! {
        /// Random texts over an alphabet that mixes the patterns' bytes with multi-byte
        /// characters (and a non-ASCII digit): whenever the fast path decides, it agrees.
        #[test]
        fn agrees_with_the_engine_on_random_text(
            pattern in proptest::sample::select(vec![
                ACCESS,
                r"(?<k>[^=]+)=(?<v>.*)$",
                r"é(\d)$",
                r"(\S+) (\S+)$",
                r"(?i)id=([a-z]+)$",
                r"([a-z]+)-(\d+)$",
            ]),
            text in "[ \"=xyzé٣0-9a-zK.-]{0,24}",
        ) {
            let re = EndAnchored::new(pattern).expect("fast path");
            if let Some(got) = fast(&re, &text) {
                proptest::prop_assert_eq!(got, engine(pattern, &text), "{} on {:?}", pattern, text);
            }
        }
    }

    #[test]
    fn decides_plain_ascii_lines_itself() {
        let re = EndAnchored::new(ACCESS).unwrap();
        let line = r#"10.0.0.1 - - [x] "GET / HTTP/1.1" 200 13694 "https://x/" "curl/8" 0.034"#;
        let got = fast(&re, line).expect("decided without the engine");
        assert_eq!(got, Some(vec![Some("200".into()), Some("13694".into()), Some("0.034".into())]));
        assert_eq!(fast(&re, "GET / 200").expect("decided"), None);
    }

    #[test]
    fn ascii_lines_are_captured_piece_by_piece() {
        let re = EndAnchored::new(ACCESS).unwrap();
        let pieces = re.pieces.as_ref().expect("a concatenation ending in $");
        assert_eq!(pieces.iter().filter(|p| p.group.is_some()).count(), 3);
        let line = r#"10.0.0.1 - - [x] "GET / HTTP/1.1" 404 0 "-" "curl/8 (x; y)" 12.5"#;
        let start = line.find("\" 404").unwrap();
        let mut caps = re.create_captures();
        assert!(captures_by_pieces(pieces, line, start, &mut caps));
        assert_eq!(groups(&caps, line), vec![Some("404".into()), Some("0".into()), Some("12.5".into())]);
        assert_eq!(caps.get_match().map(|m| m.range()), Some(start..line.len()));
        // A start the regex cannot match from: no captures claimed.
        assert!(!captures_by_pieces(pieces, line, 0, &mut caps));
        // Not a concatenation ending in `$`, or a group inside a group: no pieces.
        assert!(EndAnchored::new(r"(?:a|(b))(c)$").is_some_and(|re| re.pieces.is_none()));
        assert!(EndAnchored::new(r"x((a)b)$").is_some_and(|re| re.pieces.is_none()));
    }
}
