"""Mentions (docs/api.md "Mentions"): @username, @room and @here read by the server at send
and edit time, resolved to the room's members when the message is stored; events carry
them in history, live and on resume (exactly once); GET /rooms counts the unread ones.
Runs on both backends."""

import asyncio

from parley_client import (
    WS, add_member, assert_error, connect_ready, create_room, history, is_event, my_rooms,
    new_cmid, post_message, run, send_rest,
)


def _room(server, users, public=False):
    a, au = users("mena")
    b, bu = users("menb")
    c, cu = users("menc")
    room = create_room(server, a, "mentions", public=public)
    for who in (bu, cu):
        add_member(server, a, room["id"], who["username"])
    return (a, au), (b, bu), (c, cu), room


def edit(server, token, rid, seq, text):
    st, js = server.api("PATCH", f"/rooms/{rid}/messages/{seq}", {"text": text}, token=token)
    assert st == 200, (st, js)
    return js["event"]


def message_at(server, token, rid, seq):
    return next(m for m in history(server, token, rid)["messages"] if m["seq"] == seq)


def test_mentions_are_members_at_send_and_follow_edits(server, users):
    (a, au), (b, bu), (c, cu), room = _room(server, users)
    rid = room["id"]
    d, du = users("mend")  # not a member
    text = (f"hi @{bu['username'].upper()} and @{du['username']}, @nobody_here, "
            f"`@{cu['username']}`, mail {cu['username']}@example.com\n"
            f"```\n@{cu['username']} @room\n```\n@here")
    m = post_message(server, a, rid, text)
    assert m["text"] == text  # stored as typed
    assert m["mentions"] == [bu["id"]]
    assert m["mention_room"] is False and m["mention_here"] is True
    assert message_at(server, c, rid, m["seq"])["mentions"] == [bu["id"]]
    plain = post_message(server, a, rid, "no one")
    assert plain["mentions"] == [] and not plain["mention_room"] and not plain["mention_here"]

    # an edit replaces the mentions: the edit event carries the new text's
    e = edit(server, a, rid, m["seq"], f"@{cu['username']} and @{au['username']}, @Room")
    assert e["kind"] == "edit"
    assert e["mentions"] == sorted([au["id"], cu["id"]]) and e["mention_room"] is True
    now = message_at(server, b, rid, m["seq"])
    assert now["mentions"] == sorted([au["id"], cu["id"]])
    assert now["mention_room"] is True and now["mention_here"] is False

    # a thread reply carries its mentions
    st, js = send_rest(server, b, rid, f"@{au['username']} look", thread_root=plain["seq"])
    assert st == 201, js
    assert js["message"]["mentions"] == [au["id"]]

    # a delete clears them
    st, js = server.api("DELETE", f"/rooms/{rid}/messages/{m['seq']}", token=a)
    assert st == 200, js
    assert js["event"]["mentions"] == []
    gone = message_at(server, b, rid, m["seq"])
    assert gone["deleted"] and gone["mentions"] == [] and gone["mention_room"] is False


def test_rooms_count_unread_mentions_of_me(server, users):
    (a, au), (b, bu), (c, cu), room = _room(server, users)
    rid = room["id"]
    first = post_message(server, a, rid, f"@{bu['username']} one")
    post_message(server, a, rid, f"@{cu['username']} two")
    post_message(server, c, rid, "@room three")
    post_message(server, a, rid, "four")
    post_message(server, b, rid, f"@{bu['username']} @here mine")  # my own: not counted
    st, js = send_rest(server, a, rid, f"@{bu['username']} in a thread", thread_root=first["seq"])
    assert st == 201, js
    listed = my_rooms(server, b)[rid]
    assert (listed["unread"], listed["mentions"]) == (4, 2)
    listed = my_rooms(server, c)[rid]
    assert (listed["unread"], listed["mentions"]) == (4, 2)  # not c's own @room
    assert my_rooms(server, a)[rid]["mentions"] == 2  # c's @room, b's @here
    # reading past them clears them
    st, js = server.api("POST", f"/rooms/{rid}/read", {"seq": first["seq"]}, token=b)
    assert st == 200, js
    assert my_rooms(server, b)[rid]["mentions"] == 1
    # editing a mention away takes it off the count
    three = [m for m in history(server, b, rid)["messages"] if m["text"] == "@room three"][0]
    edit(server, c, rid, three["seq"], "three")
    assert my_rooms(server, b)[rid]["mentions"] == 0


