"""PutLogEvents / GetLogEvents / FilterLogEvents with boto3 and the AWS CLI.

Sources: spec §1.3 (PutLogEvents, GetLogEvents, FilterLogEvents), §1.4 (PutLogEvents validation order),
§1.5 (pagination contract), §3 (filter patterns), §4.1, Appendix A #2/#3/#7, aws-observed.md."""

from __future__ import annotations

import importlib.util
import json

import pytest

from larch_e2e import (
    DAY_MS,
    DEFAULT_ACCOUNT,
    HOUR_MS,
    MINUTE_MS,
    client_error,
    filter_all,
    group_arn,
    now_ms,
    put_events,
)

NOT_FOUND_STREAM = "The specified log stream does not exist."
CHRONO = "Log events in a single PutLogEvents request must be in chronological order."
SPAN = "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
BAD_TOKEN = "The specified nextToken is invalid."
LIMIT_10001 = (
    "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
    "Member must have value less than or equal to 10000"
)
MAX_BATCH = 1_048_576
OVERHEAD = 26


@pytest.fixture
def stream(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="2026/11/25/[$LATEST]ab12")
    return log_group, "2026/11/25/[$LATEST]ab12"


def read_all(logs, group, stream_name, **kw):
    """All events of a stream via GetLogEvents, paging forward until the same token comes back
    (a page is capped at 1 MB, so one call is not always enough)."""
    resp = logs.get_log_events(logGroupName=group, logStreamName=stream_name, startFromHead=True, **kw)
    events = list(resp["events"])
    token = resp["nextForwardToken"]
    for _ in range(1000):
        resp = logs.get_log_events(logGroupName=group, logStreamName=stream_name, nextToken=token, **kw)
        events += resp["events"]
        if resp["nextForwardToken"] == token:
            return events
        token = resp["nextForwardToken"]
    raise AssertionError("GetLogEvents forward paging did not terminate")


def pairs(events):
    return [(e["timestamp"], e["message"]) for e in events]


# =========================================================================== PutLogEvents
def test_put_log_events_user_story(logs, stream):
    group, s = stream
    t = now_ms()
    before = now_ms()
    resp = put_events(logs, group, s, [(t, "START RequestId: 1"), (t + 1, "hello world"), (t + 1, "same ts ok")])
    after = now_ms()
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert isinstance(resp.get("nextSequenceToken"), str) and resp["nextSequenceToken"]
    assert "rejectedLogEventsInfo" not in resp
    events = read_all(logs, group, s)
    assert pairs(events) == [(t, "START RequestId: 1"), (t + 1, "hello world"), (t + 1, "same ts ok")]
    for e in events:
        assert set(e) == {"timestamp", "message", "ingestionTime"}
        assert before - 1000 <= e["ingestionTime"] <= after + 1000


def test_put_log_events_any_sequence_token_accepted(logs, stream):
    group, s = stream
    t = now_ms()
    r1 = put_events(logs, group, s, [(t, "a")], sequenceToken="49590302446734286549376209553186155307412839120938472802")
    r2 = put_events(logs, group, s, [(t + 1, "b")], sequenceToken="bogus-token")
    r3 = put_events(logs, group, s, [(t + 2, "c")], sequenceToken=r1["nextSequenceToken"])  # stale token
    for r in (r1, r2, r3):
        assert r["nextSequenceToken"]
    assert [m for _, m in pairs(read_all(logs, group, s))] == ["a", "b", "c"]


def test_put_log_events_message_preserved_exactly(logs, stream):
    group, s = stream
    t = now_ms()
    msgs = [
        "REPORT RequestId: 8f5c\tDuration: 102.25 ms\tBilled Duration: 103 ms",
        "multi\nline\r\nmessage",
        '{"json": true, "nested": {"a": [1, 2]}}',
        "ünïcödé ストリーム 🚀",
        "  leading and trailing spaces  ",
        "\\backslash\\ \"quotes\"",
    ]
    put_events(logs, group, s, [(t + i, m) for i, m in enumerate(msgs)])
    assert [m for _, m in pairs(read_all(logs, group, s))] == msgs


