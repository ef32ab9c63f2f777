//! Property tests: `parse` never panics, spans/offsets stay in bounds.

use larch_insights::{Query, parse};
use proptest::prelude::*;

const VALID: &[&str] = &[
    "fields @timestamp, @message, strlen(@message) as len | sort @timestamp desc | limit 25",
    "filter statusCode >= 500 and @logStream like \"prod\" or not (a = 1)",
    "stats count(*) as n, avg(duration) by bin(5m), service | sort n desc",
    "parse @message \"user=*, method:*\" as user, method | stats count(*) by user",
    "parse @message /(?<ip>\\d+)/ multi | filter ip in [\"1\", \"2\"]",
    "SOURCE logGroups(namePrefix:['/aws/lambda']) | filter @message like /ERROR/ | pattern @message | anomaly",
    "fields jsonParse(@message) as j | unnest j.items into item | fields j.a[0].b as x | display item.id, x",
    "filter requestId in (SOURCE 'api' start=-1d end=now | fields requestId)",
    "fields 2 ^ -3 ^ 2 * -x / y % 3 as v # comment\n| dedup v | limit 3",
    "lookup t k as c OUTPUTNEW a as b | addtotals row=true | outlier action=remove x",
];

fn check(query: &str) {
    match parse(query) {
        Ok(q) => check_query(query, &q),
        Err(e) => {
            let chars = query.chars().count();
            assert!(e.start <= e.end, "{e:?}");
            assert!(e.end <= chars, "{e:?} beyond {chars} chars");
            assert!(!e.message.is_empty());
        }
    }
}

fn check_query(query: &str, q: &Query) {
    for c in &q.commands {
        assert!(c.span.start <= c.span.end && c.span.end <= query.len());
        assert!(query.is_char_boundary(c.span.start) && query.is_char_boundary(c.span.end));
    }
    let _ = q.to_string();
}

/// Applies byte-level edits, keeping UTF-8 validity.
fn mutate(base: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    const ALPHABET: &[u8] = b"|/\\\"'`#()[],.*+-^%=!<>~@ abz09\n";
    for &(pos, op, c) in edits {
        let ch = ALPHABET[c as usize % ALPHABET.len()] as char;
        if chars.is_empty() {
            chars.push(ch);
            continue;
        }
        let i = pos % chars.len();
        match op % 3 {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, ch),
            _ => chars[i] = ch,
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_strings(s in "\\PC{0,200}") {
        check(&s);
    }

    #[test]
    fn never_panics_on_query_alphabet(s in "[a-z@_`'\"/\\\\#|()\\[\\],.*+^%=!<>~ 0-9\n-]{0,120}") {
        check(&s);
    }

    #[test]
    fn never_panics_on_mutations(
        idx in 0..VALID.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
    ) {
        check(&mutate(VALID[idx], &edits));
    }
}

#[test]
fn valid_seeds_parse() {
    for q in VALID {
        parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    for q in [
        format!("filter {}a{}", "(".repeat(n), ")".repeat(n)),
        format!("filter {}1", "-".repeat(n)),
        format!("filter {}a", "not ".repeat(n)),
        format!("filter a{}", " or a".repeat(n)),
        format!("fields a{}", "^a".repeat(n)),
        format!("fields a{}", "[0]".repeat(n)),
        format!("fields {}a{}", "abs(".repeat(n), ")".repeat(n)),
    ] {
        let e = parse(&q).unwrap_err();
        assert!(e.message.contains("deep"), "{}", e.message);
    }
    assert!(parse(&format!("filter x in {}", "(".repeat(n))).is_err());
    // Moderately long chains are fine.
    let q = format!("filter a = 0{}", " or a = 1".repeat(200));
    parse(&q).unwrap();
}
