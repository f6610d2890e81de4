"""Sign-up policy and invites: --registration open|invite|closed, admin-made invite links
(expiry, uses, a room to join, list and revoke), POST /register with an invite, and
`parley admin create-invite` (docs/api.md "Sign-up and invites"; docs/operations.md
"Sign-up"). Both backends."""
from __future__ import annotations

import re
import threading
import time

from parley_client import (PASSWORD, assert_error, create_room, login, my_rooms, register,
                           unique)
from people import admin_cli, create_user

INVITE_RE = re.compile(r"/#invite=([A-Za-z0-9_-]+)")


def _admin(server) -> str:
    name = unique("boss")
    create_user(server, name, "--admin")
    return login(server, name)["token"]


def _invite(server, token: str, **body) -> dict:
    st, js = server.api("POST", "/admin/invites", body, token=token)
    assert st == 201, (st, js)
    assert len(js["code"]) == 43 and js["invite"]["state"] == "active", js
    return js


def _signup(server, code: str, name: str | None = None):
    return server.api("POST", "/register", {"username": name or unique("new"),
                                            "password": PASSWORD, "invite": code})


def _users(server) -> list[str]:
    _, out, _ = admin_cli(server, "list-users")
    return [line.split("\t")[1] for line in out.splitlines()]


def test_a_new_install_needs_an_invite_and_says_how_to_make_the_first_admin(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    assert_error(server_invite_less(s), 403, "registration_closed")
    assert _users(s) == []
    # The hint is printed once the store answers, just after the listening line.
    deadline = time.monotonic() + 15
    while "parley admin create-user" not in s.stderr_tail(4000) and time.monotonic() < deadline:
        time.sleep(0.05)
    m = re.search(r"parley admin (create-user \S+ --admin) (--data-dir|--db) ", s.stderr_tail(4000))
    assert m, s.stderr_tail(4000)
    # The command it prints works as printed (NAME being the operator's choice).
    name = unique("first")
    _, out, _ = admin_cli(s, *m.group(1).replace("NAME", name).split())
    assert f"created {name} " in out and "a server admin" in out
    assert _users(s) == [name]


def server_invite_less(s):
    return s.api("POST", "/register", {"username": unique("walkin"), "password": PASSWORD})


def test_the_default_mode_is_invite(tmp_path):
    import subprocess
    from parley_client import parley_bin
    out = subprocess.run([str(parley_bin()), "serve", "--help"], capture_output=True, text=True,
                         timeout=20).stdout
    assert re.search(r"--registration arg \(=invite\)", out), out


def test_closed_refuses_even_a_valid_invite_and_bad_modes_are_refused(server_factory, tmp_path):
    s = server_factory(extra=("--registration", "closed"))
    code = _invite(s, _admin(s))["code"]
    assert_error(_signup(s, code), 403, "registration_closed")
    assert_error(server_invite_less(s), 403, "registration_closed")
    import subprocess
    from parley_client import parley_bin
    r = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                        str(tmp_path / "d"), "--registration", "sometimes"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "--registration must be open, invite or closed" in r.stderr, r


def test_an_invite_creates_accounts_up_to_its_uses_then_one_error(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    code = _invite(s, admin, max_uses=2)["code"]
    a, b = unique("a"), unique("b")
    st, js = _signup(s, code, a)
    assert st == 201 and js["user"]["username"] == a and "room" not in js, js
    assert _signup(s, code, b)[0] == 201
    before = _users(s)
    third = _signup(s, code)
    assert_error(third, 400, "invalid_invite")
    assert _users(s) == before  # nothing created
    login(s, a)
    st, js = s.api("GET", "/admin/invites", token=admin)
    assert st == 200 and js["invites"][0]["uses"] == 2 and js["invites"][0]["state"] == "used_up"


def test_unknown_revoked_and_malformed_invites_get_the_same_answer(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    made = _invite(s, admin)
    assert s.api("DELETE", f"/admin/invites/{made['invite']['id']}", token=admin)[0] == 204
    answers = set()
    for code in (made["code"], "x" * 43, "", "y" * 500):
        st, js = _signup(s, code)
        answers.add((st, js["error"]["code"], js["error"]["message"]))
    assert len(answers) == 1 and answers.pop()[:2] == (400, "invalid_invite")
    assert_error(s.api("DELETE", f"/admin/invites/{made['invite']['id']}", token=admin), 404,
                 "not_found")
    st, js = s.api("GET", "/admin/invites", token=admin)
    assert js["invites"][0]["state"] == "revoked"


def test_a_taken_name_spends_no_use(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    taken = unique("taken")
    create_user(s, taken)
    code = _invite(s, admin)["code"]
    assert_error(_signup(s, code, taken.upper()), 409, "conflict")
    assert _signup(s, code)[0] == 201


def test_an_invite_with_a_room_joins_the_new_account(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    room = create_room(s, admin, "welcome", public=False)
    code = _invite(s, admin, room=room["id"], max_uses=3)["code"]
    name = unique("joiner")
    st, js = _signup(s, code, name)
    assert st == 201 and js["room"] == room["id"], js
    rooms = my_rooms(s, login(s, name)["token"])
    assert room["id"] in rooms, rooms


def test_an_invite_for_a_room_the_admin_cannot_add_to_is_no_room(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    other = register_via_cli_and_login(s)
    private = create_room(s, other, "secret", public=False)
    for room in (private["id"], 999999):
        assert_error(s.api("POST", "/admin/invites", {"room": room}, token=admin), 404,
                     "not_found")
    st, js = s.api("GET", "/admin/invites", token=admin)
    assert js["invites"] == []


def register_via_cli_and_login(s) -> str:
    name = unique("member")
    create_user(s, name)
    return login(s, name)["token"]


def test_invite_routes_are_for_admins_and_check_their_input(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    member = register_via_cli_and_login(s)
    for method, path, body in (("POST", "/admin/invites", {}), ("GET", "/admin/invites", None),
                               ("DELETE", "/admin/invites/1", None)):
        assert_error(s.api(method, path, body, token=member), 403, "forbidden")
    for bad in ({"max_uses": 0}, {"max_uses": 10001}, {"expires_in_s": 59},
                {"expires_in_s": 91 * 86400}, {"max_uses": "2"}, {"room": -1}):
        assert_error(s.api("POST", "/admin/invites", bad, token=admin), 400, "bad_request")
    assert s.api("GET", "/admin/invites", token=admin)[1]["invites"] == []


def test_the_last_use_goes_to_one_of_two_racing_signups(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    code = _invite(s, _admin(s))["code"]
    results: list[int] = []
    names = [unique("racer") for _ in range(6)]
    threads = [threading.Thread(target=lambda n=n: results.append(_signup(s, code, n)[0]))
               for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [201] + [400] * 5, results
    assert len(set(_users(s)) & set(names)) == 1


def test_parley_admin_create_invite_prints_a_link_that_works(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    _, out, _ = admin_cli(s, "create-invite", "--uses", "1", "--days", "2", "--url",
                          "https://chat.example")
    m = INVITE_RE.search(out)
    assert m and out.count("https://chat.example/#invite=") == 1, out
    assert _signup(s, m.group(1))[0] == 201
    assert_error(_signup(s, m.group(1)), 400, "invalid_invite")
    for bad in (["--uses", "0"], ["--days", "91"], ["--room", "424242"]):
        rc, _, err = admin_cli(s, "create-invite", *bad, check=False)
        assert rc == 2 and err.startswith("parley admin"), (bad, rc, err)


def test_invites_and_signups_are_audited(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    admin = _admin(s)
    code = _invite(s, admin)["code"]
    name = unique("audited")
    assert _signup(s, code, name)[0] == 201
    assert_error(_signup(s, code), 400, "invalid_invite")
    st, js = s.api("GET", "/admin/audit", token=admin)
    kinds = [e["kind"] for e in js["events"]]
    assert "invite_created" in kinds and "account_created" in kinds and "invite_refused" in kinds


def test_open_mode_takes_an_invite_too(server):
    admin = _admin(server)
    room = create_room(server, admin, "lobby")
    code = _invite(server, admin, room=room["id"])["code"]
    register(server, unique("free"))
    st, js = _signup(server, code)
    assert st == 201 and js["room"] == room["id"]
