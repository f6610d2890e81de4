"""Nodes on Kafka (--bus kafka://...) through the faults Kafka is chosen for: kill -9 of the
broker under traffic, and a node restarted while the broker kept its events. Every other
multi-node test of test_cluster.py runs on Kafka too (its cluster_factory is parametrized)."""
from __future__ import annotations

import re

import pytest

import backends
from parley_client import connect_ready, create_room, join, register_and_login, run, WS
from test_cluster import Cluster, _catch_up, _check_all, _in_thread, _traffic, seqs_of

pytestmark = pytest.mark.cluster


@pytest.fixture
def kafka_cluster(tmp_path):
    made: list[Cluster] = []

    def make(n=2, extra=()):
        c = Cluster(tmp_path, n, extra, bus="kafka")
        made.append(c)
        return c
    yield make
    crashed = [x for c in made for x in c.stop()]
    for c in made:
        backends.drop_database(c.db)
    if not backends.kafka_running():  # a failed test must not leave the shared broker down
        backends.restart_kafka()
    if crashed:
        pytest.fail(f"a node exited on its own: {crashed}", pytrace=False)


def metric(node, name: str) -> int:
    text = node.request("GET", "/metrics").text
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    assert m, f"{name} is not in /metrics"
    return int(m.group(1))


@pytest.mark.timeout_s(240)
def test_kill_9_of_the_broker_mid_traffic_loses_nothing(kafka_cluster):
    """The broker dies (kill -9) a third of the way through; a third more is sent while it
    is down; it comes back. Every acked message is in the Store once, at its seq; a reader
    on each node saw every one exactly once, in order; and no node had to backfill from the
    Store, since Kafka kept (and the producers re-sent) what the outage held up."""
    c = kafka_cluster(2)
    s, _ = register_and_login(c.nodes[0], "kbs")
    rid = create_room(c.nodes[0], s, "broker-fault")["id"]
    readers = []
    for i, node in enumerate(c.nodes):
        t, _ = register_and_login(node, f"kbr{i}")
        join(node, t, rid)
        readers.append((node, t))

    async def body():
        rs = [await connect_ready(n, t, name=f"reader@{i}") for i, (n, t) in enumerate(readers)]
        acked = await _traffic(c.nodes, s, rid, 60, "before",
                               on_half=lambda: _in_thread(backends.kill_kafka))
        acked.update(await _traffic(c.nodes, s, rid, 30, "down"))
        await _in_thread(backends.restart_kafka)
        acked.update(await _traffic(c.nodes, s, rid, 30, "after"))
        assert len(acked) == 120
        await _catch_up(rs, rid, max(acked.values()))
        for r in rs:
            assert seqs_of(r, rid) == list(range(1, 121)), r.name
        _check_all(c.nodes[1], readers[1][1], rid, acked, [])
        for r in rs:
            await r.close()
    run(body(), timeout=230)
    for node in c.nodes:
        assert metric(node, "parley_bus_backfills_total") == 0
        assert metric(node, "parley_bus_publish_dropped_total") == 0


@pytest.mark.timeout_s(120)
def test_a_restarted_node_reads_on_from_kafka_without_a_store_backfill(kafka_cluster):
    """Node 1 stops; 20 messages are sent on node 0; node 1 starts again on the same data
    dir and reads on from the offsets it kept: /metrics shows it resumed every partition,
    read what was published while it was away, and neither backfilled from the Store nor
    lost its offsets. A client resuming on it gets exactly what it missed, then live."""
    c = kafka_cluster(2)
    n0, n1 = c.nodes
    s, _ = register_and_login(n0, "krs")
    rid = create_room(n0, s, "node-restart")["id"]
    r, _ = register_and_login(n1, "krr")
    join(n1, r, rid)

    async def before():
        wr = await connect_ready(n1, r, name="reader@n1")
        acked = await _traffic([n0], s, rid, 5, "first")
        await _catch_up([wr], rid, max(acked.values()))
        await wr.close()
        return max(acked.values())
    last_seen = run(before(), timeout=60)

    n1.stop()
    away = run(_traffic([n0], s, rid, 20, "away"), timeout=60)
    n1.start()

    assert backends_wait(lambda: metric(n1, "parley_bus_records_total") >= 20), \
        "node 1 did not read what was published while it was away"
    assert metric(n1, "parley_bus_resumed_partitions") == 3
    assert metric(n1, "parley_bus_backfills_total") == 0
    assert metric(n1, "parley_bus_offset_resets_total") == 0

    async def after():
        wr = WS(n1, r, name="reader@n1 again")
        await wr.connect()
        _, replay = await wr.hello_caught_up(resume={rid: last_seen}, timeout=15)
        got = [f["event"]["seq"] for f in replay if f.get("type") == "event"]
        assert got == sorted(away.values())
        live = await _traffic([n0], s, rid, 1, "live")
        await _catch_up([wr], rid, max(live.values()))
        await wr.close()
    run(after(), timeout=60)


def backends_wait(cond, limit_s: float = 30.0) -> bool:
    """Polls `cond` until it holds, bounded."""
    import time
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)  # polling a condition, not waiting for time to pass
    return cond()
