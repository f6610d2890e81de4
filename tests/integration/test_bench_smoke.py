"""Smoke runs of the parley-bench load generator (bench/parley_bench, docs/benchmarks.md).

A few seconds and a handful of connections against the server under test: the tool must
finish by itself, deliver every message exactly once and write a sane JSON report. The
binary comes from $PARLEY_BENCH_BIN (default: the debug build's).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import backends
from parley_client import REPO_ROOT

DEFAULT_BENCH = REPO_ROOT / "build" / "debug" / "bench" / "parley_bench" / "parley-bench"
SOCKETIO_PEER = REPO_ROOT / "bench" / "peers" / "socketio"


def bench_bin() -> Path:
    env = os.environ.get("PARLEY_BENCH_BIN")
    path = Path(env).resolve() if env else DEFAULT_BENCH
    if not path.exists():
        pytest.fail(f"parley-bench not found at {path}; build it or set PARLEY_BENCH_BIN",
                    pytrace=False)
    return path


def run_bench(server, tmp_path, *args: str) -> dict:
    out = tmp_path / "report.json"
    cmd = [str(bench_bin()), *args, "--url", server.url, "--server-pid", str(server.proc.pid),
           "--json", str(out), "--setup-threads", "2", "--drain", "10"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=100)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(out.read_text())
    assert "error" not in report, report
    return report


def assert_all_delivered(report: dict) -> None:
    assert report["messages_sent"] > 0
    assert report["acks"] == report["messages_sent"], report
    assert report["deliveries"] > 0
    assert report["deliveries"] == report["deliveries_expected"], report
    assert report["lost"] == 0 and report["duplicates"] == 0 and report["gaps"] == 0, report
    assert report["errors"] == 0 and report["unexpected_closes"] == 0, report
    lat = report["delivery_latency"]
    assert lat["count"] == report["deliveries"]
    assert 0 < lat["p50_us"] <= lat["p99_us"] <= lat["max_us"], lat
    assert report["server_cpu_seconds"] >= 0


@pytest.mark.timeout_s(120)
def test_pairs_smoke(server_factory, tmp_path):
    server = server_factory(send_rate=100000)
    report = run_bench(server, tmp_path, "pairs", "--pairs", "3", "--rate", "30",
                       "--duration", "2")
    assert report["connections"] == 6
    assert report["messages_sent"] == 60
    assert_all_delivered(report)
    assert report["servers"][0]["rss_kib_after"] > 0


@pytest.mark.timeout_s(120)
def test_db_pid_counts_the_whole_process_tree(server_factory, tmp_path):
    """--db-pid sums a database's process tree (PostgreSQL works in child processes of its
    postmaster): a parent that only waits, with a child that spins, must show CPU."""
    server = server_factory(send_rate=100000)
    tree = subprocess.Popen(["sh", "-c", "sh -c 'while :; do :; done' & wait"],
                            start_new_session=True)
    try:
        report = run_bench(server, tmp_path, "pairs", "--pairs", "2", "--rate", "20",
                           "--duration", "2", "--db-pid", str(tree.pid))
    finally:
        os.killpg(tree.pid, signal.SIGKILL)  # the group we started: the parent and its child
        tree.wait()
    assert_all_delivered(report)
    assert [d["pid"] for d in report["databases"]] == [tree.pid]
    assert report["db_cpu_seconds"] > 0.05, report  # the spinning child, 2 s of traffic
    assert report["server_db_cpu_seconds"] == pytest.approx(
        report["server_cpu_seconds"] + report["db_cpu_seconds"])
    assert report["msgs_per_server_db_cpu_second"] < report["msgs_per_server_cpu_second"]


@pytest.mark.timeout_s(120)
def test_fanout_smoke(server_factory, tmp_path):
    server = server_factory(send_rate=100000)
    report = run_bench(server, tmp_path, "fanout", "--members", "4", "--conns-per-user", "2",
                       "--rate", "10", "--duration", "2")
    assert report["deliveries_expected"] == 20 * 7
    assert_all_delivered(report)


@pytest.mark.timeout_s(120)
def test_reconnect_smoke(server_factory, tmp_path):
    server = server_factory(send_rate=100000)
    report = run_bench(server, tmp_path, "reconnect", "--members", "3", "--conns-per-user", "2",
                       "--rate", "20", "--duration", "2")
    assert report["dropped_connections"] == 5
    assert report["resumed"] is True and report["resume_seconds"] > 0
    # The wall-clock marks bench/storm.py splits its samples at, in order and about now.
    now_ms = time.time() * 1000
    marks = [report[k] for k in ("traffic_started_unix_ms", "dropped_unix_ms", "resumed_unix_ms")]
    assert now_ms - 100_000 < marks[0] <= marks[1] <= marks[2] <= now_ms, marks
    assert abs((marks[2] - marks[1]) / 1000 - report["resume_seconds"]) < 0.01, marks
    assert_all_delivered(report)


@pytest.mark.timeout_s(120)
def test_idle_smoke(server_factory, tmp_path):
    server = server_factory()
    report = run_bench(server, tmp_path, "idle", "--conns", "20", "--users", "2",
                       "--duration", "1")
    assert report["connections"] == 20 and report["unexpected_closes"] == 0
    assert report["servers"][0]["rss_kib_connected"] > 0


@pytest.mark.timeout_s(120)
def test_history_smoke(server_factory, tmp_path):
    server = server_factory(send_rate=100000)
    report = run_bench(server, tmp_path, "history", "--rooms", "3", "--history-messages", "5",
                       "--http-conns", "2", "--rate", "20", "--duration", "2")
    assert report["requests_scheduled"] == 40
    assert report["requests_ok"] == 40 and report["errors"] == 0, report
    assert report["mean_response_bytes"] > 5 * 200
    assert report["request_latency"]["count"] == 40


@pytest.fixture
def socketio_peer(tmp_path):
    """The socket.io benchmark peer (bench/peers/socketio) on the test PostgreSQL and Redis."""
    if not (SOCKETIO_PEER / "node_modules").is_dir():
        pytest.fail(f"{SOCKETIO_PEER}/node_modules is missing: run scripts/install-deps.sh",
                    pytrace=False)
    db = backends.fresh_database()
    env = dict(os.environ, DATABASE_URL=db, REDIS_URL=backends.empty_redis(), PORT="0")
    log = open(tmp_path / "peer.log", "wb")
    proc = subprocess.Popen(["node", "server.js"], cwd=SOCKETIO_PEER, env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline()  # bounded by the test's own time limit
        m = re.search(r"peer listening on (http://127\.0\.0\.1:\d+)", line)
        assert m, f"socket.io peer did not start: {line!r} {(tmp_path / 'peer.log').read_text()}"
        yield SimpleNamespace(url=m.group(1), proc=proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        backends.drop_database(db)


@pytest.mark.timeout_s(120)
def test_socketio_pairs_smoke(socketio_peer, tmp_path):
    report = run_bench(socketio_peer, tmp_path, "pairs", "--protocol", "socketio", "--pairs", "3",
                       "--rate", "30", "--duration", "2")
    assert report["protocol"] == "socketio" and report["connections"] == 6
    assert report["messages_sent"] == 60
    assert_all_delivered(report)
    assert report["servers"][0]["rss_kib_after"] > 0


@pytest.mark.timeout_s(120)
def test_socketio_fanout_smoke(socketio_peer, tmp_path):
    report = run_bench(socketio_peer, tmp_path, "fanout", "--protocol", "socketio", "--members", "4",
                       "--conns-per-user", "2", "--rate", "10", "--duration", "2")
    assert report["deliveries_expected"] == 20 * 7
    assert_all_delivered(report)
