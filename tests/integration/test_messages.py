"""Messages over REST: idempotent sends, edit/delete, history paging, read markers."""

import asyncio
import re

from parley_client import (
    add_member, assert_error, connect_ready, create_room, history, is_event, join, my_rooms,
    new_cmid, post_message, run, send_rest,
)


def _pair(server, users, public=True):
    a, au = users("msga")
    b, bu = users("msgb")
    room = create_room(server, a, "msgs", public=public)
    if public:
        join(server, b, room["id"])
    else:
        add_member(server, a, room["id"], bu["username"])
    return a, au, b, bu, room


def test_rest_send_returns_full_event(server, users):
    a, au, b, bu, room = _pair(server, users)
    cmid = new_cmid()
    st, js = send_rest(server, a, room["id"], "hello there", cmid)
    assert st == 201, js
    e = js["message"]
    assert e["room"] == room["id"]
    assert e["kind"] == "message"
    assert e["sender"] == au["id"]
    assert e["sender_name"] == au["username"]
    assert e["client_msg_id"] == cmid
    assert e["text"] == "hello there"
    assert e["deleted"] is False and e["edited_at"] == 0
    assert e["created_at"] > 1_600_000_000_000
    assert isinstance(e["id"], str) and re.fullmatch(r"[0-9a-f]+", e["id"]), e["id"]
    assert e["seq"] >= 1
    # room last_seq follows
    st, js = server.api("GET", f"/rooms/{room['id']}", token=b)
    assert js["room"]["last_seq"] == e["seq"]


def test_seq_is_gapless_and_increasing(server, users):
    a, au, b, bu, room = _pair(server, users)
    seqs = []
    for i in range(10):
        tok = a if i % 2 == 0 else b
        seqs.append(post_message(server, tok, room["id"], f"m{i}")["seq"])
    assert seqs == list(range(seqs[0], seqs[0] + 10))


def test_rest_retry_yields_one_message(server, users):
    a, au, b, bu, room = _pair(server, users)
    cmid = new_cmid()
    st1, js1 = send_rest(server, a, room["id"], "once", cmid)
    st2, js2 = send_rest(server, a, room["id"], "once", cmid)
    assert st1 == 201, js1
    assert st2 == 200, js2
    assert js2["message"]["seq"] == js1["message"]["seq"]
    assert js2["message"]["id"] == js1["message"]["id"]
    # the same client_msg_id from another sender is another message
    st3, js3 = send_rest(server, b, room["id"], "once", cmid)
    assert st3 == 201, js3
    assert js3["message"]["seq"] != js1["message"]["seq"]
    msgs = history(server, a, room["id"])["messages"]
    assert [(m["sender"], m["client_msg_id"]) for m in msgs] == [(au["id"], cmid), (bu["id"], cmid)]


def test_ws_and_rest_retry_share_idempotency(server, users):
    a, au, b, bu, room = _pair(server, users)
    cmid = new_cmid()

    async def body():
        async with await connect_ready(server, a, name="A") as wa:
            ack1 = await wa.send_msg(room["id"], "dup", cmid)
            ack2 = await wa.send_msg(room["id"], "dup", cmid)
            assert ack1["duplicate"] is False
            assert ack2["duplicate"] is True
            assert ack1["seq"] == ack2["seq"]
            assert ack1["client_msg_id"] == ack2["client_msg_id"] == cmid
            assert ack1["room"] == room["id"]
            return ack1["seq"]
    seq = run(body())
    st, js = send_rest(server, a, room["id"], "dup", cmid)
    assert st == 200, js
    assert js["message"]["seq"] == seq
    msgs = history(server, b, room["id"])["messages"]
    assert [m["seq"] for m in msgs] == [seq]


def test_client_msg_id_and_text_validation(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]
    assert_error(send_rest(server, a, rid, "x", client_msg_id="c" * 65), 400, "bad_request")
    assert_error(server.api("POST", f"/rooms/{rid}/messages", {"client_msg_id": "", "text": "x"}, token=a),
                 400, "bad_request")
    assert_error(server.api("POST", f"/rooms/{rid}/messages", {"text": "x"}, token=a), 400, "bad_request")
    assert_error(server.api("POST", f"/rooms/{rid}/messages", {"client_msg_id": "c-x"}, token=a), 400, "bad_request")
    assert_error(send_rest(server, a, rid, ""), 400, "bad_request")
    assert_error(send_rest(server, a, rid, "x" * 16385), 413, "message_too_long")
    # the limit is in UTF-8 bytes: 8193 two-byte characters are 16386 bytes
    assert_error(send_rest(server, a, rid, "\u00e9" * 8193), 413, "message_too_long")
    assert history(server, a, rid)["messages"] == []
    # exactly 16384 bytes is fine, and 64-character client_msg_id too
    e1 = post_message(server, a, rid, "x" * 16384, client_msg_id="k" * 64)
    e2 = post_message(server, a, rid, "\u00e9" * 8192)
    texts = [m["text"] for m in history(server, a, rid)["messages"]]
    assert texts == ["x" * 16384, "\u00e9" * 8192]
    assert e2["seq"] == e1["seq"] + 1


