"""CreateLogGroup / DeleteLogGroup / DescribeLogGroups / ListLogGroups with boto3.

Sources: spec §1.3 (CreateLogGroup, DescribeLogGroups, ListLogGroups), §4.1, Appendix A #10,
aws-observed.md (DescribeLogGroups item shape, error messages)."""

from __future__ import annotations

import pytest

from larch_e2e import DEFAULT_ACCOUNT, client_error, group_arn, now_ms

NOT_FOUND_GROUP = "The specified log group does not exist."


def describe_one(logs, name: str) -> dict:
    groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    assert len(groups) == 1, f"{name} not listed exactly once: {groups}"
    return groups[0]


# --------------------------------------------------------------------------- CreateLogGroup
def test_create_log_group_defaults_shape(logs, group_name):
    before = now_ms()
    resp = logs.create_log_group(logGroupName=group_name)
    after = now_ms()
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"]["RequestId"], "x-amzn-RequestId must be returned"
    g = describe_one(logs, group_name)
    assert g["logGroupName"] == group_name
    assert before - 1000 <= g["creationTime"] <= after + 1000
    assert g["arn"] == group_arn(DEFAULT_ACCOUNT, group_name) + ":*"
    assert g["logGroupArn"] == group_arn(DEFAULT_ACCOUNT, group_name)
    assert not g["logGroupArn"].endswith(":*")
    assert g["storedBytes"] == 0
    assert g["metricFilterCount"] == 0
    assert g["logGroupClass"] == "STANDARD"
    # Observed on AWS: deletionProtectionEnabled: false is always present.
    assert g["deletionProtectionEnabled"] is False
    # Never-expire groups carry no retentionInDays at all.
    assert "retentionInDays" not in g
    assert "kmsKeyId" not in g


def test_create_log_group_with_tags_kms_and_class(logs, group_name):
    kms = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs.create_log_group(
        logGroupName=group_name,
        kmsKeyId=kms,
        logGroupClass="INFREQUENT_ACCESS",
        tags={"team": "orders", "env": "prod"},
    )
    g = describe_one(logs, group_name)
    assert g["kmsKeyId"] == kms
    assert g["logGroupClass"] == "INFREQUENT_ACCESS"
    tags = logs.list_tags_for_resource(resourceArn=group_arn(DEFAULT_ACCOUNT, group_name))["tags"]
    assert tags == {"team": "orders", "env": "prod"}
    assert logs.list_tags_log_group(logGroupName=group_name)["tags"] == {"team": "orders", "env": "prod"}


def test_create_log_group_duplicate(logs, log_group):
    code, msg, status = client_error(logs.create_log_group, logGroupName=log_group)
    assert code == "ResourceAlreadyExistsException"
    assert msg == "The specified log group already exists"  # AWS: no trailing period
    assert status == 400


@pytest.mark.parametrize(
    "name",
    ["has space", "bad:colon", "star*", "ünïcode", "semi;colon", "quote'"],
    ids=["space", "colon", "star", "unicode", "semicolon", "quote"],
)
def test_create_log_group_invalid_characters(logs, name):
    code, msg, status = client_error(logs.create_log_group, logGroupName=name)
    assert code == "InvalidParameterException"
    assert status == 400
    # Coral validation format (spec §0), wording as quoted from the real service in many bug reports.
    assert msg == (
        f"1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
    )


@pytest.mark.parametrize("name", ["aws/reserved", "aws/lambda/x"])
def test_create_log_group_aws_prefix_reserved(logs, name):
    code, msg, _ = client_error(logs.create_log_group, logGroupName=name)
    assert code == "InvalidParameterException"
    # Message observed from the real service (aws-otel-collector#353, terraform#10739).
    assert msg == "Log groups starting with AWS/ are reserved for AWS."


def test_create_log_group_slash_aws_prefix_allowed(logs, unique):
    # "/aws/..." (leading slash) is the usual Lambda naming and is allowed.
    name = f"/aws/lambda/{unique}"
    logs.create_log_group(logGroupName=name)
    assert describe_one(logs, name)["logGroupName"] == name
    logs.delete_log_group(logGroupName=name)


def test_create_log_group_name_length_limits(logs, unique):
    ok = ("/e2e/" + unique + "/").ljust(512, "x")
    assert len(ok) == 512
    logs.create_log_group(logGroupName=ok)
    assert describe_one(logs, ok)["logGroupName"] == ok
    logs.delete_log_group(logGroupName=ok)

    too_long = ok + "y"
    code, msg, _ = client_error(logs.create_log_group, logGroupName=too_long)
    assert code == "InvalidParameterException"
    assert msg == "Invalid LogGroup or LogStream, both must have length less than or equal to 512."


