"""Forging sessions with write access to Redis (issue 11, finding 12). Cached session entries
were trusted as they were: one SET of an admin's entry under the key of a token the attacker
chose gave admin access. Now every entry carries a keyed MAC (a secret of the deployment,
kept wrapped by the master key in the database) over the token hash it was stored for and
every field, and a time after which it is void; an entry that fails either is a miss, the
Store answers, and /metrics counts the forgeries.

Only the scaled backend keeps sessions in Redis; the attacker here is a second client of
that Redis, speaking RESP itself.
"""
import hashlib
import os
import secrets
import socket
import struct
import time
from urllib.parse import urlsplit

import pytest

import backends
from parley_client import PASSWORD, login, register, unique

pytestmark = pytest.mark.skipif(not backends.scaled(),
                                reason="sessions are cached in Redis on the scaled backend only")


class Redis:
    """Just enough RESP for an attacker: commands in, bulk strings and integers out."""

    def __init__(self, url: str):
        p = urlsplit(url)
        self.sock = socket.create_connection((p.hostname, p.port or 6379), timeout=10)
        self.buf = b""
        if p.password:
            self.cmd("AUTH", p.password)

    def close(self):
        self.sock.close()

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "redis closed the connection"
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            assert chunk, "redis closed the connection"
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exactly(n)
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected reply {line!r}")


def token_hash(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=32).digest()


def key_of(redis: Redis, token: str) -> bytes:
    """The cache key of a token's session, with the node's prefix (found, not assumed)."""
    keys = redis.cmd("KEYS", b"*s:" + token_hash(token).hex().encode())
    assert len(keys) == 1, keys
    return keys[0]


def key_for(existing_key: bytes, token: str) -> bytes:
    prefix = existing_key[: existing_key.rindex(b"s:")]
    return prefix + b"s:" + token_hash(token).hex().encode()


# The entry's layout (src/adapters/redis/codec.cpp): tag, then little-endian i64s and
# u32-length-prefixed strings, in this order.
FIELDS = [("session_id", "q"), ("user_id", "q"), ("token_hash", "s"), ("device", "s"), ("ip", "s"),
          ("created_at", "q"), ("last_seen_at", "q"), ("uid", "q"), ("username", "s"),
          ("user_created_at", "q"), ("disabled", "B"), ("valid_until", "q"), ("mac", "s")]


def decode(entry: bytes) -> dict:
    out, pos = {"tag": entry[:1]}, 1
    for name, kind in FIELDS:
        if kind == "s":
            (n,) = struct.unpack_from("<I", entry, pos)
            out[name], pos = entry[pos + 4: pos + 4 + n], pos + 4 + n
        else:
            (out[name],) = struct.unpack_from("<" + kind, entry, pos)
            pos += struct.calcsize(kind)
    assert pos == len(entry), "layout changed: update FIELDS"
    return out


def encode(e: dict) -> bytes:
    out = e["tag"]
    for name, kind in FIELDS:
        v = e[name]
        out += struct.pack("<I", len(v)) + v if kind == "s" else struct.pack("<" + kind, v)
    return out


def rejected(server) -> int:
    for line in server.request("GET", "/metrics").text.splitlines():
        if line.startswith("parley_session_cache_rejected_total "):
            return int(line.split()[1])
    raise AssertionError("parley_session_cache_rejected_total missing from /metrics")


def me(server, token):
    return server.api("GET", "/me", token=token)


@pytest.fixture
def deployment(server_factory):
    """An admin and an attacker on one node, both sessions cached in Redis."""
    admin = unique("admin")
    server = server_factory(extra=["--admin", admin])
    register(server, admin)
    attacker = unique("mallory")
    register(server, attacker)
    admin_token = login(server, admin)["token"]
    attacker_token = login(server, attacker)["token"]
    for t in (admin_token, attacker_token):
        assert me(server, t)[0] == 200  # cached now
    redis = Redis(os.environ["PARLEY_TEST_REDIS_URL"])
    yield server, redis, admin, admin_token, attacker, attacker_token
    redis.close()


def plant(redis, key, value):
    assert redis.cmd("SET", key, value, "PX", "60000") == "OK"


