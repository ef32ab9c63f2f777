"""Retention policies, tagging (new and deprecated APIs) and TestMetricFilter.

Sources: spec §1.3 (PutRetentionPolicy, DeleteRetentionPolicy, TagResource, UntagResource,
ListTagsForResource, TagLogGroup, UntagLogGroup, ListTagsLogGroup, TestMetricFilter), §3.5, §4.1."""

from __future__ import annotations

import pytest

from larch_e2e import DAY_MS, DEFAULT_ACCOUNT, HOUR_MS, client_error, filter_all, group_arn, now_ms, put_events

ALLOWED_RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]


def retention_of(logs, group):
    (g,) = [x for x in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] if x["logGroupName"] == group]
    return g.get("retentionInDays")


# --------------------------------------------------------------------------- retention
def test_put_retention_policy_all_allowed_values(logs, log_group):
    for days in ALLOWED_RETENTION:
        resp = logs.put_retention_policy(logGroupName=log_group, retentionInDays=days)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert retention_of(logs, log_group) == days


@pytest.mark.parametrize("days", [2, 0, -1, 4, 366, 3654, 10000])
def test_put_retention_policy_rejects_other_values(logs, log_group, days):
    code, _, status = client_error(logs.put_retention_policy, logGroupName=log_group, retentionInDays=days)
    assert code == "InvalidParameterException"
    assert status == 400
    assert retention_of(logs, log_group) is None


def test_put_retention_policy_missing_group(logs, group_name):
    code, msg, _ = client_error(logs.put_retention_policy, logGroupName=group_name, retentionInDays=7)
    assert (code, msg) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_delete_retention_policy(logs, log_group):
    logs.put_retention_policy(logGroupName=log_group, retentionInDays=30)
    logs.delete_retention_policy(logGroupName=log_group)
    assert retention_of(logs, log_group) is None
    # Deleting when none is set is harmless on an existing group.
    logs.delete_retention_policy(logGroupName=log_group)


def test_delete_retention_policy_missing_group(logs, group_name):
    code, _, _ = client_error(logs.delete_retention_policy, logGroupName=group_name)
    assert code == "ResourceNotFoundException"


def test_events_older_than_retention_are_not_returned(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="s")
    now = now_ms()
    old = [(now - 3 * DAY_MS + i, f"old {i}") for i in range(3)]
    put_events(logs, log_group, "s", old)
    recent = [(now - HOUR_MS + i, f"recent {i}") for i in range(3)]
    put_events(logs, log_group, "s", recent)
    assert len(filter_all(logs, logGroupName=log_group)) == 6

    logs.put_retention_policy(logGroupName=log_group, retentionInDays=1)
    got = filter_all(logs, logGroupName=log_group)
    assert [(e["timestamp"], e["message"]) for e in got] == recent
    ev = logs.get_log_events(logGroupName=log_group, logStreamName="s", startFromHead=True)["events"]
    assert [(e["timestamp"], e["message"]) for e in ev] == recent


