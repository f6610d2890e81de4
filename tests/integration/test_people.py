"""Accounts managed by admins: `parley admin`, server admins as a role in the Store, password
change, admin-issued reset links and disabled accounts (docs/api.md "People";
docs/operations.md "parley admin"). Both backends."""
from __future__ import annotations

import subprocess

from parley_client import (PASSWORD, assert_error, connect_ready, login, parley_bin, register,
                           run, unique)
from people import admin_cli, create_user, reset_token, try_login

NEW_PASSWORD = "a new password, long enough"


def _run(*args: str):
    p = subprocess.run([str(parley_bin()), *args], capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_every_subcommand_has_its_own_usage():
    rc, out, _ = _run("admin", "--help")
    assert rc == 0 and "usage: parley admin" in out
    for cmd in ("create-user", "reset-password", "disable", "enable", "grant-admin",
                "revoke-admin", "list-users"):
        rc, out, _ = _run("admin", cmd, "--help")
        assert rc == 0 and out.startswith(f"usage: parley admin {cmd}"), (cmd, out)
        assert "serve options (flags" not in out
    rc, out, _ = _run("migrate", "--help")
    assert rc == 0 and out.startswith("usage: parley migrate") and "--listen" not in out, out
    rc, out, _ = _run("keys", "rewrap", "--help")
    assert rc == 0 and out.startswith("usage: parley keys rewrap"), out


def test_bad_admin_usage_exits_2_and_changes_nothing(server):
    for args in (["nope"], ["create-user"], ["create-user", "--admin"], ["list-users", "--limit", "0"],
                 ["create-user", "x"], ["disable", "u", "--no-such-flag"]):
        rc, _, err = admin_cli(server, *args, check=False)
        assert rc == 2 and err.startswith("parley admin"), (args, rc, err)
    rc, out, _ = admin_cli(server, "list-users")
    assert out == ""
    rc, _, err = admin_cli(server, "disable", unique("ghost"), check=False)
    assert rc == 1 and "no such user" in err


def test_the_first_account_made_by_the_cli_is_a_server_admin(server):
    first, second = unique("first"), unique("second")
    assert "a server admin" in create_user(server, first)
    assert "a server admin" not in create_user(server, second)
    _, out, _ = admin_cli(server, "list-users")
    rows = [line.split("\t") for line in out.splitlines()]
    assert [(r[1], r[2]) for r in rows] == [(first, "admin"), (second, "member")], out
    assert server.api("GET", "/admin/audit", token=login(server, first)["token"])[0] == 200
    assert_error(server.api("GET", "/admin/audit", token=login(server, second)["token"]), 403,
                 "forbidden")


def test_open_registration_never_makes_the_first_account_admin(server):
    name = unique("early")
    register(server, name)
    assert_error(server.api("GET", "/admin/audit", token=login(server, name)["token"]), 403,
                 "forbidden")


def test_grant_and_revoke_admin_take_effect_on_a_live_session(server):
    name = unique("rising")
    register(server, name)
    token = login(server, name)["token"]
    assert server.api("GET", "/admin/audit", token=token)[0] == 403
    admin_cli(server, "grant-admin", name)
    st, js = server.api("GET", "/admin/audit", token=token)
    assert st == 200
    assert any(e["kind"] == "admin_granted" and e["device"] == "parley admin" for e in js["events"])
    admin_cli(server, "revoke-admin", name)
    assert server.api("GET", "/admin/audit", token=token)[0] == 403


def test_a_disabled_account_is_told_so_only_with_the_right_password(server):
    name = unique("sleepy")
    create_user(server, name)
    admin_cli(server, "disable", name)
    assert_error(try_login(server, name), 401, "account_disabled")
    st, js = try_login(server, name)
    assert js["error"]["message"] == "this account is disabled"
    wrong = try_login(server, name, "not the password")
    unknown = try_login(server, unique("nobody"), "not the password")
    assert wrong == unknown and wrong[0] == 401 and wrong[1]["error"]["code"] == "bad_credentials"
    _, out, _ = admin_cli(server, "list-users")
    assert f"{name}\tadmin,disabled" in out  # the first account: an admin, disabled all the same
    admin_cli(server, "enable", name)
    assert try_login(server, name)[0] == 200


def test_created_without_a_password_the_account_gets_a_one_time_link(server):
    name = unique("linked")
    _, out, _ = admin_cli(server, "create-user", name, "--url", "https://chat.example/")
    assert "https://chat.example/#reset=" in out
    token = reset_token(out)
    assert server.request("POST", "/password-reset",
                          {"token": token, "password": NEW_PASSWORD}).status == 204
    assert try_login(server, name, NEW_PASSWORD)[0] == 200
    used = server.request("POST", "/password-reset", {"token": token, "password": PASSWORD})
    bogus = server.request("POST", "/password-reset", {"token": "x" * 43, "password": PASSWORD})
    assert_error(used, 400, "invalid_reset_link")
    assert used.body == bogus.body  # a used link and one that never was: the same answer
    assert try_login(server, name, NEW_PASSWORD)[0] == 200


def test_a_reset_ends_every_session_and_a_newer_link_replaces_the_older(server):
    name = unique("forgetful")
    create_user(server, name)
    token = login(server, name)["token"]

    async def body():
        ws = await connect_ready(server, token, name="old")
        older = reset_token(admin_cli(server, "reset-password", name)[1])
        newer = reset_token(admin_cli(server, "reset-password", name)[1])
        assert_error(server.api("POST", "/password-reset", {"token": older, "password": NEW_PASSWORD}),
                     400, "invalid_reset_link")
        assert server.request("POST", "/password-reset",
                              {"token": newer, "password": NEW_PASSWORD}).status == 204
        assert await ws.wait_closed(timeout=2) == 4001
    run(body(), timeout=30)
    assert server.api("GET", "/me", token=token)[0] == 401
    assert_error(try_login(server, name), 401, "bad_credentials")
    st, js = server.api("GET", "/audit", token=login(server, name, NEW_PASSWORD)["token"])
    kinds = [e["kind"] for e in js["events"]]
    assert "password_reset" in kinds and "password_reset_link" in kinds, kinds


def test_password_change_ends_the_other_sessions_and_keeps_this_one(server):
    name = unique("careful")
    register(server, name)
    mine = login(server, name, device="laptop")["token"]
    other = login(server, name, device="phone")["token"]

    async def body():
        ws = await connect_ready(server, other, name="phone")
        st, js = server.api("POST", "/me/password",
                            {"current_password": "wrong password", "new_password": NEW_PASSWORD},
                            token=mine)
        assert_error((st, js), 403, "wrong_password")
        assert_error(server.api("POST", "/me/password",
                                {"current_password": PASSWORD, "new_password": "short"}, token=mine),
                     400, "weak_password")
        assert server.api("GET", "/me", token=other)[0] == 200  # nothing changed yet
        st, _ = server.api("POST", "/me/password",
                           {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, token=mine)
        assert st == 204
        assert await ws.wait_closed(timeout=2) == 4001
    run(body(), timeout=30)
    assert server.api("GET", "/me", token=other)[0] == 401
    assert server.api("GET", "/me", token=mine)[0] == 200
    assert_error(try_login(server, name), 401, "bad_credentials")
    assert try_login(server, name, NEW_PASSWORD)[0] == 200
    st, js = server.api("GET", "/audit", token=mine)
    kinds = [e["kind"] for e in js["events"]]
    assert "password_changed" in kinds and "password_change_failed" in kinds, kinds


def test_bad_password_change_and_reset_bodies_are_refused(server):
    name = unique("sloppy")
    register(server, name)
    token = login(server, name)["token"]
    for body in ({}, {"current_password": PASSWORD}, {"new_password": NEW_PASSWORD},
                 {"current_password": 1, "new_password": NEW_PASSWORD}):
        assert_error(server.api("POST", "/me/password", body, token=token), 400, "bad_request")
    for body in ({}, {"token": "x"}, {"password": NEW_PASSWORD}, {"token": 5, "password": "y" * 9}):
        assert_error(server.api("POST", "/password-reset", body), 400, "bad_request")
    assert_error(server.api("POST", "/password-reset", {"token": "", "password": NEW_PASSWORD}),
                 400, "invalid_reset_link")
    assert_error(server.api("POST", "/me/password",
                            {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
                 401, "unauthorized")
    assert try_login(server, name)[0] == 200


def test_an_admin_issues_a_reset_link_over_the_api(server_factory):
    boss = unique("boss")
    server = server_factory(extra=["--admin", boss])
    register(server, boss)
    admin = login(server, boss)["token"]
    name = unique("locked_out")
    register(server, name)
    st, js = server.api("POST", f"/admin/users/{name}/reset-link", token=admin)
    assert st == 201 and len(js["token"]) == 43 and js["expires_at"] > 0, js
    assert server.request("POST", "/password-reset",
                          {"token": js["token"], "password": NEW_PASSWORD}).status == 204
    assert try_login(server, name, NEW_PASSWORD)[0] == 200
    assert_error(server.api("POST", f"/admin/users/{unique('ghost')}/reset-link", token=admin),
                 404, "not_found")


def test_the_first_admin_can_be_made_before_the_first_start(server_factory, tmp_path):
    import backends
    if backends.scaled():
        return  # the scaled database is made with the server; covered by the test above
    boss = unique("boss")
    p = subprocess.run([str(parley_bin()), "admin", "create-user", boss, "--password-stdin",
                        "--data-dir", str(tmp_path / "data0")],
                       input=(PASSWORD + "\n").encode(), capture_output=True, timeout=60)
    assert p.returncode == 0 and b"a server admin" in p.stdout, p
    assert (tmp_path / "data0").stat().st_mode & 0o777 == 0o700
    server = server_factory()  # on tmp_path/data0
    assert server.api("GET", "/admin/audit", token=login(server, boss)["token"])[0] == 200
