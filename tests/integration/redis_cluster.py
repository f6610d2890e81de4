"""The test Redis Cluster (3 masters + 3 replicas, started by scripts/services/redis-cluster.sh):
its URL, emptying it, and the faults the cluster tests strike with: kill -9 of a master (by
PID) and moving a slot to another master (CLUSTER SETSLOT / MIGRATE, as `redis-cli --cluster
reshard` does). Every wait is a bounded poll of a condition.
"""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest


def url() -> str:
    u = os.environ.get("PARLEY_TEST_REDIS_CLUSTER_URL")
    if not u:
        pytest.fail("PARLEY_TEST_REDIS_CLUSTER_URL is not set: run through scripts/test.sh, which "
                    "starts the Redis Cluster", pytrace=False)
    return u


def ports() -> list[int]:
    return [int(a.rsplit(":", 1)[1]) for a in url().split("://", 1)[1].split(",")]


def _dir() -> str:
    return os.environ["PARLEY_TEST_REDIS_CLUSTER_DIR"]


def cli(port: int, *args: str, check: bool = True) -> str:
    p = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True,
                       timeout=30)
    if check and (p.returncode != 0 or p.stdout.startswith("ERR") or "(error)" in p.stdout):
        raise AssertionError(f"redis-cli -p {port} {' '.join(args)}: {p.stdout} {p.stderr}")
    return p.stdout


def alive(port: int) -> bool:
    try:
        return "PONG" in cli(port, "PING", check=False)
    except subprocess.TimeoutExpired:
        return False


def _any_alive() -> int:
    for p in ports():
        if alive(p):
            return p
    raise AssertionError("no node of the test cluster answers")


def nodes(port: int | None = None) -> list[dict]:
    """CLUSTER NODES as seen by `port` (or any live node)."""
    out = []
    for line in cli(port or _any_alive(), "CLUSTER", "NODES").splitlines():
        f = line.split()
        if len(f) < 8:
            continue
        slots = []
        for s in f[8:]:
            if s.startswith("["):
                continue  # a migration in progress
            a, _, b = s.partition("-")
            slots.append((int(a), int(b or a)))
        out.append({"id": f[0], "port": int(f[1].split("@")[0].rsplit(":", 1)[1]),
                    "flags": f[2].split(","), "master": f[3], "link": f[7], "slots": slots})
    return out


def owner(slot: int, port: int | None = None) -> dict | None:
    for n in nodes(port):
        if "master" in n["flags"] and "fail" not in n["flags"] and \
                any(a <= slot <= b for a, b in n["slots"]):
            return n
    return None


def keyslot(key: str) -> int:
    return int(cli(_any_alive(), "CLUSTER", "KEYSLOT", key).strip())


def room_slots(room_id: int, prefix: str = "parley:") -> set[int]:
    """The slots a room lives in: its bus channel and its cache run (hash tag: the room id)."""
    return {keyslot(f"{prefix}room:{room_id}"), keyslot(str(room_id))}


def wait_until(cond, what: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling interval of a bounded wait


def healthy() -> bool:
    for p in ports():
        if not alive(p):
            return False
        info = cli(p, "CLUSTER", "INFO", check=False)
        if "cluster_state:ok" not in info:
            return False
        ns = nodes(p)
        # A restarted old master is a slotless master until it turns replica: not yet healthy.
        if sum("slave" in n["flags"] for n in ns) != len(ports()) // 2:
            return False
        if len(ns) != len(ports()) or any("fail" in n["flags"] or "fail?" in n["flags"] or
                                          n["link"] != "connected" for n in ns):
            return False
    return True


def flush() -> str:
    """Empties every master (tests run one at a time) and returns the cluster URL."""
    for n in nodes():
        if "master" in n["flags"] and "fail" not in n["flags"]:
            cli(n["port"], "FLUSHALL")
    return url()


def kill_master(port: int) -> None:
    with open(f"{_dir()}/node-{port}.pid") as f:
        pid = int(f.read().strip())
    os.kill(pid, 9)


def restart_node(port: int) -> None:
    """Starts a killed node again with its own nodes.conf: it rejoins as a replica."""
    conf = f"{_dir()}/nodes-{port}.conf"
    with open(conf) as f:
        bus = int(re.search(r":\d+@(\d+)\S* myself", f.read()).group(1))
    subprocess.run(["redis-server", "--port", str(port), "--cluster-port", str(bus), "--bind",
                    "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", conf,
                    "--cluster-node-timeout", "3000", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--pidfile", f"{_dir()}/node-{port}.pid", "--dir", _dir(),
                    "--logfile", f"{_dir()}/node-{port}.log"], check=True, timeout=30,
                   stdout=subprocess.DEVNULL)
    wait_until(healthy, "the restarted node to rejoin a healthy cluster", 90)


def move_slot(slot: int, to_port: int) -> None:
    """Moves `slot` with its keys to the master on `to_port`, as redis-cli reshard does."""
    src = owner(slot)
    dst = next(n for n in nodes() if n["port"] == to_port)
    assert src and src["port"] != to_port
    s = str(slot)
    cli(to_port, "CLUSTER", "SETSLOT", s, "IMPORTING", src["id"])
    cli(src["port"], "CLUSTER", "SETSLOT", s, "MIGRATING", dst["id"])
    while True:
        keys = cli(src["port"], "CLUSTER", "GETKEYSINSLOT", s, "100").split()
        if not keys:
            break
        cli(src["port"], "MIGRATE", "127.0.0.1", str(to_port), "", "0", "5000", "KEYS", *keys)
    for p in [to_port, src["port"]] + [n["port"] for n in nodes() if "master" in n["flags"]
                                       and n["port"] not in (to_port, src["port"])]:
        cli(p, "CLUSTER", "SETSLOT", s, "NODE", dst["id"])
    wait_until(lambda: all((owner(slot, p) or {}).get("port") == to_port for p in ports()
                           if alive(p)), f"every node to see slot {slot} at {to_port}", 30)
