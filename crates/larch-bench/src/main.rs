//! `larch-bench`: the benchmark harness of issue 4.
//!
//! * `larch-bench gen --size 50MB --out DIR` writes a deterministic corpus.
//! * `larch-bench run --size 50MB --larch target/release/larch ...` runs everything: corpus,
//!   ingest (1 MB and 10-event batches), ingest → queryable latency, storage, queries warm and
//!   cold, and the baselines (ripgrep, DuckDB, chDB) interleaved with larch; prints a table and
//!   writes JSON. `bench/run` builds everything and calls it.
//! * `larch-bench queries --work DIR --larch BIN [--only id,..]` re-runs larch's queries on the
//!   data an earlier `run` left in DIR.

mod client;
mod corpus;
mod load;
mod queries;
mod report;
mod rerun;
mod server;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use crate::client::Client;
use crate::server::Server;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[derive(Parser)]
#[command(about = "larch benchmark harness")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a corpus.
    Gen {
        #[arg(long, default_value = "50MB")]
        size: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// Time span covered by the events, in hours, ending now.
        #[arg(long, default_value_t = 12)]
        span_hours: i64,
    },
    /// Run the whole benchmark.
    Run(RunArgs),
    /// Re-run larch's queries against the data of an earlier `run` (engine work loop).
    Queries(rerun::QueriesArgs),
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    #[arg(long, default_value = "50MB")]
    size: String,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 12)]
    span_hours: i64,
    /// The larch binary to benchmark.
    #[arg(long)]
    larch: PathBuf,
    /// Working directory (corpus, data dirs, baseline files); default /tmp/larch-bench-SIZE.
    #[arg(long)]
    work: Option<PathBuf>,
    /// Results JSON.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Python of the baselines venv.
    #[arg(long)]
    python: Option<PathBuf>,
    /// bench/baselines.py.
    #[arg(long)]
    baselines: Option<PathBuf>,
    /// Skip DuckDB / chDB.
    #[arg(long)]
    no_baselines: bool,
    /// Repetitions of each query per engine (min and median reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Connections for the 1 MB batch run.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Connections for the 10-event batch runs.
    #[arg(long, default_value_t = 32)]
    small_connections: usize,
    /// Seconds of each 10-event batch run.
    #[arg(long, default_value_t = 10)]
    small_secs: u64,
    /// Seconds of the 10-event half-load run whose ack latency is reported: long enough for
    /// several memtable flushes (one per 64 MiB buffered, ~6 s at half load)
    #[arg(long, default_value_t = 30)]
    half_secs: u64,
    /// Ingest → queryable samples.
    #[arg(long, default_value_t = 100)]
    vis_samples: usize,
    /// Query timeout (seconds).
    #[arg(long, default_value_t = 600)]
    query_timeout: u64,
    /// Skip the cold query runs (server restarts).
    #[arg(long)]
    no_cold: bool,
    /// Record `perf record --call-graph dwarf` profiles of the server per phase (ingest, each query) here.
    #[arg(long)]
    profile: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Gen { size, seed, out, span_hours } => corpus::parse_size(&size)
            .and_then(|bytes| {
                let end = now_ms() / 300_000 * 300_000;
                corpus::generate(&out, bytes, seed, end, span_hours * 3_600_000).map_err(|e| e.to_string())
            })
            .map(|m| {
                println!(
                    "{} events, {:.1} MB billable, needle {} ×{}",
                    m.events,
                    m.billable_bytes as f64 / 1e6,
                    m.needle,
                    m.needle_events
                )
            }),
        Cmd::Run(args) => run(args),
        Cmd::Queries(args) => rerun::run(args),
    };
    if let Err(e) = result {
        eprintln!("larch-bench: {e}");
        std::process::exit(1);
    }
}

fn step(msg: &str) {
    eprintln!("[{}] {msg}", time_of_day());
}

fn time_of_day() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// The Python process that runs DuckDB and chDB.
struct Baselines {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Baselines {
    fn start(python: &Path, script: &Path) -> Result<Baselines, String> {
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Baselines { child, stdin, stdout })
    }

