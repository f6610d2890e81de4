"""The admin console's routes (docs/api.md "The admin console"): accounts listed and made,
roles granted and removed (never from the last admin), sessions seen and ended (the socket
closes with 4001), rooms listed (names and counts, never content) and handed to a new owner;
every change audited. The authorization matrix: a member, a room admin, a server admin by
the role and by --admin, a disabled account. Both backends (PARLEY_BACKEND=scaled)."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from parley_client import (PASSWORD, assert_error, connect_ready, create_room, login,
                           post_message, register, register_and_login, run, unique)
from people import admin_cli, create_user, try_login

NEW_PASSWORD = "a new password, long enough"


@pytest.fixture
def world(server_factory):
    """A server with a role admin (the first account the CLI makes) and a --admin one."""
    chief, named = unique("chief"), unique("named")
    server = server_factory(extra=["--admin", named])
    create_user(server, chief)  # the first account: a server admin by the role
    register(server, named)
    return server, login(server, chief)["token"], login(server, named)["token"], chief


def audit_of(server, token, name, kind):
    st, js = server.api("GET", "/admin/audit?" + urlencode({"user": name, "kind": kind}),
                        token=token)
    assert st == 200, js
    return js["events"]


def users_page(server, token, **params):
    st, js = server.api("GET", "/admin/users?" + urlencode(params), token=token)
    assert st == 200, js
    return js


# Every route, with a request that would change or reveal something if it were allowed.
def every_route(target: str, room: int):
    return [("GET", "/admin/users", None), ("GET", "/admin/users?q=" + target, None),
            ("POST", "/admin/users", {"username": unique("made"), "password": PASSWORD}),
            ("POST", f"/admin/users/{target}/admin", None),
            ("DELETE", f"/admin/users/{target}/admin", None),
            ("GET", f"/admin/users/{target}/sessions", None),
            ("DELETE", f"/admin/users/{target}/sessions/1", None),
            ("GET", "/admin/rooms", None),
            ("POST", f"/admin/rooms/{room}/owner", {"username": target})]


def test_a_member_and_a_room_admin_are_refused_alike_whether_the_target_exists(world):
    server, admin, _, chief = world
    owner, _ = register_and_login(server, "owner")
    room = create_room(server, owner, "guarded")["id"]
    room_admin_name = unique("roomadmin")
    register(server, room_admin_name)
    room_admin = login(server, room_admin_name)["token"]
    uid = server.api("GET", f"/users/{room_admin_name}", token=owner)[1]["user"]["id"]
    server.api("POST", f"/rooms/{room}/members", {"username": room_admin_name}, token=owner)
    assert server.api("PATCH", f"/rooms/{room}/members/{uid}", {"role": "admin"},
                      token=owner)[0] == 200
    bodies = set()
    for token in (owner, room_admin):
        for method, path, body in every_route(chief, room) + every_route(unique("ghost"), 999999):
            resp = server.request(method, path, body, token=token)
            assert_error(resp, 403, "forbidden")
            bodies.add(resp.body)
    assert len(bodies) == 1  # byte for byte the same, whatever the request named
    # Nothing changed: the chief is still the only admin, no account was made.
    js = users_page(server, admin)
    assert [u["username"] for u in js["users"] if u["admin"]] == [chief]
    assert not any(u["username"].startswith("made") for u in js["users"])


def test_an_admin_by_role_and_one_by_flag_may_use_every_route(world):
    server, admin, named, chief = world
    for token in (admin, named):
        assert server.api("GET", "/admin/users", token=token)[0] == 200
        assert server.api("GET", "/admin/rooms", token=token)[0] == 200
        assert server.api("GET", f"/admin/users/{chief}/sessions", token=token)[0] == 200


def test_a_disabled_admin_loses_its_session_and_the_console(world):
    server, admin, _, chief = world
    other = unique("deputy")
    create_user(server, other)
    assert server.api("POST", f"/admin/users/{other}/admin", token=admin)[0] == 204
    deputy = login(server, other)["token"]
    assert server.api("GET", "/admin/users", token=deputy)[0] == 200
    assert server.api("POST", f"/admin/users/{other}/disable", token=admin)[0] == 204
    assert_error(server.api("GET", "/admin/users", token=deputy), 401, "unauthorized")
    assert_error(try_login(server, other), 401, "account_disabled")


def test_list_and_search_users_with_paging(world):
    server, admin, _, chief = world
    prefix = unique("pg")
    names = [f"{prefix}{i}" for i in range(5)]
    for n in names:
        register(server, n)
    token = login(server, names[0])["token"]
    run(_touch(server, token))
    js = users_page(server, admin, q=prefix.upper(), limit=2)
    seen = [u["username"] for u in js["users"]]
    while js["next_cursor"]:
        js = users_page(server, admin, q=prefix, limit=2, cursor=js["next_cursor"])
        seen += [u["username"] for u in js["users"]]
    assert seen == names
    first = users_page(server, admin, q=names[0])["users"]
    assert len(first) == 1
    u = first[0]
    assert set(u) == {"id", "username", "admin", "disabled", "created_at", "two_factor",
                      "last_seen_at"}
    assert not u["admin"] and not u["disabled"] and not u["two_factor"] and u["last_seen_at"] > 0
    assert users_page(server, admin, q=names[1])["users"][0]["last_seen_at"] == 0  # no session
    assert users_page(server, admin, q=chief)["users"][0]["admin"] is True
    assert users_page(server, admin, q="_")["users"] == []  # a wildcard is a character here
    assert users_page(server, admin, q="%")["users"] == []
    assert users_page(server, admin, q=unique("nobody"))["users"] == []


async def _touch(server, token):
    ws = await connect_ready(server, token)
    await ws.close()


def test_bad_list_queries_answer_400(world):
    server, admin, _, _ = world
    for path in ("/admin/users?limit=-1", "/admin/users?cursor=x", "/admin/users?q=" + "a" * 65,
                 "/admin/rooms?limit=abc", "/admin/rooms?cursor=-3", "/admin/rooms?q=" + "b" * 65):
        assert_error(server.api("GET", path, token=admin), 400, "bad_request")


def test_create_with_a_password_or_a_link(world):
    server, admin, _, _ = world
    with_pw, with_link = unique("madepw"), unique("madelink")
    st, js = server.api("POST", "/admin/users", {"username": with_pw, "password": PASSWORD},
                        token=admin)
    assert st == 201 and js["user"]["username"] == with_pw and "reset_token" not in js
    assert not js["user"]["admin"]
    assert try_login(server, with_pw)[0] == 200
    st, js = server.api("POST", "/admin/users", {"username": with_link, "admin": True},
                        token=admin)
    assert st == 201 and js["user"]["admin"] is True and js["reset_expires_at"] > 0
    assert server.request("POST", "/password-reset",
                          {"token": js["reset_token"], "password": NEW_PASSWORD}).status == 204
    assert try_login(server, with_link, NEW_PASSWORD)[0] == 200
    created = audit_of(server, admin, with_link, "account_created")
    assert len(created) == 1 and "by server admin" in created[0]["detail"]
    assert audit_of(server, admin, with_link, "admin_granted")
    assert audit_of(server, admin, with_link, "password_reset_link")


def test_bad_creations_answer_clearly_and_make_nothing(world):
    server, admin, _, chief = world
    before = users_page(server, admin, limit=200)["users"]
    cases = [({}, 400, "bad_request"), ({"username": 5}, 400, "bad_request"),
             ({"username": "x"}, 400, "invalid_username"),
             ({"username": "../etc"}, 400, "invalid_username"),
             ({"username": unique("weak"), "password": "short"}, 400, "weak_password"),
             ({"username": unique("typed"), "password": 12345678}, 400, "bad_request"),
             ({"username": unique("typed"), "admin": "yes"}, 400, "bad_request"),
             ({"username": chief.upper(), "password": PASSWORD}, 409, "conflict")]
    for body, status, code in cases:
        assert_error(server.api("POST", "/admin/users", body, token=admin), status, code)
    assert users_page(server, admin, limit=200)["users"] == before


def test_grant_and_revoke_admin_and_the_last_admin_rule(world):
    server, admin, named, chief = world
    other = unique("second")
    register(server, other)
    assert_error(server.api("DELETE", f"/admin/users/{chief}/admin", token=admin), 409, "conflict")
    # The --admin account is an admin by name, not by the role: the chief is still the last.
    assert_error(server.api("DELETE", f"/admin/users/{chief}/admin", token=named), 409, "conflict")
    assert server.api("POST", f"/admin/users/{other}/admin", token=admin)[0] == 204
    assert server.api("POST", f"/admin/users/{other}/admin", token=admin)[0] == 204  # no change
    assert len(audit_of(server, admin, other, "admin_granted")) == 1
    assert server.api("DELETE", f"/admin/users/{chief}/admin", token=admin)[0] == 204
    assert_error(server.api("GET", "/admin/users", token=admin), 403, "forbidden")
    second = login(server, other)["token"]
    assert_error(server.api("DELETE", f"/admin/users/{other}/admin", token=second), 409,
                 "conflict")
    revoked = audit_of(server, second, chief, "admin_revoked")
    assert len(revoked) == 1 and chief in revoked[0]["detail"]
    for method in ("POST", "DELETE"):
        assert_error(server.api(method, f"/admin/users/{unique('ghost')}/admin", token=second),
                     404, "not_found")


def test_a_disabled_admin_does_not_count_as_the_one_that_remains(world):
    server, admin, _, chief = world
    other = unique("dormant")
    register(server, other)
    assert server.api("POST", f"/admin/users/{other}/admin", token=admin)[0] == 204
    assert server.api("POST", f"/admin/users/{other}/disable", token=admin)[0] == 204
    assert_error(server.api("DELETE", f"/admin/users/{chief}/admin", token=admin), 409, "conflict")


def test_sessions_listed_and_one_ended_closes_its_socket(world):
    server, admin, _, _ = world
    name = unique("watched")
    register(server, name)
    keep = login(server, name, device="laptop")["token"]
    end = login(server, name, device="phone")
    st, js = server.api("GET", f"/admin/users/{name}/sessions", token=admin)
    assert st == 200 and [s["device"] for s in js["sessions"]] == ["phone", "laptop"]
    assert all(not s["current"] for s in js["sessions"])

    async def body():
        doomed = await connect_ready(server, end["token"], name="phone")
        kept = await connect_ready(server, keep, name="laptop")
        assert server.api("DELETE", f"/admin/users/{name}/sessions/{end['session']['id']}",
                          token=admin)[0] == 204
        assert await doomed.wait_closed(timeout=2) == 4001
        assert kept.close_code is None
        await kept.close()
    run(body(), timeout=30)
    assert_error(server.api("GET", "/me", token=end["token"]), 401, "unauthorized")
    assert server.api("GET", "/me", token=keep)[0] == 200
    ended = audit_of(server, admin, name, "session_ended")
    assert len(ended) == 1 and "phone" in ended[0]["detail"]
    # Someone else's session, an ended one, one that never was: not found, nothing ends.
    other = unique("bystander")
    register(server, other)
    theirs = login(server, other)["session"]["id"]
    for path in (f"/admin/users/{name}/sessions/{theirs}",
                 f"/admin/users/{name}/sessions/{end['session']['id']}",
                 f"/admin/users/{name}/sessions/99999999",
                 f"/admin/users/{unique('ghost')}/sessions/1"):
        assert_error(server.api("DELETE", path, token=admin), 404, "not_found")
    assert_error(server.api("DELETE", f"/admin/users/{name}/sessions/abc", token=admin), 404,
                 "not_found")
    assert_error(server.api("GET", f"/admin/users/{unique('ghost')}/sessions", token=admin), 404,
                 "not_found")
    assert len(server.api("GET", f"/admin/users/{other}/sessions", token=admin)[1]["sessions"]) == 1


def test_rooms_listed_with_names_and_counts_never_content(world):
    server, admin, named, _ = world
    owner_name = unique("host")
    register(server, owner_name)
    owner = login(server, owner_name)["token"]
    prefix = unique("Plaza")
    public = create_room(server, owner, prefix + " public")["id"]
    private = create_room(server, owner, prefix + " private", public=False)["id"]
    guest = unique("guest")
    register(server, guest)
    server.api("POST", f"/rooms/{private}/members", {"username": guest}, token=owner)
    post_message(server, owner, private, "the secret word is swordfish")
    st, js = server.api("GET", "/admin/rooms?" + urlencode({"q": prefix.lower()}), token=admin)
    assert st == 200 and js["next_cursor"] is None
    rooms = {r["id"]: r for r in js["rooms"]}
    assert list(rooms) == [public, private]
    r = rooms[private]
    assert set(r) == {"id", "kind", "name", "public", "member_count", "owner", "created_at",
                      "last_activity_at"}
    assert (r["kind"], r["public"], r["member_count"]) == ("group", False, 2)
    assert r["owner"]["username"] == owner_name and r["last_activity_at"] >= r["created_at"]
    assert rooms[public]["public"] is True and rooms[public]["member_count"] == 1
    assert rooms[public]["last_activity_at"] == 0
    assert "swordfish" not in str(js)
    page = server.api("GET", "/admin/rooms?" + urlencode({"q": prefix, "limit": 1}), token=admin)[1]
    assert [x["id"] for x in page["rooms"]] == [public] and page["next_cursor"] == str(public)
    rest = server.api("GET", "/admin/rooms?" + urlencode(
        {"q": prefix, "limit": 1, "cursor": page["next_cursor"]}), token=admin)[1]
    assert [x["id"] for x in rest["rooms"]] == [private]
    # A room a server admin deleted is not listed (the admin named by --admin, whose role the
    # scaled backend's session cache does not carry: the route reads it from the Store).
    assert server.api("DELETE", f"/rooms/{public}", token=named)[0] == 204
    js = server.api("GET", "/admin/rooms?" + urlencode({"q": prefix}), token=admin)[1]
    assert [x["id"] for x in js["rooms"]] == [private]


def test_change_owner_of_a_room(world):
    server, admin, named, _ = world
    owner_name, heir, outsider = unique("founder"), unique("heir"), unique("outsider")
    for n in (owner_name, heir, outsider):
        register(server, n)
    owner = login(server, owner_name)["token"]
    room = create_room(server, owner, unique("Hall"), public=False)["id"]
    server.api("POST", f"/rooms/{room}/members", {"username": heir}, token=owner)
    st, js = server.api("POST", f"/admin/rooms/{room}/owner", {"username": heir}, token=admin)
    assert st == 200 and js["member"]["role"] == "owner" and js["previous_owners"] == [owner_name]
    roles = {m["username"]: m["role"] for m in
             server.api("GET", f"/rooms/{room}", token=owner)[1]["members"]}
    assert roles == {owner_name: "admin", heir: "owner"}
    changed = audit_of(server, admin, heir, "room_owner_changed")
    assert len(changed) == 1 and owner_name in changed[0]["detail"]
    # Someone not yet a member becomes one, as the owner (by the --admin account this time).
    st, js = server.api("POST", f"/admin/rooms/{room}/owner", {"username": outsider}, token=named)
    assert st == 200 and js["previous_owners"] == [heir]
    roles = {m["username"]: m["role"] for m in
             server.api("GET", f"/rooms/{room}", token=owner)[1]["members"]}
    assert roles == {owner_name: "admin", heir: "admin", outsider: "owner"}
    # Handing it to its owner changes nothing.
    st, js = server.api("POST", f"/admin/rooms/{room}/owner", {"username": outsider}, token=admin)
    assert st == 200 and js["previous_owners"] == []


def test_bad_owner_changes_answer_clearly_and_change_nothing(world):
    server, admin, _, _ = world
    owner_name, sleeper, peer = unique("keeper"), unique("sleeper"), unique("peer")
    for n in (owner_name, sleeper, peer):
        register(server, n)
    owner = login(server, owner_name)["token"]
    room = create_room(server, owner, unique("Vault"))["id"]
    direct = server.api("POST", "/direct", {"username": peer}, token=owner)[1]["room"]["id"]
    assert server.api("POST", f"/admin/users/{sleeper}/disable", token=admin)[0] == 204
    cases = [(room, {}, 400, "bad_request"), (room, {"username": 7}, 400, "bad_request"),
             (room, {"username": unique("ghost")}, 404, "not_found"),
             (999999, {"username": peer}, 404, "not_found"),
             (direct, {"username": peer}, 409, "conflict"),
             (room, {"username": sleeper}, 409, "conflict")]
    for rid, body, status, code in cases:
        assert_error(server.api("POST", f"/admin/rooms/{rid}/owner", body, token=admin), status,
                     code)
    assert_error(server.api("POST", "/admin/rooms/abc/owner", {"username": peer}, token=admin),
                 404, "not_found")
    members = server.api("GET", f"/rooms/{room}", token=owner)[1]["members"]
    assert [(m["username"], m["role"]) for m in members] == [(owner_name, "owner")]
    assert audit_of(server, admin, peer, "room_owner_changed") == []
