"""Threads: replies sent with `thread_root`, the root's summary in history and in live events,
one thread paged with ?thread=SEQ, following and unread counts (docs/api.md "Threads"),
exactly-once resume, authorization and bad roots. Runs on both backends."""

import asyncio

from parley_client import (
    WS, add_member, assert_error, connect_ready, create_room, history, is_event, new_cmid,
    post_message, my_rooms, run, send_rest,
)


def _trio(server, users, public=True):
    a, au = users("thra")
    b, bu = users("thrb")
    c, cu = users("thrc")
    room = create_room(server, a, "threads", public=public)
    for who in (bu, cu):
        add_member(server, a, room["id"], who["username"])
    return (a, au), (b, bu), (c, cu), room


def reply(server, token, rid, root, text, **extra):
    st, js = send_rest(server, token, rid, text, thread_root=root, **extra)
    assert st == 201, (st, js)
    return js["message"]


def thread_page(server, token, rid, root, **params):
    return history(server, token, rid, thread=root, **params)


def followed(server, token):
    st, js = server.api("GET", "/threads", token=token)
    assert st == 200, js
    return {(t["room"], t["root"]["seq"]): t for t in js["threads"]}


def test_replies_count_on_the_root_and_stay_off_the_main_timeline(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    root = post_message(server, a, rid, "root")
    assert root["thread_root"] == 0 and root["thread"] is None and root["root_thread"] is None
    r1 = reply(server, b, rid, root["seq"], "first")
    assert r1["thread_root"] == root["seq"] and r1["thread"] is None
    assert r1["root_thread"] == {"reply_count": 1, "last_reply_at": r1["created_at"],
                                 "participants": [bu["id"]]}
    r2 = reply(server, c, rid, root["seq"], "second")
    # a reply to a reply goes to its root
    r3 = reply(server, b, rid, r1["seq"], "third")
    assert r3["thread_root"] == root["seq"]
    summary = {"reply_count": 3, "last_reply_at": r3["created_at"],
               "participants": [bu["id"], cu["id"]]}
    assert r3["root_thread"] == summary
    after = post_message(server, a, rid, "main again")

    main = history(server, a, rid)["messages"]
    assert [m["seq"] for m in main] == [root["seq"], after["seq"]]
    assert main[0]["thread"] == summary
    page = thread_page(server, c, rid, root["seq"])
    assert page["root"]["seq"] == root["seq"] and page["root"]["thread"] == summary
    assert [m["text"] for m in page["messages"]] == ["first", "second", "third"]
    assert page["has_more"] is False and page["my_reactions"] == {}
    # the room's unread counts the main timeline only
    assert my_rooms(server, b)[rid]["unread"] == 2
    assert my_rooms(server, b)[rid]["last_message"]["seq"] == after["seq"]

    # deleting a reply takes it off the count; the delete event names the root
    st, js = server.api("DELETE", f"/rooms/{rid}/messages/{r2['seq']}", token=c)
    assert st == 200, js
    ev = js["event"]
    assert ev["kind"] == "delete" and ev["thread_root"] == root["seq"]
    assert ev["root_thread"] == {"reply_count": 2, "last_reply_at": r3["created_at"],
                                 "participants": [bu["id"]]}
    assert history(server, a, rid)["messages"][0]["thread"] == ev["root_thread"]
    tomb = thread_page(server, a, rid, root["seq"])["messages"][1]
    assert tomb["deleted"] is True and tomb["seq"] == r2["seq"]


def test_thread_pages_like_history(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    root = post_message(server, a, rid, "long thread")
    seqs = [reply(server, b if i % 2 else c, rid, root["seq"], f"r{i}")["seq"] for i in range(7)]
    newest = thread_page(server, a, rid, root["seq"], limit=3)
    assert [m["seq"] for m in newest["messages"]] == seqs[-3:] and newest["has_more"] is True
    older = thread_page(server, a, rid, root["seq"], limit=3, before=seqs[-3])
    assert [m["seq"] for m in older["messages"]] == seqs[1:4] and older["has_more"] is True
    oldest = thread_page(server, a, rid, root["seq"], limit=3, before=seqs[1])
    assert [m["seq"] for m in oldest["messages"]] == seqs[:1] and oldest["has_more"] is False
    forward = thread_page(server, a, rid, root["seq"], limit=4, after=seqs[2])
    assert [m["seq"] for m in forward["messages"]] == seqs[3:7] and forward["has_more"] is False
    assert root["seq"] not in [m["seq"] for m in forward["messages"]]


def test_follow_unfollow_and_unread(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    root = post_message(server, a, rid, "who follows")
    assert followed(server, a) == {}
    reply(server, b, rid, root["seq"], "b replies")
    # the root's sender and the replier follow; c does not
    fa = followed(server, a)[(rid, root["seq"])]
    assert fa["unread"] == 1 and fa["root"]["text"] == "who follows"
    assert fa["root"]["thread"]["reply_count"] == 1
    assert followed(server, b)[(rid, root["seq"])]["unread"] == 0
    assert followed(server, c) == {}
    st, _ = server.api("PUT", f"/rooms/{rid}/threads/{root['seq']}/follow", token=c)
    assert st == 204
    last = reply(server, b, rid, root["seq"], "again")
    # c follows from the start of the thread: both of b's replies are unread
    assert followed(server, c)[(rid, root["seq"])]["unread"] == 2
    assert followed(server, a)[(rid, root["seq"])]["unread"] == 2
    st, js = server.api("POST", f"/rooms/{rid}/threads/{root['seq']}/read", {"seq": last["seq"]},
                        token=a)
    assert st == 200 and js == {"last_read_seq": last["seq"]}
    assert followed(server, a)[(rid, root["seq"])]["unread"] == 0
    # the marker moves forward only
    st, js = server.api("POST", f"/rooms/{rid}/threads/{root['seq']}/read", {"seq": 1}, token=a)
    assert st == 200 and js == {"last_read_seq": last["seq"]}
    # unfollowing sticks for the root's sender; replying follows again
    st, _ = server.api("DELETE", f"/rooms/{rid}/threads/{root['seq']}/follow", token=a)
    assert st == 204
    reply(server, b, rid, root["seq"], "a no longer follows")
    assert followed(server, a) == {}
    reply(server, a, rid, root["seq"], "a replies")
    assert followed(server, a)[(rid, root["seq"])]["unread"] == 0
    # idempotent both ways
    for method in ("PUT", "PUT", "DELETE", "DELETE"):
        st, _ = server.api(method, f"/rooms/{rid}/threads/{root['seq']}/follow", token=c)
        assert st == 204


def test_reply_is_live_with_the_roots_summary(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    root = post_message(server, a, rid, "live root")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            ack = await wb.request({"type": "send", "room": rid, "client_msg_id": new_cmid(),
                                    "text": "over ws", "thread_root": root["seq"]})
            assert ack["type"] == "ack", ack
            f = await wa.recv_until(is_event(room=rid, seq=ack["seq"]), what="live reply")
            e = f["event"]
            assert e["thread_root"] == root["seq"] and e["text"] == "over ws"
            assert e["root_thread"]["reply_count"] == 1
            assert e["root_thread"]["participants"] == [bu["id"]]
            # a bad root over the socket: the documented error, nothing sent
            bad = await wb.request({"type": "send", "room": rid, "client_msg_id": new_cmid(),
                                    "text": "x", "thread_root": root["seq"] + 100})
            assert bad["type"] == "error" and bad["code"] == "not_found", bad
    run(body())


def test_offline_client_gets_thread_replies_exactly_once_on_resume(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    root = post_message(server, a, rid, "while you were away")
    replies = [reply(server, b, rid, root["seq"], f"away {i}") for i in range(3)]
    st, js = server.api("DELETE", f"/rooms/{rid}/messages/{replies[1]['seq']}", token=b)
    assert st == 200
    changes = replies + [js["event"]]

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: root["seq"]})
        ev = [f["event"] for f in replay if f.get("type") == "event"]
        assert [(e["seq"], e["kind"]) for e in ev] == [(x["seq"], x["kind"]) for x in changes]
        assert all(e["thread_root"] == root["seq"] for e in ev)
        assert ev[-1]["root_thread"]["reply_count"] == 2
        await ws.ping()
        assert [e["seq"] for e in ws.events(rid)] == [x["seq"] for x in changes]
        await ws.close()
    run(body())


def test_bad_roots(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    root = post_message(server, a, rid, "root")
    other = create_room(server, a, "elsewhere", public=True)
    elsewhere = post_message(server, a, other["id"], "not here")

    def last_seq():
        st, js = server.api("GET", f"/rooms/{rid}", token=a)
        assert st == 200, js
        return js["room"]["last_seq"]

    before = last_seq()
    for bad in (-1, "1", 1.5, True, [1], {"seq": 1}):
        st, js = send_rest(server, b, rid, "x", thread_root=bad)
        assert_error((st, js), 400, "bad_request")
    # a root in another room, a seq with no message, an event that is no message
    for missing in (elsewhere["seq"] + 1000, 10 ** 12):
        assert_error(send_rest(server, b, rid, "x", thread_root=missing), 404, "not_found")
    st, js = send_rest(server, b, other["id"], "x", thread_root=root["seq"] + 1000)
    assert_error((st, js), 403, "not_member")
    assert last_seq() == before  # nothing above took a seq
    st, js = server.api("POST", f"/rooms/{rid}/messages/{root['seq']}/reactions/%F0%9F%91%8D",
                        token=b)
    assert st == 200
    # an event that is no message is no root
    assert_error(send_rest(server, b, rid, "x", thread_root=js["event"]["seq"]), 404, "not_found")
    # a deleted root takes no reply, but its thread stays readable
    r = reply(server, b, rid, root["seq"], "before the delete")
    st, _ = server.api("DELETE", f"/rooms/{rid}/messages/{root['seq']}", token=a)
    assert st == 200
    before = last_seq()
    assert_error(send_rest(server, b, rid, "x", thread_root=root["seq"]), 404, "not_found")
    assert_error(send_rest(server, b, rid, "x", thread_root=r["seq"]), 404, "not_found")
    page = thread_page(server, c, rid, root["seq"])
    assert page["root"]["deleted"] is True and page["root"]["thread"]["reply_count"] == 1
    assert [m["seq"] for m in page["messages"]] == [r["seq"]]
    # a thread reply carries no files
    assert_error(send_rest(server, b, rid, "x", thread_root=r["seq"], files=["abc"]), 400,
                 "bad_request")
    # bad thread parameters on the page and the follow routes
    for q in ("thread=-1", "thread=x", "thread=", "thread=1e3"):
        assert_error(server.api("GET", f"/rooms/{rid}/messages?{q}", token=a), 400, "bad_request")
    for seq in (r["seq"], 10 ** 12, 0):
        assert_error(server.api("GET", f"/rooms/{rid}/messages?thread={seq}", token=a), 404,
                     "not_found")
    assert_error(server.api("PUT", f"/rooms/{rid}/threads/{r['seq']}/follow", token=a), 404,
                 "not_found")
    assert_error(server.api("POST", f"/rooms/{rid}/threads/{root['seq']}/read", {"seq": -1},
                            token=a), 400, "bad_request")
    assert_error(server.api("POST", f"/rooms/{rid}/threads/{root['seq']}/read", {}, token=a),
                 400, "bad_request")
    # nothing since the root's delete took a seq
    assert last_seq() == before


def test_non_member_cannot_read_or_follow_and_removed_member_hears_nothing(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users, public=False)
    rid = room["id"]
    x, xu = users("throut")
    root = post_message(server, a, rid, "members only")
    reply(server, b, rid, root["seq"], "inside")
    missing_room = 2 ** 63 - 1
    for method, path, body in (
            ("GET", "/rooms/{}/messages?thread={}", None),
            ("PUT", "/rooms/{}/threads/{}/follow", None),
            ("DELETE", "/rooms/{}/threads/{}/follow", None),
            ("POST", "/rooms/{}/threads/{}/read", {"seq": 1})):
        missing = server.api(method, path.format(missing_room, root["seq"]), body, token=x)
        assert_error(missing, 404, "not_found")
        assert server.api(method, path.format(rid, root["seq"]), body, token=x) == missing
        assert server.api(method, path.format(rid, 10 ** 12), body, token=x) == missing
    assert send_rest(server, x, rid, "x", thread_root=root["seq"]) == \
        send_rest(server, x, missing_room, "x", thread_root=root["seq"])
    pub = create_room(server, a, "open threads", public=True)
    proot = post_message(server, a, pub["id"], "public root")
    assert_error(server.api("GET", f"/rooms/{pub['id']}/messages?thread={proot['seq']}",
                            token=x), 403, "not_member")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, c, name="C") as wc:
            st, _ = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/members/{cu['id']}", token=a))
            assert st == 204
            await wc.recv_until(lambda f: f.get("type") == "room_removed", what="removed")
            await loop.run_in_executor(None, lambda: reply(server, b, rid, root["seq"], "after"))
            await wc.expect_silence(is_event(room=rid), 0.5, "no thread reply after removal")
    # c follows the thread before being removed; afterwards GET /threads leaves it out
    st, _ = server.api("PUT", f"/rooms/{rid}/threads/{root['seq']}/follow", token=c)
    assert st == 204
    run(body())
    assert followed(server, c) == {}
    assert_error(server.api("GET", f"/rooms/{rid}/messages?thread={root['seq']}", token=c), 404,
                 "not_found")
