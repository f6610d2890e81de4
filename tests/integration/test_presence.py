"""Bounded live presence (docs/protocol.md "Presence"): frames flow only between users who
share a direct room or a group room of at most --presence-room-limit members; after ready
one presence_snapshot frame lists the online ones; the member list reports `online` for
every member of any room.

Absence of a frame is proven with a barrier, not a wait: a "marker" user who shares a
direct room with the observer connects (or leaves) after the action under test. Presence
frames to one user travel on that user's topic in order, so when the observer receives the
marker's frame, any frame the earlier action caused has arrived before it. That a user's
going offline has been processed is seen by a "witness" sharing a direct room with them.
"""

import subprocess

from parley_client import (
    add_member, connect_ready, create_room, is_presence, parley_bin, register_and_login, run,
    snapshot_ids,
)

LIMIT = 3


def _server(server_factory, limit=LIMIT):
    return server_factory(extra=("--presence-room-limit", str(limit)))


def _direct(server, token, username) -> dict:
    st, js = server.api("POST", "/api/v1/direct", {"username": username}, token=token)
    assert st == 200, js
    return js["room"]


def _group(server, owner, members) -> dict:
    """A private group room of `owner` with the users `members` ((token, user) pairs)."""
    room = create_room(server, owner, "group", public=False)
    for _tok, u in members:
        add_member(server, owner, room["id"], u["username"])
    return room


def _members(server, token, room_id, **params) -> dict:
    q = "&".join(f"{k}={v}" for k, v in params.items())
    st, js = server.api("GET", f"/api/v1/rooms/{room_id}/members" + (f"?{q}" if q else ""), token=token)
    assert st == 200, js
    return js


async def _barrier(server, observer_ws, marker):
    """Connects `marker` (a direct-room peer of the observer); returns once the observer has
    its `online`. Every frame to the observer caused before this call has arrived by then."""
    mws = await connect_ready(server, marker[0], name="marker")
    await observer_ws.recv_until(is_presence(marker[1]["id"], True), timeout=10, what="marker online")
    return mws


def _about(ws, uid):
    return [f for f in ws.frames if f.get("type") == "presence" and f["user"]["id"] == uid]


def test_big_room_gives_no_frames_but_the_member_list_shows_online(server_factory):
    s = _server(server_factory)
    a, b, c, d, m, w = (register_and_login(s, n) for n in ("biga", "bigb", "bigc", "bigd", "bigm", "bigw"))
    room = _group(s, a[0], [b, c, d])  # 4 members > 3
    _direct(s, b[0], m[1]["username"])
    _direct(s, a[0], w[1]["username"])

    async def body():
        ww = await connect_ready(s, w[0], name="W")
        wb = await connect_ready(s, b[0], name="B")
        assert snapshot_ids(wb) == set()
        wa = await connect_ready(s, a[0], name="A")
        assert snapshot_ids(wa) == {w[1]["id"]}, "B is online but shares only a big room with A"
        mws = await _barrier(s, wb, m)
        assert _about(wb, a[1]["id"]) == []

        js = _members(s, b[0], room["id"])
        assert js["member_count"] == 4 and js["live_presence"] is False and js["has_more"] is False
        online = {x["user_id"]: x["online"] for x in js["members"]}
        assert online == {a[1]["id"]: True, b[1]["id"]: True, c[1]["id"]: False, d[1]["id"]: False}
        # GET /rooms/{id} is the same list, with the room
        st, detail = s.api("GET", f"/api/v1/rooms/{room['id']}", token=a[0])
        assert st == 200 and detail["room"]["id"] == room["id"]
        assert {x["user_id"]: x["online"] for x in detail["members"]} == online

        await wa.close()
        await ww.recv_until(is_presence(a[1]["id"], False), timeout=10, what="A offline at W")
        js = _members(s, b[0], room["id"])
        assert {x["user_id"]: x["online"] for x in js["members"]}[a[1]["id"]] is False
        await mws.close()
        await wb.recv_until(is_presence(m[1]["id"], False), timeout=10, what="marker offline")
        assert _about(wb, a[1]["id"]) == []
        await wb.close()
        await ww.close()
    run(body(), timeout=25)


