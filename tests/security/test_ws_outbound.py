"""A WebSocket client cannot make the server buffer without bound for it.

The outbound cap (--max-outbound) once counted only the live queue: the hello's replay and
gap fills went to the writer uncounted, so one hello resuming many rooms, read by nobody,
grew the server's memory by every missed event of every room. Now every byte held for a
socket counts, and the server closes it with 4008 (the client resumes later).

The client here speaks raw RFC 6455 over a socket with a tiny receive buffer, so that
nothing reads on its behalf; sending and counting frames stays cheap enough to set up half a
million events quickly."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import socket
import time

import pytest

from parley_client import create_room, join, my_rooms, register_and_login

ROOMS = 500
# Missed events per room. The attack resumes up to 1,000 per room (--resume-max); setting up
# 500,000 events takes many minutes on a shared debug build, so the replay is made large by
# the events' size instead (near the largest text): 500 x 8 x 16 kB, about 64 MB that the
# server would hold without the cap. PARLEY_WS_OUTBOUND_EVENTS=1000 runs the full attack.
EVENTS = int(os.environ.get("PARLEY_WS_OUTBOUND_EVENTS", 8))
TEXT_BYTES = 16_000
SENDERS = 4  # connections setting the events up, one user each (each room has one sender)
WINDOW = 32  # sends in flight per connection (their echoes stay well under the cap)
# How much the server's peak RSS may grow while the hello runs. Without the cap it would hold
# every missed event (64 MB of text, and a debug build's RSS grows by about twice that); with
# it, about --max-outbound (4 MiB), what is read from the Store for one room, and the
# allocator's (and the sanitizers') slack: 15 MiB measured on the debug build.
RSS_GROWTH_LIMIT = 48 * 1024 * 1024


# ---------------------------------------------------------------- a raw WebSocket client


def connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(20)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # byte by byte: nothing after the head is taken
        b = s.recv(1)
        assert b, f"closed during the upgrade: {head!r}"
        head += b
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def text_frame(obj) -> bytes:
    """A masked text frame; the zero mask leaves the payload as it is."""
    payload = json.dumps(obj, separators=(",", ":")).encode()
    n = len(payload)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class FrameCounter:
    """Splits the server's unmasked frames; keeps only counts and the close code."""

    def __init__(self):
        self.buf = bytearray()
        self.acks = 0
        self.caught_up = False
        self.close_code = None

    def feed(self, data: bytes) -> None:
        self.buf += data
        pos = 0
        buf = self.buf
        while len(buf) - pos >= 2:
            op, n = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            h = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, h = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, h = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if len(buf) - pos < h + n:
                break
            payload = bytes(buf[pos + h:pos + h + n])
            pos += h + n
            if op == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            elif op == 0x1:
                if payload.startswith(b'{"type":"ack"'):
                    self.acks += 1
                elif payload == b'{"type":"caught_up"}':
                    self.caught_up = True
                elif b'"type":"error"' in payload:
                    raise AssertionError(f"server error: {payload[:300]!r}")
        del buf[:pos]


def hello(s: socket.socket, token: str, resume: dict | None = None) -> None:
    frame: dict = {"type": "hello", "token": token}
    if resume is not None:
        frame["resume"] = resume
    s.sendall(text_frame(frame))


