"""Room settings (docs/api.md "Room settings"): PATCH /rooms/{id} by owners, room admins and
server admins; every change is a timeline event (kind settings, a seq) carrying the settings
after it and who changed them, live to members, replayed exactly once on resume, never seen
by a non-member. Bounds and bad input change nothing. Runs on both backends."""

import asyncio

import pytest

from parley_client import (
    add_member, assert_error, connect_ready, create_room, is_event, login, my_rooms, post_message,
    register, room_last_seq, room_of_three, run, unique, WS,
)

SETTINGS = ("name", "topic", "public", "archived", "post", "room_mentions", "pins")




def patch(server, token, rid, body):
    st, js = server.api("PATCH", f"/rooms/{rid}", body, token=token)
    assert st == 200, js
    return js


def test_a_change_is_an_event_with_the_settings_after_it(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "settings")
    rid = room["id"]
    m = post_message(server, a, rid, "before")
    js = patch(server, a, rid, {"name": "  Renamed ✓ ", "topic": "what we do"})
    e = js["event"]
    assert e["kind"] == "settings" and e["seq"] == m["seq"] + 1 and e["text"] == ""
    assert e["sender"] == au["id"] and e["sender_name"] == au["username"]
    s = e["settings"]
    assert s["name"] == "Renamed ✓" and s["topic"] == "what we do"  # trimmed
    assert s["changed"] == ["name", "topic"]
    assert {k: s[k] for k in SETTINGS} == {k: js["room"][k] for k in SETTINGS}
    assert js["room"]["last_seq"] == e["seq"]
    listed = my_rooms(server, b)[rid]
    assert listed["name"] == "Renamed ✓" and listed["topic"] == "what we do"
    # every setting at once; the room row follows
    js = patch(server, a, rid, {"public": True, "room_mentions": "admins", "pins": "all"})
    assert js["event"]["settings"]["changed"] == ["public", "room_mentions", "pins"]
    listed = my_rooms(server, c)[rid]
    assert (listed["public"], listed["archived"], listed["post"], listed["room_mentions"],
            listed["pins"]) == (True, False, "all", "admins", "all")
    # what changes nothing stores nothing
    before = room_last_seq(server, a, rid)
    js = patch(server, a, rid, {"name": "Renamed ✓", "public": True})
    assert js["event"] is None and js["room"]["last_seq"] == before
    # a room admin may; a plain member may not
    st, _ = server.api("PATCH", f"/rooms/{rid}/members/{cu['id']}", {"role": "admin"}, token=a)
    assert st == 200
    assert patch(server, c, rid, {"topic": "by an admin"})["event"]["sender"] == cu["id"]
    before = room_last_seq(server, a, rid)
    assert_error(server.api("PATCH", f"/rooms/{rid}", {"name": "mine"}, token=b), 403,
                 "forbidden")
    assert room_last_seq(server, a, rid) == before


def test_live_members_see_it_and_outsiders_never(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "settings")
    rid = room["id"]
    x, xu = users("setout")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, b, name="B") as wb, \
                await connect_ready(server, x, name="X") as wx, \
                await connect_ready(server, c, name="C") as wc:
            js = await loop.run_in_executor(None, lambda: patch(server, a, rid, {"name": "live"}))
            seq = js["event"]["seq"]
            f = await wb.recv_until(is_event(room=rid, seq=seq), what="live settings")
            assert f["event"]["kind"] == "settings"
            assert f["event"]["settings"]["name"] == "live"
            assert f["event"]["sender"] == au["id"]
            await wc.recv_until(is_event(room=rid, seq=seq), what="live settings")
            # c is removed: no more settings events reach c
            st, _ = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/members/{cu['id']}", token=a))
            assert st == 204
            await wc.recv_until(lambda f: f.get("type") == "room_removed", what="removed")
            js = await loop.run_in_executor(None, lambda: patch(server, a, rid, {"topic": "t2"}))
            await wb.recv_until(is_event(room=rid, seq=js["event"]["seq"]), what="second")
            await wc.expect_silence(is_event(room=rid), 0.3, "nothing after removal")
            await wx.expect_silence(is_event(room=rid), 0.1, "a non-member hears nothing")
    run(body())


