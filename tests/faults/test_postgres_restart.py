"""PostgreSQL stopped and started again under traffic (a PostgreSQL of the test's own, so the
shared one stays up for everyone else): while it is down every send is refused with 503
`unavailable` (never an ack for something not committed: Invariant 1), every acked message
is there afterwards at its seq, once, and the same node processes recover by themselves."""

from __future__ import annotations

import asyncio
import time

import pytest

from parley_client import run
from scenario import cast, traffic_through, verdict
from traffic import until
from world import OwnPostgres


@pytest.mark.timeout_s(120)
def test_postgres_down_and_back_acks_only_what_it_committed(deployment):
    pg = OwnPostgres()
    try:
        d = deployment(2, db=pg.url)
        pids = [s.proc.pid for s in d.nodes]
        c = cast(d.nodes, [("ws", 50), ("ws", 50), ("rest", 30), ("rest", 30)], readers=2)
        outage: dict = {}

        def errors() -> list[tuple[float, str]]:
            return [e for w in c.writers for e in w.log.errors]

        async def down_and_up():
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: pg._ctl("-m", "fast", "stop"))
            outage["down_t"] = time.monotonic()
            # Down until both kinds of writer have been refused ten times each.
            await until(lambda: sum(1 for t, code in errors() if code == "503 unavailable") >= 10
                        and sum(1 for t, code in errors() if code == "unavailable") >= 10, 30,
                        "REST and WebSocket sends refused while PostgreSQL is down: "
                        f"{errors()[-5:]}")
            await loop.run_in_executor(None, pg.start)
            outage["up_t"] = time.monotonic()
            return outage["up_t"]

        heal_t, _ = run(traffic_through(c, down_and_up, before_acks=200, after_acks=200), 110)
        rep = verdict(c, d.nodes[0], heal_t, "postgres restart")
        # No ack between the stop and the start: nothing was committed then.
        during = [a for w in c.writers for a in w.log.acks
                  if outage["down_t"] + 0.5 < a.t < outage["up_t"]]
        assert not during, f"acks while PostgreSQL was down: {during[:5]}"
        codes = set(rep.errors)
        assert codes <= {"unavailable", "503 unavailable"}, f"other errors: {rep.errors}"
        assert [s.proc.pid for s in d.nodes] == pids and all(s.running for s in d.nodes)
        print(f"[faults] postgres restart: down {outage['up_t'] - outage['down_t']:.2f} s; "
              f"first ack {rep.first_ack_after_heal_s:.2f} s after it was up again")
    finally:
        pg.destroy()
