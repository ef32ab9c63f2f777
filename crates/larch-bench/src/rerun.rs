//! `larch-bench queries`: re-run the larch side of the query suite against the data directory of
//! an earlier `run` (same work dir), without regenerating or re-ingesting. The loop for engine work:
//! change the query engine, rebuild, re-run one query with `--only`, optionally under `perf`.
//! A change of the storage format needs a fresh `run` (the data dir holds the old format).

use std::path::PathBuf;
use std::time::Duration;

use crate::client::Client;
use crate::corpus::Manifest;
use crate::server::{self, Server};
use crate::{queries, report};

#[derive(clap::Args, Clone)]
pub struct QueriesArgs {
    /// Work dir of an earlier `larch-bench run` (corpus/ and larch-data/ inside).
    #[arg(long)]
    work: PathBuf,
    /// The larch binary.
    #[arg(long)]
    larch: PathBuf,
    /// Only these query ids (comma separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Repetitions per query (after one warm-up).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Record `perf record --call-graph dwarf` of the server per query into this directory.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Idle this long before each run (ms): what a query costs after the server has idled, as
    /// in `run`, where baseline queries run between larch's.
    #[arg(long, default_value_t = 0)]
    pause_ms: u64,
}

pub fn run(args: QueriesArgs) -> Result<(), String> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(args.work.join("corpus/manifest.json")).map_err(|e| format!("manifest: {e}"))?,
    )
    .map_err(|e| format!("manifest: {e}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let srv = Server::start(
        &args.larch,
        &args.work.join("larch-data"),
        &args.work.join("larch.toml"),
        &args.work.join("larch.log"),
    )?;
    let client = Client::new(&srv.endpoint(), server::KEY_ID, server::SECRET, 4);
    let start_s = manifest.start_ms / 1000;
    let end_s = manifest.end_ms / 1000 + 1;
    let timeout = Duration::from_secs(600);
    println!("load average {}", server::load_average());
    for q in queries::suite(&manifest) {
        if !args.only.is_empty() && !args.only.iter().any(|id| id == q.id) {
            continue;
        }
        let groups = q.groups.names(&manifest);
        let qs = if q.last_hour { end_s - 3600 } else { start_s };
        let mut ms = Vec::new();
        let mut rows = 0;
        let mut rss = 0;
        let perf = args.profile.as_ref().and_then(|dir| {
            let _ = std::fs::create_dir_all(dir);
            server::Perf::start(srv.pid(), &dir.join(format!("query_{}.perf.data", q.id)))
        });
        let mut cpu = 0.0;
        for rep in 0..=args.reps {
            std::thread::sleep(Duration::from_millis(args.pause_ms));
            let cpu0 = server::cpu_seconds(srv.pid());
            let r = rt.block_on(queries::run_insights(&client, &groups, qs, end_s, &q.insights, srv.pid(), timeout))?;
            if rep > 0 {
                ms.push(r.ms);
                rows = r.rows;
                rss = rss.max(r.peak_rss_bytes);
                cpu += server::cpu_seconds(srv.pid()) - cpu0;
            }
        }
        if let Some(p) = perf {
            p.stop();
        }
        println!(
            "{:<18} median {:>8.1} ms  min {:>8.1} ms  server cpu {:>6.0} ms/query  rows {:>5}  peak rss {:>5} MB",
            q.id,
            report::median(&ms),
            report::min(&ms),
            cpu * 1e3 / ms.len().max(1) as f64,
            rows,
            rss / 1_000_000
        );
    }
    println!("load average {}", server::load_average());
    Ok(())
}
