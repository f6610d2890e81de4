"""Deleting a room destroys its keys (docs/security.md, "Deleting a room"; docs/api.md).

`DELETE /api/v1/rooms/{id}` (owner or server admin) and `parley admin delete-room ID`
crypto-shred a room: its keys are destroyed first, so nothing of it opens again, not even
from a backup taken before the deletion and restored with the current keyring; its rows and
blobs are then removed in the background. Members get a `room_deleted` frame, later reads
404, and the deletion is in the audit trail. Callers who may not see the room get the
answer a room that does not exist gets, byte for byte.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

import backends
from parley_client import (
    GOOD_ORIGIN, WS, Server, add_member, assert_error, create_room, history, http_request,
    parley_bin, post_message, register_and_login, run,
)

embedded_only = pytest.mark.skipif(backends.scaled(), reason="the embedded default's backup")


def parley(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(parley_bin()), *args], capture_output=True, text=True,
                          timeout=timeout)


def png_bytes(width: int, height: int) -> bytes:
    import io
    from PIL import Image
    img = Image.new("RGB", (width, height))
    for x in range(0, width, 7):
        img.putpixel((x, x % height), (255, x % 256, 0))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def upload(server: Server, token: str, room: int, data: bytes, name: str) -> dict:
    r = http_request("127.0.0.1", server.port, "POST",
                     f"/api/v1/rooms/{room}/files?name={quote(name)}", body=data,
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/octet-stream"})
    assert r.status == 201, r
    return r.json["file"]


def fetch(server: Server, token: str, room: int, file_id: str, thumb: bool = False):
    path = f"/api/v1/rooms/{room}/files/{file_id}" + ("/thumbnail" if thumb else "")
    return http_request("127.0.0.1", server.port, "GET", path,
                        headers={"Authorization": f"Bearer {token}"})


def blob_names(data_dir: Path) -> set[str]:
    objects = data_dir / "blobs" / "objects"
    return {p.name for p in objects.iterdir()} if objects.is_dir() else set()


def wait_until(what: str, check, timeout: float = 15.0) -> None:
    """Polls `check` (a cheap read) until it holds; the purge runs in the background."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def filled_room(server: Server, owner: str, name: str, words: str) -> tuple[int, dict]:
    room = create_room(server, owner, name, public=False)["id"]
    for i in range(3):
        post_message(server, owner, room, f"{words} {i}")
    f = upload(server, owner, room, png_bytes(400, 300), f"{name}.png")
    return room, f  # f["thumbnail"]: made unless the node was too busy to make it in time


@pytest.mark.timeout_s(90)
def test_delete_answers_and_refusals(server_factory):
    server = server_factory()
    ta, _ = register_and_login(server, "alice")
    tb, bob = register_and_login(server, "bob")
    tc, _ = register_and_login(server, "carol")
    room = create_room(server, ta, "doomed", public=False)["id"]
    add_member(server, ta, room, bob["username"])
    post_message(server, ta, room, "doomed words")
    public = create_room(server, ta, "open", public=True)["id"]

    assert_error(server.api("DELETE", f"/rooms/{room}", token=tb), 403, "forbidden")
    assert_error(server.api("DELETE", f"/rooms/{public}", token=tc), 403, "not_member")
    hidden = server.request("DELETE", f"/rooms/{room}", token=tc)
    missing = server.request("DELETE", "/rooms/987654321", token=tc)
    assert (hidden.status, hidden.body) == (missing.status, missing.body) and hidden.status == 404
    assert_error(server.api("DELETE", f"/rooms/{room}"), 401, "unauthorized")
    bad = server.request("DELETE", "/rooms/abc", token=ta)
    assert bad.status in (400, 404), bad  # as every /rooms/{id} route answers a bad id
    assert history(server, ta, room)["messages"]  # none of that changed anything

    async def deleted_frame():
        async with WS(server, tb) as ws:
            await ws.hello()
            st, _ = server.api("DELETE", f"/rooms/{room}", token=ta)
            assert st == 204
            return await ws.recv_until(lambda f: f.get("type") == "room_deleted")
    frame = run(deleted_frame())
    assert frame == {"type": "room_deleted", "room": room}

    for token in (ta, tb, tc):
        gone = server.request("GET", f"/rooms/{room}/messages", token=token)
        never = server.request("GET", "/rooms/987654321/messages", token=token)
        assert (gone.status, gone.body) == (never.status, never.body) and gone.status == 404
    assert_error(server.api("GET", f"/rooms/{room}", token=ta), 404, "not_found")
    assert_error(server.api("DELETE", f"/rooms/{room}", token=ta), 404, "not_found")
    assert_error(server.api("POST", f"/rooms/{room}/messages",
                            {"text": "x", "client_msg_id": "late-1"}, token=ta), 404, "not_found")
    st, js = server.api("GET", "/rooms", token=tb)
    assert room not in [r["id"] for r in js["rooms"]]
    st, js = server.api("GET", "/audit", token=ta)
    assert any(e["kind"] == "room_deleted" and f"room {room}," in e["detail"]
               for e in js["events"]), js


