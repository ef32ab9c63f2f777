//! Lambda platform lines and Lambda JSON-format platform events.

use larch_fields::{FieldValue, discover, get_field};

const ID: &str = "3f4e7d2a-1b2c-4d5e-8f90-123456789abc";

fn s(v: &str) -> FieldValue<'static> {
    FieldValue::Str(v.to_owned().into())
}

fn fields(msg: &str) -> Vec<(String, FieldValue<'_>)> {
    discover(msg)
}

fn check(msg: &str, want: &[(&str, FieldValue<'static>)]) {
    let got = fields(msg);
    let want: Vec<(String, FieldValue<'static>)> = want.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
    assert_eq!(got, want, "discover({msg:?})");
    for (name, value) in &want {
        assert_eq!(get_field(msg, name).as_ref(), Some(value), "get_field({msg:?}, {name})");
    }
}

#[test]
fn start_and_end() {
    check(&format!("START RequestId: {ID} Version: $LATEST\n"), &[("@type", s("START")), ("@requestId", s(ID))]);
    check(&format!("END RequestId: {ID}\n"), &[("@type", s("END")), ("@requestId", s(ID))]);
    let start = format!("START RequestId: {ID} Version: $LATEST");
    assert_eq!(get_field(&start, "@duration"), None);
}

#[test]
fn report_warm() {
    let msg = format!(
        "REPORT RequestId: {ID}\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n"
    );
    check(
        &msg,
        &[
            ("@type", s("REPORT")),
            ("@requestId", s(ID)),
            ("@duration", FieldValue::Num(102.25)),
            ("@billedDuration", FieldValue::Int(103)),
            ("@memorySize", FieldValue::Int(128_000_000)),
            ("@maxMemoryUsed", FieldValue::Int(70_000_000)),
        ],
    );
    assert_eq!(get_field(&msg, "@initDuration"), None);
    assert_eq!(get_field(&msg, "@xrayTraceId"), None);
}

#[test]
fn report_cold_with_xray() {
    let msg = format!(
        "REPORT RequestId: {ID}\tDuration: 1.79 ms\tBilled Duration: 2 ms\tMemory Size: 2048 MB\tMax Memory Used: 81 MB\tInit Duration: 150.11 ms\t\nXRAY TraceId: 1-61c86fa4-59b3c6d959653c527fd10966\tSegmentId: 107ea78a5750a811\tSampled: true\t\n"
    );
    check(
        &msg,
        &[
            ("@type", s("REPORT")),
            ("@requestId", s(ID)),
            ("@duration", FieldValue::Num(1.79)),
            ("@billedDuration", FieldValue::Int(2)),
            ("@memorySize", FieldValue::Int(2_048_000_000)),
            ("@maxMemoryUsed", FieldValue::Int(81_000_000)),
            ("@initDuration", FieldValue::Num(150.11)),
            ("@xrayTraceId", s("1-61c86fa4-59b3c6d959653c527fd10966")),
            ("@xraySegmentId", s("107ea78a5750a811")),
        ],
    );
}

#[test]
fn report_with_spaces_and_extra_labels() {
    // Console copies show spaces; old runtimes put a space before the tab; newer lines add
    // labels this crate does not expose.
    let msg = format!(
        "REPORT RequestId: {ID} Duration: 5.00 ms Billed Duration: 100 ms \tMemory Size: 256 MB Max Memory Used: 46 MB Restore Duration: 3.1 ms Billed Restore Duration: 4 ms Status: timeout"
    );
    check(
        &msg,
        &[
            ("@type", s("REPORT")),
            ("@requestId", s(ID)),
            ("@duration", FieldValue::Num(5.0)),
            ("@billedDuration", FieldValue::Int(100)),
            ("@memorySize", FieldValue::Int(256_000_000)),
            ("@maxMemoryUsed", FieldValue::Int(46_000_000)),
        ],
    );
}

#[test]
fn report_with_bad_numbers_skips_them() {
    let msg = format!("REPORT RequestId: {ID}\tDuration: fast ms\tMemory Size: 1e400x MB\t");
    check(&msg, &[("@type", s("REPORT")), ("@requestId", s(ID))]);
}

#[test]
fn init_lines() {
    check(
        "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc\n",
        &[("@type", s("INIT_START"))],
    );
    check(
        "INIT_REPORT Init Duration: 10001.21 ms\tPhase: init\tStatus: timeout",
        &[("@type", s("INIT_REPORT")), ("@initDuration", FieldValue::Num(10001.21))],
    );
}

#[test]
fn not_platform_lines() {
    for msg in [
        "START the engine",
        "STARTRequestId: x",
        "start RequestId: x",
        " START RequestId: x",
        "ENDING RequestId: x",
        "REPORTING RequestId: x",
        "REPORT: all good",
        "INIT_STARTED x",
        "Some other line",
        "",
    ] {
        assert_eq!(get_field(msg, "@type"), None, "{msg:?}");
        assert!(discover(msg).is_empty(), "{msg:?}");
    }
}

#[test]
fn application_lines_with_embedded_json() {
    let msg = format!("2024-01-01T00:00:00.000Z\t{ID}\tINFO\t{{\"order\":{{\"id\":17}},\"ok\":true}}\n");
    check(&msg, &[("order.id", FieldValue::Int(17)), ("ok", FieldValue::Bool(true))]);
    assert_eq!(get_field(&msg, "@requestId"), None);
}

#[test]
fn json_platform_report() {
    let msg = format!(
        r#"{{"time":"2024-01-01T00:00:00.000Z","type":"platform.report","record":{{"requestId":"{ID}","metrics":{{"durationMs":2.11,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":148.63}},"tracing":{{"spanId":"54565fb41ac79632","type":"X-Amzn-Trace-Id","value":"Root=1-65428ef2-1a2b3c4d5e6f7a8b9c0d1e2f;Parent=54565fb41ac79632;Sampled=1"}},"status":"success"}}}}"#
    );
    check(
        &msg,
        &[
            ("@type", s("REPORT")),
            ("@requestId", s(ID)),
            ("@duration", FieldValue::Num(2.11)),
            ("@billedDuration", FieldValue::Int(3)),
            ("@memorySize", FieldValue::Int(128_000_000)),
            ("@maxMemoryUsed", FieldValue::Int(68_000_000)),
            ("@initDuration", FieldValue::Num(148.63)),
            ("@xrayTraceId", s("1-65428ef2-1a2b3c4d5e6f7a8b9c0d1e2f")),
            ("@xraySegmentId", s("54565fb41ac79632")),
            ("time", s("2024-01-01T00:00:00.000Z")),
            ("type", s("platform.report")),
            ("record.requestId", s(ID)),
            ("record.metrics.durationMs", FieldValue::Num(2.11)),
            ("record.metrics.billedDurationMs", FieldValue::Int(3)),
            ("record.metrics.memorySizeMB", FieldValue::Int(128)),
            ("record.metrics.maxMemoryUsedMB", FieldValue::Int(68)),
            ("record.metrics.initDurationMs", FieldValue::Num(148.63)),
            ("record.tracing.spanId", s("54565fb41ac79632")),
            ("record.tracing.type", s("X-Amzn-Trace-Id")),
            ("record.tracing.value", s("Root=1-65428ef2-1a2b3c4d5e6f7a8b9c0d1e2f;Parent=54565fb41ac79632;Sampled=1")),
            ("record.status", s("success")),
        ],
    );
}

#[test]
fn json_platform_start_and_runtime_done() {
    let start =
        format!(r#"{{"time":"t","type":"platform.start","record":{{"requestId":"{ID}","version":"$LATEST"}}}}"#);
    check(
        &start,
        &[
            ("@type", s("START")),
            ("@requestId", s(ID)),
            ("time", s("t")),
            ("type", s("platform.start")),
            ("record.requestId", s(ID)),
            ("record.version", s("$LATEST")),
        ],
    );
    let done = format!(
        r#"{{"time":"t","type":"platform.runtimeDone","record":{{"requestId":"{ID}","status":"success","metrics":{{"durationMs":1.5}}}}}}"#
    );
    assert_eq!(get_field(&done, "@type"), Some(s("END")));
    assert_eq!(get_field(&done, "@requestId"), Some(s(ID)));
    assert_eq!(get_field(&done, "@duration"), None);
    let init = r#"{"type":"platform.initReport","record":{"metrics":{"durationMs":250.5}}}"#;
    assert_eq!(get_field(init, "@type"), Some(s("INIT_REPORT")));
    assert_eq!(get_field(init, "@initDuration"), Some(FieldValue::Num(250.5)));
}

#[test]
fn json_non_platform_events_have_no_at_fields() {
    for msg in [
        r#"{"type":"function","record":"hello"}"#,
        r#"{"type":"platform.unknown","record":{"requestId":"x"}}"#,
        r#"{"type":7,"record":{"requestId":"x"}}"#,
        r#"{"level":"INFO","requestId":"x"}"#,
        // Embedded after a prefix: not a Lambda JSON-format line.
        r#"prefix {"type":"platform.start","record":{"requestId":"x"}}"#,
    ] {
        assert_eq!(get_field(msg, "@type"), None, "{msg}");
        assert_eq!(get_field(msg, "@requestId"), None, "{msg}");
        assert!(discover(msg).iter().all(|(n, _)| !n.starts_with('@')), "{msg}");
    }
}