def test_reply_to_must_be_in_room(server, users):
    a, au, b, bu, room = _pair(server, users)
    first = post_message(server, a, room["id"], "question")
    st, js = send_rest(server, b, room["id"], "answer", reply_to=first["seq"])
    assert st == 201, js
    assert js["message"]["reply_to"] == first["seq"]
    st, js = send_rest(server, b, room["id"], "answer to nothing", reply_to=first["seq"] + 1000)
    assert 400 <= st < 500, js


def test_edit_own_message(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]

    async def body():
        async with await connect_ready(server, b, name="B") as wb:
            loop = asyncio.get_running_loop()
            msg = await loop.run_in_executor(None, lambda: post_message(server, a, rid, "helo"))
            st, js = await loop.run_in_executor(
                None, lambda: server.api("PATCH", f"/rooms/{rid}/messages/{msg['seq']}", {"text": "hello"}, token=a))
            assert st == 200, js
            ev = js["event"]
            assert ev["kind"] == "edit" and ev["target"] == msg["seq"] and ev["text"] == "hello"
            assert ev["seq"] == msg["seq"] + 1
            live = await wb.recv_until(is_event(room=rid, kind="edit"), what="live edit")
            assert live["event"]["target"] == msg["seq"]
            assert live["event"]["text"] == "hello"
            assert live["event"]["seq"] == ev["seq"]
            return msg
    msg = run(body())
    msgs = history(server, b, rid)["messages"]
    assert len(msgs) == 1, msgs  # history holds messages only, edits applied
    m = msgs[0]
    assert m["seq"] == msg["seq"] and m["kind"] == "message"
    assert m["text"] == "hello"
    assert m["edited_at"] >= m["created_at"] > 0


def test_cannot_edit_or_delete_others_message(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]
    msg = post_message(server, a, rid, "mine")
    assert_error(server.api("PATCH", f"/rooms/{rid}/messages/{msg['seq']}", {"text": "yours"}, token=b),
                 403, "forbidden")
    assert_error(server.api("DELETE", f"/rooms/{rid}/messages/{msg['seq']}", token=b), 403, "forbidden")
    assert_error(server.api("PATCH", f"/rooms/{rid}/messages/{msg['seq'] + 99}", {"text": "x"}, token=a),
                 404, "not_found")
    m = history(server, a, rid)["messages"]
    assert [(x["text"], x["deleted"], x["edited_at"]) for x in m] == [("mine", False, 0)]


def test_delete_makes_tombstone_and_live_event(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, b, name="B") as wb:
            msg = await loop.run_in_executor(None, lambda: post_message(server, a, rid, "oops"))
            keep = await loop.run_in_executor(None, lambda: post_message(server, a, rid, "keep"))
            st, js = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/messages/{msg['seq']}", token=a))
            assert st == 200, js
            ev = js["event"]
            assert ev["kind"] == "delete" and ev["target"] == msg["seq"]
            live = await wb.recv_until(is_event(room=rid, kind="delete"), what="live delete")
            assert live["event"]["target"] == msg["seq"]
            assert live["event"]["seq"] == ev["seq"]
            return msg, keep
    msg, keep = run(body())
    msgs = history(server, a, rid)["messages"]
    assert [m["seq"] for m in msgs] == [msg["seq"], keep["seq"]]
    tomb = msgs[0]
    assert tomb["deleted"] is True and tomb["text"] == ""
    assert msgs[1]["text"] == "keep" and msgs[1]["deleted"] is False
    # editing a deleted message does not resurrect it
    st, js = server.api("PATCH", f"/rooms/{rid}/messages/{msg['seq']}", {"text": "back"}, token=a)
    assert st >= 400, js
    assert history(server, a, rid)["messages"][0]["text"] == ""


