#!/usr/bin/env python3
"""Runs schemathesis against a real parley on one backend (scripts/schemathesis.sh runs both).

    run.py --backend embedded|scaled --st PATH/schemathesis --out DIR [--max-examples N]

Starts `parley serve` on a free loopback port (scaled: a fresh PostgreSQL database, an emptied
Redis, a fresh bucket and the test KMS, as tests/integration/backends.py makes them, from the
env scripts/services.sh prints), registers a user, makes a public room with a few messages
(so that small ids name real things), then runs the spec's operations as that user with the
checks not_a_server_error, status_code_conformance, response_schema_conformance,
content_type_conformance and response_headers_conformance (PARLEY_ST_CHECKS replaces them).
The user is not a server admin: schemathesis follows the ids and names that responses carry,
so an admin would disable itself or spend a reset link on itself (the admin routes answer it
403 forbidden); a second, short pass runs the admin routes alone as a server admin. The server's rate limits are
raised so that cases reach the handlers instead of 429. Exit status: schemathesis's, or 1
if the server died or logged a sanitizer report.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

USER, ADMIN, PASSWORD = "st_user", "st_admin", "st-password-1"
LIMITS = ["--login-per-ip", "100000", "--login-per-account-ip", "100000",
          "--login-per-account-new-network", "100000", "--register-per-ip", "100000",
          "--register-per-minute", "100000", "--send-rate", "100000", "--search-rate", "100000",
          "--upload-rate", "100000", "--registration", "open"]
CHECKS = ("not_a_server_error,status_code_conformance,response_schema_conformance,"
          "content_type_conformance,response_headers_conformance")


def call(base: str, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return json.loads(raw) if raw else {}


def start(binary: str, work: Path, extra: list[str]) -> tuple[subprocess.Popen, str]:
    out = open(work / "parley.stdout", "w")
    err = open(work / "parley.stderr", "w")
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                             str(work / "data"), "--log-level", "warn", *LIMITS, *extra],
                            stdout=out, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = re.search(r"^parley listening on (http://\S+)$", (work / "parley.stdout").read_text(),
                      re.M)
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            sys.exit(f"schemathesis: parley exited: {(work / 'parley.stderr').read_text()}")
        time.sleep(0.1)
    proc.kill()
    sys.exit("schemathesis: parley did not start within 60 s")


def seed(base: str) -> None:
    call(base, "POST", "/register", {"username": USER, "password": PASSWORD})
    token = call(base, "POST", "/login", {"username": USER, "password": PASSWORD})["token"]
    call(base, "POST", "/register", {"username": "st_peer", "password": PASSWORD})
    call(base, "POST", "/register", {"username": ADMIN, "password": PASSWORD})
    room = call(base, "POST", "/rooms", {"name": "general", "public": True}, token)["room"]
    for i in range(3):
        call(base, "POST", f"/rooms/{room['id']}/messages",
             {"client_msg_id": f"seed-{i}", "text": f"hello {i}"}, token)


def schemathesis(args, base: str, out: Path, user: str, *more: str) -> int:
    out.mkdir(parents=True)
    env = dict(os.environ, SCHEMATHESIS_HOOKS="hooks", PYTHONPATH=str(HERE),
               PARLEY_ST_BASE=base, PARLEY_ST_USER=user, PARLEY_ST_PASSWORD=PASSWORD)
    cmd = [str(Path(args.st).resolve()), "--no-color", "run", str(ROOT / "docs/openapi.yaml"),
           "--url", base, "--checks", os.environ.get("PARLEY_ST_CHECKS", CHECKS),
           "--max-examples", args.max_examples, "--seed", args.seed, "--workers", "1",
           "--request-timeout", "30", "--report", "junit,ndjson", "--report-dir", str(out),
           *more]
    # cwd: its example database lands in the (wiped) report dir, not in the tree.
    return subprocess.run(cmd, env=env, cwd=out, timeout=900).returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["embedded", "scaled"], required=True)
    ap.add_argument("--st", required=True, help="the schemathesis executable")
    ap.add_argument("--out", required=True, help="the report directory")
    ap.add_argument("--bin", default=os.environ.get("PARLEY_BIN",
                                                    str(ROOT / "build/debug/src/app/parley")))
    ap.add_argument("--max-examples", default="20")
    ap.add_argument("--seed", default="1")
    args = ap.parse_args()

    extra: list[str] = []
    if args.backend == "scaled":
        os.environ["PARLEY_BACKEND"] = "scaled"
        import backends
        extra = backends.scaled_args()

    work = Path(tempfile.mkdtemp(prefix="parley-st-"))
    out = Path(args.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    proc, origin = start(args.bin, work, extra + ["--admin", ADMIN])
    base = origin + "/api/v1"
    try:
        seed(base)
        started = time.monotonic()
        # Everything as a plain user, then the admin routes alone as an admin (ADMIN, whose
        # name no response of those routes carries, so it cannot be led to disable itself).
        rc = schemathesis(args, base, out / "user", USER)
        rc = rc or schemathesis(args, base, out / "admin", ADMIN, "--include-path-regex",
                                "^/admin/", "--phases", "coverage,fuzzing")
        print(f"schemathesis ({args.backend}): {time.monotonic() - started:.0f} s, exit {rc}")
    finally:
        alive = proc.poll() is None
        if alive:
            proc.terminate()
            proc.wait(timeout=60)
        shutil.copy(work / "parley.stderr", out / "parley.stderr")
        shutil.rmtree(work, ignore_errors=True)
    stderr = (out / "parley.stderr").read_text()
    if not alive or "Sanitizer" in stderr or "runtime error:" in stderr:
        print(f"schemathesis ({args.backend}): the server died or reported a sanitizer error; "
              f"see {out}/parley.stderr", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
