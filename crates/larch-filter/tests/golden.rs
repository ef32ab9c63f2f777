//! Runs the table in `tests/golden/patterns.txt` (format described at the top of that file).

use std::collections::BTreeMap;

use larch_filter::{Extracted, FilterPattern};

const GOLDEN: &str = include_str!("golden/patterns.txt");

struct Case {
    line: usize,
    pattern: String,
    parsed: FilterPattern,
}

#[test]
fn golden_patterns() {
    let mut current: Option<Case> = None;
    let mut last_extracted: Option<Extracted> = None;
    let mut checks = 0;
    let mut failures = Vec::new();

    for (index, line) in GOLDEN.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(pattern) = line.strip_prefix("==") {
            let pattern = pattern.strip_prefix(' ').unwrap_or(pattern).to_string();
            let parsed = FilterPattern::parse(&pattern)
                .unwrap_or_else(|e| panic!("line {line_no}: {pattern:?} failed to parse: {e}"));
            current = Some(Case { line: line_no, pattern, parsed });
            last_extracted = None;
            continue;
        }
        let case = current.as_ref().unwrap_or_else(|| panic!("line {line_no}: directive before any '=='"));
        let (directive, rest) = line.split_at(1);
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        let context = format!("line {line_no} (case at line {}): pattern {:?}", case.line, case.pattern);
        checks += 1;
        match directive {
            "k" => {
                let kind = line.strip_prefix("kind ").expect("kind directive");
                let actual = format!("{:?}", case.parsed.kind());
                if actual != kind {
                    failures.push(format!("{context}: kind {actual}, expected {kind}"));
                }
            }
            "+" | "-" => {
                let expected = directive == "+";
                if case.parsed.matches(rest) != expected {
                    failures.push(format!("{context}: matches({rest:?}) != {expected}"));
                }
                if case.parsed.evaluate(rest).is_some() != expected {
                    failures.push(format!("{context}: evaluate({rest:?}) disagrees with matches"));
                }
            }
            "=" => {
                let (message, json) = rest.rsplit_once(" => ").expect("'=' needs ' => '");
                let expected: BTreeMap<String, String> =
                    serde_json::from_str(json).expect("extracted values must be a JSON object");
                match case.parsed.evaluate(message) {
                    Some(extracted) => {
                        if extracted.values != expected {
                            failures
                                .push(format!("{context}: extracted {:?}, expected {expected:?}", extracted.values));
                        }
                        last_extracted = Some(extracted);
                    }
                    None => failures.push(format!("{context}: {message:?} did not match")),
                }
            }
            "~" => {
                let (reference, value) = rest.split_once(" => ").expect("'~' needs ' => '");
                let extracted =
                    last_extracted.as_ref().unwrap_or_else(|| panic!("{context}: '~' without a preceding '='"));
                let expected = (value != "NONE").then(|| value.to_string());
                let actual = extracted.resolve(reference);
                if actual != expected {
                    failures.push(format!("{context}: resolve({reference:?}) = {actual:?}, expected {expected:?}"));
                }
            }
            other => panic!("line {line_no}: unknown directive {other:?}"),
        }
    }
    assert!(checks > 200, "golden file looks truncated: {checks} checks");
    assert!(failures.is_empty(), "{} golden failures:\n{}", failures.len(), failures.join("\n"));
}
