"""Profiles and finding people (docs/api.md "Profiles", "Finding people"; docs/protocol.md
`profile` frame; docs/operations.md `--people-search`). Both backends.

Absence of a frame is proven with a barrier, not a wait: the stranger changes their own
profile after the change under test, and their own `profile` frame comes on their own user
topic; the change under test was published (and its fan-out read from the Store) before
that request was even sent."""
from __future__ import annotations

import subprocess
import urllib.parse

from parley_client import (add_member, assert_error, connect_ready, create_room, login, parley_bin,
                           register, register_and_login, run, unique)
from people import admin_cli


def _patch(server, token, body):
    return server.api("PATCH", "/me", body, token=token)


def _ok_patch(server, token, body) -> dict:
    st, js = _patch(server, token, body)
    assert st == 200, js
    return js["user"]


def _is_profile(uid):
    return lambda f: f.get("type") == "profile" and f["user"]["id"] == uid


def test_set_read_and_clear_a_profile(server):
    tok, me = register_and_login(server, "ada")
    st, js = server.api("GET", "/me", token=tok)
    assert st == 200
    assert js["user"] == {"id": me["id"], "username": me["username"], "display_name": None,
                          "status_text": None, "status_emoji": None, "time_zone": None,
                          "avatar": None}
    user = _ok_patch(server, tok, {"display_name": "  Ada Lovelace ", "status_text": "computing",
                                   "status_emoji": ":tada:", "time_zone": "Europe/London"})
    assert user["display_name"] == "Ada Lovelace"
    assert user["status_emoji"] == "🎉"
    assert user["time_zone"] == "Europe/London"
    assert server.api("GET", "/me", token=tok)[1]["user"] == user
    other_tok, _ = register_and_login(server, "reader")
    st, js = server.api("GET", f"/users/{me['username'].upper()}", token=other_tok)
    assert st == 200 and js["user"] == user
    # A partial patch leaves the rest; null clears.
    user2 = _ok_patch(server, tok, {"status_text": None, "status_emoji": None})
    assert user2["display_name"] == "Ada Lovelace" and user2["time_zone"] == "Europe/London"
    assert user2["status_text"] is None and user2["status_emoji"] is None
    user3 = _ok_patch(server, tok, {"display_name": None})
    assert user3["display_name"] is None


def test_every_change_is_audited_by_field_name(server):
    tok, _ = register_and_login(server, "audited")
    _ok_patch(server, tok, {"display_name": "Secret Name", "time_zone": "UTC"})
    _ok_patch(server, tok, {"time_zone": "UTC"})  # changes nothing: not audited
    st, js = server.api("GET", "/audit", token=tok)
    assert st == 200
    rows = [e for e in js["events"] if e["kind"] == "profile_changed"]
    assert len(rows) == 1, rows
    assert rows[0]["detail"] == "display_name, time_zone"
    assert "Secret" not in str(js)


BAD_PATCHES = [
    ({"display_name": ""}, 400, "invalid_profile"),
    ({"display_name": "   "}, 400, "invalid_profile"),
    ({"display_name": "x" * 65}, 400, "invalid_profile"),
    ({"display_name": "a\nb"}, 400, "invalid_profile"),
    ({"display_name": "\u202eevil"}, 400, "invalid_profile"),
    ({"display_name": "a\u0000b"}, 400, "invalid_profile"),
    ({"status_text": "s" * 101}, 400, "invalid_profile"),
    ({"status_emoji": "not an emoji"}, 400, "invalid_profile"),
    ({"status_emoji": "🌴🌴"}, 400, "invalid_profile"),
    ({"time_zone": "Mars/Olympus_Mons"}, 400, "invalid_profile"),
    ({"time_zone": "GMT+05:00"}, 400, "invalid_profile"),
    ({"time_zone": "../../etc/passwd"}, 400, "invalid_profile"),
    ({"nickname": "x"}, 400, "invalid_profile"),
    ({"display_name": 5}, 400, "bad_request"),
    ({"display_name": ["a"]}, 400, "bad_request"),
    ({"display_name": "Fine", "time_zone": "Nowhere/Land"}, 400, "invalid_profile"),
]


