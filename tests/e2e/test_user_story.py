"""The larch user story, end to end with boto3 — including the Logs Insights query.

Insights lands later than the rest of the server; these tests are expected to fail until then
(nothing here is skipped).

Sources: spec §1.3 (StartQuery, GetQueryResults), §2.4 (Lambda REPORT fields: @duration in ms,
@maxMemoryUsed/@memorySize in bytes = MB × 1000 × 1000), §2.5.3 (bin), §2.6 (result format),
Appendix A #1/#6, aws-observed.md (StartQuery on a missing group)."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timezone

import pytest

from larch_e2e import MINUTE_MS, client_error, filter_all, floor_to, now_ms, wait_query

GROUP = "/aws/lambda/orders"
STREAM = "2026/11/25/[$LATEST]ab12"
FIVE_MIN = 5 * MINUTE_MS
QUERY = "filter @type = 'REPORT' | stats avg(@duration), max(@maxMemoryUsed) by bin(5m)"

# (duration ms, max memory used MB) per invocation, per 5-minute bin.  Averages are exact decimals.
BINS = [
    [(102.25, 70, 150.11), (200.5, 75, None)],
    [(10.0, 64, None)],
    [(1.5, 80, None), (2.5, 90, None), (3.5, 85, None)],
]


def report_line(duration: float, max_mem: int, init: float | None) -> str:
    line = (
        f"REPORT RequestId: {uuid.uuid4()}\tDuration: {duration:.2f} ms\tBilled Duration: {math.ceil(duration)} ms"
        f"\tMemory Size: 128 MB\tMax Memory Used: {max_mem} MB"
    )
    if init is not None:
        line += f"\tInit Duration: {init:.2f} ms"
    return line + "\t"


def render(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def as_dict(row: list[dict]) -> dict[str, str]:
    d = {}
    for cell in row:
        assert isinstance(cell["value"], str), f"result values are strings: {cell}"
        d[cell["field"]] = cell["value"]
    return d


@pytest.fixture(scope="module")
def orders(server):
    """The story's log group with three 5-minute bins of Lambda output (START / app lines / END / REPORT)."""
    logs = server.logs_client()
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    base = floor_to(now_ms() - 45 * MINUTE_MS, FIVE_MIN)
    events = []
    for b, invocations in enumerate(BINS):
        t = base + b * FIVE_MIN + 10_000
        for duration, mem, init in invocations:
            rid = uuid.uuid4()
            events += [
                (t, f"START RequestId: {rid} Version: $LATEST"),
                (t + 1, f"2026-11-25T10:00:00.000Z\t{rid}\tINFO\tprocessing order REPORT-like text"),
                (t + 2, f"END RequestId: {rid}"),
                (t + 3, report_line(duration, mem, init)),
            ]
            t += 1000
    resp = logs.put_log_events(
        logGroupName=GROUP, logStreamName=STREAM, logEvents=[{"timestamp": ts, "message": m} for ts, m in events]
    )
    assert "rejectedLogEventsInfo" not in resp
    return logs, base, events


def test_story_put_and_read_back(orders):
    logs, _, events = orders
    got = logs.get_log_events(logGroupName=GROUP, logStreamName=STREAM, startFromHead=True)["events"]
    assert [(e["timestamp"], e["message"]) for e in got] == events
    reports = filter_all(logs, logGroupName=GROUP, filterPattern='"REPORT RequestId"')
    assert len(reports) == sum(len(b) for b in BINS)


