"""The authorization matrix: every REST route and every WebSocket client frame, tried by
every role (owner, member, non-member, a user who left, a user who was kicked, the server
admin, and nobody at all) on public, private and direct rooms. Each gets exactly the
answer docs/api.md and docs/protocol.md give it, a refusal changes nothing, and whatever
is said about a room the caller may not see is byte-identical to what is said about a
room that does not exist (docs/security.md, "Threat model")."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

from parley_client import WS, frame_room, is_type, run, unique
from probe_world import (
    MISSING_ROOM, OUTSIDERS, ROLES_DIRECT, ROLES_GROUP, Room, World, png_bytes, start_server,
    stop_server,
)

ADMIN = unique("chief")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz")
    server, dbs = start_server(tmp, ["--admin", ADMIN])
    try:
        yield World(server, ADMIN)
    finally:
        complaint = stop_server(server, dbs)
    assert complaint is None, complaint


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    status: int
    code: Optional[str] = None   # the error code, for refusals
    hidden: bool = False         # also byte-identical to the answer for a missing room

    def __str__(self) -> str:
        return f"{self.status}{'-' + self.code if self.code else ''}{'-hidden' if self.hidden else ''}"


def ok(status: int = 200) -> Outcome:
    return Outcome(status)


FORBIDDEN = Outcome(403, "forbidden")
NOT_MEMBER = Outcome(403, "not_member")
NOT_FOUND = Outcome(404, "not_found")
HIDDEN = Outcome(404, "not_found", hidden=True)
CONFLICT = Outcome(409, "conflict")
UNAUTHORIZED = Outcome(401, "unauthorized")
INVALID_PROFILE = Outcome(400, "invalid_profile")


def members_of(kind: str) -> tuple[str, ...]:
    return ("owner", "member")


def unseen(kind: str) -> Outcome:
    """An outsider's answer: a public room admits it exists, the others do not."""
    return NOT_MEMBER if kind == "public" else HIDDEN


def member_rule(allowed: Outcome) -> Callable[[str, str], Outcome]:
    """Members get `allowed`, outsiders the room-visibility answer."""
    return lambda kind, role: allowed if role in members_of(kind) else unseen(kind)


# --------------------------------------------------------------------------- REST routes


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    # path(world, room, role) -> path with the room id at {room}
    path: Callable[[World, Room, str], str]
    expect: Callable[[str, str], Outcome]
    body: Callable[[World, Room, str], object] = lambda w, r, role: None
    raw: Optional[Callable[[World, Room, str], bytes]] = None


def own_seq(room: Room, role: str) -> int:
    """The seq of a message the role sent (outsiders who never wrote use the owner's)."""
    return room.msg.get(role, room.msg["owner"])


def other_seq(room: Room, role: str) -> int:
    """A message someone else sent: the owner's for everyone but the owner."""
    return room.msg["member"] if role == "owner" else room.msg["owner"]


def target_user(w: World, room: Room, role: str) -> int:
    # In a direct room the only other member is the peer.
    if room.kind == "direct":
        return w.user["member" if role == "owner" else "owner"]["id"]
    return w.user["target"]["id"]


def _join(kind, role):
    if kind != "public":
        return HIDDEN if role in OUTSIDERS else NOT_FOUND
    return CONFLICT if role in members_of(kind) else ok(200)


def _leave(kind, role):
    if kind == "direct":
        return FORBIDDEN if role in members_of(kind) else HIDDEN
    if role == "member":
        return ok(204)
    if role == "owner":
        return OWNER_LEAVE
    return unseen(kind)


def _add(kind, role):
    if kind == "direct":
        return FORBIDDEN if role in members_of(kind) else HIDDEN
    if role == "owner" or (role == "member" and kind == "public"):
        return ok(201)
    return FORBIDDEN if role == "member" else unseen(kind)


def _owner_only(allowed):
    def rule(kind, role):
        if role not in members_of(kind):
            return unseen(kind)
        return allowed if role == "owner" and kind != "direct" else FORBIDDEN
    return rule


def _settings(kind, role):
    # A server admin changes any group room's settings, member or not (api.md "Room
    # settings"); a direct room has none, for anyone.
    if role == "admin":
        return FORBIDDEN if kind == "direct" else ok(200)
    return _owner_only(ok(200))(kind, role)


def _edit_other(kind, role):
    return FORBIDDEN if role in members_of(kind) else unseen(kind)


def _files(allowed):
    # The file routes answer 404 to every non-member, public room or not (api.md, "Files").
    return lambda kind, role: allowed if role in members_of(kind) else HIDDEN


