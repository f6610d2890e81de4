"""Rooms: creation, membership, roles, direct rooms, authorization of non-members."""

import asyncio

from parley_client import (
    WS, add_member, assert_error, connect_ready, create_room, is_event, is_type, join, my_rooms,
    new_cmid, post_message, run, send_rest,
)


def test_create_room_and_list(server, users):
    tok, me = users("owner")
    room = create_room(server, tok, "general", public=True, topic="talk")
    assert room["kind"] == "group"
    assert room["name"] == "general"
    assert room["topic"] == "talk"
    assert room["public"] is True
    assert room["last_seq"] == 0
    rooms = my_rooms(server, tok)
    assert room["id"] in rooms
    r = rooms[room["id"]]
    assert r["role"] == "owner"
    assert r["unread"] == 0
    assert r["last_message"] is None
    st, js = server.api("GET", f"/rooms/{room['id']}", token=tok)
    assert st == 200, js
    assert [(m["user_id"], m["role"]) for m in js["members"]] == [(me["id"], "owner")]


def test_room_name_and_topic_limits(server, users):
    tok, _ = users("limits")
    assert_error(server.api("POST", "/rooms", {"name": ""}, token=tok), 400, "bad_request")
    assert_error(server.api("POST", "/rooms", {"name": "n" * 101}, token=tok), 400, "bad_request")
    assert_error(server.api("POST", "/rooms", {"name": "ok", "topic": "t" * 1001}, token=tok), 400, "bad_request")
    assert_error(server.api("POST", "/rooms", {"topic": "no name"}, token=tok), 400, "bad_request")
    st, js = server.api("POST", "/rooms", {"name": "n" * 100, "topic": "t" * 1000}, token=tok)
    assert st == 201, js
    assert my_rooms(server, tok).keys() == {js["room"]["id"]}


def test_public_listing_join_leave(server, users):
    a, _ = users("pubowner")
    b, bu = users("joiner")
    pub = create_room(server, a, "lobby", public=True)
    priv = create_room(server, a, "secret", public=False)
    st, js = server.api("GET", "/rooms/public", token=b)
    assert st == 200
    ids = {r["id"] for r in js["rooms"]}
    assert pub["id"] in ids
    assert priv["id"] not in ids

    room = join(server, b, pub["id"])
    assert room["id"] == pub["id"]
    assert_error(server.api("POST", f"/rooms/{pub['id']}/join", token=b), 409, "conflict")
    assert_error(server.api("POST", f"/rooms/{priv['id']}/join", token=b), 404, "not_found")
    assert_error(server.api("POST", "/rooms/987654321/join", token=b), 404, "not_found")
    assert my_rooms(server, b)[pub["id"]]["role"] == "member"

    st, js = server.api("POST", f"/rooms/{pub['id']}/leave", token=b)
    assert st == 204, js
    assert pub["id"] not in my_rooms(server, b)


def test_private_room_add_member_rules(server, users):
    a, au = users("privowner")
    b, bu = users("privmember")
    c, cu = users("privother")
    priv = create_room(server, a, "secret", public=False)
    m = add_member(server, a, priv["id"], bu["username"])
    assert m["user_id"] == bu["id"] and m["role"] == "member"
    assert_error(server.api("POST", f"/rooms/{priv['id']}/members", {"username": bu["username"]}, token=a),
                 409, "conflict")
    # a plain member may not add to a private room
    assert_error(server.api("POST", f"/rooms/{priv['id']}/members", {"username": cu["username"]}, token=b),
                 403, "forbidden")
    # unknown user
    assert_error(server.api("POST", f"/rooms/{priv['id']}/members", {"username": "nobody_zz_404"}, token=a),
                 404, "not_found")
    st, js = server.api("GET", f"/rooms/{priv['id']}", token=c)
    assert_error((st, js), 404, "not_found")


