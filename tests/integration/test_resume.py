"""Resume: a reconnecting client gets exactly what it missed, in order, once."""

import asyncio

import pytest

from parley_client import (
    WS, register_and_login, add_member, connect_ready, create_room, is_event, is_type, join, new_cmid, post_message, run,
)


def _trio(server, users):
    a, au = users("resa")
    b, bu = users("resb")
    c, cu = users("resc")
    room = create_room(server, a, "resume", public=True)
    join(server, b, room["id"])
    join(server, c, room["id"])
    return (a, au), (b, bu), (c, cu), room


def _events(frames):
    return [f["event"] for f in frames if f.get("type") == "event"]


def test_offline_user_resumes_exactly_missed_messages(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa, \
                await connect_ready(server, b, name="B") as wb:
            # C is online for the first three
            wc = await connect_ready(server, c, name="C1")
            first = [await wa.send_msg(rid, f"seen-{i}") for i in range(3)]
            await wc.recv_until(is_event(room=rid, seq=first[-1]["seq"]), what="third message at C")
            last_seen = max(e["seq"] for e in wc.events(rid))
            await wc.close()

            # C is offline for five (from A and from B)
            missed = []
            for i in range(5):
                sender = wa if i % 2 == 0 else wb
                missed.append(await sender.send_msg(rid, f"missed-{i}"))

            wc2 = WS(server, c, name="C2")
            await wc2.connect()
            ready, replay = await wc2.hello_caught_up(resume={rid: last_seen})
            assert {r["id"]: r["last_seq"] for r in ready["rooms"]}[rid] == missed[-1]["seq"]
            ev = _events(replay)
            assert [e["seq"] for e in ev] == [m["seq"] for m in missed], replay
            assert [e["text"] for e in ev] == [f"missed-{i}" for i in range(5)]
            assert all(e["room"] == rid for e in ev)

            # then live events keep flowing, without any replayed duplicate
            live = await wa.send_msg(rid, "after resume")
            f = await wc2.recv_until(is_event(room=rid, seq=live["seq"]), what="live after caught_up")
            assert f["event"]["text"] == "after resume"
            await wc2.ping()
            seqs = [e["seq"] for e in wc2.events(rid)]
            assert seqs == [m["seq"] for m in missed] + [live["seq"]]
            await wc2.close()
    run(body())


def test_resume_replays_edits_and_deletes_in_order(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m1 = post_message(server, a, rid, "one")
    m2 = post_message(server, a, rid, "two")
    st, e = server.api("PATCH", f"/rooms/{rid}/messages/{m1['seq']}", {"text": "one!"}, token=a)
    assert st == 200, e
    st, d = server.api("DELETE", f"/rooms/{rid}/messages/{m2['seq']}", token=a)
    assert st == 200, d

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: 0})
        ev = _events(replay)
        assert [(x["seq"], x["kind"]) for x in ev] == [
            (m1["seq"], "message"), (m2["seq"], "message"),
            (e["event"]["seq"], "edit"), (d["event"]["seq"], "delete")]
        assert ev[2]["target"] == m1["seq"] and ev[2]["text"] == "one!"
        assert ev[3]["target"] == m2["seq"]
        await ws.close()
    run(body())


def test_resume_only_named_rooms_and_only_my_rooms(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    other = create_room(server, a, "other", public=True)
    join(server, c, other["id"])
    secret = create_room(server, a, "secret", public=False)
    pub_not_joined = create_room(server, a, "notjoined", public=True)
    for r in (rid, other["id"], secret["id"], pub_not_joined["id"]):
        post_message(server, a, r, f"in {r}")
    post_message(server, a, rid, "second")

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        ready, replay = await ws.hello_caught_up(
            resume={rid: 0, secret["id"]: 0, pub_not_joined["id"]: 0, 987654321: 0})
        ids = {r["id"] for r in ready["rooms"]}
        assert ids == {rid, other["id"]}
        ev = _events(replay)
        assert [x["room"] for x in ev] == [rid, rid], ev
        assert [x["text"] for x in ev] == [f"in {rid}", "second"]
        # live events flow for every room I am in, named in resume or not
        m = post_message(server, a, other["id"], "live other")
        await ws.recv_until(is_event(room=other["id"], seq=m["seq"]), what="live event in unnamed room")
        await ws.close()
    run(body())


def test_resume_when_up_to_date_replays_nothing(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]
    m = [post_message(server, a, rid, f"x{i}") for i in range(3)]

    async def body():
        ws = WS(server, c, name="C")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: m[-1]["seq"]})
        assert _events(replay) == []
        await ws.close()
    run(body())


