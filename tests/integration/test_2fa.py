"""Two-factor sign-in with TOTP: enrolment (secret, otpauth URI, QR as SVG), confirmation and
recovery codes, the second login step, disabling, an admin's reset and --require-2fa
(docs/api.md "Two-factor sign-in"). Codes are computed by the test (two_factor.py), not
asked of the server. Both backends."""
from __future__ import annotations

import sqlite3

import backends
from parley_client import (PASSWORD, assert_error, login, register, register_and_login,
                           unique)
from people import admin_cli, create_user
from two_factor import enrol, first_step, fresh_code, now_step, second_step, totp


def test_enrol_then_sign_in_with_a_code(server):
    token, user = register_and_login(server, "totp")
    assert server.api("GET", "/me/2fa", token=token)[1] == {
        "enabled": False, "pending": False, "recovery_left": 0}
    secret, codes = enrol(server, token)
    assert len(secret) == 32 and len(set(codes)) == 10
    assert server.api("GET", "/me/2fa", token=token)[1] == {
        "enabled": True, "pending": False, "recovery_left": 10}
    js = first_step(server, user["username"])
    assert js["error"]["code"] == "otp_required"
    assert js["enrol"] is False and len(js["challenge"]) > 40 and "token" not in js
    st, js = second_step(server, js["challenge"], code=fresh_code(secret))
    assert st == 200 and js["user"]["id"] == user["id"] and js["token"], js
    assert server.api("GET", "/me", token=js["token"])[0] == 200


def test_the_same_code_is_refused_the_second_time(server):
    token, user = register_and_login(server, "replay")
    secret, _ = enrol(server, token)
    code = fresh_code(secret)
    assert second_step(server, first_step(server, user["username"])["challenge"], code=code)[0] == 200
    again = first_step(server, user["username"])["challenge"]
    assert_error(second_step(server, again, code=code), 401, "invalid_otp")
    # An older code of the window is refused too once a newer one was accepted.
    assert_error(second_step(server, again, code=totp(secret, now_step())), 401, "invalid_otp")


def test_a_challenge_gives_one_session(server):
    token, user = register_and_login(server, "once")
    secret, codes = enrol(server, token)
    challenge = first_step(server, user["username"])["challenge"]
    assert second_step(server, challenge, recovery_code=codes[0])[0] == 200
    assert_error(second_step(server, challenge, recovery_code=codes[1]), 401, "invalid_otp")


def test_recovery_codes_work_once_in_any_case_and_spacing(server):
    token, user = register_and_login(server, "recover")
    _, codes = enrol(server, token)
    typed = codes[0].upper().replace("-", " ")
    assert second_step(server, first_step(server, user["username"])["challenge"],
                       recovery_code=typed)[0] == 200
    assert_error(second_step(server, first_step(server, user["username"])["challenge"],
                             recovery_code=codes[0]), 401, "invalid_otp")
    assert server.api("GET", "/me/2fa", token=token)[1]["recovery_left"] == 9


def test_enrolment_bad_inputs(server):
    token, _ = register_and_login(server, "enrolbad")
    assert_error(server.api("POST", "/me/2fa/confirm", {"code": "123456"}, token=token), 409,
                 "conflict")
    st, js = server.api("POST", "/me/2fa", token=token)
    secret = js["secret"]
    for bad in ("000000" if totp(secret) != "000000" else "111111", "12345", "abcdef", ""):
        assert_error(server.api("POST", "/me/2fa/confirm", {"code": bad}, token=token), 401,
                     "invalid_otp")
    assert_error(server.api("POST", "/me/2fa/confirm", {}, token=token), 400, "bad_request")
    assert server.api("GET", "/me/2fa", token=token)[1]["pending"] is True
    enrol(server, token)  # a new pending secret replaces the first
    assert_error(server.api("POST", "/me/2fa", token=token), 409, "conflict")


