"""Timeline write floods: every write (send, edit, delete; REST and WebSocket) is stored and
fanned out to every member, so every one counts against the sender's --send-rate. Edits
and deletes once skipped it: 1,980 edits of 16 KB in 3 s, each sent to every member.

A refusal is `rate_limited` with Retry-After (a `retry_after` field over the WebSocket)
and changes nothing: the room's last seq counts only the accepted writes."""

from __future__ import annotations

import time

import pytest

from parley_client import (
    connect_ready, create_room, join, new_cmid, post_message, register_and_login, room_last_seq,
    run,
)

RATE = 5
BIG = "e" * 16384  # the largest text a message may have



def bound(elapsed: float) -> int:
    """The most writes a fixed 1 s window lets through in `elapsed` seconds."""
    return RATE * (int(elapsed) + 2)


def check_refusal(r) -> None:
    assert r.status == 429, r
    assert r.json["error"]["code"] == "rate_limited", r
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.strip().isdigit() and int(ra) >= 1, ra


@pytest.fixture
def flood(server_factory):
    server = server_factory(send_rate=RATE)
    a, _ = register_and_login(server, "flooder")
    b, _ = register_and_login(server, "victim")
    room = create_room(server, a, "flooded")
    join(server, b, room["id"])
    return server, a, b, room["id"]


REST_WRITES = {
    "edit": lambda server, tok, room, seq, i: server.request(
        "PATCH", f"/rooms/{room}/messages/{seq}", {"text": BIG[:-8] + f"{i:08d}"}, token=tok),
    "delete": lambda server, tok, room, seq, i: server.request(
        "DELETE", f"/rooms/{room}/messages/{seq}", token=tok),
    "send": lambda server, tok, room, seq, i: server.request(
        "POST", f"/rooms/{room}/messages", {"client_msg_id": new_cmid(), "text": BIG}, token=tok),
}


@pytest.mark.parametrize("kind", sorted(REST_WRITES))
def test_rest_write_flood_is_limited(flood, kind):
    server, a, b, room = flood
    target = post_message(server, a, room, "target")["seq"]
    before = room_last_seq(server, a, room)
    started = time.monotonic()
    answers = [REST_WRITES[kind](server, a, room, target, i) for i in range(40)]
    elapsed = time.monotonic() - started
    stored = room_last_seq(server, a, room) - before
    refused = [r for r in answers if r.status == 429]
    assert refused, f"40 {kind}s at --send-rate {RATE} were never limited"
    for r in refused:
        check_refusal(r)
    # Only accepted writes reached the timeline (a delete of a deleted message is a 404
    # that stores nothing, and still counts against the limit).
    accepted = [r for r in answers if r.status in (200, 201)]
    assert stored == len(accepted), (stored, [r.status for r in answers])
    assert len(accepted) + len([r for r in answers if r.status == 404]) <= bound(elapsed)


def test_edits_and_deletes_share_the_send_bucket(flood):
    """Sends use up the bucket, then an edit and a delete are refused too (and vice versa
    the other way round would let a flooder alternate kinds)."""
    server, a, b, room = flood
    target = post_message(server, a, room, "mine")["seq"]
    started = time.monotonic()
    sends = [REST_WRITES["send"](server, a, room, 0, i) for i in range(3 * RATE)]
    edit = REST_WRITES["edit"](server, a, room, target, 0)
    delete = REST_WRITES["delete"](server, a, room, target, 0)
    elapsed = time.monotonic() - started
    assert any(r.status == 429 for r in sends)
    if elapsed < 0.9:  # all in one window: the bucket was empty for both
        check_refusal(edit)
        check_refusal(delete)
    # Whatever the window, the refused ones changed nothing.
    st, js = server.api("GET", f"/rooms/{room}/messages?limit=200", token=b)
    assert st == 200
    mine = [m for m in js["messages"] if m["seq"] == target]
    if delete.status == 429:
        assert mine and not mine[0]["deleted"]
        if edit.status == 429:
            assert mine[0]["text"] == "mine" and mine[0]["edited_at"] == 0


def test_limit_is_per_sender(flood):
    server, a, b, room = flood
    target = post_message(server, a, room, "a's")["seq"]
    answers = [REST_WRITES["edit"](server, a, room, target, i) for i in range(4 * RATE)]
    assert any(r.status == 429 for r in answers)
    mine = post_message(server, b, room, "b's")["seq"]
    r = REST_WRITES["edit"](server, b, room, mine, 1)
    assert r.status == 200, r


def test_refused_writes_to_rooms_the_sender_cannot_see_count_too(flood):
    """Charged before the room is looked at, so a prober cannot tell a hidden room from a
    missing one by whether it was charged, and pays for the probes."""
    server, a, b, room = flood
    stranger, _ = register_and_login(server, "prober")
    answers = [server.request("PATCH", f"/rooms/{room}/messages/1", {"text": "x"}, token=stranger)
               for _ in range(4 * RATE)]
    codes = {r.status for r in answers}
    assert 429 in codes, codes
    assert codes <= {403, 429}, codes  # 403 not_member: the room is public


@pytest.mark.parametrize("kind", ["edit", "delete", "mixed"])
def test_ws_write_flood_is_limited(flood, kind):
    server, a, b, room = flood
    target = post_message(server, a, room, "target")["seq"]
    before = room_last_seq(server, a, room)

    async def body():
        watcher = await connect_ready(server, b, name="victim")
        ws = await connect_ready(server, a, name="flooder")
        reqs = []
        started = time.monotonic()
        for i in range(40):
            k = kind if kind != "mixed" else ("edit", "delete", "send")[i % 3]
            frame = {"type": k, "req": ws.next_req(), "room": room, "seq": target}
            if k == "edit":
                frame["text"] = BIG[:-8] + f"{i:08d}"
            if k == "send":
                frame.update(client_msg_id=new_cmid(), text=BIG)
            reqs.append(frame["req"])
            await ws.send_json(frame)
        answers = [await ws.recv_until(lambda f, r=r: f.get("req") == r
                                       and f.get("type") in ("ack", "error"))
                   for r in reqs]
        elapsed = time.monotonic() - started
        await ws.ping()  # the connection stays usable
        acks = [f for f in answers if f["type"] == "ack"]
        refused = [f for f in answers if f.get("code") == "rate_limited"]
        assert refused, answers[:8]
        for f in refused:
            assert isinstance(f.get("retry_after"), int) and f["retry_after"] >= 1, f
        assert len(answers) - len(refused) <= bound(elapsed)
        # The watcher is fanned out exactly the accepted writes, nothing for the refused.
        stored = room_last_seq(server, a, room) - before
        assert stored == len(acks)
        await watcher.recv_until(lambda f: f.get("type") == "event"
                                 and f["event"]["seq"] == before + stored, what="last write")
        assert len([e for e in watcher.events(room) if e["seq"] > before]) == stored
        await ws.close()
        await watcher.close()
    run(body(), timeout=25)
