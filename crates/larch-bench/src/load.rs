//! The load generator: PutLogEvents over many keep-alive connections, every request signed.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{CallError, Client, Prepared};
use crate::corpus::{EVENT_OVERHEAD, Manifest};
use crate::server;

const MAX_BATCH_BILLABLE: u64 = 1_048_576;
const MAX_BATCH_EVENTS: usize = 10_000;

#[derive(Debug, Clone, Serialize, Default)]
pub struct IngestResult {
    pub shape: String,
    pub connections: usize,
    pub target_rate: Option<f64>,
    pub requests: u64,
    pub events: u64,
    pub billable_bytes: u64,
    pub seconds: f64,
    pub requests_per_s: f64,
    pub events_per_s: f64,
    pub billable_mb_per_s: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_max_ms: f64,
    /// Open loop only: latency from the actual send instead of the scheduled one (without
    /// the client's own queueing).
    pub sent_p50_ms: Option<f64>,
    pub sent_p99_ms: Option<f64>,
    pub server_cpu_s: f64,
    pub mb_per_server_cpu_s: f64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Wall-clock start (RFC 3339, UTC).
    pub started_utc: String,
    /// The half seconds with the most requests slower than 20 ms (open loop), most first.
    pub slow_windows: Vec<SlowWindow>,
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// CreateLogGroup / CreateLogStream, tolerating "already exists".
pub async fn create(client: &Client, group: &str, streams: &[String]) -> Result<(), String> {
    let ok = |r: Result<Value, CallError>| match r {
        Ok(_) => Ok(()),
        Err(CallError::Api { code, .. }) if code == "ResourceAlreadyExistsException" => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    ok(client.call("CreateLogGroup", &json!({"logGroupName": group})).await)?;
    for s in streams {
        ok(client.call("CreateLogStream", &json!({"logGroupName": group, "logStreamName": s})).await)?;
    }
    Ok(())
}

pub async fn create_corpus_groups(client: &Client, m: &Manifest) -> Result<(), String> {
    for g in &m.groups {
        create(client, &g.name, &g.streams).await?;
    }
    Ok(())
}

/// Reads the corpus and packs each stream's events into PutLogEvents bodies of at most
/// 1 MiB billable bytes / 10,000 events, interleaving streams round-robin.
pub fn corpus_batches(corpus: &Path) -> Result<Vec<Prepared>, String> {
    let file = std::fs::File::open(corpus.join("events.ndjson")).map_err(|e| e.to_string())?;
    let mut per_stream: BTreeMap<(String, String), Vec<Prepared>> = BTreeMap::new();
    let mut current: Option<(String, String, Vec<Value>, u64)> = None;
    let flush = |cur: &mut Option<(String, String, Vec<Value>, u64)>,
                 out: &mut BTreeMap<(String, String), Vec<Prepared>>| {
        if let Some((g, s, events, billable)) = cur.take()
            && !events.is_empty()
        {
            let n = events.len() as u64;
            let body = json!({"logGroupName": g, "logStreamName": s, "logEvents": events});
            out.entry((g, s)).or_default().push(Client::prepare("PutLogEvents", &body, n, billable));
        }
    };
    for line in std::io::BufReader::with_capacity(1 << 20, file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        let g = v["grp"].as_str().unwrap_or_default();
        let s = v["stream"].as_str().unwrap_or_default();
        let msg = v["message"].as_str().unwrap_or_default();
        let cost = msg.len() as u64 + EVENT_OVERHEAD;
        let same = matches!(&current, Some((cg, cs, ev, b))
            if cg == g && cs == s && ev.len() < MAX_BATCH_EVENTS && b + cost <= MAX_BATCH_BILLABLE);
        if !same {
            flush(&mut current, &mut per_stream);
            current = Some((g.to_owned(), s.to_owned(), Vec::new(), 0));
        }
        if let Some((_, _, ev, b)) = current.as_mut() {
            ev.push(json!({"timestamp": v["ts"], "message": msg}));
            *b += cost;
        }
    }
    flush(&mut current, &mut per_stream);
    // round-robin across streams, keeping each stream's batches in time order
    let mut queues: Vec<std::collections::VecDeque<Prepared>> = per_stream.into_values().map(Into::into).collect();
    let mut out = Vec::new();
    loop {
        let mut any = false;
        for q in queues.iter_mut() {
            if let Some(p) = q.pop_front() {
                out.push(p);
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    Ok(out)
}

struct Tally {
    latencies: Vec<f64>,
    sent: Vec<f64>,
    /// (seconds into the run it was scheduled, ms from the schedule) of requests slower than
    /// [`SLOW_MS`] (open loop only).
    slow: Vec<(f64, f64)>,
    errors: u64,
    first_error: Option<String>,
    events: u64,
    billable: u64,
}

fn finish(
    shape: &str,
    connections: usize,
    target_rate: Option<f64>,
    tallies: Vec<Tally>,
    elapsed: Duration,
    cpu: f64,
) -> IngestResult {
    let mut lat: Vec<f64> = tallies.iter().flat_map(|t| t.latencies.iter().copied()).collect();
    lat.sort_by(f64::total_cmp);
    let mut sent: Vec<f64> = tallies.iter().flat_map(|t| t.sent.iter().copied()).collect();
    sent.sort_by(f64::total_cmp);
    let secs = elapsed.as_secs_f64();
    let events: u64 = tallies.iter().map(|t| t.events).sum();
    let billable: u64 = tallies.iter().map(|t| t.billable).sum();
    let requests = lat.len() as u64;
    // Slow requests per half second of the schedule: where the stalls were.
    let mut windows: BTreeMap<u64, (u64, f64)> = BTreeMap::new();
    for (at, ms) in tallies.iter().flat_map(|t| t.slow.iter().copied()) {
        let w = windows.entry((at * 2.0) as u64).or_default();
        w.0 += 1;
        w.1 = w.1.max(ms);
    }
    let mut slow_windows: Vec<SlowWindow> = windows
        .into_iter()
        .map(|(w, (requests, max_ms))| SlowWindow { at_s: w as f64 / 2.0, requests, max_ms })
        .collect();
    slow_windows.sort_by_key(|w| std::cmp::Reverse(w.requests));
    slow_windows.truncate(5);
    IngestResult {
        shape: shape.to_owned(),
        connections,
        target_rate,
        requests,
        events,
        billable_bytes: billable,
        seconds: secs,
        requests_per_s: requests as f64 / secs,
        events_per_s: events as f64 / secs,
        billable_mb_per_s: billable as f64 / 1e6 / secs,
        ack_p50_ms: percentile(&lat, 50.0),
        ack_p99_ms: percentile(&lat, 99.0),
        ack_max_ms: lat.last().copied().unwrap_or(f64::NAN),
        sent_p50_ms: (!sent.is_empty()).then(|| percentile(&sent, 50.0)),
        sent_p99_ms: (!sent.is_empty()).then(|| percentile(&sent, 99.0)),
        server_cpu_s: cpu,
        mb_per_server_cpu_s: billable as f64 / 1e6 / cpu,
        errors: tallies.iter().map(|t| t.errors).sum(),
        first_error: tallies.iter().find_map(|t| t.first_error.clone()),
        started_utc: started_utc(elapsed),
        slow_windows,
    }
}

/// Requests slower than this (from their schedule) are located in time.
const SLOW_MS: f64 = 20.0;

/// Half a second of an open-loop run with requests slower than [`SLOW_MS`].
#[derive(Debug, Clone, Serialize)]
pub struct SlowWindow {
    /// Seconds into the run.
    pub at_s: f64,
    pub requests: u64,
    pub max_ms: f64,
}

/// Wall-clock start of a run that has lasted `elapsed` (to match server logs).
fn started_utc(elapsed: Duration) -> String {
    let start = time::OffsetDateTime::now_utc() - elapsed;
    start.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn record(t: &mut Tally, r: Result<Value, CallError>, p: &Prepared, ms: f64) {
    match r {
        Ok(v) if v.get("rejectedLogEventsInfo").is_none() => {
            t.latencies.push(ms);
            t.events += p.events;
            t.billable += p.billable;
        }
        Ok(v) => {
            t.errors += 1;
            t.first_error.get_or_insert_with(|| format!("rejected events: {v}"));
        }
        Err(e) => {
            t.errors += 1;
            t.first_error.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Sends all `batches` as fast as `connections` closed-loop workers can.
pub async fn run_batches(
    client: &Client,
    batches: Arc<Vec<Prepared>>,
    connections: usize,
    server_pid: u32,
    shape: &str,
) -> IngestResult {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = server::cpu_seconds(server_pid);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, batches, next) = (client.clone(), batches.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut t = new_tally();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = batches.get(i) else { break };
                let s = Instant::now();
                let r = client.send(p).await;
                record(&mut t, r, p, s.elapsed().as_secs_f64() * 1e3);
            }
            t
        }));
    }
    let mut tallies = Vec::new();
    for t in tasks {
        if let Ok(t) = t.await {
            tallies.push(t);
        }
    }
    let elapsed = t0.elapsed();
    let cpu = server::cpu_seconds(server_pid) - cpu0;
    finish(shape, connections, None, tallies, elapsed, cpu)
}

/// Messages for the 10-event shape, taken from the corpus (Lambda lines).
pub fn small_messages(corpus: &Path, n: usize) -> Vec<String> {
    let Ok(file) = std::fs::File::open(corpus.join("events.ndjson")) else {
        return vec!["hello".into()];
    };
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .take(n)
        .filter_map(|l| serde_json::from_str::<Value>(&l).ok())
        .filter_map(|v| v["message"].as_str().map(str::to_owned))
        .collect()
}

fn small_body(group: &str, stream: &str, msgs: &[String], k: u64) -> Prepared {
    let now = crate::now_ms();
    let events: Vec<Value> =
        (0..10).map(|j| json!({"timestamp": now, "message": &msgs[(k as usize * 10 + j) % msgs.len()]})).collect();
    let billable: u64 = events.iter().map(|e| e["message"].as_str().map_or(0, str::len) as u64 + EVENT_OVERHEAD).sum();
    Client::prepare(
        "PutLogEvents",
        &json!({"logGroupName": group, "logStreamName": stream, "logEvents": events}),
        10,
        billable,
    )
}

/// 10-event batches for `duration`: closed loop over `connections` workers when `rate` is
/// None (saturation), otherwise open loop at `rate` requests/s, latency measured from the
/// scheduled send time (so queueing in the client counts).
#[allow(clippy::too_many_arguments)]
pub async fn run_small(
    client: &Client,
    group: &str,
    streams: &[String],
    msgs: Arc<Vec<String>>,
    connections: usize,
    duration: Duration,
    rate: Option<f64>,
    server_pid: u32,
) -> IngestResult {
    let counter = Arc::new(AtomicU64::new(0));
    let cpu0 = server::cpu_seconds(server_pid);
    let t0 = Instant::now();
    let deadline = t0 + duration;
    let streams = Arc::new(streams.to_vec());
    let group: Arc<str> = group.into();
    let mut tasks = Vec::new();
    match rate {
        None => {
            for w in 0..connections {
                let (client, msgs, counter, streams, group) =
                    (client.clone(), msgs.clone(), counter.clone(), streams.clone(), group.clone());
                tasks.push(tokio::spawn(async move {
                    let mut t = new_tally();
                    let stream = &streams[w % streams.len()];
                    while Instant::now() < deadline {
                        let k = counter.fetch_add(1, Ordering::Relaxed);
                        let p = small_body(&group, stream, &msgs, k);
                        let s = Instant::now();
                        let r = client.send(&p).await;
                        record(&mut t, r, &p, s.elapsed().as_secs_f64() * 1e3);
                    }
                    t
                }));
            }
        }
        Some(rate) => {
            let permits = Arc::new(tokio::sync::Semaphore::new(connections));
            let mut k = 0u64;
            loop {
                let scheduled = t0 + Duration::from_secs_f64(k as f64 / rate);
                if scheduled >= deadline {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                let permit = permits.clone().acquire_owned().await.expect("semaphore");
                let (client, msgs, streams, group) = (client.clone(), msgs.clone(), streams.clone(), group.clone());
                tasks.push(tokio::spawn(async move {
                    let mut t = new_tally();
                    let p = small_body(&group, &streams[k as usize % streams.len()], &msgs, k);
                    let sent = Instant::now();
                    let r = client.send(&p).await;
                    if r.is_ok() {
                        t.sent.push(sent.elapsed().as_secs_f64() * 1e3);
                    }
                    let ms = scheduled.elapsed().as_secs_f64() * 1e3;
                    if r.is_ok() && ms > SLOW_MS {
                        t.slow.push(((scheduled - t0).as_secs_f64(), ms));
                    }
                    record(&mut t, r, &p, ms);
                    drop(permit);
                    t
                }));
                k += 1;
            }
        }
    }
    let mut tallies = Vec::new();
    for t in tasks {
        if let Ok(t) = t.await {
            tallies.push(t);
        }
    }
    let elapsed = t0.elapsed();
    let cpu = server::cpu_seconds(server_pid) - cpu0;
    finish("10-event batches", connections, rate, tallies, elapsed, cpu)
}

fn new_tally() -> Tally {
    Tally {
        latencies: Vec::new(),
        sent: Vec::new(),
        slow: Vec::new(),
        errors: 0,
        first_error: None,
        events: 0,
        billable: 0,
    }
}