def test_create_log_group_invalid_class(logs_novalidate, group_name):
    code, _, _ = client_error(logs_novalidate.create_log_group, logGroupName=group_name, logGroupClass="GOLD")
    assert code == "InvalidParameterException"


# --------------------------------------------------------------------------- DeleteLogGroup
def test_delete_log_group(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="s1")
    resp = logs.delete_log_group(logGroupName=log_group)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"] == []
    code, msg, status = client_error(logs.delete_log_group, logGroupName=log_group)
    assert (code, msg, status) == ("ResourceNotFoundException", NOT_FOUND_GROUP, 400)
    # Re-creating yields an empty group: the old streams are gone.
    logs.create_log_group(logGroupName=log_group)
    assert logs.describe_log_streams(logGroupName=log_group)["logStreams"] == []


def test_delete_missing_log_group(logs, group_name):
    code, msg, _ = client_error(logs.delete_log_group, logGroupName=group_name)
    assert code == "ResourceNotFoundException"
    assert msg == NOT_FOUND_GROUP


# --------------------------------------------------------------------------- DescribeLogGroups
@pytest.fixture
def five_groups(logs, unique):
    # Deliberately created out of order and with mixed case: ASCII order puts upper case first.
    base = f"/e2e/five/{unique}/"
    names = [base + s for s in ["delta", "Alpha", "charlie", "bravo", "Echo"]]
    for n in names:
        logs.create_log_group(logGroupName=n)
    return base, sorted(names)  # Python str ordering == ASCII ordering for these names


def test_describe_log_groups_prefix_ascii_order(logs, five_groups):
    base, expected = five_groups
    got = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=base)["logGroups"]]
    assert got == expected
    assert got[0].endswith("Alpha") and got[1].endswith("Echo")  # 'A' < 'E' < 'b'
    # Prefix that matches nothing is not an error.
    assert logs.describe_log_groups(logGroupNamePrefix=base + "zzz")["logGroups"] == []


def test_describe_log_groups_manual_pagination_limit_1(logs, five_groups):
    base, expected = five_groups
    seen, token, calls = [], None, 0
    while True:
        kw = {"logGroupNamePrefix": base, "limit": 1}
        if token:
            kw["nextToken"] = token
        page = logs.describe_log_groups(**kw)
        calls += 1
        assert len(page["logGroups"]) <= 1
        seen += [g["logGroupName"] for g in page["logGroups"]]
        token = page.get("nextToken")
        if not token:
            break
        assert calls <= 6, "pagination does not terminate"
    assert seen == expected
    # With limit=1 every page but possibly the last is full.
    assert calls in (5, 6)


def test_describe_log_groups_paginator(logs, five_groups):
    base, expected = five_groups
    pages = list(
        logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=base, PaginationConfig={"PageSize": 2}
        )
    )
    names = [g["logGroupName"] for p in pages for g in p["logGroups"]]
    assert names == expected
    assert len(pages) >= 3
    assert all(len(p["logGroups"]) <= 2 for p in pages)


def test_describe_log_groups_limit_out_of_range(logs_novalidate, five_groups):
    base, _ = five_groups
    code, _, _ = client_error(logs_novalidate.describe_log_groups, logGroupNamePrefix=base, limit=51)
    assert code == "InvalidParameterException"


def test_describe_log_groups_pattern(logs, five_groups, unique):
    base, expected = five_groups
    # Case-sensitive substring match anywhere in the name.
    items = []
    token = None
    for _ in range(50):
        kw = {"logGroupNamePattern": unique}
        if token:
            kw["nextToken"] = token
        page = logs.describe_log_groups(**kw)
        items += page["logGroups"]
        token = page.get("nextToken")  # AWS may return a nextToken with pattern queries
        if not token:
            break
    assert [g["logGroupName"] for g in items] == expected
    for g in items:
        assert g["arn"].endswith(":*")
        assert "creationTime" in g
        # Observed: pattern results lack storedBytes.
        assert "storedBytes" not in g
    sub = logs.describe_log_groups(logGroupNamePattern=unique + "/char")["logGroups"]
    assert [g["logGroupName"] for g in sub] == [base + "charlie"]
    # Case-sensitive: "CHARLIE" does not match "charlie".
    assert logs.describe_log_groups(logGroupNamePattern=unique + "/CHARLIE")["logGroups"] == []


