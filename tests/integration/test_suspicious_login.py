"""Suspicious-login alerts (docs/security.md, "Suspicious logins"; docs/protocol.md,
security_alert): a burst of failures then the right password from a new address and device
alerts the account's other live sessions; ordinary logins do not. Addresses are set with
X-Forwarded-For (--trust-forwarded-for). Runs on both backends (PARLEY_BACKEND=scaled)."""
from __future__ import annotations

import pytest

from parley_client import PASSWORD, Server, connect_ready, register_and_login, run

NEW_IP = "198.51.100.7"


@pytest.fixture
def server(server_factory) -> Server:
    return server_factory(extra=["--trust-forwarded-for"])


def login_from(server: Server, username: str, device: str, ip: str | None = None,
               password: str = PASSWORD):
    headers = {"X-Forwarded-For": ip} if ip else None
    return server.api("POST", "/login", {"username": username, "password": password,
                                         "device": device}, headers=headers)


def is_alert(f: dict) -> bool:
    return f.get("type") == "security_alert"


def burst_then_success(server: Server, username: str, ip: str = NEW_IP,
                       device: str = "strange-phone") -> dict:
    for _ in range(4):
        st, _ = login_from(server, username, device, ip, password="not-the-password")
        assert st == 401
    st, js = login_from(server, username, device, ip)
    assert st == 200, js
    return js


def suspicious_total(server: Server) -> int:
    for line in server.request("GET", "/metrics").text.splitlines():
        if line.startswith("parley_suspicious_logins_total "):
            return int(line.split()[1])
    raise AssertionError("parley_suspicious_logins_total is not in /metrics")


def test_a_burst_of_failures_then_success_from_a_new_address_alerts_other_sessions(server):
    token, user = register_and_login(server, "alice", device="laptop")
    before = suspicious_total(server)

    async def scenario():
        ws = await connect_ready(server, token)
        try:
            new = burst_then_success(server, user["username"])
            alert = await ws.recv_until(is_alert)
            return new, alert
        finally:
            await ws.close()

    new, alert = run(scenario())
    assert alert["session_id"] == new["session"]["id"]
    assert alert["device"] == "strange-phone"
    assert alert["ip"] == NEW_IP
    assert alert["score"] >= 50
    assert set(alert["reasons"]) == {"new_device_and_network", "failures_before"}
    assert suspicious_total(server) == before + 1
    st, js = server.api("GET", "/audit", token=token)
    assert st == 200
    flagged = [e for e in js["events"] if e["kind"] == "suspicious_login"]
    assert len(flagged) == 1 and flagged[0]["ip"] == NEW_IP, js
    assert f"session {new['session']['id']}" in flagged[0]["detail"]
    # What the web client's button does: end that session.
    st, _ = server.api("DELETE", f"/sessions/{new['session']['id']}", token=token)
    assert st == 204
    assert server.api("GET", "/me", token=new["token"])[0] == 401


def test_ordinary_logins_do_not_alert(server):
    token, user = register_and_login(server, "bob", device="laptop")
    before = suspicious_total(server)

    async def scenario():
        ws = await connect_ready(server, token)
        try:
            # The same device again, a new device on a known network, a wrong password
            # once: none of them is suspicious.
            assert login_from(server, user["username"], "laptop")[0] == 200
            assert login_from(server, user["username"], "phone")[0] == 200
            assert login_from(server, user["username"], "phone", password="typo")[0] == 401
            assert login_from(server, user["username"], "phone")[0] == 200
            # Then one that is: the first alert this socket receives is about it (frames
            # reach a socket in order), so none came for the ordinary ones.
            new = burst_then_success(server, user["username"])
            alert = await ws.recv_until(is_alert)
            return new, alert, ws.frames
        finally:
            await ws.close()

    new, alert, frames = run(scenario())
    assert alert["session_id"] == new["session"]["id"]
    assert [f["session_id"] for f in frames if is_alert(f)] == [new["session"]["id"]]
    assert suspicious_total(server) == before + 1


def test_the_new_session_itself_is_not_alerted(server):
    token, user = register_and_login(server, "carol", device="laptop")

    async def scenario():
        old = await connect_ready(server, token, name="old")
        new = burst_then_success(server, user["username"])
        fresh = await connect_ready(server, new["token"], name="new")
        try:
            await old.recv_until(is_alert)
            # A later alert, for another login, reaches the fresh socket: anything about
            # its own session would have come first.
            other = burst_then_success(server, user["username"], "203.0.113.9", "other-phone")
            alert = await fresh.recv_until(is_alert)
            return new, other, alert
        finally:
            await old.close()
            await fresh.close()

    new, other, alert = run(scenario())
    assert alert["session_id"] == other["session"]["id"] != new["session"]["id"]