    fn call(&mut self, req: &Value) -> Result<Value, String> {
        writeln!(self.stdin, "{req}").map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.is_empty() {
            return Err("baselines process exited".into());
        }
        let v: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        match v.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_owned()),
            None => Ok(v),
        }
    }
}

impl Drop for Baselines {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"op": "quit"}));
        let _ = self.stdin.flush();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BASELINE_ENGINES: [(&str, &str); 6] = [
    ("duckdb", "ndjson"),
    ("duckdb", "parquet"),
    ("duckdb", "native"),
    ("chdb", "ndjson"),
    ("chdb", "parquet"),
    ("chdb", "native"),
];

fn machine_facts() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    json!({"cpu": cpu, "cores": cores, "memory": mem, "kernel": kernel})
}

fn run(args: RunArgs) -> Result<(), String> {
    let target = corpus::parse_size(&args.size)?;
    let work = args.work.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("larch-bench-{}", args.size)));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut results = json!({
        "size": args.size,
        "seed": args.seed,
        "larch_binary": args.larch.display().to_string(),
        "machine": machine_facts(),
        "load_average_start": server::load_average(),
        "git": git_state(),
        "started_at_ms": now_ms(),
    });

    // 1. corpus
    step(&format!("generating a {} corpus", args.size));
    let corpus_dir = work.join("corpus");
    let _ = std::fs::remove_dir_all(&corpus_dir);
    // the baseline files are derived from the corpus, whose timestamps move with "now"
    let _ = std::fs::remove_dir_all(work.join("baselines"));
    let t = Instant::now();
    let end_ms = now_ms() / 300_000 * 300_000;
    let manifest = corpus::generate(&corpus_dir, target, args.seed, end_ms, args.span_hours * 3_600_000)
        .map_err(|e| format!("corpus: {e}"))?;
    results["corpus"] = json!({
        "events": manifest.events, "billable_bytes": manifest.billable_bytes,
        "message_bytes": manifest.message_bytes, "needle_events": manifest.needle_events,
        "groups": manifest.groups.len(),
        "streams": manifest.groups.iter().map(|g| g.streams.len()).sum::<usize>(),
        "generate_s": t.elapsed().as_secs_f64(),
    });
    step(&format!(
        "corpus: {} events, {:.1} MB billable in {:.1}s",
        manifest.events,
        manifest.billable_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    ));
    // The corpus (2.4 GB of files at 1 GB) would otherwise be written back by the kernel in the
    // middle of the ingest runs, and WAL fsyncs would queue behind it.
    let t = Instant::now();
    server::sync_disks();
    step(&format!("corpus written to disk (sync) in {:.1}s", t.elapsed().as_secs_f64()));

    // 2. server
    let data = work.join("larch-data");
    let _ = std::fs::remove_dir_all(&data);
    let config = work.join("larch.toml");
    std::fs::write(&config, "# larch-bench: defaults except the query row cap\n[query]\nmax_rows = 100000\n")
        .map_err(|e| e.to_string())?;
    let log = work.join("larch.log");
    let _ = std::fs::remove_file(&log);
    let mut srv = Server::start(&args.larch, &data, &config, &log)?;
    let client =
        Client::new(&srv.endpoint(), server::KEY_ID, server::SECRET, args.small_connections.max(args.connections) * 2);
    rt.block_on(load::create_corpus_groups(&client, &manifest))?;

    // 3. ingest, 1 MB batches
    step("preparing 1 MB PutLogEvents batches");
    let batches = Arc::new(load::corpus_batches(&corpus_dir)?);
    step(&format!("ingesting {} batches over {} connections", batches.len(), args.connections));
    let perf = profile(&args, srv.pid(), "ingest_1mb");
    let big = rt.block_on(load::run_batches(&client, batches.clone(), args.connections, srv.pid(), "1 MB batches"));
    drop(batches);
    if let Some(p) = perf {
        p.stop();
    }
    let ingest_peak_rss = server::vm_bytes(srv.pid(), "VmHWM:");
    step(&format!(
        "1 MB batches: {:.1} MB/s billable, {:.0} events/s, p50 {:.1} ms p99 {:.1} ms, {:.1} MB per server CPU-s, {} errors",
        big.billable_mb_per_s, big.events_per_s, big.ack_p50_ms, big.ack_p99_ms, big.mb_per_server_cpu_s, big.errors
    ));
    results["ingest_1mb"] = serde_json::to_value(&big).unwrap_or_default();
    results["ingest_peak_rss_bytes"] = json!(ingest_peak_rss);

    // 4. storage: SIGTERM flushes the memtable; measure, restart
    step("stopping the server to flush, measuring storage");
    let stop_time = srv.stop()?;
    let seg = server::dir_bytes(&data.join("segments"), &[]);
    let catalog = std::fs::metadata(data.join("catalog.redb")).map(|m| m.len()).unwrap_or(0);
    let wal = server::dir_bytes(&data.join("wal"), &[]);
    let stored = seg + catalog;
    results["storage"] = json!({
        "segments_bytes": seg, "catalog_bytes": catalog, "wal_bytes_after_flush": wal,
        "billable_bytes": manifest.billable_bytes,
        "ratio_billable_over_stored": manifest.billable_bytes as f64 / stored as f64,
        "shutdown_flush_s": stop_time.as_secs_f64(),
    });
    step(&format!(
        "storage: {:.2} MB segments + {:.2} MB catalog; {:.1}× smaller than billable",
        seg as f64 / 1e6,
        catalog as f64 / 1e6,
        manifest.billable_bytes as f64 / stored as f64
    ));
    srv.restart(&log)?;
    let client = Client::new(&srv.endpoint(), server::KEY_ID, server::SECRET, args.small_connections * 2);

    // 5. 10-event batches: saturation, then half of it with latency and visibility probes
    let small_streams: Vec<String> =
        (0..args.small_connections).map(|i| format!("2026/11/25/[$LATEST]{:032x}", i + 1)).collect();
    rt.block_on(load::create(&client, "/bench/ext", &small_streams))?;
    rt.block_on(load::create(&client, "/bench/visibility", &["probe".into()]))?;
    let msgs = Arc::new(load::small_messages(&corpus_dir, 10_000));
    step(&format!("10-event batches at saturation for {}s", args.small_secs));
    let perf = profile(&args, srv.pid(), "ingest_10ev");
    let sat = rt.block_on(load::run_small(
        &client,
        "/bench/ext",
        &small_streams,
        msgs.clone(),
        args.small_connections,
        Duration::from_secs(args.small_secs),
        None,
        srv.pid(),
    ));
    step(&format!(
        "saturation: {:.0} requests/s, p50 {:.1} ms p99 {:.1} ms, {} errors",
        sat.requests_per_s, sat.ack_p50_ms, sat.ack_p99_ms, sat.errors
    ));
    if let Some(p) = perf {
        p.stop();
    }
    let half_rate = (sat.requests_per_s / 2.0).max(1.0);
    // Open loop at half of saturation: twice the connections, so that a short server stall
    // does not exhaust them.
    // Half load is a steady state: first let the server flush the backlog saturation left.
    let settled = rt.block_on(settle(&client));
    step(&format!("server settled after saturation in {settled:.1}s (backlog flushed)"));
    step(&format!("10-event batches at half load ({half_rate:.0}/s) for {}s", args.half_secs));
    let before = rt.block_on(client.metrics()).unwrap_or_default();
    let half = rt.block_on(load::run_small(
        &client,
        "/bench/ext",
        &small_streams,
        msgs.clone(),
        args.small_connections * 2,
        Duration::from_secs(args.half_secs),
        Some(half_rate),
        srv.pid(),
    ));
    step(&format!(
        "half load: {:.0} requests/s, ack p50 {:.1} ms p99 {:.1} ms (from the actual send: {:.1} / {:.1})",
        half.requests_per_s,
        half.ack_p50_ms,
        half.ack_p99_ms,
        half.sent_p50_ms.unwrap_or(f64::NAN),
        half.sent_p99_ms.unwrap_or(f64::NAN),
    ));
    let during = ServerDuring::between(&before, &rt.block_on(client.metrics()).unwrap_or_default());
    step(&format!(
        "  meanwhile: {} flushes, {} WAL fsyncs, {} of them > 50 ms, longest bucket ≤ {}",
        during.flushes, during.fsyncs, during.fsyncs_over_50ms, during.slowest_fsync_bucket
    ));
    let windows: Vec<String> =
        half.slow_windows.iter().map(|w| format!("+{:.1}s: {} (max {:.0} ms)", w.at_s, w.requests, w.max_ms)).collect();
    step(&format!("  started {}; requests > 20 ms by half second: {}", half.started_utc, windows.join(", ")));
    step(&format!("{} ingest→queryable probes under the same half load", args.vis_samples));
    let (half_probed, (vis, vis_failures)) = rt.block_on(async {
        tokio::join!(
            load::run_small(
                &client,
                "/bench/ext",
                &small_streams,
                msgs.clone(),
                args.small_connections * 2,
                Duration::from_secs(args.small_secs),
                Some(half_rate),
                srv.pid(),
            ),
            queries::visibility_samples(&client, "/bench/visibility", "probe", args.vis_samples, srv.pid())
        )
    });
    let mut vis_sorted = vis.clone();
    vis_sorted.sort_by(f64::total_cmp);
    step(&format!(
        "ingest→queryable p50 {:.1} ms p99 {:.1} ms ({} samples, {} failures); load meanwhile: {:.0} requests/s, ack p99 {:.1} ms",
        load::percentile(&vis_sorted, 50.0),
        load::percentile(&vis_sorted, 99.0),
        vis.len(),
        vis_failures,
        half_probed.requests_per_s,
        half_probed.ack_p99_ms,
    ));
    results["ingest_10ev_saturation"] = serde_json::to_value(&sat).unwrap_or_default();
    results["ingest_10ev_half_load"] = serde_json::to_value(&half).unwrap_or_default();
    results["ingest_10ev_half_load_server"] = serde_json::to_value(&during).unwrap_or_default();
    results["ingest_10ev_settle_s"] = json!(settled);
    results["ingest_10ev_half_load_with_probes"] = serde_json::to_value(&half_probed).unwrap_or_default();
    results["ingest_to_queryable"] = json!({
        "samples": vis.len(), "failures": vis_failures,
        "p50_ms": load::percentile(&vis_sorted, 50.0),
        "p99_ms": load::percentile(&vis_sorted, 99.0),
        "max_ms": vis_sorted.last().copied().unwrap_or(f64::NAN),
        "under": "10-event batches at half of saturation",
    });
    results["ingest_peak_rss_bytes_all"] = json!(server::vm_bytes(srv.pid(), "VmHWM:"));

    // 6. baselines: prepare
    let mut baselines = None;
    if !args.no_baselines {
        match (&args.python, &args.baselines) {
            (Some(py), Some(script)) => {
                step("baselines: loading Parquet, DuckDB and chDB native tables");
                let mut b = Baselines::start(py, script)?;
                match b.call(&json!({"op": "prepare", "corpus": corpus_dir, "work": work.join("baselines")})) {
                    Ok(v) => {
                        step(&format!("baselines ready: {v}"));
                        results["baselines_prepare"] = v;
                        baselines = Some(b);
                    }
                    Err(e) => {
                        step(&format!("baselines unavailable: {e}"));
                        results["baselines_prepare"] = json!({"error": e});
                    }
                }
            }
            _ => results["baselines_prepare"] = json!({"error": "no --python/--baselines given"}),
        }
    }
    let rg = Command::new("rg")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_owned());
    results["ripgrep"] = json!(rg.clone().unwrap_or_else(|| "not installed".into()));

    // 7. queries, warm, interleaved
    let suite = queries::suite(&manifest);
    let start_s = manifest.start_ms / 1000;
    let end_s = manifest.end_ms / 1000 + 1;
    let timeout = Duration::from_secs(args.query_timeout);
    let mut qresults = Vec::new();
    for q in &suite {
        step(&format!("query {}: {}", q.id, q.title));
        let groups = q.groups.names(&manifest);
        let qs = if q.last_hour { end_s - 3600 } else { start_s };
        let run_larch = |srv: &Server| {
            rt.block_on(queries::run_insights(&client, &groups, qs, end_s, &q.insights, srv.pid(), timeout))
        };
        let mut entry = json!({"id": q.id, "title": q.title, "insights": q.insights,
            "duckdb_sql": q.duckdb, "clickhouse_sql": q.clickhouse});
        let mut larch_runs = Vec::new();
        let mut larch_err = None;
        let mut base_runs: Vec<(String, Vec<f64>, Option<String>, Value)> =
            BASELINE_ENGINES.iter().map(|(e, f)| (format!("{e}-{f}"), Vec::new(), None, Value::Null)).collect();
        base_runs.push(("ripgrep".into(), Vec::new(), None, Value::Null));
        let perf = profile(&args, srv.pid(), &format!("query_{}", q.id));
        // warm-up
        if let Err(e) = run_larch(&srv) {
            larch_err = Some(e);
        }
        for rep in 0..=args.reps {
            match run_larch(&srv) {
                Ok(r) => larch_runs.push(r),
                Err(e) => larch_err = Some(e),
            }
            if rep == args.reps {
                break;
            }
            if let Some(b) = baselines.as_mut() {
                for (i, (engine, format)) in BASELINE_ENGINES.iter().enumerate() {
                    let sql = if *engine == "duckdb" { &q.duckdb } else { &q.clickhouse };
                    match b.call(&json!({"op": "query", "engine": engine, "format": format, "sql": sql})) {
                        Ok(v) => {
                            base_runs[i].1.push(v["ms"].as_f64().unwrap_or(f64::NAN));
                            base_runs[i].3 = json!({"rows": v["rows"], "first_row": v["first_row"]});
                        }
                        Err(e) => base_runs[i].2 = Some(e),
                    }
                }
            }
            if rg.is_some()
                && let Some(rg_args) = q.rg_args(&corpus_dir.join("raw"))
            {
                let t = Instant::now();
                let out = Command::new("rg").args(&rg_args).output();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let last = base_runs.len() - 1;
                match out {
                    Ok(o) => {
                        let count: u64 = String::from_utf8_lossy(&o.stdout)
                            .lines()
                            .filter_map(|l| l.trim().parse::<u64>().ok())
                            .sum();
                        base_runs[last].1.push(ms);
                        base_runs[last].3 = json!({"matching_lines": count});
                    }
                    Err(e) => base_runs[last].2 = Some(e.to_string()),
                }
            }
        }
        if let Some(p) = perf {
            p.stop();
        }
        let larch_ms: Vec<f64> = larch_runs.iter().map(|r| r.ms).collect();
        entry["larch"] = json!({
            "ms": larch_ms, "min_ms": report::min(&larch_ms), "median_ms": report::median(&larch_ms),
            "rows": larch_runs.last().map(|r| r.rows), "first_row": larch_runs.last().map(|r| r.first_row.clone()),
            "records_scanned": larch_runs.last().map(|r| r.records_scanned),
            "peak_rss_bytes": larch_runs.iter().map(|r| r.peak_rss_bytes).max(),
            "error": larch_err,
        });
        let mut b = serde_json::Map::new();
        for (name, ms, err, extra) in base_runs {
            if ms.is_empty() && err.is_none() {
                continue;
            }
            b.insert(
                name,
                json!({"ms": ms, "min_ms": report::min(&ms), "median_ms": report::median(&ms), "error": err, "result": extra}),
            );
        }
        entry["baselines"] = Value::Object(b);
        step(&format!(
            "  larch median {:.1} ms ({} rows)",
            report::median(&larch_ms),
            larch_runs.last().map_or(0, |r| r.rows)
        ));
        qresults.push(entry);
    }

    // 8. cold: restart the server (and drop the page cache when allowed) before each query
    let mut cold = serde_json::Map::new();
    let mut dropped_any = false;
    if !args.no_cold {
        for q in &suite {
            let dropped = restart_cold(&mut srv, &log)?;
            dropped_any |= dropped;
            let client = Client::new(&srv.endpoint(), server::KEY_ID, server::SECRET, 4);
            let groups = q.groups.names(&manifest);
            let qs = if q.last_hour { end_s - 3600 } else { start_s };
            let r = rt.block_on(queries::run_insights(&client, &groups, qs, end_s, &q.insights, srv.pid(), timeout));
            step(&format!(
                "cold {}: {}",
                q.id,
                r.as_ref().map(|r| format!("{:.1} ms", r.ms)).unwrap_or_else(|e| e.clone())
            ));
            cold.insert(
                q.id.to_owned(),
                match r {
                    Ok(r) => json!({"ms": r.ms, "rows": r.rows, "peak_rss_bytes": r.peak_rss_bytes, "page_cache_dropped": dropped}),
                    Err(e) => json!({"error": e, "page_cache_dropped": dropped}),
                },
            );
        }
    }
    results["queries"] = Value::Array(qresults);
    results["cold"] = Value::Object(cold);
    results["cold_page_cache_dropped"] = json!(dropped_any);
    drop(baselines);
    let _ = srv.stop();
    results["load_average_end"] = json!(server::load_average());
    results["finished_at_ms"] = json!(now_ms());

    let out = args.out.clone().unwrap_or_else(|| work.join("results.json"));
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, serde_json::to_vec_pretty(&results).unwrap_or_default()).map_err(|e| e.to_string())?;
    println!("{}", report::table(&results));
    println!("results: {}", out.display());
    Ok(())
}

