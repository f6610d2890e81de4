"""Reactions: add and take back one emoji on a message, as timeline events (docs/api.md
"Reactions"): the aggregate in history and events, `my_reactions` per viewer, live fan-out,
exactly-once resume, authorization, limits and bad input. Runs on both backends."""

import asyncio
from urllib.parse import quote

import pytest

from parley_client import (
    WS, add_member, assert_error, connect_ready, create_room, history, is_event, post_message,
    join, register_and_login, run,
)
from test_cluster import cluster_factory  # noqa: F401  (fixture)

THUMBS = "\U0001F44D"  # 👍
TADA = "\U0001F389"    # 🎉


def _trio(server, users, public=True):
    a, au = users("reacta")
    b, bu = users("reactb")
    c, cu = users("reactc")
    room = create_room(server, a, "reactions", public=public)
    for who in (bu, cu):
        add_member(server, a, room["id"], who["username"])
    return (a, au), (b, bu), (c, cu), room


def react(server, token, rid, seq, emoji, method="POST"):
    return server.api(method, f"/rooms/{rid}/messages/{seq}/reactions/{quote(emoji, safe='')}",
                      token=token)


def test_react_aggregates_and_my_reactions_per_viewer(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, "react to me")
    st, js = react(server, b, rid, m["seq"], THUMBS)
    assert st == 200, js
    ev = js["event"]
    assert ev["kind"] == "react" and ev["target"] == m["seq"] and ev["text"] == THUMBS
    assert ev["sender"] == bu["id"] and ev["seq"] == m["seq"] + 1
    assert js["reactions"] == [{"emoji": THUMBS, "count": 1, "users": [bu["id"]]}]
    # a shortcode names the same emoji
    st, js = react(server, c, rid, m["seq"], ":thumbsup:")
    assert st == 200, js
    assert js["reactions"] == [{"emoji": THUMBS, "count": 2, "users": [bu["id"], cu["id"]]}]
    st, js = react(server, c, rid, m["seq"], TADA)
    assert st == 200, js
    assert [r["emoji"] for r in js["reactions"]] == [THUMBS, TADA]

    page_b = history(server, b, rid)
    assert [x["kind"] for x in page_b["messages"]] == ["message"]
    assert page_b["messages"][0]["reactions"] == js["reactions"]
    assert page_b["my_reactions"] == {str(m["seq"]): [THUMBS]}
    page_c = history(server, c, rid)
    assert page_c["my_reactions"] == {str(m["seq"]): [THUMBS, TADA]}
    assert history(server, a, rid)["my_reactions"] == {}

    # taking one back
    st, js = react(server, b, rid, m["seq"], THUMBS, method="DELETE")
    assert st == 200, js
    assert js["event"]["kind"] == "unreact"
    assert js["reactions"][0] == {"emoji": THUMBS, "count": 1, "users": [cu["id"]]}
    assert history(server, b, rid)["my_reactions"] == {}
    assert history(server, a, rid)["messages"][0]["reactions"] == js["reactions"]


def test_repeating_a_reaction_changes_nothing(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, "once")
    st, first = react(server, b, rid, m["seq"], THUMBS)
    assert st == 200 and first["event"] is not None
    st, again = react(server, b, rid, m["seq"], THUMBS)
    assert st == 200, again
    assert again["event"] is None and again["reactions"] == first["reactions"]
    st, js = react(server, c, rid, m["seq"], TADA, method="DELETE")
    assert st == 200 and js["event"] is None
    st, js = server.api("GET", f"/rooms/{rid}", token=a)
    assert js["room"]["last_seq"] == first["event"]["seq"]


def test_reaction_is_live_for_members(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, "watch")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, a, name="A") as wa:
            st, js = await loop.run_in_executor(None, lambda: react(server, b, rid, m["seq"], TADA))
            assert st == 200, js
            f = await wa.recv_until(is_event(room=rid, kind="react"), what="live reaction")
            e = f["event"]
            assert e["target"] == m["seq"] and e["text"] == TADA and e["sender"] == bu["id"]
            assert e["reactions"] == [{"emoji": TADA, "count": 1, "users": [bu["id"]]}]
            st, js = await loop.run_in_executor(
                None, lambda: react(server, b, rid, m["seq"], TADA, method="DELETE"))
            f = await wa.recv_until(is_event(room=rid, kind="unreact"), what="live unreaction")
            assert f["event"]["reactions"] == []
    run(body())


