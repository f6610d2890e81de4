"""Live WebSocket traffic: chat both ways, ready frame, ping, typing, presence."""

import asyncio

from parley_client import (
    WS, connect_ready, create_room, is_event, is_type, join, new_cmid, run, snapshot_ids,
)


def _room_with(server, users, *names, public=True):
    toks = [users(n) for n in names]
    room = create_room(server, toks[0][0], "live", public=public)
    for tok, _ in toks[1:]:
        join(server, tok, room["id"])
    return room, toks


def test_ready_lists_rooms_and_ping(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "rdya", "rdyb")

    async def body():
        ws = WS(server, a, name="A")
        await ws.connect()
        ready, replay = await ws.hello_caught_up()
        assert ready["user"]["id"] == au["id"]
        st, me = server.api("GET", "/me", token=a)
        assert ready["session_id"] == me["session"]["id"]
        assert {r["id"]: r["last_seq"] for r in ready["rooms"]} == {room["id"]: 0}
        assert not [f for f in replay if f.get("type") == "event"]
        pong = await ws.request({"type": "ping"})
        assert pong["type"] == "pong"
        # req is echoed verbatim, whatever JSON value it is
        await ws.send_json({"type": "ping", "req": {"k": ["x", 1]}})
        f = await ws.recv_until(is_type("pong"))
        assert f["req"] == {"k": ["x", 1]}
        await ws.close()
    run(body())


def test_two_users_chat_live_both_directions(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "chata", "chatb")
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            # A -> B
            cmid = new_cmid()
            ack = await wa.send_msg(rid, "hi bob", cmid)
            assert ack["room"] == rid and ack["client_msg_id"] == cmid and ack["duplicate"] is False
            assert isinstance(ack["seq"], int) and ack["seq"] >= 1
            fb = await wb.recv_until(is_event(room=rid, seq=ack["seq"]), what="A's message at B")
            e = fb["event"]
            assert e["text"] == "hi bob" and e["sender"] == au["id"] and e["sender_name"] == au["username"]
            assert e["kind"] == "message" and e["client_msg_id"] == cmid
            fa = await wa.recv_until(is_event(room=rid, seq=ack["seq"]), what="A's own message echoed to A")
            assert fa["event"]["text"] == "hi bob"
            assert fa["event"]["id"] == e["id"]

            # B -> A
            ack2 = await wb.send_msg(rid, "hi alice")
            assert ack2["seq"] == ack["seq"] + 1
            fa2 = await wa.recv_until(is_event(room=rid, seq=ack2["seq"]), what="B's message at A")
            assert fa2["event"]["text"] == "hi alice" and fa2["event"]["sender"] == bu["id"]
            await wb.recv_until(is_event(room=rid, seq=ack2["seq"]), what="B's own message at B")

            # a burst arrives complete, in order, exactly once, on both sides
            acks = []
            for i in range(30):
                sender = wa if i % 2 == 0 else wb
                acks.append(await sender.send_msg(rid, f"burst-{i}"))
            last = acks[-1]["seq"]
            for w in (wa, wb):
                await w.recv_until(is_event(room=rid, seq=last), what="last burst message")
                seqs = [e["seq"] for e in w.events(rid)]
                assert seqs == list(range(ack["seq"], last + 1)), (w.name, seqs)
            # REST sends are delivered live too
            loop = asyncio.get_running_loop()
            st, js = await loop.run_in_executor(
                None, lambda: server.api("POST", f"/rooms/{rid}/messages",
                                         {"client_msg_id": new_cmid(), "text": "via rest"}, token=a))
            assert st == 201, js
            f = await wb.recv_until(is_event(room=rid, seq=js["message"]["seq"]), what="REST message live")
            assert f["event"]["text"] == "via rest"
    run(body())


def test_one_user_two_devices_both_receive(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "devsa", "devsb")
    rid = room["id"]
    from parley_client import login
    a2 = login(server, au["username"], device="second")["token"]

    async def body():
        async with await connect_ready(server, a, name="A1") as w1, \
                await connect_ready(server, a2, name="A2") as w2, \
                await connect_ready(server, b, name="B") as wb:
            ack = await wb.send_msg(rid, "to both devices")
            for w in (w1, w2):
                await w.recv_until(is_event(room=rid, seq=ack["seq"]), what="event on each device")
            ack2 = await w1.send_msg(rid, "from device one")
            await w2.recv_until(is_event(room=rid, seq=ack2["seq"]), what="own message on other device")
    run(body())


def test_typing_goes_to_others_not_self(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "typa", "typb")
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            await wa.send_json({"type": "typing", "room": rid})
            f = await wb.recv_until(is_type("typing"), what="typing at B")
            assert f["room"] == rid and f["user"]["id"] == au["id"]
            await wa.ping()
            await wa.expect_silence(is_type("typing"), 0.5, "typing echoed to the typist")
            # throttled: at most one per 2 s per user and room
            await wa.send_json({"type": "typing", "room": rid})
            await wa.ping()
            await wb.expect_silence(is_type("typing"), 0.5, "second typing within 2 s")
    run(body())


