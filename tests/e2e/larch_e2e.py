"""Shared helpers for larch's end-to-end tests with real AWS clients.

One larch server is started per test session (free port, temporary data dir,
generated credentials).  Tests talk to it with boto3, the AWS CLI v1 and
watchtower exactly as they would talk to CloudWatch Logs.

Binary: env LARCH_BIN, else $CARGO_TARGET_DIR/debug/larch, else
<repo>/target/debug/larch.  A missing binary is an *error*, never a skip.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
JSON_CT = "application/x-amz-json-1.1"
TARGET_PREFIX = "Logs_20140328."

# Timing constants used across modules.
MINUTE_MS = 60 * 1000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Creds:
    access_key: str
    secret_key: str
    account: str


def _gen_creds(account: str) -> Creds:
    alphabet = string.ascii_uppercase + string.digits
    akid = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))
    return Creds(akid, secret, account)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def larch_bin() -> Path:
    env = os.environ.get("LARCH_BIN")
    if env:
        return Path(env)
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "debug" / "larch"
    return REPO_ROOT / "target" / "debug" / "larch"


class LarchServer:
    """Handle on the running larch server."""

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, extra_args: list[str] | None = None):
        self.binary = binary
        self.extra_args = extra_args or []
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.account = DEFAULT_ACCOUNT
        self.creds = _gen_creds(self.account)
        self.proc: subprocess.Popen | None = None
        self._log_fh = None

    # ------------------------------------------------------------------ process
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            LARCH_ACCESS_KEY_ID=self.creds.access_key,
            LARCH_SECRET_ACCESS_KEY=self.creds.secret_key,
            LARCH_ACCOUNT_ID=self.account,
        )
        env.setdefault("RUST_BACKTRACE", "1")
        return env

    def start(self, timeout: float = 30.0) -> None:
        if not self.binary.exists():
            raise RuntimeError(
                f"larch binary not found at {self.binary} (set LARCH_BIN or build it with `cargo build -p larch`)"
            )
        self._log_fh = open(self.log_path, "ab")
        self._log_fh.write(f"\n===== starting larch on port {self.port} at {time.ctime()} =====\n".encode())
        self._log_fh.flush()
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(self.data_dir)]
            + self.extra_args,
            env=self._env(),
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"larch exited with code {self.proc.returncode} during startup:\n{self.log_tail()}"
                )
            try:
                r = requests.get(self.endpoint + "/health", timeout=1)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"larch did not become healthy within {timeout}s:\n{self.log_tail()}")

    def stop(self, kill9: bool = False, timeout: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if kill9:
                self.proc.send_signal(signal.SIGKILL)
            else:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise RuntimeError(f"larch did not stop within {timeout}s after SIGTERM:\n{self.log_tail()}")
        rc = self.proc.returncode
        self.proc = None
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None
        return rc

    def restart(self, kill9: bool = False) -> int | None:
        """Stop (SIGTERM, or SIGKILL when kill9) and start again on the same port and data dir.

        Returns the exit code of the stopped process."""
        rc = self.stop(kill9=kill9)
        self.start()
        return rc

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-n:])

    # ------------------------------------------------------------------ clients
    def logs_client(self, creds: Creds | None = None, validate: bool = True, region: str = REGION):
        c = creds or self.creds
        return boto3.client(
            "logs",
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=c.access_key,
            aws_secret_access_key=c.secret_key,
            config=Config(
                # No retries: a retried PutLogEvents could duplicate events and hide server errors.
                retries={"max_attempts": 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                parameter_validation=validate,
            ),
        )

    def cli(self, *args: str, creds: Creds | None = None, check: bool = True, timeout: float = 120) -> Any:
        """Run `python -m awscli <args> --endpoint-url ... --output json` and parse stdout as JSON.

        With check=False returns the CompletedProcess instead."""
        c = creds or self.creds
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("AWS_")
        }
        env.update(
            AWS_ACCESS_KEY_ID=c.access_key,
            AWS_SECRET_ACCESS_KEY=c.secret_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_MAX_ATTEMPTS="1",
            AWS_PAGER="",
        )
        cmd = [
            sys.executable,
            "-m",
            "awscli",
            *args,
            "--endpoint-url",
            self.endpoint,
            "--region",
            REGION,
            "--output",
            "json",
        ]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if not check:
            return p
        if p.returncode != 0:
            raise AssertionError(f"aws CLI failed ({p.returncode}): {' '.join(args)}\nstderr:\n{p.stderr}")
        out = p.stdout.strip()
        return json.loads(out) if out else None

    def larch(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the larch binary (e.g. `keys create`) against this server's data dir."""
        p = subprocess.run([str(self.binary), *args], capture_output=True, text=True, timeout=60, env=self._env())
        if check and p.returncode != 0:
            raise AssertionError(f"larch {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def create_keys(self, account: str) -> Creds:
        p = self.larch("keys", "create", "--data", str(self.data_dir), "--account", account)
        vals = dict(re.findall(r"^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)=(\S+)\s*$", p.stdout, re.M))
        assert set(vals) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, f"unexpected output: {p.stdout!r}"
        return Creds(vals["AWS_ACCESS_KEY_ID"], vals["AWS_SECRET_ACCESS_KEY"], account)

    # ------------------------------------------------------------------ raw HTTP
    def raw(
        self,
        operation: str | None,
        payload: Any = None,
        *,
        body: bytes | None = None,
        creds: Creds | None = None,
        sign: bool = True,
        headers: dict[str, str] | None = None,
        target: str | None = None,
    ) -> requests.Response:
        """POST / with the awsJson1_1 protocol.  `operation` is the bare name (e.g. "DescribeLogGroups");
        pass `target` to send an arbitrary X-Amz-Target; `body` overrides the JSON encoding of payload."""
        if body is None:
            body = json.dumps({} if payload is None else payload).encode()
        h = {"Content-Type": JSON_CT}
        if target is not None:
            h["X-Amz-Target"] = target
        elif operation is not None:
            h["X-Amz-Target"] = TARGET_PREFIX + operation
        if headers:
            h.update(headers)
        url = self.endpoint + "/"
        if sign:
            c = creds or self.creds
            req = AWSRequest(method="POST", url=url, data=body, headers=h)
            SigV4Auth(Credentials(c.access_key, c.secret_key), "logs", REGION).add_auth(req)
            h = dict(req.headers.items())
        return requests.post(url, data=body, headers=h, timeout=60)


# ---------------------------------------------------------------------- helpers
def error_of(excinfo) -> tuple[str, str, int]:
    """(code, message, http status) of a botocore ClientError captured by pytest.raises."""
    resp = excinfo.value.response
    return (
        resp["Error"]["Code"],
        resp["Error"].get("Message", ""),
        resp["ResponseMetadata"]["HTTPStatusCode"],
    )


def raw_error(resp: requests.Response) -> tuple[str, str]:
    """(code, message) from a raw awsJson1_1 error answer, normalising `__type` like botocore does."""
    code = resp.headers.get("x-amzn-ErrorType", "")
    message = ""
    try:
        doc = resp.json()
    except ValueError:
        doc = {}
    if isinstance(doc, dict):
        code = doc.get("__type", code) or code
        message = doc.get("message", doc.get("Message", "")) or ""
    code = code.split("#")[-1].split(":")[0]
    return code, message


def put_events(logs, group: str, stream: str, events: list[tuple[int, str]], **kw) -> dict:
    return logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": ts, "message": msg} for ts, msg in events],
        **kw,
    )


