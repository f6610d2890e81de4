"""The audit trail's hash chain (docs/security.md, "The audit trail"): `parley audit verify`
finds a row edited, deleted or two rows swapped directly in the database, on the embedded
default (SQLite) and with PARLEY_BACKEND=scaled (PostgreSQL, the KMS key)."""
from __future__ import annotations

import sqlite3
import subprocess

import pytest

import backends
from parley_client import Server, login, register_and_login

COLUMNS = ["user_id", "kind", "ip", "device", "detail", "at", "prev_hash", "hash"]


def db_url(server: Server) -> str | None:
    return server.args[server.args.index("--db") + 1] if "--db" in server.args else None


def sql(server: Server, statement: str) -> list[list[str]]:
    """Runs one statement straight on the server's database; rows as lists of text."""
    url = db_url(server)
    if url:
        out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-tA", "-F", "\x1f", "-c",
                              statement], check=True, capture_output=True, timeout=30, text=True)
        return [line.split("\x1f") for line in out.stdout.splitlines() if line]
    with sqlite3.connect(server.data_dir / "parley.db") as c:
        rows = c.execute(statement).fetchall()
        c.commit()
        return [[str(v) for v in r] for r in rows]


def verify(server: Server) -> subprocess.CompletedProcess:
    cmd = [str(server.binary), "audit", "verify", "--data-dir", str(server.data_dir), *server.args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def quoted(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def with_events(server: Server) -> list[int]:
    """Some logins (new devices and networks) and refusals; the ids of the chained rows."""
    _, user = register_and_login(server, "auditee")
    for device in ("laptop", "phone", "tablet"):
        login(server, user["username"], device=device)
    st, _ = server.api("POST", "/login", {"username": user["username"], "password": "wrong-pw",
                                          "device": "x"})
    assert st == 401
    ids = [int(r[0]) for r in sql(server, "SELECT id FROM audit_events WHERE hash <> '' "
                                          "ORDER BY id")]
    assert len(ids) >= 5, ids
    return ids


def test_an_untouched_trail_verifies(server):
    ids = with_events(server)
    server.stop()
    r = verify(server)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(ids)} events, chain intact" in r.stdout
    assert f"newest: event {ids[-1]} " in r.stdout


def assert_broken(server, event_id, how):
    """`parley audit verify` exits 1, naming the first bad event and how it was changed."""
    r = verify(server)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"chain broken at event {event_id} (" in r.stdout
    assert how in r.stdout


def test_an_edited_row_is_reported(server):
    ids = with_events(server)
    server.stop()
    sql(server, f"UPDATE audit_events SET ip = '203.0.113.9' WHERE id = {ids[2]}")
    assert_broken(server, ids[2], "altered")


def test_a_deleted_row_is_reported(server):
    ids = with_events(server)
    server.stop()
    sql(server, f"DELETE FROM audit_events WHERE id = {ids[2]}")
    assert_broken(server, ids[3], "removed")


def test_two_swapped_rows_are_reported(server):
    ids = with_events(server)
    server.stop()
    a, b = ids[1], ids[2]
    cols = ", ".join(COLUMNS)
    rows = {int(r[0]): r[1:] for r in sql(server, f"SELECT id, {cols} FROM audit_events "
                                                   f"WHERE id IN ({a}, {b})")}
    for target, source in ((a, b), (b, a)):
        sets = ", ".join(f"{c} = {quoted(v)}" for c, v in zip(COLUMNS, rows[source]))
        sql(server, f"UPDATE audit_events SET {sets} WHERE id = {target}")
    assert_broken(server, a, "reordered")


def test_a_row_stripped_of_its_hash_is_reported(server):
    ids = with_events(server)
    server.stop()
    sql(server, f"UPDATE audit_events SET prev_hash = '', hash = '' WHERE id = {ids[1]}")
    assert_broken(server, ids[1], "unchained")


def test_verify_help_and_bad_usage(server):
    r = subprocess.run([str(server.binary), "audit", "verify", "--help"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "usage: parley audit verify" in r.stdout
    r = subprocess.run([str(server.binary), "audit"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage: parley audit verify" in r.stderr
