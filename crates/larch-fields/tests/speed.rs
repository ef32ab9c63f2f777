//! Rough timings (`cargo test --release -p larch-fields --test speed -- --ignored --nocapture`).
//! Prints numbers, asserts nothing about time.

use std::hint::black_box;
use std::time::Instant;

use larch_fields::{discover, get_field};

fn time(label: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
    println!("{label:<48} {ns:>9.1} ns/op");
}

#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn speed() {
    let json = r#"{"level":"INFO","requestId":"3f4e7d2a-1b2c-4d5e-8f90-123456789abc","msg":"order placed","user":{"id":12345,"name":"Ada Lovelace","roles":["admin","dev"]},"http":{"method":"POST","path":"/api/orders","status":201,"latencyMs":12.75},"items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"ok":true}"#;
    println!("JSON message: {} bytes", json.len());
    let text = "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"";
    let report = "REPORT RequestId: 3f4e7d2a-1b2c-4d5e-8f90-123456789abc\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 150.11 ms\t\nXRAY TraceId: 1-61c86fa4-59b3c6d959653c527fd10966\tSegmentId: 107ea78a5750a811\tSampled: true\t\n";
    let lambda_json = r#"{"time":"2024-01-01T00:00:00.000Z","type":"platform.report","record":{"requestId":"3f4e7d2a-1b2c-4d5e-8f90-123456789abc","metrics":{"durationMs":2.11,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":148.63},"status":"success"}}"#;
    let n = 1_000_000;
    time("json: top-level first key (level)", n, || {
        black_box(get_field(black_box(json), black_box("level")));
    });
    time("json: top-level last key (ok)", n, || {
        black_box(get_field(black_box(json), black_box("ok")));
    });
    time("json: nested (http.status)", n, || {
        black_box(get_field(black_box(json), black_box("http.status")));
    });
    time("json: array path (items.1.sku)", n, || {
        black_box(get_field(black_box(json), black_box("items.1.sku")));
    });
    time("json: missing key", n, || {
        black_box(get_field(black_box(json), black_box("nope")));
    });
    time("text line: JSON name", n, || {
        black_box(get_field(black_box(text), black_box("status")));
    });
    time("text line: Lambda name (@duration)", n, || {
        black_box(get_field(black_box(text), black_box("@duration")));
    });
    time("text line: system name (@timestamp)", n, || {
        black_box(get_field(black_box(text), black_box("@timestamp")));
    });
    time("REPORT: @duration", n, || {
        black_box(get_field(black_box(report), black_box("@duration")));
    });
    time("REPORT: @xraySegmentId (last)", n, || {
        black_box(get_field(black_box(report), black_box("@xraySegmentId")));
    });
    time("Lambda JSON: @maxMemoryUsed", n, || {
        black_box(get_field(black_box(lambda_json), black_box("@maxMemoryUsed")));
    });
    time("discover: JSON message (15 fields)", n / 4, || {
        black_box(discover(black_box(json)));
    });
    time("discover: REPORT", n / 4, || {
        black_box(discover(black_box(report)));
    });
    time("discover: text line", n, || {
        black_box(discover(black_box(text)));
    });
}
