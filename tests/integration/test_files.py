"""Files and images (docs/api.md, "Files"): upload, attach, download whole and by range,
who may read, limits, integrity, lifetime and what lies at rest. Runs on the embedded
default (blobs in <data-dir>/blobs, SQLite) and with PARLEY_BACKEND=scaled (S3 API on the
moto test server, PostgreSQL, Redis)."""
from __future__ import annotations

import io
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

import backends
from parley_client import (
    Server, add_member, assert_error, connect_ready, create_room, history, http_request, is_event,
    new_cmid, register_and_login, run, send_rest,
)

MAX_UPLOAD = 1024 * 1024
CHUNK = 64 * 1024
MARKER = b"PLAINTEXT-MARKER-f1les"


# --------------------------------------------------------------------------- helpers

def marked(n: int) -> bytes:
    """n bytes made of a repeated marker and a counter: any plaintext leak is easy to find."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += MARKER + str(i).encode()
        i += 1
    return bytes(out[:n])


def upload(server: Server, token: str, room: int, data: bytes, name: str = "file.bin",
           headers: dict | None = None):
    hdrs = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    hdrs.update(headers or {})
    path = f"/api/v1/rooms/{room}/files?name={quote(name, safe='')}"
    return http_request("127.0.0.1", server.port, "POST", path, body=data, headers=hdrs)


def uploaded(server: Server, token: str, room: int, data: bytes, name: str = "file.bin") -> dict:
    r = upload(server, token, room, data, name)
    assert r.status == 201, r
    return r.json["file"]


def download(server: Server, token: str, room: int, file_id: str, suffix: str = "",
             headers: dict | None = None, method: str = "GET"):
    hdrs = {"Authorization": f"Bearer {token}"}
    hdrs.update(headers or {})
    return http_request("127.0.0.1", server.port, method,
                        f"/api/v1/rooms/{room}/files/{file_id}{suffix}", headers=hdrs)


def attach(server: Server, token: str, room: int, ids: list[str], text: str = "") -> dict:
    st, js = send_rest(server, token, room, text, files=ids)
    assert st == 201, (st, js)
    return js["message"]


def arg(server: Server, flag: str) -> str | None:
    return server.args[server.args.index(flag) + 1] if flag in server.args else None


def stored_objects(server: Server) -> dict[str, bytes]:
    """Every blob the server keeps, by key (local files are named by key, '/' as '~')."""
    blobs = arg(server, "--blobs")
    if blobs:
        return backends.s3_objects(blobs)
    objects = server.data_dir / "blobs" / "objects"
    return {p.name.replace("~", "/"): p.read_bytes() for p in objects.iterdir() if p.is_file()}


def stored_keys(server: Server) -> set[str]:
    """The keys of every blob the server keeps, without reading them: safe while a sweep
    is deleting (stored_objects could list a key and then fail to read it)."""
    blobs = arg(server, "--blobs")
    if blobs:
        return set(backends.s3_keys(blobs))
    objects = server.data_dir / "blobs" / "objects"
    return {p.name.replace("~", "/") for p in objects.iterdir()}


def put_stored(server: Server, key: str, data: bytes) -> None:
    blobs = arg(server, "--blobs")
    if blobs:
        backends.s3_put(blobs, key, data)
    else:
        (server.data_dir / "blobs" / "objects" / key.replace("/", "~")).write_bytes(data)


def attachment_rows(server: Server) -> int:
    db = arg(server, "--db")
    if db:
        out = subprocess.run(["psql", db, "-tAc", "SELECT count(*) FROM attachments"],
                             check=True, capture_output=True, timeout=30).stdout
        return int(out.strip())
    with sqlite3.connect(f"file:{server.data_dir / 'parley.db'}?mode=ro", uri=True) as c:
        return c.execute("SELECT count(*) FROM attachments").fetchone()[0]


def files_at_rest(server: Server) -> list[bytes]:
    """What lies on disk or in the bucket: blobs, and every file of the data dir (and of
    PostgreSQL and Redis when scaled)."""
    out = list(stored_objects(server).values())
    out += [p.read_bytes() for p in Path(server.data_dir).rglob("*") if p.is_file()]
    if backends.scaled():
        out += [p.read_bytes() for p in backends.files_at_rest()]
    return out


def wait_until(pred, deadline_s: float = 20.0, what: str = "condition"):
    """Polls pred() until it is truthy, bounded (the server's sweep runs on its own clock)."""
    end = time.monotonic() + deadline_s
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def fs(server_factory):
    return server_factory(extra=["--max-upload", str(MAX_UPLOAD)])


@pytest.fixture
def trio(fs):
    """alice owns a private room with bob in it; eve is outside."""
    (ta, alice), (tb, bob), (te, eve) = [register_and_login(fs, n) for n in ("alice", "bob", "eve")]
    room = create_room(fs, ta, "files", public=False)
    add_member(fs, ta, room["id"], bob["username"])
    return fs, room["id"], (ta, alice), (tb, bob), (te, eve)


# --------------------------------------------------------------------------- tests

def test_upload_attach_and_download_whole_and_by_range(trio):
    server, room, (ta, alice), (tb, bob), _ = trio
    data = marked(3 * CHUNK + 4321)
    f = uploaded(server, ta, room, data, "notes.bin")
    assert len(f["id"]) == 22
    assert f["room"] == room and f["uploader"] == alice["id"] and f["size"] == len(data)
    assert f["name"] == "notes.bin" and f["mime"] == "text/plain"  # detected, not claimed
    assert f["image"] is None and f["thumbnail"] is False

    msg = attach(server, ta, room, [f["id"]])
    assert msg["text"] == "" and [x["id"] for x in msg["files"]] == [f["id"]]
    assert msg["files"][0]["name"] == "notes.bin"
    page = history(server, tb, room)
    assert page["messages"][-1]["files"][0]["id"] == f["id"]

    whole = download(server, tb, room, f["id"])
    assert whole.status == 200 and whole.body == data
    assert whole.headers["Content-Length"] == str(len(data))
    assert whole.headers["Content-Type"] == "application/octet-stream"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert whole.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert whole.headers["Content-Disposition"] == \
        "attachment; filename=\"notes.bin\"; filename*=UTF-8''notes.bin"

    size = len(data)
    for spec, a, b in [(f"bytes=0-{CHUNK - 1}", 0, CHUNK - 1),
                       (f"bytes={CHUNK - 10}-{CHUNK + 9}", CHUNK - 10, CHUNK + 9),
                       (f"bytes={CHUNK - 1}-{2 * CHUNK + 5}", CHUNK - 1, 2 * CHUNK + 5),
                       (f"bytes={3 * CHUNK}-", 3 * CHUNK, size - 1),
                       ("bytes=-100", size - 100, size - 1),
                       (f"bytes=5-{size + 999}", 5, size - 1)]:
        r = download(server, tb, room, f["id"], headers={"Range": spec})
        assert r.status == 206, (spec, r)
        assert r.headers["Content-Range"] == f"bytes {a}-{b}/{size}", spec
        assert r.body == data[a:b + 1], spec

    for spec in [f"bytes={size}-", "bytes=-0", f"bytes={size + 10}-{size + 20}"]:
        r = download(server, tb, room, f["id"], headers={"Range": spec})
        assert r.status == 416, (spec, r)
        assert r.headers["Content-Range"] == f"bytes */{size}"
    several = download(server, tb, room, f["id"], headers={"Range": "bytes=0-1,5-6"})
    assert several.status == 200 and several.body == data

    head = download(server, tb, room, f["id"], method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["Content-Length"] == str(size)


def test_only_members_read_and_only_the_uploader_before_attach(trio):
    server, room, (ta, _), (tb, bob), (te, _) = trio
    f = uploaded(server, ta, room, b"early bytes")
    assert_error(download(server, tb, room, f["id"]), 404, "not_found")  # not attached yet
    assert_error(download(server, te, room, f["id"]), 404, "not_found")
    assert download(server, ta, room, f["id"]).body == b"early bytes"

    # bob cannot attach alice's upload
    st, js = send_rest(server, tb, room, "mine now", files=[f["id"]])
    assert_error((st, js), 400, "invalid_file")
    attach(server, ta, room, [f["id"]], "here")
    assert download(server, tb, room, f["id"]).body == b"early bytes"

    # outsiders, guessed ids, ids of another room: all 404, no oracle
    assert_error(download(server, te, room, f["id"]), 404, "not_found")
    guessed = f["id"][:-2] + ("AA" if f["id"][-2:] != "AA" else "BB")
    assert_error(download(server, ta, room, guessed), 404, "not_found")
    assert_error(download(server, ta, room, "..%2F..%2Fetc%2Fpasswd"), 404, "not_found")
    other = create_room(server, te, "elsewhere", public=False)["id"]
    assert_error(download(server, te, other, f["id"]), 404, "not_found")
    assert_error(upload(server, te, room, b"x"), 404, "not_found")

    # a former member loses access at once
    st, _ = server.api("POST", f"/rooms/{room}/leave", token=tb)
    assert st == 204
    assert_error(download(server, tb, room, f["id"]), 404, "not_found")
    assert_error(download(server, tb, room, f["id"], "/thumbnail"), 404, "not_found")


def test_a_websocket_send_attaches_files_and_the_event_carries_them(trio):
    server, room, (ta, _), (tb, _), _ = trio
    f = uploaded(server, ta, room, b"over the socket", "ws.txt")
    bobs = uploaded(server, tb, room, b"bob's")

    async def body():
        alice = await connect_ready(server, ta, name="alice")
        bob = await connect_ready(server, tb, name="bob")
        try:
            refused = await alice.request({"type": "send", "room": room,
                                           "client_msg_id": new_cmid(), "files": [bobs["id"]]})
            assert refused["type"] == "error" and refused["code"] == "invalid_file", refused
            ack = await alice.request({"type": "send", "room": room, "client_msg_id": new_cmid(),
                                       "files": [f["id"]]})
            assert ack["type"] == "ack", ack
            frame = await bob.recv_until(is_event(room=room, seq=ack["seq"]))
            files = frame["event"]["files"]
            assert [x["id"] for x in files] == [f["id"]]
            assert files[0]["name"] == "ws.txt" and files[0]["size"] == len(b"over the socket")
        finally:
            await alice.close()
            await bob.close()
    run(body())
    assert download(server, tb, room, f["id"]).body == b"over the socket"
    assert [m["seq"] for m in history(server, tb, room)["messages"]] == [1]


def test_bad_uploads_and_attachments_are_refused_and_change_nothing(trio):
    server, room, (ta, _), (tb, _), _ = trio
    r = http_request("127.0.0.1", server.port, "POST", f"/api/v1/rooms/{room}/files",
                     body=b"x", headers={"Authorization": f"Bearer {ta}"})
    assert_error(r, 400, "bad_request")  # no name
    assert_error(upload(server, ta, room, b"x", "n" * 256), 400, "bad_request")
    r = http_request("127.0.0.1", server.port, "POST", f"/api/v1/rooms/{room}/files?name=a",
                     body=b"x")
    assert_error(r, 401, "unauthorized")
    assert attachment_rows(server) == 0
    assert stored_objects(server) == {}

    mine = uploaded(server, ta, room, b"one")
    for ids in (["nope"], [mine["id"], mine["id"]], "not-a-list", [7]):
        st, js = send_rest(server, ta, room, "x", files=ids)
        assert st == 400, (ids, st, js)
        assert js["error"]["code"] in ("invalid_file", "bad_request")
    st, js = send_rest(server, ta, room, "x", files=[mine["id"]] * 11)
    assert_error((st, js), 400, "bad_request")
    assert history(server, ta, room)["messages"] == []
    cmid = new_cmid()
    first = send_rest(server, ta, room, "", client_msg_id=cmid, files=[mine["id"]])
    again = send_rest(server, ta, room, "", client_msg_id=cmid, files=[mine["id"]])
    assert first[0] == 201 and again[0] == 200
    assert again[1]["message"]["seq"] == first[1]["message"]["seq"]
    assert again[1]["message"]["files"][0]["id"] == mine["id"]


def test_oversized_upload_gets_413_and_nothing_is_stored(trio):
    server, room, (ta, _), _, _ = trio
    before = stored_objects(server)
    assert_error(upload(server, ta, room, marked(MAX_UPLOAD + 1)), 413, "payload_too_large")

    # Without Content-Length (chunked), the limit is found while streaming.
    def chunks():
        for _ in range(MAX_UPLOAD // 65536 + 2):
            yield marked(65536)
    r = http_request("127.0.0.1", server.port, "POST",
                     f"/api/v1/rooms/{room}/files?name=big.bin", body=chunks(),
                     headers={"Authorization": f"Bearer {ta}"})  # an iterable: sent chunked
    assert_error(r, 413, "payload_too_large")
    assert stored_objects(server) == before == {}
    assert attachment_rows(server) == 0
    ok = uploaded(server, ta, room, marked(MAX_UPLOAD))  # the limit itself is allowed
    assert ok["size"] == MAX_UPLOAD
    metrics = server.request("GET", "/metrics").text
    assert "parley_upload_failures_total 2" in metrics
    assert "parley_uploads_total 1" in metrics
    assert f"parley_upload_bytes_total {MAX_UPLOAD}" in metrics


def test_a_corrupted_stored_chunk_is_detected_and_never_served(trio):
    server, room, (ta, _), (tb, _), _ = trio
    data = marked(2 * CHUNK + 77)
    f = uploaded(server, ta, room, data)
    attach(server, ta, room, [f["id"]])
    key = f"files/{f['id']}"
    stored = stored_objects(server)[key]
    flipped = bytearray(stored)
    flipped[CHUNK + 40 + 100] ^= 0x01  # inside the second sealed chunk
    put_stored(server, key, bytes(flipped))

    assert download(server, tb, room, f["id"], headers={"Range": "bytes=0-99"}).body == data[:100]
    assert_error(download(server, tb, room, f["id"]), 500, "internal")  # before any byte
    r = download(server, tb, room, f["id"], headers={"Range": f"bytes={CHUNK}-{CHUNK + 10}"})
    assert_error(r, 500, "internal")
    assert "file_integrity_failure" in server.stderr_tail(20000)
    assert "parley_file_integrity_failures_total 2" in server.request("GET", "/metrics").text


def test_a_blob_store_that_fails_answers_503_unavailable_and_records_nothing(trio):
    """docs/api.md, Files: "Blob store down: 503 unavailable, nothing recorded". Embedded: the
    blob store's staging directory becomes a plain file; scaled: the bucket is deleted."""
    server, room, (ta, _), _, _ = trio
    blobs = arg(server, "--blobs")
    if blobs:
        s3 = backends._s3(blobs)
        backends._s3_call(s3, "DELETE", "/" + s3["bucket"])  # empty: nothing was uploaded
    else:
        tmp = server.data_dir / "blobs" / "tmp"
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
        tmp.write_bytes(b"")
    assert_error(upload(server, ta, room, b"x" * 1000), 503, "unavailable")
    assert attachment_rows(server) == 0
    assert "parley_upload_failures_total 1" in server.request("GET", "/metrics").text


def test_no_plaintext_at_rest(trio):
    server, room, (ta, _), _, _ = trio
    name = "PLAINTEXT-MARKER-f1les-name.txt"
    f = uploaded(server, ta, room, marked(3 * CHUNK), name)
    attach(server, ta, room, [f["id"]], "see the file")
    assert history(server, ta, room)["messages"][0]["files"][0]["name"] == name
    for blob in files_at_rest(server):
        assert MARKER not in blob


def test_deleting_the_message_deletes_its_files(trio):
    server, room, (ta, _), (tb, _), _ = trio
    f = uploaded(server, ta, room, b"to be deleted")
    kept = uploaded(server, ta, room, b"kept")
    msg = attach(server, ta, room, [f["id"]])
    assert f"files/{f['id']}" in stored_objects(server)
    st, _ = server.api("DELETE", f"/rooms/{room}/messages/{msg['seq']}", token=ta)
    assert st == 200
    assert_error(download(server, ta, room, f["id"]), 404, "not_found")
    assert_error(download(server, tb, room, f["id"]), 404, "not_found")
    assert f"files/{f['id']}" not in stored_objects(server)
    assert download(server, ta, room, kept["id"]).body == b"kept"
    assert history(server, tb, room)["messages"][0]["files"] == []


def test_unattached_uploads_are_removed_after_the_ttl(server_factory):
    server = server_factory(extra=["--upload-ttl", "1"])
    ta, _ = register_and_login(server, "alice")
    room = create_room(server, ta, "ttl", public=False)["id"]
    gone = uploaded(server, ta, room, b"never attached")
    wait_until(lambda: f"files/{gone['id']}" not in stored_keys(server), 20, "the sweep")
    assert_error(download(server, ta, room, gone["id"]), 404, "not_found")
    assert attachment_rows(server) == 0


def test_content_disposition_is_sanitised(trio):
    server, room, (ta, _), _, _ = trio
    hostile = '../../etc/passwd\r\n"x.png'
    f = uploaded(server, ta, room, b"not really a png", hostile)
    assert f["name"] == hostile  # kept as given, sanitised only where it is a header
    r = download(server, ta, room, f["id"])
    cd = r.headers["Content-Disposition"]
    assert cd == "attachment; filename=\"passwdx.png\"; filename*=UTF-8''passwdx.png", cd
    unicode = uploaded(server, ta, room, b"x", "r\u00e9sum\u00e9 \u202egnp.exe")
    cd = download(server, ta, room, unicode["id"], "?download=1").headers["Content-Disposition"]
    assert cd == ("attachment; filename=\"r_sum_ gnp.exe\"; "
                  "filename*=UTF-8''r%C3%A9sum%C3%A9%20gnp.exe"), cd



def png_bytes(width: int, height: int) -> bytes:
    from PIL import Image
    img = Image.new("RGB", (width, height))
    for x in range(0, width, 7):  # some content, so the encoder has work to do
        img.putpixel((x, x % height), (255, x % 256, 0))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(width: int, height: int) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def pixel_bomb_png(width: int = 100000, height: int = 100000) -> bytes:
    """A valid PNG header claiming width x height pixels, with almost no data behind it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_images_get_a_thumbnail_served_like_a_file(trio, kind):
    from PIL import Image
    server, room, (ta, _), (tb, _), (te, _) = trio
    data = png_bytes(800, 600) if kind == "png" else jpeg_bytes(640, 960)
    f = uploaded(server, ta, room, data, f"picture.{kind}")
    assert f["mime"] == f"image/{kind}"
    assert f["image"] == ({"width": 800, "height": 600} if kind == "png"
                          else {"width": 640, "height": 960})
    assert f["thumbnail"] is True
    attach(server, ta, room, [f["id"]])

    whole = download(server, tb, room, f["id"])
    assert whole.body == data
    assert whole.headers["Content-Type"] == f"image/{kind}"
    assert whole.headers["Content-Disposition"].startswith("inline;")
    forced = download(server, tb, room, f["id"], "?download=1")
    assert forced.headers["Content-Disposition"].startswith("attachment;")

    thumb = download(server, tb, room, f["id"], "/thumbnail")
    assert thumb.status == 200, thumb
    assert thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.headers["Content-Disposition"].startswith("inline;")
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    img = Image.open(io.BytesIO(thumb.body))
    assert img.format == "JPEG"
    assert max(img.size) == 320
    if kind == "png":
        assert img.size == (320, 240)
    else:
        assert img.size[1] == 320 and img.size[0] in (213, 214)
    part = download(server, tb, room, f["id"], "/thumbnail", headers={"Range": "bytes=0-9"})
    assert part.status == 206 and part.body == thumb.body[:10]
    assert_error(download(server, te, room, f["id"], "/thumbnail"), 404, "not_found")
    for blob in stored_objects(server).values():  # the thumbnail is sealed too
        assert thumb.body[:64] not in blob


def test_a_pixel_bomb_gets_no_thumbnail(trio):
    server, room, (ta, _), _, _ = trio
    f = uploaded(server, ta, room, pixel_bomb_png(), "bomb.png")
    assert f["mime"] == "image/png"
    assert f["thumbnail"] is False and f["image"] is None
    assert_error(download(server, ta, room, f["id"], "/thumbnail"), 404, "not_found")
    assert download(server, ta, room, f["id"]).body == pixel_bomb_png()  # still a file
    assert "parley_thumbnails_refused_total 1" in server.request("GET", "/metrics").text
