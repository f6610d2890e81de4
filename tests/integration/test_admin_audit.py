"""The admins' search of the audit trail (docs/api.md, "Audit trail"): filters, paging,
bad filters, and the same refusal for everyone else. Addresses are set with
X-Forwarded-For (--trust-forwarded-for). Runs on both backends (PARLEY_BACKEND=scaled)."""
from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from parley_client import PASSWORD, Server, assert_error, register, register_and_login, unique


@pytest.fixture
def world(server_factory):
    chief = unique("chief")
    server = server_factory(extra=["--admin", chief, "--trust-forwarded-for"])
    register(server, chief)
    st, js = server.api("POST", "/login", {"username": chief, "password": PASSWORD})
    assert st == 200
    member, _ = register_and_login(server, "member")
    alice = unique("alice")
    register(server, alice)
    for ip, password in (("10.1.2.3", PASSWORD), ("10.1.2.40", "wrong-one"),
                         ("2001:db8::5", PASSWORD)):
        st, _ = server.api("POST", "/login", {"username": alice, "password": password,
                                              "device": "phone"},
                           headers={"X-Forwarded-For": ip})
        assert st in (200, 401)
    return server, js["token"], member, alice


def search(server: Server, token: str, **params):
    return server.api("GET", "/admin/audit?" + urlencode(params), token=token)


def events(server: Server, token: str, **params) -> list[dict]:
    st, js = search(server, token, **params)
    assert st == 200, js
    return js["events"]


def test_filters(world):
    server, admin, _, alice = world
    uid = server.api("GET", f"/users/{alice}", token=admin)[1]["user"]["id"]
    mine = events(server, admin, user=alice)
    assert mine and {e["user_id"] for e in mine} == {uid}
    assert [e["ip"] for e in events(server, admin, user=alice, kind="login_failed")] == ["10.1.2.40"]
    assert {e["ip"] for e in events(server, admin, user=alice, ip="10.1.2.")} == {"10.1.2.3",
                                                                                   "10.1.2.40"}
    assert {e["ip"] for e in events(server, admin, ip="10.1.2.3")} == {"10.1.2.3"}
    assert {e["ip"] for e in events(server, admin, user=alice, ip="2001:db8:")} == {"2001:db8::5"}
    assert {e["kind"] for e in events(server, admin, user=alice, q="WRONG")} == {"login_failed"}
    assert events(server, admin, user=unique("nobody")) == []
    newest = mine[0]["at"]
    assert events(server, admin, user=alice, since=newest + 1) == []
    assert events(server, admin, user=alice, until=newest + 1, since=newest) == [
        e for e in mine if e["at"] == newest]
    assert events(server, admin, until=int(time.time() * 1000) - 3_600_000) == []


def test_paging_with_the_cursor(world):
    server, admin, _, _ = world
    everything = events(server, admin, limit=500)
    assert len(everything) >= 6
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        st, js = search(server, admin, **params)
        assert st == 200, js
        seen += js["events"]
        cursor = js["next_cursor"]
        if cursor is None:
            break
        assert len(js["events"]) == 2
    assert [e["id"] for e in seen] == [e["id"] for e in everything]


@pytest.mark.parametrize("query", [
    {"kind": "Login!"}, {"ip": "10.0.0.1;--"}, {"ip": "x" * 65}, {"q": "a" * 201},
    {"user": "u" * 65}, {"since": "-1"}, {"since": "yesterday"}, {"until": "5", "since": "5"},
    {"cursor": "0"}, {"cursor": "abc"}, {"limit": "0"}, {"limit": "-3"},
])
def test_bad_filters_are_refused(world, query):
    server, admin, _, _ = world
    assert_error(search(server, admin, **query), 400, "bad_request")


def test_others_get_the_same_refusal_whatever_the_filters(world):
    server, _, member, alice = world
    plain = server.request("GET", "/admin/audit", token=member)
    assert plain.status == 403
    for query in ({"user": alice}, {"kind": "Login!"}, {"cursor": "abc"}, {"limit": "0"}):
        r = server.request("GET", "/admin/audit?" + urlencode(query), token=member)
        assert (r.status, r.body) == (plain.status, plain.body), query
    assert server.request("GET", "/admin/audit").status == 401
