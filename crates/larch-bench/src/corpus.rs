//! Deterministic, seeded generator of serverless-style logs.
//!
//! Three kinds of log groups share the byte budget: Lambda functions (40 %), a JSON application
//! log (35 %) and an HTTP access log (25 %). Events are spread evenly (with jitter) over
//! `span` ending at `end_ms`; the content depends only on the seed and the size, timestamps
//! only on `end_ms` and `span`, so a corpus can be regenerated for "now" (PutLogEvents refuses
//! events older than 14 days) and stay comparable between runs.
//!
//! Output directory:
//! * `events.ndjson` — `{"grp","stream","ts","message"}` per line, ordered by group, stream,
//!   time: what the load generator sends and what DuckDB / chDB load;
//! * `raw/<group>.log` — the messages alone, one per line, for ripgrep;
//! * `manifest.json` — see [`Manifest`].

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// PutLogEvents' per-event overhead in billable bytes.
pub const EVENT_OVERHEAD: u64 = 26;

/// What a corpus holds; written next to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub seed: u64,
    pub target_bytes: u64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub events: u64,
    /// Σ message bytes.
    pub message_bytes: u64,
    /// Σ (message bytes + 26).
    pub billable_bytes: u64,
    pub needle: String,
    pub needle_events: u64,
    pub groups: Vec<GroupInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupInfo {
    pub name: String,
    pub kind: String,
    pub streams: Vec<String>,
    pub events: u64,
    pub billable_bytes: u64,
}

/// xoshiro256** seeded by SplitMix64: tiny, fast and stable across dependency upgrades.
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng { s: [next(), next(), next(), next()] }
    }
    pub fn u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.u64() >> 32) * n) >> 32
    }
    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// Log-normal-ish positive value with the given median.
    pub fn skewed(&mut self, median: f64) -> f64 {
        // sum of uniforms ≈ normal; exp of it is log-normal
        let n: f64 = (0..4).map(|_| self.f64()).sum::<f64>() - 2.0;
        median * (n * 1.2).exp()
    }
    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.u64()));
        }
        s.truncate(len);
        s
    }
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}

/// "50MB", "1GB", "500k", "1048576" → bytes (decimal units, as in the issue).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_uppercase();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid size: {text}"))?;
    let factor = match unit.trim_end_matches('B') {
        "" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "KI" => 1024.0,
        "MI" => 1024.0 * 1024.0,
        "GI" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("invalid size unit: {text}")),
    };
    Ok((n * factor) as u64)
}

const LAMBDA_FUNCTIONS: [(&str, u32); 4] =
    [("orders-api", 512), ("payments", 256), ("thumbnailer", 1024), ("auth-authorizer", 128)];
const SERVICES: [&str; 6] = ["checkout", "search", "inventory", "accounts", "cart", "recommendations"];
const APP_GROUP: &str = "/app/api";
const ACCESS_GROUP: &str = "/nginx/access";

/// Bytes one stream should hold: large enough that 1 MB PutLogEvents batches fill up.
const STREAM_BYTES: u64 = 4_000_000;

struct Sink {
    ndjson: BufWriter<File>,
    raw: BufWriter<File>,
    events: u64,
    message_bytes: u64,
    needle_events: u64,
    needle: String,
}

impl Sink {
    fn emit(&mut self, group: &str, stream: &str, ts: i64, message: &str) -> std::io::Result<()> {
        debug_assert!(!message.contains('\n'));
        let line = serde_json::json!({"grp": group, "stream": stream, "ts": ts, "message": message});
        serde_json::to_writer(&mut self.ndjson, &line)?;
        self.ndjson.write_all(b"\n")?;
        self.raw.write_all(message.as_bytes())?;
        self.raw.write_all(b"\n")?;
        self.events += 1;
        self.message_bytes += message.len() as u64;
        if message.contains(&self.needle) {
            self.needle_events += 1;
        }
        Ok(())
    }
}

