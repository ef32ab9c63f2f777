//! `larch query`: StartQuery, poll GetQueryResults with a progress line, print the rows.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::{Client, ConnectArgs, now_ms, parse_duration_ms};

#[derive(Clone, Copy, ValueEnum, Debug)]
pub enum Output {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub struct QueryArgs {
    /// The Logs Insights query.
    query: String,
    /// Log group to query (repeatable).
    #[arg(long = "group", short = 'g')]
    groups: Vec<String>,
    /// Relative range ending now (e.g. 15m, 1h, 7d); default 1h.
    #[arg(long, conflicts_with_all = ["start", "end"])]
    since: Option<String>,
    /// Start of the range: epoch seconds or RFC 3339.
    #[arg(long)]
    start: Option<String>,
    /// End of the range: epoch seconds or RFC 3339 (default now).
    #[arg(long)]
    end: Option<String>,
    /// Maximum rows.
    #[arg(long)]
    limit: Option<u64>,
    /// Query language.
    #[arg(long, default_value = "CWLI")]
    language: String,
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
    #[command(flatten)]
    connect: ConnectArgs,
}

pub fn run(args: QueryArgs) -> Result<(), String> {
    let client = Client::connect(&args.connect)?;
    let end = match &args.end {
        Some(t) => parse_time(t)?,
        None => now_ms() / 1000,
    };
    let start = match (&args.start, &args.since) {
        (Some(t), _) => parse_time(t)?,
        (None, Some(d)) => end - parse_duration_ms(d)? / 1000,
        (None, None) => end - 3600,
    };
    let mut input =
        json!({"queryString": args.query, "startTime": start, "endTime": end, "queryLanguage": args.language});
    if !args.groups.is_empty() {
        input["logGroupNames"] = json!(args.groups);
    }
    if let Some(l) = args.limit {
        input["limit"] = json!(l);
    }
    let query_id = client.call("StartQuery", &input)?["queryId"].as_str().unwrap_or_default().to_string();
    let started = Instant::now();
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let result = loop {
        let result = client.call("GetQueryResults", &json!({"queryId": query_id}))?;
        let status = result["status"].as_str().unwrap_or("Unknown").to_string();
        if interactive {
            let stats = &result["statistics"];
            eprint!(
                "\r{status} {:.1}s  scanned {} records, {} matched   ",
                started.elapsed().as_secs_f64(),
                stats["recordsScanned"].as_f64().unwrap_or(0.0),
                stats["recordsMatched"].as_f64().unwrap_or(0.0)
            );
        }
        match status.as_str() {
            "Complete" => break result,
            "Scheduled" | "Running" => std::thread::sleep(Duration::from_millis(200)),
            other => return Err(format!("query {query_id} ended with status {other}")),
        }
    };
    if interactive {
        eprintln!();
    }
    print_rows(&result["results"], args.output);
    Ok(())
}

/// Epoch seconds or an RFC 3339 timestamp → epoch seconds.
fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(n) = text.parse::<i64>() {
        return Ok(n);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| format!("invalid time (use epoch seconds or RFC 3339): {text}"))
}

fn print_rows(results: &Value, output: Output) {
    let rows: Vec<Vec<(String, String)>> = results
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|f| (f["field"].as_str().unwrap_or("").to_string(), f["value"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .collect();
    // Columns in first-seen order; rows are sparse. `@ptr` is noise in a terminal.
    let mut columns: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in &rows {
        for (field, _) in row {
            if field != "@ptr" && seen.insert(field.clone()) {
                columns.push(field.clone());
            }
        }
    }
    let cell = |row: &Vec<(String, String)>, column: &str| {
        row.iter().find(|(f, _)| f == column).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match output {
        Output::Json => {
            let objects: Vec<Value> =
                rows.iter().map(|r| Value::Object(r.iter().map(|(f, v)| (f.clone(), json!(v))).collect())).collect();
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&objects).unwrap_or_default());
        }
        Output::Csv => {
            let _ = writeln!(out, "{}", columns.iter().map(|c| csv_escape(c)).collect::<Vec<_>>().join(","));
            for row in &rows {
                let _ = writeln!(
                    out,
                    "{}",
                    columns.iter().map(|c| csv_escape(&cell(row, c))).collect::<Vec<_>>().join(",")
                );
            }
        }
        Output::Table => {
            let widths: Vec<usize> = columns
                .iter()
                .map(|c| {
                    rows.iter().map(|r| cell(r, c).chars().count().min(120)).max().unwrap_or(0).max(c.chars().count())
                })
                .collect();
            let line = |values: Vec<String>| -> String {
                values
                    .iter()
                    .zip(&widths)
                    .map(|(v, w)| {
                        let v: String = v.chars().take(120).collect::<String>().replace('\n', " ");
                        format!("{v:<w$}")
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            let _ = writeln!(out, "{}", line(columns.clone()));
            let _ = writeln!(out, "{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
            for row in &rows {
                let _ = writeln!(out, "{}", line(columns.iter().map(|c| cell(row, c)).collect()));
            }
            let _ = writeln!(out, "{} rows", rows.len());
        }
    }
}

fn csv_escape(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}