def _pin(kind, role):
    if role not in members_of(kind):
        return unseen(kind)
    return ok() if role == "owner" or kind == "direct" else FORBIDDEN


def _unattached(kind, role):
    # Before it is attached, an upload is its uploader's alone.
    return ok(200) if role == "owner" else HIDDEN


ROUTES = [
    Route("room_get", "GET", lambda w, r, role: "/rooms/{room}", member_rule(ok())),
    Route("room_members", "GET", lambda w, r, role: "/rooms/{room}/members?limit=5",
          member_rule(ok())),
    Route("join", "POST", lambda w, r, role: "/rooms/{room}/join", _join),
    Route("leave", "POST", lambda w, r, role: "/rooms/{room}/leave", _leave),
    Route("add_member", "POST", lambda w, r, role: "/rooms/{room}/members", _add,
          body=lambda w, r, role: {"username": w.user["extra"]["username"]}),
    Route("remove_member", "DELETE",
          lambda w, r, role: f"/rooms/{{room}}/members/{target_user(w, r, role)}",
          _owner_only(ok(204))),
    Route("set_role", "PATCH",
          lambda w, r, role: f"/rooms/{{room}}/members/{target_user(w, r, role)}",
          _owner_only(ok(200)), body=lambda w, r, role: {"role": "admin"}),
    Route("history", "GET", lambda w, r, role: "/rooms/{room}/messages?limit=10",
          member_rule(ok())),
    Route("history_around", "GET",
          lambda w, r, role: f"/rooms/{{room}}/messages?around={own_seq(r, role)}&limit=10",
          member_rule(ok())),
    Route("send", "POST", lambda w, r, role: "/rooms/{room}/messages", member_rule(ok(201)),
          body=lambda w, r, role: {"client_msg_id": f"authz-{role}", "text": "probe"}),
    Route("edit_own", "PATCH", lambda w, r, role: f"/rooms/{{room}}/messages/{own_seq(r, role)}",
          member_rule(ok()), body=lambda w, r, role: {"text": "rewritten"}),
    Route("edit_other", "PATCH",
          lambda w, r, role: f"/rooms/{{room}}/messages/{other_seq(r, role)}", _edit_other,
          body=lambda w, r, role: {"text": "rewritten"}),
    Route("delete_own", "DELETE",
          lambda w, r, role: f"/rooms/{{room}}/messages/{own_seq(r, role)}", member_rule(ok())),
    Route("delete_other", "DELETE",
          lambda w, r, role: f"/rooms/{{room}}/messages/{other_seq(r, role)}", _edit_other),
    Route("read", "POST", lambda w, r, role: "/rooms/{room}/read", member_rule(ok()),
          body=lambda w, r, role: {"seq": 1}),
    # Reactions: every member may react to any live message (api.md, "Reactions").
    Route("react", "POST",
          lambda w, r, role: f"/rooms/{{room}}/messages/{other_seq(r, role)}/reactions/tada",
          member_rule(ok())),
    Route("unreact", "DELETE",
          lambda w, r, role: f"/rooms/{{room}}/messages/{other_seq(r, role)}/reactions/tada",
          member_rule(ok())),
    # Pins: owners and admins of a group room (pins "admins", the default), both members of a
    # direct room (api.md, "Pins"); the list, every member.
    Route("pins", "GET", lambda w, r, role: "/rooms/{room}/pins", member_rule(ok())),
    Route("pin", "PUT", lambda w, r, role: f"/rooms/{{room}}/pins/{other_seq(r, role)}", _pin),
    Route("unpin", "DELETE", lambda w, r, role: f"/rooms/{{room}}/pins/{other_seq(r, role)}",
          _pin),
    # Room settings: owners and admins of a group room, and server admins; my notification
    # level: any member.
    Route("settings", "PATCH", lambda w, r, role: "/rooms/{room}", _settings,
          body=lambda w, r, role: {"pins": "admins"}),
    Route("rename", "PATCH", lambda w, r, role: "/rooms/{room}", _settings,
          body=lambda w, r, role: {"name": f"{r.kind} room", "topic": "t"}),
    Route("notifications", "PUT", lambda w, r, role: "/rooms/{room}/notifications",
          member_rule(ok()), body=lambda w, r, role: {"level": "mentions", "muted": False}),
    Route("upload", "POST", lambda w, r, role: "/rooms/{room}/files?name=probe.txt",
          _files(ok(201)), raw=lambda w, r, role: b"probe bytes"),
    Route("download", "GET", lambda w, r, role: f"/rooms/{{room}}/files/{r.file_attached}",
          _files(ok())),
    Route("download_head", "HEAD", lambda w, r, role: f"/rooms/{{room}}/files/{r.file_attached}",
          _files(ok())),
    Route("thumbnail", "GET",
          lambda w, r, role: f"/rooms/{{room}}/files/{r.file_attached}/thumbnail", _files(ok())),
    Route("download_unattached", "GET",
          lambda w, r, role: f"/rooms/{{room}}/files/{r.file_unattached}", _unattached),
]