def test_a_server_admin_deletes_a_room_it_is_not_in(server_factory):
    # Both kinds of server admin: the Store's role (create-user --admin) and `--admin NAME`.
    from parley_client import login, register, unique
    from people import create_user, try_login
    chief = unique("chief")
    server = server_factory(extra=["--admin", chief])
    ta, _ = register_and_login(server, "alice")
    register(server, chief)
    tc = login(server, chief)["token"]
    create_user(server, "root", "--admin")
    st, js = try_login(server, "root")
    assert st == 200, js
    tr = js["token"]
    for token in (tc, tr):
        room = create_room(server, ta, "private", public=False)["id"]
        post_message(server, ta, room, "words")
        st, js = server.api("DELETE", f"/rooms/{room}", token=token)
        assert st == 204, js
        assert_error(server.api("GET", f"/rooms/{room}", token=ta), 404, "not_found")


@embedded_only
@pytest.mark.timeout_s(120)
def test_a_backup_from_before_the_deletion_opens_nothing_of_the_room(server_factory, tmp_path):
    server = server_factory()
    ta, _ = register_and_login(server, "alice")
    doomed, doomed_file = filled_room(server, ta, "doomed", "doomed words")
    kept, kept_file = filled_room(server, ta, "kept", "kept words")
    cli_room, cli_file = filled_room(server, ta, "by-cli", "cli words")
    blobs_before = blob_names(server.data_dir)

    backup = tmp_path / "backup"
    done = parley("backup", str(backup), "--data-dir", str(server.data_dir))
    assert done.returncode == 0, done.stderr

    assert server.api("DELETE", f"/rooms/{doomed}", token=ta)[0] == 204
    done = parley("admin", "delete-room", str(cli_room), "--data-dir", str(server.data_dir))
    assert done.returncode == 0, done.stderr
    assert "deleted" in done.stdout
    assert_error(server.api("GET", f"/rooms/{cli_room}/messages", token=ta), 404, "not_found")
    # The rows and blobs go in the background: the API's deletion starts a purge at once.
    wait_until("the deleted room's blobs to go",
               lambda: not any(doomed_file["id"] in n for n in blob_names(server.data_dir)))
    assert any(kept_file["id"] in n for n in blob_names(server.data_dir))
    assert len(blobs_before) > len(blob_names(server.data_dir))
    server.stop()

    # The pre-deletion backup, restored with the keyring as it is now (the master keys and the
    # room secrets file, which the backup does not hold): the other rooms open, nothing of
    # the deleted ones does.
    restored = tmp_path / "restored"
    done = parley("restore", str(backup), "--data-dir", str(restored))
    assert done.returncode == 0, done.stderr
    for name in ("keyring.json", "keyring-scopes.json"):
        shutil.copy2(server.data_dir / name, restored / name)
    node = Server(restored, tmp_path, ["--allowed-origin", GOOD_ORIGIN], binary=parley_bin())
    try:
        node.start()
        texts = [m["text"] for m in history(node, ta, kept)["messages"]]
        assert texts == [f"kept words {i}" for i in range(3)]
        assert fetch(node, ta, kept, kept_file["id"]).status == 200
        if kept_file["thumbnail"]:
            assert fetch(node, ta, kept, kept_file["id"], thumb=True).status == 200
        for room, f, words in ((doomed, doomed_file, b"doomed words"),
                               (cli_room, cli_file, b"cli words")):
            r = node.request("GET", f"/rooms/{room}/messages", token=ta)
            assert r.status >= 400 and words not in r.body, r
            assert fetch(node, ta, room, f["id"]).status >= 400
            assert fetch(node, ta, room, f["id"], thumb=True).status >= 400
            send = node.request("POST", f"/rooms/{room}/messages",
                                {"text": "resurrected?", "client_msg_id": f"r-{room}"}, token=ta)
            assert send.status >= 400, send  # no new key is ever made for a destroyed room
    finally:
        node.stop()


@pytest.mark.timeout_s(90)  # seven runs of the command line
def test_delete_room_command_line(server_factory, tmp_path):
    done = parley("admin", "delete-room", "--help")
    assert done.returncode == 0 and "usage: parley admin delete-room ROOM_ID" in done.stdout
    for bad in ("abc", "0", "-3", "12x"):
        done = parley("admin", "delete-room", bad, "--data-dir", str(tmp_path / "d"))
        assert done.returncode == 2 and "ROOM_ID must be a positive integer" in done.stderr, bad
    server = server_factory()
    ta, _ = register_and_login(server, "alice")
    room = create_room(server, ta, "doomed", public=False)["id"]
    post_message(server, ta, room, "doomed words")
    store = ["--data-dir", str(server.data_dir), *server.args]  # the same store and keys
    done = parley("admin", "delete-room", "987654321", *store)
    assert done.returncode == 1 and "no such room" in done.stderr, done
    done = parley("admin", "delete-room", str(room), *store)
    assert done.returncode == 0, done.stderr
    assert_error(server.api("GET", f"/rooms/{room}/messages", token=ta), 404, "not_found")
    done = parley("admin", "delete-room", str(room), *store)
    assert done.returncode == 1 and "no such room" in done.stderr, done
