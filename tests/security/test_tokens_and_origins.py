"""Tokens travel only in the Authorization header or the session cookie, never in a URL,
and never reach the logs; browsers' cross-site requests are told apart by their Origin,
which must be on the allowlist exactly (docs/api.md, "Authentication"; protocol.md,
"Connecting")."""
from __future__ import annotations

import asyncio
import http.client
import json

import pytest
import websockets

from parley_client import (
    GOOD_ORIGIN, PASSWORD, WS, assert_error, create_room, http_request, login, new_cmid,
    register, run, unique,
)

URL_TOKEN_KEYS = ["token", "access_token", "parley_session", "auth", "bearer", "session"]


def _cookie_login(server) -> tuple[str, str, dict]:
    """A browser-style login: returns (token, 'parley_session=…' cookie pair, user)."""
    name = unique("browser")
    register(server, name)
    r = server.request("POST", "/login", {"username": name, "password": PASSWORD,
                                          "device": "browser"})
    assert r.status == 200, r
    pair = [c for c in r.headers.get_all("Set-Cookie")
            if c.strip().startswith("parley_session=")][0].split(";")[0].strip()
    return r.json["token"], pair, r.json["user"]


# --------------------------------------------------------------------------- tokens in URLs


@pytest.mark.parametrize("key", URL_TOKEN_KEYS)
def test_rest_refuses_a_token_in_the_query(server, users, key):
    tok, _ = users("urltok")
    room = create_room(server, tok, "mine", public=False)["id"]
    for method, path in [("GET", "/me"), ("GET", "/rooms"), ("GET", f"/rooms/{room}"),
                         ("GET", f"/rooms/{room}/messages"), ("POST", "/rooms"),
                         ("POST", f"/rooms/{room}/messages"),
                         ("GET", f"/rooms/{room}/files/AAAAAAAAAAAAAAAAAAAAAA")]:
        for q in (f"?{key}={tok}", f"?x=1&{key}={tok}", f"?{key}=Bearer%20{tok}"):
            body = {"name": "via-url"} if path == "/rooms" else \
                {"client_msg_id": new_cmid(), "text": "via url"} if method == "POST" else None
            assert_error(server.api(method, path + q, body), 401, "unauthorized")
    # nothing was made on the token's behalf
    st, js = server.api("GET", "/rooms", token=tok)
    assert st == 200 and [r["id"] for r in js["rooms"]] == [room], js
    st, js = server.api("GET", f"/rooms/{room}/messages", token=tok)
    assert js["messages"] == [], js


def test_upload_refuses_a_token_in_the_query(server, users):
    tok, _ = users("urlup")
    room = create_room(server, tok, "files", public=False)["id"]
    for key in ("token", "access_token"):
        r = http_request("127.0.0.1", server.port, "POST",
                         f"/api/v1/rooms/{room}/files?name=a.txt&{key}={tok}", body=b"abc",
                         headers={"Content-Type": "application/octet-stream"})
        assert_error(r, 401, "unauthorized")


def test_a_token_in_the_path_or_a_cookie_of_another_name_is_not_a_token(server, users):
    tok, _ = users("pathtok")
    for path in (f"/api/v1/me;token={tok}", f"/api/v1/me/{tok}", f"/api/v1/{tok}/me"):
        r = http_request("127.0.0.1", server.port, "GET", path)
        assert r.status in (401, 404), r
    for cookie in (f"token={tok}", f"session={tok}", f"PARLEY_SESSION={tok}",
                   f"parley_session_x={tok}", f"xparley_session={tok}"):
        assert_error(server.api("GET", "/me", headers={"Cookie": cookie}), 401, "unauthorized")
    for auth in (f"bearer {tok}", f"Bearer  {tok}", f"Token {tok}", tok, f"Basic {tok}"):
        st, js = server.api("GET", "/me", headers={"Authorization": auth})
        assert st == 401, (auth, st, js)


@pytest.mark.parametrize("key", ["token", "access_token"])
def test_ws_upgrade_refuses_a_token_in_the_query(server, users, key):
    tok, _ = users("wsurl")

    async def body():
        ws = await asyncio.wait_for(websockets.connect(f"{server.ws_url}?{key}={tok}",
                                                       compression=None), 5)
        await ws.send(json.dumps({"type": "hello"}))
        frames = []
        try:
            while True:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        except websockets.exceptions.ConnectionClosed:
            pass
        assert ws.close_code == 4001, (ws.close_code, frames)
        assert [f.get("code") for f in frames] == ["unauthorized"], frames
    run(body())


def test_tokens_and_passwords_never_reach_the_logs(server_factory):
    server = server_factory(extra=["--log-level", "debug"])
    tok, cookie, user = _cookie_login(server)
    other = login(server, user["username"], device="second")["token"]
    room = create_room(server, tok, "logged")["id"]
    for key in URL_TOKEN_KEYS:
        server.api("GET", f"/me?{key}={tok}")
    server.api("GET", "/me", headers={"Cookie": cookie})
    server.api("POST", "/rooms", {"name": "x"}, headers={"Cookie": cookie,
                                                         "Origin": "http://evil.example"})
    server.api("GET", "/me", headers={"Authorization": f"Bearer {tok}x"})
    server.api("GET", "/me", headers={"Authorization": f"Basic {tok}"})
    server.api("POST", "/login", {"username": user["username"], "password": PASSWORD + "!"})

    async def body():
        async with WS(server, tok) as ws:
            await ws.hello()
            await ws.send_msg(room, "hello from the socket")
        bad = WS(server, tok[:-1] + ("A" if tok[-1] != "A" else "B"))
        await bad.connect()
        await bad.send_json({"type": "hello", "token": bad.token})
        assert await bad.wait_closed() == 4001
    run(body())
    server.stop()
    logs = server.stderr_bytes()
    assert logs.strip(), "no logs were written"
    for secret, what in ((tok, "token"), (other, "second token"), (tok[:-1], "token prefix"),
                         (PASSWORD, "password"), (cookie, "cookie")):
        assert secret.encode() not in logs, f"{what} found in the logs"
    # Nor the token in any usual encoding.
    import base64
    import hashlib
    assert base64.b64encode(tok.encode()) not in logs
    assert hashlib.sha256(tok.encode()).hexdigest().encode() not in logs


