"""Redis FLUSHALL mid-traffic on two nodes: Redis holds only caches, presence, session
copies and wake-ups (Invariant 1: the Store is the record), so wiping it loses no acked
message and the readers go on receiving every message exactly once, in order. Right after
the flush every reader drops its socket and resumes (on the other node), so its replay
cannot come from the emptied cache: it must come from the Store."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from parley_client import run
from scenario import cast, traffic_through, verdict


@pytest.mark.timeout_s(90)
def test_flushall_mid_traffic_loses_and_repeats_nothing(deployment):
    d = deployment(2)
    # Two WebSocket writers (one per node) and one REST writer, two readers (one per node).
    c = cast(d.nodes, [("ws", 60), ("ws", 60), ("rest", 30)], readers=2)

    async def flushall():
        await asyncio.get_running_loop().run_in_executor(None, lambda: subprocess.run(
            ["redis-cli", "-u", d.redis, "FLUSHALL"], check=True, capture_output=True,
            timeout=30))
        for r in c.readers:
            await r.kick()
        return None

    heal_t, caught = run(traffic_through(c, flushall, before_acks=300, after_acks=300), 80)
    rep = verdict(c, d.nodes[0], heal_t, "redis FLUSHALL")
    assert rep.first_ack_after_heal_s is not None
    assert all(r.log.reconnects >= 1 for r in c.readers), "every reader resumed after the flush"
    print(f"[faults] redis FLUSHALL: readers caught up {caught:.2f} s after the writers stopped")

