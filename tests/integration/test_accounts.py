"""Accounts: registration rules, login, sessions, revocation, logout, cookies."""

import pytest

from parley_client import (
    EVIL_ORIGIN, GOOD_ORIGIN, PASSWORD, WS, assert_error, login, register, run, unique,
)


@pytest.mark.parametrize("username", [
    "ab",                 # too short
    "a" * 33,             # too long
    "_alice",             # must start with a letter or digit
    "-alice",
    ".alice",
    "al ice",             # space
    "al!ce",
    "al\u00efce",         # non-ASCII letter
    "",
], ids=["too_short", "too_long", "underscore_first", "dash_first", "dot_first", "space", "bang",
        "non_ascii", "empty"])
def test_register_rejects_bad_username(server, username):
    assert_error(server.api("POST", "/register", {"username": username, "password": PASSWORD}),
                 400, "invalid_username")


def test_register_accepts_boundary_usernames(server):
    tail = unique("x")[-8:]
    for name in [f"a{tail[:2]}",                 # 3 chars
                 ("b" + tail).ljust(32, "z"),    # 32 chars
                 f"9.a-b_{tail}"]:               # all allowed punctuation, leading digit
        st, js = server.api("POST", "/register", {"username": name, "password": PASSWORD})
        assert st == 201, (name, st, js)
        assert js["user"]["username"] == name
        assert isinstance(js["user"]["id"], int)


@pytest.mark.parametrize("password", ["", "short", "1234567", "x" * 1025, "\u00e9" * 513],
                         ids=["empty", "5_bytes", "7_bytes", "1025_bytes", "1026_utf8_bytes"])
def test_register_rejects_weak_password(server, password):
    assert_error(server.api("POST", "/register", {"username": unique("pw"), "password": password}),
                 400, "weak_password")


def test_password_length_is_counted_in_bytes(server):
    # 4 characters, 8 bytes of UTF-8: long enough. 1024 bytes exactly: allowed.
    for pw in ["\u00e9\u00e9\u00e9\u00e9", "y" * 1024]:
        name = unique("pwb")
        st, js = server.api("POST", "/register", {"username": name, "password": pw})
        assert st == 201, (st, js)
        st, js = server.api("POST", "/login", {"username": name, "password": pw})
        assert st == 200, (st, js)


def test_register_duplicate_is_case_insensitive(server):
    name = unique("Alice")
    register(server, name)
    assert_error(server.api("POST", "/register", {"username": name, "password": PASSWORD}), 409, "conflict")
    assert_error(server.api("POST", "/register", {"username": name.lower(), "password": PASSWORD}),
                 409, "conflict")
    assert_error(server.api("POST", "/register", {"username": name.upper(), "password": PASSWORD}),
                 409, "conflict")


@pytest.mark.parametrize("body", [
    {"username": "nopassword"},
    {"password": PASSWORD},
    {"username": 12345, "password": PASSWORD},
    {"username": "typedpw", "password": 12345678},
    [],
], ids=["no_password", "no_username", "int_username", "int_password", "array_body"])
def test_register_missing_or_mistyped_field(server, body):
    assert_error(server.api("POST", "/register", body), 400, "bad_request")


def test_login_wrong_password_and_unknown_user_same_answer(server):
    name = unique("bob")
    register(server, name)
    r1 = server.api("POST", "/login", {"username": name, "password": PASSWORD + "x"})
    r2 = server.api("POST", "/login", {"username": unique("ghost"), "password": PASSWORD})
    assert_error(r1, 401, "bad_credentials")
    assert_error(r2, 401, "bad_credentials")


def test_login_returns_token_session_user_and_cookie(server):
    name = unique("carol")
    user = register(server, name)
    r = server.request("POST", "/login", {"username": name, "password": PASSWORD, "device": "laptop"})
    assert r.status == 200, r
    js = r.json
    assert js["user"] == {"id": user["id"], "username": name} or js["user"]["id"] == user["id"]
    assert isinstance(js["token"], str) and len(js["token"]) >= 32
    assert js["session"]["device"] == "laptop"
    assert js["session"]["current"] is True
    cookies = r.headers.get_all("Set-Cookie") or []
    ours = [c for c in cookies if c.strip().startswith("parley_session=")]
    assert ours, f"no parley_session cookie in {cookies}"
    attrs = [a.strip().lower() for a in ours[0].split(";")]
    assert "httponly" in attrs, ours[0]
    assert "samesite=strict" in attrs, ours[0]
    # /me with the token
    st, me = server.api("GET", "/me", token=js["token"])
    assert st == 200, me
    assert me["user"]["id"] == user["id"]
    assert me["session"]["id"] == js["session"]["id"]