def test_live_and_resumed_exactly_once_with_mentions(server, users):
    (a, au), (b, bu), (c, cu), room = _room(server, users)
    rid = room["id"]
    start = post_message(server, a, rid, "before")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, b, name="B") as wb:
            ack = await wb.request({"type": "send", "room": rid, "client_msg_id": new_cmid(),
                                    "text": f"over ws @{cu['username']}"})
            assert ack["type"] == "ack", ack
            f = await wb.recv_until(is_event(room=rid, seq=ack["seq"]), what="live mention")
            assert f["event"]["mentions"] == [cu["id"]]
            ed = await wb.request({"type": "edit", "room": rid, "seq": ack["seq"],
                                   "text": f"@{au['username']} instead"})
            assert ed["type"] == "ack", ed
            f = await wb.recv_until(is_event(room=rid, seq=ed["seq"]), what="live edit")
            assert f["event"]["kind"] == "edit" and f["event"]["mentions"] == [au["id"]]
            return ack["seq"], ed["seq"]

    sent, edited = run(body())
    later = post_message(server, a, rid, f"@room @{cu['username']}")

    async def resume():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: start["seq"]})
        ev = [f["event"] for f in replay if f.get("type") == "event"]
        assert [e["seq"] for e in ev] == [sent, edited, later["seq"]]
        # the message as it is now (edited), the edit, then the @room
        by_seq = {e["seq"]: e for e in ev}
        assert by_seq[sent]["mentions"] == [au["id"]]
        assert by_seq[edited]["mentions"] == [au["id"]]
        assert by_seq[later["seq"]]["mentions"] == [cu["id"]]
        assert by_seq[later["seq"]]["mention_room"] is True
        await ws.ping()
        assert [e["seq"] for e in ws.events(rid)] == [sent, edited, later["seq"]]
        await ws.close()
    run(resume())
    # history (the cache when it holds the room, else the store) says the same
    page = history(server, c, rid)["messages"]
    assert [m["mentions"] for m in page if m["seq"] == sent] == [[au["id"]]]


def test_a_removed_member_is_no_mention_and_hears_nothing(server, users):
    (a, au), (b, bu), (c, cu), room = _room(server, users)
    rid = room["id"]
    post_message(server, a, rid, f"@{cu['username']} still here")
    other = create_room(server, a, "elsewhere", public=False)
    add_member(server, a, other["id"], cu["username"])

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, c, name="C") as wc:
            st, _ = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/members/{cu['id']}", token=a))
            assert st == 204
            await wc.recv_until(lambda f: f.get("type") == "room_removed", what="removed")
            m = await loop.run_in_executor(
                None, lambda: post_message(server, a, rid, f"@{cu['username']} are you there?"))
            assert m["mentions"] == []  # no longer a member: no mention
            marker = await loop.run_in_executor(
                None, lambda: post_message(server, a, other["id"], "in the other room"))
            await wc.recv_until(is_event(room=other["id"], seq=marker["seq"]), what="other room")
            await wc.expect_silence(is_event(room=rid), 0.3, "no mention after removal")
            assert wc.events(rid) == []
    run(body())
    assert rid not in my_rooms(server, c)
    # c may not read the room any more: answered as a missing room
    missing = server.api("GET", f"/rooms/{2 ** 63 - 1}/messages", token=c)
    assert_error(missing, 404, "not_found")
    assert server.api("GET", f"/rooms/{rid}/messages", token=c) == missing


def test_bad_input_changes_nothing(server, users):
    (a, au), (b, bu), (c, cu), room = _room(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, f"@{bu['username']}")
    st, js = server.api("GET", f"/rooms/{rid}", token=a)
    before = js["room"]["last_seq"]
    # too long with mentions in it: refused, nothing stored
    long_text = (f"@{bu['username']} " * 2000)[:16385]
    assert_error(send_rest(server, a, rid, long_text), 413, "message_too_long")
    assert_error(server.api("PATCH", f"/rooms/{rid}/messages/{m['seq']}", {"text": long_text},
                            token=a), 413, "message_too_long")
    # someone else's message cannot be edited to mention anyone
    assert_error(server.api("PATCH", f"/rooms/{rid}/messages/{m['seq']}",
                            {"text": f"@{cu['username']}"}, token=b), 403, "forbidden")
    st, js = server.api("GET", f"/rooms/{rid}", token=a)
    assert js["room"]["last_seq"] == before
    assert message_at(server, c, rid, m["seq"])["mentions"] == [bu["id"]]
    assert my_rooms(server, c)[rid]["mentions"] == 0