def test_put_log_events_missing_stream(logs, log_group):
    code, msg, status = client_error(put_events, logs, log_group, "nope", [(now_ms(), "x")])
    assert (code, msg, status) == ("ResourceNotFoundException", NOT_FOUND_STREAM, 400)
    # Streams are never auto-created.
    assert logs.describe_log_streams(logGroupName=log_group)["logStreams"] == []


def test_put_log_events_missing_group(logs, group_name):
    code, _, _ = client_error(put_events, logs, group_name, "s", [(now_ms(), "x")])
    assert code == "ResourceNotFoundException"


def test_put_log_events_out_of_order(logs, stream):
    group, s = stream
    t = now_ms()
    code, msg, status = client_error(put_events, logs, group, s, [(t, "a"), (t + 2, "b"), (t + 1, "c")])
    assert (code, msg, status) == ("InvalidParameterException", CHRONO, 400)
    assert read_all(logs, group, s) == []  # nothing of the failed batch is stored


def test_put_log_events_span_more_than_24h(logs, stream):
    group, s = stream
    end = now_ms() - HOUR_MS
    code, msg, _ = client_error(put_events, logs, group, s, [(end - DAY_MS - 1, "a"), (end, "b")])
    assert (code, msg) == ("InvalidParameterException", SPAN)
    assert read_all(logs, group, s) == []


def test_put_log_events_span_just_under_24h_ok(logs, stream):
    group, s = stream
    end = now_ms() - HOUR_MS
    put_events(logs, group, s, [(end - DAY_MS + 1000, "a"), (end, "b")])
    assert [m for _, m in pairs(read_all(logs, group, s))] == ["a", "b"]


def test_put_log_events_too_old(logs, stream):
    group, s = stream
    now = now_ms()
    old = now - 14 * DAY_MS - 2 * HOUR_MS  # older than 14 days
    ok = now - 14 * DAY_MS + 2 * HOUR_MS  # within 14 days; the whole batch spans only 4 h
    resp = put_events(logs, group, s, [(old, "too old 0"), (old + 1, "too old 1"), (ok, "accepted")])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    assert resp["nextSequenceToken"]
    assert pairs(read_all(logs, group, s)) == [(ok, "accepted")]


