"""Attacks on sign-up invites and two-factor sign-in (docs/security.md, "Sign-up invites and
two-factor sign-in"): guessing codes (a challenge takes 5, the login limits count the rest),
replaying a code, racing for an invite's last use, reusing a spent invite, and answers that
tell nothing about unknown accounts or forged challenges."""
from __future__ import annotations

import http.client
import json
import threading

from parley_client import PASSWORD, assert_error, register_and_login, unique
from people import admin_cli, create_user
from two_factor import enrol, first_step, fresh_code, second_step


def raw_post(server, path: str, body: dict, source_ip: str = "127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20,
                                      source_address=(source_ip, 0))
    try:
        conn.request("POST", "/api/v1" + path, body=json.dumps(body),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _wrong(secret: str) -> str:
    right = fresh_code(secret)
    return "000000" if right != "000000" else "111111"


def test_a_challenge_takes_five_guesses_then_not_even_the_right_code(server):
    token, user = register_and_login(server, "guess")
    secret, _ = enrol(server, token)
    challenge = first_step(server, user["username"])["challenge"]
    for _ in range(5):
        assert_error(second_step(server, challenge, code=_wrong(secret)), 401, "invalid_otp")
    assert_error(second_step(server, challenge, code=fresh_code(secret)), 401, "invalid_otp")


def test_guessing_across_challenges_hits_the_login_limits(server_factory):
    s = server_factory(extra=("--login-per-account-ip", "6"))
    token, user = register_and_login(s, "spray")
    secret, _ = enrol(s, token)
    statuses = []
    for _ in range(4):
        st, js = s.api("POST", "/login", {"username": user["username"], "password": PASSWORD})
        statuses.append(st)
        if st != 401:
            break
        st, _ = second_step(s, js["challenge"], code=_wrong(secret))
        statuses.append(st)
    # login, code, login, code, ...: the account+address budget of 6 (the first login of
    # register_and_login counted too) runs out, and the answer is 429 from then on.
    assert 429 in statuses, statuses
    assert statuses.index(429) <= 6, statuses


def test_one_code_replayed_in_parallel_gives_one_session(server):
    token, user = register_and_login(server, "racer")
    secret, _ = enrol(server, token)
    challenges = [first_step(server, user["username"])["challenge"] for _ in range(3)]
    code = fresh_code(secret)
    results: list[int] = []
    threads = [threading.Thread(target=lambda c=c: results.append(second_step(server, c, code=code)[0]))
               for c in challenges]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200, 401, 401], results


def test_otp_required_is_said_only_to_whoever_knows_the_password(server):
    token, user = register_and_login(server, "twofa")
    enrol(server, token)
    ghost = unique("ghost")
    wrong = raw_post(server, "/login", {"username": user["username"], "password": "wrong password!"})
    unknown = raw_post(server, "/login", {"username": ghost, "password": "wrong password!"})
    assert wrong == unknown and wrong[0] == 401 and b"bad_credentials" in wrong[1], (wrong, unknown)
    assert b"challenge" not in wrong[1]


def test_a_forged_challenge_answers_as_a_wrong_code(server):
    token, user = register_and_login(server, "forge")
    secret, _ = enrol(server, token)
    real = first_step(server, user["username"])["challenge"]
    bad = _wrong(secret)
    wrong_code = raw_post(server, "/login/2fa", {"challenge": real, "code": bad})
    forged = raw_post(server, "/login/2fa", {"challenge": "A" * len(real), "code": bad})
    tampered = raw_post(server, "/login/2fa", {"challenge": real[:-4] + "AAAA", "code": bad})
    assert wrong_code == forged == tampered and wrong_code[0] == 401, (wrong_code, forged)


def test_a_spent_invite_and_a_race_for_its_last_use(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    _, out, _ = admin_cli(s, "create-invite", "--uses", "2")
    code = out.split("#invite=")[1].split()[0]
    results: list[int] = []

    def signup(name: str) -> None:
        results.append(raw_post(s, "/register", {"username": name, "password": PASSWORD,
                                                 "invite": code})[0])

    threads = [threading.Thread(target=signup, args=(unique("r"),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [201, 201] + [400] * 6, results
    _, out, _ = admin_cli(s, "list-users")
    assert len(out.splitlines()) == 2, out
    # The spent invite is refused like one that never existed, byte for byte.
    spent = raw_post(s, "/register", {"username": unique("late"), "password": PASSWORD,
                                      "invite": code})
    never = raw_post(s, "/register", {"username": unique("late"), "password": PASSWORD,
                                      "invite": "B" * 43})
    assert spent == never and spent[0] == 400


def test_invite_guessing_counts_against_the_registration_limit(server_factory):
    s = server_factory(extra=("--registration", "invite", "--register-per-ip", "3"))
    statuses = [raw_post(s, "/register", {"username": unique("g"), "password": PASSWORD,
                                          "invite": f"guess{i}"})[0] for i in range(5)]
    assert statuses == [400, 400, 400, 429, 429], statuses


def test_the_invite_code_is_never_stored(server_factory):
    s = server_factory(extra=("--registration", "invite"))
    create_user(s, unique("admin"), "--admin")
    _, out, _ = admin_cli(s, "create-invite")
    code = out.split("#invite=")[1].split()[0].encode()
    for path in s.data_dir.rglob("*"):
        if path.is_file():
            assert code not in path.read_bytes(), path
