#!/usr/bin/env python3
"""Runs parley-bench scenarios against fresh release servers and summarises repeated runs.

    bench/run.py SCENARIO [options] [-- extra parley-bench options]

SCENARIO is a parley-bench scenario (pairs, fanout, idle, reconnect, history). With --server
socketio or ejabberd, pairs and fanout run against a peer from bench/peers/ instead of Parley
(socket.io: always on the durable PostgreSQL and Redis; ejabberd: its own Mnesia), and
parley-bench speaks that peer's protocol. Every run gets fresh
servers (fresh data dir; with --backend scaled a fresh database and an emptied Redis on the
services that scripts/services.sh starts with PARLEY_SERVICES_DURABLE=1, i.e. PostgreSQL with
fsync and synchronous_commit on). With --rates R1,R2,... each rate is run --repeat times and
the highest rate whose median p99 delivery latency is within --p99-ms, with nothing lost and
at least 95% of the target throughput, is reported as the maximum sustained rate.
Everything binds 127.0.0.1 port 0; every run is bounded by parley-bench's own limits.

CPU: "server CPU" is the chat server's own process; PostgreSQL's and Redis's process trees
(when the run uses them: --backend scaled, socket.io) are sampled over the same traffic window
(parley-bench --db-pid) and reported as db_cpu_seconds, server_db_cpu_seconds and the
*_per_server_db_cpu_second figures. SQLite and ejabberd's Mnesia run inside the server
process, so for them the two figures are the same.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from storm import StormSampler

ROOT = Path(__file__).resolve().parents[1]
PARLEY = ROOT / "build/release/src/app/parley"
BENCH = ROOT / "build/release/bench/parley_bench/parley-bench"
LISTEN_RE = re.compile(rb"parley listening on (http://127\.0\.0\.1:\d+)")
PEER_RE = re.compile(r"peer listening on (http://127\.0\.0\.1:\d+)(?: pid (\d+))?")
SOCKETIO = ROOT / "bench/peers/socketio"
EJABBERD = ROOT / "bench/peers/ejabberd/ejabberd.sh"
PROTOCOL = {"parley": "parley", "baseline": "parley", "socketio": "socketio", "ejabberd": "xmpp"}


class Services:
    """PostgreSQL (durable) + Redis from scripts/services.sh, stopped on exit."""

    def __init__(self, statements: bool = False):
        # statements: PostgreSQL counts every statement (pg_stat_statements) for StormSampler.
        env = dict(os.environ, PARLEY_SERVICES_DURABLE="1",
                   PARLEY_SERVICES_PG_STATEMENTS="1" if statements else "0")
        out = subprocess.run([str(ROOT / "scripts/services.sh"), "start"], env=env, check=True,
                             capture_output=True, text=True, timeout=120).stdout
        self.env = dict(re.findall(r"export (\w+)=(\S+)", out))
        if statements:
            StormSampler.enable(self.env["PARLEY_TEST_PG_URL"])

    def pids(self, kafka: bool = False) -> list[int]:
        """PostgreSQL's postmaster and the Redis server (and with `kafka`, the Kafka broker's
        JVM): parley-bench sums each one's process tree (backends, WAL writer,
        checkpointer...) over the traffic window (--db-pid)."""
        d = Path(self.env["PARLEY_SERVICES_DIR"])
        out = []
        files = [d / "pg/postmaster.pid", d / "redis.pid"] + ([d / "kafka/kafka.pid"] if kafka else [])
        for f in files:
            try:
                out.append(int(f.read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                raise RuntimeError(f"cannot read the service pid in {f}")
        return out

    def fresh(self, template: str | None = None) -> tuple[str, str]:
        pg = self.env["PARLEY_TEST_PG_URL"]
        name = "b_" + uuid.uuid4().hex[:12]
        create = f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
        subprocess.run(["psql", pg, "-q", "-c", create], check=True,
                       capture_output=True, timeout=120)
        redis = self.env["PARLEY_TEST_REDIS_URL"]
        subprocess.run(["redis-cli", "-u", redis, "FLUSHALL"], check=True, capture_output=True,
                       timeout=30)
        return urlunsplit(urlsplit(pg)._replace(path="/" + name)), redis

    def stop(self):
        subprocess.run([str(ROOT / "scripts/services.sh"), "stop"], env=dict(os.environ, **self.env),
                       timeout=120)


def start_server(data_dir: Path, args: list[str], binary: Path = PARLEY) -> tuple[subprocess.Popen, str]:
    # Sign-up is open for the bench's users; an older build (a baseline) has no such flag.
    help_text = subprocess.run([str(binary), "serve", "--help"], capture_output=True, text=True,
                               timeout=30).stdout
    open_signup = ["--registration", "open"] if "--registration" in help_text else []
    cmd = [str(binary), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
           "--send-rate", "1000000", "--login-per-ip", "1000000",
           "--register-per-ip", "1000000", "--register-per-minute", "1000000", "--log-level", "warn",
           *open_signup, *args]
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


def start_socketio(log: Path, db: str, redis: str) -> tuple[subprocess.Popen, str]:
    """The socket.io peer (bench/peers/socketio/server.js): one node process."""
    if not (SOCKETIO / "node_modules").is_dir():
        raise RuntimeError(f"{SOCKETIO}/node_modules is missing: run scripts/install-deps.sh --bench")
    env = dict(os.environ, DATABASE_URL=db, REDIS_URL=redis, PORT="0")
    proc = subprocess.Popen(["node", str(SOCKETIO / "server.js")], cwd=SOCKETIO, env=env,
                            stdout=subprocess.PIPE, stderr=open(log, "wb"), text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = PEER_RE.search(line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise RuntimeError(f"socket.io peer did not start; see {log}")


class Ejabberd:
    """A throwaway ejabberd from bench/peers/ejabberd/ejabberd.sh; pid is its beam.smp."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="parley-bench-ejabberd.")
        out = subprocess.run([str(EJABBERD), "start", self.dir], capture_output=True, text=True,
                             timeout=120)
        m = PEER_RE.search(out.stdout)
        if out.returncode != 0 or not m or not m.group(2):
            self.stop()
            raise RuntimeError(f"ejabberd did not start: {out.stdout}{out.stderr}")
        self.url, self.pid = m.group(1), int(m.group(2))

    def stop(self):
        subprocess.run([str(EJABBERD), "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_server(proc: subprocess.Popen):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def one_run(a, server, services, rate, extra, tmp: Path, idx: int,
            template: dict | None = None) -> dict:
    try:
        return _one_run(a, server, services, rate, extra, tmp, idx, template)
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        return {"error": f"{server}: {e}"}  # counted as a failed run; the others go on


def make_template(a, services, extra, tmp: Path) -> dict:
    """--reuse-setup: sets the users and room up once; every run starts from a copy of them.
    With --setup-dir the template is kept there (SQLite: the data dir; scaled: a pg_dump and
    the keyring) and reused by later invocations."""
    base = Path(a.setup_dir).resolve() if a.setup_dir else tmp
    t = {"dir": base / "template", "setup": base / "setup.txt", "db": None}
    dump = base / "template.pgdump"
    if a.setup_dir and t["setup"].exists():
        if a.backend == "scaled":
            db, _ = services.fresh()
            subprocess.run(["pg_restore", "--no-owner", "-d", db, str(dump)], check=True,
                           capture_output=True, timeout=a.timeout)
            t["db"] = urlsplit(db).path.lstrip("/")
        print(json.dumps({"setup_reused": str(base)}), flush=True)
        return t
    t["dir"].mkdir(parents=True)
    server_args: list[str] = []
    if a.backend == "scaled":
        db, redis = services.fresh()
        t["db"] = urlsplit(db).path.lstrip("/")
        server_args = ["--db", db, "--redis", redis,
                       "--keyring", a.keyring or str(t["dir"] / "keyring.json")]
    # With a baseline in the comparison, the baseline (the older build) makes the template:
    # the newer build migrates an older schema forward at start, never the other way round.
    maker = a.baseline if a.baseline and "baseline" in a.server.split(",") else a.parley
    p, url = start_server(t["dir"] / "node0", server_args + a.server_arg, Path(maker))
    try:
        cmd = [str(BENCH), a.scenario, "--url", url, "--setup-only", "1",
               "--setup-file", str(t["setup"]), *extra]
        started = time.monotonic()
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=a.timeout)
        print(json.dumps({"setup_seconds": round(time.monotonic() - started, 1)}), flush=True)
    finally:
        stop_server(p)
    if a.setup_dir and a.backend == "scaled":
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), db], check=True, capture_output=True,
                       timeout=a.timeout)
    return t


