"""Pins, room settings and notification levels (docs/api.md "Pins", "Room settings",
"Notifications"): a pin or unpin is a timeline event (a seq, live, replayed on resume
exactly once); who may pin and who may say @room are room settings; my level is mine.
Authorization, limits and bad input change nothing. Runs on both backends."""

import asyncio

from parley_client import (
    add_member, assert_error, connect_ready, create_room, is_event, my_rooms, post_message,
    room_last_seq, room_of_three, run, send_rest, WS,
)




def pins(server, token, rid):
    st, js = server.api("GET", f"/rooms/{rid}/pins", token=token)
    assert st == 200, js
    return js["pins"]


def test_pin_unpin_and_the_list(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    m1 = post_message(server, b, rid, "first to pin")
    m2 = post_message(server, b, rid, "second to pin")
    st, js = server.api("PUT", f"/rooms/{rid}/pins/{m1['seq']}", token=a)
    assert st == 200, js
    p1 = js["event"]
    assert p1["kind"] == "pin" and p1["target"] == m1["seq"] and p1["sender"] == au["id"]
    assert p1["seq"] == m2["seq"] + 1 and p1["text"] == ""
    st, js = server.api("PUT", f"/rooms/{rid}/pins/{m2['seq']}", token=a)
    assert st == 200, js
    p2 = js["event"]
    # pinning again changes nothing
    before = room_last_seq(server, a, rid)
    st, js = server.api("PUT", f"/rooms/{rid}/pins/{m1['seq']}", token=a)
    assert (st, js) == (200, {"event": None})
    assert room_last_seq(server, a, rid) == before
    # an edit shows in the list
    st, _ = server.api("PATCH", f"/rooms/{rid}/messages/{m1['seq']}", {"text": "first, edited"},
                       token=b)
    assert st == 200
    listed = pins(server, c, rid)
    assert [(p["seq"], p["message"]["seq"]) for p in listed] == \
        [(p2["seq"], m2["seq"]), (p1["seq"], m1["seq"])]
    assert listed[1]["message"]["text"] == "first, edited"
    assert listed[0]["pinned_by"] == au["id"] and listed[0]["pinned_at"] == p2["created_at"]
    # unpin; again changes nothing
    st, js = server.api("DELETE", f"/rooms/{rid}/pins/{m2['seq']}", token=a)
    assert st == 200 and js["event"]["kind"] == "unpin" and js["event"]["target"] == m2["seq"]
    st, js = server.api("DELETE", f"/rooms/{rid}/pins/{m2['seq']}", token=a)
    assert (st, js) == (200, {"event": None})
    # deleting a pinned message unpins it
    st, _ = server.api("DELETE", f"/rooms/{rid}/messages/{m1['seq']}", token=b)
    assert st == 200
    assert pins(server, a, rid) == []


def test_who_may_pin_and_change_settings(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    m = post_message(server, a, rid, "pin me")
    assert my_rooms(server, b)[rid]["pins"] == "admins"
    before = room_last_seq(server, a, rid)
    assert_error(server.api("PUT", f"/rooms/{rid}/pins/{m['seq']}", token=b), 403, "forbidden")
    assert_error(server.api("PATCH", f"/rooms/{rid}", {"pins": "all"}, token=b), 403,
                 "forbidden")
    assert room_last_seq(server, a, rid) == before and pins(server, b, rid) == []
    # an admin may
    st, _ = server.api("PATCH", f"/rooms/{rid}/members/{cu['id']}", {"role": "admin"}, token=a)
    assert st == 200
    st, js = server.api("PUT", f"/rooms/{rid}/pins/{m['seq']}", token=c)
    assert st == 200 and js["event"]["kind"] == "pin", js
    # pins for everyone: a plain member may too
    st, js = server.api("PATCH", f"/rooms/{rid}", {"pins": "all"}, token=a)
    assert st == 200 and js["room"]["pins"] == "all" and js["room"]["room_mentions"] == "all"
    st, js = server.api("DELETE", f"/rooms/{rid}/pins/{m['seq']}", token=b)
    assert st == 200 and js["event"]["kind"] == "unpin", js
    # in a direct room both members pin; nobody changes settings
    st, js = server.api("POST", "/direct", {"username": bu["username"]}, token=a)
    assert st == 200
    did = js["room"]["id"]
    dm = post_message(server, a, did, "between us")
    st, js = server.api("PUT", f"/rooms/{did}/pins/{dm['seq']}", token=b)
    assert st == 200 and js["event"]["kind"] == "pin", js
    assert_error(server.api("PATCH", f"/rooms/{did}", {"pins": "admins"}, token=a), 403,
                 "forbidden")


def test_room_mentions_for_admins_only(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    st, js = server.api("PATCH", f"/rooms/{rid}", {"room_mentions": "admins"}, token=a)
    assert st == 200 and js["room"]["room_mentions"] == "admins", js
    plain = post_message(server, b, rid, f"@room @here and @{cu['username']}")
    assert plain["mention_room"] is False and plain["mention_here"] is False
    assert plain["mentions"] == [cu["id"]]
    owner = post_message(server, a, rid, "@room listen")
    assert owner["mention_room"] is True
    assert my_rooms(server, b)[rid]["mentions"] == 1  # the owner's @room
    assert my_rooms(server, c)[rid]["mentions"] == 2  # b named c; the owner's @room
    st, js = server.api("PATCH", f"/rooms/{rid}", {"room_mentions": "all"}, token=a)
    assert st == 200
    assert post_message(server, b, rid, "@room now")["mention_room"] is True


def test_offline_client_gets_pins_exactly_once_on_resume(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    m = post_message(server, a, rid, "while you were away")
    changes = []
    for method in ("PUT", "DELETE", "PUT"):
        st, js = server.api(method, f"/rooms/{rid}/pins/{m['seq']}", token=a)
        assert st == 200, js
        changes.append(js["event"])

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: m["seq"]})
        ev = [f["event"] for f in replay if f.get("type") == "event"]
        assert [(e["seq"], e["kind"], e["target"]) for e in ev] == \
            [(x["seq"], x["kind"], m["seq"]) for x in changes]
        await ws.ping()
        assert [e["seq"] for e in ws.events(rid)] == [x["seq"] for x in changes]
        await ws.close()
    run(body())


def test_pin_is_live_and_a_removed_member_hears_none(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    m = post_message(server, a, rid, "live pin")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, b, name="B") as wb, \
                await connect_ready(server, c, name="C") as wc:
            st, js = await loop.run_in_executor(
                None, lambda: server.api("PUT", f"/rooms/{rid}/pins/{m['seq']}", token=a))
            assert st == 200
            f = await wb.recv_until(is_event(room=rid, seq=js["event"]["seq"]), what="live pin")
            assert f["event"]["kind"] == "pin" and f["event"]["target"] == m["seq"]
            await wc.recv_until(is_event(room=rid, seq=js["event"]["seq"]), what="live pin")
            st, _ = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/members/{cu['id']}", token=a))
            assert st == 204
            await wc.recv_until(lambda f: f.get("type") == "room_removed", what="removed")
            st, js = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/pins/{m['seq']}", token=a))
            assert st == 200
            await wb.recv_until(is_event(room=rid, seq=js["event"]["seq"]), what="live unpin")
            await wc.expect_silence(is_event(room=rid), 0.3, "no unpin after removal")
    run(body())


def test_outsiders_cannot_pin_or_see_pins(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    x, xu = users("pinout")
    m = post_message(server, a, rid, "members only")
    st, _ = server.api("PUT", f"/rooms/{rid}/pins/{m['seq']}", token=a)
    assert st == 200
    missing_room = 2 ** 63 - 1
    for method, path, body in (
            ("GET", "/rooms/{}/pins", None),
            ("PUT", "/rooms/{}/pins/" + str(m["seq"]), None),
            ("DELETE", "/rooms/{}/pins/" + str(m["seq"]), None),
            ("PATCH", "/rooms/{}", {"pins": "all"}),
            ("PUT", "/rooms/{}/notifications", {"level": "none"})):
        missing = server.api(method, path.format(missing_room), body, token=x)
        assert_error(missing, 404, "not_found")
        assert server.api(method, path.format(rid), body, token=x) == missing
    assert len(pins(server, a, rid)) == 1
    pub = create_room(server, a, "open pins", public=True)
    assert_error(server.api("GET", f"/rooms/{pub['id']}/pins", token=x), 403, "not_member")


def test_bad_input_changes_nothing(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    m = post_message(server, a, rid, "target")
    gone = post_message(server, a, rid, "gone")
    st, _ = server.api("DELETE", f"/rooms/{rid}/messages/{gone['seq']}", token=a)
    assert st == 200
    st, js = server.api("POST", f"/rooms/{rid}/messages/{m['seq']}/reactions/tada", token=b)
    assert st == 200
    react_seq = js["event"]["seq"]
    other = create_room(server, a, "elsewhere", public=False)
    elsewhere = post_message(server, a, other["id"], "not here")
    before = room_last_seq(server, a, rid)
    # no live message at that seq: deleted, an event that is no message, another room's, none
    for seq in (gone["seq"], react_seq, elsewhere["seq"] + 1000, 10 ** 12):
        assert_error(server.api("PUT", f"/rooms/{rid}/pins/{seq}", token=a), 404, "not_found")
    for seq in ("0", "-1", "x", "1.5"):
        assert_error(server.api("PUT", f"/rooms/{rid}/pins/{seq}", token=a), 404, "not_found")
    # settings: unknown values, wrong types, nothing to change
    for body in ({"pins": "everyone"}, {"room_mentions": "owners"}, {"pins": 1}, {},
                 {"topic": 5}, {"pins": ["all"]}):
        assert_error(server.api("PATCH", f"/rooms/{rid}", body, token=a), 400, "bad_request")
    for body in ({"level": "some"}, {"level": 1}, {}, {"muted": True},
                 {"level": "all", "muted": "yes"}):
        assert_error(server.api("PUT", f"/rooms/{rid}/notifications", body, token=b), 400,
                     "bad_request")
    assert room_last_seq(server, a, rid) == before
    listed = my_rooms(server, b)[rid]
    assert listed["notifications"] == {"level": "all", "muted": False}
    assert listed["pins"] == "admins" and listed["room_mentions"] == "all"
    assert pins(server, a, rid) == []


def test_a_room_holds_fifty_pins(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    sent = [post_message(server, a, rid, f"m{i}") for i in range(51)]
    for m in sent[:50]:
        st, js = server.api("PUT", f"/rooms/{rid}/pins/{m['seq']}", token=a)
        assert st == 200, js
    before = room_last_seq(server, a, rid)
    assert_error(server.api("PUT", f"/rooms/{rid}/pins/{sent[50]['seq']}", token=a), 409,
                 "conflict")
    assert room_last_seq(server, a, rid) == before
    assert len(pins(server, a, rid)) == 50


def test_notification_levels_are_mine(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "pins")
    rid = room["id"]
    assert my_rooms(server, b)[rid]["notifications"] == {"level": "all", "muted": False}
    st, js = server.api("PUT", f"/rooms/{rid}/notifications", {"level": "mentions",
                                                               "muted": True}, token=b)
    assert (st, js) == (200, {"level": "mentions", "muted": True})
    assert my_rooms(server, b)[rid]["notifications"] == {"level": "mentions", "muted": True}
    assert my_rooms(server, a)[rid]["notifications"] == {"level": "all", "muted": False}
    st, js = server.api("PUT", f"/rooms/{rid}/notifications", {"level": "none"}, token=b)
    assert (st, js) == (200, {"level": "none", "muted": False})
    assert my_rooms(server, b)[rid]["notifications"] == {"level": "none", "muted": False}
