"""pytest fixtures for larch's end-to-end suite (helpers live in larch_e2e.py)."""

from __future__ import annotations

import re
import sys
import uuid
from typing import Iterable

import pytest

from larch_e2e import LarchServer, larch_bin

# ---------------------------------------------------------------------- fixtures
_SERVER: LarchServer | None = None


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterable[LarchServer]:
    global _SERVER
    base = tmp_path_factory.mktemp("larch")
    data = base / "data"
    data.mkdir()
    srv = LarchServer(larch_bin(), data, base / "server.log")
    srv.start()
    _SERVER = srv
    try:
        yield srv
    finally:
        _SERVER = None
        try:
            srv.stop()
        except Exception as e:  # pragma: no cover - diagnostics only
            print(f"warning: stopping larch failed: {e}", file=sys.stderr)


@pytest.fixture(scope="session")
def logs(server):
    """boto3 logs client for the default account."""
    return server.logs_client()


@pytest.fixture(scope="session")
def logs_novalidate(server):
    """boto3 client with client-side parameter validation disabled (to reach server-side validation)."""
    return server.logs_client(validate=False)


def _sanitize(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", s)[:80]


@pytest.fixture
def group_name(request) -> str:
    """A unique, not yet created log group name for this test."""
    return f"/e2e/{_sanitize(request.node.name)}/{uuid.uuid4().hex[:10]}"


@pytest.fixture
def log_group(logs, group_name) -> str:
    """A created, unique log group."""
    logs.create_log_group(logGroupName=group_name)
    return group_name


@pytest.fixture
def unique() -> str:
    """A short unique token usable inside group names / patterns."""
    return "u" + uuid.uuid4().hex[:11]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed and _SERVER is not None:
        rep.sections.append(("larch server log (tail)", _SERVER.log_tail(40)))
