"""Filling the audit trail (issue 11, finding 8). Every refused login wrote its own audit row
(about 550 rows/s from one address) and nothing ever pruned the trail. Now repeated refusals
are counted into one row per account, kind, network and detail per minute, and rows older
than --audit-retention-days are deleted (the retention itself is proven by the service's
unit test, which moves its clock: tests/unit/service/accounts_test.cpp).

The attacker varies what it controls: the password, the device name, the source address
within its network, the account named.
"""
import http.client
import json
import uuid

import pytest

from parley_client import PASSWORD, login, register, unique


def login_from(server, source_ip, username, password, device):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30,
                                      source_address=(source_ip, 0))
    try:
        body = json.dumps({"username": username, "password": password, "device": device})
        conn.request("POST", "/api/v1/login", body=body,
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def events(server, token, path="/audit?limit=500"):
    st, js = server.api("GET", path, token=token)
    assert st == 200, js
    return js["events"]


def refusals(evs, kinds=("login_failed", "login_locked")):
    return [e for e in evs if e["kind"] in kinds]


@pytest.mark.timeout_s(120)
def test_two_hundred_refusals_make_a_bounded_number_of_rows_with_the_right_count(server):
    name = unique("flooded")
    register(server, name)
    token = login(server, name)["token"]  # the owner's own network is known from here on
    codes = [login_from(server, f"127.0.40.{1 + i % 50}", name, f"wrong-{i}",
                        device=f"device-{uuid.uuid4().hex}") for i in range(200)]
    assert set(codes) <= {401, 429}, codes
    assert login_from(server, "127.0.0.2", name, PASSWORD, device="owner") == 200
    rows = refusals(events(server, token))
    # One row per (kind, network, detail) and minute: at most three details, and the
    # attempts may straddle one minute boundary.
    assert 1 <= len(rows) <= 6, rows
    assert sum(r["count"] for r in rows) == 200, rows
    assert sum(r["count"] for r in rows if r["kind"] == "login_failed") == codes.count(401)
    for r in rows:
        assert r["ip"].startswith("127.0.40.") and r["last_at"] >= r["at"], r
    # Successful logins are never folded: each is its own row.
    logins = [e for e in events(server, token) if e["kind"] == "login"]
    assert len(logins) == 2 and all(e["count"] == 1 for e in logins), logins


@pytest.mark.timeout_s(120)
def test_guesses_at_accounts_that_do_not_exist_are_counted_too(server_factory):
    """Unknown usernames land in the admins' view (user 0): still one row per minute."""
    admin = unique("auditadmin")
    server = server_factory(extra=["--admin", admin])
    register(server, admin)
    token = login(server, admin)["token"]
    codes = [login_from(server, "127.0.42.1", unique("ghost"), "whatever-password",
                        device=f"d{i}") for i in range(200)]
    assert set(codes) <= {401, 429}
    rows = [e for e in refusals(events(server, token, "/admin/audit?limit=500"))
            if e["user_id"] == 0]
    assert 1 <= len(rows) <= 4, rows
    assert sum(r["count"] for r in rows) == 200, rows


@pytest.mark.timeout_s(120)
def test_many_networks_make_rows_per_network_not_per_guess(server):
    name = unique("spread")
    register(server, name)
    token = login(server, name)["token"]
    for i in range(100):
        login_from(server, f"127.0.{50 + i % 4}.{1 + i // 4}", name, f"wrong-{i}", device="x")
    rows = refusals(events(server, token))
    assert sum(r["count"] for r in rows) == 100, rows
    assert len(rows) <= 4 * 3 * 2, rows  # networks x details x minutes


def test_retention_flag_is_validated(server_factory, tmp_path):
    import subprocess
    from parley_client import parley_bin
    r = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                        str(tmp_path / "d"), "--audit-retention-days", "-1"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "--audit-retention-days" in r.stderr, r
