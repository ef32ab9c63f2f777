//! `larch groups`, `streams`, `tail`, `ingest`.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use super::{Client, ClientError, ConnectArgs, now_ms, parse_duration_ms};

/// AWS's PutLogEvents limits.
const MAX_BATCH_EVENTS: usize = 10_000;
const MAX_BATCH_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;

#[derive(Args)]
pub struct GroupsArgs {
    /// Only groups whose name starts with this.
    #[arg(long)]
    prefix: Option<String>,
    #[command(flatten)]
    connect: ConnectArgs,
}

pub fn groups(args: GroupsArgs) -> Result<(), String> {
    let client = Client::connect(&args.connect)?;
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({});
        if let Some(p) = &args.prefix {
            input["logGroupNamePrefix"] = json!(p);
        }
        if let Some(t) = &token {
            input["nextToken"] = json!(t);
        }
        let page = client.call("DescribeLogGroups", &input)?;
        for g in page["logGroups"].as_array().into_iter().flatten() {
            let retention = g["retentionInDays"].as_u64().map(|d| format!("{d}d")).unwrap_or_else(|| "never".into());
            println!(
                "{}\tretention={}\tstoredBytes={}",
                g["logGroupName"].as_str().unwrap_or(""),
                retention,
                g["storedBytes"]
            );
        }
        token = page["nextToken"].as_str().map(String::from);
        if token.is_none() {
            return Ok(());
        }
    }
}

#[derive(Args)]
pub struct StreamsArgs {
    group: String,
    #[command(flatten)]
    connect: ConnectArgs,
}

pub fn streams(args: StreamsArgs) -> Result<(), String> {
    let client = Client::connect(&args.connect)?;
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"logGroupName": args.group});
        if let Some(t) = &token {
            input["nextToken"] = json!(t);
        }
        let page = client.call("DescribeLogStreams", &input)?;
        for s in page["logStreams"].as_array().into_iter().flatten() {
            let last = s["lastEventTimestamp"].as_i64().map(format_ts).unwrap_or_else(|| "-".into());
            println!("{}\tlastEvent={}", s["logStreamName"].as_str().unwrap_or(""), last);
        }
        token = page["nextToken"].as_str().map(String::from);
        if token.is_none() {
            return Ok(());
        }
    }
}

#[derive(Args)]
pub struct TailArgs {
    group: String,
    /// Keep printing new events as they arrive.
    #[arg(long, short)]
    follow: bool,
    /// Filter pattern (CloudWatch syntax).
    #[arg(long)]
    filter: Option<String>,
    /// How far back to start (e.g. 10m, 2h, 1d).
    #[arg(long, default_value = "10m")]
    since: String,
    #[command(flatten)]
    connect: ConnectArgs,
}

pub fn tail(args: TailArgs) -> Result<(), String> {
    let client = Client::connect(&args.connect)?;
    let mut start = now_ms() - parse_duration_ms(&args.since)?;
    // Ids already printed at the newest timestamp seen: the next poll starts at that
    // timestamp (inclusive) and must not print them twice.
    let mut seen_at_start: HashSet<String> = HashSet::new();
    let stdout = std::io::stdout();
    loop {
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({"logGroupName": args.group, "startTime": start});
            if let Some(f) = &args.filter {
                input["filterPattern"] = json!(f);
            }
            if let Some(t) = &token {
                input["nextToken"] = json!(t);
            }
            let page = client.call("FilterLogEvents", &input)?;
            let mut out = stdout.lock();
            for e in page["events"].as_array().into_iter().flatten() {
                let id = e["eventId"].as_str().unwrap_or("").to_string();
                let ts = e["timestamp"].as_i64().unwrap_or(0);
                if seen_at_start.contains(&id) {
                    continue;
                }
                if ts > start {
                    start = ts;
                    seen_at_start.clear();
                }
                seen_at_start.insert(id);
                let _ = writeln!(
                    out,
                    "{} {} {}",
                    format_ts(ts),
                    e["logStreamName"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                );
            }
            let _ = out.flush();
            token = page["nextToken"].as_str().map(String::from);
            if token.is_none() {
                break;
            }
        }
        if !args.follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[derive(Args)]
pub struct IngestArgs {
    group: String,
    stream: String,
    /// File to read (default: standard input).
    file: Option<PathBuf>,
    #[command(flatten)]
    connect: ConnectArgs,
}

pub fn ingest(args: IngestArgs) -> Result<(), String> {
    let client = Client::connect(&args.connect)?;
    ensure_exists(&client, "CreateLogGroup", json!({"logGroupName": args.group}))?;
    ensure_exists(&client, "CreateLogStream", json!({"logGroupName": args.group, "logStreamName": args.stream}))?;
    let reader: Box<dyn BufRead> = match &args.file {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut batch: Vec<Value> = Vec::new();
    let mut batch_bytes = 0usize;
    let (mut events, mut bytes) = (0u64, 0u64);
    let mut last_ts = 0i64;
    for line in reader.split(b'\n') {
        let line = line.map_err(|e| format!("read error: {e}"))?;
        let mut text = String::from_utf8_lossy(&line).into_owned();
        if text.ends_with('\r') {
            text.pop();
        }
        if text.is_empty() {
            continue;
        }
        let max_message = MAX_BATCH_BYTES - EVENT_OVERHEAD;
        if text.len() > max_message {
            let cut = text.floor_char_boundary(max_message);
            text.truncate(cut);
        }
        let size = text.len() + EVENT_OVERHEAD;
        if batch.len() == MAX_BATCH_EVENTS || batch_bytes + size > MAX_BATCH_BYTES {
            send_batch(&client, &args.group, &args.stream, std::mem::take(&mut batch))?;
            batch_bytes = 0;
        }
        // Timestamps must never go backwards within a batch, even if the clock does.
        last_ts = last_ts.max(now_ms());
        bytes += text.len() as u64;
        events += 1;
        batch_bytes += size;
        batch.push(json!({"timestamp": last_ts, "message": text}));
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            eprint!(
                "\r{events} events, {:.1} MB, {:.0} events/s   ",
                bytes as f64 / 1e6,
                events as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    if !batch.is_empty() {
        send_batch(&client, &args.group, &args.stream, batch)?;
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "\r{events} events, {:.1} MB in {secs:.1}s ({:.0} events/s)   ",
        bytes as f64 / 1e6,
        events as f64 / secs
    );
    Ok(())
}

fn ensure_exists(client: &Client, operation: &str, input: Value) -> Result<(), String> {
    match client.call(operation, &input) {
        Ok(_) => Ok(()),
        Err(ClientError::Api { code, .. }) if code == "ResourceAlreadyExistsException" => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn send_batch(client: &Client, group: &str, stream: &str, events: Vec<Value>) -> Result<(), String> {
    let input = json!({"logGroupName": group, "logStreamName": stream, "logEvents": events});
    let mut attempt = 0;
    loop {
        match client.call("PutLogEvents", &input) {
            Ok(out) => {
                if let Some(rejected) = out.get("rejectedLogEventsInfo") {
                    eprintln!("\nsome events were rejected: {rejected}");
                }
                return Ok(());
            }
            Err(e) if attempt < 5 && retryable(&e) => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(200 << attempt));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn retryable(error: &ClientError) -> bool {
    match error {
        ClientError::Api { status, code, .. } => *status >= 500 || *status == 429 || code == "ThrottlingException",
        ClientError::Transport(_) => true,
    }
}

/// `2026-11-25T10:11:12.345Z`.
pub fn format_ts(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&f).unwrap_or_default()
}
