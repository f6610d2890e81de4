"""Attacks on people and administration (docs/security.md, "People"): who may use the admin
routes (a member, a room admin, a server admin by role and by --admin, a disabled account,
nobody), guessing reset links and current passwords (rate limited like logins), reset links
kept only as hashes, and answers that tell nothing about accounts a caller may not see."""
from __future__ import annotations

import http.client
import json

import pytest

import backends
from parley_client import PASSWORD, create_room, login, register, unique
from people import admin_cli, create_user, reset_token, try_login

NEW_PASSWORD = "a new password, long enough"


def post_from(server, source_ip, path, body, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20,
                                      source_address=(source_ip, 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", "/api/v1" + path, body=json.dumps(body), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data, resp.headers
    finally:
        conn.close()


@pytest.fixture
def cast(server_factory):
    """A server with one account per role, and a target account."""
    named = unique("named_admin")
    server = server_factory(extra=["--admin", named])
    role_admin = unique("role_admin")
    create_user(server, role_admin, "--admin")
    tokens = {"server_admin": login(server, role_admin)["token"]}
    register(server, named)
    tokens["named_admin"] = login(server, named)["token"]
    for role in ("member", "room_admin", "disabled"):
        name = unique(role)
        register(server, name)
        tokens[role] = login(server, name)["token"]
        if role == "room_admin":
            create_room(server, tokens[role], name="mine")
        if role == "disabled":
            assert server.api("POST", f"/admin/users/{name}/disable",
                              token=tokens["server_admin"])[0] == 204
    tokens["nobody"] = None
    target = unique("target")
    register(server, target)
    return server, tokens, target


ROUTES = [("POST", "/admin/users/{u}/reset-link", 201), ("POST", "/admin/users/{u}/disable", 204),
          ("POST", "/admin/users/{u}/enable", 204), ("GET", "/admin/audit", 200)]


@pytest.mark.parametrize("role,expect", [
    ("member", (403, "forbidden")), ("room_admin", (403, "forbidden")), ("server_admin", None),
    ("named_admin", None), ("disabled", (401, "unauthorized")), ("nobody", (401, "unauthorized"))])
def test_admin_routes_by_role(cast, role, expect):
    server, tokens, target = cast
    for method, path, ok in ROUTES:
        real = server.request(method, path.format(u=target), token=tokens[role])
        ghost = server.request(method, path.format(u=unique("ghost")), token=tokens[role])
        if expect is None:
            assert real.status == ok, (path, real)
            if "{u}" in path:
                assert ghost.status == 404 and ghost.error_code == "not_found", (path, ghost)
            continue
        assert (real.status, real.error_code) == expect, (role, path, real)
        # A refusal says nothing about whether the account exists.
        assert real.body == ghost.body, (role, path)
    assert try_login(server, target)[0] == 200  # enable ran last for the admins


@pytest.mark.parametrize("role", ["member", "room_admin", "server_admin", "named_admin"])
def test_each_role_changes_only_its_own_password(cast, role):
    server, tokens, _ = cast
    st, js = server.api("POST", "/me/password",
                        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        token=tokens[role])
    assert st == 204, js
    assert server.api("GET", "/me", token=tokens[role])[0] == 200


def test_a_disabled_account_cannot_change_its_password(cast):
    server, tokens, _ = cast
    st, js = server.api("POST", "/me/password",
                        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        token=tokens["disabled"])
    assert st == 401 and js["error"]["code"] == "unauthorized"


def test_guessing_reset_links_is_limited_and_a_real_link_survives(server_factory):
    server = server_factory(extra=["--login-per-ip", "5"])
    name = unique("victim")
    create_user(server, name)
    token = reset_token(admin_cli(server, "reset-password", name)[1])
    codes = [post_from(server, "127.0.3.1", "/password-reset",
                       {"token": "A" * 43, "password": NEW_PASSWORD})[0] for _ in range(7)]
    assert codes[:5] == [400] * 5 and codes[5:] == [429, 429], codes
    st, _, headers = post_from(server, "127.0.3.1", "/password-reset",
                               {"token": token, "password": NEW_PASSWORD})
    assert st == 429 and int(headers["Retry-After"]) >= 1
    # Refused before it was looked at: the link still works from elsewhere.
    st, _, _ = post_from(server, "127.0.4.1", "/password-reset",
                         {"token": token, "password": NEW_PASSWORD})
    assert st == 204
    assert try_login(server, name, NEW_PASSWORD)[0] == 200


def test_guessing_the_current_password_is_limited(server_factory):
    server = server_factory(extra=["--login-per-account-ip", "3"])
    name = unique("stolen")
    register(server, name)
    token = login(server, name)["token"]  # from 127.0.0.1: another (account, address) pair
    codes = [post_from(server, "127.0.5.1", "/me/password",
                       {"current_password": f"guess {i} guess", "new_password": NEW_PASSWORD},
                       token=token)[0] for i in range(4)]
    assert codes[:3] == [403, 403, 403] and codes[3] == 429, codes
    st, _, _ = post_from(server, "127.0.5.1", "/me/password",
                         {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, token=token)
    assert st == 429
    assert try_login(server, name)[0] == 200  # unchanged


def test_a_reset_link_is_kept_only_as_a_hash(server):
    if backends.scaled():
        pytest.skip("reads the SQLite files of the embedded store")
    name = unique("hashed")
    create_user(server, name)
    token = reset_token(admin_cli(server, "reset-password", name)[1])
    for f in server.data_dir.rglob("*"):
        if f.is_file():
            assert token.encode() not in f.read_bytes(), f