# --------------------------------------------------------------------------- Origins

FOREIGN_ORIGINS = [
    "http://evil.example",
    "null",
    "https://good.example",            # other scheme
    "ws://good.example",
    "http://good.example:8080",        # other port
    "http://good.example:80",          # the default port, spelt out: not the same string
    "http://good.example.evil.com",    # suffix trick
    "http://evil.com.good.example",    # prefix trick: a subdomain is another origin
    "http://evilgood.example",
    "http://good.examplex",
    "http://good.example/",            # a path is not part of an origin
    "http://good.example.",            # trailing dot
    "HTTP://GOOD.EXAMPLE",             # browsers send lowercase: anything else is not theirs
    "http://Good.Example",
    "http://good.example@evil.com",
    "http://evil.com#http://good.example",
    "http://good.example, http://evil.example",
    "",
]


def _own_variants(server) -> list[str]:
    port = server.port
    return [f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}", f"http://localhost:{port + 1}",
            f"https://localhost:{port}", "http://127.0.0.1", f"http://127.0.0.1:{port}.evil.com", f"http://127.0.0.2:{port}"]


def _upgrade(server, origin: str | None, cookie: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
        if origin is not None:
            headers["Origin"] = origin
        if cookie:
            headers["Cookie"] = cookie
        conn.request("GET", "/api/v1/ws", headers=headers)
        r = conn.getresponse()
        return r.status, (r.read() if r.status != 101 else b"")
    finally:
        conn.close()


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_ws_upgrade_from_a_foreign_origin_is_refused(server, origin):
    _, cookie, _ = _cookie_login(server)
    status, body = _upgrade(server, origin, cookie)
    assert status == 403, (origin, status, body)
    assert json.loads(body)["error"]["code"] == "origin_not_allowed"


def test_ws_upgrade_from_near_misses_of_the_servers_own_origin_is_refused(server):
    for origin in _own_variants(server):
        status, body = _upgrade(server, origin)
        assert status == 403, (origin, status, body)
    # A loopback server is its own origin under either name (main.cpp).
    for origin in (GOOD_ORIGIN, server.origin, f"http://localhost:{server.port}", None):
        status, _ = _upgrade(server, origin)
        assert status == 101, (origin, status)


def _changes(server, tok, room):
    """Every kind of change a cookie could make: (method, path, body)."""
    return [("POST", "/rooms", {"name": "csrf"}),
            ("POST", f"/rooms/{room}/messages", {"client_msg_id": new_cmid(), "text": "csrf"}),
            ("POST", f"/rooms/{room}/read", {"seq": 1}),
            ("POST", f"/rooms/{room}/members", {"username": "nobody"}),
            ("PATCH", f"/rooms/{room}/messages/1", {"text": "csrf"}),
            ("DELETE", f"/rooms/{room}/messages/1", None),
            ("POST", f"/rooms/{room}/leave", None),
            ("POST", "/direct", {"username": "nobody"}),
            ("DELETE", "/sessions/1", None),
            ("POST", "/logout", None)]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS + [None])
def test_cookie_authenticated_changes_from_a_foreign_origin_are_refused(server, origin):
    tok, cookie, _ = _cookie_login(server)
    room = create_room(server, tok, "target")["id"]
    st, js = server.api("POST", f"/rooms/{room}/messages",
                        {"client_msg_id": new_cmid(), "text": "first"}, token=tok)
    assert st == 201, js
    before = server.api("GET", f"/rooms/{room}/messages", token=tok)
    for method, path, body in _changes(server, tok, room):
        headers = {"Cookie": cookie}
        if origin is not None:
            headers["Origin"] = origin
        for ctype in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
            headers["Content-Type"] = ctype
            raw = json.dumps(body).encode() if body is not None else None
            r = server.request(method, path, raw=raw, headers=headers)
            assert_error(r, 403, "origin_not_allowed")
    # the upload route too, before a byte of the body is read
    r = http_request("127.0.0.1", server.port, "POST", f"/api/v1/rooms/{room}/files?name=x.txt",
                     body=b"csrf", headers={"Cookie": cookie, **({"Origin": origin} if origin else {})})
    assert_error(r, 403, "origin_not_allowed")
    # nothing changed, and the session still works
    assert server.api("GET", f"/rooms/{room}/messages", token=tok) == before
    st, js = server.api("GET", "/rooms", token=tok)
    assert [x["id"] for x in js["rooms"]] == [room], js
    st, _ = server.api("GET", "/me", headers={"Cookie": cookie})
    assert st == 200


def test_cookie_authenticated_changes_from_allowed_origins_work(server):
    tok, cookie, _ = _cookie_login(server)
    for origin in (GOOD_ORIGIN, server.origin):
        st, js = server.api("POST", "/rooms", {"name": "fine"},
                            headers={"Cookie": cookie, "Origin": origin})
        assert st == 201, (origin, st, js)
    # Safe methods need no Origin: a cross-site GET cannot change anything.
    st, _ = server.api("GET", "/rooms", headers={"Cookie": cookie, "Origin": "http://evil.example"})
    assert st == 200
    # A bearer token is not sent by a browser on its own: no Origin needed.
    st, _ = server.api("POST", "/rooms", {"name": "cli"}, token=tok)
    assert st == 201
