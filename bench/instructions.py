#!/usr/bin/python3
"""Instructions per operation of a Parley server, counted by callgrind: figures noise cannot move.

    bench/instructions.py [--binary PATH] [--backend sqlite|scaled] [--repeat 3]
                          [--scenarios send,fanout,history] [--json FILE]

(bench/instructions.sh is the entry point; it runs this with Debian's python3, which has the
`websockets` module the integration suite uses.)

Method. Each run takes a fresh data dir (with --backend scaled: a fresh PostgreSQL database
and an emptied Redis on the services scripts/services.sh starts, as bench/run.py does):
1. set-up on the server run natively (registrations with their argon2 hashes, logins, the
   room, the joins, the history), then that server is stopped;
2. the same binary on the same data, started under
   `valgrind --tool=callgrind --instr-atstart=no`: nothing is counted while the WebSockets
   connect and say hello and while a warm-up of the workload runs (statements prepared,
   caches filled, the page cache holding the history page);
3. `callgrind_control --instr=on` then `--zero`, the fixed workload, `--dump`: the dump's
   `summary:` line is every instruction the server's threads executed during the workload
   (the client runs outside valgrind and is not counted; nor are PostgreSQL and Redis);
4. instructions / operations, and the server is stopped by its PID.
The workload is closed-loop: one operation at a time, the next one only after the previous
one was answered everywhere, so the server always sees the same sequence of single
requests whatever the machine's speed, and no batching can depend on timing. Timers that
could fire inside the window are pushed out of it (`--presence-lease-ms 3600000`; the
upload sweep runs hourly at the default TTL); what is left is the server's own code per
operation, repeatable to a small fraction of a percent.

Scenarios (the operation counted, the divisor):
- send: a 1:1 room, the sender's socket sends a 200-byte message, waits for its ack and for
  the event on the peer's socket (and its own echo): instructions per durable send;
- fanout: one sender and --sockets receiving sockets in one room; each send waits until
  every socket got the event: instructions per delivery (every event frame sent, the
  sender's echo included; the send's own cost is spread over its deliveries, as in S3);
- history: one room holding 50 messages; `GET /api/v1/rooms/{id}/messages?limit=50` on
  one keep-alive connection, one at a time: instructions per cached history read.
Everything listens on 127.0.0.1 port 0 and every wait is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from run import PARLEY, Services  # noqa: E402  (bench/run.py: the services, as run.py uses them)

LISTEN_RE = re.compile(rb"parley listening on http://127\.0\.0\.1:(\d+)")
PASSWORD = "correct horse battery staple"
TEXT = "x" * 200
WAIT = 120.0  # bound of any single wait (valgrind makes the server 20-100x slower)
SERVER_ARGS = ["--send-rate", "1000000", "--login-per-ip", "1000000",
               "--login-per-account-ip", "1000000", "--register-per-ip", "1000000",
               "--register-per-minute", "1000000", "--presence-lease-ms", "3600000",
               "--log-level", "warn", "--registration", "open"]


class ScaledServices(Services):
    """bench/run.py's services (PostgreSQL with fsync and synchronous_commit on, Redis), but not
    waiting for the ones this script does not use (Kafka's JVM) and with a longer bound: on a
    loaded machine their start takes minutes. Stopped by scripts/services.sh stop (by PID)."""

    def __init__(self):
        env = dict(os.environ, PARLEY_SERVICES_DURABLE="1", PARLEY_SERVICES_BACKGROUND="1")
        self.env = {}
        proc = subprocess.run([str(BENCH_DIR.parent / "scripts/services.sh"), "start"], env=env,
                              capture_output=True, text=True, timeout=600)
        self.env = dict(re.findall(r"export (\w+)=(\S+)", proc.stdout))
        if proc.returncode != 0:
            self.stop()
            raise RuntimeError(f"scripts/services.sh start failed: {proc.stderr[-500:]}")


def known_options(binary: str, pairs: list[str]) -> list[str]:
    """SERVER_ARGS less the options an older build (a baseline) does not have."""
    text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True,
                          timeout=30).stdout
    out = []
    for name, value in zip(pairs[::2], pairs[1::2]):
        if re.search(rf"^\s+{re.escape(name)}\b", text, re.M):
            out += [name, value]
    return out


class Server:
    """`parley serve` on 127.0.0.1:0, natively or under callgrind; stopped by its PID."""

    def __init__(self, binary: str, data_dir: Path, args: list[str], callgrind_out: Path | None):
        cmd = [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
               *known_options(binary, SERVER_ARGS), *args]
        if callgrind_out:
            cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={callgrind_out}", "--vgdb=yes", *cmd]
        self.log = open(data_dir.with_suffix(".log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = LISTEN_RE.search(line)
            if m:
                self.port = int(m.group(1))
                return
        self.stop()
        raise RuntimeError(f"server did not start: {' '.join(cmd)} (see {self.log.name})")

    def callgrind(self, *opts: str) -> str:
        out = subprocess.run(["callgrind_control", *opts, str(self.proc.pid)], check=True,
                             capture_output=True, text=True, timeout=WAIT)
        return out.stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Http:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)

    def call(self, method: str, path: str, body=None, token: str | None = None, want=200):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request(method, "/api/v1" + path,
                          body=None if body is None else json.dumps(body), headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != want:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
        return json.loads(data) if data else None


def set_up(port: int, scenario: str, sockets: int) -> dict:
    """Users, the room and (history) its 50 messages, on the native server."""
    h = Http(port)
    users = 2 if scenario == "send" else 1 + min(sockets, 10)
    tokens = []
    for i in range(users):
        name = f"ib{i:03d}"
        h.call("POST", "/register", {"username": name, "password": PASSWORD}, want=201)
        tokens.append(h.call("POST", "/login", {"username": name, "password": PASSWORD})["token"])
    if scenario == "send":
        room = h.call("POST", "/direct", {"username": "ib001"}, token=tokens[0])["room"]["id"]
    else:
        room = h.call("POST", "/rooms", {"name": "bench", "public": True}, token=tokens[0],
                      want=201)["room"]["id"]
        for t in tokens[1:]:
            h.call("POST", f"/rooms/{room}/join", token=t)
    if scenario == "history":
        for i in range(50):
            h.call("POST", f"/rooms/{room}/messages", {"client_msg_id": f"h-{i:06d}", "text": TEXT},
                   token=tokens[0], want=201)
    return {"tokens": tokens, "room": room}


async def connect(port: int, token: str):
    ws = await asyncio.wait_for(websockets.connect(
        f"ws://127.0.0.1:{port}/api/v1/ws", compression=None, ping_interval=None,
        max_size=2 ** 22, close_timeout=5), WAIT)
    await ws.send(json.dumps({"type": "hello", "token": token}))
    while json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] != "caught_up":
        pass
    return ws


async def expect_event(ws, room: int, seq: int):
    while True:
        f = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if f["type"] == "event" and f["event"]["room"] == room and f["event"]["seq"] == seq:
            return
        if f["type"] == "error":
            raise RuntimeError(f"error frame: {f}")


async def ws_workload(srv: Server, setup: dict, scenario: str, n: int, warm: int,
                      sockets: int) -> tuple[int, int]:
    tokens, room = setup["tokens"], setup["room"]
    sender = await connect(srv.port, tokens[0])
    if scenario == "send":
        receivers = [await connect(srv.port, tokens[1])]
    else:  # --sockets spread over the members other than the sender, round robin
        receivers = [await connect(srv.port, tokens[1 + i % (len(tokens) - 1)])
                     for i in range(sockets)]
    # The sender's own socket gets each event too (after or before the ack): wait for it, so
    # that it is part of every round and nothing is in flight at the dump.
    everyone = receivers + [sender]
    for k in range(1, warm + 1):
        await send_seq(sender, everyone, room, k)
    srv.callgrind("--instr=on")
    srv.callgrind("--zero")
    deliveries = 0
    for k in range(warm + 1, warm + n + 1):
        deliveries += await send_seq(sender, everyone, room, k)
    srv.callgrind("--dump=workload")
    for ws in everyone:
        await ws.close()
    return n, deliveries


async def send_seq(sender, everyone: list, room: int, k: int) -> int:
    """Sends message k and waits for its ack and for its event on every socket (the sender's
    included; frames are read in order, so an echo before the ack is kept for the wait)."""
    await sender.send(json.dumps({"type": "send", "req": k, "room": room,
                                  "client_msg_id": f"c-{k:08d}", "text": TEXT}))
    early = []
    while True:
        f = json.loads(await asyncio.wait_for(sender.recv(), WAIT))
        if f["type"] == "ack" and f.get("req") == k:
            seq = f["seq"]
            break
        if f["type"] == "error":
            raise RuntimeError(f"send refused: {f}")
        early.append(f)
    got_echo = any(f["type"] == "event" and f["event"]["seq"] == seq for f in early)
    waits = [expect_event(ws, room, seq) for ws in everyone if ws is not sender or not got_echo]
    await asyncio.gather(*waits)
    return len(everyone)


def history_workload(srv: Server, setup: dict, n: int, warm: int) -> tuple[int, int]:
    h = Http(srv.port)
    path = f"/rooms/{setup['room']}/messages?limit=50"
    for _ in range(warm):
        h.call("GET", path, token=setup["tokens"][0])
    srv.callgrind("--instr=on")
    srv.callgrind("--zero")
    for _ in range(n):
        page = h.call("GET", path, token=setup["tokens"][0])
        if len(page["messages"]) != 50:
            raise RuntimeError(f"history page of {len(page['messages'])} messages")
    srv.callgrind("--dump=workload")
    h.conn.close()
    return n, n


def dump_total(out_file: Path) -> int:
    """The `summary:` line (total Ir over every thread) of the first dump: the workload's."""
    dump = Path(f"{out_file}.1")
    m = re.search(r"^summary:\s*(\d+)", dump.read_text(errors="replace"), re.M)
    if not m:
        raise RuntimeError(f"no summary line in {dump}")
    return int(m.group(1))


def one_run(a, scenario: str, services, tmp: Path, idx: int) -> dict:
    run_dir = tmp / f"{scenario}{idx}"
    run_dir.mkdir()
    data = run_dir / "data"
    args: list[str] = []
    if services:
        db, redis = services.fresh()
        args = ["--db", db, "--redis", redis, "--keyring", str(run_dir / "keyring.json")]
    native = Server(a.binary, data, args, None)
    try:
        setup = set_up(native.port, scenario, a.sockets)
    finally:
        native.stop()
    out = run_dir / "callgrind.out"
    srv = Server(a.binary, data, args, out)
    try:
        started = time.monotonic()
        if scenario == "history":
            ops, units = history_workload(srv, setup, a.reads, a.warm)
        else:
            n = a.sends if scenario == "send" else a.fanout_sends
            ops, units = asyncio.run(ws_workload(srv, setup, scenario, n, a.warm, a.sockets))
        seconds = time.monotonic() - started
    finally:
        srv.stop()
    total = dump_total(out)
    # A durable send is counted per send (its ack and its two deliveries included); fan-out per
    # delivery; a history read per read.
    per = total / (ops if scenario == "send" else units)
    return {"scenario": scenario, "sends_or_reads": ops, "deliveries": units if scenario != "history" else 0,
            "instructions": total, "per": per, "seconds": round(seconds, 1)}


UNIT = {"send": "durable send", "fanout": "delivery", "history": "history read"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(PARLEY), help="the parley binary to measure")
    ap.add_argument("--backend", choices=["sqlite", "scaled"], default="sqlite")
    ap.add_argument("--scenarios", default="send,fanout,history")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sends", type=int, default=200, help="send: messages counted")
    ap.add_argument("--fanout-sends", type=int, default=40, help="fanout: messages counted")
    ap.add_argument("--sockets", type=int, default=50, help="fanout: receiving sockets")
    ap.add_argument("--reads", type=int, default=400, help="history: reads counted")
    ap.add_argument("--warm", type=int, default=20, help="operations run before counting")
    ap.add_argument("--json", help="write every run and the medians here")
    ap.add_argument("--keep", help="keep the runs' data and callgrind dumps in this new directory "
                    "(for callgrind_annotate DIR/SCENARIO0/callgrind.out.1)")
    a = ap.parse_args()
    a.binary = str(Path(a.binary).resolve())
    scenarios = [s for s in a.scenarios.split(",") if s]
    if any(s not in UNIT for s in scenarios):
        ap.error("--scenarios takes send, fanout, history")
    services = ScaledServices() if a.backend == "scaled" else None
    runs: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="parley-instr.") as tmp:
            if a.keep:
                Path(a.keep).mkdir(parents=True)
                tmp = a.keep
            for s in scenarios:
                for i in range(a.repeat):
                    r = one_run(a, s, services, Path(tmp), i)
                    runs.append(r)
                    print(json.dumps(r), file=sys.stderr, flush=True)
    finally:
        if services:
            services.stop()
    rows = []
    print(f"binary {a.binary}, backend {a.backend}, {a.repeat} runs each")
    print(f"{'instructions per':<18} {'median':>12} {'min':>12} {'max':>12} {'spread':>8}  counted")
    for s in scenarios:
        vals = [r["per"] for r in runs if r["scenario"] == s]
        med = statistics.median(vals)
        spread = (max(vals) - min(vals)) / med
        first = [r for r in runs if r["scenario"] == s][0]
        counted = first["deliveries"] if s == "fanout" else first["sends_or_reads"]
        rows.append({"scenario": s, "unit": UNIT[s], "median": med, "all": vals,
                     "spread": spread, "counted": counted})
        print(f"{UNIT[s]:<18} {med:>12,.0f} {min(vals):>12,.0f} {max(vals):>12,.0f} "
              f"{spread:>7.3%}  {counted}")
    if a.json:
        Path(a.json).write_text(json.dumps({"binary": a.binary, "backend": a.backend,
                                            "rows": rows, "runs": runs}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