def test_direct_room_always_gives_frames(server_factory):
    s = _server(server_factory, limit=0)  # no group room is small enough
    a, b = (register_and_login(s, n) for n in ("dira", "dirb"))
    room = _direct(s, a[0], b[1]["username"])

    async def body():
        wb = await connect_ready(s, b[0], name="B")
        wa = await connect_ready(s, a[0], name="A")
        assert snapshot_ids(wa) == {b[1]["id"]}
        await wb.recv_until(is_presence(a[1]["id"], True), timeout=10, what="A online at B")
        js = _members(s, b[0], room["id"])
        assert js["live_presence"] is True and js["member_count"] == 2
        await wa.close()
        await wb.recv_until(is_presence(a[1]["id"], False), timeout=10, what="A offline at B")
        await wb.close()
    run(body(), timeout=25)


def test_snapshot_lists_exactly_the_online_presence_peers(server_factory):
    s = _server(server_factory)
    a, b, c, d, e, f = (register_and_login(s, n) for n in ("snpa", "snpb", "snpc", "snpd", "snpe", "snpf"))
    _group(s, a[0], [b, c])       # 3 members: live
    _group(s, a[0], [d, e, f])    # 4 members: not live
    _direct(s, a[0], e[1]["username"])

    async def body():
        others = [await connect_ready(s, x[0], name=x[1]["username"]) for x in (b, d, e)]
        wa = await connect_ready(s, a[0], name="A")
        snaps = [fr for fr in wa.frames if fr.get("type") == "presence_snapshot"]
        assert len(snaps) == 1, "one snapshot frame, not one frame per user"
        assert [fr for fr in wa.frames if fr.get("type") == "presence"] == []
        # B (small room) and E (direct room) are online; C is offline; D shares only the big room
        assert snapshot_ids(wa) == {b[1]["id"], e[1]["id"]}
        names = {u["id"]: u["username"] for u in snaps[0]["online"]}
        assert names[b[1]["id"]] == b[1]["username"]
        # the snapshot comes after ready and before caught_up
        types = [fr.get("type") for fr in wa.frames]
        assert types.index("ready") < types.index("presence_snapshot") < types.index("caught_up")
        for x in (wa, *others):
            await x.close()
    run(body(), timeout=25)


def test_room_crossing_the_limit_stops_live_presence(server_factory):
    s = _server(server_factory)
    a, b, c, d, m, w = (register_and_login(s, n) for n in ("crsa", "crsb", "crsc", "crsd", "crsm", "crsw"))
    room = _group(s, a[0], [b])  # 2 members
    _direct(s, b[0], m[1]["username"])
    _direct(s, a[0], w[1]["username"])

    async def body():
        ww = await connect_ready(s, w[0], name="W")
        wb = await connect_ready(s, b[0], name="B")
        wc = await connect_ready(s, c[0], name="C")
        wa = await connect_ready(s, a[0], name="A")
        await wb.recv_until(is_presence(a[1]["id"], True), timeout=10, what="A online at B")
        add_member(s, a[0], room["id"], c[1]["username"])  # 3 members: still live
        await wc.recv_until(is_presence(a[1]["id"], True), timeout=10, what="A online at C")
        await wc.recv_until(is_presence(b[1]["id"], True), timeout=10, what="B online at C")
        await wb.recv_until(is_presence(c[1]["id"], True), timeout=10, what="C online at B")
        assert _members(s, a[0], room["id"])["live_presence"] is True

        wd = await connect_ready(s, d[0], name="D")
        add_member(s, a[0], room["id"], d[1]["username"])  # 4 members: above the limit
        assert _members(s, a[0], room["id"])["live_presence"] is False
        await wa.close()  # A goes offline: B, its peer only through this room, is not told
        await ww.recv_until(is_presence(a[1]["id"], False), timeout=10, what="A offline at W")
        mws = await _barrier(s, wb, m)
        assert _about(wb, d[1]["id"]) == []
        assert [fr for fr in _about(wb, a[1]["id"]) if fr["online"] is False] == []
        assert _about(wd, a[1]["id"]) == [] and _about(wd, b[1]["id"]) == []
        online = {x["user_id"]: x["online"] for x in _members(s, b[0], room["id"])["members"]}
        assert online == {a[1]["id"]: False, b[1]["id"]: True, c[1]["id"]: True, d[1]["id"]: True}
        for x in (wb, wc, wd, mws, ww):
            await x.close()
    run(body(), timeout=25)


