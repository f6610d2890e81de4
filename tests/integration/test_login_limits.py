"""Login limits and the audit trail (docs/api.md, "Login limits" and "Audit trail").

Clients bind distinct loopback source addresses (127.0.1.x, 127.0.2.x) so the server sees
logins from different addresses and networks (/24) without leaving the machine.
"""
import http.client
import json

from parley_client import register, register_and_login, PASSWORD


def login_from(server, source_ip, username, password, device="pytest"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20,
                                      source_address=(source_ip, 0))
    try:
        body = json.dumps({"username": username, "password": password, "device": device})
        conn.request("POST", "/api/v1/login", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None, resp.headers
    finally:
        conn.close()


def audit(server, token, path="/api/v1/audit"):
    status, body = server.api("GET", path, token=token)
    assert status == 200, body
    return body["events"]


def test_first_login_is_new_network_and_device_and_failures_are_recorded(server_factory):
    server = server_factory()
    name = register(server, "auditee")["username"]
    status, body, _ = login_from(server, "127.0.1.1", name, "wrong-password-1")
    assert status == 401 and body["error"]["code"] == "bad_credentials"
    status, body, _ = login_from(server, "127.0.1.1", name, PASSWORD, device="laptop")
    assert status == 200, body
    token = body["token"]
    kinds = [e["kind"] for e in audit(server, token)]
    assert kinds[:4] == ["login_new_device", "login_new_network", "login", "login_failed"], kinds
    # Same network and device again: nothing new is flagged.
    status, body, _ = login_from(server, "127.0.1.2", name, PASSWORD, device="laptop")
    assert status == 200
    kinds = [e["kind"] for e in audit(server, token)]
    assert kinds[0] == "login" and kinds.count("login_new_network") == 1, kinds
    events = audit(server, token)
    assert all(e["ip"].startswith("127.0.1.") for e in events)
    _, metrics = server.request("GET", "/metrics").status, server.request("GET", "/metrics").text
    assert "parley_logins_failed_total 1" in metrics


def test_guessing_from_one_address_is_limited_with_retry_after(server_factory):
    server = server_factory(extra=["--login-per-account-ip", "3"])
    name = register(server, "guessed")["username"]
    for i in range(3):
        status, _, _ = login_from(server, "127.0.2.9", name, f"wrong-{i}-password")
        assert status == 401
    status, body, headers = login_from(server, "127.0.2.9", name, PASSWORD)
    assert status == 429 and body["error"]["code"] == "rate_limited", body
    assert int(headers["Retry-After"]) >= 1
    # The same account from another address is not affected by that address's count.
    status, body, _ = login_from(server, "127.0.3.1", name, PASSWORD)
    assert status == 200, body
    kinds = [e["kind"] for e in audit(server, body["token"])]
    assert "login_locked" in kinds


def test_an_attacker_cannot_lock_the_owner_out(server_factory):
    server = server_factory(extra=["--login-per-account-new-network", "4"])
    name = register(server, "victim")["username"]
    status, body, _ = login_from(server, "127.0.1.7", name, PASSWORD, device="home")
    assert status == 200  # the owner's network is now known
    # Spraying guesses from new networks, one address each, until the account's budget
    # for unknown networks is spent.
    codes = [login_from(server, f"127.0.{10 + i}.1", name, "not-the-password")[0] for i in range(6)]
    # The owner's own first login (from a then-unknown network) used one of the four.
    assert codes == [401, 401, 401, 429, 429, 429], codes
    # The owner, from their known network, still gets in.
    status, body, _ = login_from(server, "127.0.1.8", name, PASSWORD, device="home")
    assert status == 200, body
    # And the lockouts are in their audit trail.
    assert "login_locked" in [e["kind"] for e in audit(server, body["token"])]


def test_many_attempts_from_one_address_are_limited(server_factory):
    server = server_factory(extra=["--login-per-ip", "5"])
    codes = []
    for i in range(11):
        status, body, headers = login_from(server, "127.0.4.4", f"nobody{i}", "whatever-pass")
        codes.append(status)
        if status == 429:
            assert body["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) >= 1
    # The per-IP window is a fixed wall-clock minute. One minute boundary may fall among
    # these few seconds of attempts and give the address a fresh budget once, so: the first
    # five are let through, at most ten in all, and the address is refused at least once.
    assert set(codes) <= {401, 429}, codes
    assert codes[:5] == [401] * 5, codes
    assert 429 in codes and codes.count(401) <= 10, codes


def test_admins_see_every_account_others_do_not(server_factory):
    server = server_factory(extra=["--admin", "Boss"])
    boss, _ = register_and_login(server, "boss")  # unique suffix: not the admin name
    register(server, "Boss")
    status, body, _ = login_from(server, "127.0.1.1", "Boss", PASSWORD)
    assert status == 200
    admin_token = body["token"]
    status, _ = server.api("GET", "/api/v1/admin/audit", token=boss)
    assert status == 403
    events = audit(server, admin_token, "/api/v1/admin/audit")
    assert len({e["user_id"] for e in events}) >= 2, events


def test_admin_disables_a_user_whose_sockets_close_at_once(server_factory):
    import asyncio  # noqa: F401
    from parley_client import connect_ready, run
    server = server_factory(extra=["--admin", "chief"])
    register(server, "chief")
    status, body, _ = login_from(server, "127.0.1.1", "chief", PASSWORD)
    admin = body["token"]
    token, user = register_and_login(server, "troll")

    async def body_():
        ws = await connect_ready(server, token, name="troll")
        status, _ = server.api("POST", f"/api/v1/admin/users/{user['username']}/disable", token=admin)
        assert status == 204
        assert await ws.wait_closed(timeout=1.5) == 4001
    run(body_(), timeout=20)
    status, _ = server.api("GET", "/api/v1/me", token=token)
    assert status == 401
    status, _, _ = login_from(server, "127.0.1.2", user["username"], PASSWORD)
    assert status == 401
    status, _ = server.api("POST", f"/api/v1/admin/users/{user['username']}/disable", token=token)
    assert status == 401
    status, _ = server.api("POST", f"/api/v1/admin/users/{user['username']}/enable", token=admin)
    assert status == 204
    status, _, _ = login_from(server, "127.0.1.2", user["username"], PASSWORD)
    assert status == 200


def test_forwarded_for_is_used_only_when_trusted(server_factory):
    def attempts(server, forwarded):
        codes = []
        for i in range(3):
            status, _ = server.api("POST", "/api/v1/login",
                                   {"username": f"nobody{i}", "password": "whatever-pass"},
                                   headers={"X-Forwarded-For": f"127.0.8.8, {forwarded[i]}"})
            codes.append(status)
        return codes
    # Trusted: three different client addresses, each under its own per-address limit of 1.
    trusting = server_factory(extra=["--login-per-ip", "1", "--trust-forwarded-for"])
    assert attempts(trusting, ["127.0.9.1", "127.0.9.2", "127.0.9.3"]) == [401, 401, 401]
    # Not trusted: the header is ignored; all three come from the peer address.
    plain = server_factory(extra=["--login-per-ip", "1"])
    assert attempts(plain, ["127.0.9.1", "127.0.9.2", "127.0.9.3"]) == [401, 429, 429]
