//! The CloudWatch Logs **filter-pattern language**, as used by FilterLogEvents, metric filters,
//! subscription filters, Live Tail and TestMetricFilter.
//!
//! ```
//! use larch_filter::{FilterPattern, PatternKind};
//!
//! let errors = FilterPattern::parse("ERROR -healthcheck").unwrap();
//! assert!(errors.matches("[ERROR] upstream timed out"));
//! assert!(!errors.matches("[ERROR] healthcheck failed"));
//!
//! let slow = FilterPattern::parse("{ $.latency > 500 }").unwrap();
//! assert_eq!(slow.kind(), PatternKind::Json);
//! let hit = slow.evaluate(r#"{"latency": 731, "path": "/a"}"#).unwrap();
//! assert_eq!(hit.resolve("$.latency").as_deref(), Some("731"));
//!
//! let apache = FilterPattern::parse("[ip, user, ..., status = 5*, bytes]").unwrap();
//! let hit = apache.evaluate("10.0.0.1 bob GET /x 503 120").unwrap();
//! assert_eq!(hit.values["$status"], "503");
//! assert_eq!(hit.values["$3"], "GET");
//! ```
//!
//! # Pattern kinds
//!
//! The first non-blank character decides (see [`PatternKind`]):
//!
//! * empty, blank or `""` — matches every event;
//! * `{ … }` — JSON pattern: selectors (`$.a.b`, `$.a[0]`, `$.['x.y']`, `$.a[*].b`, `$.*.b`),
//!   `= != < > <= >=`, `IS NULL|TRUE|FALSE`, `NOT EXISTS`, `&&`, `||`, parentheses, string
//!   values with leading/trailing `*`, numbers, `%regex%`;
//! * `[ … ]` — space-delimited pattern: named/unnamed fields, one `...`, conditions joined
//!   with `&&`/`||` inside one field spec, `*` wildcards, numbers, `%regex%`;
//! * `%…%` — a regular expression in AWS's restricted alphabet (no parentheses);
//! * anything else — terms: `a b` (all), `"a phrase"`, `-excluded`, `?alt1 ?alt2`, term
//!   groups `?a b ?c d` = (a AND b) OR (c AND d).
//!
//! All matching is case-sensitive; at most 2 `%regex%` per pattern; patterns are at most 1024
//! characters. Invalid patterns produce a [`FilterError`] whose `Display` is the text the
//! server returns in its `InvalidParameterException`.
//!
//! # Layout
//!
//! * `classify.rs` — which language a pattern uses; strips the outer delimiters.
//! * `terms.rs` — term patterns (substring search per term, OR of AND-groups).
//! * `regex_pattern.rs` — `%regex%` alphabet check and translation to the `regex` crate.
//! * `lexer.rs` — tokens of JSON / space-delimited patterns, quoting, number grammar.
//! * `comparison.rs` — condition values (`*` wildcards, numbers, regexes) and comparisons.
//! * `selector.rs` — JSON selectors and their evaluation over `serde_json::Value`.
//! * `json.rs` — JSON pattern parser and evaluator.
//! * `delimited.rs` — space-delimited pattern parser, message splitter and matcher.
//! * `extract.rs` — [`Extracted`] values and metric value references.
//! * `error.rs` — [`FilterError`], the one error type.
//!
//! # Decisions
//!
//! Behaviour AWS does not document (or documents inconsistently), as implemented here; each
//! has a test in `tests/golden/patterns.txt` or `tests/invalid.rs`.
//!
//! * **Terms before the first `?`** form their own alternative: `a ?b ?c` = a OR b OR c
//!   (every `?` opens a new group, as in AWS CDK's `anyTermGroup` rendering).
//! * **Exclusions belong to their group**: `?ERROR -foo ?WARN` = (ERROR AND NOT foo) OR WARN.
//!   `- "term"` and `? "term"` (a blank after the marker) are accepted.
//! * **Unquoted terms** may only hold ASCII letters, digits and `_`; anything else (including
//!   non-ASCII letters) gives `Invalid character(s) in term '<first run of bad characters>'`,
//!   e.g. `Status:` → `':'`. A `"` ends an unquoted term and starts a quoted one.
//! * **Quoted text**: `\"` and `\\` are escapes; any other backslash is kept literally.
//! * **Regex mixed with terms** (`ERROR %\d+%`) is rejected; a regex pattern must be the whole
//!   pattern (or a JSON/space-delimited value).
//! * **Regex alphabet**: the documented set plus the blank (space), which AWS examples use.
//!   `\d \w \s` (and negations) are ASCII-only, as in Java. An empty `%%` is invalid.
//! * **Too many regexes** (> 2): `Invalid filter pattern: a filter pattern can contain at most
//!   2 regular expressions` (AWS's exact text is unknown).
//! * **Other syntax errors** report AWS's generic `Invalid filter pattern`
//!   ([`FilterError::reason`] has the detail; PutMetricFilter words it "Invalid metric filter
//!   pattern", see [`FilterError::metric_filter_message`]). A `[` without `]` mirrors AWS's
//!   `{` message: `If a filter pattern starts with '[' it must end with ']'`.
//! * **Length** is counted in characters; > 1024 gives the AWS validation-style message.
//! * **JSON values**: string comparisons (`=`/`!=` with quoted or non-numeric values, `*`
//!   wildcards, regexes) also apply to numbers (their JSON text, e.g. `1.5`) and booleans
//!   (`true`/`false`), never to `null`, objects or arrays — so `{ $.latency = * }` is the
//!   existence test for any scalar but null. Wildcards apply inside quotes too
//!   (`"AccessDenied*"`, as in the CIS benchmark filters).
//! * **Numeric literals** compare numerically with JSON numbers and with strings that parse as
//!   numbers (`"status": "503"` satisfies `$.status >= 500`); with `=`/`!=` a non-numeric
//!   string is compared to the literal's text. `<`, `>`, `<=`, `>=` require a number literal.
//! * **Missing paths** make every comparison false, `!=` included; only `NOT EXISTS` is true.
//! * **Wildcard selectors** (`[*]`, `.*`) match when any reached element satisfies the test;
//!   one wildcard per selector. `NOT EXISTS` with a wildcard = no element reaches a value.
//! * **Keywords** `IS`, `NOT`, `NULL`, `TRUE`, `FALSE`, `EXISTS` are case-insensitive.
//! * **Selectors**: `$[0]` (an index on the root) is accepted but never matches, since only
//!   JSON objects are matched; `.*` visits object members and array elements, `[*]` array
//!   elements only. Parentheses may nest 64 deep.
//! * **Unquoted values** may hold ASCII letters, digits and `_ - . * + : /`; other characters
//!   need quotes. `$.a.b` keys: letters, digits, `-`, `_` (others via `$.['a.b']`).
//! * **JSON messages** must be a JSON object (after leading blanks); anything else (arrays,
//!   invalid JSON, text) never matches a JSON pattern.
//! * **`extractedValues` for JSON** patterns: each non-wildcard selector used in the pattern
//!   that reaches a scalar, keyed by the selector as written (`$.latency`).
//!   [`Extracted::resolve`] also resolves selectors the pattern does not mention.
//! * **Space-delimited messages** are split on runs of spaces/tabs; a field starting with `"`
//!   ends at the next `"` and one starting with `[` at its matching `]` (no escapes);
//!   unterminated ones take the rest of the message.
//! * **Space-delimited specs**: conditions on two different fields in one spec
//!   (`status = 4* && bytes > 1000`) are rejected, as the live service does. No parentheses
//!   inside a spec. `[]` (no spec at all) is invalid; `[a,,b]` / trailing `,` are unnamed
//!   fields.