/// Writes a corpus of about `target_bytes` billable bytes into `dir`.
pub fn generate(dir: &Path, target_bytes: u64, seed: u64, end_ms: i64, span_ms: i64) -> std::io::Result<Manifest> {
    fs::create_dir_all(dir.join("raw"))?;
    let mut rng = Rng::new(seed);
    let needle = format!("needle-{}", rng.hex(12));
    let start_ms = end_ms - span_ms;
    let mut sink = Sink {
        ndjson: BufWriter::with_capacity(1 << 20, File::create(dir.join("events.ndjson"))?),
        raw: BufWriter::with_capacity(1 << 20, File::create(dir.join("raw/.tmp"))?),
        events: 0,
        message_bytes: 0,
        needle_events: 0,
        needle: needle.clone(),
    };
    let mut groups = Vec::new();
    let lambda_budget = target_bytes * 40 / 100 / LAMBDA_FUNCTIONS.len() as u64;
    for (i, (function, memory)) in LAMBDA_FUNCTIONS.iter().enumerate() {
        let name = format!("/aws/lambda/{function}");
        let mut g = Rng::new(seed ^ (0x1000 + i as u64));
        let info = gen_group(
            dir,
            &mut sink,
            &name,
            "lambda",
            lambda_budget,
            start_ms,
            span_ms,
            &mut g,
            i == 1,
            |rng, ts, stream_index, first, out| lambda_invocation(rng, ts, *memory, stream_index, first, out),
        )?;
        groups.push(info);
    }
    let mut g = Rng::new(seed ^ 0x2000);
    groups.push(gen_group(
        dir,
        &mut sink,
        APP_GROUP,
        "json",
        target_bytes * 35 / 100,
        start_ms,
        span_ms,
        &mut g,
        true,
        |rng, ts, _, _, out| json_event(rng, ts, out),
    )?);
    let mut g = Rng::new(seed ^ 0x3000);
    groups.push(gen_group(
        dir,
        &mut sink,
        ACCESS_GROUP,
        "access",
        target_bytes * 25 / 100,
        start_ms,
        span_ms,
        &mut g,
        true,
        |rng, ts, _, _, out| access_event(rng, ts, out),
    )?);
    sink.ndjson.flush()?;
    sink.raw.flush()?;
    fs::remove_file(dir.join("raw/.tmp")).ok();
    let manifest = Manifest {
        seed,
        target_bytes,
        start_ms,
        end_ms,
        events: sink.events,
        message_bytes: sink.message_bytes,
        billable_bytes: sink.message_bytes + EVENT_OVERHEAD * sink.events,
        needle,
        needle_events: sink.needle_events,
        groups,
    };
    fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// One generated unit (an invocation, a request): events as (offset ms, message).
type Unit = Vec<(i64, String)>;

#[allow(clippy::too_many_arguments)]
fn gen_group(
    dir: &Path,
    sink: &mut Sink,
    group: &str,
    kind: &str,
    budget: u64,
    start_ms: i64,
    span_ms: i64,
    rng: &mut Rng,
    plant_needle: bool,
    mut unit: impl FnMut(&mut Rng, i64, usize, bool, &mut Unit),
) -> std::io::Result<GroupInfo> {
    // Estimate the bytes of one unit from a sample with a separate generator, so that
    // units can be spread evenly over the time span.
    let mut sample_rng = Rng::new(rng.u64());
    let mut sample = Vec::new();
    let mut sample_bytes = 0u64;
    for i in 0..500 {
        sample.clear();
        unit(&mut sample_rng, start_ms, 0, i == 0, &mut sample);
        sample_bytes += sample.iter().map(|(_, m)| m.len() as u64 + EVENT_OVERHEAD).sum::<u64>();
    }
    let unit_bytes = (sample_bytes / 500).max(1);
    let n_streams = (budget / STREAM_BYTES).clamp(2, 64) as usize;
    let stream_budget = budget / n_streams as u64;
    let units_per_stream = (stream_budget / unit_bytes).max(1);
    let interval = span_ms as f64 / units_per_stream as f64;
    let needle_stream = n_streams / 2;
    let needle_unit = units_per_stream / 3;

    let raw_name = group.trim_start_matches('/').replace('/', "_");
    let raw_path = dir.join("raw").join(format!("{raw_name}.log"));
    let old_raw = std::mem::replace(&mut sink.raw, BufWriter::with_capacity(1 << 20, File::create(&raw_path)?));
    drop(old_raw);

    let mut info =
        GroupInfo { name: group.to_owned(), kind: kind.to_owned(), streams: Vec::new(), events: 0, billable_bytes: 0 };
    let events_before = sink.events;
    let bytes_before = sink.message_bytes;
    let mut buf = Vec::new();
    for s in 0..n_streams {
        let stream = match kind {
            "lambda" => format!("2026/11/25/[$LATEST]{}", rng.hex(32)),
            "json" => format!("api-{}-{}", rng.hex(10), rng.hex(5)),
            _ => format!("nginx/i-{}", rng.hex(17)),
        };
        let mut used = 0u64;
        let mut last_ts = start_ms;
        let mut k = 0u64;
        while used < stream_budget {
            let base = start_ms + (k as f64 * interval + rng.f64() * interval * 0.9) as i64;
            let base = base.min(start_ms + span_ms - 1);
            buf.clear();
            unit(rng, base, s, k == 0, &mut buf);
            if plant_needle && s == needle_stream && k == needle_unit {
                plant(kind, &mut buf, &sink.needle);
            }
            for (ts, message) in &buf {
                let ts = (*ts).clamp(last_ts, start_ms + span_ms - 1);
                last_ts = ts;
                sink.emit(group, &stream, ts, message)?;
                used += message.len() as u64 + EVENT_OVERHEAD;
            }
            k += 1;
        }
        info.streams.push(stream);
    }
    sink.raw.flush()?;
    info.events = sink.events - events_before;
    info.billable_bytes = sink.message_bytes - bytes_before + EVENT_OVERHEAD * info.events;
    Ok(info)
}

/// Puts the needle where it keeps the event well-formed: in a Lambda app line, in the JSON
/// `msg`, in the access log's query string.
fn plant(kind: &str, unit: &mut Unit, needle: &str) {
    let (_, m) = if kind == "lambda" { &mut unit[1] } else { &mut unit[0] };
    *m = match kind {
        "json" => m.replacen("\"msg\":\"", &format!("\"msg\":\"trace {needle} "), 1),
        "access" => m.replacen(" HTTP/1.1\"", &format!("?trace={needle} HTTP/1.1\""), 1),
        _ => format!("{m} trace={needle}"),
    };
}

fn iso(ts: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ts as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn clf_time(ts: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ts as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        t.day(),
        MONTHS[t.month() as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn level(rng: &mut Rng) -> &'static str {
    let x = rng.f64();
    if x < 0.02 {
        "ERROR"
    } else if x < 0.07 {
        "WARN"
    } else {
        "INFO"
    }
}

const INFO_MSGS: [&str; 6] = [
    "processing request",
    "fetched item from DynamoDB table orders in 12 ms",
    "published event to EventBridge bus default",
    "cache hit for key session",
    "validated payload against schema v3",
    "wrote object to S3 bucket uploads",
];
const WARN_MSGS: [&str; 3] = [
    "retrying DynamoDB call after ProvisionedThroughputExceededException",
    "slow downstream response from payments-gateway",
    "deprecated field customerRef used by client",
];
const ERROR_MSGS: [&str; 3] = [
    "Unhandled exception: TypeError: Cannot read properties of undefined (reading 'id')",
    "Task timed out while calling https://inventory.internal/api/v2/reserve",
    "ConditionalCheckFailedException: The conditional request failed",
];

fn lambda_invocation(rng: &mut Rng, ts: i64, memory: u32, _stream: usize, cold: bool, out: &mut Unit) {
    let id = rng.uuid();
    out.push((ts, format!("START RequestId: {id} Version: $LATEST")));
    let duration = rng.skewed(45.0).min(29_000.0);
    let lines = 1 + rng.below(3) as i64;
    for i in 0..lines {
        let lvl = level(rng);
        let msg = match lvl {
            "ERROR" => rng.pick(&ERROR_MSGS),
            "WARN" => rng.pick(&WARN_MSGS),
            _ => rng.pick(&INFO_MSGS),
        };
        let t = ts + (duration as i64 * (i + 1)) / (lines + 1);
        out.push((t, format!("{}\t{id}\t{lvl}\t{msg}", iso(t))));
    }
    let end = ts + duration as i64;
    out.push((end, format!("END RequestId: {id}")));
    let max_mem = (memory as f64 * (0.3 + 0.5 * rng.f64())) as u32;
    let mut report = format!(
        "REPORT RequestId: {id}\tDuration: {duration:.2} ms\tBilled Duration: {} ms\tMemory Size: {memory} MB\tMax Memory Used: {max_mem} MB\t",
        duration.ceil() as u64
    );
    if cold {
        report.push_str(&format!("Init Duration: {:.2} ms\t", rng.skewed(180.0)));
    }
    out.push((end, report));
}

const MSGS: [&str; 8] = [
    "request completed",
    "order placed",
    "search executed",
    "stock reserved",
    "user profile loaded",
    "cart updated",
    "recommendations computed",
    "payment authorized",
];

fn json_event(rng: &mut Rng, ts: i64, out: &mut Unit) {
    let lvl = match level(rng) {
        "ERROR" => "error",
        "WARN" => "warn",
        _ => "info",
    };
    let status = if lvl == "error" {
        *rng.pick(&[500u16, 502, 503, 504])
    } else if rng.chance(0.04) {
        *rng.pick(&[400u16, 401, 403, 404, 409])
    } else {
        200
    };
    let latency = (rng.skewed(25.0) * 100.0).round() / 100.0;
    let msg = format!(
        "{{\"level\":\"{lvl}\",\"time\":\"{}\",\"service\":\"{}\",\"msg\":\"{}\",\"request_id\":\"{}\",\"user_id\":\"u-{:06}\",\"latency_ms\":{latency},\"status\":{status}}}",
        iso(ts),
        rng.pick(&SERVICES),
        rng.pick(&MSGS),
        rng.uuid(),
        rng.below(200_000),
    );
    out.push((ts, msg));
}

const PATHS: [&str; 8] = [
    "/api/orders",
    "/api/orders/{id}",
    "/api/cart",
    "/api/search?q=shoes",
    "/static/app.js",
    "/static/logo.png",
    "/healthz",
    "/api/users/{id}",
];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0",
    "ELB-HealthChecker/2.0",
];

fn access_event(rng: &mut Rng, ts: i64, out: &mut Unit) {
    let path = rng.pick(&PATHS).replace("{id}", &rng.below(100_000).to_string());
    let method = if path.starts_with("/static") || path == "/healthz" {
        "GET"
    } else {
        *rng.pick(&["GET", "GET", "GET", "POST", "PUT", "DELETE"])
    };
    let x = rng.f64();
    let status = if x < 0.01 {
        500
    } else if x < 0.02 {
        503
    } else if x < 0.06 {
        404
    } else if x < 0.08 {
        304
    } else {
        200
    };
    let msg = format!(
        "10.{}.{}.{} - - [{}] \"{method} {path} HTTP/1.1\" {status} {} \"https://shop.example.com/\" \"{}\" {:.3}",
        rng.below(256),
        rng.below(256),
        rng.below(256),
        clf_time(ts),
        200 + rng.below(50_000),
        rng.pick(&AGENTS),
        rng.skewed(0.02),
    );
    out.push((ts, msg));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("50MB").unwrap(), 50_000_000);
        assert_eq!(parse_size("1GB").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("1048576").unwrap(), 1_048_576);
        assert!(parse_size("5XB").is_err());
    }

    #[test]
    fn generation_is_deterministic_and_sized() {
        let a = tempdir("a");
        let b = tempdir("b");
        let end = 1_800_000_000_000;
        let ma = generate(&a, 2_000_000, 7, end, 3_600_000).unwrap();
        let mb = generate(&b, 2_000_000, 7, end, 3_600_000).unwrap();
        assert_eq!(fs::read(a.join("events.ndjson")).unwrap(), fs::read(b.join("events.ndjson")).unwrap());
        assert!(ma.billable_bytes > 1_600_000 && ma.billable_bytes < 2_600_000);
        assert!(ma.needle_events >= 1);
        assert_eq!(ma.events, mb.events);
        let text = fs::read_to_string(a.join("events.ndjson")).unwrap();
        assert!(text.contains("Init Duration"));
        assert!(text.contains("[$LATEST]"));
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let ts = v["ts"].as_i64().unwrap();
            assert!(ts >= ma.start_ms && ts < ma.end_ms);
        }
        fs::remove_dir_all(a).ok();
        fs::remove_dir_all(b).ok();
    }

    fn tempdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("larch-bench-{}-{tag}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        d
    }
}