def test_an_admin_entry_copied_to_a_chosen_token_is_refused(deployment):
    server, redis, admin, admin_token, _, _ = deployment
    admin_entry = redis.cmd("GET", key_of(redis, admin_token))
    assert decode(admin_entry)["username"] == admin.encode()
    before = rejected(server)
    chosen = secrets.token_urlsafe(32)
    plant(redis, key_for(key_of(redis, admin_token), chosen), admin_entry)
    st, js = server.api("GET", "/admin/audit", token=chosen)
    assert st == 401 and js["error"]["code"] == "unauthorized", js
    assert me(server, chosen)[0] == 401
    assert rejected(server) == before + 1  # the second read found the entry dropped
    # The admin's own session is untouched.
    assert server.api("GET", "/admin/audit", token=admin_token)[0] == 200


def test_an_admin_entry_over_the_attackers_own_key_resolves_from_the_store(deployment):
    server, redis, admin, admin_token, attacker, attacker_token = deployment
    admin_entry = redis.cmd("GET", key_of(redis, admin_token))
    before = rejected(server)
    plant(redis, key_of(redis, attacker_token), admin_entry)
    st, js = server.api("GET", "/admin/audit", token=attacker_token)
    assert st == 403 and js["error"]["code"] == "forbidden", js
    st, js = me(server, attacker_token)
    assert st == 200 and js["user"]["username"] == attacker, js
    assert rejected(server) == before + 1


@pytest.mark.parametrize("change", [
    "user_id_and_name", "user_id_only", "valid_until", "created_at", "disabled", "token_hash",
    "mac_zeroed", "mac_dropped", "old_format"])
def test_an_altered_own_entry_is_refused(deployment, change):
    server, redis, admin, admin_token, attacker, attacker_token = deployment
    key = key_of(redis, attacker_token)
    own = decode(redis.cmd("GET", key))
    admin_id = decode(redis.cmd("GET", key_of(redis, admin_token)))["uid"]
    e = dict(own)
    if change == "user_id_and_name":
        e["user_id"] = e["uid"] = admin_id
        e["username"] = admin.encode()
    elif change == "user_id_only":
        e["uid"] = admin_id
    elif change == "valid_until":
        e["valid_until"] = own["valid_until"] + 10 * 365 * 86400 * 1000
    elif change == "created_at":
        e["created_at"] = e["last_seen_at"] = int(time.time() * 1000)
    elif change == "disabled":
        e["disabled"] = 1 - own["disabled"]
    elif change == "token_hash":
        e["token_hash"] = token_hash(admin_token)
    elif change == "mac_zeroed":
        e["mac"] = bytes(len(own["mac"]))
    elif change == "mac_dropped":
        e["mac"] = b""
    value = encode(e)
    if change == "old_format":  # the v1 layout, which had no MAC: no longer read at all
        value = b"S" + encode(dict(own, mac=b""))[1:-(4 + 8)]
    before = rejected(server)
    plant(redis, key, value)
    st, js = me(server, attacker_token)
    assert st == 200 and js["user"]["username"] == attacker, (change, js)
    st, _ = server.api("GET", "/admin/audit", token=attacker_token)
    assert st == 403, change
    assert rejected(server) == before + (0 if change == "old_format" else 1), change


def test_an_entry_made_by_another_deployment_is_refused(server_factory):
    """The same entry layout and MAC, but under another deployment's secret (its own
    database, so its own key): a node of this one refuses it."""
    admin = unique("admin")
    ours = server_factory(extra=["--admin", admin])
    theirs = server_factory()  # shares our Redis, has its own database and secret
    register(ours, admin)  # user 1 here
    admin_token = login(ours, admin)["token"]
    assert me(ours, admin_token)[0] == 200
    forger = unique("forger")
    register(theirs, forger)  # user 1 there too
    forged_token = login(theirs, forger)["token"]
    assert me(theirs, forged_token)[0] == 200  # cached by their node, under their MAC
    redis = Redis(os.environ["PARLEY_TEST_REDIS_URL"])
    try:
        entry = decode(redis.cmd("GET", key_of(redis, forged_token)))
        # It names our admin's user id, with a MAC that holds under their secret.
        assert entry["uid"] == decode(redis.cmd("GET", key_of(redis, admin_token)))["uid"]
        plant(redis, key_of(redis, forged_token), encode(entry))
    finally:
        redis.close()
    before = rejected(ours)
    st, js = ours.api("GET", "/admin/audit", token=forged_token)
    assert st == 401, js
    assert rejected(ours) == before + 1