def test_second_step_bad_inputs(server):
    token, user = register_and_login(server, "stepbad")
    secret, _ = enrol(server, token)
    challenge = first_step(server, user["username"])["challenge"]
    for body in ({"challenge": challenge}, {"challenge": challenge, "code": "1", "recovery_code": "x"},
                 {"code": totp(secret)}, {"challenge": 5, "code": "123456"}):
        assert_error(server.api("POST", "/login/2fa", body), 400, "bad_request")
    for forged in ("", "A" * 60, challenge[:-2] + ("AA" if challenge[-2:] != "AA" else "BB")):
        assert_error(second_step(server, forged, code=totp(secret)), 401, "invalid_otp")


def test_disable_needs_the_password_and_a_code(server):
    token, user = register_and_login(server, "off")
    secret, codes = enrol(server, token)
    assert_error(server.api("POST", "/me/2fa/disable", {"password": "wrong password!",
                                                        "code": codes[0]}, token=token),
                 403, "wrong_password")
    assert_error(server.api("POST", "/me/2fa/disable", {"password": PASSWORD, "code": "nope"},
                            token=token), 401, "invalid_otp")
    assert server.api("GET", "/me/2fa", token=token)[1]["enabled"] is True
    assert server.api("POST", "/me/2fa/disable", {"password": PASSWORD, "code": codes[1]},
                      token=token)[0] == 204
    assert login(server, user["username"])["token"]


def test_an_admin_resets_2fa_by_api_and_cli(server):
    admin = unique("boss")
    create_user(server, admin, "--admin")
    admin_token = login(server, admin)["token"]
    token, user = register_and_login(server, "lost")
    enrol(server, token)
    member, _ = register_and_login(server, "member")
    path = f"/admin/users/{user['username']}/reset-2fa"
    assert_error(server.api("POST", path, token=member), 403, "forbidden")
    assert server.api("POST", path, token=admin_token)[0] == 204
    assert login(server, user["username"])["token"]
    enrol(server, token)
    _, out, _ = admin_cli(server, "reset-2fa", user["username"])
    assert "two-factor sign-in is off" in out
    assert login(server, user["username"])["token"]
    st, js = server.api("GET", "/audit", token=token)
    kinds = [e["kind"] for e in js["events"]]
    assert kinds.count("2fa_reset") == 2 and kinds.count("2fa_enabled") == 2, kinds


def test_require_2fa_enrols_at_the_next_login(server_factory):
    s = server_factory(extra=("--require-2fa",))
    name = unique("forced")
    register(s, name)
    js = first_step(s, name)
    assert js["enrol"] is True
    assert_error(second_step(s, js["challenge"], code="123456"), 401, "invalid_otp")
    st, e = s.api("POST", "/login/2fa/enrol", {"challenge": js["challenge"]})
    assert st == 201 and e["qr_svg"].startswith("<svg"), e
    st, done = second_step(s, js["challenge"], code=totp(e["secret"]))
    assert st == 200 and len(done["recovery_codes"]) == 10 and done["token"], done
    assert s.api("GET", "/me/2fa", token=done["token"])[1]["enabled"] is True
    assert first_step(s, name)["enrol"] is False
    assert_error(s.api("POST", "/login/2fa/enrol", {"challenge": "x" * 80}), 401, "invalid_otp")


def test_the_secret_is_never_plaintext_in_the_database(server):
    if backends.scaled():
        return  # the SQLite file is what this reads; the Store code is the same SQL shape
    token, _ = register_and_login(server, "sealed")
    secret, codes = enrol(server, token)
    import base64
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    db = sqlite3.connect(f"file:{server.data_dir / 'parley.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT sealed_secret, recovery FROM user_totp").fetchall()
    finally:
        db.close()
    assert len(rows) == 1
    blob = b"".join(bytes(v) for v in rows[0])
    assert raw not in blob and secret.encode() not in blob
    for c in codes:
        assert c.encode() not in blob and c.replace("-", "").encode() not in blob
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert raw not in data and secret.encode() not in data, path
