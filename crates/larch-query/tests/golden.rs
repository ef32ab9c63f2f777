//! Golden tests for the Insights engine: every `tests/golden/*.golden` file holds cases
//! (events, query, expected rows or error). The format is described in
//! `tests/golden/README.md`. `UPDATE_GOLDEN=1` rewrites expectations (review them by hand).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use larch_query::compile::CompileParams;
use larch_query::error::QueryError;
use larch_storage::{NewEvent, NewLogGroup, Storage, StorageConfig};

const ACCOUNT: &str = "123456789012";
const DEFAULT_GROUP: &str = "golden";
const INGESTION_MS: i64 = 1_735_689_600_000;
const DEFAULT_NOW_MS: i64 = 1_735_689_600_000;
const DEFAULT_FILE_START_MS: i64 = 1_704_067_200_000;

#[derive(Debug, Clone, PartialEq)]
struct Event {
    timestamp: i64,
    stream: String,
    message: String,
}

/// Events per log group, in the order groups are first named.
type Dataset = Vec<(String, Vec<Event>)>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Memtable,
    Flushed,
}

#[derive(Debug)]
struct Case {
    name: String,
    /// Index of the dataset (per file) this case uses.
    dataset: usize,
    /// Set when a `@file` was missing.
    skip: Option<String>,
    start: i64,
    end: i64,
    limit: usize,
    now: i64,
    modes: Vec<Mode>,
    query: String,
    expect: Expect,
    /// Lines `[from, to)` of the expected/error block (header included), for rewriting.
    expect_lines: (usize, usize),
    statistics: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Rows { unordered: bool, lines: Vec<String> },
    Error(String),
}

fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("bad time {s:?}: {e}"))?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn key_values(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for part in s.split_whitespace() {
        let (k, v) = part.split_once('=').ok_or_else(|| format!("expected key=value, got {part:?}"))?;
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

fn shared_data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("LARCH_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()))
        .join("../../../shared/data")
}

/// Loads `@file PATH key=value...`; `Err(Some(note))` when the file is missing.
fn load_file(spec: &str) -> Result<Result<Vec<Event>, String>, String> {
    let mut parts = spec.split_whitespace();
    let path = parts.next().ok_or("@file needs a path")?;
    let opts = key_values(&parts.collect::<Vec<_>>().join(" "))?;
    let stream = opts.get("stream").cloned().unwrap_or_else(|| "file".into());
    let start = opts.get("start").map(|s| parse_time(s)).transpose()?.unwrap_or(DEFAULT_FILE_START_MS);
    let step: i64 = opts.get("step").map(|s| s.parse()).transpose().map_err(|e| format!("step: {e}"))?.unwrap_or(1000);
    let lines: usize =
        opts.get("lines").map(|s| s.parse()).transpose().map_err(|e| format!("lines: {e}"))?.unwrap_or(usize::MAX);
    let skip: usize = opts.get("skip").map(|s| s.parse()).transpose().map_err(|e| format!("skip: {e}"))?.unwrap_or(0);
    let full = shared_data_dir().join(path);
    let Ok(bytes) = std::fs::read(&full) else {
        return Ok(Err(format!("missing data file {}", full.display())));
    };
    let text = String::from_utf8_lossy(&bytes);
    let events = text
        .lines()
        .skip(skip)
        .take(lines)
        .enumerate()
        .map(|(i, line)| Event {
            timestamp: start + i as i64 * step,
            stream: stream.clone(),
            message: line.to_string(),
        })
        .collect();
    Ok(Ok(events))
}

struct GoldenFile {
    path: PathBuf,
    lines: Vec<String>,
    datasets: Vec<Dataset>,
    cases: Vec<Case>,
}

fn parse_file(path: &Path) -> Result<GoldenFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut datasets: Vec<Dataset> = Vec::new();
    let mut cases = Vec::new();
    let mut i = 0;
    // Skip the preamble.
    while i < lines.len() && !lines[i].starts_with("=== ") {
        i += 1;
    }
    while i < lines.len() {
        let name = lines[i].trim_start_matches("=== ").trim().to_string();
        i += 1;
        let mut dataset: Option<Dataset> = None;
        let mut skip = None;
        let mut options = BTreeMap::new();
        let mut query = None::<String>;
        let mut expect = None;
        let mut expect_lines = (0, 0);
        let mut statistics = None;
        while i < lines.len() && !lines[i].starts_with("=== ") {
            let header = lines[i].clone();
            let Some(section) = header.strip_prefix("-- ") else {
                if header.trim().is_empty() || header.starts_with("//") {
                    i += 1;
                    continue;
                }
                return Err(format!("{}:{}: expected a section header, got {header:?}", path.display(), i + 1));
            };
            let section_start = i;
            i += 1;
            let body_start = i;
            while i < lines.len() && !lines[i].starts_with("-- ") && !lines[i].starts_with("=== ") {
                i += 1;
            }
            let body = &lines[body_start..i];
            let (kind, rest) = section.split_once(' ').unwrap_or((section, ""));
            let at = |n: usize| format!("{}:{}", path.display(), n + 1);
            match kind {
                "events" => {
                    let opts = key_values(rest)?;
                    let group = opts.get("group").cloned().unwrap_or_else(|| DEFAULT_GROUP.into());
                    let mut events = Vec::new();
                    for (n, line) in body.iter().enumerate() {
                        if line.is_empty() || line.starts_with("//") {
                            continue;
                        }
                        if let Some(spec) = line.strip_prefix("@file ") {
                            match load_file(spec).map_err(|e| format!("{}: {e}", at(body_start + n)))? {
                                Ok(mut loaded) => events.append(&mut loaded),
                                Err(note) => skip = Some(note),
                            }
                            continue;
                        }
                        let mut parts = line.splitn(3, '\t');
                        let (Some(ts), Some(stream), Some(message)) = (parts.next(), parts.next(), parts.next()) else {
                            return Err(format!(
                                "{}: event lines are timestamp<TAB>stream<TAB>message",
                                at(body_start + n)
                            ));
                        };
                        let timestamp = parse_time(ts).map_err(|e| format!("{}: {e}", at(body_start + n)))?;
                        events.push(Event { timestamp, stream: stream.to_string(), message: message.to_string() });
                    }
                    let d = dataset.get_or_insert_with(Vec::new);
                    match d.iter_mut().find(|(g, _)| *g == group) {
                        Some((_, existing)) => existing.extend(events),
                        None => d.push((group, events)),
                    }
                }
                "options" => {
                    for line in body {
                        if !line.starts_with("//") {
                            options.extend(key_values(line)?);
                        }
                    }
                }
                "query" => {
                    let mut q = body.join("\n");
                    while q.ends_with('\n') {
                        q.pop();
                    }
                    query = Some(q.trim_end().to_string());
                }
                "expected" => {
                    let unordered = rest.trim() == "unordered";
                    let rows: Vec<String> = body.iter().filter(|l| !l.is_empty()).cloned().collect();
                    expect = Some(Expect::Rows { unordered, lines: rows });
                    expect_lines = (section_start, trim_blank_end(&lines, i));
                }
                "error" => {
                    let text = body.iter().filter(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join("\n");
                    expect = Some(Expect::Error(text));
                    expect_lines = (section_start, trim_blank_end(&lines, i));
                }
                "statistics" => {
                    statistics = Some(body.iter().filter(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join(" "))
                }
                other => return Err(format!("{}: unknown section {other:?}", at(section_start))),
            }
        }
        let dataset = match dataset {
            Some(d) => {
                datasets.push(d);
                datasets.len() - 1
            }
            None if datasets.is_empty() => {
                return Err(format!("{}: case {name:?} has no events and there is no earlier case", path.display()));
            }
            None => datasets.len() - 1,
        };
        // Skips propagate to cases sharing the dataset.
        let skip =
            skip.or_else(|| cases.iter().rev().find(|c: &&Case| c.dataset == dataset).and_then(|c| c.skip.clone()));
        let query = query.ok_or_else(|| format!("{}: case {name:?} has no query", path.display()))?;
        let expect =
            expect.ok_or_else(|| format!("{}: case {name:?} has no expected or error section", path.display()))?;
        let get_time = |k: &str, d: i64| options.get(k).map(|s| parse_time(s)).transpose().map(|v| v.unwrap_or(d));
        let modes = match options.get("mode").map(String::as_str) {
            None | Some("both") => vec![Mode::Memtable, Mode::Flushed],
            Some("memtable") => vec![Mode::Memtable],
            Some("flushed") => vec![Mode::Flushed],
            Some(other) => return Err(format!("{}: bad mode {other}", path.display())),
        };
        cases.push(Case {
            name,
            dataset,
            skip,
            start: get_time("start", 0)?,
            end: get_time("end", i64::MAX / 4)?,
            limit: options
                .get("limit")
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| format!("limit: {e}"))?
                .unwrap_or(10_000),
            now: get_time("now", DEFAULT_NOW_MS)?,
            modes,
            query,
            expect,
            expect_lines,
            statistics,
        });
    }
    let mut seen = std::collections::HashSet::new();
    for c in &cases {
        if !seen.insert(c.name.clone()) {
            return Err(format!("{}: duplicate case name {:?}", path.display(), c.name));
        }
    }
    Ok(GoldenFile { path: path.to_path_buf(), lines, datasets, cases })
}

/// End of a block with trailing blank lines excluded.
fn trim_blank_end(lines: &[String], mut end: usize) -> usize {
    while end > 0 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    end
}

fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn render_row(row: &[(String, String)]) -> String {
    let fields: Vec<String> =
        row.iter().filter(|(f, _)| f != "@ptr").map(|(f, v)| format!("{}={}", escape(f), escape(v))).collect();
    if fields.is_empty() { "(empty)".into() } else { fields.join(" | ") }
}

/// A loaded dataset in one storage mode.
struct Loaded {
    _dir: tempfile::TempDir,
    storage: Storage,
    groups: Vec<larch_storage::LogGroup>,
}

fn load(dataset: &Dataset, mode: Mode) -> Result<Loaded, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let storage = Storage::open_without_background(StorageConfig::new(dir.path())).map_err(|e| e.to_string())?;
    let mut groups = Vec::new();
    let mut puts: Vec<(larch_storage::GroupId, larch_storage::LogStream, Vec<NewEvent>)> = Vec::new();
    for (group, events) in dataset {
        let g = storage.create_log_group(ACCOUNT, group, NewLogGroup::default()).map_err(|e| e.to_string())?;
        let mut by_stream: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
        for e in events {
            by_stream.entry(&e.stream).or_default().push(e);
        }
        for (stream, mut events) in by_stream {
            let s = storage.create_log_stream(ACCOUNT, group, stream).map_err(|e| e.to_string())?;
            events.sort_by_key(|e| e.timestamp);
            puts.push((
                g.id,
                s,
                events.iter().map(|e| NewEvent { timestamp: e.timestamp, message: e.message.clone() }).collect(),
            ));
        }
        groups.push(g);
    }
    match mode {
        Mode::Memtable => {
            for (g, s, events) in puts {
                storage.put_events_blocking(g, &s, events, INGESTION_MS).map_err(|e| e.to_string())?;
            }
        }
        Mode::Flushed => {
            // Two segments per stream: first half, flush, second half, flush.
            let mut rest = Vec::new();
            for (g, s, mut events) in puts {
                let second = events.split_off(events.len() / 2);
                if !events.is_empty() {
                    storage.put_events_blocking(g, &s, events, INGESTION_MS).map_err(|e| e.to_string())?;
                }
                rest.push((g, s, second));
            }
            storage.flush().map_err(|e| e.to_string())?;
            for (g, s, events) in rest {
                if !events.is_empty() {
                    storage.put_events_blocking(g, &s, events, INGESTION_MS).map_err(|e| e.to_string())?;
                }
            }
            storage.flush().map_err(|e| e.to_string())?;
        }
    }
    Ok(Loaded { _dir: dir, storage, groups })
}

struct Outcome {
    expect: Expect,
    statistics: String,
}

async fn run_case(loaded: &Loaded, case: &Case, unordered: bool) -> Outcome {
    let ast = match larch_insights::parse(&case.query) {
        Ok(ast) => ast,
        Err(e) => {
            return Outcome {
                expect: Expect::Error(format!("MalformedQueryException {}..{} {}", e.start, e.end, escape(&e.message))),
                statistics: String::new(),
            };
        }
    };
    let params = CompileParams { start_ms: case.start, end_ms: case.end, now_ms: case.now, default_limit: case.limit };
    match larch_query::engine::execute(&loaded.storage, &loaded.groups, &case.query, &ast, params).await {
        Ok((rows, stats)) => {
            let mut lines: Vec<String> = rows.iter().map(|r| render_row(r)).collect();
            if unordered {
                lines.sort();
            }
            Outcome {
                expect: Expect::Rows { unordered, lines },
                statistics: format!("matched={} scanned={}", stats.records_matched, stats.records_scanned),
            }
        }
        Err(QueryError::Malformed { start, end, message }) => Outcome {
            expect: Expect::Error(format!("MalformedQueryException {start}..{end} {}", escape(&message))),
            statistics: String::new(),
        },
        Err(e) => Outcome {
            expect: Expect::Error(format!("ExecutionError {}", escape(&e.to_string()))),
            statistics: String::new(),
        },
    }
}

fn matches(expected: &Expect, actual: &Expect) -> bool {
    match (expected, actual) {
        (Expect::Rows { unordered, lines }, Expect::Rows { lines: got, .. }) => {
            let mut want = lines.clone();
            if *unordered {
                want.sort();
            }
            &want == got
        }
        (Expect::Error(want), Expect::Error(got)) => {
            if let Some(sub) = want.strip_prefix("ExecutionError ") {
                got.starts_with("ExecutionError ") && got.contains(sub)
            } else {
                want == got
            }
        }
        _ => false,
    }
}

fn render_expect(e: &Expect) -> Vec<String> {
    match e {
        Expect::Rows { unordered, lines } => {
            let mut out =
                vec![if *unordered { "-- expected unordered".to_string() } else { "-- expected".to_string() }];
            out.extend(lines.iter().cloned());
            out
        }
        Expect::Error(text) => vec!["-- error".to_string(), text.clone()],
    }
}

#[test]
fn golden() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()))
        .join("tests/golden");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let filter = std::env::var("GOLDEN_FILTER").ok();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "golden"))
        .collect();
    paths.sort();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for path in paths {
        let file = match parse_file(&path) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("parse error: {e}"));
                continue;
            }
        };
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut replacements: Vec<((usize, usize), Vec<String>)> = Vec::new();
        let mut cache: Option<(usize, Mode, Loaded)> = None;
        for case in &file.cases {
            let id = format!("{file_name}:{}", case.name);
            if filter.as_deref().is_some_and(|f| !id.contains(f)) {
                continue;
            }
            if let Some(note) = &case.skip {
                skipped.push(format!("{id}: {note}"));
                continue;
            }
            let unordered = matches!(case.expect, Expect::Rows { unordered: true, .. });
            let mut first: Option<Outcome> = None;
            for &mode in &case.modes {
                let reuse = cache.as_ref().is_some_and(|(d, m, _)| *d == case.dataset && *m == mode);
                if !reuse {
                    cache = None;
                    match load(&file.datasets[case.dataset], mode) {
                        Ok(l) => cache = Some((case.dataset, mode, l)),
                        Err(e) => {
                            failures.push(format!("{id}: loading events: {e}"));
                            break;
                        }
                    }
                }
                let Some((_, _, loaded)) = cache.as_ref() else {
                    break;
                };
                let outcome = runtime.block_on(run_case(loaded, case, unordered));
                ran += 1;
                // Asked again, the query may run a kept plan (`plan_cache`): same answer.
                let again = runtime.block_on(run_case(loaded, case, unordered));
                if !matches(&outcome.expect, &again.expect) || outcome.statistics != again.statistics {
                    failures.push(format!("{id} [{mode:?}]: asked again (plan reused), the answer differs"));
                }
                let stats_ok = case.statistics.as_ref().is_none_or(|s| *s == outcome.statistics);
                if (!matches(&case.expect, &outcome.expect) || !stats_ok) && !update {
                    let mut msg =
                        format!("{id} [{mode:?}]\n  query: {}\n  expected:\n", case.query.replace('\n', "\n         "));
                    for l in render_expect(&case.expect) {
                        let _ = writeln!(msg, "    {l}");
                    }
                    msg.push_str("  actual:\n");
                    for l in render_expect(&outcome.expect) {
                        let _ = writeln!(msg, "    {l}");
                    }
                    if !stats_ok {
                        let _ = writeln!(
                            msg,
                            "  statistics: expected {:?}, actual {}",
                            case.statistics, outcome.statistics
                        );
                    }
                    failures.push(msg);
                }
                if let Some(f) = &first {
                    if !matches(&f.expect, &outcome.expect) {
                        failures.push(format!("{id}: memtable and flushed results differ"));
                    }
                } else {
                    first = Some(outcome);
                }
            }
            if update
                && let Some(f) = first
                && !matches(&case.expect, &f.expect)
            {
                let mut new = render_expect(&f.expect);
                if let Expect::Rows { unordered: true, .. } = case.expect
                    && let Some(h) = new.first_mut()
                {
                    *h = "-- expected unordered".into();
                }
                replacements.push((case.expect_lines, new));
            }
        }
        if update && !replacements.is_empty() {
            // Others may edit golden files while the suite runs: never write over a change.
            let now: Vec<String> = std::fs::read_to_string(&file.path)
                .map(|t| t.lines().map(str::to_string).collect())
                .unwrap_or_default();
            if now != file.lines {
                failures
                    .push(format!("{}: changed while the suite ran; not rewritten (run again)", file.path.display()));
                continue;
            }
            let mut lines = file.lines.clone();
            replacements.sort_by_key(|(r, _)| std::cmp::Reverse(r.0));
            for ((from, to), new) in replacements {
                lines.splice(from..to, new);
            }
            let mut text = lines.join("\n");
            text.push('\n');
            std::fs::write(&file.path, text).expect("rewrite golden file");
            eprintln!("rewrote {}", file.path.display());
        }
    }
    for s in &skipped {
        eprintln!("skipped {s}");
    }
    eprintln!("golden: {ran} case runs, {} failures", failures.len());
    assert!(failures.is_empty(), "{} golden failures:\n\n{}", failures.len(), failures.join("\n"));
}
