//! Throughput (not asserted). Run in release:
//! `cargo test -p larch-patterns --release --test bench -- --ignored --nocapture`

use std::time::Instant;

use larch_patterns::{PatternConfig, PatternMiner};

#[test]
#[ignore = "benchmark; run explicitly in release"]
fn throughput() {
    let dir = std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../../../shared/data/loghub");
    let mut lines: Vec<String> = Vec::new();
    for e in std::fs::read_dir(&dir).expect("loghub samples at /work/shared/data/loghub") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "log") {
            lines.extend(std::fs::read_to_string(&p).unwrap().lines().map(String::from));
        }
    }
    let short: Vec<String> = (0..200_000u32)
        .map(|i| match i % 4 {
            0 => format!("START RequestId: {:08x}-1d2b-4c3d-9e8f-{:012x} Version: $LATEST", i, i),
            1 => format!(
                "2024-01-01T00:00:{:02}.{:03}Z INFO user {} logged in from 10.0.{}.{}",
                i % 60,
                i % 1000,
                i % 977,
                i % 250,
                i % 200
            ),
            2 => format!("GET /api/items/{} 200 {}ms", i % 5000, i % 300),
            _ => format!("cache miss key=item:{} shard={}", i, i % 16),
        })
        .collect();
    for (name, set, rounds) in [("loghub (all 16 files)", &lines, 10), ("short synthetic", &short, 1)] {
        let start = Instant::now();
        let mut n = 0usize;
        let mut patterns = 0;
        let mut finishing = 0.0;
        for _ in 0..rounds {
            let mut m = PatternMiner::new(PatternConfig::default());
            for l in set.iter() {
                m.add(l, None);
            }
            n += set.len();
            let f = Instant::now();
            patterns = m.finish().len();
            finishing += f.elapsed().as_secs_f64();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name}: {n} lines in {secs:.3}s = {:.0} lines/s incl. finish ({:.0} lines/s adding; finish {:.3}s; {patterns} patterns)",
            n as f64 / secs,
            n as f64 / (secs - finishing),
            finishing / rounds as f64
        );
    }
}