def _one_run(a, server, services, rate, extra, tmp: Path, idx: int,
             template: dict | None = None) -> dict:
    run_dir = tmp / f"run{idx}"
    run_dir.mkdir()
    server_args: list[str] = []
    parley = server in ("parley", "baseline")
    binary = Path(a.baseline if server == "baseline" else a.parley)
    if server == "socketio" or (parley and a.backend == "scaled"):
        db, redis = services.fresh(template["db"] if template and parley else None)
        keyring = run_dir / "keyring.json"
        if template and parley and not a.keyring:
            shutil.copy(template["dir"] / "keyring.json", keyring)
        server_args = ["--db", db, "--redis", redis, "--keyring", a.keyring or str(keyring)]
    if parley:
        server_args += a.server_arg
        if a.bus == "kafka" and a.backend == "scaled":  # a topic of its own for each run
            server_args += ["--bus", f"{services.env['PARLEY_TEST_KAFKA_URL']}?topic=bench."
                            f"{uuid.uuid4().hex[:12]}&partitions=6"]
    if template and parley:
        extra = [*extra, "--setup-file", str(template["setup"])]
    procs = []
    peer = None
    try:
        urls, pids = [], []
        if server == "ejabberd":
            peer = Ejabberd()
            urls, pids = [peer.url], [peer.pid]
        for n in range(a.nodes if server != "ejabberd" else 0):
            d = run_dir / f"node{n}"
            if server == "socketio":
                p, url = start_socketio(run_dir / f"node{n}.log", db, redis)
            else:
                if template and a.backend != "scaled":
                    shutil.copytree(template["dir"] / "node0", d)
                p, url = start_server(d, server_args, binary)
            procs.append(p)
            urls.append(url)
            pids.append(p.pid)
        cmd = [str(BENCH), a.scenario, "--json", str(run_dir / "report.json"),
               "--protocol", PROTOCOL[server]]
        for u in urls:
            cmd += ["--url", u]
        for pid in pids:
            cmd += ["--server-pid", str(pid)]
        # PostgreSQL and Redis serve this run (ejabberd's Mnesia and SQLite run inside the
        # server process and are counted with it).
        if server == "socketio" or (parley and a.backend == "scaled"):
            for pid in services.pids(kafka=a.bus == "kafka" and parley):
                cmd += ["--db-pid", str(pid)]
        if rate is not None:
            cmd += ["--rate", str(rate)]
        cmd += extra
        storm = None
        if parley and a.backend == "scaled" and a.scenario == "reconnect":
            storm = StormSampler(services.env["PARLEY_TEST_PG_URL"], urlsplit(db).path.lstrip("/"), urls)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        if storm:
            with storm:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
        else:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads((run_dir / "report.json").read_text())
        if storm:
            report.update(storm.summary(report))
            report["db_top_statements"] = storm.top()
        # The generator's own CPU (set-up included): shows when it, not the server, is the limit.
        report["bench_cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if res.returncode != 0:
            report.setdefault("error", res.stderr[-500:])
        # RSS of every server process (node, beam.smp, parley) at the end of the traffic.
        report["server_rss_kib"] = sum(srv.get("rss_kib_after", 0) for srv in report.get("servers", []))
        if parley and a.scenario == "history":
            report.update(history_sources(urls))
        return report
    finally:
        for p in procs:
            stop_server(p)
        if peer:
            peer.stop()


HISTORY_READS_RE = re.compile(r'^parley_history_reads_total\{source="(\w+)"\} (\d+)$', re.M)


def history_sources(urls: list[str]) -> dict:
    """Where the nodes' history pages came from (their /metrics, summed): this node's rendered
    page, the cache's recent events, or the store. Empty for a server without the metric."""
    reads: dict[str, int] = {}
    for u in urls:
        try:
            with urllib.request.urlopen(u + "/metrics", timeout=10) as r:
                text = r.read().decode()
        except OSError:
            return {}  # the run's own report says what went wrong with the server
        for source, n in HISTORY_READS_RE.findall(text):
            reads[source] = reads.get(source, 0) + int(n)
    total = sum(reads.values())
    if not total:
        return {}
    page, cache = reads.get("page", 0), reads.get("cache", 0)
    return {"history_reads": reads, "history_page_hit_ratio": page / total,
            "history_hit_ratio": (page + cache) / total}


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
        "requests_per_server_cpu_second", "bench_cpu_seconds", "server_rss_kib",
        "db_cpu_seconds", "server_db_cpu_seconds", "msgs_per_server_db_cpu_second",
        "deliveries_per_server_db_cpu_second", "requests_per_server_db_cpu_second",
        "db_cpu_seconds_idle", "history_hit_ratio", "history_page_hit_ratio",
        "db_statements_per_second_steady", "db_statements_per_second_storm",
        "db_storm_to_steady_ratio", "db_statements_per_resume", "storm_cache_hit_ratio"]


