#!/usr/bin/env python3
"""Suggestion latency (issue #13: p99 <= 20 ms as the user types): a fresh server, one user in
ROOMS rooms, MESSAGES messages of a Zipf vocabulary, then GET /search/suggest for random
1-4 letter prefixes of vocabulary words over one keep-alive connection; prints p50/p99.

  PARLEY_BIN=build/release/src/app/parley python3 bench/suggest_latency.py [MESSAGES] [ROOMS]
"""
from __future__ import annotations

import http.client
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from parley_client import Server, create_room, parley_bin, register_and_login  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rooms_n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rng = random.Random(7)
    vocab = vocabulary(5000, rng)
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf, s = 1
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data", Path(tmp),
                        ["--send-rate", "100000000", "--search-suggest-rate", "100000000"],
                        binary=parley_bin())
        server.start()
        try:
            token, _ = register_and_login(server, "bench")
            rooms = [create_room(server, token, f"room{i}")["id"] for i in range(rooms_n)]
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            t0 = time.monotonic()
            for i in range(messages):
                text = " ".join(rng.choices(vocab, weights, k=12))
                body = json.dumps({"text": text, "client_msg_id": f"b{i}"})
                conn.request("POST", f"/api/v1/rooms/{rooms[i % rooms_n]}/messages", body, headers)
                r = conn.getresponse()
                r.read()
                assert r.status in (200, 201), r.status
            sent_s = time.monotonic() - t0
            # Let the background indexer finish: one search per room catches each up.
            for room in rooms:
                conn.request("GET", f"/api/v1/search?q=in:{room}%20{vocab[0]}", headers=headers)
                conn.getresponse().read()
            lat = []
            by_len: dict[int, list[float]] = {}
            for _ in range(1000):
                w = rng.choices(vocab, weights)[0]
                q = w[: rng.randint(1, min(4, len(w)))]
                t = time.perf_counter()
                conn.request("GET", f"/api/v1/search/suggest?q={q}", headers=headers)
                r = conn.getresponse()
                r.read()
                lat.append((time.perf_counter() - t) * 1000)
                by_len.setdefault(len(q), []).append(lat[-1])
                assert r.status == 200, r.status
            lat.sort()
            base = []  # the same connection's cost of a read that lists the caller's rooms
            for _ in range(300):
                t = time.perf_counter()
                conn.request("GET", "/api/v1/rooms", headers=headers)
                conn.getresponse().read()
                base.append((time.perf_counter() - t) * 1000)
            base.sort()
            print(f"baseline GET /rooms: p50 {base[150]:.2f} ms, p99 {base[297]:.2f} ms")
            print(f"{messages} messages in {rooms_n} rooms (sent in {sent_s:.1f} s); "
                  f"suggest over {len(lat)} prefixes of 1-4 letters: "
                  f"p50 {lat[len(lat) // 2]:.2f} ms, p99 {lat[int(len(lat) * 0.99)]:.2f} ms, "
                  f"max {lat[-1]:.2f} ms")
            for n, xs in sorted(by_len.items()):
                xs.sort()
                print(f"  {n} letter(s): {len(xs)} requests, p50 {xs[len(xs) // 2]:.2f} ms, "
                      f"p99 {xs[int(len(xs) * 0.99)]:.2f} ms")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