def read_until(s: socket.socket, counter: FrameCounter, done, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        left = deadline - time.monotonic()
        assert left > 0, f"timed out waiting for {what}"
        r, _, _ = select.select([s], [], [], left)
        if r:
            data = s.recv(1 << 20)
            assert data or counter.close_code is not None, f"connection ended before {what}"
            if not data:
                return
            counter.feed(data)


# ---------------------------------------------------------------- set-up


def send_frames(rooms: list[int], events: int):
    for i in range(events):
        for r in rooms:
            yield text_frame({"type": "send", "room": r, "client_msg_id": f"f{r}-{i}",
                              "text": f"missed {i} " + "x" * TEXT_BYTES})


def fill_rooms(server, senders: list[tuple[str, list[int]]], events: int) -> None:
    """Sends `events` messages into each room, pipelined over one socket per sender."""
    conns = []
    for token, rooms in senders:
        s = connect(server.port)
        c = FrameCounter()
        hello(s, token)
        read_until(s, c, lambda c=c: c.caught_up, 20, "caught_up")
        frames = send_frames(rooms, events)
        conns.append({"s": s, "c": c, "frames": frames, "sent": 0, "total": events * len(rooms)})
    while any(conn["c"].acks < conn["total"] for conn in conns):
        for conn in conns:
            batch = []
            while conn["sent"] < conn["total"] and conn["sent"] - conn["c"].acks < WINDOW:
                batch.append(next(conn["frames"]))
                conn["sent"] += 1
            if batch:
                conn["s"].sendall(b"".join(batch))
        live = [conn["s"] for conn in conns if conn["c"].acks < conn["total"]]
        r, _, _ = select.select(live, [], [], 20)
        assert r, "no acks for 20 s"
        for conn in conns:
            if conn["s"] in r:
                data = conn["s"].recv(1 << 20)
                assert data, "a sender's socket closed"
                conn["c"].feed(data)
    for conn in conns:
        conn["s"].close()


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            m = re.match(r"(VmRSS|VmHWM):\s+(\d+) kB", line)
            if m:
                out[m.group(1)] = int(m.group(2)) * 1024
    return out


def slow_consumers(server) -> int:
    m = re.search(r"^parley_slow_consumers_total (\d+)", server.request("GET", "/metrics").text,
                  re.M)
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------- the attack


@pytest.mark.timeout_s(180)
def test_hello_resuming_many_rooms_unread_is_capped_and_closed_4008(server_factory):
    server = server_factory(send_rate=10 ** 6)
    victim, _ = register_and_login(server, "resumer")
    senders = []
    for k in range(SENDERS):
        token, _ = register_and_login(server, f"filler{k}")
        rooms = []
        for i in range(k, ROOMS, SENDERS):
            room = create_room(server, token, f"r{i}")
            join(server, victim, room["id"])
            rooms.append(room["id"])
        senders.append((token, rooms))
    started = time.monotonic()
    fill_rooms(server, senders, EVENTS)
    print(f"set-up: {ROOMS * EVENTS} events in {time.monotonic() - started:.1f} s")

    # Resume every room from EVENTS before its end: each replays EVENTS events.
    resume = {str(rid): r["last_seq"] - EVENTS for rid, r in my_rooms(server, victim).items()}
    assert len(resume) == ROOMS and all(v >= 0 for v in resume.values())
    pid = server.proc.pid
    before = proc_status(pid)["VmRSS"]
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    assert slow_consumers(server) == 0

    s = connect(server.port, rcvbuf=4096)
    hello(s, victim, resume)  # ... and never read
    deadline = time.monotonic() + 60
    while slow_consumers(server) == 0:
        assert time.monotonic() < deadline, (
            "the server never closed the unread socket; its RSS grew by "
            f"{(proc_status(pid)['VmHWM'] - before) >> 20} MiB")
        assert server.proc.poll() is None, server.stderr_tail()
        time.sleep(0.05)  # polling a counter the server exposes, not waiting for an event
    peak = proc_status(pid)["VmHWM"]
    growth = peak - before
    print(f"RSS before {before >> 20} MiB, peak during the hello {peak >> 20} MiB")
    assert growth < RSS_GROWTH_LIMIT, f"RSS grew by {growth >> 20} MiB"

    # The client reads at last: what the kernel held, then the close frame with 4008.
    c = FrameCounter()
    read_until(s, c, lambda: c.close_code is not None, 15, "the close frame")
    assert c.close_code == 4008, c.close_code
    s.close()
    assert server.proc.poll() is None
