"""Finding 5: uploads had no quota. One user wrote 70-100 MB/s of unattached files, kept
for a day, until the disk was full. Now every upload is admitted before its body is read:
unattached uploads per user (count and bytes, counted in the Store), bytes per UTC day and
uploads per minute (counters in the Cache, shared by every node). A body without
Content-Length is counted as it streams and cut when it passes."""
from __future__ import annotations

import pytest

import backends
from parley_client import Server, assert_error, parley_bin, register_and_login, send_rest
from upload_attacks import metric, open_upload, owner_with_room, read_response, upload

KIB = 1024


def uploaded_id(server, token, room, data) -> str:
    r = upload(server, token, room, data)
    assert r.status == 201, r
    return r.json["file"]["id"]


def refused_before_body(server, token, room, length, status, code) -> dict:
    """Sends only the headers of an upload of `length` bytes: the answer must come without
    a byte of the body, and say why."""
    s = open_upload(server, token, room, length)
    try:
        r = read_response(s)
    finally:
        s.close()
    assert_error(r, status, code)
    return {"message": r.json["error"]["message"], "retry_after": r.headers.get("Retry-After")}


def test_unattached_upload_count_is_capped_per_user(server_factory):
    server = server_factory(extra=["--upload-quota-files", "3"])
    token, room = owner_with_room(server, "hoarder")
    ids = [uploaded_id(server, token, room, b"x" * 10) for _ in range(3)]
    for length in (1, 50 * KIB * KIB):  # tiny or huge, the fourth is refused unread
        got = refused_before_body(server, token, room, length, 413, "payload_too_large")
        assert got["message"].startswith("quota_exceeded: ")
    chunked = upload(server, token, room, iter([b"y" * 10]))  # chunked: same answer
    assert_error(chunked, 413, "payload_too_large")
    # Attaching frees a place; another user has their own.
    assert send_rest(server, token, room, "here", files=[ids[0]])[0] == 201
    assert upload(server, token, room, b"z").status == 201
    other, other_room = owner_with_room(server, "neighbour")
    assert upload(server, other, other_room, b"z").status == 201


def test_unattached_bytes_are_capped_declared_or_streamed(server_factory):
    server = server_factory(extra=["--upload-quota-mib", "1", "--upload-quota-files", "0"])
    token, room = owner_with_room(server, "filler")
    uploaded_id(server, token, room, b"a" * (700 * KIB))
    got = refused_before_body(server, token, room, 400 * KIB, 413, "payload_too_large")
    assert got["message"].startswith("quota_exceeded: ")
    # Chunked: nothing declares the size, so the stream is cut once it passes, and nothing
    # of it is kept.
    assert metric(server, "parley_uploads_total") == 1
    cut = upload(server, token, room, iter([b"b" * (64 * KIB)] * 8))
    assert_error(cut, 413, "payload_too_large")
    assert cut.json["error"]["message"].startswith("quota_exceeded: ")
    assert metric(server, "parley_uploads_total") == 1
    assert upload(server, token, room, b"c" * (300 * KIB)).status == 201  # what is left fits


def test_bytes_per_day_hold_after_attaching_and_say_when_to_retry(server_factory):
    server = server_factory(extra=["--upload-daily-mib", "1", "--upload-quota-mib", "0"])
    token, room = owner_with_room(server, "daily")
    fid = uploaded_id(server, token, room, b"d" * (700 * KIB))
    assert send_rest(server, token, room, "", files=[fid])[0] == 201  # attached: still counted
    got = refused_before_body(server, token, room, 400 * KIB, 413, "payload_too_large")
    assert got["message"].startswith("quota_exceeded: ")
    assert got["retry_after"] is not None and 1 <= int(got["retry_after"]) <= 86400
    assert_error(upload(server, token, room, iter([b"e" * (64 * KIB)] * 8)), 413,
                 "payload_too_large")
    assert upload(server, token, room, b"f" * (300 * KIB)).status == 201


def test_upload_rate_per_minute_is_refused_with_retry_after(server_factory):
    server = server_factory(extra=["--upload-rate", "3"])
    token, room = owner_with_room(server, "rapid")
    for _ in range(3):
        uploaded_id(server, token, room, b"r")
    got = refused_before_body(server, token, room, 1, 429, "rate_limited")
    assert got["retry_after"] is not None and 1 <= int(got["retry_after"]) <= 60
    other, other_room = owner_with_room(server, "calm")
    assert upload(server, other, other_room, b"r").status == 201


def test_refusals_change_nothing_and_defaults_are_on(server_factory):
    """With no flags the quotas are on: 101 tiny unattached uploads are not all kept."""
    server = server_factory(extra=["--upload-rate", "0"])
    token, room = owner_with_room(server, "defaults")
    statuses = [upload(server, token, room, b"q").status for _ in range(101)]
    assert statuses[:100] == [201] * 100
    assert statuses[100] == 413
    assert metric(server, "parley_uploads_total") == 100


@pytest.mark.timeout_s(60)
def test_quotas_hold_across_nodes(tmp_path):
    """Two nodes on one PostgreSQL, Redis and bucket: what one node counted, the other sees."""
    if not backends.scaled():
        pytest.skip("several nodes need the scaled backend (PARLEY_BACKEND=scaled)")
    shared = backends.scaled_args() + ["--upload-daily-mib", "1", "--upload-quota-files", "2",
                                       "--upload-quota-mib", "0"]
    nodes = [Server(tmp_path / f"node{i}", tmp_path, shared, binary=parley_bin()).start()
             for i in range(2)]
    try:
        a, b = nodes
        token, room = owner_with_room(a, "roamer")
        uploaded_id(a, token, room, b"1" * (700 * KIB))
        # Bytes per day: counted in Redis by node a, refused by node b.
        got = refused_before_body(b, token, room, 400 * KIB, 413, "payload_too_large")
        assert "day" in got["message"]
        # Unattached count: the Store's rows, whichever node wrote them.
        uploaded_id(b, token, room, b"2")
        refused_before_body(a, token, room, 1, 413, "payload_too_large")
    finally:
        for n in nodes:
            n.stop()
        backends.drop_database(shared[1])
