"""One node cut off from Redis while the other keeps it: node A reaches Redis only through
a proxy the test owns (`cutproxy.py`: no iptables, nft or tc drop action on this VM), which
stops moving bytes either way for `CUT_S` seconds and then lets them flow again, as a
partition that heals. Redis only wakes nodes up (Invariant 1), so sends on both nodes keep
being acked, no reader sees a silent gap (a live event after a gap makes the node fill it
from the Store: Invariant 4), and every reader holds every message acked before the heal
within 10 s of it. The issue's 30 s cut: PARLEY_FAULTS_CUT_S=30.

Two kinds of cut: `refuse` black-holes the established connections and refuses new ones
(closer to an iptables DROP on existing flows plus REJECT on new ones); `hold` accepts new
connections and holds them unanswered too, as a hung Redis does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import backends
from parley_client import run
from scenario import cast, traffic_through, verdict
from traffic import until

CUT_S = float(os.environ.get("PARLEY_FAULTS_CUT_S", 10))


def start_proxy(upstream_port: int, mode: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "cutproxy.py"),
                             str(upstream_port), mode], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()  # the proxy prints its port once it listens
    assert line.startswith("listening "), f"proxy: {line!r}"
    return proc, int(line.split()[1])


@pytest.mark.timeout_s(int(CUT_S) + 100)
@pytest.mark.parametrize("mode", [
    "refuse",  # established connections black-holed, new ones refused
    "hold",    # new ones accepted and never answered, as a hung Redis does
])
def test_node_cut_off_from_redis_keeps_acking_and_readers_catch_up(deployment, mode):
    redis = backends.empty_redis()
    proxy, port = start_proxy(urlsplit(redis).port, mode)
    try:
        d = deployment(2, redis=redis, redis_of={0: f"redis://127.0.0.1:{port}"})
        a, b = d.nodes
        # Writers and readers stay on their node: A's clients must be served through the cut.
        c = cast(d.nodes, [("ws", 50), ("ws", 50), ("rest", 25)], readers=2,
                 writer_nodes=[[a], [b], [a]], reader_nodes=[[a], [b]])
        window: dict = {}

        async def partition():
            proxy.send_signal(signal.SIGUSR1)
            window["cut_t"] = time.monotonic()
            end = window["cut_t"] + CUT_S
            await until(lambda: time.monotonic() >= end, CUT_S + 5, "the cut's duration")
            proxy.send_signal(signal.SIGUSR2)
            window["heal_t"] = time.monotonic()
            return window["heal_t"]

        heal_t, _ = run(traffic_through(c, partition, before_acks=200, after_acks=200,
                                        fault_deadline_s=CUT_S + 10), CUT_S + 90)
        rep = verdict(c, b, heal_t, f"node A cut off from Redis ({mode}) for {CUT_S:.0f} s")
        cut = [x for w in (c.writers[0], c.writers[2]) for x in w.log.acks
               if window["cut_t"] + 1 < x.t < window["heal_t"]]
        assert len(cut) >= CUT_S * 10, f"node A acked only {len(cut)} sends during the cut"
        assert rep.readers_caught_up_after_heal_s <= 10, rep.summary()
        print(f"[faults] redis partition ({mode}): node A acked {len(cut)} sends during the cut; "
              f"readers held everything {rep.readers_caught_up_after_heal_s:.2f} s after the heal")
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