# --------------------------------------------------------------------------- TagResource & co
def test_tag_resource_roundtrip(logs, log_group):
    arn = group_arn(DEFAULT_ACCOUNT, log_group)
    assert logs.list_tags_for_resource(resourceArn=arn).get("tags", {}) == {}
    logs.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    logs.tag_resource(resourceArn=arn, tags={"b": "two", "c": ""})  # merge + overwrite; empty value allowed
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "two", "c": ""}
    logs.untag_resource(resourceArn=arn, tagKeys=["a", "does-not-exist"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "two", "c": ""}
    # The deprecated API sees the same tags.
    assert logs.list_tags_log_group(logGroupName=log_group)["tags"] == {"b": "two", "c": ""}


def test_tag_resource_too_many_tags(logs, log_group):
    arn = group_arn(DEFAULT_ACCOUNT, log_group)
    logs.tag_resource(resourceArn=arn, tags={f"k{i}": str(i) for i in range(30)})
    code, _, status = client_error(logs.tag_resource, resourceArn=arn, tags={f"n{i}": str(i) for i in range(25)})
    assert code == "TooManyTagsException"
    assert status == 400
    # Nothing of the rejected call was applied.
    assert len(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == 30
    # Exactly 50 is fine; overwriting existing keys does not count twice.
    logs.tag_resource(resourceArn=arn, tags={f"n{i}": str(i) for i in range(20)})
    logs.tag_resource(resourceArn=arn, tags={f"k{i}": "x" for i in range(30)})
    tags = logs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert len(tags) == 50 and tags["k0"] == "x"


def test_tag_resource_missing_group(logs, group_name):
    arn = group_arn(DEFAULT_ACCOUNT, group_name)
    code, _, _ = client_error(logs.tag_resource, resourceArn=arn, tags={"a": "b"})
    assert code == "ResourceNotFoundException"
    code, _, _ = client_error(logs.list_tags_for_resource, resourceArn=arn)
    assert code == "ResourceNotFoundException"
    code, _, _ = client_error(logs.untag_resource, resourceArn=arn, tagKeys=["a"])
    assert code == "ResourceNotFoundException"


def test_tag_resource_arn_with_star_is_not_the_group_arn(logs, log_group):
    # TagResource takes the logGroupArn form (no trailing ":*"); the ":*" form is an IAM resource pattern.
    code, _, _ = client_error(
        logs.tag_resource, resourceArn=group_arn(DEFAULT_ACCOUNT, log_group) + ":*", tags={"a": "b"}
    )
    assert code in ("InvalidParameterException", "ResourceNotFoundException")


def test_tag_resource_invalid_key(logs_novalidate, log_group):
    arn = group_arn(DEFAULT_ACCOUNT, log_group)
    code, _, _ = client_error(logs_novalidate.tag_resource, resourceArn=arn, tags={"bad*key": "v"})
    assert code == "InvalidParameterException"
    code, _, _ = client_error(logs_novalidate.tag_resource, resourceArn=arn, tags={"k" * 129: "v"})
    assert code == "InvalidParameterException"


def test_deprecated_tag_log_group_apis(logs, log_group):
    logs.tag_log_group(logGroupName=log_group, tags={"env": "dev", "team": "a"})
    assert logs.list_tags_log_group(logGroupName=log_group)["tags"] == {"env": "dev", "team": "a"}
    logs.untag_log_group(logGroupName=log_group, tags=["env"])
    assert logs.list_tags_log_group(logGroupName=log_group)["tags"] == {"team": "a"}
    assert logs.list_tags_for_resource(resourceArn=group_arn(DEFAULT_ACCOUNT, log_group))["tags"] == {"team": "a"}


def test_deprecated_tag_apis_missing_group(logs, group_name):
    for fn, kw in [
        (logs.tag_log_group, {"tags": {"a": "b"}}),
        (logs.untag_log_group, {"tags": ["a"]}),
        (logs.list_tags_log_group, {}),
    ]:
        code, _, _ = client_error(fn, logGroupName=group_name, **kw)
        assert code == "ResourceNotFoundException", fn


# --------------------------------------------------------------------------- TestMetricFilter
APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


def test_test_metric_filter_space_delimited_extracted_values(logs):
    resp = logs.test_metric_filter(
        filterPattern="[..., request=*.html*, status_code=4*,]",
        logEventMessages=[APACHE, "no match here", APACHE.replace(" 404 ", " 200 ")],
    )
    (m,) = resp["matches"]
    assert m["eventMessage"] == APACHE
    assert isinstance(m["eventNumber"], int)
    # Example from the CloudWatch Logs filter-pattern documentation.
    assert m["extractedValues"] == {
        "$1": "127.0.0.1",
        "$2": "-",
        "$3": "frank",
        "$4": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /index.html HTTP/1.0",
        "$status_code": "404",
        "$7": "1534",
    }


def test_test_metric_filter_named_fields(logs):
    resp = logs.test_metric_filter(
        filterPattern="[ip, user, username, timestamp, request, status_code, bytes > 1000]",
        logEventMessages=[APACHE, APACHE.replace(" 1534", " 10")],
    )
    (m,) = resp["matches"]
    assert m["eventMessage"] == APACHE
    assert m["extractedValues"] == {
        "$ip": "127.0.0.1",
        "$user": "-",
        "$username": "frank",
        "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /index.html HTTP/1.0",
        "$status_code": "404",
        "$bytes": "1534",
    }


def test_test_metric_filter_terms_and_json(logs):
    msgs = ["ERROR one", "INFO two", '{"level":"ERROR","latency":900}', "ERROR three", '{"level":"INFO","latency":5}']
    resp = logs.test_metric_filter(filterPattern="ERROR", logEventMessages=msgs)
    assert [m["eventMessage"] for m in resp["matches"]] == ["ERROR one", '{"level":"ERROR","latency":900}', "ERROR three"]
    numbers = [m["eventNumber"] for m in resp["matches"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    # Event numbers identify positions in the input: the gaps match the input positions (0 2 3 or 1 3 4).
    assert [n - numbers[0] for n in numbers] == [0, 2, 3]
    assert numbers[0] in (0, 1)  # AWS's base (0 or 1) is not documented
    for m in resp["matches"]:
        assert m.get("extractedValues", {}) == {}

    resp = logs.test_metric_filter(filterPattern="{ $.latency > 100 }", logEventMessages=msgs)
    assert [m["eventMessage"] for m in resp["matches"]] == ['{"level":"ERROR","latency":900}']


def test_test_metric_filter_no_match(logs):
    resp = logs.test_metric_filter(filterPattern="NOPE", logEventMessages=["a", "b"])
    assert resp.get("matches", []) == []


def test_test_metric_filter_invalid_pattern(logs):
    code, _, _ = client_error(logs.test_metric_filter, filterPattern='{ $.a = "x"', logEventMessages=["a"])
    assert code == "InvalidParameterException"