def test_two_devices_two_sessions_revoke_one(server):
    name = unique("dave")
    register(server, name)
    laptop = login(server, name, device="laptop")
    phone = login(server, name, device="phone")
    assert laptop["token"] != phone["token"]
    assert laptop["session"]["id"] != phone["session"]["id"]

    st, js = server.api("GET", "/sessions", token=laptop["token"])
    assert st == 200, js
    sessions = js["sessions"]
    by_dev = {s["device"]: s for s in sessions}
    assert set(by_dev) == {"laptop", "phone"}, sessions
    assert by_dev["laptop"]["current"] is True
    assert by_dev["phone"]["current"] is False
    # newest first
    assert [s["id"] for s in sessions] == [phone["session"]["id"], laptop["session"]["id"]]
    for s in sessions:
        assert s["ip"] == "127.0.0.1"
        assert s["created_at"] > 1_600_000_000_000

    # revoke the phone from the laptop
    st, js = server.api("DELETE", f"/sessions/{phone['session']['id']}", token=laptop["token"])
    assert st == 204, js
    assert_error(server.api("GET", "/me", token=phone["token"]), 401, "unauthorized")
    st, js = server.api("GET", "/me", token=laptop["token"])
    assert st == 200, js
    st, js = server.api("GET", "/sessions", token=laptop["token"])
    assert [s["device"] for s in js["sessions"]] == ["laptop"]


def test_cannot_revoke_someone_elses_session(server, users):
    a_tok, _ = users("erin")
    b_tok, _ = users("frank")
    st, me_b = server.api("GET", "/me", token=b_tok)
    assert_error(server.api("DELETE", f"/sessions/{me_b['session']['id']}", token=a_tok), 404, "not_found")
    st, _ = server.api("GET", "/me", token=b_tok)
    assert st == 200
    assert_error(server.api("DELETE", "/sessions/999999999", token=a_tok), 404, "not_found")


def test_logout_ends_only_that_session(server):
    name = unique("gina")
    register(server, name)
    one = login(server, name, device="one")
    two = login(server, name, device="two")
    st, js = server.api("POST", "/logout", token=one["token"])
    assert st == 204, js
    assert_error(server.api("GET", "/me", token=one["token"]), 401, "unauthorized")
    assert_error(server.api("POST", "/logout", token=one["token"]), 401, "unauthorized")
    st, _ = server.api("GET", "/me", token=two["token"])
    assert st == 200


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer nonsense", "Bearer " + "0" * 64, "Basic Zm9vOmJhcg=="],
                         ids=["none", "bearer_empty", "bearer_junk", "bearer_zeros", "basic"])
def test_bad_token_is_401(server, auth):
    headers = {"Authorization": auth} if auth is not None else {}
    assert_error(server.api("GET", "/me", headers=headers), 401, "unauthorized")
    assert_error(server.api("GET", "/rooms", headers=headers), 401, "unauthorized")


def test_token_in_url_is_not_accepted(server, users):
    tok, _ = users("urltok")
    for q in (f"?token={tok}", f"?access_token={tok}"):
        assert_error(server.api("GET", "/me" + q), 401, "unauthorized")


def test_get_user_by_name(server, users):
    tok, me = users("henry")
    _, other = users("iris")
    st, js = server.api("GET", f"/users/{other['username']}", token=tok)
    assert st == 200, js
    assert js["user"]["id"] == other["id"]
    assert_error(server.api("GET", f"/users/{unique('nobody')}", token=tok), 404, "not_found")


def test_cookie_auth_requires_allowed_origin_for_changes(server):
    name = unique("cookie")
    register(server, name)
    r = server.request("POST", "/login", {"username": name, "password": PASSWORD, "device": "browser"})
    assert r.status == 200
    cookie = [c for c in r.headers.get_all("Set-Cookie") if c.strip().startswith("parley_session=")][0]
    cookie_pair = cookie.split(";")[0].strip()

    # GET by cookie needs no Origin
    st, js = server.api("GET", "/me", headers={"Cookie": cookie_pair})
    assert st == 200, js
    # change by cookie from a foreign origin, or with no Origin at all: refused, nothing created
    assert_error(server.api("POST", "/rooms", {"name": "evil"}, headers={"Cookie": cookie_pair, "Origin": EVIL_ORIGIN}),
                 403, "origin_not_allowed")
    assert_error(server.api("POST", "/rooms", {"name": "noorigin"}, headers={"Cookie": cookie_pair}),
                 403, "origin_not_allowed")
    st, js = server.api("GET", "/rooms", headers={"Cookie": cookie_pair})
    assert st == 200 and js["rooms"] == [], js
    # allowed origins work: the flag one and the server's own
    st, js = server.api("POST", "/rooms", {"name": "good"}, headers={"Cookie": cookie_pair, "Origin": GOOD_ORIGIN})
    assert st == 201, js
    st, js = server.api("POST", "/rooms", {"name": "self"}, headers={"Cookie": cookie_pair, "Origin": server.origin})
    assert st == 201, js


def test_ws_accepts_bearer_header_instead_of_token(server, users):
    tok, me = users("hdr")

    async def body():
        async with WS(server, None, headers={"Authorization": f"Bearer {tok}"}) as ws:
            ready = await ws.hello(token=None)
            assert ready["user"]["id"] == me["id"]
            assert isinstance(ready["session_id"], int)
    run(body())