mod classify;
mod comparison;
mod delimited;
mod error;
mod extract;
mod json;
mod lexer;
mod regex_pattern;
mod selector;
mod terms;

use std::collections::BTreeMap;

pub use error::FilterError;
pub use extract::{Extracted, validate_metric_value};

use classify::{Classified, classify};
use delimited::DelimitedPattern;
use json::JsonPattern;
use regex_pattern::AwsRegex;
use terms::TermPattern;

/// AWS's limit on `filterPattern` / `logEventFilterPattern`.
pub const MAX_PATTERN_CHARS: usize = 1024;

/// AWS's limit on `%regex%` uses in one filter pattern.
pub const MAX_REGEXES_PER_PATTERN: usize = 2;

/// Which language a pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// Empty, blank or `""`: every event matches.
    MatchAll,
    /// Unstructured terms.
    Terms,
    /// A whole-pattern `%regex%`.
    Regex,
    /// `{ … }`.
    Json,
    /// `[ … ]`.
    SpaceDelimited,
}

#[derive(Debug, Clone)]
enum Matcher {
    All,
    Terms(TermPattern),
    Regex(AwsRegex),
    Json(JsonPattern),
    Delimited(DelimitedPattern),
}

/// A parsed, validated and compiled filter pattern (regexes are compiled once, here).
#[derive(Debug, Clone)]
pub struct FilterPattern {
    source: String,
    matcher: Matcher,
}

