"""Rooms the caller may not see are indistinguishable from rooms that do not exist.

`join` once answered "no such room" for a private room and "room not found" for a missing
id, so anyone could list which private room ids exist. Here every REST route and every
WebSocket frame that names a room is asked about: a private room the caller was never in,
a direct room of two other people, a private room the caller left, one they were removed
from, and ids that name nothing (a huge id, 0, negative, not a number, beyond 64 bits).
Each answer must equal, byte for byte (status, headers, body, or the error frame), the
answer about a missing room."""

from __future__ import annotations

import pytest

from parley_client import (
    add_member, connect_ready, create_room, new_cmid, post_message, run, WS,
)

BASELINE = "missing"
MISSING_ID = str(2 ** 63 - 1)


class World:
    """One caller X and the rooms X may not see, each with messages and an attached file."""

    def __init__(self, server, users):
        self.server = server
        self.x, self.xu = users("caller")
        self.o, self.ou = users("owner")
        self.p, self.pu = users("peer")
        self.q, self.qu = users("other")
        rooms = {}
        rooms["never_in"] = create_room(server, self.o, "secret", public=False)["id"]
        add_member(server, self.o, rooms["never_in"], self.pu["username"])
        st, js = server.api("POST", "/direct", {"username": self.qu["username"]}, token=self.p)
        assert st == 200, js
        rooms["direct_of_others"] = js["room"]["id"]
        for how in ("left", "removed"):
            rid = create_room(server, self.o, how, public=False)["id"]
            add_member(server, self.o, rid, self.pu["username"])
            add_member(server, self.o, rid, self.xu["username"])
            post_message(server, self.x, rid, "mine, before I went")
            rooms[how] = rid
        self.files = {}
        self.seqs = {}
        for name, rid in rooms.items():
            tok = self.p  # P is in every one of them
            st, js = server.api("POST", f"/rooms/{rid}/files?name=note.txt", token=tok,
                                raw=b"a file in a room the caller may not see",
                                headers={"Content-Type": "application/octet-stream"})
            assert st == 201, js
            fid = js["file"]["id"]
            st, js = server.api("POST", f"/rooms/{rid}/messages",
                                {"client_msg_id": new_cmid(), "text": "with a file", "files": [fid]},
                                token=tok)
            assert st == 201, js
            self.files[name] = fid
            # The caller's own message where there is one (they sent it before going).
            self.seqs[name] = 1
        st, _ = server.api("POST", f"/rooms/{rooms['left']}/leave", token=self.x)
        assert st == 204
        st, _ = server.api("DELETE", f"/rooms/{rooms['removed']}/members/{self.xu['id']}",
                           token=self.o)
        assert st == 204
        self.rooms = {k: str(v) for k, v in rooms.items()}
        # Ids naming no room, as a path segment.
        top = max(rooms.values())
        self.rooms.update({
            BASELINE: MISSING_ID,
            "beyond_the_last_id": str(top + 1000),
            "zero": "0",
            "negative": "-1",
            "not_a_number": "abc",
            "beyond_64_bits": "99999999999999999999",
            "fraction": "1.5",
            "hex": "0x1",
        })
        for k in self.rooms:
            self.files.setdefault(k, self.files["never_in"])
            self.seqs.setdefault(k, 1)


@pytest.fixture
def world(server, users):
    return World(server, users)


def answer(r) -> tuple:
    headers = sorted((k.lower(), v) for k, v in r.headers.items() if k.lower() != "date")
    return r.status, headers, r.body