# Parley / peer, on the medians of the same rate step.
RATIO_KEYS = ["deliveries_per_server_cpu_second", "msgs_per_server_cpu_second",
              "deliveries_per_server_db_cpu_second", "msgs_per_server_db_cpu_second",
              "requests_per_server_cpu_second", "requests_per_server_db_cpu_second",
              "server_db_cpu_seconds",
              "deliveries_per_second", "msgs_per_second", "delivery_latency.p99_us",
              "server_cpu_seconds", "server_rss_kib", "delivery_latency.p50_us",
              "ack_latency.p99_us", "rss_bytes_per_connection", "connect_seconds",
              "resume_seconds", "requests_per_second",
              "request_latency.p99_us"]


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
    ap.add_argument("--server", default="parley",
                    help="parley, baseline, socketio or ejabberd; a comma-separated list runs them "
                         "in turn, run by run, and reports each one's medians and Parley's ratios "
                         "to them")
    ap.add_argument("--parley", default=str(PARLEY), help="the Parley server binary")
    ap.add_argument("--baseline", help="--server baseline: another Parley binary (e.g. a saved "
                    "build of the commit before a change), for before/after ratios in one session")
    ap.add_argument("--reuse-setup", action="store_true",
                    help="Parley's fanout, reconnect, idle: register the users and set the room up "
                         "once, then start every run's servers from a copy of that data")
    ap.add_argument("--setup-dir", help="with --reuse-setup: keep the template here and reuse it "
                    "in later invocations (e.g. the 10,000 registrations of S3); one per backend")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra option for every Parley server (repeatable, e.g. "
                         "--server-arg=--threads=2)")
    ap.add_argument("--backend", choices=["sqlite", "scaled"], default="sqlite")
    ap.add_argument("--keyring", default="",
                    help="--backend scaled: every Parley node's --keyring, e.g. a kms+http:// URL "
                         "(default: a keyring file per run)")
    ap.add_argument("--bus", choices=["redis", "kafka"], default="redis",
                    help="with --backend scaled: what carries events between Parley nodes "
                    "(kafka: the services' broker, a fresh topic per run; its CPU counts as db)")
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
    a.parley = str(Path(a.parley).resolve())
    if a.baseline:
        a.baseline = str(Path(a.baseline).resolve())
    servers = [x for x in a.server.split(",") if x]
    if not servers or any(x not in PROTOCOL for x in servers):
        ap.error("--server takes parley, baseline, socketio, ejabberd")
    if "baseline" in servers and not a.baseline:
        ap.error("--server baseline needs --baseline BINARY")
    if a.reuse_setup and a.scenario not in ("fanout", "reconnect", "idle"):
        ap.error("--reuse-setup: fanout, reconnect and idle only")
    if a.setup_dir and not a.reuse_setup:
        ap.error("--setup-dir needs --reuse-setup")
    if any(x not in ("parley", "baseline") for x in servers) and a.scenario not in ("pairs", "fanout"):
        ap.error("peers run pairs and fanout only")
    if "ejabberd" in servers and a.nodes > 1:
        ap.error("ejabberd runs as one node (on its own Mnesia database)")
    if a.nodes > 1 and a.backend != "scaled" and ("parley" in servers or "baseline" in servers):
        ap.error("several nodes need --backend scaled")
    # The socket.io peer always stores in PostgreSQL and shares rooms over Redis.
    need_services = a.backend == "scaled" or "socketio" in servers
    services = Services(statements=a.backend == "scaled" and a.scenario == "reconnect") \
        if need_services else None
    summary = {"scenario": a.scenario, "servers": servers, "backend": a.backend, "bus": a.bus,
               "nodes": a.nodes,
               "parley": a.parley, "baseline": a.baseline,
               "bench_args": a.extra, "by_server": {x: {"steps": []} for x in servers}}
    try:
        with tempfile.TemporaryDirectory(prefix="parley-bench.") as tmp:
            template = make_template(a, services, a.extra, Path(tmp)) if a.reuse_setup else None
            rates = [float(r) for r in a.rates.split(",") if r] or [None]
            idx = 0
            for rate in rates:
                reports = {x: [] for x in servers}
                # Servers take turns run by run, so that a noisy machine hits them alike.
                for _ in range(a.repeat):
                    for x in servers:
                        reports[x].append(one_run(a, x, services, rate, a.extra, Path(tmp), idx,
                                                  template))
                        idx += 1
                        r = reports[x][-1]
                        print(json.dumps({"server": x, "rate": rate,
                                          **{k: get(r, k) for k in KEYS if get(r, k)},
                                          **({"error": r["error"]} if "error" in r else {}),
                                          **({"db_top_statements": r["db_top_statements"]}
                                             if "db_top_statements" in r else {})}),
                              flush=True)
                for x in servers:
                    step = {"rate": rate, **summarise(reports[x])}
                    summary["by_server"][x]["steps"].append(step)
                    if rate is not None:
                        lat = "request_latency" if a.scenario == "history" else "delivery_latency"
                        tput_key = "requests_per_second" if a.scenario == "history" else "msgs_per_second"
                        p99 = step.get(lat + ".p99_us", {}).get("median", 1e18) / 1000
                        tput = step.get(tput_key, {}).get("median", 0)
                        lost = max(step.get("lost", {}).get("all", [0]))
                        step["sustained"] = (step["failed"] == 0 and p99 <= a.p99_ms and lost == 0
                                             and tput >= 0.95 * rate)
                        if step["sustained"]:
                            summary["by_server"][x]["max_sustained_rate"] = rate
                if "parley" in servers:
                    ours = summary["by_server"]["parley"]["steps"][-1]
                    for x in servers:
                        if x == "parley":
                            continue
                        theirs = summary["by_server"][x]["steps"][-1]
                        ratios = {}
                        for k in RATIO_KEYS:
                            num = ours.get(k, {}).get("median")
                            den = theirs.get(k, {}).get("median")
                            if num is not None and den:
                                ratios[k] = num / den
                        summary.setdefault("ratios", []).append({"rate": rate, "parley_over": x,
                                                                 **ratios})
    finally:
        if services:
            services.stop()
    if len(servers) == 1:
        summary.update(summary["by_server"][servers[0]])
    text = json.dumps(summary, indent=1)
    if a.out:
        Path(a.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