def test_put_log_events_too_new(logs, stream):
    group, s = stream
    now = now_ms()
    resp = put_events(
        logs, group, s, [(now - HOUR_MS, "accepted"), (now + 3 * HOUR_MS, "new 1"), (now + 3 * HOUR_MS + 1, "new 2")]
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert resp["nextSequenceToken"]
    assert pairs(read_all(logs, group, s)) == [(now - HOUR_MS, "accepted")]


def test_put_log_events_all_rejected_still_200(logs, stream):
    group, s = stream
    now = now_ms()
    resp = put_events(logs, group, s, [(now + 3 * HOUR_MS, "new")])
    assert resp["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 0}
    assert read_all(logs, group, s) == []


def test_put_log_events_expired_by_retention(logs, stream):
    group, s = stream
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    now = now_ms()
    old = now - 25 * HOUR_MS  # older than 1 day retention, newer than 14 days
    recent = now - 2 * HOUR_MS
    resp = put_events(logs, group, s, [(old, "expired 0"), (old + 1, "expired 1"), (recent, "kept")])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 2}
    assert pairs(read_all(logs, group, s)) == [(recent, "kept")]


def test_put_log_events_10000_events_ok_10001_rejected(logs, stream):
    group, s = stream
    t = now_ms() - MINUTE_MS
    resp = put_events(logs, group, s, [(t, f"e{i:05d}") for i in range(10_000)])
    assert "rejectedLogEventsInfo" not in resp
    got = filter_all(logs, logGroupName=group)
    assert len(got) == 10_000
    code, _, status = client_error(put_events, logs, group, s, [(t + 1, f"f{i:05d}") for i in range(10_001)])
    assert code == "InvalidParameterException"
    assert status == 400
    assert len(filter_all(logs, logGroupName=group)) == 10_000


def _batch(total_bytes: int, n: int, ch: str = "x") -> list[str]:
    """n messages whose UTF-8 sizes + 26 bytes each add up to exactly total_bytes."""
    per = total_bytes // n - OVERHEAD
    sizes = [per] * n
    sizes[-1] += total_bytes - n * (per + OVERHEAD)
    width = len(ch.encode())
    assert all(sz % width == 0 for sz in sizes)
    msgs = [ch * (sz // width) for sz in sizes]
    assert sum(len(m.encode()) + OVERHEAD for m in msgs) == total_bytes
    return msgs


def test_put_log_events_batch_exactly_at_limit(logs, stream):
    group, s = stream
    t = now_ms()
    msgs = _batch(MAX_BATCH, 8)
    resp = put_events(logs, group, s, [(t, m) for m in msgs])
    assert "rejectedLogEventsInfo" not in resp
    got = read_all(logs, group, s)
    assert [len(e["message"]) for e in got] == [len(m) for m in msgs]


def test_put_log_events_batch_one_byte_over_limit(logs, stream):
    group, s = stream
    msgs = _batch(MAX_BATCH, 8)
    msgs[-1] += "x"
    t = now_ms()
    code, _, status = client_error(put_events, logs, group, s, [(t, m) for m in msgs])
    assert code == "InvalidParameterException"
    assert status == 400
    assert read_all(logs, group, s) == []


def test_put_log_events_batch_size_counts_utf8_bytes(logs, stream):
    group, s = stream
    t = now_ms()
    # 2-byte characters: exactly at the limit in UTF-8 bytes (half that in characters) is accepted...
    msgs = _batch(MAX_BATCH, 8, ch="é")
    put_events(logs, group, s, [(t, m) for m in msgs])
    assert len(read_all(logs, group, s)) == 8
    # ...and one more 2-byte character is over the limit, although the character count is far below it.
    msgs[-1] += "é"
    code, _, _ = client_error(put_events, logs, group, s, [(t + 1, m) for m in msgs])
    assert code == "InvalidParameterException"


def test_put_log_events_empty_message_rejected(logs_novalidate, stream):
    group, s = stream
    t = now_ms()
    code, _, status = client_error(
        put_events, logs_novalidate, group, s, [(t, "fine"), (t + 1, "")]
    )
    assert code == "InvalidParameterException"
    assert status == 400
    assert read_all(logs_novalidate, group, s) == []


def test_put_log_events_empty_batch_rejected(logs_novalidate, stream):
    group, s = stream
    code, _, _ = client_error(logs_novalidate.put_log_events, logGroupName=group, logStreamName=s, logEvents=[])
    assert code == "InvalidParameterException"


def test_put_log_events_negative_timestamp_rejected(logs_novalidate, stream):
    group, s = stream
    code, _, _ = client_error(put_events, logs_novalidate, group, s, [(-1, "neg")])
    assert code == "InvalidParameterException"


# =========================================================================== GetLogEvents
@pytest.fixture
def twenty_five(logs, stream):
    group, s = stream
    t0 = now_ms() - 30 * MINUTE_MS
    evs = [(t0 + i * 1000, f"event {i:02d}") for i in range(25)]
    put_events(logs, group, s, evs)
    return group, s, evs


def test_get_log_events_default_is_tail_page(logs, twenty_five):
    group, s, evs = twenty_five
    resp = logs.get_log_events(logGroupName=group, logStreamName=s, limit=10)
    # startFromHead defaults to false: the newest 10 events, in ascending order within the page.
    assert pairs(resp["events"]) == evs[15:]
    assert resp["nextForwardToken"].startswith("f/")
    assert resp["nextBackwardToken"].startswith("b/")


def test_get_log_events_no_limit_returns_all(logs, twenty_five):
    group, s, evs = twenty_five
    assert pairs(logs.get_log_events(logGroupName=group, logStreamName=s)["events"]) == evs
    assert pairs(read_all(logs, group, s)) == evs


def test_get_log_events_forward_paging_to_the_end(logs, twenty_five):
    group, s, evs = twenty_five
    resp = logs.get_log_events(logGroupName=group, logStreamName=s, startFromHead=True, limit=10)
    got = pairs(resp["events"])
    assert got == evs[:10]
    token = resp["nextForwardToken"]
    pages = 1
    while True:
        resp = logs.get_log_events(logGroupName=group, logStreamName=s, nextToken=token, limit=10)
        pages += 1
        got += pairs(resp["events"])
        if resp["nextForwardToken"] == token:
            # End of stream: same token back, and the page is empty.
            assert resp["events"] == []
            break
        token = resp["nextForwardToken"]
        assert pages < 10, "forward paging does not terminate"
    assert got == evs
    # New events become visible through the final forward token.
    t_new = evs[-1][0] + 1000
    put_events(logs, group, s, [(t_new, "late event")])
    resp = logs.get_log_events(logGroupName=group, logStreamName=s, nextToken=token, limit=10)
    assert pairs(resp["events"]) == [(t_new, "late event")]


def test_get_log_events_backward_paging_to_the_start(logs, twenty_five):
    group, s, evs = twenty_five
    resp = logs.get_log_events(logGroupName=group, logStreamName=s, startFromHead=False, limit=10)
    pages_seen = [pairs(resp["events"])]
    assert pages_seen[0] == evs[15:]
    token = resp["nextBackwardToken"]
    for _ in range(10):
        resp = logs.get_log_events(logGroupName=group, logStreamName=s, nextToken=token, limit=10)
        if resp["nextBackwardToken"] == token:
            assert resp["events"] == []
            break
        pages_seen.append(pairs(resp["events"]))
        token = resp["nextBackwardToken"]
    else:
        pytest.fail("backward paging does not terminate")
    assert pages_seen == [evs[15:], evs[5:15], evs[:5]]


def test_get_log_events_time_bounds_start_inclusive_end_exclusive(logs, twenty_five):
    group, s, evs = twenty_five
    got = read_all(logs, group, s, startTime=evs[5][0], endTime=evs[10][0])
    assert pairs(got) == evs[5:10]
    got = logs.get_log_events(logGroupName=group, logStreamName=s, startTime=evs[5][0], endTime=evs[10][0])["events"]
    assert pairs(got) == evs[5:10]


def test_get_log_events_by_identifier(logs, twenty_five):
    group, s, evs = twenty_five
    got = logs.get_log_events(
        logGroupIdentifier=group_arn(DEFAULT_ACCOUNT, group), logStreamName=s, startFromHead=True
    )["events"]
    assert pairs(got) == evs


def test_get_log_events_limit_10001(logs, twenty_five):
    group, s, _ = twenty_five
    code, msg, status = client_error(logs.get_log_events, logGroupName=group, logStreamName=s, limit=10001)
    assert (code, msg, status) == ("InvalidParameterException", LIMIT_10001, 400)


def test_get_log_events_bad_token(logs, twenty_five):
    group, s, _ = twenty_five
    code, msg, _ = client_error(logs.get_log_events, logGroupName=group, logStreamName=s, nextToken="not-a-token")
    assert (code, msg) == ("InvalidParameterException", BAD_TOKEN)


def test_get_log_events_missing_stream(logs, log_group):
    code, msg, _ = client_error(logs.get_log_events, logGroupName=log_group, logStreamName="nope")
    assert (code, msg) == ("ResourceNotFoundException", NOT_FOUND_STREAM)


def test_get_log_events_empty_stream_tokens(logs, stream):
    group, s = stream
    resp = logs.get_log_events(logGroupName=group, logStreamName=s)
    assert resp["events"] == []
    assert resp["nextForwardToken"].startswith("f/")
    assert resp["nextBackwardToken"].startswith("b/")
    again = logs.get_log_events(logGroupName=group, logStreamName=s, nextToken=resp["nextForwardToken"])
    assert again["events"] == [] and again["nextForwardToken"] == resp["nextForwardToken"]


# =========================================================================== FilterLogEvents
@pytest.fixture
def three_streams(logs, log_group):
    """Events interleaved across three streams; returns (group, [(stream, ts, msg)...]) in time order."""
    t0 = now_ms() - 20 * MINUTE_MS
    data = {"app/1": [], "app/2": [], "web": []}
    msgs = [
        "ERROR something failed",
        "INFO all good",
        "Exiting with ERRORCODE: -1",
        "WARN disk almost full",
        '{"level":"ERROR","latency":600,"user":{"id":7}}',
        '{"level":"INFO","latency":120,"user":{"id":8}}',
        '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
        '10.0.0.2 - bob [10/Oct/2000:13:26:00 -0700] "POST /api HTTP/1.1" 500 20',
        "ERROR 503 upstream timeout",
        "error lower case",
        "[ERROR] Caught IllegalArgumentException",
        "final INFO",
    ]
    names = list(data)
    all_events = []
    for i, m in enumerate(msgs):
        st = names[i % 3]
        ts = t0 + i * 1000
        data[st].append((ts, m))
        all_events.append((st, ts, m))
    for st, evs in data.items():
        logs.create_log_stream(logGroupName=log_group, logStreamName=st)
        put_events(logs, log_group, st, evs)
    return log_group, all_events


def triples(events):
    return [(e["logStreamName"], e["timestamp"], e["message"]) for e in events]


def test_filter_log_events_all_interleaved(logs, three_streams):
    group, evs = three_streams
    # AWS may return partial pages with a nextToken, so the content is read to the end.
    events = filter_all(logs, logGroupName=group)
    assert triples(events) == evs
    resp = logs.filter_log_events(logGroupName=group)
    for e in events:
        assert set(e) >= {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    # Deprecated since 2020: always an empty list (model documentation).
    assert resp.get("searchedLogStreams", []) == []


def test_filter_log_events_event_ids_unique_and_stable(logs, three_streams):
    group, _ = three_streams
    a = logs.filter_log_events(logGroupName=group)["events"]
    b = logs.filter_log_events(logGroupName=group)["events"]
    ids = [e["eventId"] for e in a]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and i for i in ids)
    assert ids == [e["eventId"] for e in b]
    # Paged reads see the same ids.
    paged = filter_all(logs, logGroupName=group, limit=5)
    assert [e["eventId"] for e in paged] == ids


def test_filter_log_events_pagination(logs, three_streams):
    group, evs = three_streams
    got, token, pages = [], None, 0
    while True:
        kw = {"logGroupName": group, "limit": 5}
        if token:
            kw["nextToken"] = token
        resp = logs.filter_log_events(**kw)
        pages += 1
        assert len(resp["events"]) <= 5
        got += triples(resp["events"])
        token = resp.get("nextToken")
        if token is None:
            break
        assert pages < 20
    assert got == evs
    assert pages >= 3

    pag = logs.get_paginator("filter_log_events")
    events = [e for page in pag.paginate(logGroupName=group, PaginationConfig={"PageSize": 4}) for e in page["events"]]
    assert triples(events) == evs


def test_filter_log_events_stream_names_and_prefix(logs, three_streams):
    group, evs = three_streams
    got = filter_all(logs, logGroupName=group, logStreamNames=["web", "app/2"])
    assert triples(got) == [e for e in evs if e[0] in ("web", "app/2")]
    got = filter_all(logs, logGroupName=group, logStreamNamePrefix="app/")
    assert triples(got) == [e for e in evs if e[0].startswith("app/")]
    code, _, status = client_error(
        logs.filter_log_events, logGroupName=group, logStreamNames=["web"], logStreamNamePrefix="app"
    )
    assert code == "InvalidParameterException"
    assert status == 400


def test_filter_log_events_time_bounds_both_inclusive(logs, three_streams):
    group, evs = three_streams
    got = filter_all(logs, logGroupName=group, startTime=evs[3][1], endTime=evs[7][1])
    assert triples(got) == evs[3:8]


def test_filter_log_events_interleaved_flag_accepted(logs, three_streams):
    group, evs = three_streams
    assert triples(filter_all(logs, logGroupName=group, interleaved=True)) == evs
    assert triples(filter_all(logs, logGroupName=group, interleaved=False)) == evs


def test_filter_log_events_by_identifier(logs, three_streams):
    group, evs = three_streams
    got = filter_all(logs, logGroupIdentifier=group_arn(DEFAULT_ACCOUNT, group))
    assert triples(got) == evs


@pytest.mark.parametrize(
    "pattern,expected_msgs",
    [
        # Terms: case-sensitive substrings, all must occur.
        (
            "ERROR",
            [
                "ERROR something failed",
                "Exiting with ERRORCODE: -1",
                '{"level":"ERROR","latency":600,"user":{"id":7}}',
                "ERROR 503 upstream timeout",
                "[ERROR] Caught IllegalArgumentException",
            ],
        ),
        ("ERROR Exception", ["[ERROR] Caught IllegalArgumentException"]),
        ("ERROR -Exiting -level -Caught", ["ERROR something failed", "ERROR 503 upstream timeout"]),
        ("?WARN ?ERRORCODE", ["Exiting with ERRORCODE: -1", "WARN disk almost full"]),
        ('"disk almost"', ["WARN disk almost full"]),
        ("error", ["error lower case"]),
        ("", None),  # empty pattern matches everything
        # JSON patterns only match JSON messages.
        ('{ $.level = "ERROR" }', ['{"level":"ERROR","latency":600,"user":{"id":7}}']),
        ("{ $.latency >= 500 }", ['{"level":"ERROR","latency":600,"user":{"id":7}}']),
        ("{ $.user.id = 8 }", ['{"level":"INFO","latency":120,"user":{"id":8}}']),
        (
            '{ $.level = "INFO" || $.latency > 500 }',
            [
                '{"level":"ERROR","latency":600,"user":{"id":7}}',
                '{"level":"INFO","latency":120,"user":{"id":8}}',
            ],
        ),
        ("{ $.missing NOT EXISTS }", [
            '{"level":"ERROR","latency":600,"user":{"id":7}}',
            '{"level":"INFO","latency":120,"user":{"id":8}}',
        ]),
        # Space-delimited: [...] and "..." are single fields.
        (
            "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
            ['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'],
        ),
        (
            "[ip, user, username, timestamp, request, status_code >= 500, bytes]",
            ['10.0.0.2 - bob [10/Oct/2000:13:26:00 -0700] "POST /api HTTP/1.1" 500 20'],
        ),
        (
            "[..., status_code = 5*, bytes < 100]",
            ['10.0.0.2 - bob [10/Oct/2000:13:26:00 -0700] "POST /api HTTP/1.1" 500 20'],
        ),
        # Exactly three words, the first "ERROR"; "[ERROR]" is one field with the brackets stripped.
        ("[w1 = ERROR, w2, w3]", ["ERROR something failed", "[ERROR] Caught IllegalArgumentException"]),
        # Regex (2023+): unanchored, case-sensitive.
        ("%ERROR [0-9]{3}%", ["ERROR 503 upstream timeout"]),
        ("%^final%", ["final INFO"]),
    ],
    ids=[
        "term",
        "two-terms",
        "exclusions",
        "or-terms",
        "quoted-phrase",
        "case-sensitive",
        "empty",
        "json-string",
        "json-number",
        "json-nested",
        "json-or",
        "json-not-exists",
        "space-delimited",
        "space-delimited-numeric",
        "space-delimited-ellipsis",
        "space-delimited-words",
        "regex",
        "regex-anchor",
    ],
)
def test_filter_log_events_patterns(logs, three_streams, pattern, expected_msgs):
    group, evs = three_streams
    got = [e["message"] for e in filter_all(logs, logGroupName=group, filterPattern=pattern)]
    if expected_msgs is None:
        expected_msgs = [m for _, _, m in evs]
    assert got == expected_msgs


@pytest.mark.parametrize("pattern", ['{ $.level = "ERROR" ', "[a, b", "%ERROR (group)%"], ids=["json", "space", "regex"])
def test_filter_log_events_invalid_pattern(logs, three_streams, pattern):
    group, _ = three_streams
    code, _, status = client_error(logs.filter_log_events, logGroupName=group, filterPattern=pattern)
    assert code == "InvalidParameterException"
    assert status == 400


def test_filter_log_events_limit_10001(logs, three_streams):
    group, _ = three_streams
    code, msg, _ = client_error(logs.filter_log_events, logGroupName=group, limit=10001)
    assert (code, msg) == ("InvalidParameterException", LIMIT_10001)


def test_filter_log_events_bad_token(logs, three_streams):
    group, _ = three_streams
    code, _, _ = client_error(logs.filter_log_events, logGroupName=group, nextToken="not-a-token")
    assert code == "InvalidParameterException"


def test_filter_log_events_missing_group(logs, group_name):
    code, msg, _ = client_error(logs.filter_log_events, logGroupName=group_name)
    assert (code, msg) == ("ResourceNotFoundException", "The specified log group does not exist.")


# =========================================================================== AWS CLI v1
def test_cli_put_get_filter(server, logs, log_group):
    server.cli("logs", "create-log-stream", "--log-group-name", log_group, "--log-stream-name", "cli")
    t = now_ms() - MINUTE_MS
    events = [{"timestamp": t + i, "message": f"cli message {i} {'ERROR' if i % 2 else 'INFO'}"} for i in range(6)]
    out = server.cli(
        "logs", "put-log-events", "--log-group-name", log_group, "--log-stream-name", "cli",
        "--log-events", json.dumps(events),
    )
    assert out["nextSequenceToken"]
    assert "rejectedLogEventsInfo" not in out

    got = server.cli(
        "logs", "get-log-events", "--log-group-name", log_group, "--log-stream-name", "cli", "--start-from-head"
    )
    assert [(e["timestamp"], e["message"]) for e in got["events"]] == [(e["timestamp"], e["message"]) for e in events]
    assert got["nextForwardToken"].startswith("f/") and got["nextBackwardToken"].startswith("b/")

    flt = server.cli(
        "logs", "filter-log-events", "--log-group-name", log_group, "--filter-pattern", "ERROR",
        "--page-size", "1",  # forces the CLI to follow nextToken across pages
    )
    assert [e["message"] for e in flt["events"]] == [e["message"] for e in events if "ERROR" in e["message"]]
    assert all(e["logStreamName"] == "cli" for e in flt["events"])


def test_cli_error_is_reported(server, group_name):
    p = server.cli("logs", "describe-log-streams", "--log-group-name", group_name, check=False)
    assert p.returncode != 0
    assert "ResourceNotFoundException" in p.stderr
    assert "The specified log group does not exist." in p.stderr


def _cli_has_tail() -> bool:
    return importlib.util.find_spec("awscli.customizations.logs.tail") is not None


@pytest.mark.skipif(not _cli_has_tail(), reason="AWS CLI v1 (awscli 1.45.x) has no `aws logs tail` (it is CLI v2 only)")
def test_cli_logs_tail(server, logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="tail")
    t = now_ms() - MINUTE_MS
    put_events(logs, log_group, "tail", [(t + i, f"tail line {i}") for i in range(3)])
    p = server.cli("logs", "tail", log_group, "--since", "1h", check=False)
    assert p.returncode == 0, p.stderr
    for i in range(3):
        assert f"tail line {i}" in p.stdout