def test_bad_patches_are_refused_and_change_nothing(server):
    tok, _ = register_and_login(server, "careful")
    before = _ok_patch(server, tok, {"display_name": "Before", "time_zone": "UTC"})
    for body, status, code in BAD_PATCHES:
        assert_error(_patch(server, tok, body), status, code)
    # Not UTF-8 at all, and not an object.
    r = server.request("PATCH", "/me", raw=b'{"display_name":"\xff\xfe"}', token=tok)
    assert r.status == 400 and r.error_code in ("bad_request", "invalid_profile"), r
    assert_error(server.request("PATCH", "/me", raw=b"[]", token=tok), 400, "bad_request")
    assert_error(server.request("PATCH", "/me", raw=b"x" * 70000, token=tok), 413,
                 "payload_too_large")
    assert server.api("GET", "/me", token=tok)[1]["user"] == before
    st, js = server.api("GET", "/audit", token=tok)
    assert len([e for e in js["events"] if e["kind"] == "profile_changed"]) == 1


def test_profile_changes_are_rate_limited(server_factory):
    server = server_factory(extra=("--profile-changes-per-hour", "3"))
    tok, _ = register_and_login(server, "fickle")
    for i in range(3):
        _ok_patch(server, tok, {"status_text": f"mood {i}"})
    r = server.request("PATCH", "/me", {"status_text": "mood 4"}, token=tok)
    assert r.status == 429 and r.error_code == "rate_limited", r
    assert int(r.headers["Retry-After"]) >= 1
    assert server.api("GET", "/me", token=tok)[1]["user"]["status_text"] == "mood 2"
    _ok_patch(server, tok, {"status_text": "mood 2"})  # changes nothing: not counted, answered


def test_profile_frames_reach_my_sessions_and_sharers_never_strangers(server):
    a_tok, alice = register_and_login(server, "alice")
    b_tok, bob = register_and_login(server, "bob")
    c_tok, carol = register_and_login(server, "carol")
    room = create_room(server, a_tok, "team", public=False)
    add_member(server, a_tok, room["id"], bob["username"])

    async def scenario():
        a2 = await connect_ready(server, a_tok, name="alice2")
        bws = await connect_ready(server, b_tok, name="bob")
        cws = await connect_ready(server, c_tok, name="carol")
        user = _ok_patch(server, a_tok, {"display_name": "Alice A.", "status_emoji": "🚆"})
        f = await a2.recv_until(_is_profile(alice["id"]), what="alice's own profile")
        assert f["user"] == user
        f = await bws.recv_until(_is_profile(alice["id"]), what="alice's profile at bob")
        assert f["user"] == user
        # The barrier: carol's own change reaches carol; alice's never came before it.
        _ok_patch(server, c_tok, {"status_text": "here"})
        seen = await cws.collect_until(_is_profile(carol["id"]), what="carol's own profile")
        assert not [x for x in seen if _is_profile(alice["id"])(x)], seen
        # Bob leaves: he no longer hears of alice.
        st, _ = server.api("POST", f"/rooms/{room['id']}/leave", token=b_tok)
        assert st in (200, 204)
        _ok_patch(server, a_tok, {"display_name": "Alice B."})
        await a2.recv_until(lambda f: _is_profile(alice["id"])(f)
                            and f["user"]["display_name"] == "Alice B.", what="second change")
        _ok_patch(server, b_tok, {"status_text": "gone"})
        seen = await bws.collect_until(_is_profile(bob["id"]), what="bob's own profile")
        assert not [x for x in seen if _is_profile(alice["id"])(x)], seen
        for ws in (a2, bws, cws):
            await ws.close()

    run(scenario(), timeout=60)


def _find(server, tok, **params):
    q = urllib.parse.urlencode(params)
    return server.api("GET", "/users" + (f"?{q}" if q else ""), token=tok)


def _named(server, name):
    """(token, user) for an account named exactly `name` (each test has its own server)."""
    register(server, name)
    js = login(server, name)
    return js["token"], js["user"]


