"""CreateLogStream / DeleteLogStream / DescribeLogStreams with boto3.

Sources: spec §1.3 (CreateLogStream, DeleteLogStream, DescribeLogStreams), aws-observed.md."""

from __future__ import annotations

import pytest

from larch_e2e import DEFAULT_ACCOUNT, MINUTE_MS, client_error, group_arn, now_ms, put_events, wait_until

NOT_FOUND_GROUP = "The specified log group does not exist."
NOT_FOUND_STREAM = "The specified log stream does not exist."


def streams(logs, group, **kw) -> list[dict]:
    return logs.describe_log_streams(logGroupName=group, **kw)["logStreams"]


def stream_names(logs, group, **kw) -> list[str]:
    return [s["logStreamName"] for s in streams(logs, group, **kw)]


# --------------------------------------------------------------------------- CreateLogStream
@pytest.mark.parametrize(
    "name",
    [
        "2026/11/25/[$LATEST]ab12cd34",
        "plain",
        "with/slashes/and.dots_and-dashes",
        "ünïcödé-ストリーム-🚀",
        "spaces are fine",
        "#hash@at=eq+plus,comma",
    ],
    ids=["lambda", "plain", "slashes", "unicode", "spaces", "symbols"],
)
def test_create_log_stream_names(logs, log_group, name):
    before = now_ms()
    logs.create_log_stream(logGroupName=log_group, logStreamName=name)
    after = now_ms()
    (s,) = streams(logs, log_group)
    assert s["logStreamName"] == name
    assert s["arn"] == f"{group_arn(DEFAULT_ACCOUNT, log_group)}:log-stream:{name}"
    assert before - 1000 <= s["creationTime"] <= after + 1000
    # Observed: a new stream has only these members (no event times until it has events).
    assert set(s) == {"arn", "creationTime", "logStreamName", "storedBytes"}
    assert s["storedBytes"] == 0
    # The stream is usable: write and read one event.
    ts = now_ms()
    put_events(logs, log_group, name, [(ts, "hello")])
    ev = logs.get_log_events(logGroupName=log_group, logStreamName=name, startFromHead=True)["events"]
    assert [(e["timestamp"], e["message"]) for e in ev] == [(ts, "hello")]


@pytest.mark.parametrize("name", ["a:b", "star*", "*", ":"], ids=["colon", "star", "only-star", "only-colon"])
def test_create_log_stream_rejects_colon_and_star(logs, log_group, name):
    code, msg, status = client_error(logs.create_log_stream, logGroupName=log_group, logStreamName=name)
    assert code == "InvalidParameterException"
    assert status == 400
    assert "logStreamName" in msg
    assert stream_names(logs, log_group) == []


def test_create_log_stream_too_long(logs, log_group):
    code, msg, _ = client_error(logs.create_log_stream, logGroupName=log_group, logStreamName="s" * 513)
    assert code == "InvalidParameterException"
    assert msg == "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
    logs.create_log_stream(logGroupName=log_group, logStreamName="s" * 512)
    assert stream_names(logs, log_group) == ["s" * 512]


def test_create_log_stream_duplicate(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="dup")
    code, msg, status = client_error(logs.create_log_stream, logGroupName=log_group, logStreamName="dup")
    assert (code, msg, status) == ("ResourceAlreadyExistsException", "The specified log stream already exists", 400)


def test_create_log_stream_missing_group(logs, group_name):
    code, msg, _ = client_error(logs.create_log_stream, logGroupName=group_name, logStreamName="s")
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND_GROUP)


def test_same_stream_name_in_two_groups(logs, log_group, unique):
    other = f"/e2e/other/{unique}"
    logs.create_log_group(logGroupName=other)
    logs.create_log_stream(logGroupName=log_group, logStreamName="same")
    logs.create_log_stream(logGroupName=other, logStreamName="same")
    put_events(logs, log_group, "same", [(now_ms(), "in first")])
    ev = logs.get_log_events(logGroupName=other, logStreamName="same")["events"]
    assert ev == []


# --------------------------------------------------------------------------- DeleteLogStream
def test_delete_log_stream(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="gone")
    logs.create_log_stream(logGroupName=log_group, logStreamName="kept")
    put_events(logs, log_group, "gone", [(now_ms(), "old data")])
    logs.delete_log_stream(logGroupName=log_group, logStreamName="gone")
    assert stream_names(logs, log_group) == ["kept"]

    code, msg, _ = client_error(logs.delete_log_stream, logGroupName=log_group, logStreamName="gone")
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND_STREAM)
    code, msg, _ = client_error(logs.get_log_events, logGroupName=log_group, logStreamName="gone")
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND_STREAM)

    # Re-created stream starts empty.
    logs.create_log_stream(logGroupName=log_group, logStreamName="gone")
    assert logs.get_log_events(logGroupName=log_group, logStreamName="gone", startFromHead=True)["events"] == []
    assert "firstEventTimestamp" not in streams(logs, log_group, logStreamNamePrefix="gone")[0]


def test_delete_log_stream_missing_group(logs, group_name):
    code, msg, _ = client_error(logs.delete_log_stream, logGroupName=group_name, logStreamName="s")
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND_GROUP)


# --------------------------------------------------------------------------- DescribeLogStreams
@pytest.fixture
def five_streams(logs, log_group):
    names = ["b-stream", "a-stream", "C-upper", "2026/11/25/[$LATEST]x", "a-other"]
    for n in names:
        logs.create_log_stream(logGroupName=log_group, logStreamName=n)
    return log_group, sorted(names)


