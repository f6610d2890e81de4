"""Bounds and bad input: sizes, JSON depth, tokens, origins, rate limits, slow consumers."""

import asyncio
import http.client
import json
import os

import pytest
import websockets
import websockets.exceptions

from parley_client import (
    EVIL_ORIGIN, GOOD_ORIGIN, WS, assert_error, connect_ready, create_room, history, http_request,
    is_event, is_type, join, login, new_cmid, post_message, register, register_and_login, run,
    send_rest, unique,
)


# ----------------------------------------------------------------- REST bodies


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"username": "x", ', b"\xff\xfe{}", b'"just a string"'],
                         ids=["garbage", "empty", "truncated", "bad_utf8", "not_an_object"])
def test_malformed_json_body_is_400(server, raw):
    assert_error(server.request("POST", "/register", raw=raw), 400, "bad_request")


def test_malformed_json_on_authenticated_routes(server, users):
    tok, _ = users("badjson")
    room = create_room(server, tok, "r")
    assert_error(server.request("POST", "/rooms", raw=b"{", token=tok), 400, "bad_request")
    assert_error(server.request("POST", f"/rooms/{room['id']}/messages", raw=b'{"text": }', token=tok),
                 400, "bad_request")
    assert_error(server.request("POST", f"/rooms/{room['id']}/read", raw=b"[", token=tok), 400, "bad_request")
    assert history(server, tok, room["id"])["messages"] == []


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_deeper_than_32_is_400(server, users):
    tok, _ = users("deep")
    # {"name": [[...]]}: the object is level 1, so 40 arrays is depth 41
    assert_error(server.request("POST", "/rooms", raw=('{"name": ' + _nested(40) + "}").encode(), token=tok),
                 400, "bad_request")
    assert_error(server.request("POST", "/register",
                                raw=('{"username": "deepuser", "password": "pppppppp", "x": ' + _nested(40) + "}").encode()),
                 400, "bad_request")
    # the deep registration did not happen
    st, js = server.api("POST", "/register", {"username": "deepuser", "password": "pppppppp"})
    assert st == 201, js


def test_json_nesting_bomb_does_not_crash(server):
    bomb = ("[" * 60000).encode()
    assert_error(server.request("POST", "/register", raw=bomb), 400, "bad_request")
    bomb2 = ('{"a":' * 10000 + "1" + "}" * 10000).encode()
    assert_error(server.request("POST", "/register", raw=bomb2), 400, "bad_request")
    assert server.request("GET", "/healthz").status == 200
    assert server.running


def test_body_over_65536_is_413(server, users):
    tok, _ = users("bigbody")
    room = create_room(server, tok, "r")
    body = json.dumps({"client_msg_id": new_cmid(), "text": "x" * 70000}).encode()
    assert len(body) > 65536
    assert_error(server.request("POST", f"/rooms/{room['id']}/messages", raw=body, token=tok),
                 413, "payload_too_large")
    big = json.dumps({"username": unique("big"), "password": "p" * 66000}).encode()
    assert_error(server.request("POST", "/register", raw=big), 413, "payload_too_large")
    assert history(server, tok, room["id"])["messages"] == []
    assert server.request("GET", "/healthz").status == 200


def test_declared_content_length_over_limit_is_refused_early(server):
    # Only the headers promise a huge body; the server must not wait for it.
    try:
        r = http_request("127.0.0.1", server.port, "POST", "/api/v1/register", body=b"{}",
                         headers={"Content-Type": "application/json", "Content-Length": "100000000"}, timeout=5)
    except (TimeoutError, OSError) as e:
        pytest.fail(f"server did not answer a request declaring a 100 MB body within 5 s: {e!r}")
    assert_error(r, 413, "payload_too_large")


def test_unknown_route_is_404(server, users):
    tok, _ = users("routes")
    assert_error(server.api("GET", "/no/such/route", token=tok), 404, "not_found")
    assert_error(server.api("GET", "/rooms/987654321", token=tok), 404, "not_found")