/// Commit and number of locally modified files of the working tree the harness runs in.
fn git_state() -> Value {
    let run = |args: &[&str]| {
        Command::new("git").args(args).output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    json!({
        "commit": run(&["rev-parse", "--short", "HEAD"]),
        "modified_files": run(&["status", "--porcelain", "--untracked-files=no"]).map(|s| s.lines().count()),
    })
}

/// Waits (at most 60 s) until nothing is being flushed and less than one flush's worth is
/// buffered, per the server's `/metrics`. Returns the seconds waited.
async fn settle(client: &Client) -> f64 {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(60) {
        let Ok(m) = client.metrics().await else { break };
        let get = |k: &str| m.get(k).copied().unwrap_or(0.0);
        let flushing = get("larch_memtable_bytes{part=\"flushing\"}");
        let active = get("larch_memtable_bytes{part=\"active\"}");
        if flushing == 0.0 && active < get("larch_flush_threshold_bytes") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    t0.elapsed().as_secs_f64()
}

/// What the server did during a phase, from `/metrics` before and after it.
#[derive(Debug, Default, serde::Serialize)]
struct ServerDuring {
    flushes: u64,
    fsyncs: u64,
    fsyncs_over_50ms: u64,
    /// Upper bound (seconds) of the slowest fsync bucket that gained a sample ("+Inf" above 1 s).
    slowest_fsync_bucket: String,
}

impl ServerDuring {
    fn between(before: &HashMap<String, f64>, after: &HashMap<String, f64>) -> ServerDuring {
        let delta = |k: &str| (after.get(k).copied().unwrap_or(0.0) - before.get(k).copied().unwrap_or(0.0)) as u64;
        let bucket = |le: &str| format!("larch_wal_fsync_seconds_bucket{{le=\"{le}\"}}");
        let fsyncs = delta("larch_wal_fsync_seconds_count");
        let mut bounds: Vec<(f64, String)> = after
            .keys()
            .filter_map(|k| k.strip_prefix("larch_wal_fsync_seconds_bucket{le=\"")?.strip_suffix("\"}"))
            .map(|le| (le.parse().unwrap_or(f64::INFINITY), le.to_owned()))
            .collect();
        bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
        // The slowest sample lies in the first bucket whose cumulative count reaches all samples.
        let slowest = bounds.iter().find(|(_, le)| delta(&bucket(le)) >= fsyncs).map(|(_, le)| le.clone());
        ServerDuring {
            flushes: delta("larch_flushes_total"),
            fsyncs,
            fsyncs_over_50ms: fsyncs.saturating_sub(delta(&bucket("0.05"))),
            slowest_fsync_bucket: slowest.unwrap_or_else(|| "n/a".into()),
        }
    }
}

fn profile(args: &RunArgs, pid: u32, phase: &str) -> Option<server::Perf> {
    let dir = args.profile.as_ref()?;
    let _ = std::fs::create_dir_all(dir);
    server::Perf::start(pid, &dir.join(format!("{phase}.perf.data")))
}

fn restart_cold(srv: &mut Server, log: &Path) -> Result<bool, String> {
    srv.stop()?;
    let dropped = server::drop_page_cache();
    srv.restart(log)?;
    Ok(dropped)
}
