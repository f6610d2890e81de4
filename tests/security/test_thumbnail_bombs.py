"""Finding 6: the thumbnail memory budget counted uploaded bytes, not decoded pixels. A
381 KB interlaced 16-bit PNG raised the server's RSS by 475 MiB, and eight of them held
another user's upload for 16.7 s behind the single thumbnail thread. Now the decoded size
(width × height × bands × bytes per band) is checked from the header before decoding, with
a smaller limit for interlaced images, and thumbnail jobs are taken fairly between users:
another user's upload waits only for the job running when it arrives, at most
--thumbnail-wait-ms."""
from __future__ import annotations

import functools
import threading
import time

import pytest

from upload_attacks import (
    black_png, metric, owner_with_room, small_png, upload, vm_hwm_kib,
)

MIB = 1024 * 1024


@functools.lru_cache(maxsize=None)
def interlaced_bomb() -> bytes:
    # 7000 × 7000 RGBA, 16 bits a band: 49 M pixels (under --max-pixels' 50 M), 392 MB
    # decoded, a few hundred KB on the wire: the shape of the reported attack.
    return black_png(7000, 7000, colour_type=6, bit_depth=16, interlaced=True)


@functools.lru_cache(maxsize=None)
def slow_but_allowed() -> bytes:
    # 7000 × 7000 grey, 8 bits, not interlaced: 49 MB decoded, within every limit, and a
    # second or so of decoding each: what a patient attacker queues.
    return black_png(7000, 7000, colour_type=0, bit_depth=8, interlaced=False)


@pytest.mark.timeout_s(120)
def test_decompression_bombs_do_not_raise_the_servers_memory(server_factory):
    server = server_factory(extra=["--max-upload", str(8 * MIB), "--upload-rate", "0",
                                   "--uploads-in-flight-per-user", "8",
                                   "--thumbnail-queue-per-user", "8"])
    token, room = owner_with_room(server, "bomber")
    bomb = interlaced_bomb()
    assert len(bomb) < 1 * MIB
    before = vm_hwm_kib(server)
    # Eight at once, as reported; a 16-bit RGBA non-interlaced one of 512 MB too.
    variants = [black_png(7000, 7000, 6, 16, True, tag=str(i).encode()) for i in range(7)]
    variants += [black_png(8000, 8000, 6, 16, False)]
    results: list = [None] * len(variants)

    def send(i):
        results[i] = upload(server, token, room, variants[i], f"bomb{i}.png", timeout=60)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(variants))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(100)
    for r in results:
        assert r is not None and r.status == 201, r
    kept = [r.json["file"] for r in results]
    for f in kept:  # stored as files, without a thumbnail
        assert f["mime"] == "image/png" and f["thumbnail"] is False
    grown_mib = (vm_hwm_kib(server) - before) / 1024
    # Before the fix one such image alone raised it by 475 MiB.
    assert grown_mib < 64, f"peak RSS grew by {grown_mib:.0f} MiB"
    assert metric(server, "parley_thumbnails_refused_total") >= len(kept)


def test_an_interlaced_image_within_the_limit_still_gets_a_thumbnail(server_factory):
    server = server_factory()
    token, room = owner_with_room(server, "painter")
    r = upload(server, token, room, black_png(600, 400, 2, 8, True), "small.png")
    assert r.status == 201, r
    assert r.json["file"]["thumbnail"] is True


@pytest.mark.timeout_s(120)
def test_another_users_upload_is_answered_while_the_attackers_thumbnails_queue(
        server_factory):
    # The attacker may queue many jobs and every upload waits for its own thumbnail, so
    # only fairness can answer the victim first.
    server = server_factory(extra=["--thumbnail-queue-per-user", "8",
                                   "--uploads-in-flight-per-user", "8",
                                   "--thumbnail-wait-ms", "100000", "--upload-rate", "0"])
    attacker, a_room = owner_with_room(server, "flooder")
    victim, v_room = owner_with_room(server, "victim")
    image = slow_but_allowed()
    n = 6
    answered: list = []  # attacker answers, in arrival order
    lock = threading.Lock()

    def send(i):
        # Each answer waits for its own thumbnail, behind the others: a long client bound.
        r = upload(server, attacker, a_room, image + b"\x00" * i, f"slow{i}.png", timeout=100)
        with lock:
            answered.append(r.status)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    # Wait (bounded) until the attacker has jobs queued behind the one running.
    deadline = time.monotonic() + 60
    while metric(server, "parley_thumbnail_jobs_queued") < 3:
        assert time.monotonic() < deadline, "the attacker's jobs never queued"
        time.sleep(0.05)  # polling the server's own state, bounded above
    r = upload(server, victim, v_room, small_png(), "mine.png")
    with lock:
        attacker_done = len(answered)
    queued_after = metric(server, "parley_thumbnail_jobs_queued")
    for t in threads:
        t.join(100)
    assert r.status == 201, r
    assert r.json["file"]["thumbnail"] is True  # made, not skipped
    # The victim was answered while the attacker's jobs were still queued, not after them.
    assert attacker_done < n, "the victim's upload waited for every attacker thumbnail"
    assert queued_after >= 1
    assert answered == [201] * n
