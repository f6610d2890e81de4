"""Nodes and throwaway services for the fault scenarios.

`deployment(n, db=..., redis=...)` starts n `parley serve` nodes on one PostgreSQL database
and one Redis, sharing one keyring file (every node must hold the same keys), and stops them
by PID at teardown; a node that died without the test killing it fails the test.
`OwnPostgres` is a PostgreSQL of the test's own (same recipe as scripts/services.sh: initdb
as the postgres user, a free loopback port, fsync off), for scenarios that must break it;
it is stopped by pg_ctl (its postmaster PID) in a finally block.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import pytest

import backends
from parley_client import Server, parley_bin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    def __init__(self, tmp_path: Path, n: int, db: str, redis: str, extra=(),
                 redis_of: Optional[dict[int, str]] = None):
        self.db, self.redis = db, redis
        keyring = tmp_path / "shared-keyring.json"
        self.nodes: list[Server] = []
        for i in range(n):
            node_redis = (redis_of or {}).get(i, redis)
            args = ["--db", db, "--redis", node_redis, "--keyring", str(keyring),
                    "--send-rate", "100000", *extra]
            self.nodes.append(Server(tmp_path / f"node{i}", tmp_path, args, binary=parley_bin()))
        for s in self.nodes:
            s.start()

    def stop(self) -> list:
        crashed = []
        for s in self.nodes:
            if s.proc is not None and s.proc.poll() is not None and not s.stopped_by_us:
                crashed.append((s.data_dir.name, s.proc.returncode, s.stderr_tail(2000)))
            s.stop()
        return crashed


@pytest.fixture
def deployment(tmp_path):
    """deployment(n, db=None, redis=None, extra=(), redis_of=None) -> Deployment. db defaults
    to a fresh database on the test PostgreSQL, redis to the (emptied) test Redis; redis_of
    maps a node's index to another --redis URL for it (a proxy in front of the same Redis)."""
    made: list[Deployment] = []
    fresh: list[str] = []

    def make(n: int, db: Optional[str] = None, redis: Optional[str] = None, extra=(),
             redis_of: Optional[dict[int, str]] = None):
        if db is None:
            db = backends.fresh_database()
            fresh.append(db)
        d = Deployment(tmp_path, n, db, redis or backends.empty_redis(), extra, redis_of)
        made.append(d)
        return d
    yield make
    crashed = [x for d in made for x in d.stop()]
    for db in fresh:
        backends.drop_database(db)
    if crashed:
        pytest.fail(f"a node exited on its own: {crashed}", pytrace=False)


def _pg_bin() -> str:
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in
                  p.split("/")[-2].split(".")])[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


class OwnPostgres:
    """A throwaway PostgreSQL: `data` may sit on a mount the test made (disk-full scenario)."""

    def __init__(self, root: Optional[Path] = None, extra_conf: tuple[str, ...] = ()):
        self.dir = Path(root) if root else Path(tempfile.mkdtemp(prefix="parley-faults-pg."))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.data = self.dir / "pg"
        self.log = self.dir / "pg.log"
        self.port = free_port()
        self.extra_conf = extra_conf
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_postgres([f"{_pg_bin()}/initdb", "-D", str(self.data), "-U",
                                     "postgres", "--auth-local=trust", "--auth-host=trust", "-E",
                                     "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        self.start()
        subprocess.run(_as_postgres(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                     "postgres", "-q", "-c",
                                     "CREATE ROLE parley LOGIN SUPERUSER PASSWORD 'parley'",
                                     "-c", "CREATE DATABASE parley OWNER parley"]),
                       check=True, capture_output=True, timeout=60)

    @property
    def url(self) -> str:
        return f"postgresql://parley:parley@127.0.0.1:{self.port}/parley"

    def _ctl(self, *args: str, check: bool = True) -> None:
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c max_connections=100 " + " ".join(f"-c {c}" for c in self.extra_conf))
        # -l: the postmaster must not inherit our stdout (a pipe would never reach EOF).
        subprocess.run(_as_postgres([f"{_pg_bin()}/pg_ctl", "-D", str(self.data), "-l",
                                     str(self.log), "-o", opts, "-w", "-t", "60", *args]),
                       check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=90)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def running(self) -> bool:
        r = subprocess.run(_as_postgres([f"{_pg_bin()}/pg_ctl", "-D", str(self.data), "status"]),
                           capture_output=True, timeout=30)
        return r.returncode == 0

    def destroy(self) -> None:
        """Stops the postmaster (pg_ctl signals the PID in its postmaster.pid) and removes
        the directory unless it lies on a mount the caller owns."""
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