def test_wrong_method_on_a_known_path_is_405_with_allow(server, users):
    tok, _ = users("methods")
    for token in (tok, None):  # matched before authentication
        r = server.request("DELETE", "/rooms", token=token)
        assert_error(r, 405, "method_not_allowed")
        assert r.headers["Allow"] == "GET, HEAD, POST"
    r = server.request("GET", "/login")
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "POST"


def test_head_answers_the_length_of_get_without_a_body(server, users):
    tok, _ = users("head")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        auth = {"Authorization": f"Bearer {tok}"}
        conn.request("HEAD", "/api/v1/me", headers=auth)
        head = conn.getresponse()
        assert head.status == 200 and head.read() == b""
        # the same connection: a body sent after the HEAD answer would be read as the next one
        conn.request("GET", "/api/v1/me", headers=auth)
        get = conn.getresponse()
        body = get.read()
        assert get.status == 200 and json.loads(body)["user"]["username"].startswith("head")
        assert int(head.headers["Content-Length"]) == len(body)
    finally:
        conn.close()


# ----------------------------------------------------------------- WebSocket auth


def test_ws_bad_token_closes_4001(server, users):
    tok, _ = users("wsbad")

    async def body():
        for bad in ["nonsense", "0" * 64, ""]:
            ws = WS(server, bad, name="bad")
            await ws.connect()
            await ws.send_json({"type": "hello", "token": bad})
            f = await ws.recv_until(is_type("error"), what="unauthorized error")
            assert f["code"] == "unauthorized", f
            assert await ws.wait_closed() == 4001
        # no token at all, and no header
        ws = WS(server, None, name="none")
        await ws.connect()
        await ws.send_json({"type": "hello"})
        assert await ws.wait_closed() == 4001
        assert any(f.get("type") == "error" and f.get("code") == "unauthorized" for f in ws.frames), ws.frames
        # first frame is not hello
        ws = WS(server, tok, name="nohello")
        await ws.connect()
        await ws.send_json({"type": "ping", "req": 1})
        assert await ws.wait_closed() == 4001
        assert not any(f.get("type") == "pong" for f in ws.frames)
        # a token in the URL is not accepted
        ws2 = await asyncio.wait_for(websockets.connect(server.ws_url + f"?token={tok}", compression=None), 5)
        await ws2.send(json.dumps({"type": "hello"}))
        try:
            while True:
                await asyncio.wait_for(ws2.recv(), 5)
        except websockets.exceptions.ConnectionClosed:
            pass
        assert ws2.close_code == 4001
    run(body())


def test_ws_logged_out_token_closes_4001(server, users):
    tok, _ = users("wsout")
    st, _ = server.api("POST", "/logout", token=tok)
    assert st == 204

    async def body():
        ws = WS(server, tok)
        await ws.connect()
        await ws.send_json({"type": "hello", "token": tok})
        assert await ws.wait_closed() == 4001
    run(body())


@pytest.mark.timeout_s(30)
def test_ws_no_hello_within_10s_closes_4001(server):
    async def body():
        ws = WS(server, None)
        await ws.connect()
        assert await ws.wait_closed(timeout=14) == 4001
    run(body(), timeout=20)


def test_revoked_session_socket_closed_4001(server):
    name = unique("revoke")
    register(server, name)
    laptop = login(server, name, device="laptop")
    phone = login(server, name, device="phone")

    async def body():
        phone_ws = await connect_ready(server, phone["token"], name="phone")
        laptop_ws = await connect_ready(server, laptop["token"], name="laptop")
        loop = asyncio.get_running_loop()
        st, js = await loop.run_in_executor(
            None, lambda: server.api("DELETE", f"/sessions/{phone['session']['id']}", token=laptop["token"]))
        assert st == 204, js
        assert await phone_ws.wait_closed(timeout=2) == 4001
        # the other device stays connected
        await laptop_ws.ping()
        await laptop_ws.close()
    run(body())