# The route table: every REST route that names a room. {room}, {seq}, {file}, {peer},
# {me}, {peer_name} are filled in per target.
ROUTES = [
    ("GET", "/rooms/{room}", None),
    ("GET", "/rooms/{room}?after=0&limit=5", None),
    ("GET", "/rooms/{room}/members", None),
    ("GET", "/rooms/{room}/members?limit=1", None),
    ("POST", "/rooms/{room}/join", None),
    ("POST", "/rooms/{room}/leave", None),
    ("POST", "/rooms/{room}/members", {"username": "{peer_name}"}),
    ("DELETE", "/rooms/{room}/members/{peer}", None),
    ("DELETE", "/rooms/{room}/members/{me}", None),
    ("PATCH", "/rooms/{room}/members/{peer}", {"role": "admin"}),
    ("PATCH", "/rooms/{room}/members/{me}", {"role": "owner"}),
    ("GET", "/rooms/{room}/messages", None),
    ("GET", "/rooms/{room}/messages?before=5&limit=10", None),
    ("GET", "/rooms/{room}/messages?after=0", None),
    ("GET", "/rooms/{room}/messages?around={seq}", None),
    ("GET", "/rooms/{room}/messages?around=5&limit=10", None),
    ("POST", "/rooms/{room}/messages", {"client_msg_id": "{cmid}", "text": "hello?"}),
    ("POST", "/rooms/{room}/messages", {"client_msg_id": "{cmid}", "text": "re", "reply_to": 1}),
    ("POST", "/rooms/{room}/messages", {"client_msg_id": "{cmid}", "files": ["{file}"]}),
    ("PATCH", "/rooms/{room}/messages/{seq}", {"text": "changed"}),
    ("DELETE", "/rooms/{room}/messages/{seq}", None),
    ("POST", "/rooms/{room}/messages/{seq}/reactions/%F0%9F%91%8D", None),
    ("POST", "/rooms/{room}/messages/{seq}/reactions/tada", None),
    ("DELETE", "/rooms/{room}/messages/{seq}/reactions/%F0%9F%91%8D", None),
    ("POST", "/rooms/{room}/read", {"seq": 1}),
    ("GET", "/rooms/{room}/messages?thread={seq}", None),
    ("GET", "/rooms/{room}/messages?thread={seq}&before=9&limit=2", None),
    ("POST", "/rooms/{room}/messages",
     {"client_msg_id": "{cmid}", "text": "in thread", "thread_root": 1}),
    ("PUT", "/rooms/{room}/threads/{seq}/follow", None),
    ("DELETE", "/rooms/{room}/threads/{seq}/follow", None),
    ("POST", "/rooms/{room}/threads/{seq}/read", {"seq": 1}),
    ("GET", "/rooms/{room}/pins", None),
    ("PUT", "/rooms/{room}/pins/{seq}", None),
    ("DELETE", "/rooms/{room}/pins/{seq}", None),
    ("PATCH", "/rooms/{room}", {"pins": "all"}),
    ("PATCH", "/rooms/{room}", {"room_mentions": "admins", "pins": "admins"}),
    ("PATCH", "/rooms/{room}", {"name": "renamed", "topic": "t", "public": True}),
    ("PUT", "/rooms/{room}/notifications", {"level": "none"}),
    ("PUT", "/rooms/{room}/notifications", {"level": "mentions", "muted": True}),
    ("POST", "/rooms/{room}/files?name=probe.txt", b"probe"),
    ("GET", "/rooms/{room}/files/{file}", None),
    ("GET", "/rooms/{room}/files/{file}?download=1", None),
    ("HEAD", "/rooms/{room}/files/{file}", None),
    ("GET", "/rooms/{room}/files/{file}/thumbnail", None),
    # An avatar made of a file of that room: the room is in the body, as a number.
    ("PUT", "/me/avatar", {"room": "{room_int}", "file": "{file}"}),
]


def fill(value, w: World, target: str):
    if isinstance(value, dict):
        return {k: fill(v, w, target) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, w, target) for v in value]
    if value == "{room_int}":
        # In a JSON body an id that is not a number, or is past 64 bits, is a malformed
        # body (400 bad_request), not a room: those targets ask about room 0, no room.
        room = str(w.rooms[target])
        return int(room) if room.isdigit() and int(room) < 2 ** 63 else 0
    if isinstance(value, str):
        return value.format(room=w.rooms[target], seq=w.seqs[target], file=w.files[target],
                            peer=w.pu["id"], me=w.xu["id"], peer_name=w.pu["username"],
                            cmid=new_cmid())
    return value


def ask(w: World, method: str, path: str, body, target: str):
    path = fill(path, w, target)
    if isinstance(body, bytes):
        return w.server.request(method, path, raw=body, token=w.x,
                                headers={"Content-Type": "application/octet-stream"})
    return w.server.request(method, path, fill(body, w, target), token=w.x)


@pytest.mark.timeout_s(120)
def test_every_route_answers_a_hidden_room_as_a_missing_one(world):
    w = world
    differences = []
    for method, path, body in ROUTES:
        expected = answer(ask(w, method, path, body, BASELINE))
        assert 400 <= expected[0] < 500, (method, path, expected)
        for target in w.rooms:
            if target == BASELINE:
                continue
            got = answer(ask(w, method, path, body, target))
            if got != expected:
                differences.append((method, path, target, got, expected))
    assert not differences, "\n".join(
        f"{m} {p} [{t}]: {g} != missing {e}" for m, p, t, g, e in differences)
    # Nothing the caller asked changed any of the rooms: P still sees what was there.
    for name in ("never_in", "direct_of_others", "left", "removed"):
        st, js = w.server.api("GET", f"/rooms/{w.rooms[name]}/messages", token=w.p)
        assert st == 200
        assert all(m["text"] != "changed" and not m["deleted"] for m in js["messages"]), js
        st, js = w.server.api("GET", f"/rooms/{w.rooms[name]}", token=w.p)
        assert w.xu["id"] not in {m["user_id"] for m in js["members"]}