# Answers that differ from the missing-room answer: none since issue 11, finding 10 (`join`
# said "no such room" for a room the caller may not see and "room not found" for none).
FINDING_10: set[tuple[str, str, str]] = set()

# The owner leaving a group room they share with others: the last owner may not (issue 11,
# finding 11; api.md, "Owners"), and nothing changes.
OWNER_LEAVE: Optional[Outcome] = CONFLICT


def _cases():
    for route in ROUTES:
        for kind in ("public", "private", "direct"):
            roles = ROLES_DIRECT if kind == "direct" else ROLES_GROUP
            for role in roles + ("anonymous",):
                expected = UNAUTHORIZED if role == "anonymous" else route.expect(kind, role)
                if expected is None:
                    continue
                marks = []
                if (route.name, kind, role) in FINDING_10:
                    marks.append(pytest.mark.xfail(strict=True, reason="issue 11 finding 10"))
                yield pytest.param(route, kind, role, expected, marks=marks,
                                   id=f"{route.name}-{kind}-{role}-{expected}")


def _request(w: World, route: Route, room: Room, role: str, room_id: int):
    path = route.path(w, room, role if role != "anonymous" else "nonmember")
    path = path.replace("{room}", str(room_id))
    body = route.body(w, room, role)
    raw = route.raw(w, room, role) if route.raw else None
    return w.call(None if role == "anonymous" else role, route.method, path, body, raw)


def _check(r, expected: Outcome, what: str) -> None:
    assert r.status == expected.status, f"{what}: expected {expected}, got {r}"
    if expected.code is not None and getattr(r, "request_method", "") != "HEAD":
        assert r.json and r.json.get("error", {}).get("code") == expected.code, \
            f"{what}: expected code {expected.code}, got {r}"


@pytest.mark.parametrize("route,kind,role,expected", list(_cases()))
def test_rest_route(world, route, kind, role, expected):
    room = world.room(kind)
    refused = expected.status >= 400
    before = world.snapshot(room) if refused else None
    r = _request(world, route, room, role, room.id)
    r.request_method = route.method
    _check(r, expected, f"{route.method} {route.name} by {role} in a {kind} room")
    if expected.hidden:
        missing = _request(world, route, room, role, MISSING_ROOM)
        assert (r.status, r.body) == (missing.status, missing.body), (
            f"{route.name} by {role}: the answer about a {kind} room it may not see, {r}, "
            f"differs from the answer about a missing room, {missing}")
    if refused:
        assert world.snapshot(room) == before, f"refused {route.name} by {role} changed the room"


# --------------------------------------------------------------------------- account routes