def test_roles_promote_and_remove(server, users):
    a, au = users("rowner")
    b, bu = users("radmin")
    c, cu = users("rmember")
    room = create_room(server, a, "roles", public=False)
    add_member(server, a, room["id"], bu["username"])
    add_member(server, a, room["id"], cu["username"])
    # only the owner changes roles
    assert_error(server.api("PATCH", f"/rooms/{room['id']}/members/{cu['id']}", {"role": "admin"}, token=b),
                 403, "forbidden")
    st, js = server.api("PATCH", f"/rooms/{room['id']}/members/{bu['id']}", {"role": "admin"}, token=a)
    assert st == 200, js
    assert js["member"]["role"] == "admin"
    assert_error(server.api("PATCH", f"/rooms/{room['id']}/members/{cu['id']}", {"role": "king"}, token=a),
                 400, "bad_request")
    # a member cannot remove an admin; an admin cannot remove the owner
    assert_error(server.api("DELETE", f"/rooms/{room['id']}/members/{bu['id']}", token=c), 403, "forbidden")
    assert_error(server.api("DELETE", f"/rooms/{room['id']}/members/{au['id']}", token=b), 403, "forbidden")
    # an admin removes a member
    st, js = server.api("DELETE", f"/rooms/{room['id']}/members/{cu['id']}", token=b)
    assert st == 204, js
    st, js = server.api("GET", f"/rooms/{room['id']}", token=a)
    assert {m["user_id"] for m in js["members"]} == {au["id"], bu["id"]}


def test_direct_room_is_one_per_pair(server, users):
    a, au = users("dma")
    b, bu = users("dmb")
    c, cu = users("dmc")
    st1, r1 = server.api("POST", "/direct", {"username": bu["username"]}, token=a)
    st2, r2 = server.api("POST", "/direct", {"username": au["username"]}, token=b)
    st3, r3 = server.api("POST", "/direct", {"username": bu["username"].upper()}, token=a)
    assert (st1, st2) == (200, 200), (r1, r2)
    assert r1["room"]["id"] == r2["room"]["id"]
    assert st3 == 200 and r3["room"]["id"] == r1["room"]["id"], r3
    assert r1["room"]["kind"] == "direct"
    rid = r1["room"]["id"]
    # the peer is shown to each side
    assert my_rooms(server, a)[rid]["peer"]["id"] == bu["id"]
    assert my_rooms(server, b)[rid]["peer"]["id"] == au["id"]
    # a different pair gets a different room
    st, r4 = server.api("POST", "/direct", {"username": cu["username"]}, token=a)
    assert st == 200 and r4["room"]["id"] != rid
    # direct rooms cannot be joined or added to; outsiders cannot read
    st, js = server.api("POST", f"/rooms/{rid}/join", token=c)
    assert st == 404, js
    st, js = server.api("POST", f"/rooms/{rid}/members", {"username": cu["username"]}, token=a)
    assert 400 <= st < 500, js
    st, js = server.api("GET", f"/rooms/{rid}/messages", token=c)
    assert_error((st, js), 404, "not_found")
    st, js = server.api("GET", f"/rooms/{rid}", token=a)
    assert {m["user_id"] for m in js["members"]} == {au["id"], bu["id"]}
    # unknown peer
    assert_error(server.api("POST", "/direct", {"username": "nobody_zz_404"}, token=a), 404, "not_found")


def test_non_member_rest_is_refused(server, users):
    a, _ = users("nmowner")
    c, _ = users("nmouts")
    pub = create_room(server, a, "open", public=True)
    priv = create_room(server, a, "closed", public=False)
    post_message(server, a, pub["id"], "hello members")
    post_message(server, a, priv["id"], "hello private")

    assert_error(server.api("GET", f"/rooms/{pub['id']}/messages", token=c), 403, "not_member")
    assert_error(server.api("GET", f"/rooms/{priv['id']}/messages", token=c), 404, "not_found")
    assert_error(send_rest(server, c, pub["id"], "intrude"), 403, "not_member")
    assert_error(send_rest(server, c, priv["id"], "intrude"), 404, "not_found")
    assert_error(server.api("POST", f"/rooms/{pub['id']}/read", {"seq": 1}, token=c), 403, "not_member")
    assert_error(server.api("GET", "/rooms/987654321/messages", token=c), 404, "not_found")
    # nothing was created by the refused sends
    st, js = server.api("GET", f"/rooms/{pub['id']}/messages", token=a)
    assert [m["text"] for m in js["messages"]] == ["hello members"]


