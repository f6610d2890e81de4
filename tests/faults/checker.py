"""A Jepsen-style checker over the logs that the fault scenarios' clients keep.

Every client keeps a log: a writer records each send it got an ack for (room, seq,
client_msg_id, when), and each error it got (code, when); a reader records every timeline
event it received, in arrival order, and the seq it resumed from at its first connection.
After the traffic, the scenario reads each room's history from the Store (over REST). The
checker then judges, without trusting the server's own account:

- **lost**: an acked message that is not in the Store at its acked seq (Invariant 1: sent
  means committed), or that a reader should have received (its seq is after the reader's
  start) and never did (Invariant 4: resume, never reload);
- **duplicated**: a reader that received one (room, seq) twice, a client_msg_id stored twice,
  or one client_msg_id acked at two different seqs (Invariant 3: retries do not duplicate);
- **out of order**: a reader that received a room's seq after a higher one, or a Store
  history whose seqs are not 1..n without a gap (Invariant 2: one order per room).

It also measures recovery: from the end of a fault (the heal) to the first ack after it,
and until the slowest reader held every message acked before the heal. The report's `counts()` must be
(0, 0, 0) for every scenario; `summary()` is the line a scenario prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Ack:
    room: int
    seq: int
    cmid: str
    t: float  # time.monotonic() when the ack arrived


@dataclass
class Received:
    room: int
    seq: int
    cmid: Optional[str]
    t: float


@dataclass
class ClientLog:
    """One client's view. A writer fills `acks` and `errors`; a reader fills `received` and
    `start_seq` (per room: the seq it first resumed from; it must receive everything after)."""
    name: str
    acks: list[Ack] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    start_seq: dict[int, int] = field(default_factory=dict)
    reconnects: int = 0


@dataclass
class Report:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    reordered: list[str] = field(default_factory=list)
    acked: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_ack_after_heal_s: Optional[float] = None
    readers_caught_up_after_heal_s: Optional[float] = None
    longest_ack_gap_s: float = 0.0  # the longest wait of one writer between two of its acks

    def counts(self) -> tuple[int, int, int]:
        return len(self.lost), len(self.duplicated), len(self.reordered)

    def summary(self) -> str:
        def secs(x: Optional[float]) -> str:
            return "n/a" if x is None else f"{x:.2f} s"
        lost, dup, reord = self.counts()
        return (f"acked={self.acked} lost={lost} duplicated={dup} out_of_order={reord} "
                f"errors={self.errors} first_ack_after_heal={secs(self.first_ack_after_heal_s)} "
                f"readers_caught_up_after_heal={secs(self.readers_caught_up_after_heal_s)} "
                f"longest_ack_gap={self.longest_ack_gap_s:.2f} s")

    def details(self, n: int = 10) -> str:
        return "\n".join([*self.lost[:n], *self.duplicated[:n], *self.reordered[:n]])


def check(logs: list[ClientLog], store: dict[int, list[tuple[int, str]]],
          heal_t: Optional[float] = None) -> Report:
    """`store`: per room, the Store's history as (seq, client_msg_id) in seq order.
    `heal_t`: when the fault ended (time.monotonic()), for the recovery figures."""
    rep = Report()
    acks = [a for log in logs for a in log.acks]
    rep.acked = len(acks)
    for log in logs:
        ts = [a.t for a in log.acks]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        rep.longest_ack_gap_s = max([rep.longest_ack_gap_s, *gaps])
        for _, code in log.errors:
            rep.errors[code] = rep.errors.get(code, 0) + 1
    _check_store(store, rep)
    _check_acks(acks, store, rep)
    for log in logs:
        _check_reader(log, acks, rep)
    if heal_t is not None:
        _recovery(logs, acks, heal_t, rep)
    return rep


def _check_store(store: dict[int, list[tuple[int, str]]], rep: Report) -> None:
    for room, rows in store.items():
        seqs = [s for s, _ in rows]
        if seqs != list(range(1, len(seqs) + 1)):
            rep.reordered.append(f"store room {room}: seqs are not 1..{len(seqs)} in order: "
                                 f"{_first_break(seqs)}")
        seen: dict[str, int] = {}
        for seq, cmid in rows:
            if cmid in seen:
                rep.duplicated.append(f"store room {room}: client_msg_id {cmid} at seq "
                                      f"{seen[cmid]} and {seq}")
            seen[cmid] = seq


def _check_acks(acks: list[Ack], store: dict[int, list[tuple[int, str]]], rep: Report) -> None:
    at: dict[tuple[int, int], str] = {(room, s): c for room, rows in store.items() for s, c in rows}
    acked_at: dict[tuple[int, str], int] = {}
    for a in acks:
        prior = acked_at.get((a.room, a.cmid))
        if prior is not None and prior != a.seq:
            rep.duplicated.append(f"ack room {a.room}: {a.cmid} acked at seq {prior} and {a.seq}")
        acked_at[(a.room, a.cmid)] = a.seq
        if at.get((a.room, a.seq)) != a.cmid:
            rep.lost.append(f"ack room {a.room}: {a.cmid} acked at seq {a.seq}, the store has "
                            f"{at.get((a.room, a.seq))!r} there")


def _check_reader(log: ClientLog, acks: list[Ack], rep: Report) -> None:
    if not log.start_seq:
        return
    got: dict[int, set[int]] = {}
    last: dict[int, int] = {}
    for r in log.received:
        seen = got.setdefault(r.room, set())
        if r.seq in seen:
            rep.duplicated.append(f"{log.name} room {r.room}: seq {r.seq} received twice")
        elif r.seq < last.get(r.room, 0):
            rep.reordered.append(f"{log.name} room {r.room}: seq {r.seq} after {last[r.room]}")
        seen.add(r.seq)
        last[r.room] = max(last.get(r.room, 0), r.seq)
    for a in acks:
        start = log.start_seq.get(a.room)
        if start is not None and a.seq > start and a.seq not in got.get(a.room, set()):
            rep.lost.append(f"{log.name} room {a.room}: acked seq {a.seq} ({a.cmid}) never "
                            f"received")


def _recovery(logs: list[ClientLog], acks: list[Ack], heal_t: float, rep: Report) -> None:
    """First ack after the heal; and the time after the heal when the slowest reader held
    every message acked before it (0 if it never fell behind)."""
    after = [a.t for a in acks if a.t >= heal_t]
    if after:
        rep.first_ack_after_heal_s = min(after) - heal_t
    owed = [a for a in acks if a.t < heal_t]
    worst = 0.0
    for log in logs:
        when = {(r.room, r.seq): r.t for r in log.received}
        for a in owed:
            start = log.start_seq.get(a.room)
            if start is None or a.seq <= start:
                continue
            t = when.get((a.room, a.seq))
            if t is None:
                return  # never received: reported as lost
            worst = max(worst, t - heal_t)
    rep.readers_caught_up_after_heal_s = worst


def _first_break(seqs: list[int]) -> str:
    for i, s in enumerate(seqs):
        if s != i + 1:
            return f"position {i} holds {s}, expected {i + 1}"
    return "shorter than expected"