# (name, method, path(world), body, expected for a user, expected for the admin)
ACCOUNT_ROUTES = [
    ("me", "GET", lambda w: "/me", None, ok(), ok()),
    ("sessions", "GET", lambda w: "/sessions", None, ok(), ok()),
    ("audit", "GET", lambda w: "/audit?limit=5", None, ok(), ok()),
    ("admin_audit", "GET", lambda w: "/admin/audit?limit=5", None, FORBIDDEN, ok()),
    ("disable", "POST", lambda w: f"/admin/users/{w.user['victim']['username']}/disable", None,
     FORBIDDEN, ok(204)),
    ("enable", "POST", lambda w: f"/admin/users/{w.user['victim']['username']}/enable", None,
     FORBIDDEN, ok(204)),
    # No user-existence oracle for non-admins: the same 403 for a name nobody has.
    ("disable_nobody", "POST", lambda w: f"/admin/users/{unique('nobody')}/disable", None,
     FORBIDDEN, NOT_FOUND),
    ("user_by_name", "GET", lambda w: f"/users/{w.user['target']['username']}", None, ok(), ok()),
    ("user_missing", "GET", lambda w: f"/users/{unique('nobody')}", None, NOT_FOUND, NOT_FOUND),
    # An avatar: none set answers as no such user (docs/api.md "Avatars").
    ("avatar_unset", "GET", lambda w: f"/users/{w.user['target']['username']}/avatar", None,
     NOT_FOUND, NOT_FOUND),
    ("avatar_missing", "GET", lambda w: f"/users/{unique('nobody')}/avatar?size=64", None,
     NOT_FOUND, NOT_FOUND),
    ("avatar_remove", "DELETE", lambda w: "/me/avatar", None, ok(), ok()),
    ("avatar_set_foreign", "PUT", lambda w: "/me/avatar", {"room": 1, "file": "A" * 22},
     INVALID_PROFILE, INVALID_PROFILE),
    # Someone else's session is not mine to revoke: the same 404 as a session that never was.
    ("revoke_foreign_session", "DELETE",
     lambda w: f"/sessions/{w.session_of('target')}", None, NOT_FOUND, NOT_FOUND),
    ("revoke_missing_session", "DELETE", lambda w: f"/sessions/{2 ** 62}", None, NOT_FOUND,
     NOT_FOUND),
    ("rooms", "GET", lambda w: "/rooms", None, ok(), ok()),
    ("rooms_public", "GET", lambda w: "/rooms/public", None, ok(), ok()),
    ("create_room", "POST", lambda w: "/rooms", {"name": "mine"}, ok(201), ok(201)),
    ("direct", "POST", lambda w: "/direct", {"username": "__target__"}, ok(), ok()),
]


def _account_cases():
    for name, method, path, body, as_user, as_admin in ACCOUNT_ROUTES:
        for who, expected in (("anonymous", UNAUTHORIZED), ("nonmember", as_user),
                              ("admin", as_admin)):
            yield pytest.param(name, method, path, body, who, expected,
                               id=f"{name}-{who}-{expected}")


def _session_of(w: World, role: str) -> int:
    me = w.ok(role, "GET", "/me")
    return me["session"]["id"]


World.session_of = _session_of


@pytest.mark.parametrize("name,method,path,body,who,expected", list(_account_cases()))
def test_account_route(world, name, method, path, body, who, expected):
    if body == {"username": "__target__"}:
        body = {"username": world.user["target"]["username"]}
    r = world.call(None if who == "anonymous" else who, method, path(world), body)
    r.request_method = method
    _check(r, expected, f"{method} {name} by {who}")
    if name == "revoke_foreign_session" and expected.status == 404:
        missing = world.call(who, "DELETE", f"/sessions/{2 ** 62}")
        assert (r.status, r.body) == (missing.status, missing.body)
        # and the target's session still works
        world.ok("target", "GET", "/me")
    if name == "disable_nobody" and who == "nonmember":
        real = world.call(who, "POST", f"/admin/users/{world.user['victim']['username']}/disable")
        assert (r.status, r.body) == (real.status, real.body)
    if name == "disable" and who == "admin":
        world.ok("admin", "POST", f"/admin/users/{world.user['victim']['username']}/enable",
                 expect=204)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_ops_routes_need_no_token_and_say_nothing_private(world, path):
    r = world.call(None, "GET", path)
    assert r.status == 200, r
    for role in ("owner", "admin"):
        assert world.tok[role].encode() not in r.body


@pytest.mark.parametrize("who", ["nonmember", "admin"])
def test_logout_and_own_session_revoke(world, who):
    from parley_client import login
    spare = login(world.s, world.user[who]["username"], device="spare")
    sid = spare["session"]["id"]
    world.tok[f"spare-{who}"] = spare["token"]
    assert world.call(f"spare-{who}", "GET", "/me").status == 200
    assert world.call(who, "DELETE", f"/sessions/{sid}").status == 204
    _check(world.call(f"spare-{who}", "GET", "/me"), UNAUTHORIZED, "revoked session")
    spare = login(world.s, world.user[who]["username"], device="spare2")
    world.tok[f"spare-{who}"] = spare["token"]
    assert world.call(f"spare-{who}", "POST", "/logout").status == 204
    _check(world.call(f"spare-{who}", "GET", "/me"), UNAUTHORIZED, "logged-out session")
    assert world.call(who, "GET", "/me").status == 200


# --------------------------------------------------------------------------- WebSocket frames


WS_FRAMES = {
    "send": lambda room, role: {"type": "send", "room": room.id, "client_msg_id": f"ws-{role}",
                                "text": "probe"},
    "edit": lambda room, role: {"type": "edit", "room": room.id, "seq": own_seq(room, role),
                                "text": "rewritten"},
    "delete": lambda room, role: {"type": "delete", "room": room.id, "seq": own_seq(room, role)},
    "read": lambda room, role: {"type": "read", "room": room.id, "seq": 1},
    "typing": lambda room, role: {"type": "typing", "room": room.id},
}