# Every WebSocket frame that names a room, as the caller sends it.
FRAMES = [
    {"type": "send", "client_msg_id": "{cmid}", "text": "hello?"},
    {"type": "send", "client_msg_id": "{cmid}", "text": "re", "reply_to": 1},
    {"type": "send", "client_msg_id": "{cmid}", "files": ["{file}"]},
    {"type": "send", "client_msg_id": "{cmid}", "text": "in thread", "thread_root": 1},
    {"type": "edit", "seq": "{seq}", "text": "changed"},
    {"type": "delete", "seq": "{seq}"},
    {"type": "read", "seq": 1},
    {"type": "typing"},
    {"type": "typing"},  # twice: a refusal is not throttled into silence
]


MISTYPED = "not_a_number"


def ws_rooms(w: World) -> tuple[dict, dict]:
    """The `room` values of frames: integers (each answered as the missing room is), and
    values that are no integer (each answered as the mistyped field it is, whatever it
    holds: the string of a hidden room's id too)."""
    ints = {k: int(v) for k, v in w.rooms.items() if v.lstrip("-").isdigit() and abs(int(v)) < 2 ** 63}
    mistyped = {MISTYPED: "abc", "string_id": w.rooms["never_in"], "fraction": 1.5,
                "beyond_64_bits": 2 ** 64, "boolean": True, "object": {"id": 1}}
    return ints, mistyped


@pytest.mark.timeout_s(120)
def test_every_frame_answers_a_hidden_room_as_a_missing_one(world):
    w = world
    ints, mistyped = ws_rooms(w)
    rooms = {**ints, **mistyped}

    async def body():
        ws = await connect_ready(w.server, w.x, name="caller")
        differences = []
        for template in FRAMES:
            answers = {}
            for target, room in rooms.items():
                frame = {k: fill(v, w, target if target in w.seqs else BASELINE)
                         for k, v in template.items()}
                frame["seq"] = int(frame["seq"]) if "seq" in frame else None
                if frame["seq"] is None:
                    del frame["seq"]
                frame.update(room=room, req="probe")
                await ws.send_json(frame)
                answers[target] = await ws.recv_until(
                    lambda f: f.get("req") == "probe" and f.get("type") in ("ack", "error"),
                    what=f"answer to {template['type']} about {target}")
            expected = answers[BASELINE]
            assert expected["type"] == "error" and expected["code"] == "not_found", expected
            differences += [(template["type"], t, answers[t], expected) for t in ints
                            if answers[t] != expected]
            expected = answers[MISTYPED]
            assert expected["type"] == "error" and expected["code"] == "bad_request", expected
            differences += [(template["type"], t, answers[t], expected) for t in mistyped
                            if answers[t] != expected]
        await ws.ping()
        # Nothing about those rooms reached the caller.
        leaked = [f for f in ws.frames if f.get("type") in ("event", "typing", "read", "member")]
        await ws.close()
        return differences, leaked

    differences, leaked = run(body(), timeout=100)
    assert not differences, "\n".join(f"{k} [{t}]: {a} != missing {e}" for k, t, a, e in differences)
    assert not leaked, leaked


def test_hello_resume_of_a_hidden_room_is_that_of_a_missing_one(world):
    """A resume entry for a room the caller may not see replays nothing, exactly as one for a
    room that does not exist; the caller's own room replays the same either way."""
    w = world
    own = create_room(w.server, w.x, "mine", public=False)["id"]
    post_message(w.server, w.x, own, "my own")

    async def session(target: str) -> list:
        ws = WS(w.server, w.x, name=f"resume-{target}")
        await ws.connect()
        await ws.hello(resume={own: 0, w.rooms[target]: 0})
        frames = [ws.ready] + await ws.collect_until(lambda f: f.get("type") == "caught_up")
        await ws.ping()
        frames += [f for f in ws.pending if f.get("type") != "pong"]
        await ws.close()
        return frames

    async def body():
        return {t: await session(t) for t in w.rooms}

    sessions = run(body(), timeout=60)
    expected = sessions[BASELINE]
    assert any(f.get("type") == "event" and f["event"]["room"] == own for f in expected)
    for target, frames in sessions.items():
        assert frames == expected, (target, frames, expected)