def test_ws_edit_and_delete_acks(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            ack = await wa.send_msg(rid, "first")
            e = await wa.request({"type": "edit", "room": rid, "seq": ack["seq"], "text": "first!"})
            assert e["type"] == "ack" and e["seq"] == ack["seq"] + 1, e
            bad = await wb.request({"type": "edit", "room": rid, "seq": ack["seq"], "text": "hijack"})
            assert bad["type"] == "error" and bad["code"] == "forbidden", bad
            bad = await wb.request({"type": "delete", "room": rid, "seq": ack["seq"]})
            assert bad["type"] == "error" and bad["code"] == "forbidden", bad
            d = await wa.request({"type": "delete", "room": rid, "seq": ack["seq"]})
            assert d["type"] == "ack" and d["seq"] == ack["seq"] + 2, d
            # a deleted message cannot be edited any more
            gone = await wa.request({"type": "edit", "room": rid, "seq": ack["seq"], "text": "zombie"})
            assert gone["type"] == "error", gone
            kinds = []
            for s in (ack["seq"], e["seq"], d["seq"]):
                f = await wb.recv_until(is_event(room=rid, seq=s))
                kinds.append(f["event"]["kind"])
            assert kinds == ["message", "edit", "delete"]
    run(body())


def test_history_paging_backwards(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]
    sent = [post_message(server, a if i % 3 else b, rid, f"page-{i}") for i in range(120)]
    seqs = [m["seq"] for m in sent]
    assert seqs == list(range(seqs[0], seqs[0] + 120))

    p1 = history(server, b, rid, limit=50)
    p2 = history(server, b, rid, before=p1["messages"][0]["seq"], limit=50)
    p3 = history(server, b, rid, before=p2["messages"][0]["seq"], limit=50)
    pages = [p1, p2, p3]
    assert [len(p["messages"]) for p in pages] == [50, 50, 20]
    assert [p["has_more"] for p in pages] == [True, True, False]
    for p in pages:
        s = [m["seq"] for m in p["messages"]]
        assert s == sorted(s) and s == list(range(s[0], s[0] + len(s)))
    all_seqs = [m["seq"] for p in reversed(pages) for m in p["messages"]]
    assert all_seqs == seqs
    assert [m["text"] for p in reversed(pages) for m in p["messages"]] == [f"page-{i}" for i in range(120)]
    # default limit is 50
    assert len(history(server, b, rid)["messages"]) == 50


def test_history_paging_forwards(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]
    seqs = [post_message(server, a, rid, f"fw-{i}")["seq"] for i in range(60)]
    p1 = history(server, b, rid, after=0, limit=25)
    p2 = history(server, b, rid, after=p1["messages"][-1]["seq"], limit=25)
    p3 = history(server, b, rid, after=p2["messages"][-1]["seq"], limit=25)
    assert [len(p["messages"]) for p in (p1, p2, p3)] == [25, 25, 10]
    assert [p["has_more"] for p in (p1, p2, p3)] == [True, True, False]
    assert [m["seq"] for p in (p1, p2, p3) for m in p["messages"]] == seqs
    big = history(server, b, rid, after=0, limit=200)
    assert [m["seq"] for m in big["messages"]] == seqs and big["has_more"] is False


def test_unread_counts_and_read_marker(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]
    m = [post_message(server, a, rid, f"u{i}") for i in range(5)]
    r = my_rooms(server, b)[rid]
    assert r["unread"] == 5 and r["last_read_seq"] == 0
    assert r["last_message"]["seq"] == m[-1]["seq"]
    assert my_rooms(server, a)[rid]["unread"] == 0  # my own messages are not unread

    st, js = server.api("POST", f"/rooms/{rid}/read", {"seq": m[2]["seq"]}, token=b)
    assert st == 200 and js["last_read_seq"] == m[2]["seq"], js
    assert my_rooms(server, b)[rid]["unread"] == 2

    # the marker never moves back
    st, js = server.api("POST", f"/rooms/{rid}/read", {"seq": m[0]["seq"]}, token=b)
    assert st == 200 and js["last_read_seq"] == m[2]["seq"], js
    r = my_rooms(server, b)[rid]
    assert r["last_read_seq"] == m[2]["seq"] and r["unread"] == 2

    # more from A count; B's own do not; deleted ones do not
    more = [post_message(server, a, rid, f"v{i}") for i in range(3)]
    post_message(server, b, rid, "mine")
    assert my_rooms(server, b)[rid]["unread"] == 5
    st, _ = server.api("DELETE", f"/rooms/{rid}/messages/{more[0]['seq']}", token=a)
    assert st == 200
    assert my_rooms(server, b)[rid]["unread"] == 4

    # members list shows the marker
    st, js = server.api("GET", f"/rooms/{rid}", token=a)
    assert {mm["user_id"]: mm["last_read_seq"] for mm in js["members"]}[bu["id"]] == m[2]["seq"]

    # read to the end
    last = my_rooms(server, b)[rid]["last_seq"]
    st, js = server.api("POST", f"/rooms/{rid}/read", {"seq": last}, token=b)
    assert st == 200 and js["last_read_seq"] == last
    assert my_rooms(server, b)[rid]["unread"] == 0
    assert_error(server.api("POST", f"/rooms/{rid}/read", {"seq": "x"}, token=b), 400, "bad_request")


def test_read_marker_over_ws_and_read_event(server, users):
    a, au, b, bu, room = _pair(server, users)
    rid = room["id"]
    m = [post_message(server, a, rid, f"r{i}") for i in range(3)]

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            ack = await wb.request({"type": "read", "room": rid, "seq": m[1]["seq"]})
            assert ack["type"] == "ack" and ack["seq"] == m[1]["seq"], ack
            back = await wb.request({"type": "read", "room": rid, "seq": m[0]["seq"]})
            assert back["type"] == "ack" and back["seq"] == m[1]["seq"], back
            f = await wa.recv_until(lambda f: f.get("type") == "read" and f.get("user") == bu["id"],
                                    what="read marker event")
            assert f["room"] == rid and f["seq"] == m[1]["seq"]
    run(body())
    assert my_rooms(server, b)[rid]["unread"] == 1