def test_offline_client_gets_reactions_exactly_once_on_resume(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, "while you were away")
    changes = [react(server, b, rid, m["seq"], THUMBS)[1]["event"],
               react(server, a, rid, m["seq"], TADA)[1]["event"],
               react(server, b, rid, m["seq"], THUMBS, method="DELETE")[1]["event"]]

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: m["seq"]})
        ev = [f["event"] for f in replay if f.get("type") == "event"]
        assert [(e["seq"], e["kind"]) for e in ev] == [(x["seq"], x["kind"]) for x in changes]
        assert ev[-1]["reactions"] == [{"emoji": TADA, "count": 1, "users": [au["id"]]}]
        await ws.ping()
        assert [e["seq"] for e in ws.events(rid)] == [x["seq"] for x in changes]
        await ws.close()
    run(body())
    # and the message itself, replayed from the start, carries the final aggregate
    async def from_start():
        ws = WS(server, c, name="C2")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: 0})
        msg = [f["event"] for f in replay if f.get("type") == "event"][0]
        assert msg["kind"] == "message"
        await ws.close()
    run(from_start())


def test_bad_emoji_and_bad_targets(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, "target")
    for bad in ("a", "1", "not_a_shortcode", ":nope:", "<script>", THUMBS * 2, "\u00a9", "x" * 40,
                "%", "\u200d", THUMBS + "a"):
        assert_error(react(server, b, rid, m["seq"], bad), 400, "bad_request")
    # hostile encodings in the path: quotes and backslashes (JSON injection), NUL, overlong
    # UTF-8, a lone surrogate, bidi overrides, a percent sign that decodes to nothing
    for raw in ("%22", "%5C", "%00", "%F0%9F%91%8D%22", "%C0%AF", "%ED%A0%80", "%E2%80%AE",
                "%F0%9F%91", "%25", "%F0%9F%91%8D%00", "%7B%22emoji%22%3A1%7D"):
        r = server.request("POST", f"/rooms/{rid}/messages/{m['seq']}/reactions/{raw}", token=b)
        assert r.status in (400, 404), (raw, r.status, r.json)
        if r.status == 400:
            assert r.json["error"]["code"] == "bad_request", (raw, r.json)
    assert history(server, a, rid)["messages"][0]["reactions"] == []
    assert_error(react(server, b, rid, m["seq"] + 100, THUMBS), 404, "not_found")
    # a reaction event is not a message
    st, js = react(server, b, rid, m["seq"], THUMBS)
    assert st == 200
    assert_error(react(server, b, rid, js["event"]["seq"], THUMBS), 404, "not_found")
    # a deleted message takes no reaction, and keeps none
    st, _ = server.api("DELETE", f"/rooms/{rid}/messages/{m['seq']}", token=a)
    assert st == 200
    assert_error(react(server, c, rid, m["seq"], TADA), 404, "not_found")
    tomb = history(server, b, rid)["messages"][0]
    assert tomb["deleted"] is True and tomb["reactions"] == []
    # accepted: keycaps, flags, ZWJ sequences, skin tones, emoji with U+FE0F
    m2 = post_message(server, a, rid, "fine ones")
    for good in ("1\ufe0f\u20e3", "\U0001F1EB\U0001F1F7", "\U0001F469\u200d\U0001F4BB",
                 "\U0001F44D\U0001F3FD", "\u2764\ufe0f"):
        st, js = react(server, b, rid, m2["seq"], good)
        assert st == 200, (good, js)


