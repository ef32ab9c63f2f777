"""The `watchtower` logging handler (a real-world CloudWatch Logs client) against larch.

watchtower's flow exercises: DescribeLogGroups paginator with a prefix, CreateLogGroup,
PutRetentionPolicy, PutLogEvents → ResourceNotFoundException → CreateLogStream → retry."""

from __future__ import annotations

import json
import logging
import uuid
import warnings

import watchtower

from larch_e2e import now_ms


def _all_events(logs, group, stream):
    resp = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    events, token = list(resp["events"]), resp["nextForwardToken"]
    for _ in range(100):
        resp = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=token)
        events += resp["events"]
        if resp["nextForwardToken"] == token:
            break
        token = resp["nextForwardToken"]
    return events


def _logger(name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_watchtower_queued_handler(server, logs, group_name):
    n = 40
    logger_name = f"e2e.wt.{uuid.uuid4().hex[:8]}"
    logger = _logger(logger_name)
    start = now_ms()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handler = watchtower.CloudWatchLogHandler(
            log_group_name=group_name,
            log_stream_name="wt/{logger_name}",
            boto3_client=server.logs_client(),
            send_interval=1,
            log_group_retention_days=7,
        )
        logger.addHandler(handler)
        try:
            for i in range(n):
                logger.info("watchtower record %d of %s", i, "ünïcode ✓")
            logger.warning({"structured": True, "n": 1})
            handler.flush()
        finally:
            handler.close()
            logger.removeHandler(handler)
    end = now_ms()
    problems = [str(w.message) for w in caught if issubclass(w.category, watchtower.WatchtowerWarning)]
    assert not problems, problems

    (g,) = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert g["retentionInDays"] == 7
    stream = f"wt/{logger_name}"
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group_name)["logStreams"]] == [stream]

    events = _all_events(logs, group_name, stream)
    expected = [f"watchtower record {i} of ünïcode ✓" for i in range(n)]
    expected.append(json.dumps({"structured": True, "n": 1}))
    assert [e["message"] for e in events] == expected
    for e in events:
        assert start - 1000 <= e["timestamp"] <= end + 1000


def test_watchtower_unqueued_handler_existing_group(server, logs, log_group):
    logger_name = f"e2e.wt.sync.{uuid.uuid4().hex[:8]}"
    logger = _logger(logger_name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handler = watchtower.CloudWatchLogHandler(
            log_group_name=log_group,  # already exists: watchtower finds it via DescribeLogGroups
            log_stream_name="sync-stream",
            boto3_client=server.logs_client(),
            use_queues=False,
        )
        logger.addHandler(handler)
        try:
            for i in range(5):
                logger.error("sync record %d", i)
        finally:
            handler.close()
            logger.removeHandler(handler)
    problems = [str(w.message) for w in caught if issubclass(w.category, watchtower.WatchtowerWarning)]
    assert not problems, problems
    events = _all_events(logs, log_group, "sync-stream")
    assert [e["message"] for e in events] == [f"sync record {i}" for i in range(5)]
