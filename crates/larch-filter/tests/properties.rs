//! Property tests: no input makes the crate panic, and term matching agrees with a naive
//! reference implementation.

use larch_filter::{FilterPattern, PatternKind};
use proptest::prelude::*;

/// Characters that exercise every lexer path.
fn pattern_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("$.a".to_string()),
            Just("$.b[0]".to_string()),
            Just("$.c[*].d".to_string()),
            Just("$.['x.y']".to_string()),
            Just(" = ".to_string()),
            Just(" != ".to_string()),
            Just(" >= ".to_string()),
            Just(" < ".to_string()),
            Just(" && ".to_string()),
            Just(" || ".to_string()),
            Just(" IS NULL".to_string()),
            Just(" NOT EXISTS".to_string()),
            Just("%a.*b%".to_string()),
            Just("%".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("...".to_string()),
            Just(",".to_string()),
            Just("?".to_string()),
            Just("-".to_string()),
            Just("*".to_string()),
            Just("1e3".to_string()),
            Just("ERROR".to_string()),
            Just("é".to_string()),
            Just(" ".to_string()),
            "[a-z0-9]{1,3}",
            any::<char>().prop_map(String::from),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn message_soup() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-c \"\\[\\]]{0,20}",
        Just(r#"{"a": 1, "b": [1, {"d": null}], "c": [{"d": "x"}], "x.y": true}"#.to_string()),
        Just(r#"{"a": "ERROR", "b": [[1]]}"#.to_string()),
        Just("1.2.3.4 - bob [10/Oct/2000:13:25:15 -0700] \"GET / HTTP/1.0\" 200 12".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(pattern in any::<String>(), message in any::<String>()) {
        if let Ok(parsed) = FilterPattern::parse(&pattern) {
            let matched = parsed.matches(&message);
            prop_assert_eq!(parsed.evaluate(&message).is_some(), matched);
        }
    }

    #[test]
    fn structured_soup_never_panics(pattern in pattern_soup(), message in message_soup()) {
        for candidate in [pattern.clone(), format!("{{{pattern}}}"), format!("[{pattern}]")] {
            if let Ok(parsed) = FilterPattern::parse(&candidate) {
                let matched = parsed.matches(&message);
                let evaluated = parsed.evaluate(&message);
                prop_assert_eq!(evaluated.is_some(), matched);
                if let Some(extracted) = evaluated {
                    for key in extracted.values.keys() {
                        prop_assert!(extracted.resolve(key).is_some());
                    }
                    let _ = extracted.resolve("$.a");
                    let _ = extracted.resolve("$.b[0]");
                }
                prop_assert!(parsed.regex_count() <= 2);
            }
        }
    }
}

/// A term of the generated patterns: (text, quoted?).
fn term() -> impl Strategy<Value = (String, bool)> {
    prop_oneof!["[a-d_0-9]{1,3}".prop_map(|t| (t, false)), "[a-d :.\"\\\\-]{0,4}".prop_map(|t| (t, true)),]
}

#[derive(Debug, Clone)]
struct GeneratedTerm {
    text: String,
    quoted: bool,
    excluded: bool,
    opens_group: bool,
}

fn render(terms: &[GeneratedTerm]) -> String {
    terms
        .iter()
        .map(|t| {
            let body = if t.quoted {
                format!("\"{}\"", t.text.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                t.text.clone()
            };
            format!("{}{}{}", if t.opens_group { "?" } else { "" }, if t.excluded { "-" } else { "" }, body)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The documented semantics, written as plainly as possible.
fn naive_matches(terms: &[GeneratedTerm], message: &str) -> bool {
    let mut groups: Vec<Vec<&GeneratedTerm>> = vec![Vec::new()];
    for t in terms {
        if t.opens_group && !groups.last().unwrap().is_empty() {
            groups.push(Vec::new());
        }
        groups.last_mut().unwrap().push(t);
    }
    groups.retain(|g| !g.is_empty());
    if groups.is_empty() {
        return true;
    }
    groups.iter().any(|group| group.iter().all(|t| message.contains(t.text.as_str()) != t.excluded))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn term_patterns_match_the_naive_reference(
        raw in proptest::collection::vec((term(), any::<bool>(), any::<bool>()), 1..6),
        message in "[a-d_0-9 :.\"\\\\-]{0,24}",
    ) {
        let terms: Vec<GeneratedTerm> = raw
            .into_iter()
            .map(|((text, quoted), excluded, opens_group)| GeneratedTerm {
                text,
                quoted,
                excluded,
                opens_group,
            })
            .collect();
        let pattern = render(&terms);
        let parsed = FilterPattern::parse(&pattern)
            .map_err(|e| TestCaseError::fail(format!("{pattern:?}: {e}")))?;
        prop_assert!(matches!(parsed.kind(), PatternKind::Terms | PatternKind::MatchAll));
        prop_assert_eq!(
            parsed.matches(&message),
            naive_matches(&terms, &message),
            "pattern {:?} message {:?}",
            pattern,
            message
        );
    }
}
