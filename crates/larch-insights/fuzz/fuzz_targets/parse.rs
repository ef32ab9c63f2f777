//! `cargo +nightly fuzz run parse` — the parser must never panic, and error
//! offsets must lie inside the query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        match larch_insights::parse(query) {
            Ok(q) => {
                let _ = q.to_string();
            }
            Err(e) => {
                let chars = query.chars().count();
                assert!(e.start <= e.end && e.end <= chars);
            }
        }
    }
});