def test_find_people_by_prefix_in_pages(server_factory):
    server = server_factory(extra=("--people-search-rate", "1000"))
    toks = {name: _named(server, name) for name in ("ann", "Anton", "bea", "cyd")}
    # Display names match too, case-insensitively and through case folding.
    _ok_patch(server, toks["bea"][0], {"display_name": "ANNABEL"})
    _ok_patch(server, toks["cyd"][0], {"display_name": "Émile"})
    tok = toks["ann"][0]
    st, js = _find(server, tok, q="aN")
    assert st == 200
    assert [u["username"] for u in js["users"]] == ["ann", "Anton", "bea"]
    assert js["next_cursor"] is None
    st, js = _find(server, tok, q="éMILE")
    assert [u["username"] for u in js["users"]] == ["cyd"]
    assert js["users"][0]["display_name"] == "Émile"
    assert _find(server, tok, q="%")[1]["users"] == []
    # Paging: every account exactly once, in username order.
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        st, js = _find(server, tok, **params)
        assert st == 200 and len(js["users"]) <= 3, js
        seen += [u["username"] for u in js["users"]]
        cursor = js["next_cursor"]
        if cursor is None:
            break
    assert seen == ["ann", "Anton", "bea", "cyd"]
    for bad in ({"q": "a\x01"}, {"q": "a" * 65}, {"cursor": "\u202e"}, {"cursor": "ANN"},
                {"limit": "x"}):
        st, js = _find(server, tok, **bad)
        assert st == 400 and js["error"]["code"] in ("invalid_profile", "bad_request"), (bad, js)


def test_disabled_accounts_are_not_listed(server):
    tok, _ = register_and_login(server, "finder")
    _, gone = register_and_login(server, "zzgone")
    assert [u["username"] for u in _find(server, tok, q="zzgone")[1]["users"]] == [gone["username"]]
    admin_cli(server, "disable", gone["username"])
    assert _find(server, tok, q="zzgone")[1]["users"] == []


def test_people_search_is_rate_limited(server_factory):
    server = server_factory(extra=("--people-search-rate", "2"))
    tok, _ = register_and_login(server, "hasty")
    # Six at once cross at most one window boundary: one window holds more than two.
    answers = [server.request("GET", "/users?q=h", token=tok) for _ in range(6)]
    limited = [r for r in answers if r.status == 429]
    assert limited, answers
    assert limited[0].error_code == "rate_limited" and int(limited[0].headers["Retry-After"]) >= 1


def test_shared_mode_hides_people_without_a_room_in_common(server_factory):
    server = server_factory(extra=("--people-search", "shared"))
    a_tok, alice = register_and_login(server, "sa")
    _, bob = register_and_login(server, "sb")
    _, carol = register_and_login(server, "sc")
    room = create_room(server, a_tok, "pair", public=False)
    add_member(server, a_tok, room["id"], bob["username"])
    st, js = _find(server, a_tok, q="s")
    names = {u["username"] for u in js["users"]}
    assert bob["username"] in names and alice["username"] in names
    assert carol["username"] not in names
    assert server.api("GET", f"/users/{bob['username']}", token=a_tok)[0] == 200
    hidden = server.request("GET", f"/users/{carol['username']}", token=a_tok)
    missing = server.request("GET", f"/users/{unique('nobody')}", token=a_tok)
    assert hidden.status == missing.status == 404
    assert hidden.body == missing.body
    # A direct room with someone unseen answers as with nobody.
    hidden = server.request("POST", "/direct", {"username": carol["username"]}, token=a_tok)
    missing = server.request("POST", "/direct", {"username": unique("nobody")}, token=a_tok)
    assert hidden.status == missing.status == 404 and hidden.body == missing.body
    assert server.api("POST", "/direct", {"username": bob["username"]}, token=a_tok)[0] == 200


def test_flag_must_be_all_or_shared(tmp_path):
    r = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                        str(tmp_path / "d"), "--people-search", "some"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "--people-search must be all or shared" in r.stderr, r