def filter_all(logs, max_pages: int = 1000, **kw) -> list[dict]:
    """FilterLogEvents paged by hand until nextToken is absent."""
    out: list[dict] = []
    token = None
    for _ in range(max_pages):
        args = dict(kw)
        if token:
            args["nextToken"] = token
        page = logs.filter_log_events(**args)
        out.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return out
    raise AssertionError(f"FilterLogEvents did not finish within {max_pages} pages")


def group_arn(account: str, name: str, region: str = REGION) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{name}"


def wait_until(pred, timeout: float = 5.0, interval: float = 0.1):
    """Poll pred() until truthy; returns the last value (for eventually-consistent fields)."""
    deadline = time.monotonic() + timeout
    val = pred()
    while not val and time.monotonic() < deadline:
        time.sleep(interval)
        val = pred()
    return val


def client_error(fn, *args, **kwargs) -> tuple[str, str, int]:
    """Call fn expecting a botocore ClientError; return (code, message, http status)."""
    from botocore.exceptions import ClientError

    try:
        result = fn(*args, **kwargs)
    except ClientError as e:
        return (
            e.response["Error"]["Code"],
            e.response["Error"].get("Message", ""),
            e.response["ResponseMetadata"]["HTTPStatusCode"],
        )
    raise AssertionError(f"expected an error from {getattr(fn, '__name__', fn)}, got success: {result!r}")


def floor_to(ms: int, unit_ms: int) -> int:
    return ms - ms % unit_ms


def wait_query(logs, query_id: str, timeout: float = 30.0) -> dict:
    """Polls GetQueryResults until the query is Complete (any other end state fails the test)."""
    deadline = time.monotonic() + timeout
    while True:
        res = logs.get_query_results(queryId=query_id)
        assert res["status"] in ("Scheduled", "Running", "Complete"), res
        if res["status"] == "Complete":
            return res
        assert time.monotonic() < deadline, f"query not Complete after {timeout}s: {res['status']}"
        time.sleep(0.1)
