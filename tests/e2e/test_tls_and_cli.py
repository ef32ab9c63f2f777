"""HTTPS serving (--tls-cert/--tls-key) and larch's own client commands (ingest, groups, streams,
tail, query) against a running server."""

from __future__ import annotations

import os
import subprocess
import time

import boto3
import pytest
import requests
from botocore.config import Config

from larch_e2e import DEFAULT_ACCOUNT, REGION, LarchServer, _free_port, larch_bin, now_ms


def _client_env(server: LarchServer) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=server.creds.access_key,
        AWS_SECRET_ACCESS_KEY=server.creds.secret_key,
        AWS_REGION=REGION,
        LARCH_ENDPOINT=server.endpoint,
    )
    return env


def _larch(server: LarchServer, *args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(larch_bin()), *args], env=_client_env(server), input=stdin, capture_output=True, timeout=timeout, check=False
    )


def test_cli_ingest_groups_streams_tail_query(server, group_name):
    lines = [f"line {i} status={'ERROR' if i % 10 == 0 else 'OK'}" for i in range(2500)]
    done = _larch(server, "ingest", group_name, "cli-stream", stdin=("\n".join(lines) + "\n").encode())
    assert done.returncode == 0, done.stderr.decode()
    assert b"2500 events" in done.stderr

    groups = _larch(server, "groups", "--prefix", group_name)
    assert groups.returncode == 0, groups.stderr.decode()
    assert group_name in groups.stdout.decode()

    streams = _larch(server, "streams", group_name)
    assert streams.returncode == 0
    assert "cli-stream" in streams.stdout.decode()

    tail = _larch(server, "tail", group_name, "--since", "1h", "--filter", "ERROR")
    assert tail.returncode == 0, tail.stderr.decode()
    printed = [l for l in tail.stdout.decode().splitlines() if l.strip()]
    assert len(printed) == 250
    assert all("status=ERROR" in l for l in printed)

    query = _larch(server, "query", "filter @message like 'ERROR' | stats count(*) as n", "--group", group_name, "--since", "1h", "--output", "csv")
    assert query.returncode == 0, query.stderr.decode()
    assert query.stdout.decode().splitlines() == ["n", "250"]


def test_cli_reports_api_errors(server):
    missing = _larch(server, "streams", "/no/such/group")
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr.decode()


def test_tls_serving(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    port = _free_port()
    env = dict(os.environ, LARCH_ACCESS_KEY_ID="AKIATLSTESTKEY000001", LARCH_SECRET_ACCESS_KEY="tls-secret", LARCH_ACCOUNT_ID=DEFAULT_ACCOUNT)
    proc = subprocess.Popen(
        [str(larch_bin()), "serve", "--listen", f"127.0.0.1:{port}", "--data", str(tmp_path / "data"),
         "--tls-cert", str(cert), "--tls-key", str(key)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        endpoint = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(endpoint + "/health", verify=str(cert), timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "TLS server did not become healthy"
            time.sleep(0.1)
        # Plain HTTP on the TLS port is refused.
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
        logs = boto3.client(
            "logs", endpoint_url=endpoint, region_name=REGION, verify=str(cert),
            aws_access_key_id="AKIATLSTESTKEY000001", aws_secret_access_key="tls-secret",
            config=Config(retries={"max_attempts": 1}),
        )
        logs.create_log_group(logGroupName="/tls/group")
        logs.create_log_stream(logGroupName="/tls/group", logStreamName="s")
        logs.put_log_events(logGroupName="/tls/group", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "over https"}])
        events = logs.get_log_events(logGroupName="/tls/group", logStreamName="s", startFromHead=True)["events"]
        assert [e["message"] for e in events] == ["over https"]
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_tls_requires_both_files(tmp_path):
    done = subprocess.run(
        [str(larch_bin()), "serve", "--listen", "127.0.0.1:0", "--data", str(tmp_path), "--tls-cert", str(tmp_path / "c.pem")],
        capture_output=True, timeout=30,
    )
    assert done.returncode != 0
    assert b"--tls-cert and --tls-key must be given together" in done.stderr
