"""Multiple accounts and key management (`larch keys create|list|delete`) on a running server.

Each access key belongs to one account; resources are scoped per account, as in AWS."""

from __future__ import annotations

import time

import pytest

from larch_e2e import DEFAULT_ACCOUNT, client_error, group_arn, now_ms, put_events

SECOND_ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def second(server):
    creds = server.create_keys(SECOND_ACCOUNT)
    return creds, server.logs_client(creds)


def test_keys_create_output_and_list(server, second):
    creds, _ = second
    assert creds.access_key and creds.secret_key
    assert creds.access_key != server.creds.access_key
    listed = server.larch("keys", "list", "--data", str(server.data_dir)).stdout
    assert creds.access_key in listed
    assert SECOND_ACCOUNT in listed
    assert creds.secret_key not in listed, "keys list must not print secrets"


def test_new_key_works_immediately(second):
    _, logs2 = second
    assert logs2.describe_log_groups(limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_groups_are_invisible_across_accounts(logs, second, group_name):
    _, logs2 = second
    logs.create_log_group(logGroupName=group_name)
    logs.create_log_stream(logGroupName=group_name, logStreamName="s")
    put_events(logs, group_name, "s", [(now_ms(), "secret of account 0")])

    assert logs2.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"] == []
    code, _, _ = client_error(logs2.describe_log_streams, logGroupName=group_name)
    assert code == "ResourceNotFoundException"
    code, _, _ = client_error(logs2.get_log_events, logGroupName=group_name, logStreamName="s")
    assert code == "ResourceNotFoundException"
    code, _, _ = client_error(logs2.filter_log_events, logGroupName=group_name)
    assert code == "ResourceNotFoundException"
    code, _, _ = client_error(put_events, logs2, group_name, "s", [(now_ms(), "intrusion")])
    assert code == "ResourceNotFoundException"
    code, _, _ = client_error(logs2.delete_log_group, logGroupName=group_name)
    assert code == "ResourceNotFoundException"
    # Account 1 cannot reach account 0's group through its ARN either.
    code, _, _ = client_error(logs2.list_tags_for_resource, resourceArn=group_arn(DEFAULT_ACCOUNT, group_name))
    assert code in ("ResourceNotFoundException", "AccessDeniedException", "InvalidParameterException")

    # Account 0's data is untouched.
    ev = logs.get_log_events(logGroupName=group_name, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in ev] == ["secret of account 0"]


def test_same_group_name_in_both_accounts(logs, second, group_name):
    _, logs2 = second
    logs.create_log_group(logGroupName=group_name, tags={"owner": "zero"})
    logs2.create_log_group(logGroupName=group_name, tags={"owner": "one"})

    (g0,) = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    (g1,) = logs2.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert g0["logGroupArn"] == group_arn(DEFAULT_ACCOUNT, group_name)
    assert g1["logGroupArn"] == group_arn(SECOND_ACCOUNT, group_name)
    assert g0["arn"] == group_arn(DEFAULT_ACCOUNT, group_name) + ":*"
    assert g1["arn"] == group_arn(SECOND_ACCOUNT, group_name) + ":*"

    assert logs.list_tags_for_resource(resourceArn=g0["logGroupArn"])["tags"] == {"owner": "zero"}
    assert logs2.list_tags_for_resource(resourceArn=g1["logGroupArn"])["tags"] == {"owner": "one"}

    logs2.create_log_stream(logGroupName=group_name, logStreamName="s")
    (s1,) = logs2.describe_log_streams(logGroupName=group_name)["logStreams"]
    assert s1["arn"] == f"{group_arn(SECOND_ACCOUNT, group_name)}:log-stream:s"
    assert logs.describe_log_streams(logGroupName=group_name)["logStreams"] == []

    logs2.delete_log_group(logGroupName=group_name)
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]] == [
        group_name
    ]


def test_wrong_secret_for_second_key(server, second):
    creds, _ = second
    from larch_e2e import Creds

    bad = Creds(creds.access_key, "x" * 40, creds.account)
    code, _, _ = client_error(server.logs_client(bad).describe_log_groups)
    assert code == "InvalidSignatureException"


def test_keys_delete_revokes_while_running(server):
    creds = server.create_keys("222222222222")
    client = server.logs_client(creds)
    assert client.describe_log_groups(limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200

    server.larch("keys", "delete", "--data", str(server.data_dir), creds.access_key)
    assert creds.access_key not in server.larch("keys", "list", "--data", str(server.data_dir)).stdout

    # The running server must stop accepting the key (allow a short propagation delay).
    deadline = time.monotonic() + 5
    last = None
    while time.monotonic() < deadline:
        try:
            client.describe_log_groups(limit=1)
            last = "success"
        except Exception as e:  # noqa: BLE001
            last = getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
            if last == "UnrecognizedClientException":
                break
        time.sleep(0.2)
    assert last == "UnrecognizedClientException", f"deleted key still usable or wrong error: {last}"

    # The default key is unaffected.
    assert server.logs_client().describe_log_groups(limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
