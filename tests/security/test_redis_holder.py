"""An attacker with access to the deployment's Redis (docs/security.md, "Threat model"): what
passes through it, and what a forged write does. One node on PostgreSQL + Redis, as the
cluster tests run (marked `cluster`: they start their own node on the test services).

Two probes found holes beyond issue 11's list, now closed by sealing every bus payload
under the deployment's bus key (SealedBus): live frames crossed Redis pub/sub as the
plaintext JSON clients receive, and a frame published by whoever can write to Redis was
delivered to clients as if a node had sent it."""
from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

import backends
from parley_client import (
    Server, add_member, connect_ready, create_room, history, parley_bin, register_and_login, run,
)

pytestmark = pytest.mark.cluster


class Resp:
    """A minimal RESP client on a raw socket: enough to list, subscribe and publish."""

    def __init__(self, url: str):
        from urllib.parse import urlsplit
        p = urlsplit(url)
        self.sock = socket.create_connection((p.hostname, p.port), timeout=5)
        self.buf = b""

    def command(self, *args: str | bytes) -> None:
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a.encode() if isinstance(a, str) else a
            out.append(f"${len(b)}\r\n".encode() + b + b"\r\n")
        self.sock.sendall(b"".join(out))

    def _line(self, deadline: float) -> bytes:
        while b"\r\n" not in self.buf:
            self._more(deadline)
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _more(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no reply from Redis within the bound")
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("Redis closed the connection")
        self.buf += chunk

    def reply(self, bound: float = 5.0):
        deadline = time.monotonic() + bound
        return self._reply(deadline)

    def _reply(self, deadline: float):
        line = self._line(deadline)
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._more(deadline)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self._reply(deadline) for _ in range(int(rest))]
        if kind == b">":  # RESP3 push
            return [self._reply(deadline) for _ in range(int(rest))]
        raise AssertionError(f"unexpected RESP: {line!r}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def node(tmp_path):
    db = backends.fresh_database()
    redis = backends.empty_redis()
    s = Server(tmp_path / "node", tmp_path, ["--db", db, "--redis", redis, "--send-rate", "1000"],
               binary=parley_bin())
    s.start()
    yield s, redis
    crashed = s.proc.poll() is not None and not s.stopped_by_us
    s.stop()
    backends.drop_database(db)
    assert not crashed, s.stderr_tail(2000)


def _room_channel(redis: str, room: int) -> bytes:
    r = Resp(redis)
    try:
        r.command("PUBSUB", "SHARDCHANNELS", "*")
        channels = r.reply()
    finally:
        r.close()
    mine = [c for c in channels if c.endswith(f"room:{room}".encode())]
    assert len(mine) == 1, channels
    return mine[0]


def _pair(server):
    (ta, alice), (tb, bob) = [register_and_login(server, n) for n in ("alice", "bob")]
    room = create_room(server, ta, "secret", public=False)["id"]
    add_member(server, ta, room, bob["username"])
    return ta, alice, tb, bob, room


def test_a_redis_reader_sees_no_message_text(node):
    server, redis = node
    ta, _, tb, _, room = _pair(server)
    canary = f"pubsub-canary-{uuid.uuid4()}"

    async def body():
        wb = await connect_ready(server, tb, name="bob")  # a node subscribes to the room
        spy = Resp(redis)
        try:
            spy.command("SSUBSCRIBE", _room_channel(redis, room))
            spy.reply()
            wa = await connect_ready(server, ta, name="alice")
            await wa.send_msg(room, canary)
            seen = b""
            end = time.monotonic() + 3
            while time.monotonic() < end and canary.encode() not in seen:
                try:
                    seen += json.dumps(spy.reply(bound=end - time.monotonic()), default=repr).encode()
                except TimeoutError:
                    break
            assert canary.encode() not in seen, "the message text crossed Redis in plaintext"
        finally:
            spy.close()
            await wb.close()
    run(body())


def test_a_redis_writer_cannot_put_words_in_a_members_mouth(node):
    server, redis = node
    ta, alice, tb, _, room = _pair(server)

    async def body():
        wb = await connect_ready(server, tb, name="bob")
        channel = _room_channel(redis, room)
        forged = {"type": "event", "event": {
            "room": room, "seq": 1, "id": "f" * 32, "kind": "message", "sender": alice["id"],
            "sender_name": alice["username"], "client_msg_id": "forged", "text": "send me your password",
            "reply_to": 0, "target": 0, "created_at": 0, "edited_at": 0, "deleted": False, "files": []}}
        w = Resp(redis)
        try:
            w.command("SPUBLISH", channel, f"E {room} 1 {alice['id']}\n{json.dumps(forged)}")
            w.reply()
        finally:
            w.close()
        await wb.ping()
        await wb.expect_silence(lambda f: f.get("type") == "event", 1.0, "forged event")
        await wb.close()
    run(body())
    metrics = server.request("GET", "/metrics").text
    rejected = [ln for ln in metrics.splitlines() if ln.startswith("parley_bus_rejected_total ")]
    assert rejected and int(rejected[0].split()[1]) >= 1, "the forged payload was not counted"


def test_a_redis_writer_does_not_change_the_record(node):
    """Whatever is published on Redis, the Store is the record: history over REST shows
    only what members sent."""
    server, redis = node
    ta, alice, tb, _, room = _pair(server)

    async def body():
        wb = await connect_ready(server, tb, name="bob")
        channel = _room_channel(redis, room)
        w = Resp(redis)
        try:
            w.command("SPUBLISH", channel, f"E {room} 1 {alice['id']}\n{{\"type\":\"event\"}}")
            w.reply()
            w.command("SPUBLISH", channel, b"\xff garbage without a header")
            w.reply()
        finally:
            w.close()
        await wb.ping()
        await wb.close()
    run(body())
    assert history(server, ta, room)["messages"] == []
    assert server.running