def test_non_member_ws_send_refused_and_no_live_events(server, users):
    a, au = users("wsowner")
    c, cu = users("wsouts")
    pub = create_room(server, a, "open", public=True)
    shared = create_room(server, a, "shared", public=True)
    join(server, c, shared["id"])

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, c, name="C") as wc:
            assert pub["id"] not in {r["id"] for r in wc.ready["rooms"]}
            err = await wc.request({"type": "send", "room": pub["id"], "client_msg_id": new_cmid(), "text": "x"})
            assert err["type"] == "error" and err["code"] == "not_member", err
            # A talks in the room C is not in, then in the shared room (a sentinel)
            ack = await wa.send_msg(pub["id"], "members only")
            ack2 = await wa.send_msg(shared["id"], "sentinel")
            await wc.recv_until(is_event(room=shared["id"], seq=ack2["seq"]), what="sentinel")
            await wc.expect_silence(lambda f: f.get("type") == "event" and f["event"]["room"] == pub["id"],
                                    0.5, "from a room C is not in")
            assert not wc.events(pub["id"])
            # history unchanged by the refused WS send
            st, js = server.api("GET", f"/rooms/{pub['id']}/messages", token=a)
            assert [m["seq"] for m in js["messages"]] == [ack["seq"]]
    run(body())


def test_removed_member_stops_receiving_within_one_second(server, users):
    a, au = users("rmowner")
    b, bu = users("rmvictim")
    room = create_room(server, a, "kick", public=False)
    add_member(server, a, room["id"], bu["username"])

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            ack0 = await wa.send_msg(room["id"], "before removal")
            await wb.recv_until(is_event(room=room["id"], seq=ack0["seq"]), what="pre-removal message")

            loop = asyncio.get_running_loop()
            st, js = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{room['id']}/members/{bu['id']}", token=a))
            assert st == 204, js
            t_deleted = loop.time()
            # A sends right after the removal
            ack1 = await wa.send_msg(room["id"], "after removal")
            f = await wb.recv_until(lambda f: f.get("type") == "room_removed", timeout=1.0,
                                    what="room_removed within 1 s")
            assert loop.time() - t_deleted <= 1.0
            assert f["room"] == room["id"]
            ack2 = await wa.send_msg(room["id"], "after room_removed")
            await wb.expect_silence(lambda f: f.get("type") == "event" and f["event"]["room"] == room["id"]
                                    and f["event"]["seq"] > ack0["seq"], 1.0, "from the room B was removed from")
            assert [e["seq"] for e in wb.events(room["id"])] == [ack0["seq"]]
            assert ack2["seq"] > ack1["seq"]
            # and REST agrees
            assert_error(server.api("GET", f"/rooms/{room['id']}/messages", token=b), 404, "not_found")
            assert room["id"] not in my_rooms(server, b)
            # A sees the member change
            await wa.recv_until(lambda f: f.get("type") == "member" and f.get("action") == "removed"
                                and f["user"]["id"] == bu["id"], what="member removed")
    run(body())


def test_added_member_gets_room_added_then_live_events(server, users):
    a, au = users("addowner")
    b, bu = users("addee")
    room = create_room(server, a, "late", public=False)

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, lambda: add_member(server, a, room["id"], bu["username"]))
            f = await wb.recv_until(is_type("room_added"), what="room_added")
            assert f["room"]["id"] == room["id"]
            ack = await wa.send_msg(room["id"], "welcome")
            ev = await wb.recv_until(is_event(room=room["id"], seq=ack["seq"]), what="first live event")
            assert ev["event"]["text"] == "welcome"
    run(body())


def test_leave_stops_live_events(server, users):
    a, _ = users("lvowner")
    b, _ = users("lvmember")
    room = create_room(server, a, "leavers", public=True)
    join(server, b, room["id"])

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            loop = asyncio.get_running_loop()
            st, _ = await loop.run_in_executor(None, lambda: server.api("POST", f"/rooms/{room['id']}/leave", token=b))
            assert st == 204
            f = await wb.recv_until(is_type("room_removed"), timeout=1.0, what="room_removed after leave")
            assert f["room"] == room["id"]
            await wa.send_msg(room["id"], "after leave")
            await wb.expect_silence(lambda f: f.get("type") == "event" and f["event"]["room"] == room["id"], 0.5)
    run(body())
