"""The shape every fault scenario shares: a room with writers and readers spread over the
nodes, traffic until some acks, the fault, traffic until more acks after the heal, then the
readers' catch-up (bounded), the Store's history, and the checker's verdict."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Awaitable, Callable, Optional

from checker import Report, check
from parley_client import Server, create_room, join, register_and_login
from traffic import Reader, Writer, store_history, top_acked, until


@dataclass
class Cast:
    room: int
    owner: str
    writers: list[Writer] = field(default_factory=list)
    readers: list[Reader] = field(default_factory=list)

    def acks(self) -> int:
        return sum(len(w.log.acks) for w in self.writers)


def cast(nodes: list[Server], writers: list[tuple[str, float]], readers: int, size: int = 0,
         writer_nodes: Optional[list[list[Server]]] = None,
         reader_nodes: Optional[list[list[Server]]] = None) -> Cast:
    """One room; `writers` as (mode, msgs/s), writer i starting on node i (mod n) and moving on
    through the others; reader j likewise. *_nodes override the node lists."""
    owner, _ = register_and_login(nodes[0], "owner")
    room = create_room(nodes[0], owner, "faults")["id"]
    c = Cast(room, owner)
    n = len(nodes)

    def rotation(i: int) -> list[Server]:
        return [nodes[(i + j) % n] for j in range(n)]
    for i, (mode, rate) in enumerate(writers):
        tok, _ = register_and_login(nodes[i % n], f"w{i}")
        join(nodes[i % n], tok, room)
        ns = writer_nodes[i] if writer_nodes else rotation(i)
        c.writers.append(Writer(f"w{i}", ns, tok, room, rate, mode, size))
    for j in range(readers):
        tok, _ = register_and_login(nodes[j % n], f"r{j}")
        join(nodes[j % n], tok, room)
        ns = reader_nodes[j] if reader_nodes else rotation(j)
        c.readers.append(Reader(f"r{j}", ns, tok, [room]))
    return c


async def traffic_through(c: Cast, fault: Callable[[], Awaitable[Optional[float]]],
                          before_acks: int, after_acks: int, catch_up_s: float = 10.0,
                          fault_deadline_s: float = 60.0) -> tuple[float, float]:
    """Runs the traffic: `before_acks` acks, then `fault()` (which returns when the fault has
    healed, optionally with the heal time), then `after_acks` more acks. Returns
    (heal_t, readers' catch-up seconds after the writers stopped)."""
    stop_w, stop_r = asyncio.Event(), asyncio.Event()
    rtasks = [asyncio.create_task(r.run(stop_r)) for r in c.readers]
    wtasks: list[asyncio.Task] = []
    try:
        await until(lambda: all(r.connected.is_set() for r in c.readers), 15, "readers connected")
        wtasks = [asyncio.create_task(w.run(stop_w)) for w in c.writers]
        await until(lambda: c.acks() >= before_acks, 30, f"{before_acks} acks before the fault")
        heal = await asyncio.wait_for(fault(), fault_deadline_s)
        heal_t = heal if heal is not None else time.monotonic()
        target = c.acks() + after_acks
        await until(lambda: c.acks() >= target, 60, f"{after_acks} acks after the heal")
        stop_w.set()
        await asyncio.wait_for(asyncio.gather(*wtasks), 30)
        top = top_acked(c.writers, c.room)
        caught = await until(lambda: all(r.last[c.room] >= top for r in c.readers), catch_up_s,
                             f"readers at seq {top}: " + str({r.name: r.last[c.room]
                                                              for r in c.readers}))
        return heal_t, caught
    finally:
        stop_w.set()
        stop_r.set()
        await asyncio.wait_for(asyncio.gather(*wtasks, *rtasks, return_exceptions=True), 30)


def verdict(c: Cast, node: Server, heal_t: Optional[float], label: str) -> Report:
    store = {c.room: store_history(node, c.owner, c.room)}
    # Every client's log and the Store's history, kept beside the nodes' logs in the test's
    # tmp dir, so a failed verdict can be read again (or re-checked) afterwards.
    logs = [*(w.log for w in c.writers), *(r.log for r in c.readers)]
    (node.log_dir / "faults-logs.json").write_text(json.dumps(
        {"heal_t": heal_t, "store": store, "logs": [asdict(x) for x in logs]}))
    rep = check(logs, store, heal_t)
    print(f"\n[faults] {label}: {rep.summary()} reader_reconnects="
          f"{sum(r.log.reconnects for r in c.readers)} resyncs={sum(r.resyncs for r in c.readers)}")
    assert rep.counts() == (0, 0, 0), rep.details()
    assert not any(r.resyncs for r in c.readers), "a reader was told to resync"
    return rep
