"""Restarts: SIGTERM is graceful (1001), and nothing acknowledged is lost."""

import asyncio

import pytest

from parley_client import (
    WS, connect_ready, create_room, history, is_event, join, my_rooms, post_message, run,
)


@pytest.mark.timeout_s(45)
def test_restart_loses_nothing_acked(server, users):
    a, au = users("rsta")
    b, bu = users("rstb")
    room = create_room(server, a, "durable")
    rid = room["id"]
    join(server, b, rid)
    n = 40

    async def send_all():
        async with await connect_ready(server, a, name="A") as wa:
            acks = []
            for i in range(n):
                ack = await wa.send_msg(rid, f"durable-{i}")
                acks.append((ack["seq"], f"durable-{i}"))
            return acks
    acks = run(send_all())
    # and a few over REST
    for i in range(5):
        m = post_message(server, b, rid, f"rest-durable-{i}")
        acks.append((m["seq"], f"rest-durable-{i}"))

    server.restart()

    # tokens survive a restart (sessions live in the store)
    msgs = history(server, a, rid, limit=200)["messages"]
    assert [(m["seq"], m["text"]) for m in msgs] == acks
    assert my_rooms(server, b)[rid]["last_seq"] == acks[-1][0]
    # the sequence continues without a gap
    nxt = post_message(server, a, rid, "after restart")
    assert nxt["seq"] == acks[-1][0] + 1
    # and clients can resume across the restart
    async def resume():
        ws = WS(server, b, name="B")
        await ws.connect()
        _, replay = await ws.hello_caught_up(resume={rid: acks[-3][0]})
        assert [f["event"]["seq"] for f in replay if f.get("type") == "event"] == \
            [acks[-2][0], acks[-1][0], nxt["seq"]]
        await ws.close()
    run(resume())


@pytest.mark.timeout_s(30)
def test_sigterm_closes_sockets_1001_and_exits_cleanly(server, users):
    a, _ = users("term")
    room = create_room(server, a, "r")

    async def body():
        ws = await connect_ready(server, a)
        await ws.send_msg(room["id"], "last words")
        loop = asyncio.get_running_loop()
        stop = loop.run_in_executor(None, server.stop)
        code = await ws.wait_closed(timeout=10)
        rc = await stop
        return code, rc
    code, rc = run(body())
    assert code == 1001
    assert rc == 0, f"exit status after SIGTERM: {rc}"
    server.start()
    assert [m["text"] for m in history(server, a, room["id"])["messages"]] == ["last words"]


@pytest.mark.timeout_s(45)
def test_idempotency_survives_restart(server, users):
    a, _ = users("idem")
    room = create_room(server, a, "r")
    st, first = server.api("POST", f"/rooms/{room['id']}/messages",
                           {"client_msg_id": "retry-me", "text": "once"}, token=a)
    assert st == 201
    server.restart()
    st, again = server.api("POST", f"/rooms/{room['id']}/messages",
                           {"client_msg_id": "retry-me", "text": "once"}, token=a)
    assert st == 200, again
    assert again["message"]["seq"] == first["message"]["seq"]
    assert len(history(server, a, room["id"])["messages"]) == 1
