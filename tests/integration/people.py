"""Helpers for the people/admin tests: `parley admin` against a test server's Store."""
from __future__ import annotations

import re
import subprocess

from parley_client import PASSWORD, parley_bin

RESET_RE = re.compile(r"/#reset=([A-Za-z0-9_-]+)")


def admin_cli(server, *args: str, stdin: str | None = None, check: bool = True):
    """Runs `parley admin ARGS` on the server's data dir and backend flags; (rc, out, err)."""
    cmd = [str(parley_bin()), "admin", *args, "--data-dir", str(server.data_dir), *server.args]
    p = subprocess.run(cmd, input=(stdin or "").encode(), capture_output=True, timeout=60)
    out, err = p.stdout.decode(), p.stderr.decode()
    if check:
        assert p.returncode == 0, f"{args}: rc {p.returncode}\n{out}\n{err}"
    return p.returncode, out, err


def create_user(server, name: str, *flags: str, password: str = PASSWORD) -> str:
    _, out, _ = admin_cli(server, "create-user", name, "--password-stdin", *flags,
                          stdin=password + "\n")
    return out


def reset_token(out: str) -> str:
    m = RESET_RE.search(out)
    assert m, out
    return m.group(1)


def try_login(server, name: str, password: str = PASSWORD):
    return server.api("POST", "/login", {"username": name, "password": password, "device": "t"})
