//! Golden tests: `tests/golden/*.golden`.
//!
//! Each file holds cases separated by a line of `=` (10 or more). A case is
//! the query text, a line `----------`, and the expected rendering:
//! `Query`'s `Display` for successes, or
//! `error [start..end] 'offending text': message` (character offsets) for
//! failures. Lines starting with `//` before the query are comments.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the expectations in place (review
//! the diff!).

use std::fmt::Write as _;
use std::path::Path;

const CASE_SEP: &str = "==========";
const OUT_SEP: &str = "----------";

fn render(query: &str) -> String {
    match larch_insights::parse(query) {
        Ok(q) => {
            let mut s = q.to_string();
            // Output column names of fields/stats projections.
            let mut names = vec![];
            for c in &q.commands {
                match &c.kind {
                    larch_insights::CommandKind::Fields(ps) => names.extend(ps.iter().map(|p| p.output_name(query))),
                    larch_insights::CommandKind::Stats(st) => {
                        names.extend(st.aggregations.iter().chain(&st.by).map(|p| p.output_name(query)))
                    }
                    _ => {}
                }
            }
            if !names.is_empty() {
                let _ = writeln!(s, "columns: {names:?}");
            }
            s
        }
        Err(e) => {
            let text: String = query.chars().skip(e.start).take(e.end.saturating_sub(e.start)).collect();
            format!("error [{}..{}] {:?}: {}\n", e.start, e.end, text, e.message)
        }
    }
}

struct Case {
    comments: Vec<String>,
    query: String,
    expected: Option<String>,
}

fn parse_file(text: &str) -> Vec<Case> {
    let mut cases = vec![];
    for chunk in text.split(&format!("\n{CASE_SEP}\n")) {
        let chunk = chunk.trim_start_matches(&format!("{CASE_SEP}\n"));
        if chunk.trim().is_empty() {
            continue;
        }
        let (head, expected) = match chunk.split_once(&format!("\n{OUT_SEP}\n")) {
            Some((h, e)) => (h.to_string(), Some(e.trim_end_matches('\n').to_string() + "\n")),
            None => (chunk.trim_end_matches('\n').to_string(), None),
        };
        let mut comments = vec![];
        let mut lines = head.lines().peekable();
        while let Some(l) = lines.peek() {
            if l.starts_with("//") {
                comments.push(l.to_string());
                lines.next();
            } else {
                break;
            }
        }
        let query = lines.collect::<Vec<_>>().join("\n");
        cases.push(Case { comments, query, expected });
    }
    cases
}

fn write_file(path: &Path, cases: &[Case]) {
    let mut out = String::new();
    for (i, c) in cases.iter().enumerate() {
        if i > 0 {
            out.push_str(CASE_SEP);
            out.push('\n');
        }
        for cm in &c.comments {
            out.push_str(cm);
            out.push('\n');
        }
        out.push_str(&c.query);
        out.push('\n');
        out.push_str(OUT_SEP);
        out.push('\n');
        out.push_str(c.expected.as_deref().unwrap_or(""));
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn golden() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()))
        .join("tests/golden");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "golden"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no golden files in {}", dir.display());
    let mut failures = vec![];
    let mut total = 0;
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut cases = parse_file(&text);
        for c in &mut cases {
            total += 1;
            let actual = render(&c.query);
            if c.expected.as_deref() != Some(actual.as_str()) {
                if update {
                    c.expected = Some(actual);
                } else {
                    failures.push(format!(
                        "{}:\n  query: {}\n  expected: {}\n  actual:   {}",
                        path.file_name().unwrap().to_string_lossy(),
                        c.query,
                        c.expected.as_deref().unwrap_or("<missing>").trim_end(),
                        actual.trim_end()
                    ));
                }
            }
        }
        if update {
            write_file(&path, &cases);
        }
    }
    eprintln!("golden: {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} golden cases differ (run with UPDATE_GOLDEN=1 to accept):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
