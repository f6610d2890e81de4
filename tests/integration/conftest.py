"""Fixtures for the Parley black-box integration suite.

`server` starts `$PARLEY_BIN serve` (default: build/release/src/app/parley) on
127.0.0.1:0 in a fresh tmp data dir; `server_factory(...)` starts one with
other flags. Each server is stopped by PID at teardown (SIGTERM, SIGKILL after
a deadline). Every test runs under a SIGALRM bound (default 30 s, raise with
@pytest.mark.timeout_s(N)).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import backends  # noqa: E402
from parley_client import (  # noqa: E402
    GOOD_ORIGIN, WS, Server, parley_bin, register_and_login,
)

DEFAULT_TEST_TIMEOUT = 30


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout_s(n): hard per-test time bound in seconds")
    config.addinivalue_line("markers", "cluster: several nodes on PostgreSQL + Redis (own set-up)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    marker = item.get_closest_marker("timeout_s")
    secs = int(marker.args[0]) if marker else DEFAULT_TEST_TIMEOUT

    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded its {secs}s bound")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(secs)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def server_factory(tmp_path):
    """server_factory(send_rate=1000, allowed_origin=GOOD_ORIGIN, max_frame=None,
    max_outbound=None, extra=()) -> started Server on a fresh data dir."""
    binary = parley_bin()
    if not binary.exists():
        pytest.fail(f"parley binary not found at {binary}; build it or set PARLEY_BIN", pytrace=False)
    servers: list[Server] = []
    databases: list[str] = []

    def make(send_rate=1000, allowed_origin=GOOD_ORIGIN, max_frame=None, max_outbound=None, extra=()):
        args: list[str] = []
        if send_rate is not None:
            args += ["--send-rate", str(send_rate)]
        if allowed_origin is not None:
            args += ["--allowed-origin", allowed_origin]
        if max_frame is not None:
            args += ["--max-frame", str(max_frame)]
        if max_outbound is not None:
            args += ["--max-outbound", str(max_outbound)]
        args += list(extra)
        if backends.scaled():
            scaled = backends.scaled_args()
            databases.append(scaled[1])
            args += scaled
        data_dir = tmp_path / f"data{len(servers)}"
        s = Server(data_dir, tmp_path, args, binary=binary)
        servers.append(s)
        s.start()
        return s

    yield make
    crashed = []
    for s in servers:
        if s.proc is not None and s.proc.poll() is not None and not s.stopped_by_us:
            crashed.append((s.proc.returncode, s.stderr_tail(2000)))
        s.stop()
    for db in databases:
        backends.drop_database(db)
    if crashed:
        pytest.fail(f"server exited on its own during the test: {crashed}", pytrace=False)


@pytest.fixture
def server(server_factory) -> Server:
    """A server with a high send rate (tests send bursts) and http://good.example allowed."""
    return server_factory()


@pytest.fixture
def users(server):
    """Factory: users('alice') -> (token, user) for a fresh unique user."""
    def make(name: str, device: str = "pytest"):
        return register_and_login(server, name, device=device)
    return make
