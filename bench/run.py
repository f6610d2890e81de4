#!/usr/bin/env python3
"""Runs parley-bench scenarios against fresh release servers and summarises repeated runs.

    bench/run.py SCENARIO [options] [-- extra parley-bench options]

SCENARIO is a parley-bench scenario (pairs, fanout, idle, reconnect, history). Every run gets fresh
servers (fresh data dir; with --backend scaled a fresh database and an emptied Redis on the
services that scripts/services.sh starts with PARLEY_SERVICES_DURABLE=1, i.e. PostgreSQL with
fsync and synchronous_commit on). With --rates R1,R2,... each rate is run --repeat times and
the highest rate whose median p99 delivery latency is within --p99-ms, with nothing lost and
at least 95% of the target throughput, is reported as the maximum sustained rate.
Everything binds 127.0.0.1 port 0; every run is bounded by parley-bench's own limits.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PARLEY = ROOT / "build/release/src/app/parley"
BENCH = ROOT / "build/release/bench/parley_bench/parley-bench"
LISTEN_RE = re.compile(rb"parley listening on (http://127\.0\.0\.1:\d+)")


class Services:
    """PostgreSQL (durable) + Redis from scripts/services.sh, stopped on exit."""

    def __init__(self):
        env = dict(os.environ, PARLEY_SERVICES_DURABLE="1")
        out = subprocess.run([str(ROOT / "scripts/services.sh"), "start"], env=env, check=True,
                             capture_output=True, text=True, timeout=120).stdout
        self.env = dict(re.findall(r"export (\w+)=(\S+)", out))

    def fresh(self) -> tuple[str, str]:
        pg = self.env["PARLEY_TEST_PG_URL"]
        name = "b_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", pg, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True, timeout=30)
        redis = self.env["PARLEY_TEST_REDIS_URL"]
        subprocess.run(["redis-cli", "-u", redis, "FLUSHALL"], check=True, capture_output=True,
                       timeout=30)
        return urlunsplit(urlsplit(pg)._replace(path="/" + name)), redis

    def stop(self):
        subprocess.run([str(ROOT / "scripts/services.sh"), "stop"], env=dict(os.environ, **self.env),
                       timeout=120)


def start_server(data_dir: Path, args: list[str]) -> tuple[subprocess.Popen, str]:
    cmd = [str(PARLEY), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
           "--send-rate", "1000000", "--login-per-ip", "1000000", "--log-level", "warn", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(data_dir.with_suffix(".log"), "wb"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = LISTEN_RE.search(line)
        if m:
            return proc, m.group(1).decode()
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


def stop_server(proc: subprocess.Popen):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def one_run(a, services, rate, extra, tmp: Path, idx: int) -> dict:
    run_dir = tmp / f"run{idx}"
    run_dir.mkdir()
    server_args: list[str] = []
    if services:
        db, redis = services.fresh()
        server_args = ["--db", db, "--redis", redis, "--keyring", str(run_dir / "keyring.json")]
    procs = []
    try:
        urls = []
        for n in range(a.nodes):
            d = run_dir / f"node{n}"
            p, url = start_server(d, server_args)
            procs.append(p)
            urls.append(url)
        cmd = [str(BENCH), a.scenario, "--json", str(run_dir / "report.json")]
        for u in urls:
            cmd += ["--url", u]
        for p in procs:
            cmd += ["--server-pid", str(p.pid)]
        if rate is not None:
            cmd += ["--rate", str(rate)]
        cmd += extra
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads((run_dir / "report.json").read_text())
        # The generator's own CPU (set-up included): shows when it, not the server, is the limit.
        report["bench_cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if res.returncode != 0:
            report.setdefault("error", res.stderr[-500:])
        return report
    finally:
        for p in procs:
            stop_server(p)


def get(r: dict, path: str):
    v = r
    for k in path.split("."):
        v = v.get(k, 0) if isinstance(v, dict) else 0
    return v


KEYS = ["msgs_per_second", "deliveries_per_second", "delivery_latency.p50_us",
        "delivery_latency.p99_us", "delivery_latency.p999_us", "delivery_latency.max_us",
        "ack_latency.p99_us", "lost", "duplicates", "gaps", "server_cpu_seconds", "deliveries_per_server_cpu_second",
        "msgs_per_server_cpu_second", "rss_bytes_per_connection", "server_cpu_seconds_idle",
        "cpu_ms_per_connection_per_minute", "resume_seconds", "connect_seconds",
        "requests_per_second", "request_latency.p50_us", "request_latency.p99_us",
        "requests_per_server_cpu_second", "bench_cpu_seconds"]


def summarise(reports: list[dict]) -> dict:
    ok = [r for r in reports if "error" not in r]
    out = {"runs": len(reports), "failed": len(reports) - len(ok)}
    for k in KEYS:
        vals = [get(r, k) for r in ok if isinstance(get(r, k), (int, float))]
        if vals and any(k2 in ok[0] for k2 in [k.split(".")[0]]):
            out[k] = {"median": statistics.median(vals), "all": vals}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=["pairs", "fanout", "idle", "reconnect", "history"])
    ap.add_argument("--backend", choices=["sqlite", "scaled"], default="sqlite")
    ap.add_argument("--nodes", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rates", default="", help="comma-separated rates to step through")
    ap.add_argument("--p99-ms", type=float, default=50.0)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out", help="write the summary JSON here")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.extra = extra
    if a.nodes > 1 and a.backend != "scaled":
        ap.error("several nodes need --backend scaled")
    services = Services() if a.backend == "scaled" else None
    summary = {"scenario": a.scenario, "backend": a.backend, "nodes": a.nodes,
               "bench_args": a.extra, "steps": []}
    try:
        with tempfile.TemporaryDirectory(prefix="parley-bench.") as tmp:
            rates = [float(r) for r in a.rates.split(",") if r] or [None]
            idx = 0
            for rate in rates:
                reports = []
                for _ in range(a.repeat):
                    reports.append(one_run(a, services, rate, a.extra, Path(tmp), idx))
                    idx += 1
                    r = reports[-1]
                    print(json.dumps({"rate": rate, **{k: get(r, k) for k in KEYS if get(r, k)},
                                      **({"error": r["error"]} if "error" in r else {})}),
                          flush=True)
                step = {"rate": rate, **summarise(reports)}
                summary["steps"].append(step)
                if rate is not None:
                    lat = "request_latency" if a.scenario == "history" else "delivery_latency"
                    tput_key = "requests_per_second" if a.scenario == "history" else "msgs_per_second"
                    p99 = step.get(lat + ".p99_us", {}).get("median", 1e18) / 1000
                    tput = step.get(tput_key, {}).get("median", 0)
                    lost = max(step.get("lost", {}).get("all", [0]))
                    step["sustained"] = (step["failed"] == 0 and p99 <= a.p99_ms and lost == 0
                                         and tput >= 0.95 * rate)
                    if step["sustained"]:
                        summary["max_sustained_rate"] = rate
    finally:
        if services:
            services.stop()
    text = json.dumps(summary, indent=1)
    if a.out:
        Path(a.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