def _ws_cases():
    for frame in list(WS_FRAMES) + ["resume"]:
        for kind in ("public", "private", "direct"):
            roles = ROLES_DIRECT if kind == "direct" else ROLES_GROUP
            for role in roles:
                allowed = role in members_of(kind)
                if frame == "resume":
                    expected = "replayed" if allowed else "nothing"
                elif allowed:
                    expected = "silent" if frame == "typing" else "ack"
                else:
                    expected = "not_member" if kind == "public" else "not_found-hidden"
                yield pytest.param(frame, kind, role, expected,
                                   id=f"{frame}-{kind}-{role}-{expected}")


_missing_ids = itertools.count(1)


def _answer(ws: WS, frame: dict):
    """Sends a frame with a req, then a ping: returns the frame's error (or None) once the
    pong shows the server handled both."""
    async def go():
        req = ws.next_req()
        await ws.send_json(dict(frame, req=req))
        ping = ws.next_req()
        await ws.send_json({"type": "ping", "req": ping})
        got = await ws.collect_until(lambda f: f.get("type") == "pong" and f.get("req") == ping)
        answers = [f for f in got if f.get("req") == req]
        return answers
    return go()


@pytest.mark.parametrize("frame,kind,role,expected", list(_ws_cases()))
def test_ws_frame(world, frame, kind, role, expected):
    room = world.room(kind)
    before = world.snapshot(room) if expected not in ("ack", "replayed", "silent") else None

    async def body():
        ws = WS(world.s, world.tok[role], name=role)
        await ws.connect()
        try:
            if frame == "resume":
                _, replay = await ws.hello_caught_up(resume={room.id: 0})
                mine = [f for f in replay if f.get("type") == "event" and frame_room(f) == room.id]
                if expected == "replayed":
                    assert mine, f"{role} got no replay of its {kind} room"
                else:
                    assert not mine, f"{role} resumed a {kind} room it is not in: {mine[:3]}"
                return
            await ws.hello_caught_up()
            answers = await _answer(ws, WS_FRAMES[frame](room, role))
            if expected == "ack":
                assert [a["type"] for a in answers] == ["ack"], answers
                return
            if expected == "silent":
                assert answers == [], answers
                return
            assert len(answers) == 1 and answers[0]["type"] == "error", answers
            code = expected.split("-")[0]
            assert answers[0]["code"] == code, answers
            if expected.endswith("hidden"):
                f = WS_FRAMES[frame](room, role)
                # Another missing id each time: typing is throttled per user and room.
                f["room"] = MISSING_ROOM + next(_missing_ids)
                missing = await _answer(ws, f)
                strip = lambda a: {k: v for k, v in a.items() if k != "req"}  # noqa: E731
                assert [strip(a) for a in answers] == [strip(a) for a in missing], (answers, missing)
        finally:
            await ws.close()
    run(body())
    if before is not None:
        assert world.snapshot(room) == before, f"refused {frame} by {role} changed the room"


def test_outsiders_get_no_live_events_of_rooms_they_left_or_never_joined(world):
    """Live fan-out is checked as well as requests: a left or kicked user's socket, and an
    outsider's, see nothing of a room's later events, while a member's does."""
    room = world.room("private")

    async def body():
        socks = {role: await _ready(world, role) for role in ("member",) + OUTSIDERS}
        world.send("owner", room.id, "after the door closed")
        await socks["member"].recv_until(lambda f: f.get("type") == "event"
                                         and frame_room(f) == room.id)
        for role in OUTSIDERS:
            await socks[role].ping()  # the server handled everything sent before
            seen = [f for f in socks[role].frames if frame_room(f) == room.id
                    and f.get("type") in ("event", "typing", "read")]
            assert not seen, f"{role} saw {seen}"
        for ws in socks.values():
            await ws.close()
    run(body())


async def _ready(world: World, role: str) -> WS:
    ws = WS(world.s, world.tok[role], name=role)
    await ws.connect()
    await ws.hello_caught_up()
    return ws


def test_png_helper_makes_a_thumbnailable_image(world):
    """The matrix's thumbnail rows rely on the owner's picture having a thumbnail."""
    room = world.room("private")
    assert world.call("owner", "GET",
                      f"/rooms/{room.id}/files/{room.file_attached}/thumbnail").status == 200
    assert png_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