def test_resume_during_live_traffic_no_gap_no_duplicate(server, users):
    (a, au), (b, bu), (c, cu), room = _trio(server, users)
    rid = room["id"]

    async def body():
        async with await connect_ready(server, a, name="A") as wa:
            base = await wa.send_msg(rid, "base")
            n = 60
            loop = asyncio.get_running_loop()
            # B streams over REST from a thread while C reconnects
            talker = loop.run_in_executor(
                None, lambda: [post_message(server, b, rid, f"stream-{i}")["seq"] for i in range(n)])
            await wa.recv_until(is_event(room=rid, seq=base["seq"] + 10), timeout=10, what="10th streamed message")
            wc = WS(server, c, name="C")
            await wc.connect()
            await wc.hello(resume={rid: base["seq"]})
            sent = await talker
            last = sent[-1]
            await wc.recv_until(is_event(room=rid, seq=last), timeout=10, what="last streamed message")
            await wc.ping()
            seqs = [e["seq"] for e in wc.events(rid)]
            assert seqs == list(range(base["seq"] + 1, last + 1)), seqs
            assert sum(1 for f in wc.frames if f.get("type") == "caught_up") == 1
            await wc.close()
    run(body())


@pytest.mark.timeout_s(90)
def test_resync_when_more_than_1000_missed(server_factory):
    server = server_factory(send_rate=100000)
    a, au = register_and_login(server, "rsa")
    c, cu = register_and_login(server, "rsc")
    room = create_room(server, a, "flood", public=True)
    small = create_room(server, a, "small", public=True)
    rid = room["id"]
    join(server, c, rid)
    join(server, c, small["id"])
    s1 = post_message(server, a, small["id"], "small-1")

    async def body():
        async with await connect_ready(server, a, name="A") as wa:
            total = 1001
            reqs = {}
            for start in range(0, total, 100):
                batch = []
                for i in range(start, min(total, start + 100)):
                    req = wa.next_req()
                    reqs[req] = i
                    batch.append(req)
                    await wa.send_json({"type": "send", "req": req, "room": rid,
                                        "client_msg_id": f"flood-{i}", "text": f"flood-{i}"})
                for req in batch:
                    f = await wa.recv_until(lambda f, r=req: f.get("req") == r, timeout=20, what=f"ack {req}")
                    assert f["type"] == "ack", f
                    reqs[req] = f["seq"]
            seqs = sorted(reqs.values())
            assert seqs == list(range(seqs[0], seqs[0] + total))
            return seqs

    seqs = run(body(), timeout=75)

    async def resume():
        # exactly 1000 missed: replayed
        w1 = WS(server, c, name="C1")
        await w1.connect()
        _, replay = await w1.hello_caught_up(resume={rid: seqs[0]}, timeout=20)
        assert [e["seq"] for e in _events(replay)] == seqs[1:]
        assert not [f for f in replay if f.get("type") == "resync"]
        await w1.close()
        # 1001 missed: resync, never a silent skip; other rooms still replay
        w2 = WS(server, c, name="C2")
        await w2.connect()
        _, replay = await w2.hello_caught_up(resume={rid: 0, small["id"]: 0}, timeout=20)
        rs = [f for f in replay if f.get("type") == "resync"]
        assert rs == [{"type": "resync", "room": rid, "last_seq": seqs[-1]}] or \
            [(f["room"], f["last_seq"]) for f in rs] == [(rid, seqs[-1])], replay[:5]
        ev = _events(replay)
        assert [(e["room"], e["seq"]) for e in ev] == [(small["id"], s1["seq"])]
        await w2.close()
    run(resume(), timeout=40)