def test_describe_log_streams_default_order(logs, five_streams):
    group, expected = five_streams
    assert stream_names(logs, group) == expected  # ASCII: '2' < 'C' < 'a' < 'b'
    assert stream_names(logs, group, orderBy="LogStreamName") == expected
    assert stream_names(logs, group, descending=True) == expected[::-1]


def test_describe_log_streams_prefix(logs, five_streams):
    group, _ = five_streams
    assert stream_names(logs, group, logStreamNamePrefix="a-") == ["a-other", "a-stream"]
    assert stream_names(logs, group, logStreamNamePrefix="2026/11/25/[$LATEST]") == ["2026/11/25/[$LATEST]x"]
    assert stream_names(logs, group, logStreamNamePrefix="A-") == []  # case-sensitive
    assert stream_names(logs, group, logStreamNamePrefix="nothing") == []


def test_describe_log_streams_pagination(logs, five_streams):
    group, expected = five_streams
    seen, token, calls = [], None, 0
    while True:
        kw = {"limit": 2}
        if token:
            kw["nextToken"] = token
        page = logs.describe_log_streams(logGroupName=group, **kw)
        calls += 1
        assert len(page["logStreams"]) <= 2
        seen += [s["logStreamName"] for s in page["logStreams"]]
        token = page.get("nextToken")
        if not token:
            break
        assert calls < 10
    assert seen == expected

    pages = list(
        logs.get_paginator("describe_log_streams").paginate(logGroupName=group, PaginationConfig={"PageSize": 1})
    )
    assert [s["logStreamName"] for p in pages for s in p["logStreams"]] == expected


def test_describe_log_streams_event_times(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="s")
    (s,) = streams(logs, log_group)
    for k in ("firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime"):
        assert k not in s, f"{k} must be absent before the first event"

    t0 = now_ms() - 10 * MINUTE_MS
    before = now_ms()
    put_events(logs, log_group, "s", [(t0, "first"), (t0 + 1000, "middle")])
    put_events(logs, log_group, "s", [(t0 + 5000, "last")])
    after = now_ms()

    def updated():
        (st,) = streams(logs, log_group)
        return st if st.get("lastEventTimestamp") == t0 + 5000 else None

    st = wait_until(updated, timeout=5)
    assert st, f"lastEventTimestamp not updated: {streams(logs, log_group)}"
    assert st["firstEventTimestamp"] == t0
    assert st["lastEventTimestamp"] == t0 + 5000
    assert before - 1000 <= st["lastIngestionTime"] <= after + 1000
    assert st["storedBytes"] == 0  # deprecated member, always 0


def test_describe_log_streams_order_by_last_event_time(logs, log_group):
    base = now_ms() - 30 * MINUTE_MS
    # Name order differs from event-time order on purpose.
    for name, offset in [("a", 3000), ("b", 1000), ("c", 2000)]:
        logs.create_log_stream(logGroupName=log_group, logStreamName=name)
        put_events(logs, log_group, name, [(base + offset, f"event of {name}")])

    def ordered():
        got = stream_names(logs, log_group, orderBy="LastEventTime")
        return got if got == ["b", "c", "a"] else None

    assert wait_until(ordered), stream_names(logs, log_group, orderBy="LastEventTime")
    assert stream_names(logs, log_group, orderBy="LastEventTime", descending=True) == ["a", "c", "b"]


def test_describe_log_streams_last_event_time_with_prefix_rejected(logs, five_streams):
    group, _ = five_streams
    code, msg, status = client_error(
        logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a"
    )
    assert code == "InvalidParameterException"
    assert msg == "Cannot order by LastEventTime with a logStreamNamePrefix."
    assert status == 400


def test_describe_log_streams_by_identifier(logs, five_streams):
    group, expected = five_streams
    by_arn = logs.describe_log_streams(logGroupIdentifier=group_arn(DEFAULT_ACCOUNT, group))["logStreams"]
    assert [s["logStreamName"] for s in by_arn] == expected
    by_name = logs.describe_log_streams(logGroupIdentifier=group)["logStreams"]
    assert [s["logStreamName"] for s in by_name] == expected


def test_describe_log_streams_name_and_identifier_exclusive(logs, five_streams):
    group, _ = five_streams
    code, msg, status = client_error(
        logs.describe_log_streams, logGroupName=group, logGroupIdentifier=group_arn(DEFAULT_ACCOUNT, group)
    )
    # Observed on AWS: ValidationException (not InvalidParameterException) with this text.
    assert code == "ValidationException"
    assert msg == "LogGroup name and LogGroup ARN are mutually exclusive parameters."
    assert status == 400


def test_describe_log_streams_neither_name_nor_identifier(logs):
    code, _, status = client_error(logs.describe_log_streams)
    # AWS's exact code for this case is not recorded; either validation error is acceptable.
    assert code in ("InvalidParameterException", "ValidationException")
    assert status == 400


def test_describe_log_streams_missing_group(logs, group_name):
    code, msg, _ = client_error(logs.describe_log_streams, logGroupName=group_name)
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND_GROUP)


def test_describe_log_streams_invalid_order_by(logs_novalidate, five_streams):
    group, _ = five_streams
    code, msg, _ = client_error(logs_novalidate.describe_log_streams, logGroupName=group, orderBy="Size")
    assert code == "InvalidParameterException"
    assert "orderBy" in msg
