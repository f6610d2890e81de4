"""Restarts: SIGTERM is graceful (1001), and nothing acknowledged is lost."""

import asyncio

import pytest

from parley_client import (
    WS, connect_ready, create_room, history, is_event, join, my_rooms, post_message,
    register_and_login, run, send_rest,
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


@pytest.mark.timeout_s(60)
def test_sigterm_with_http_requests_in_flight_exits_cleanly(server_factory):
    """SIGTERM while REST sends and history reads are in flight: the node exits with 0 (no
    crash while tearing down requests that were still waiting on the Store), and every send
    that was acknowledged is in the history after a restart."""
    import threading
    server = server_factory(send_rate=100000)
    a, _ = register_and_login(server, "busy")
    room = create_room(server, a, "busy")["id"]
    acked: list[tuple[int, str]] = []
    refused: list = []
    lock = threading.Lock()
    started = threading.Barrier(9)

    def sender(k: int) -> None:
        started.wait()
        for i in range(10_000):
            text = f"s{k}-{i}"
            try:
                st, js = send_rest(server, a, room, text)
            except OSError:
                return
            if st != 201:
                refused.append((st, js))
                return
            with lock:
                acked.append((js["message"]["seq"], text))

    def reader() -> None:
        started.wait()
        for _ in range(10_000):
            try:
                st, _ = server.api("GET", f"/rooms/{room}/messages?limit=50", token=a)
            except OSError:
                return
            if st != 200:
                return

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    # Stop only once requests are flowing: some sends were acknowledged.
    for _ in range(2_000):
        with lock:
            if len(acked) >= 20 or refused:
                break
        threading.Event().wait(0.01)  # polling a condition, bounded
    assert not refused, f"a send was refused before the stop: {refused[0]}"
    rc = server.stop()
    for t in threads:
        t.join(timeout=30)
    assert rc == 0, f"exit status after SIGTERM with requests in flight: {rc}"
    server.start()
    stored: set[tuple[int, str]] = set()
    after = 0
    while True:
        page = history(server, a, room, after=after, limit=100)["messages"]
        stored |= {(m["seq"], m["text"]) for m in page}
        if not page:
            break
        after = page[-1]["seq"]
    missing = [x for x in acked if x not in stored]
    assert not missing, f"acknowledged but not stored: {missing[:5]}"
