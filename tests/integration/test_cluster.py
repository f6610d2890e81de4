"""Several stateless nodes on one PostgreSQL and one Redis (issue: scaled-out Parley).

Every node is a real `parley serve` with --db and --redis; clients talk to whichever node
they like, as behind a load balancer. Faults are real: Redis and PostgreSQL restarts and
kill -9 of a node, each under live traffic.

Every test runs on one Redis with Redis pub/sub between the nodes (`redis`), on one Redis
with Kafka between them (`kafka`), and on the test Redis Cluster of 3 masters and 3 replicas
(`redis-cluster`, --redis redis+cluster://seeds). The cluster also takes a kill -9 of the
master serving a busy room, and a reshard of that room's slots, both under traffic.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import time

import pytest

import backends
import redis_cluster
from parley_client import (
    WS, Server, connect_ready, create_room, history, is_event, is_type, join, login, new_cmid,
    parley_bin, register, register_and_login, run, saw_online,
)

pytestmark = pytest.mark.cluster


class Cluster:
    def __init__(self, tmp_path, n: int, extra=(), bus: str = "redis", redis: str = "redis"):
        self.kind = redis
        self.db = backends.fresh_database()
        self.redis = redis_cluster.flush() if redis == "redis-cluster" else backends.empty_redis()
        self.keyring = tmp_path / "shared-keyring.json"  # every node must hold the same keys
        self.bus = bus
        bus_args = ["--bus", backends.kafka_bus_url()] if bus == "kafka" else []
        self.nodes: list[Server] = []
        for i in range(n):
            args = ["--db", self.db, "--redis", self.redis, "--keyring", str(self.keyring),
                    "--send-rate", "100000", *bus_args, *extra]
            s = Server(tmp_path / f"node{i}", tmp_path, args, binary=parley_bin())
            self.nodes.append(s)
            s.start()

    def stop(self) -> list:
        crashed = []
        for s in self.nodes:
            if s.proc is not None and s.proc.poll() is not None and not s.stopped_by_us:
                crashed.append((s.proc.returncode, s.stderr_tail(2000)))
            s.stop()
        return crashed


def _factory(tmp_path, setup: str):
    """setup: "redis" (one Redis, its pub/sub as the bus), "kafka" (one Redis, --bus kafka://)
    or "redis-cluster" (the Redis Cluster for cache and bus)."""
    made: list[Cluster] = []
    bus = "kafka" if setup == "kafka" else "redis"
    redis = "redis-cluster" if setup == "redis-cluster" else "redis"

    def make(n=3, extra=()):
        c = Cluster(tmp_path, n, extra, bus=bus, redis=redis)
        made.append(c)
        return c
    yield make
    crashed = [x for c in made for x in c.stop()]
    for c in made:
        backends.drop_database(c.db)
    if crashed:
        pytest.fail(f"a node exited on its own: {crashed}", pytrace=False)


# Every multi-node test runs three times: with Redis pub/sub between the nodes, with Kafka
# (--bus kafka://...; Redis still keeps the cache, presence, sessions and limits), and on the
# Redis Cluster.
@pytest.fixture(params=["redis", "kafka", "redis-cluster"])
def cluster_factory(request, tmp_path):
    yield from _factory(tmp_path, request.param)


# Faults of the one Redis (the cluster's own faults are the last two tests).
@pytest.fixture(params=["redis", "kafka"])
def single_redis_factory(request, tmp_path):
    yield from _factory(tmp_path, request.param)


@pytest.fixture
def redis_cluster_factory(tmp_path):
    yield from _factory(tmp_path, "redis-cluster")


def seqs_of(ws: WS, room: int) -> list[int]:
    return [e["seq"] for e in ws.events(room) if e["kind"] == "message"]


@pytest.mark.timeout_s(60)
def test_users_on_different_nodes_chat_live_and_see_presence(cluster_factory):
    c = cluster_factory(3)
    n0, n1, n2 = c.nodes
    a, au = register_and_login(n0, "clua")
    b, bu = register_and_login(n1, "club")
    room = create_room(n2, a, "across")
    join(n1, b, room["id"])
    rid = room["id"]

    async def body():
        async with await connect_ready(n0, a, name="A@n0") as wa, \
                await connect_ready(n1, b, name="B@n1") as wb:
            a_online = (lambda f: f.get("type") == "presence" and f["user"]["id"] == au["id"]
                        and f["online"])
            if not saw_online(wb, au["id"]):  # in the snapshot after ready, or live
                await wb.recv_until(a_online, timeout=10, what="A online across nodes")
            ack = await wa.send_msg(rid, "from node 0")
            got = await wb.recv_until(is_event(room=rid, seq=ack["seq"]), timeout=10)
            assert got["event"]["text"] == "from node 0"
            ack2 = await wb.send_msg(rid, "from node 1")
            got = await wa.recv_until(is_event(room=rid, seq=ack2["seq"]), timeout=10)
            assert got["event"]["text"] == "from node 1"
    run(body(), timeout=50)


@pytest.mark.timeout_s(60)
def test_user_moves_from_node_a_to_c_and_resumes(cluster_factory):
    c = cluster_factory(3)
    n0, n1, n2 = c.nodes
    a, _ = register_and_login(n0, "mova")
    m, _ = register_and_login(n0, "movm")
    rid = create_room(n0, a, "moving")["id"]
    join(n0, m, rid)

    async def body():
        wa = await connect_ready(n1, a, name="A@n1")
        wm = await connect_ready(n0, m, name="M@n0")
        first = [(await wa.send_msg(rid, f"before {i}"))["seq"] for i in range(5)]
        await wm.recv_until(is_event(room=rid, seq=first[-1]), timeout=10)
        await wm.close()
        missed = [(await wa.send_msg(rid, f"while away {i}"))["seq"] for i in range(7)]
        wm2 = WS(n2, m, name="M@n2")
        await wm2.connect()
        _, replay = await wm2.hello_caught_up(resume={rid: first[-1]}, timeout=15)
        assert [f["event"]["seq"] for f in replay if f.get("type") == "event"] == missed
        live = await wa.send_msg(rid, "after")
        await wm2.recv_until(is_event(room=rid, seq=live["seq"]), timeout=10)
        assert seqs_of(wm2, rid) == missed + [live["seq"]]
        await wm2.close()
        await wa.close()
    run(body(), timeout=50)


@pytest.mark.timeout_s(240)
def test_twenty_senders_on_three_nodes_one_room_gapless(cluster_factory):
    """20 senders on 3 nodes, 5,000 messages into one room: seqs are 1..5000 without gap
    or repeat, and a receiver on each node sees every message exactly once, in order."""
    c = cluster_factory(3)
    owner, _ = register_and_login(c.nodes[0], "conc-owner")
    rid = create_room(c.nodes[0], owner, "firehose")["id"]
    senders = []
    for i in range(20):
        t, _ = register_and_login(c.nodes[i % 3], f"conc{i}")
        join(c.nodes[i % 3], t, rid)
        senders.append((c.nodes[i % 3], t))
    readers = []
    for i in range(3):
        t, _ = register_and_login(c.nodes[i], f"concr{i}")
        join(c.nodes[i], t, rid)
        readers.append((c.nodes[i], t))
    per_sender = 250
    total = per_sender * len(senders)

    async def send_all(node, token, k):
        ws = await connect_ready(node, token, name=f"S{k}")
        seqs = []
        window = 10  # pipelined sends in flight per sender
        pending = []
        for j in range(per_sender):
            req = ws.next_req()
            await ws.send_json({"type": "send", "req": req, "room": rid,
                                "client_msg_id": f"s{k}-{j}", "text": f"{k}:{j}"})
            pending.append(req)
            if len(pending) >= window or j == per_sender - 1:
                for r in pending:
                    f = await ws.recv_until(lambda f, r=r: f.get("req") == r, timeout=60)
                    assert f["type"] == "ack", f
                    seqs.append(f["seq"])
                    ws.frames = [x for x in ws.frames if x.get("type") != "event"]
                    ws.pending = [x for x in ws.pending if x.get("type") != "event"]
                pending = []
        await ws.close()
        return seqs

    async def body():
        rs = [await connect_ready(node, t, name=f"R{i}") for i, (node, t) in enumerate(readers)]
        results = await asyncio.gather(*(send_all(n, t, k) for k, (n, t) in enumerate(senders)))
        acked = sorted(s for r in results for s in r)
        assert acked == list(range(1, total + 1))
        for r in rs:
            await r.recv_until(is_event(room=rid, seq=total), timeout=60, what=f"{r.name} last")
            assert seqs_of(r, rid) == list(range(1, total + 1)), r.name
            await r.close()
    run(body(), timeout=230)


async def _traffic(nodes, token, rid, count, tag, on_half=None):
    """Sends `count` messages round-robin over `nodes`, retrying each (same client_msg_id)
    across node failures until acked. Returns {client_msg_id: seq}."""
    acked = {}
    ws = None
    k = 0
    for i in range(count):
        cmid = f"{tag}-{i}"
        if i == count // 2 and on_half:
            await on_half()
        while cmid not in acked:
            try:
                if ws is None:
                    ws = await connect_ready(nodes[k % len(nodes)], token, name=f"{tag}-ws")
                f = await ws.request({"type": "send", "room": rid, "client_msg_id": cmid,
                                      "text": f"{tag} {i}"}, timeout=10)
                if f["type"] == "ack":
                    acked[cmid] = f["seq"]
                else:
                    assert f["code"] in ("unavailable", "internal"), f  # retryable
            except Exception:  # the node went away: reconnect elsewhere and retry
                if ws is not None:
                    try:
                        await ws.close()
                    except Exception:
                        pass
                ws = None
                k += 1
    if ws is not None:
        await ws.close()
    return acked


def _check_all(node, token, rid, acked, readers):
    msgs = history(node, token, rid, limit=200)["messages"]
    seen, before = [], None
    while True:
        page = history(node, token, rid, limit=200, **({"before": before} if before else {}))
        seen = page["messages"] + seen
        if not page["has_more"]:
            break
        before = page["messages"][0]["seq"]
    by_cmid = {m["client_msg_id"]: m["seq"] for m in seen}
    assert len(seen) == len(by_cmid), "duplicate messages"
    for cmid, seq in acked.items():
        assert by_cmid.get(cmid) == seq, f"acked {cmid} at {seq} is missing or moved"
    assert [m["seq"] for m in seen] == list(range(1, len(seen) + 1))
    del msgs


async def _catch_up(readers, rid, last_seq):
    for r in readers:
        await r.recv_until(is_event(room=rid, seq=last_seq), timeout=60, what=f"{r.name} caught up")
        got = seqs_of(r, rid)
        assert got == sorted(set(got)), f"{r.name}: duplicates or disorder"
        assert got == list(range(got[0], last_seq + 1)), f"{r.name}: gap"


def _traffic_through_a_fault(c: Cluster, tag: str, sender_nodes, reader_node, fault, timeout):
    """One sender writes 200 messages over `sender_nodes` while `fault` strikes halfway; then
    every acked message is in the Store once, at its acked seq, and a reader on
    `reader_node` saw every one exactly once, in order."""
    s, _ = register_and_login(sender_nodes[0], f"{tag}s")
    rid = create_room(sender_nodes[0], s, f"{tag}-fault")["id"]
    r, _ = register_and_login(reader_node, f"{tag}r")
    join(reader_node, r, rid)

    async def body():
        reader = await connect_ready(reader_node, r, name=f"reader-{tag}")
        acked = await _traffic(sender_nodes, s, rid, 200, tag, on_half=fault)
        await _catch_up([reader], rid, max(acked.values()))
        _check_all(reader_node, r, rid, acked, [])
        await reader.close()
    run(body(), timeout=timeout)


async def _in_thread(fn):
    await asyncio.get_running_loop().run_in_executor(None, fn)


@pytest.mark.timeout_s(120)
def test_redis_restart_mid_traffic_loses_nothing(single_redis_factory):
    c = single_redis_factory(2)
    _traffic_through_a_fault(c, "rf", c.nodes, c.nodes[1], lambda: _in_thread(backends.restart_redis), 110)


@pytest.mark.timeout_s(120)
def test_kill_9_of_a_node_mid_traffic_loses_nothing(cluster_factory):
    c = cluster_factory(3)

    async def kill_node_0():
        c.nodes[0].proc.send_signal(signal.SIGKILL)
        c.nodes[0].proc.wait(timeout=10)
        c.nodes[0].stopped_by_us = True
    # Sends go to node 0 first; after the kill, the sender moves on to node 1.
    _traffic_through_a_fault(c, "kf", c.nodes[:2], c.nodes[2], kill_node_0, 110)


@pytest.mark.timeout_s(180)
def test_postgres_restart_while_sending_gives_retryable_errors_and_no_duplicates(cluster_factory):
    c = cluster_factory(2)
    _traffic_through_a_fault(c, "pf", c.nodes, c.nodes[1], lambda: _in_thread(backends.restart_postgres),
                             170)


@pytest.mark.timeout_s(60)
def test_revocation_and_rate_limits_hold_across_nodes(cluster_factory):
    c = cluster_factory(2, extra=("--login-per-account-ip", "3"))
    n0, n1 = c.nodes
    name = register(n0, "crossrev")["username"]
    phone = login(n0, name, device="phone")["token"]
    laptop = login(n1, name, device="laptop")
    rid = create_room(n0, phone, "limits")["id"]

    async def body():
        ws = await connect_ready(n1, laptop["token"], name="laptop@n1")
        status, _ = n0.api("DELETE", f"/api/v1/sessions/{laptop['session']['id']}", token=phone)
        assert status == 204
        code = await ws.wait_closed(timeout=1.5)
        assert code == 4001
        status, _ = n1.api("GET", "/api/v1/me", token=laptop["token"])
        assert status == 401
    run(body(), timeout=30)
    del rid
    # Login attempts count against one shared limit, whichever node they reach
    # (2 logins above + 1 wrong here = 3; the 4th is refused on the other node).
    status, _ = n1.api("POST", "/api/v1/login", {"username": name, "password": "wrong-password"})
    assert status == 401
    status, body = n0.api("POST", "/api/v1/login", {"username": name, "password": "wrong-password"})
    assert status == 429 and body["error"]["code"] == "rate_limited", body


@pytest.mark.timeout_s(60)
def test_presence_goes_offline_when_a_node_dies_without_goodbye(cluster_factory):
    c = cluster_factory(2, extra=("--presence-lease-ms", "1500"))
    n0, n1 = c.nodes
    a, au = register_and_login(n0, "deada")
    b, _ = register_and_login(n1, "deadb")
    rid = create_room(n0, a, "wake")["id"]
    join(n1, b, rid)

    def presence(online):
        return lambda f: f.get("type") == "presence" and f["user"]["id"] == au["id"] and f["online"] is online

    async def body():
        wb = await connect_ready(n1, b, name="B@n1")
        wa = await connect_ready(n0, a, name="A@n0")
        if not saw_online(wb, au["id"]):
            await wb.recv_until(presence(True), timeout=10, what="A online")
        n0.proc.send_signal(signal.SIGKILL)  # no goodbye from node 0
        n0.proc.wait(timeout=10)
        n0.stopped_by_us = True
        # Lease 1.5 s, heartbeat every 0.5 s: offline within a few seconds.
        await wb.recv_until(presence(False), timeout=10, what="A offline after node 0 died")
        await wb.close()
        del wa
    run(body(), timeout=50)


def _metric(node, name: str) -> int:
    m = re.search(rf"^{name} (\d+)$", node.request("GET", "/metrics").text, re.M)
    assert m, f"{name} is not in /metrics"
    return int(m.group(1))


def _room_fault_under_traffic(c: Cluster, tag: str, fault_for_room, timeout):
    """As _traffic_through_a_fault, but the fault knows the room and runs beside the traffic
    (in a thread), so sends go on while it strikes. Returns the seconds from the fault's start
    until the reader had caught up."""
    s, _ = register_and_login(c.nodes[0], f"{tag}s")
    rid = create_room(c.nodes[0], s, f"{tag}-fault")["id"]
    r, _ = register_and_login(c.nodes[1], f"{tag}r")
    join(c.nodes[1], r, rid)
    fault = fault_for_room(rid)
    timing = {}

    async def body():
        reader = await connect_ready(c.nodes[1], r, name=f"reader-{tag}")
        tasks = []

        async def strike():
            timing["start"] = time.monotonic()
            tasks.append(asyncio.get_running_loop().create_task(_in_thread(fault)))
        acked = await _traffic(c.nodes, s, rid, 200, tag, on_half=strike)
        await asyncio.gather(*tasks)
        await _catch_up([reader], rid, max(acked.values()))
        timing["caught_up"] = time.monotonic() - timing["start"]
        _check_all(c.nodes[1], r, rid, acked, [])
        await reader.close()
    run(body(), timeout=timeout)
    return timing["caught_up"]


@pytest.mark.timeout_s(240)
def test_cluster_master_of_a_busy_room_killed_mid_traffic_loses_nothing(redis_cluster_factory):
    c = redis_cluster_factory(2)
    killed = {}

    def fault_for_room(rid):
        slot = redis_cluster.keyslot(f"parley:room:{rid}")  # the room's bus channel
        victim = redis_cluster.owner(slot)

        def kill():
            redis_cluster.kill_master(victim["port"])
            killed.update(port=victim["port"], slot=slot, at=time.monotonic())
            redis_cluster.wait_until(
                lambda: (redis_cluster.owner(slot) or {}).get("port") not in (None, victim["port"]),
                "a replica to be promoted", 60)
            killed["promoted_after"] = time.monotonic() - killed["at"]
        return kill
    try:
        caught_up = _room_fault_under_traffic(c, "mk", fault_for_room, 220)
        print(f"\nredis-cluster kill -9 of a master: replica promoted after "
              f"{killed['promoted_after']:.1f} s, reader caught up {caught_up:.1f} s after the kill")
    finally:
        if killed:
            redis_cluster.restart_node(killed["port"])


@pytest.mark.timeout_s(240)
def test_cluster_reshard_of_a_busy_rooms_slots_mid_traffic_loses_nothing(redis_cluster_factory):
    c = redis_cluster_factory(2)

    def fault_for_room(rid):
        def reshard():
            for slot in sorted(redis_cluster.room_slots(rid)):
                src = redis_cluster.owner(slot)
                dst = next(n for n in redis_cluster.nodes() if "master" in n["flags"] and
                           "fail" not in n["flags"] and n["port"] != src["port"])
                redis_cluster.move_slot(slot, dst["port"])
        return reshard
    caught_up = _room_fault_under_traffic(c, "rs", fault_for_room, 220)
    # The reader's node was told its room's slot moved (sunsubscribe) and followed it.
    assert _metric(c.nodes[1], "parley_redis_cluster_slot_moves_total") >= 1
    assert _metric(c.nodes[1], "parley_redis_cluster_redirects_refused_total") == 0
    print(f"\nredis-cluster reshard of a busy room's slots: reader caught up {caught_up:.1f} s "
          f"after the move began")
