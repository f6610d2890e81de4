"""The Vault Transit key provider (--keyring vault+http://...) against a real OpenBao 2.7.2 dev
server (PARLEY_TEST_VAULT_URL, started by scripts/services.sh through
scripts/services/openbao.sh) with a token whose policy allows only encrypt and decrypt on the
key: room keys are wrapped there, a node with another master key cannot read the rooms, a
wrong token or a key that ignores the context stops the node at start with one line (exit
1), a token in the URL is a bad flag (exit 2), and the token is never in the logs."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
import urllib.request

import pytest

import backends
from parley_client import (Server, create_room, history, parley_bin, post_message,
                           register_and_login, unique)


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite through scripts/test.sh, which starts "
                    "the OpenBao test server", pytrace=False)
    return value


def _token_file(tmp_path, token: str):
    path = tmp_path / "vault-token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    return path


def _logs(s: Server) -> bytes:
    return s.stderr_bytes() + "\n".join(s.stdout_lines).encode()


def _plain_lines(err: bytes) -> list:
    """The lines of stderr that are not JSON log records: what an operator reads."""
    return [ln for ln in err.decode("utf-8", "replace").splitlines()
            if ln.strip() and not ln.startswith("{")]


@pytest.mark.timeout_s(60)
def test_room_keys_are_wrapped_by_vault_and_need_it(tmp_path, monkeypatch):
    url, token = _env("PARLEY_TEST_VAULT_URL"), _env("PARLEY_TEST_VAULT_TOKEN")
    monkeypatch.setenv("PARLEY_VAULT_TOKEN", token)
    s = Server(tmp_path / "data", tmp_path, ["--keyring", url, "--send-rate", "1000"])
    s.start()
    try:
        tok, _ = register_and_login(s, "vaultuser")
        room = create_room(s, tok, "vault-room")
        canary = f"vault-canary-{unique('c')}"
        post_message(s, tok, room["id"], canary)
        assert s.stop() == 0
        assert not list((tmp_path / "data").glob("keyring*")), "a keyring file was written"

        # The same data with a local keyring instead: the deployment's secrets (the audit
        # key first) do not open, and the node stops at start saying so.
        s.args = ["--send-rate", "1000"]
        with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
            s.start()
        err = s.stderr_bytes()
        assert b"parley: audit key (does this --keyring open" in err, err[-2000:]
        assert canary.encode() not in err

        # Back on Vault, the token from a file this time: readable again.
        monkeypatch.delenv("PARLEY_VAULT_TOKEN")
        s.args = ["--keyring", url, "--vault-token-file", str(_token_file(tmp_path, token)),
                  "--send-rate", "1000"]
        s.start()
        texts = [m["text"] for m in history(s, tok, room["id"])["messages"]]
        assert texts == [canary]
    finally:
        s.stop()
    assert token.encode() not in _logs(s), "the Vault token is in the logs"


@pytest.mark.timeout_s(30)
def test_a_wrong_vault_token_stops_the_node_at_start(tmp_path):
    url = _env("PARLEY_TEST_VAULT_URL")
    wrong = "s.WrongToken" + unique("t").replace("-", "")
    s = Server(tmp_path / "data", tmp_path,
               ["--keyring", url, "--vault-token-file", str(_token_file(tmp_path, wrong))])
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
        s.start()
    err = s.stderr_bytes()
    assert _plain_lines(err) == ["parley: --keyring: vault encrypt: HTTP 403: permission denied"], \
        err[-2000:]
    assert wrong.encode() not in _logs(s), "the Vault token is in the logs"


@pytest.mark.timeout_s(30)
def test_a_key_that_ignores_the_context_stops_the_node(tmp_path):
    # Transit ignores `context` on a key created without derived=true: the node refuses it
    # rather than wrap room keys bound to nothing.
    url, root = _env("PARLEY_TEST_VAULT_URL"), _env("PARLEY_TEST_VAULT_ROOT_TOKEN")
    name = "plain-" + unique("k")
    req = urllib.request.Request(f"{_env('PARLEY_TEST_VAULT_ADDR')}/v1/transit/keys/{name}",
                                 data=json.dumps({"type": "aes256-gcm96"}).encode(),
                                 headers={"X-Vault-Token": root}, method="POST")
    urllib.request.urlopen(req, timeout=10).close()
    s = Server(tmp_path / "data", tmp_path,
               ["--keyring", url.replace("/keys/parley", f"/keys/{name}"),
                "--vault-token-file", str(_token_file(tmp_path, root))])
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
        s.start()
    lines = _plain_lines(s.stderr_bytes())
    assert len(lines) == 1 and "derived=true" in lines[0], lines
    assert root.encode() not in _logs(s)


@pytest.mark.timeout_s(30)
@pytest.mark.parametrize("keyring", [
    "vault+http://s.TopSecretVaultToken@127.0.0.1:8200/transit/keys/parley",
    "vault+http://user:TopSecretVaultToken@127.0.0.1:8200/transit/keys/parley",
])
def test_a_token_in_the_url_is_a_bad_flag_and_not_echoed(tmp_path, keyring):
    s = Server(tmp_path / "data", tmp_path, ["--keyring", keyring])
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 2\)? before listening"):
        s.start()
    err = s.stderr_bytes()
    assert b"no credentials in the URL" in err, err[-2000:]
    assert b"TopSecretVaultToken" not in err


@pytest.mark.timeout_s(30)
def test_a_vault_keyring_without_a_token_is_a_bad_flag(tmp_path, monkeypatch):
    monkeypatch.delenv("PARLEY_VAULT_TOKEN", raising=False)
    s = Server(tmp_path / "data", tmp_path, ["--keyring", _env("PARLEY_TEST_VAULT_URL")])
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 2\)? before listening"):
        s.start()
    assert b"needs a token" in s.stderr_bytes()


def _admin(method: str, path: str, body: dict | None) -> dict:
    req = urllib.request.Request(f"{_env('PARLEY_TEST_VAULT_ADDR')}/v1/{path}",
                                 data=None if body is None else json.dumps(body).encode(),
                                 method=method,
                                 headers={"X-Vault-Token": _env("PARLEY_TEST_VAULT_ROOT_TOKEN")})
    with urllib.request.urlopen(req, timeout=10) as r:
        raw = r.read()
    return json.loads(raw) if raw else {}


def _wrapped_versions(data_dir) -> dict:
    """room id -> the Transit key version its room key is wrapped under (vault:vN:)."""
    db = sqlite3.connect(f"file:{data_dir / 'parley.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT room_id, wrapped FROM room_keys").fetchall()
    finally:
        db.close()
    out = {}
    for room_id, wrapped in rows:
        assert wrapped[:1] == b"\x03" and wrapped[1:8] == b"vault:v", wrapped[:16]
        out[room_id] = int(wrapped[8:wrapped.index(b":", 8)])
    return out


@pytest.mark.timeout_s(60)
def test_after_rotation_old_room_keys_open_and_new_ones_use_the_new_version(tmp_path):
    # A key of its own (root token), so that rotating it touches no other test.
    name = "rot-" + unique("k")
    _admin("POST", f"transit/keys/{name}", {"derived": True})
    url = _env("PARLEY_TEST_VAULT_URL").replace("/keys/parley", f"/keys/{name}")
    token_file = _token_file(tmp_path, _env("PARLEY_TEST_VAULT_ROOT_TOKEN"))
    s = Server(tmp_path / "data", tmp_path,
               ["--keyring", url, "--vault-token-file", str(token_file), "--send-rate", "1000"])
    s.start()
    try:
        tok, _ = register_and_login(s, "rotuser")
        old_room = create_room(s, tok, "before-rotation")
        post_message(s, tok, old_room["id"], "sealed under v1")
        s.stop()
        assert _wrapped_versions(tmp_path / "data") == {old_room["id"]: 1}

        _admin("POST", f"transit/keys/{name}/rotate", {})
        s.start()  # a restart: nothing of the old room key is in memory
        texts = [m["text"] for m in history(s, tok, old_room["id"])["messages"]]
        assert texts == ["sealed under v1"]
        new_room = create_room(s, tok, "after-rotation")
        post_message(s, tok, new_room["id"], "sealed under v2")
        s.stop()
        versions = _wrapped_versions(tmp_path / "data")
        assert versions[old_room["id"]] == 1 and versions[new_room["id"]] == 2, versions

        # min_decryption_version 2 retires v1: what v1 wrapped no longer opens (what
        # `parley keys rewrap` first prevents: the next test). The deployment's secrets were
        # wrapped under v1 too, so the node stops at start, naming the audit key.
        _admin("POST", f"transit/keys/{name}/config", {"min_decryption_version": 2})
        with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
            s.start()
        assert b"parley: audit key (does this --keyring open" in s.stderr_bytes()
    finally:
        s.stop()


def _rewrap(args: list) -> subprocess.CompletedProcess:
    return subprocess.run([str(parley_bin()), "keys", "rewrap", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_rewrap_lets_the_operator_retire_old_key_versions(tmp_path, backend):
    # Rotate, re-wrap every stored key with `parley keys rewrap` while the node runs, raise
    # min_decryption_version: everything still opens. On both Store backends.
    name = "rw-" + unique("k")
    _admin("POST", f"transit/keys/{name}", {"derived": True})
    url = _env("PARLEY_TEST_VAULT_URL").replace("/keys/parley", f"/keys/{name}")
    token_file = _token_file(tmp_path, _env("PARLEY_TEST_VAULT_ROOT_TOKEN"))
    db = backends.fresh_database() if backend == "postgresql" else ""
    common = ["--data-dir", str(tmp_path / "data"), "--keyring", url,
              "--vault-token-file", str(token_file)] + (["--db", db] if db else [])
    s = Server(tmp_path / "data", tmp_path, common[2:] + ["--send-rate", "1000"])
    s.start()
    try:
        tok, _ = register_and_login(s, "rwuser")
        rooms = [create_room(s, tok, f"rw-{i}") for i in range(3)]
        for i, room in enumerate(rooms):
            post_message(s, tok, room["id"], f"sealed under v1 #{i}")
        _admin("POST", f"transit/keys/{name}/rotate", {})

        done = _rewrap(common)  # online: the node keeps running
        assert done.returncode == 0, done.stderr[-2000:]
        # The 3 room keys and the shared secrets (the session-cache key) the node made.
        m = re.search(r"done: rewrapped (\d+), already newest 0, changed meanwhile 0", done.stdout)
        assert m and int(m.group(1)) >= 4, done.stdout
        again = _rewrap(common)  # resumable: a second run finds nothing left to do
        assert again.returncode == 0, again.stderr[-2000:]
        assert f"done: rewrapped 0, already newest {m.group(1)}," in again.stdout, again.stdout
        if backend == "sqlite":
            assert set(_wrapped_versions(tmp_path / "data").values()) == {2}
        s.stop()

        _admin("POST", f"transit/keys/{name}/config", {"min_decryption_version": 2})
        s.start()
        for i, room in enumerate(rooms):
            texts = [m["text"] for m in history(s, tok, room["id"])["messages"]]
            assert texts == [f"sealed under v1 #{i}"]
    finally:
        s.stop()
        if db:
            backends.drop_database(db)
    assert _env("PARLEY_TEST_VAULT_ROOT_TOKEN").encode() not in _logs(s) + \
        (done.stdout + done.stderr).encode()


def _approle(tmp_path, ttl: str, max_ttl: str) -> dict:
    """A fresh AppRole auth mount with a role under the nodes' policy (encrypt and decrypt on
    the parley key only): its mount, and files holding the role id and a secret id."""
    mount = "approle-" + unique("m")
    _admin("POST", f"sys/auth/{mount}", {"type": "approle"})
    # The nodes' Transit policy, and renewing their own token (without it a node logs in
    # again each time instead: it works, at the cost of a login and a new lease).
    _admin("PUT", "sys/policies/acl/parley-renew",
           {"policy": 'path "auth/token/renew-self" { capabilities = ["update"] }'})
    _admin("POST", f"auth/{mount}/role/parley",
           {"token_policies": ["parley-transit", "parley-renew"],
            "token_no_default_policy": True,
            "token_ttl": ttl, "token_max_ttl": max_ttl})
    role_id = _admin("GET", f"auth/{mount}/role/parley/role-id", None)["data"]["role_id"]
    secret_id = _admin("POST", f"auth/{mount}/role/parley/secret-id", {})["data"]["secret_id"]
    files = {}
    for name, value in (("role-id", role_id), ("secret-id", secret_id)):
        path = tmp_path / name
        path.write_text(value + "\n")
        path.chmod(0o600)
        files[name] = path
    return {"mount": mount, "role_id": role_id, "secret_id": secret_id,
            "flags": ["--vault-role-id-file", str(files["role-id"]),
                      "--vault-secret-id-file", str(files["secret-id"])]}


def _token_events(s: Server) -> list:
    """The `how` of each vault_token log record: "login" or "renewed", in order."""
    out = []
    for line in _logs(s).decode("utf-8", "replace").splitlines():
        if '"vault_token"' in line and line.startswith("{"):
            out.append(json.loads(line).get("how"))
    return out


@pytest.mark.timeout_s(90)
def test_a_node_logs_in_with_approle_and_keeps_its_token_fresh(tmp_path, monkeypatch):
    # Tokens of 4 s, at most 9 s: the node must renew and then log in again for room keys to
    # keep being wrapped. A new room's first message wraps its key in Vault, so rooms are made
    # and written to until the log shows a renewal and a second login, and then for as long
    # again as a token lives.
    monkeypatch.delenv("PARLEY_VAULT_TOKEN", raising=False)
    role = _approle(tmp_path, ttl="4s", max_ttl="9s")
    url = _env("PARLEY_TEST_VAULT_URL") + f"?approle_mount={role['mount']}"
    s = Server(tmp_path / "data", tmp_path, ["--keyring", url, *role["flags"],
                                             "--send-rate", "1000"])
    s.start()
    try:
        tok, _ = register_and_login(s, "approleuser")
        made, seen_all_at = 0, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            room = create_room(s, tok, f"approle-{made}")  # each fails the test if refused
            post_message(s, tok, room["id"], f"sealed under a fresh key #{made}")
            made += 1
            events = _token_events(s)
            if seen_all_at is None and "renewed" in events and events.count("login") >= 2:
                seen_all_at = time.monotonic()
            if seen_all_at is not None and time.monotonic() - seen_all_at > 4:
                break
            time.sleep(0.25)  # pacing the room creations, not waiting for an event
        events = _token_events(s)
        assert "renewed" in events and events.count("login") >= 2, events
        assert seen_all_at is not None and time.monotonic() - seen_all_at > 4, events
    finally:
        s.stop()
    logs = _logs(s)
    assert role["secret_id"].encode() not in logs and role["role_id"].encode() not in logs


@pytest.mark.timeout_s(30)
def test_a_wrong_approle_secret_stops_the_node_at_start(tmp_path, monkeypatch):
    monkeypatch.delenv("PARLEY_VAULT_TOKEN", raising=False)
    role = _approle(tmp_path, ttl="1h", max_ttl="24h")
    wrong = "0e5c1b8a-" + unique("s").replace("-", "")
    (tmp_path / "secret-id").write_text(wrong)
    url = _env("PARLEY_TEST_VAULT_URL") + f"?approle_mount={role['mount']}"
    s = Server(tmp_path / "data", tmp_path, ["--keyring", url, *role["flags"]])
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 1\)? before listening"):
        s.start()
    lines = _plain_lines(s.stderr_bytes())
    assert len(lines) == 1 and lines[0].startswith("parley: --keyring: vault login: HTTP 400"), \
        lines
    logs = _logs(s)
    assert wrong.encode() not in logs and role["role_id"].encode() not in logs


@pytest.mark.timeout_s(30)
@pytest.mark.parametrize("case", ["role only", "secret only", "and a token", "mount, no role",
                                  "no keyring"])
def test_approle_flags_are_checked_before_anything_opens(tmp_path, monkeypatch, case):
    monkeypatch.delenv("PARLEY_VAULT_TOKEN", raising=False)
    for name in ("role-id", "secret-id"):
        (tmp_path / name).write_text("x-" + name)
    role = ["--vault-role-id-file", str(tmp_path / "role-id")]
    secret = ["--vault-secret-id-file", str(tmp_path / "secret-id")]
    url = _env("PARLEY_TEST_VAULT_URL")
    args, says = {
        "role only": (["--keyring", url, *role], b"needs both"),
        "secret only": (["--keyring", url, *secret], b"needs both"),
        "and a token": (["--keyring", url, *role, *secret, "--vault-token-file",
                         str(_token_file(tmp_path, "s.x"))], b"not both"),
        "mount, no role": (["--keyring", url + "?approle_mount=approle"], b"approle_mount"),
        "no keyring": ([*role, *secret], b"only with --keyring vault+"),
    }[case]
    s = Server(tmp_path / "data", tmp_path, args)
    with pytest.raises(RuntimeError, match=r"(exited with|exit) 2\)? before listening"):
        s.start()
    assert says in s.stderr_bytes(), s.stderr_bytes()[-2000:]