def test_removed_member_hears_no_more_presence_of_the_room(server_factory):
    s = _server(server_factory)
    a, b, m, w = (register_and_login(s, n) for n in ("rema", "remb", "remm", "remw"))
    room = _group(s, a[0], [b])
    _direct(s, b[0], m[1]["username"])
    _direct(s, a[0], w[1]["username"])

    async def body():
        ww = await connect_ready(s, w[0], name="W")
        wb = await connect_ready(s, b[0], name="B")
        wa = await connect_ready(s, a[0], name="A")
        await wb.recv_until(is_presence(a[1]["id"], True), timeout=10, what="A online at B")
        st, _ = s.api("DELETE", f"/api/v1/rooms/{room['id']}/members/{b[1]['id']}", token=a[0])
        assert st == 204
        await wa.close()
        await ww.recv_until(is_presence(a[1]["id"], False), timeout=10, what="A offline at W")
        wa2 = await connect_ready(s, a[0], name="A again")
        assert snapshot_ids(wa2) == {w[1]["id"]}
        mws = await _barrier(s, wb, m)
        assert len(_about(wb, a[1]["id"])) == 1, "nothing about A after B's removal"
        # and the member list is closed to B now
        st, js = s.api("GET", f"/api/v1/rooms/{room['id']}/members", token=b[0])
        assert st == 404, js
        for x in (wb, wa2, mws, ww):
            await x.close()
    run(body(), timeout=25)


def test_member_list_pages_and_rejects_bad_parameters(server_factory):
    s = _server(server_factory)
    users = [register_and_login(s, f"pg{i}") for i in range(5)]
    room = _group(s, users[0][0], users[1:])
    ids = sorted(u["id"] for _t, u in users)
    first = _members(s, users[0][0], room["id"], limit=2)
    assert [x["user_id"] for x in first["members"]] == ids[:2] and first["has_more"] is True
    rest = _members(s, users[0][0], room["id"], after=ids[1], limit=10)
    assert [x["user_id"] for x in rest["members"]] == ids[2:] and rest["has_more"] is False
    assert rest["member_count"] == 5
    for q in ("limit=0", "limit=-1", "limit=x", "after=-3"):
        st, js = s.api("GET", f"/api/v1/rooms/{room['id']}/members?{q}", token=users[0][0])
        assert st == 400 and js["error"]["code"] == "bad_request", (q, js)
    outsider, _ = register_and_login(s, "pgout")
    st, js = s.api("GET", f"/api/v1/rooms/{room['id']}/members", token=outsider)
    assert st == 404, js


def _live_in_pair_room(s) -> bool:
    (a, _au), (_b, bu) = register_and_login(s, "cfga"), register_and_login(s, "cfgb")
    room = _group(s, a, [(None, bu)])
    return _members(s, a, room["id"])["live_presence"]


def test_room_limit_from_the_environment_and_toml(server_factory, monkeypatch, tmp_path):
    assert _live_in_pair_room(server_factory()) is True  # default 200
    monkeypatch.setenv("PARLEY_PRESENCE_ROOM_LIMIT", "1")
    assert _live_in_pair_room(server_factory()) is False
    monkeypatch.delenv("PARLEY_PRESENCE_ROOM_LIMIT")
    conf = tmp_path / "parley.toml"
    conf.write_text("presence-room-limit = 1\n")
    assert _live_in_pair_room(server_factory(extra=("--config", str(conf)))) is False


def test_negative_room_limit_is_refused(tmp_path):
    res = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                          str(tmp_path / "d"), "--presence-room-limit", "-1"],
                         capture_output=True, text=True, timeout=20)
    assert res.returncode != 0
    assert "presence-room-limit" in res.stderr + res.stdout
