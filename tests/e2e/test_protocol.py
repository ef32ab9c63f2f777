"""Wire-protocol behaviour: awsJson1_1 framing, SigV4 errors, request ids, unsupported operations,
oversized bodies, /health and /metrics.

Sources: spec §0 and §0.1 (protocol-level errors), aws-observed.md (Content-Type)."""

from __future__ import annotations

import re

import pytest
import requests
from botocore.exceptions import ClientError

from larch_e2e import JSON_CT, Creds, client_error, now_ms, raw_error


def assert_json_answer(resp: requests.Response):
    assert resp.headers.get("x-amzn-RequestId"), f"missing x-amzn-RequestId on {resp.status_code}"
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == JSON_CT


def test_success_headers(server, log_group):
    resp = server.raw("DescribeLogGroups", {"logGroupNamePrefix": log_group})
    assert resp.status_code == 200
    assert_json_answer(resp)
    body = resp.json()
    assert [g["logGroupName"] for g in body["logGroups"]] == [log_group]


def test_empty_output_is_empty_object(server, group_name):
    resp = server.raw("CreateLogGroup", {"logGroupName": group_name})
    assert resp.status_code == 200
    assert_json_answer(resp)
    assert resp.json() == {}


def test_request_ids_are_unique(server):
    ids = {server.raw("DescribeLogGroups", {"limit": 1}).headers["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_boto3_sees_request_id(logs):
    meta = logs.describe_log_groups(limit=1)["ResponseMetadata"]
    assert meta["RequestId"]
    with pytest.raises(ClientError) as e:
        logs.delete_log_group(logGroupName="/e2e/definitely/missing/group")
    assert e.value.response["ResponseMetadata"]["RequestId"]


def test_modeled_error_wire_format(server, group_name):
    resp = server.raw("DeleteLogGroup", {"logGroupName": group_name})
    assert resp.status_code == 400
    assert_json_answer(resp)
    code, msg = raw_error(resp)
    assert code == "ResourceNotFoundException"
    assert msg == "The specified log group does not exist."


def test_unknown_operation(server):
    resp = server.raw(None, {}, target="Logs_20140328.NoSuchOperation")
    assert 400 <= resp.status_code < 500
    assert resp.headers.get("x-amzn-RequestId")
    assert raw_error(resp)[0] == "UnknownOperationException"


def test_wrong_target_prefix(server):
    resp = server.raw(None, {}, target="Kinesis_20131202.ListStreams")
    assert 400 <= resp.status_code < 500
    assert raw_error(resp)[0] == "UnknownOperationException"


def test_missing_target(server):
    resp = server.raw(None, {})
    assert 400 <= resp.status_code < 500
    assert resp.headers.get("x-amzn-RequestId")


def test_malformed_json(server):
    resp = server.raw("DescribeLogGroups", body=b'{"logGroupNamePrefix": ')
    assert 400 <= resp.status_code < 500
    assert_json_answer(resp)
    assert raw_error(resp)[0] == "SerializationException"


@pytest.mark.parametrize(
    "op,payload",
    [
        ("DescribeLogGroups", {"limit": "x"}),
        ("DescribeLogGroups", {"logGroupNamePrefix": 5}),
        ("GetLogEvents", {"logGroupName": "a", "logStreamName": "b", "startFromHead": "yes"}),
        ("PutLogEvents", {"logGroupName": "a", "logStreamName": "b", "logEvents": {"timestamp": 1}}),
        ("DescribeLogGroups", [1, 2, 3]),
    ],
    ids=["int-as-string", "string-as-int", "bool-as-string", "object-for-list", "array-body"],
)
def test_wrong_member_type(server, op, payload):
    resp = server.raw(op, payload)
    assert 400 <= resp.status_code < 500
    assert_json_answer(resp)
    assert raw_error(resp)[0] == "SerializationException"


def test_unknown_members_are_ignored(server, log_group):
    # Newer SDKs send members older servers don't know; AWS ignores unknown members.
    resp = server.raw("DescribeLogGroups", {"logGroupNamePrefix": log_group, "someFutureMember": {"x": 1}})
    assert resp.status_code == 200
    assert [g["logGroupName"] for g in resp.json()["logGroups"]] == [log_group]


def test_missing_authentication(server):
    resp = server.raw("DescribeLogGroups", {}, sign=False)
    assert 400 <= resp.status_code < 500
    assert resp.headers.get("x-amzn-RequestId")
    assert raw_error(resp)[0] == "MissingAuthenticationTokenException"


def test_wrong_secret_raw(server):
    bad = Creds(server.creds.access_key, server.creds.secret_key[::-1] + "x", server.account)
    resp = server.raw("DescribeLogGroups", {}, creds=bad)
    assert 400 <= resp.status_code < 500
    assert resp.headers.get("x-amzn-RequestId")
    assert raw_error(resp)[0] == "InvalidSignatureException"


def test_wrong_secret_boto3(server):
    bad = Creds(server.creds.access_key, "wrong" + server.creds.secret_key[5:], server.account)
    code, msg, status = client_error(server.logs_client(bad).describe_log_groups)
    assert code == "InvalidSignatureException"
    assert 400 <= status < 500


def test_unknown_access_key(server):
    unknown = Creds("AKIAUNKNOWNUNKNOWN00", "x" * 40, server.account)
    code, msg, status = client_error(server.logs_client(unknown).describe_log_groups)
    assert code == "UnrecognizedClientException"
    assert msg == "The security token included in the request is invalid."
    assert 400 <= status < 500


def test_tampered_body_fails_signature(server, log_group):
    """A signature over one body must not authorise another body."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = server.endpoint + "/"
    signed_body = b'{"logGroupNamePrefix": "/a"}'
    req = AWSRequest(
        method="POST",
        url=url,
        data=signed_body,
        headers={"Content-Type": JSON_CT, "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
    )
    SigV4Auth(Credentials(server.creds.access_key, server.creds.secret_key), "logs", "us-east-1").add_auth(req)
    resp = requests.post(url, data=b'{"logGroupNamePrefix": "/b"}', headers=dict(req.headers.items()), timeout=30)
    assert 400 <= resp.status_code < 500
    assert raw_error(resp)[0] == "InvalidSignatureException"


def test_any_region_is_accepted(server):
    other = server.logs_client(region="eu-west-1")
    # Only that the request is authenticated is asserted; how larch scopes data by region is its choice.
    assert other.describe_log_groups(limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unimplemented_operation_is_reported(server):
    # PutDestination is in the model (P2) but not implemented by larch yet.  It must answer with an
    # error naming the operation as not supported, never a fake 200.
    resp = server.raw(
        "PutDestination",
        {
            "destinationName": "d1",
            "targetArn": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
            "roleArn": "arn:aws:iam::000000000000:role/r",
        },
    )
    assert resp.status_code >= 400
    assert resp.headers.get("x-amzn-RequestId")
    code, msg = raw_error(resp)
    assert code
    assert "PutDestination" in msg
    assert re.search(r"not (yet )?(supported|implemented)", msg, re.I), msg


def test_oversized_body_rejected_cleanly(server, logs):
    body = b'{"logGroupNamePrefix": "' + b"a" * (8 * 1024 * 1024) + b'"}'
    try:
        resp = server.raw("DescribeLogGroups", body=body)
        assert 400 <= resp.status_code < 500, resp.status_code
    except requests.ConnectionError:
        # Closing the connection after sending a 413 is acceptable HTTP behaviour, but the
        # server must stay up (checked below).
        pass
    assert requests.get(server.endpoint + "/health", timeout=5).status_code == 200
    assert logs.describe_log_groups(limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_health(server):
    r = requests.get(server.endpoint + "/health", timeout=5)
    assert r.status_code == 200


def _request_counter_total(text: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN|[+-]Inf)", line)
        assert m, f"not Prometheus text format: {line!r}"
        name = m.group(1)
        if "request" in name and (name.endswith("_total") or name.endswith("_count")):
            total += float(m.group(3))
    return total


def test_metrics(server, logs):
    for _ in range(3):
        logs.describe_log_groups(limit=1)
    r = requests.get(server.endpoint + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/plain")
    assert re.search(r"^# TYPE \S*request\S* counter$", r.text, re.M), "no request counter declared"
    before = _request_counter_total(r.text)
    assert before >= 3
    for _ in range(5):
        logs.describe_log_groups(limit=1)
    after = _request_counter_total(requests.get(server.endpoint + "/metrics", timeout=5).text)
    assert after >= before + 5


def test_metrics_report_buffered_bytes(server, logs, log_group):
    """Operators (and the benchmark) see the flush backlog: buffered bytes against the threshold."""

    def gauges():
        text = requests.get(server.endpoint + "/metrics", timeout=5).text
        found = dict(re.findall(r'^larch_memtable_bytes\{part="(\w+)"\} (\d+)$', text, re.M))
        threshold = re.search(r"^larch_flush_threshold_bytes (\d+)$", text, re.M)
        flushes = re.search(r"^larch_flushes_total (\d+)$", text, re.M)
        assert threshold and int(threshold.group(1)) > 0
        return int(found["active"]), int(found["flushing"]), int(flushes.group(1))

    logs.create_log_stream(logGroupName=log_group, logStreamName="gauge")
    for _ in range(5):
        active_before, _, flushes_before = gauges()
        logs.put_log_events(
            logGroupName=log_group,
            logStreamName="gauge",
            logEvents=[{"timestamp": now_ms(), "message": "x" * 1000}],
        )
        active_after, flushing, flushes_after = gauges()
        if flushes_after == flushes_before and flushing == 0:
            # 1,000 message bytes + 26 per event, as the flush threshold counts them.
            assert active_after == active_before + 1026
            return
    pytest.fail("a flush ran during every attempt")


def test_timestamps_are_epoch_millis(server, log_group):
    before = now_ms()
    g = server.raw("DescribeLogGroups", {"logGroupNamePrefix": log_group}).json()["logGroups"][0]
    assert isinstance(g["creationTime"], int)
    assert abs(g["creationTime"] - before) < 60_000


def test_truncated_body_gets_a_clean_error_and_the_server_survives(server):
    """A client that announces more body than it sends and closes its side gets a 4xx (or a
    closed connection), never a hang; the server keeps serving."""
    import socket

    port = int(server.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
            b"X-Amz-Target: Logs_20140328.DescribeLogGroups\r\nContent-Length: 1000\r\n\r\n{\"limit\": 5"
        )
        s.shutdown(socket.SHUT_WR)
        response = b""
        while chunk := s.recv(65536):
            response += chunk
    if response:
        status = int(response.split(b" ", 2)[1])
        assert 400 <= status < 500, response[:200]
    assert requests.get(server.endpoint + "/health", timeout=5).status_code == 200


def test_garbage_bytes_get_a_clean_error(server):
    r = requests.post(
        server.endpoint + "/",
        data=bytes(range(256)) * 10,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
        timeout=10,
    )
    assert 400 <= r.status_code < 500
    assert r.json()["__type"] in ("MissingAuthenticationTokenException", "SerializationException")
    assert requests.get(server.endpoint + "/health", timeout=5).status_code == 200
