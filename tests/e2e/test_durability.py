"""Persistence across restarts: graceful (SIGTERM) and crash (kill -9) during heavy ingestion.

Contract: acknowledged data is durable — every event of a PutLogEvents call that got HTTP 200 is
present exactly once after a crash; events of calls that failed may or may not be present."""

from __future__ import annotations

import collections
import signal
import threading
import time

from larch_e2e import DEFAULT_ACCOUNT, MINUTE_MS, filter_all, group_arn, now_ms, put_events, wait_until


def _snapshot(logs, group):
    (g,) = [x for x in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] if x["logGroupName"] == group]
    g.pop("storedBytes", None)  # AWS updates it lazily; not part of the comparison
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    events = {
        s["logStreamName"]: logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"], startFromHead=True)[
            "events"
        ]
        for s in streams
    }
    return {
        "group": g,
        "streams": streams,
        "tags": logs.list_tags_for_resource(resourceArn=group_arn(DEFAULT_ACCOUNT, group))["tags"],
        "events": events,
        "filtered": filter_all(logs, logGroupName=group),
        "metric_filters": logs.describe_metric_filters(logGroupName=group)["metricFilters"],
    }


def test_restart_sigterm_keeps_everything(server, logs, group_name):
    logs.create_log_group(
        logGroupName=group_name,
        tags={"team": "orders", "env": "prod"},
        kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/abcd",
    )
    logs.put_retention_policy(logGroupName=group_name, retentionInDays=30)
    logs.put_metric_filter(
        logGroupName=group_name,
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "E2E", "metricValue": "1"}],
    )
    t0 = now_ms() - 10 * MINUTE_MS
    for i, name in enumerate(["2026/11/25/[$LATEST]ab12", "other/stream", "empty"]):
        logs.create_log_stream(logGroupName=group_name, logStreamName=name)
        if name != "empty":
            put_events(logs, group_name, name, [(t0 + i * 100 + j, f"{name} message {j} ERROR") for j in range(5)])
    extra = server.create_keys("333333333333")
    logs3 = server.logs_client(extra)
    logs3.create_log_group(logGroupName=group_name)

    def ready():
        s = _snapshot(logs, group_name)
        return s if all("lastEventTimestamp" in x for x in s["streams"] if x["logStreamName"] != "empty") else None

    before = wait_until(ready)
    assert before, "stream metadata never appeared"

    rc = server.restart(kill9=False)
    assert rc == 0, f"graceful shutdown should exit 0, got {rc}"

    after = _snapshot(logs, group_name)
    assert after["group"] == before["group"]
    assert after["streams"] == before["streams"]  # incl. creationTime, first/lastEventTimestamp, lastIngestionTime
    assert after["tags"] == before["tags"] == {"team": "orders", "env": "prod"}
    assert after["events"] == before["events"]  # incl. ingestionTime
    assert after["filtered"] == before["filtered"]  # incl. eventIds (stable across restarts)
    assert after["metric_filters"] == before["metric_filters"]
    assert after["group"]["retentionInDays"] == 30

    # Keys made with `larch keys create` survive, and so does that account's data.
    assert [g["logGroupName"] for g in logs3.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]] == [
        group_name
    ]
    # The server keeps working normally after the restart.
    put_events(logs, group_name, "empty", [(now_ms(), "after restart")])
    ev = logs.get_log_events(logGroupName=group_name, logStreamName="empty", startFromHead=True)["events"]
    assert [e["message"] for e in ev] == ["after restart"]


def test_kill9_during_ingestion_keeps_acknowledged_events(server, logs, group_name):
    n_threads, batch = 4, 25
    logs.create_log_group(logGroupName=group_name)
    streams = [f"writer-{i}" for i in range(n_threads)]
    for s in streams:
        logs.create_log_stream(logGroupName=group_name, logStreamName=s)

    base = now_ms() - 5 * MINUTE_MS
    acked: list[tuple[str, int, str]] = []
    attempted: set[tuple[str, int, str]] = set()
    unexpected: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()
    stop = threading.Event()

    def writer(stream: str):
        client = server.logs_client()
        seq = 0
        n = 0
        while not stop.is_set():
            evs = []
            for _ in range(batch):
                evs.append((stream, base + seq, f"{stream} event {seq} " + "p" * (seq % 50)))
                seq += 1
            with lock:
                attempted.update(evs)
            try:
                resp = client.put_log_events(
                    logGroupName=group_name,
                    logStreamName=stream,
                    logEvents=[{"timestamp": ts, "message": m} for _, ts, m in evs],
                )
            except Exception as e:  # noqa: BLE001 - connection errors are expected after the kill
                if not killed.is_set():
                    with lock:
                        unexpected.append(f"{stream}: {e!r}")
                return
            if resp["ResponseMetadata"]["HTTPStatusCode"] == 200 and "rejectedLogEventsInfo" not in resp:
                with lock:
                    acked.extend(evs)
            elif not killed.is_set():
                with lock:
                    unexpected.append(f"{stream}: unexpected answer {resp}")
                return
            n += 1

    threads = [threading.Thread(target=writer, args=(s,), daemon=True) for s in streams]
    for t in threads:
        t.start()
    time.sleep(3.0)  # heavy ingestion from several threads...
    killed.set()
    server.proc.send_signal(signal.SIGKILL)  # ...then crash in the middle of it
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert not any(t.is_alive() for t in threads), "writer threads hung after the kill"
    assert not unexpected, f"errors before the crash: {unexpected[:5]}"
    with lock:
        acked_snapshot = list(acked)
    assert len(acked_snapshot) >= 100, f"too little ingestion before the crash ({len(acked_snapshot)} events)"

    server.stop(kill9=True)  # reap the killed process
    server.start()

    stored = collections.Counter(
        (e["logStreamName"], e["timestamp"], e["message"]) for e in filter_all(logs, logGroupName=group_name)
    )
    missing = [e for e in acked_snapshot if stored[e] < 1]
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:3]}"
    dupes = [(e, c) for e, c in stored.items() if c > 1]
    assert not dupes, f"duplicated events after crash recovery: {dupes[:3]}"
    unknown = [e for e in stored if e not in attempted]
    assert not unknown, f"events that were never sent: {unknown[:3]}"

    # Stream metadata is consistent with the recovered events.
    last_acked = collections.defaultdict(int)
    for s, ts, _ in acked_snapshot:
        last_acked[s] = max(last_acked[s], ts)
    for st in logs.describe_log_streams(logGroupName=group_name)["logStreams"]:
        name = st["logStreamName"]
        if name in last_acked:
            assert st["firstEventTimestamp"] == base
            assert st["lastEventTimestamp"] >= last_acked[name]

    # And the server accepts writes again.
    put_events(logs, group_name, streams[0], [(now_ms(), "after crash")])
