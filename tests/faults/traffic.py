"""Real traffic for the fault scenarios: writers that send until acked, readers that resume,
every client keeping its log for the checker.

A `Writer` sends messages with fresh client_msg_ids at a paced rate over WebSocket or REST,
to its node list in turn: on an error answer it records the code and retries the same
client_msg_id (a retry must never duplicate); on a lost connection it records
`connection` and moves to the next node. A `Reader` holds a WebSocket to one node of its
list, logs every `message` event, and on any close or refusal reconnects (next node) with
`resume` set to the last seq it saw. Both run in one asyncio loop with the fault.

Pacing between sends and between retries uses asyncio.sleep: that sets a rate, it does not
wait for anything; every wait for a condition is a poll with a deadline (`until`).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Callable, Optional

import websockets
import websockets.exceptions

from checker import Ack, ClientLog, Received
from parley_client import WS, Server, history

RETRY_PAUSE = 0.05  # between retries of one send, and between reconnect attempts


class Writer:
    def __init__(self, name: str, nodes: list[Server], token: str, room: int, rate: float,
                 mode: str = "ws", size: int = 0):
        assert mode in ("ws", "rest")
        self.pad = "x" * max(0, size)  # texts of about `size` bytes make a room busy in bytes
        self.log = ClientLog(name)
        self.name, self.nodes, self.token, self.room = name, nodes, token, room
        self.interval = 1.0 / rate
        self.mode = mode
        self.k = 0  # index of the node in use
        self.ws: Optional[WS] = None
        self.sent = 0
        self.gave_up: list[str] = []  # client_msg_ids never acked (stopped while retrying)

    async def run(self, stop: asyncio.Event) -> None:
        i = 0
        next_at = time.monotonic()
        try:
            while not stop.is_set():
                cmid = f"{self.name}-{i}"
                if not await self._send_until_acked(cmid, stop):
                    self.gave_up.append(cmid)
                i += 1
                next_at += self.interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing (see the module docstring)
                else:
                    next_at = time.monotonic()
        finally:
            await self._drop_ws()

    async def _send_until_acked(self, cmid: str, stop: asyncio.Event) -> bool:
        while True:
            try:
                ack = await (self._send_ws(cmid) if self.mode == "ws" else self._send_rest(cmid))
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException,
                    AssertionError, ConnectionError) as e:
                self.log.errors.append((time.monotonic(), "connection"))
                self.log.reconnects += 1
                await self._drop_ws()
                self.k += 1
                ack = None
                del e
            if ack is not None:
                self.log.acks.append(ack)
                self.sent += 1
                return True
            if stop.is_set():
                return False
            await asyncio.sleep(RETRY_PAUSE)  # pacing of retries

    async def _send_ws(self, cmid: str) -> Optional[Ack]:
        if self.ws is None:
            ws = WS(self.nodes[self.k % len(self.nodes)], self.token, name=self.name)
            await ws.connect()
            await ws.hello()
            self.ws = ws
        ws = self.ws
        req = ws.next_req()
        await ws.send_json({"type": "send", "req": req, "room": self.room,
                            "client_msg_id": cmid, "text": f"{self.name} {cmid} {self.pad}"})
        deadline = time.monotonic() + 10
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise asyncio.TimeoutError()
            raw = await asyncio.wait_for(ws.ws.recv(), remaining)
            f = json.loads(raw)
            if f.get("req") != req:
                continue  # events of the room and other frames: a reader's business
            if f.get("type") == "ack":
                assert f["client_msg_id"] == cmid and f["room"] == self.room, f
                return Ack(self.room, f["seq"], cmid, time.monotonic())
            self.log.errors.append((time.monotonic(), f.get("code", "?")))
            return None

    async def _send_rest(self, cmid: str) -> Optional[Ack]:
        node = self.nodes[self.k % len(self.nodes)]
        body = {"client_msg_id": cmid, "text": f"{self.name} {cmid} {self.pad}"}
        loop = asyncio.get_running_loop()
        st, js = await loop.run_in_executor(
            None, lambda: node.api("POST", f"/rooms/{self.room}/messages", body, token=self.token))
        if st in (200, 201):
            m = js["message"]
            assert m["client_msg_id"] == cmid, js
            return Ack(self.room, m["seq"], cmid, time.monotonic())
        code = (js or {}).get("error", {}).get("code", "?") if isinstance(js, dict) else "?"
        self.log.errors.append((time.monotonic(), f"{st} {code}"))
        return None

    async def _drop_ws(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            await ws.close()


class Reader:
    def __init__(self, name: str, nodes: list[Server], token: str, rooms: list[int]):
        self.log = ClientLog(name)
        self.name, self.nodes, self.token = name, nodes, token
        self.rooms = rooms
        self.last: dict[int, int] = {r: 0 for r in rooms}
        self.k = 0
        self.closes: list[tuple[float, Optional[int]]] = []  # (when, close code)
        self.resyncs = 0
        self.connected = asyncio.Event()
        self.ws: Optional[WS] = None

    async def kick(self) -> None:
        """Closes the reader's socket from its side: it reconnects (next node) and resumes."""
        if self.ws is not None:
            await self.ws.close()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            ws = WS(self.nodes[self.k % len(self.nodes)], self.token, name=self.name)
            self.ws = ws
            try:
                await ws.connect()
                await ws.hello(resume=dict(self.last))
                if not self.log.start_seq:
                    self.log.start_seq = dict(self.last)
                self.connected.set()
                await self._read(ws, stop)
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException,
                    AssertionError):
                pass
            finally:
                self.closes.append((time.monotonic(), ws.close_code))
                await ws.close()
            if not stop.is_set():
                self.log.reconnects += 1
                self.k += 1
                await asyncio.sleep(RETRY_PAUSE)  # pacing of reconnects

    async def _read(self, ws: WS, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.ws.recv(), 0.2)
            except asyncio.TimeoutError:
                continue  # only to look at `stop` again
            f = json.loads(raw)
            if f.get("type") == "resync":
                self.resyncs += 1
                self.log.errors.append((time.monotonic(), "resync"))
            if f.get("type") != "event":
                continue
            e = f["event"]
            if e.get("room") in self.last and e.get("kind") == "message":
                self.log.received.append(Received(e["room"], e["seq"], e.get("client_msg_id"),
                                                  time.monotonic()))
                self.last[e["room"]] = max(self.last[e["room"]], e["seq"])


async def until(cond: Callable[[], bool], deadline_s: float, what: str,
                step: float = 0.02) -> float:
    """Polls `cond` until true (the event loop keeps running); returns the seconds it took."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > deadline_s:
            raise AssertionError(f"not within {deadline_s}s: {what}")
        await asyncio.sleep(step)  # polling with a deadline
    return time.monotonic() - start


def store_history(node: Server, token: str, room: int) -> list[tuple[int, str]]:
    """The room's whole message history as the Store holds it, (seq, client_msg_id) in order."""
    seen: list[dict] = []
    before = None
    while True:
        page = history(node, token, room, limit=200, **({"before": before} if before else {}))
        seen = page["messages"] + seen
        if not page["has_more"] or not page["messages"]:
            break
        before = page["messages"][0]["seq"]
    return [(m["seq"], m.get("client_msg_id")) for m in seen if m.get("kind", "message") == "message"]


def top_acked(writers: list[Writer], room: int) -> int:
    return max((a.seq for w in writers for a in w.log.acks if a.room == room), default=0)