def test_typing_in_room_not_member_is_not_relayed(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "typx", "typy")
    other = create_room(server, a, "elsewhere", public=True)
    _c, cu = users("typz")

    async def body():
        async with await connect_ready(server, _c, name="C") as wc, \
                await connect_ready(server, a, name="A") as wa:
            await wc.send_json({"type": "typing", "room": other["id"]})
            await wc.ping()
            await wa.expect_silence(is_type("typing"), 0.5, "typing from a non-member")
    run(body())


def test_presence_online_and_offline(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "presa", "presb")
    _c, cu = users("presc")  # shares no room with B
    from parley_client import login
    a2 = login(server, au["username"], device="second")["token"]

    def presence(uid, online):
        return lambda f: (f.get("type") == "presence" and f["user"]["id"] == uid and f["online"] is online)

    async def body():
        async with await connect_ready(server, b, name="B") as wb:
            wa = await connect_ready(server, a, name="A")
            await wb.recv_until(presence(au["id"], True), what="A online")
            # A's second device: A was already online; closing one of two sockets is not offline
            wa2 = await connect_ready(server, a2, name="A2")
            # on connect, A2 learns who is online now, in one snapshot frame: B
            assert snapshot_ids(wa2) == {bu["id"]}
            await wa.close()
            await wb.expect_silence(presence(au["id"], False), 0.5, "A offline while A2 still open")
            await wa2.close()
            await wb.recv_until(presence(au["id"], False), timeout=5, what="A offline after last socket")
            # C shares no room with B: B hears nothing about C
            wc = await connect_ready(server, _c, name="C")
            await wc.close()
            await wb.expect_silence(lambda f: f.get("type") == "presence" and f["user"]["id"] == cu["id"],
                                    0.5, "presence of a stranger")
    run(body())


def test_presence_when_two_people_start_sharing_a_room(server, users):
    """Both online, no room in common; a direct room makes each see the other online."""
    a, au = users("shara")
    b, bu = users("sharb")

    def presence(uid):
        return lambda f: f.get("type") == "presence" and f["user"]["id"] == uid and f["online"] is True

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            status, body = server.api("POST", "/api/v1/direct", {"username": bu["username"]}, token=a)
            assert status == 200, body
            added = await wb.recv_until(is_type("room_added"), what="room_added at B")
            assert added["room"]["id"] == body["room"]["id"]
            assert added["room"]["kind"] == "direct"
            assert added["room"]["peer"] == {"id": au["id"], "username": au["username"]}
            await wb.recv_until(presence(au["id"]), what="A online, seen by B")
            await wa.recv_until(presence(bu["id"]), what="B online, seen by A")
    run(body())


def test_ws_malformed_frames_keep_connection(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "mala", "malb")
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa:
            await wa.send_raw("{not json")
            f = await wa.recv_until(is_type("error"), what="error for invalid JSON")
            assert f["code"] == "bad_request", f
            await wa.ping()

            err = await wa.request({"type": "send", "room": rid, "text": "no client_msg_id"})
            assert err["type"] == "error" and err["code"] == "bad_request", err
            err = await wa.request({"type": "send", "room": "seven", "client_msg_id": new_cmid(), "text": "x"})
            assert err["type"] == "error" and err["code"] == "bad_request", err
            err = await wa.request({"type": "no-such-frame"})
            assert err["type"] == "error" and err["code"] == "bad_request", err

            deep = "[" * 40 + "]" * 40
            await wa.send_raw('{"type":"ping","req":"deep","x":' + deep + "}")
            f = await wa.recv_until(lambda f: f.get("type") in ("error", "pong"), what="answer to deep JSON")
            assert f["type"] == "error" and f["code"] == "bad_request", f

            await wa.send_raw("[1,2,3]")
            f = await wa.recv_until(is_type("error"), what="error for non-object frame")
            assert f["code"] == "bad_request"

            # still usable, and nothing was created
            ack = await wa.send_msg(rid, "still alive")
            st, js = server.api("GET", f"/rooms/{rid}/messages", token=a)
            assert [m["seq"] for m in js["messages"]] == [ack["seq"]]
    run(body())


def test_ws_message_too_long(server, users):
    room, [(a, au), (b, bu)] = _room_with(server, users, "longa", "longb")
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa:
            err = await wa.request({"type": "send", "room": rid, "client_msg_id": new_cmid(), "text": "x" * 16385})
            assert err["type"] == "error" and err["code"] == "message_too_long", err
            err = await wa.request({"type": "send", "room": rid, "client_msg_id": new_cmid(), "text": "\u00e9" * 8193})
            assert err["type"] == "error" and err["code"] == "message_too_long", err
            ack = await wa.send_msg(rid, "x" * 16384)
            assert ack["type"] == "ack"
    run(body())
