"""PostgreSQL's disk full under traffic: a PostgreSQL of the test's own keeps its data on a
small tmpfs that the test mounts (and always unmounts); once the nodes have migrated and
traffic runs, a filler file takes every free byte. Sends then fail with 503 `unavailable`
(never an ack for something not committed: Invariant 1); when the filler goes, sends are
acked again by the same node processes, and every acked message is there at its seq, once.

PostgreSQL may PANIC when it cannot write its WAL; its postmaster then restarts itself, and
if the postmaster itself gave up, the test starts it again as an operator would (printed)."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from parley_client import run
from scenario import cast, traffic_through, verdict
from traffic import until
from world import OwnPostgres

TMPFS_MB = 160  # initdb's files and one 16 MB WAL segment take about 40 MB


def fill(path: Path) -> int:
    """Writes zeros until the file system says ENOSPC; returns the bytes written."""
    n = 0
    chunk = b"\0" * (1 << 20)
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                n += f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return n
                chunk = chunk[: len(chunk) // 2]  # fill the last scraps too


@pytest.mark.timeout_s(120)
def test_postgres_out_of_disk_refuses_sends_and_loses_nothing(deployment):
    mnt = Path(tempfile.mkdtemp(prefix="parley-faults-tmpfs."))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m,mode=755", "tmpfs",
                              str(mnt)], capture_output=True, text=True, timeout=30)
    if mounted.returncode != 0:
        os.rmdir(mnt)
        pytest.fail(f"this scenario mounts a tmpfs and needs root (CAP_SYS_ADMIN): "
                    f"{mounted.stderr.strip()}", pytrace=False)
    pg = None
    try:
        pg = OwnPostgres(root=mnt / "pg-root")
        d = deployment(2, db=pg.url)
        pids = [s.proc.pid for s in d.nodes]
        c = cast(d.nodes, [("ws", 50), ("ws", 50), ("rest", 30), ("rest", 30)], readers=2)
        filler = mnt / "filler"
        window: dict = {}

        def refusals() -> int:
            return sum(1 for w in c.writers for _, code in w.log.errors
                       if code in ("unavailable", "503 unavailable"))

        async def disk_full():
            loop = asyncio.get_running_loop()
            window["bytes"] = await loop.run_in_executor(None, fill, filler)
            window["full_t"] = time.monotonic()
            await until(lambda: refusals() >= 20, 40, "sends refused while the disk is full")
            filler.unlink()
            window["freed_t"] = time.monotonic()
            if not await loop.run_in_executor(None, pg.running):
                window["restarted"] = True
                await loop.run_in_executor(None, pg.start)
            return window["freed_t"]

        heal_t, _ = run(traffic_through(c, disk_full, before_acks=200, after_acks=200,
                                        fault_deadline_s=90), 110)
        rep = verdict(c, d.nodes[0], heal_t, "postgres disk full")
        assert set(rep.errors) <= {"unavailable", "503 unavailable"}, rep.errors
        assert [s.proc.pid for s in d.nodes] == pids and all(s.running for s in d.nodes)
        print(f"[faults] postgres disk full: filler {window['bytes'] >> 20} MiB; refused for "
              f"{window['freed_t'] - window['full_t']:.2f} s; first ack "
              f"{rep.first_ack_after_heal_s:.2f} s after the space came back; postmaster "
              f"{'had to be started again' if window.get('restarted') else 'stayed up'}")
        pglog = pg.log_tail(1 << 20)
        print(f"[faults] postgres disk full: PostgreSQL logged 'No space left on device' "
              f"{pglog.count('No space left on device')} times, PANIC {pglog.count('PANIC')} times")
        assert "No space left on device" in pglog, "the refusals did not come from a full disk"
    finally:
        if pg is not None:
            pg.destroy()
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)
        os.rmdir(mnt)
