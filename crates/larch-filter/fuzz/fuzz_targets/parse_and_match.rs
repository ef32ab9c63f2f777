//! `cargo +nightly fuzz run parse_and_match` (from `crates/larch-filter`).
//!
//! The input is split at the first NUL byte into a pattern and a message; the target checks
//! that nothing panics and that `evaluate` agrees with `matches`.
#![no_main]

use larch_filter::FilterPattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, message) = text.split_once('\0').unwrap_or((text, ""));
    if let Ok(parsed) = FilterPattern::parse(pattern) {
        let matched = parsed.matches(message);
        let extracted = parsed.evaluate(message);
        assert_eq!(matched, extracted.is_some());
        if let Some(extracted) = extracted {
            for key in extracted.values.keys() {
                assert!(extracted.resolve(key).is_some());
            }
        }
        assert!(parsed.regex_count() <= 2);
    }
});
