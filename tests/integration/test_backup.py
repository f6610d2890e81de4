"""`parley backup DIR` and `parley restore DIR` (docs/operations.md, "Backup and restore").

A backup taken while a server writes is one consistent point: a restored room holds a
gapless prefix of what was acknowledged, at least everything acknowledged before the backup
began, and its files, sessions and tokens work on a server started on the restored data.
Bad inputs (no directory, a non-empty target, a damaged backup) exit non-zero with one clear
line and change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

import backends
from parley_client import (
    GOOD_ORIGIN, Server, create_room, history, http_request, join, login, parley_bin,
    post_message, register, send_rest, unique,
)

embedded_only = pytest.mark.skipif(backends.scaled(), reason="the embedded default's backup")


def parley(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(parley_bin()), *args], capture_output=True, text=True,
                          timeout=timeout)


def tree(path: Path) -> dict[str, str]:
    """Every entry under `path` (and its siblings' names), with each file's SHA-256."""
    out = {"..": ",".join(sorted(p.name for p in path.parent.iterdir()))}
    for p in sorted(path.rglob("*")):
        out[str(p.relative_to(path))] = hashlib.sha256(p.read_bytes()).hexdigest() \
            if p.is_file() else "dir"
    return out


def upload(server: Server, token: str, room: int, data: bytes, name: str) -> dict:
    r = http_request("127.0.0.1", server.port, "POST",
                     f"/api/v1/rooms/{room}/files?name={quote(name)}", body=data,
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/octet-stream"})
    assert r.status == 201, r
    return r.json["file"]


def download(server: Server, token: str, room: int, file_id: str) -> bytes:
    r = http_request("127.0.0.1", server.port, "GET", f"/api/v1/rooms/{room}/files/{file_id}",
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200, r
    return r.body


def sessions(server: Server, token: str) -> list[int]:
    st, js = server.api("GET", "/sessions", token=token)
    assert st == 200, (st, js)
    return sorted(s["id"] for s in js["sessions"])


class Sender(threading.Thread):
    """Posts numbered messages until stopped (at most `limit`), keeping every ack."""

    def __init__(self, server: Server, token: str, room: int, limit: int = 150):
        super().__init__(daemon=True)
        self.server, self.token, self.room, self.limit = server, token, room, limit
        self.acked: list[tuple[int, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.acked) < self.limit:
            text = f"during-{len(self.acked)}"
            self.acked.append((post_message(self.server, self.token, self.room, text)["seq"], text))


@embedded_only
@pytest.mark.timeout_s(120)
def test_a_backup_taken_while_writing_restores_every_message_file_and_session(
        server, tmp_path):
    alice, bob = unique("bka"), unique("bkb")
    register(server, alice)
    register(server, bob)
    ta = login(server, alice, device="laptop")["token"]
    ta2 = login(server, alice, device="phone")["token"]
    tb = login(server, bob)["token"]
    room = create_room(server, ta, "kept")["id"]
    private = create_room(server, ta, "secret", public=False)["id"]
    join(server, tb, room)
    data = os.urandom(300_000)
    f = upload(server, ta, room, data, "kept.bin")
    st, js = send_rest(server, ta, room, "with a file", files=[f["id"]])
    assert st == 201, (st, js)
    post_message(server, ta, private, "private words")
    before = [(m["seq"], m["text"]) for m in history(server, ta, room, limit=200)["messages"]]
    alice_sessions = sessions(server, ta)

    sender = Sender(server, tb, room)
    sender.start()
    target = tmp_path / "backup"
    done = parley("backup", str(target), "--data-dir", str(server.data_dir))
    sender.stop.set()
    sender.join(30)
    assert done.returncode == 0, done.stderr
    assert "backup written to" in done.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for p in target.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p

    restored = tmp_path / "restored"
    done = parley("restore", str(target), "--data-dir", str(restored))
    assert done.returncode == 0, done.stderr
    # The rooms' shred secrets are not in a backup (docs/operations.md, "A restore from
    # before a deletion"): the operator brings the newest copy.
    assert not (target / "keyring-scopes.json").exists()
    shutil.copy2(server.data_dir / "keyring-scopes.json", restored / "keyring-scopes.json")
    node = Server(restored, tmp_path, ["--allowed-origin", GOOD_ORIGIN], binary=parley_bin())
    try:
        node.start()
        got = [(m["seq"], m["text"]) for m in history(node, ta, room, limit=200)["messages"]]
        # One point in time: everything before the backup, then a gapless prefix of the
        # messages acknowledged while it ran.
        assert got[:len(before)] == before
        assert got == before + sender.acked[:len(got) - len(before)]
        assert [m["text"] for m in history(node, ta, private)["messages"]] == ["private words"]
        assert download(node, tb, room, f["id"]) == data
        assert sessions(node, ta2) == alice_sessions  # every token still works
        nxt = post_message(node, tb, room, "after the restore")
        assert nxt["seq"] == got[-1][0] + 1
    finally:
        node.stop()


def backup_of(server: Server, tmp_path: Path) -> Path:
    a = unique("bkbad")
    register(server, a)
    token = login(server, a)["token"]
    room = create_room(server, token, "r")["id"]
    upload(server, token, room, b"a blob", "b.bin")
    target = tmp_path / "good"
    done = parley("backup", str(target), "--data-dir", str(server.data_dir))
    assert done.returncode == 0, done.stderr
    return target


def refused(args: list[str], code: int, words: str, unchanged: list[Path]) -> None:
    before = [tree(p) if p.exists() else None for p in unchanged]
    done = parley(*args)
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert words in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert [tree(p) if p.exists() else None for p in unchanged] == before


@embedded_only
@pytest.mark.timeout_s(90)
def test_bad_backup_arguments_are_refused_and_change_nothing(server, tmp_path):
    good = backup_of(server, tmp_path)
    data = str(server.data_dir)
    refused(["backup"], 2, "missing DIR", [])
    refused(["backup", "--data-dir", data], 2, "DIR comes first", [])
    refused(["backup", str(good), "--data-dir", data], 2, "is not empty", [good])
    refused(["backup", str(tmp_path / "new"), "--data-dir", str(tmp_path / "nothing")], 2,
            "no database at", [tmp_path / "new"])
    refused(["backup", str(tmp_path / "no" / "parent"), "--data-dir", data], 2,
            "parent directory does not exist", [tmp_path / "no"])
    refused(["restore", str(tmp_path / "absent"), "--data-dir", str(tmp_path / "t1")], 2,
            "no backup directory", [tmp_path / "t1"])
    refused(["restore", str(good), "--data-dir", data], 2, "is not empty", [server.data_dir, good])
    refused(["restore", str(good), "--data-dir", str(tmp_path / "t2"), "--blobs", "/tmp/x"], 2,
            "--blobs", [tmp_path / "t2"])


def damaged_copies(good: Path, tmp_path: Path):
    """(name, a damaged copy of the backup, the words its refusal names)."""
    def copy(name: str) -> Path:
        out = tmp_path / name
        subprocess.run(["cp", "-a", str(good), str(out)], check=True)
        return out
    flipped = copy("flipped")
    db = bytearray((flipped / "parley.db").read_bytes())
    db[len(db) // 2] ^= 0xFF
    (flipped / "parley.db").write_bytes(bytes(db))
    yield flipped, "parley.db does not match"
    no_manifest = copy("no-manifest")
    (no_manifest / "MANIFEST.json").unlink()
    yield no_manifest, "no readable MANIFEST.json"
    extra = copy("extra")
    (extra / "blobs" / "objects" / "planted").write_bytes(b"x")
    yield extra, "is not in MANIFEST.json"
    missing = copy("missing")
    blob = next((missing / "blobs" / "objects").iterdir())
    blob.unlink()
    yield missing, "is missing"
    traversal = copy("traversal")
    m = json.loads((traversal / "MANIFEST.json").read_text())
    m["files"][-1]["path"] = "../../escape"
    (traversal / "MANIFEST.json").write_text(json.dumps(m))
    yield traversal, "names the path ../../escape"
    garbage = copy("garbage")
    (garbage / "MANIFEST.json").write_text("{not json")
    yield garbage, "not a parley-backup version 1 manifest"


@embedded_only
@pytest.mark.timeout_s(120)
def test_a_damaged_backup_is_refused_and_restores_nothing(server, tmp_path):
    good = backup_of(server, tmp_path)
    for i, (bad, words) in enumerate(damaged_copies(good, tmp_path)):
        target = tmp_path / f"into{i}"
        refused(["restore", str(bad), "--data-dir", str(target)], 1, words, [bad, target])
        assert not list(tmp_path.glob(f".into{i}.partial-*")), "a staging directory was left"
    # and the good one still restores
    done = parley("restore", str(good), "--data-dir", str(tmp_path / "fine"))
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(not backends.scaled(), reason="PostgreSQL's backup is pg_dump's")
@pytest.mark.timeout_s(60)
def test_a_postgresql_store_gets_the_pg_dump_command_and_a_schema_check(server, tmp_path):
    db = server.args[server.args.index("--db") + 1]
    target = tmp_path / "pg"
    done = parley("backup", str(target), *server.args)
    assert done.returncode == 0, done.stderr
    assert "pg_dump --format=custom" in done.stdout and "schema version" in done.stdout
    password = urlsplit(db).password
    assert not password or f":{password}@" not in done.stdout + done.stderr
    assert not target.exists()  # pg_dump writes it, not parley
    refused(["restore", str(target), "--data-dir", str(tmp_path / "d"), "--db", db], 2,
            "pg_restore", [tmp_path / "d"])