def test_an_offline_member_gets_each_change_exactly_once_on_resume(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "settings")
    rid = room["id"]
    m = post_message(server, a, rid, "while you were away")
    changes = [patch(server, a, rid, body)["event"] for body in
               ({"name": "one"}, {"topic": "two"}, {"public": True}, {"public": False})]

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: m["seq"]})
        ev = [f["event"] for f in replay if f.get("type") == "event"]
        assert [(e["seq"], e["kind"], e["settings"]["changed"]) for e in ev] == \
            [(x["seq"], "settings", x["settings"]["changed"]) for x in changes]
        assert ev[-1]["settings"]["name"] == "one" and ev[-1]["settings"]["topic"] == "two"
        await ws.ping()
        assert [e["seq"] for e in ws.events(rid)] == [x["seq"] for x in changes]
        await ws.close()
    run(body())


def test_outsiders_are_answered_as_for_a_missing_room(server, users):
    (a, au), (b, bu), (c, cu), room = room_of_three(server, users, "settings")
    rid = room["id"]
    x, xu = users("setout")
    missing = server.api("PATCH", f"/rooms/{2 ** 63 - 1}", {"name": "x"}, token=x)
    assert_error(missing, 404, "not_found")
    assert server.api("PATCH", f"/rooms/{rid}", {"name": "x"}, token=x) == missing
    pub = create_room(server, a, "open", public=True)
    assert_error(server.api("PATCH", f"/rooms/{pub['id']}", {"name": "x"}, token=x), 403,
                 "not_member")
    assert my_rooms(server, a)[rid]["name"] == "settings"
    # a direct room has no settings
    st, js = server.api("POST", "/direct", {"username": bu["username"]}, token=a)
    assert st == 200
    assert_error(server.api("PATCH", f"/rooms/{js['room']['id']}", {"name": "x"}, token=a),
                 403, "forbidden")


BAD_BODIES = [
    {}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"topic": "x" * 1001},
    {"name": "a\u0000b"}, {"name": "line\nbreak"}, {"name": "evil\u202egnp.exe"},
    {"topic": "isolate\u2066x\u2069"}, {"topic": "c1\u0085"}, {"name": "sep\u2028x"},
    {"name": 5}, {"public": "yes"}, {"public": None}, {"archived": True}, {"post": "admins"},
    {"pins": "everyone"}, {"room_mentions": ["all"]},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=[str(i) for i in range(len(BAD_BODIES))])
def test_bad_input_changes_nothing(server, users, body):
    (a, au), _, _, room = room_of_three(server, users, "settings")
    rid = room["id"]
    before = room_last_seq(server, a, rid)
    assert_error(server.api("PATCH", f"/rooms/{rid}", body, token=a), 400, "bad_request")
    # the same answer for a room that does not exist: the body is checked first
    assert server.api("PATCH", f"/rooms/{2 ** 63 - 1}", body, token=a) == \
        server.api("PATCH", f"/rooms/{rid}", body, token=a)
    assert room_last_seq(server, a, rid) == before
    assert my_rooms(server, a)[rid]["name"] == "settings"


def test_a_server_admin_changes_any_room(server_factory):
    named = unique("setadmin")
    server = server_factory(extra=["--admin", named])
    register(server, named)
    admin = login(server, named)["token"]
    owner_name = unique("setowner")
    register(server, owner_name)
    owner = login(server, owner_name)["token"]
    room = create_room(server, owner, "theirs", public=False)
    js = patch(server, admin, room["id"], {"topic": "set by an admin"})
    assert js["event"]["settings"]["topic"] == "set by an admin"
    assert my_rooms(server, owner)[room["id"]]["topic"] == "set by an admin"