def test_story_insights_stats_by_bin(orders):
    logs, base, events = orders
    start_s = base // 1000 - 60
    end_s = now_ms() // 1000 + 60
    q = logs.start_query(logGroupName=GROUP, startTime=start_s, endTime=end_s, queryString=QUERY)
    uuid.UUID(q["queryId"])  # a UUID
    res = wait_query(logs, q["queryId"])

    rows = [as_dict(r) for r in res["results"]]
    assert len(rows) == len(BINS), rows
    by_bin = {r["bin(5m)"]: r for r in rows}
    for b, invocations in enumerate(BINS):
        key = render(base + b * FIVE_MIN)
        assert key.endswith(":00.000") and key[15] in "05"  # floored to 5 minutes
        assert key in by_bin, f"missing bin {key}; got {sorted(by_bin)}"
        row = by_bin[key]
        assert set(row) == {"bin(5m)", "avg(@duration)", "max(@maxMemoryUsed)"}, row
        exp_avg = sum(d for d, _, _ in invocations) / len(invocations)
        exp_max = max(m for _, m, _ in invocations) * 1000 * 1000  # bytes
        assert math.isclose(float(row["avg(@duration)"]), exp_avg, rel_tol=1e-9), row
        assert math.isclose(float(row["max(@maxMemoryUsed)"]), exp_max, rel_tol=1e-9), row

    stats = res["statistics"]
    n_reports = sum(len(b) for b in BINS)
    # recordsScanned = events in the time range; recordsMatched = events that passed the filter (spec §2.6).
    assert stats["recordsScanned"] == len(events)
    assert stats["recordsMatched"] == n_reports
    assert stats["bytesScanned"] > 0


def test_story_insights_other_lambda_fields(orders):
    logs, base, events = orders
    q = logs.start_query(
        logGroupName=GROUP,
        startTime=base // 1000 - 60,
        endTime=now_ms() // 1000 + 60,
        queryString="filter @type = 'REPORT' | stats count(*) as n, sum(@billedDuration) as billed, "
        "max(@memorySize / 1000 / 1000) as provisionedMB, max(@initDuration) as init",
    )
    res = wait_query(logs, q["queryId"])
    (row,) = [as_dict(r) for r in res["results"]]
    all_inv = [inv for b in BINS for inv in b]
    assert float(row["n"]) == len(all_inv)
    assert float(row["billed"]) == sum(math.ceil(d) for d, _, _ in all_inv)
    assert float(row["provisionedMB"]) == 128
    assert math.isclose(float(row["init"]), 150.11, rel_tol=1e-9)


def test_story_insights_raw_rows(orders):
    logs, base, events = orders
    q = logs.start_query(
        logGroupName=GROUP,
        startTime=base // 1000 - 60,
        endTime=now_ms() // 1000 + 60,
        queryString="fields @timestamp, @message | filter @message like 'START' | sort @timestamp desc | limit 2",
    )
    res = wait_query(logs, q["queryId"])
    rows = [as_dict(r) for r in res["results"]]
    starts = [(ts, m) for ts, m in events if "START" in m]
    expected = sorted(starts, reverse=True)[:2]
    assert [r["@message"] for r in rows] == [m for _, m in expected]
    assert [r["@timestamp"] for r in rows] == [render(ts) for ts, _ in expected]
    assert all(r.get("@ptr") for r in rows), "non-aggregated rows carry @ptr"


def test_story_start_query_missing_group(logs, server):
    missing = "/aws/lambda/does-not-exist-" + uuid.uuid4().hex[:6]
    code, msg, _ = client_error(
        logs.start_query,
        logGroupName=missing,
        startTime=now_ms() // 1000 - 3600,
        endTime=now_ms() // 1000,
        queryString="fields @message",
    )
    assert code == "ResourceNotFoundException"
    # Java-style message recorded from AWS (the request id part varies).
    assert msg.startswith(f"Log group '{missing}' does not exist for account ID '{server.account}'"), msg


def test_story_malformed_query(orders):
    logs, base, _ = orders
    code, _, status = client_error(
        logs.start_query,
        logGroupName=GROUP,
        startTime=base // 1000,
        endTime=now_ms() // 1000,
        queryString="stats avg(@duration) by by by",
    )
    assert code == "MalformedQueryException"
    assert status == 400
