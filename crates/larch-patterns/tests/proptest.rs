//! Arbitrary input never panics and every line's pattern regex compiles and
//! matches it.

use larch_patterns::{PatternConfig, PatternMiner};
use proptest::prelude::*;
use regex::Regex;

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        r#"(\{"level":"(info|warn)","msg":"[a-z ]{0,12}","n":[0-9]{1,4}\})"#,
        "[A-Za-z0-9:.\\-/\\[\\] \u{E000}-\u{E0FF}]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn never_panics(lines in proptest::collection::vec(line(), 0..40)) {
        let mut m = PatternMiner::new(PatternConfig { max_clusters: 8, max_node_clusters: 3, ..PatternConfig::default() });
        let handles: Vec<_> = lines.iter().map(|l| m.add_tagged(l, None)).collect();
        let (pats, index) = m.finish_indexed();
        for (l, h) in lines.iter().zip(&handles) {
            if let Some(i) = index.pattern_of(*h) {
                let re = Regex::new(&pats[i].regex_string).unwrap();
                prop_assert!(re.is_match(l), "{:?} !~ {}", l, pats[i].regex_string);
            }
        }
    }
}