def test_distinct_emoji_per_message_is_bounded(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = post_message(server, a, rid, "popular")
    emoji = [chr(0x1F600 + i) for i in range(21)]
    for i, e in enumerate(emoji[:20]):
        st, js = react(server, b if i % 2 else c, rid, m["seq"], e)
        assert st == 200, (i, js)
    assert_error(react(server, b, rid, m["seq"], emoji[20]), 409, "conflict")
    # an emoji already there still takes more users
    st, js = react(server, a, rid, m["seq"], emoji[0])
    assert st == 200 and len(js["reactions"]) == 20


def test_reactions_share_the_send_rate(server_factory):
    server = server_factory(send_rate=3)
    a, au = register_and_login(server, "ratea")
    room = create_room(server, a, "rate", public=False)
    m = post_message(server, a, room["id"], "rate")
    answers = [react(server, a, room["id"], m["seq"], chr(0x1F600 + i)) for i in range(6)]
    refused = [js for st, js in answers if st == 429]
    assert refused and all(js["error"]["code"] == "rate_limited" for js in refused), answers
    # a refused reaction changed nothing
    reactions = history(server, a, room["id"])["messages"][0]["reactions"]
    assert len(reactions) == len(answers) - len(refused)


def test_non_member_and_removed_member(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users, public=False)
    rid = room["id"]
    x, xu = users("outsider")
    m = post_message(server, a, rid, "members only")
    missing = react(server, x, 2 ** 63 - 1, 1, THUMBS)
    assert_error(missing, 404, "not_found")
    assert react(server, x, rid, m["seq"], THUMBS) == missing
    assert react(server, x, rid, m["seq"], THUMBS, method="DELETE") == missing
    pub = create_room(server, a, "open", public=True)
    pm = post_message(server, a, pub["id"], "public")
    assert_error(react(server, x, pub["id"], pm["seq"], THUMBS), 403, "not_member")

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(server, c, name="C") as wc:
            st, _ = await loop.run_in_executor(
                None, lambda: server.api("DELETE", f"/rooms/{rid}/members/{cu['id']}", token=a))
            assert st == 204
            await wc.recv_until(lambda f: f.get("type") == "room_removed", what="removed")
            st, js = await loop.run_in_executor(None, lambda: react(server, b, rid, m["seq"], TADA))
            assert st == 200, js
            await wc.expect_silence(is_event(room=rid), 0.5, "no reaction after removal")
    run(body())
    assert react(server, c, rid, m["seq"], THUMBS) == missing


@pytest.mark.cluster
@pytest.mark.timeout_s(60)
def test_reactions_cross_nodes_live_and_in_cached_pages(cluster_factory):  # noqa: F811
    """Two nodes: a reaction made on one reaches a socket on the other, and neither node's
    kept newest page (PageCache) nor the shared cache shows an older aggregate."""
    c = cluster_factory(2)
    n0, n1 = c.nodes
    a, au = register_and_login(n0, "xreacta")
    b, bu = register_and_login(n1, "xreactb")
    room = create_room(n0, a, "across", public=True)
    rid = room["id"]
    join(n1, b, rid)
    m = post_message(n0, a, rid, "react across")
    assert history(n0, a, rid)["messages"][0]["reactions"] == []  # kept on n0
    assert history(n1, b, rid)["messages"][0]["reactions"] == []  # kept on n1

    async def body():
        loop = asyncio.get_running_loop()
        async with await connect_ready(n0, a, name="A@n0") as wa:
            st, js = await loop.run_in_executor(None, lambda: react(n1, b, rid, m["seq"], TADA))
            assert st == 200, js
            f = await wa.recv_until(is_event(room=rid, kind="react"), timeout=10)
            assert f["event"]["reactions"] == js["reactions"]
            return js["reactions"]
    final = run(body(), timeout=40)
    for node, tok in ((n0, a), (n1, b)):
        assert history(node, tok, rid)["messages"][0]["reactions"] == final
    # reactions alternating between the nodes end with one aggregate on both
    for i in range(6):
        node, tok = (n0, a) if i % 2 else (n1, b)
        st, _ = react(node, tok, rid, m["seq"], chr(0x1F600 + i))
        assert st == 200
    want = history(n0, a, rid)["messages"][0]["reactions"]
    assert len(want) == 7
    assert history(n1, b, rid)["messages"][0]["reactions"] == want
