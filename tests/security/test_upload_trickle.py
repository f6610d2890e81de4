"""Finding 9: an upload body trickled at a byte every few seconds was never cut (only a
30 s timeout per read), and uploads in flight per user were not capped. Now a body must
keep a minimum average rate after a grace period (--upload-min-rate, --upload-grace-ms),
and uploads in flight are capped per user and per node."""
from __future__ import annotations

import threading
import time

import pytest

from parley_client import assert_error
from upload_attacks import (
    metric, open_upload, owner_with_room, read_interim_or_final, read_response, upload,
    wait_closed, wait_for_metric,
)

SLOW = ["--upload-grace-ms", "500", "--upload-min-rate", "2000"]


def trickle(sock, payload: bytes, every_s: float, stop: threading.Event) -> None:
    """The attacker: sends `payload` a piece at a time until the server hangs up."""
    for i in range(len(payload)):
        if stop.wait(every_s):
            return
        try:
            sock.send(payload[i:i + 1])
        except OSError:
            return


@pytest.mark.parametrize("shape", ["one_byte_per_200ms", "steady_but_slow", "headers_only",
                                   "chunked"])
def test_a_trickled_body_is_cut(server_factory, shape):
    server = server_factory(extra=SLOW)
    token, room = owner_with_room(server, "trickler")
    if shape == "chunked":
        sock = open_upload(server, token, room, None)
        payload = b"1\r\nx\r\n" * 1000
    else:
        sock = open_upload(server, token, room, 100_000)
        payload = b"x" * 100_000
    stop = threading.Event()
    every = {"one_byte_per_200ms": 0.2, "steady_but_slow": 0.01, "chunked": 0.05}.get(shape)
    t = None
    if every is not None:  # headers_only sends nothing after its headers
        t = threading.Thread(target=trickle, args=(sock, payload, every, stop), daemon=True)
        t.start()
    try:
        wait_closed(sock, bound_s=15)  # far less than the 30 s idle timeout it used to rely on
    finally:
        stop.set()
        sock.close()
        if t:
            t.join(5)
    wait_for_metric(server, "parley_uploads_too_slow_total", 1)
    assert metric(server, "parley_uploads_total") == 0
    # The server is fine and a normal upload at full speed passes the same rule.
    assert upload(server, token, room, b"y" * 300_000).status == 201


def test_a_fast_upload_is_not_cut_by_the_minimum_rate(server_factory):
    server = server_factory(extra=SLOW + ["--max-upload", str(8 << 20)])
    token, room = owner_with_room(server, "fast")
    assert upload(server, token, room, b"z" * (8 << 20)).status == 201
    assert metric(server, "parley_uploads_too_slow_total") == 0


def admitted(server, token, room):
    """An upload whose headers were admitted (the server said 100 Continue) and whose body
    is still being read: it holds its place in flight."""
    s = open_upload(server, token, room, 1000, expect_continue=True)
    assert read_interim_or_final(s) == 100
    s.sendall(b"h" * 10)
    return s


def test_uploads_in_flight_are_capped_per_user(server_factory):
    server = server_factory(extra=["--uploads-in-flight-per-user", "2",
                                   "--upload-grace-ms", "60000"])
    token, room = owner_with_room(server, "hog")
    held = [admitted(server, token, room) for _ in range(2)]
    try:
        third = open_upload(server, token, room, 1000, expect_continue=True)
        r = read_response(third)  # answered without a 100 Continue: refused unread
        third.close()
        assert_error(r, 429, "rate_limited")
        assert r.headers.get("Retry-After") is not None
        other, other_room = owner_with_room(server, "bystander")
        assert upload(server, other, other_room, b"fine").status == 201
        # When one of the two ends, the hog may start another.
        held[0].sendall(b"h" * 990)
        assert read_response(held[0]).status == 201
        assert upload(server, token, room, b"again").status == 201
    finally:
        for s in held:
            s.close()


def test_uploads_in_flight_are_capped_per_node(server_factory):
    server = server_factory(extra=["--uploads-in-flight", "2", "--upload-grace-ms", "60000",
                                   "--upload-rate", "0"])
    held = []
    try:
        for name in ("n1", "n2"):
            token, room = owner_with_room(server, name)
            held.append(admitted(server, token, room))
        token, room = owner_with_room(server, "n3")
        s = open_upload(server, token, room, 1000, expect_continue=True)
        r = read_response(s)
        s.close()
        assert_error(r, 503, "busy")
        assert r.headers.get("Retry-After") is not None
    finally:
        for s in held:
            s.close()
    # Connections gone: their places are given back.
    deadline = time.monotonic() + 10
    while upload(server, token, room, b"x").status != 201:
        assert time.monotonic() < deadline, "in-flight places were not given back"
