//! The printed table (Markdown, so it can be pasted into `docs/benchmarks.md`).

use std::fmt::Write;

use serde_json::Value;

pub fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::min)
}

pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

fn f(v: &Value, digits: usize) -> String {
    match v.as_f64() {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        _ => "n/a".into(),
    }
}

fn mb(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{:.0} MB", x / 1e6),
        None => "n/a".into(),
    }
}

const ENGINES: [&str; 7] =
    ["duckdb-ndjson", "duckdb-parquet", "duckdb-native", "chdb-ndjson", "chdb-parquet", "chdb-native", "ripgrep"];

pub fn table(r: &Value) -> String {
    let mut o = String::new();
    let m = &r["machine"];
    let _ = writeln!(
        o,
        "\nlarch benchmark, {} corpus ({} events, {} billable), {} cores ({}), load average {} → {}\n",
        r["size"].as_str().unwrap_or(""),
        r["corpus"]["events"],
        mb(&r["corpus"]["billable_bytes"]),
        m["cores"],
        m["cpu"].as_str().unwrap_or(""),
        r["load_average_start"].as_str().unwrap_or(""),
        r["load_average_end"].as_str().unwrap_or(""),
    );
    let _ = writeln!(
        o,
        "| ingest | events/s | billable MB/s | requests/s | ack p50 ms | ack p99 ms | MB per server CPU-s | errors |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for (label, key) in [
        ("1 MB batches (saturation)", "ingest_1mb"),
        ("10-event batches (saturation)", "ingest_10ev_saturation"),
        ("10-event batches (half load)", "ingest_10ev_half_load"),
        ("10-event batches (half load + visibility probes)", "ingest_10ev_half_load_with_probes"),
    ] {
        let i = &r[key];
        let _ = writeln!(
            o,
            "| {label} | {} | {} | {} | {} | {} | {} | {} |",
            f(&i["events_per_s"], 0),
            f(&i["billable_mb_per_s"], 1),
            f(&i["requests_per_s"], 0),
            f(&i["ack_p50_ms"], 1),
            f(&i["ack_p99_ms"], 1),
            f(&i["mb_per_server_cpu_s"], 1),
            i["errors"]
        );
    }
    let v = &r["ingest_to_queryable"];
    let s = &r["storage"];
    let _ = writeln!(
        o,
        "\n| other | value |\n|---|---|\n| ingest → queryable p50 / p99 (ms, {} samples, under half load) | {} / {} |\n| storage: billable / on disk (segments + catalog) | {}× ({} + {} for {}) |\n| peak RSS during 1 MB ingest | {} |",
        v["samples"],
        f(&v["p50_ms"], 1),
        f(&v["p99_ms"], 1),
        f(&s["ratio_billable_over_stored"], 1),
        mb(&s["segments_bytes"]),
        mb(&s["catalog_bytes"]),
        mb(&s["billable_bytes"]),
        mb(&r["ingest_peak_rss_bytes"]),
    );
    let h = &r["ingest_10ev_half_load"];
    let _ = writeln!(
        o,
        "| 10-event half load: ack p50 / p99 from the actual send (without client queueing) | {} / {} ms |",
        f(&h["sent_p50_ms"], 1),
        f(&h["sent_p99_ms"], 1)
    );
    let p = &r["baselines_prepare"];
    if p.get("error").is_none() && p.is_object() {
        let _ = writeln!(
            o,
            "| baseline sizes: Parquet (zstd) / DuckDB file / chDB MergeTree | {} / {} / {} |",
            mb(&p["parquet_bytes"]),
            mb(&p["duckdb_bytes"]),
            mb(&p["chdb_bytes"])
        );
    }

    let _ = write!(
        o,
        "\nQueries, warm: median ms (min) of the interleaved runs; cold = server restarted{}.\n\n| query | larch | larch cold | rss MB |",
        if r["cold_page_cache_dropped"].as_bool() == Some(true) {
            " and page cache dropped"
        } else {
            " (page cache NOT dropped: not permitted)"
        }
    );
    for e in ENGINES {
        let _ = write!(o, " {e} |");
    }
    let _ = writeln!(o, " larch / best baseline | larch / best native |");
    let _ = writeln!(o, "|---|---|---|---|{}---|---|", "---|".repeat(ENGINES.len()));
    for q in r["queries"].as_array().into_iter().flatten() {
        let l = &q["larch"];
        let larch_med = l["median_ms"].as_f64().unwrap_or(f64::NAN);
        let larch_cell = if l["median_ms"].as_f64().is_some() {
            format!("{} ({})", f(&l["median_ms"], 1), f(&l["min_ms"], 1))
        } else {
            format!("failed: {}", l["error"].as_str().unwrap_or("?"))
        };
        let cold = &r["cold"][q["id"].as_str().unwrap_or("")];
        let _ = write!(
            o,
            "| {} | {larch_cell} | {} | {} |",
            q["id"].as_str().unwrap_or(""),
            f(&cold["ms"], 1),
            f(&(l["peak_rss_bytes"].as_f64().map(|b| b / 1e6)).into(), 0),
        );
        let mut best: Option<(f64, &str)> = None;
        let mut best_native: Option<(f64, &str)> = None;
        for e in ENGINES {
            let b = &q["baselines"][e];
            let cell = match b["median_ms"].as_f64() {
                Some(ms) if ms.is_finite() => {
                    if best.is_none_or(|(x, _)| ms < x) {
                        best = Some((ms, e));
                    }
                    if e.ends_with("native") && best_native.is_none_or(|(x, _)| ms < x) {
                        best_native = Some((ms, e));
                    }
                    format!("{} ({})", f(&b["median_ms"], 1), f(&b["min_ms"], 1))
                }
                _ => match b["error"].as_str() {
                    Some(err) => format!("error: {}", err.chars().take(60).collect::<String>()),
                    None => "n/a".into(),
                },
            };
            let _ = write!(o, " {cell} |");
        }
        let ratio = |b: Option<(f64, &str)>| match b {
            Some((ms, e)) if larch_med.is_finite() => format!("{:.2} ({e})", larch_med / ms),
            _ => "n/a".into(),
        };
        let _ = writeln!(o, " {} | {} |", ratio(best), ratio(best_native));
    }
    let _ = writeln!(o, "\nrows returned (larch / duckdb-native / chdb-native):");
    for q in r["queries"].as_array().into_iter().flatten() {
        let b = &q["baselines"];
        let _ = writeln!(
            o,
            "  {}: {} / {} / {}{}",
            q["id"].as_str().unwrap_or(""),
            q["larch"]["rows"],
            b["duckdb-native"]["result"]["rows"],
            b["chdb-native"]["result"]["rows"],
            b["ripgrep"]["result"]["matching_lines"]
                .as_u64()
                .map(|n| format!(" (ripgrep matching lines: {n})"))
                .unwrap_or_default()
        );
    }
    o
}