impl FilterPattern {
    /// Parses and validates; empty / whitespace-only / `""` = match all.
    pub fn parse(pattern: &str) -> Result<FilterPattern, FilterError> {
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(FilterError::TooLong { pattern: pattern.to_string() });
        }
        let matcher = match classify(pattern)? {
            Classified::MatchAll => Matcher::All,
            Classified::Terms(text) => Matcher::Terms(TermPattern::parse(text)?),
            Classified::Regex(body) => Matcher::Regex(AwsRegex::compile(body)?),
            Classified::Json(body) => Matcher::Json(JsonPattern::parse(body)?),
            Classified::Delimited(body) => Matcher::Delimited(DelimitedPattern::parse(body)?),
        };
        let parsed = FilterPattern { source: pattern.to_string(), matcher };
        let count = parsed.regex_count();
        if count > MAX_REGEXES_PER_PATTERN {
            return Err(FilterError::TooManyRegexes { count });
        }
        Ok(parsed)
    }

    /// Does the event message match? The fast path used on every event.
    pub fn matches(&self, message: &str) -> bool {
        match &self.matcher {
            Matcher::All => true,
            Matcher::Terms(terms) => terms.matches(message),
            Matcher::Regex(regex) => regex.is_match(message),
            Matcher::Json(json) => json.matches(message),
            Matcher::Delimited(delimited) => delimited.matches(message),
        }
    }

    /// Match plus the values a metric filter / TestMetricFilter extracts; `None` when the
    /// message does not match. See [`Extracted::values`] for the keys.
    pub fn evaluate(&self, message: &str) -> Option<Extracted> {
        match &self.matcher {
            Matcher::Json(json) => {
                json.evaluate(message).map(|(document, values)| Extracted::new(values, Some(document)))
            }
            Matcher::Delimited(delimited) => delimited.evaluate(message).map(|values| Extracted::new(values, None)),
            _ => self.matches(message).then(|| Extracted::new(BTreeMap::new(), None)),
        }
    }

    /// Number of `%regex%` uses (AWS allows 2 per pattern; `parse` enforces it).
    pub fn regex_count(&self) -> usize {
        match &self.matcher {
            Matcher::Regex(_) => 1,
            Matcher::Json(json) => json.regex_count(),
            Matcher::Delimited(delimited) => delimited.regex_count(),
            Matcher::All | Matcher::Terms(_) => 0,
        }
    }

    /// Which language the pattern is written in.
    pub fn kind(&self) -> PatternKind {
        match &self.matcher {
            Matcher::All => PatternKind::MatchAll,
            Matcher::Terms(_) => PatternKind::Terms,
            Matcher::Regex(_) => PatternKind::Regex,
            Matcher::Json(_) => PatternKind::Json,
            Matcher::Delimited(_) => PatternKind::SpaceDelimited,
        }
    }

    /// Whether metric filter `dimensions` may be used: AWS only allows them with JSON and
    /// space-delimited patterns ("The specified filter pattern does not support dimensions").
    pub fn supports_dimensions(&self) -> bool {
        matches!(self.kind(), PatternKind::Json | PatternKind::SpaceDelimited)
    }

    /// The pattern exactly as given to [`FilterPattern::parse`].
    pub fn as_str(&self) -> &str {
        &self.source
    }
}
