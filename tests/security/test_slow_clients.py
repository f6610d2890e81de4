"""Slow clients: a request header trickled byte by byte (slowloris), many idle connections,
a WebSocket that never says hello, and one that never reads. Each is cut at the bound the
server documents, without holding up anyone else (docs/security.md, "Threat model").

The server has no flags for these timeouts: the tests wait for the server's close with a
bound a little past the documented time, never sleep to synchronise. The trickle's pace
is the attacker's, not a wait for the server."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from parley_client import (
    WS, connect_ready, create_room, history, join, new_cmid, register_and_login, run,
)
from probe_sockets import RawWS, connect, exchange, read_until_closed, request

HEADER_TIMEOUT = 30.0   # server.cpp: a request header must arrive whole within 30 s
HELLO_TIMEOUT = 10.0    # protocol.md, "Connecting"
CLOSE_WAIT = 5.0       # protocol.md: a close the server starts waits at most 5 s for the answer
SLACK = 5.0


def _closed_within(s: socket.socket, bound: float) -> tuple[bool, bytes]:
    data, closed = read_until_closed(s, bound)
    return closed, data


def _healthz_ms(port: int) -> float:
    t0 = time.monotonic()
    responses, _ = exchange(port, request("GET", "/healthz", [("Connection", "close")]), 5)
    assert [r.status for r in responses] == [200], responses
    return (time.monotonic() - t0) * 1000


@pytest.mark.timeout_s(HEADER_TIMEOUT + 30)
def test_slowloris_and_idle_connections_are_cut_at_the_header_timeout(server):
    """A header trickled one byte every 0.5 s is cut by the header deadline (a total, not
    an idle timer); so are idle connections, before and after a first request, while the
    server keeps answering everyone else at once."""
    idle = [connect(server.port) for _ in range(200)]
    kept_alive = connect(server.port)
    kept_alive.sendall(request("GET", "/healthz"))
    trickle = connect(server.port)
    started = time.monotonic()
    stop = threading.Event()
    trickle_result: dict = {}

    def drip():
        head = request("GET", "/healthz", [("X-Pad", "p" * 400)])
        for i, byte in enumerate(head[:-2]):  # never the final CRLF
            if stop.wait(0.5):
                return
            try:
                trickle.send(bytes([byte]))
            except OSError:
                trickle_result["cut_after_s"] = time.monotonic() - started
                trickle_result["bytes"] = i
                return
        trickle_result["never_cut"] = True

    t = threading.Thread(target=drip, daemon=True)
    t.start()
    try:
        # meanwhile, others are served without delay
        worst = max(_healthz_ms(server.port) for _ in range(20))
        # held up behind the slow ones would mean waiting out their 30 s; 5 s allows a busy CI
        assert worst < 5000, f"a /healthz took {worst:.0f} ms while slow clients held connections"
        closed, data = _closed_within(trickle, HEADER_TIMEOUT + SLACK)
        elapsed = time.monotonic() - started
        assert closed, "a trickled header was never cut"
        assert HEADER_TIMEOUT - 1 <= elapsed <= HEADER_TIMEOUT + SLACK, elapsed
        assert b"ok\n" not in data
        for s in idle + [kept_alive]:
            left = max(0.1, started + HEADER_TIMEOUT + SLACK - time.monotonic())
            closed, _ = _closed_within(s, left)
            assert closed, "an idle connection outlived the header timeout"
    finally:
        stop.set()
        t.join(5)
        for s in idle + [kept_alive, trickle]:
            s.close()
    assert "never_cut" not in trickle_result
    _healthz_ms(server.port)


@pytest.mark.timeout_s(HELLO_TIMEOUT + CLOSE_WAIT + 25)
def test_websockets_that_never_say_hello_are_closed_4001_at_the_hello_timeout(server, users):
    """Silent, trickling a hello slower than the deadline, or keeping busy with control
    frames and half a frame: the hello deadline is a total, 4001 for each."""
    tok, _ = users("slowhello")
    started = time.monotonic()
    silent = RawWS(server.port)
    pinger = RawWS(server.port)
    partial = RawWS(server.port)
    trickler = RawWS(server.port)
    hello = RawWS.frame(1, json.dumps({"type": "hello", "token": tok}).encode())
    partial.send(hello[:len(hello) // 2])
    results: dict = {}
    stop = threading.Event()

    def keep_busy():
        i = 0
        while not stop.wait(0.5):
            pinger.send(RawWS.frame(9, b"alive"))
            if i < len(hello) - 1:  # one byte per half second: ~20 s for the whole hello
                trickler.send(hello[i:i + 1])
                i += 1

    t = threading.Thread(target=keep_busy, daemon=True)
    t.start()
    bound = HELLO_TIMEOUT + CLOSE_WAIT + SLACK

    def watch(name, ws):  # each socket read at once, so a close is timed when it arrives
        try:
            results[name] = ws.close_code(bound=bound)
            results[name + "_s"] = ws.close_at - started
        except Exception as e:  # reported by the asserts below
            results[name] = repr(e)

    watchers = [threading.Thread(target=watch, args=(n, w), daemon=True)
                for n, w in (("silent", silent), ("partial", partial), ("trickler", trickler),
                             ("pinger", pinger))]
    try:
        for w in watchers:
            w.start()
        for w in watchers:
            w.join(bound + 2)
    finally:
        stop.set()
        t.join(5)
        for ws in (silent, pinger, partial, trickler):
            ws.close()
    for name in ("silent", "partial", "trickler", "pinger"):
        assert results[name] == 4001, results
        assert HELLO_TIMEOUT - 1 <= results[name + "_s"] <= HELLO_TIMEOUT + SLACK, results


@pytest.mark.timeout_s(90)
def test_a_websocket_that_never_reads_is_closed_4008_and_resumes_without_loss(server_factory):
    server = server_factory(max_outbound=64 * 1024, send_rate=100000)
    a, _ = register_and_login(server, "firehose")
    s, _ = register_and_login(server, "sloth")
    room = create_room(server, a, "firehose")["id"]
    join(server, s, room)
    n, size = 300, 16000

    async def body():
        writer = await connect_ready(server, a, name="writer")
        slow = WS(server, s, name="slow", max_queue=1, read_limit=2048, rcvbuf=2048)
        await slow.connect()
        await slow.hello_caught_up()
        for i in range(n):
            await writer.send_msg(room, f"{i:04d}" + "x" * size)
        # the writer was never held up, and the slow socket is closed with 4008
        code = await slow.wait_closed(timeout=20)
        assert code == 4008, code
        seen = [e["seq"] for e in slow.events(room)]
        assert seen == sorted(set(seen)), "events out of order or twice before the close"
        last = seen[-1] if seen else 0
        assert last < n, "the slow reader was never cut"
        # it comes back and resumes: exactly what it missed, in order, once
        again = WS(server, s, name="again", max_size=2 ** 24)
        await again.connect()
        _, replay = await again.hello_caught_up(resume={room: last})
        seqs = [f["event"]["seq"] for f in replay if f.get("type") == "event"
                and f["event"]["room"] == room]
        assert seqs == list(range(last + 1, n + 1)), (last, seqs[:5], seqs[-5:])
        await again.close()
        await writer.close()
    run(body(), timeout=80)
    assert history(server, a, room, limit=1)["messages"][-1]["seq"] == n