def test_describe_log_groups_prefix_and_pattern_exclusive(logs, five_groups, unique):
    base, _ = five_groups
    code, msg, status = client_error(
        logs.describe_log_groups, logGroupNamePrefix=base, logGroupNamePattern=unique
    )
    assert code == "InvalidParameterException"
    assert msg == "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
    assert status == 400


def test_describe_log_groups_identifiers(logs, five_groups):
    base, expected = five_groups
    ids = [expected[3], group_arn(DEFAULT_ACCOUNT, expected[1])]  # a name and an ARN
    got = [g["logGroupName"] for g in logs.describe_log_groups(logGroupIdentifiers=ids)["logGroups"]]
    assert sorted(got) == sorted([expected[3], expected[1]])


def test_describe_log_groups_by_class(logs, unique):
    std = f"/e2e/cls/{unique}/std"
    ia = f"/e2e/cls/{unique}/ia"
    logs.create_log_group(logGroupName=std)
    logs.create_log_group(logGroupName=ia, logGroupClass="INFREQUENT_ACCESS")
    only_ia = logs.describe_log_groups(logGroupNamePrefix=f"/e2e/cls/{unique}/", logGroupClass="INFREQUENT_ACCESS")
    assert [g["logGroupName"] for g in only_ia["logGroups"]] == [ia]


def test_describe_log_groups_retention_and_metric_filter_count(logs, log_group):
    logs.put_retention_policy(logGroupName=log_group, retentionInDays=14)
    assert describe_one(logs, log_group)["retentionInDays"] == 14
    logs.put_metric_filter(
        logGroupName=log_group,
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "E2E", "metricValue": "1"}],
    )
    assert describe_one(logs, log_group)["metricFilterCount"] == 1
    logs.delete_retention_policy(logGroupName=log_group)
    assert "retentionInDays" not in describe_one(logs, log_group)


def test_describe_log_groups_stored_bytes_is_number(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="s")
    logs.put_log_events(
        logGroupName=log_group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x" * 100}]
    )
    # AWS updates storedBytes lazily; only its type and sign are certain.
    sb = describe_one(logs, log_group)["storedBytes"]
    assert isinstance(sb, int) and sb >= 0


# --------------------------------------------------------------------------- ListLogGroups
def test_list_log_groups(logs, five_groups, unique):
    base, expected = five_groups
    resp = logs.list_log_groups(logGroupNamePattern=unique)
    got = [g["logGroupName"] for g in resp["logGroups"]]
    assert sorted(got) == expected
    for g in resp["logGroups"]:
        assert g["logGroupArn"] == group_arn(DEFAULT_ACCOUNT, g["logGroupName"])
        assert g["logGroupClass"] == "STANDARD"


def test_list_log_groups_pagination(logs, five_groups, unique):
    base, expected = five_groups
    seen, token = [], None
    for _ in range(10):
        kw = {"logGroupNamePattern": unique, "limit": 2}
        if token:
            kw["nextToken"] = token
        page = logs.list_log_groups(**kw)
        assert len(page["logGroups"]) <= 2
        seen += [g["logGroupName"] for g in page["logGroups"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == expected
    assert len(seen) == len(set(seen))


def test_list_log_groups_tag_and_source_filters(logs, unique):
    prod = f"/e2e/tags/{unique}/prod"
    dev = f"/e2e/tags/{unique}/dev"
    bare = f"/e2e/tags/{unique}/bare"
    logs.create_log_group(logGroupName=prod, tags={"env": "production", "team": "a"})
    logs.create_log_group(logGroupName=dev, tags={"env": "dev"})
    logs.create_log_group(logGroupName=bare)

    def names(**kw):
        got = logs.list_log_groups(logGroupNamePattern=unique, **kw)["logGroups"]
        return sorted(g["logGroupName"] for g in got if g["logGroupName"].startswith(f"/e2e/tags/{unique}/"))

    assert names() == sorted([bare, dev, prod])
    assert names(logGroupTags=[{"key": "env"}]) == sorted([dev, prod])
    assert names(logGroupTags=[{"key": "env", "values": ["prod*"]}]) == [prod]
    assert names(logGroupTags=[{"key": "env", "values": ["!production"]}]) == [dev]
    assert names(logGroupTags=[{"key": "env"}, {"key": "team", "values": ["a"]}]) == [prod]
    # larch groups have no data sources or field indexes: such filters match nothing.
    assert names(fieldIndexNames=["requestId"]) == []
    assert names(dataSources=[{"name": "amazon_vpc"}]) == []