def test_logout_closes_own_socket_4001(server, users):
    tok, _ = users("logoutws")

    async def body():
        ws = await connect_ready(server, tok)
        loop = asyncio.get_running_loop()
        st, _ = await loop.run_in_executor(None, lambda: server.api("POST", "/logout", token=tok))
        assert st == 204
        assert await ws.wait_closed(timeout=2) == 4001
    run(body())


# ----------------------------------------------------------------- Origin


def test_ws_origin_allowlist(server, users):
    tok, me = users("origin")

    async def body():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as ei:
            await asyncio.wait_for(websockets.connect(server.ws_url, origin=EVIL_ORIGIN, compression=None), 5)
        assert ei.value.status_code == 403
        for origin in (GOOD_ORIGIN, server.origin, None):
            ws = WS(server, tok, origin=origin, name=f"origin={origin}")
            await ws.connect()
            ready = await ws.hello()
            assert ready["user"]["id"] == me["id"]
            await ws.close()
    run(body())


def test_ws_origin_refusal_body(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/api/v1/ws", headers={
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": EVIL_ORIGIN})
        r = conn.getresponse()
        body = r.read()
        assert r.status == 403
        js = json.loads(body)
        assert js["error"]["code"] == "origin_not_allowed", js
    finally:
        conn.close()


# ----------------------------------------------------------------- frame size


def test_ws_oversized_frame_closes_1009_default_limit(server, users):
    tok, _ = users("bigframe")
    room = create_room(server, tok, "r")

    async def body():
        ws = await connect_ready(server, tok)
        await ws.send_raw(json.dumps({"type": "send", "req": 1, "room": room["id"],
                                      "client_msg_id": new_cmid(), "text": "y" * 70000}))
        assert await ws.wait_closed() == 1009
    run(body())
    assert history(server, tok, room["id"])["messages"] == []


def test_ws_max_frame_flag(server_factory):
    server = server_factory(max_frame=8192)
    tok, _ = register_and_login(server, "frameflag")
    room = create_room(server, tok, "r")

    async def body():
        ws = await connect_ready(server, tok)
        ack = await ws.send_msg(room["id"], "z" * 7000)  # frame under 8192: fine
        assert ack["type"] == "ack"
        await ws.send_raw(json.dumps({"type": "send", "req": 2, "room": room["id"],
                                      "client_msg_id": new_cmid(), "text": "z" * 9000}))
        assert await ws.wait_closed() == 1009
    run(body())
    assert len(history(server, tok, room["id"])["messages"]) == 1


# ----------------------------------------------------------------- rate limits


def test_rest_send_rate_limited(server_factory):
    server = server_factory(send_rate=5)
    a, _ = register_and_login(server, "rla")
    b, _ = register_and_login(server, "rlb")
    room = create_room(server, a, "r")
    join(server, b, room["id"])
    results = [send_rest(server, a, room["id"], f"r{i}") for i in range(25)]
    ok = [js for st, js in results if st == 201]
    limited = [(st, js) for st, js in results if st != 201]
    assert len(ok) >= 5, results[:6]
    assert limited, "25 back-to-back sends at --send-rate 5 were never limited"
    for st, js in limited:
        assert_error((st, js), 429, "rate_limited")
    r = server.request("POST", f"/rooms/{room['id']}/messages", {"client_msg_id": new_cmid(), "text": "again"}, token=a)
    if r.status == 429:
        ra = r.headers.get("Retry-After")
        assert ra is not None and ra.strip().isdigit() and int(ra) >= 1, ra
    else:
        ok.append(r.json)
    # per user: B is not limited by A's burst
    st, js = send_rest(server, b, room["id"], "b speaks")
    assert st == 201, js
    # refused sends changed nothing
    msgs = history(server, a, room["id"], limit=200)["messages"]
    assert len(msgs) == len(ok) + 1


def test_ws_send_rate_limited(server_factory):
    server = server_factory(send_rate=5)
    a, _ = register_and_login(server, "rlwa")
    room = create_room(server, a, "r")

    async def body():
        ws = await connect_ready(server, a)
        reqs = []
        for i in range(25):
            req = ws.next_req()
            reqs.append(req)
            await ws.send_json({"type": "send", "req": req, "room": room["id"], "client_msg_id": new_cmid(),
                                "text": f"w{i}"})
        answers = [await ws.recv_until(lambda f, r=r: f.get("req") == r and f.get("type") in ("ack", "error"))
                   for r in reqs]
        acks = [f for f in answers if f["type"] == "ack"]
        errs = [f for f in answers if f["type"] == "error"]
        assert len(acks) >= 5
        assert errs and all(e["code"] == "rate_limited" for e in errs), errs[:3]
        await ws.ping()  # connection still usable
        await ws.close()
        return len(acks)
    n = run(body())
    assert len(history(server, a, room["id"], limit=200)["messages"]) == n


# ----------------------------------------------------------------- slow consumer


@pytest.mark.timeout_s(60)
def test_slow_consumer_closed_4008_others_unaffected(server_factory):
    server = server_factory(max_outbound=65536, send_rate=100000)
    a, _ = register_and_login(server, "slowa")
    r, _ = register_and_login(server, "slowr")
    s, _ = register_and_login(server, "slows")
    room = create_room(server, a, "firehose")
    rid = room["id"]
    join(server, r, rid)
    join(server, s, rid)
    n = 300
    text_len = 16000

    async def body():
        wa = await connect_ready(server, a, name="A")
        wr = await connect_ready(server, r, name="reader")
        # the slow one: tiny kernel receive buffer, one-frame queue, and it never reads
        ws_slow = WS(server, s, name="slow", max_queue=1, read_limit=4096, rcvbuf=4096)
        await ws_slow.connect()
        await ws_slow.hello_caught_up()

        reader = asyncio.create_task(wr.recv_until(is_event(room=rid, text="END"), timeout=45, what="END"))
        acks = []
        filler = os.urandom(text_len // 2).hex()
        # Batches of 3 x 16 kB stay under the 64 kB cap for a reader that keeps up, however
        # slowly the server drains (sanitizer builds, a loaded CI machine).
        for start in range(0, n, 3):
            batch = []
            for i in range(start, min(n, start + 3)):
                req = wa.next_req()
                batch.append(req)
                await wa.send_json({"type": "send", "req": req, "room": rid, "client_msg_id": f"fh-{i}",
                                    "text": f"{i:05d}" + filler[5:]})
            for req in batch:
                f = await wa.recv_until(lambda f, q=req: f.get("req") == q, timeout=15, what=f"ack {req}")
                assert f["type"] == "ack", f
                acks.append(f["seq"])
            wa.pending = [f for f in wa.pending if f.get("type") != "event"]  # A's own echoes
        end = await wa.send_msg(rid, "END")
        await reader

        # the normal reader got every message, in order, once
        seqs = [e["seq"] for e in wr.events(rid)]
        assert seqs == acks + [end["seq"]], (len(seqs), seqs[:3], seqs[-3:])

        # the slow one was cut off with 4008 (drain what the kernel buffered first)
        code = await ws_slow.wait_closed(timeout=15)
        assert code == 4008, code
        got = [e["seq"] for e in ws_slow.events(rid)]
        assert len(got) < n, "slow consumer received everything: the limit never engaged"
        assert got == sorted(set(got))

        # it reconnects and resumes; nothing is lost
        last = got[-1] if got else 0
        again = WS(server, s, name="slow-again")
        await again.connect()
        _, replay = await again.hello_caught_up(resume={rid: last}, timeout=20)
        replayed = [f["event"]["seq"] for f in replay if f.get("type") == "event"]
        assert got + replayed == acks + [end["seq"]]
        await again.close()
        await wa.close()
        await wr.close()
    run(body(), timeout=55)
