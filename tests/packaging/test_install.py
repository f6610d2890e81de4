"""Installing Parley (docs/operations.md, "Installing").

The Debian package that scripts/package.sh builds installs with dpkg on this machine, and
the installed binary, started with its systemd unit's ExecStart (systemd need not be PID 1
here), serves /healthz and the web client it finds beside itself; then it is purged. A
server that finds no web client says so at start.

Runs as root (dpkg). PARLEY_DEB names a .deb already built (scripts/test.sh builds it);
without it the test builds one. PARLEY_BIN is the build-tree binary for the warning test.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from parley_client import Server, http_request, parley_bin  # noqa: E402

UNIT = Path("/usr/lib/systemd/system/parley.service")
CONFIG = Path("/etc/parley/parley.toml")
ENV_FILE = Path("/etc/default/parley")
WEB = Path("/usr/share/parley/web")


def run(cmd: list[str], timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def installed() -> bool:
    return run(["dpkg-query", "-W", "-f=${Status}", "parley"]).stdout.startswith("install ok")


@pytest.fixture
def deb() -> Path:
    if os.geteuid() != 0:
        pytest.fail("the packaging test installs a .deb with dpkg: run it as root", pytrace=False)
    if installed():
        pytest.fail("a parley package is already installed here; remove it first "
                    "(dpkg --purge parley): this test installs and purges its own", pytrace=False)
    path = os.environ.get("PARLEY_DEB")
    if not path:
        done = run([str(REPO / "scripts" / "package.sh")], timeout=3600)
        assert done.returncode == 0, done.stderr[-4000:]
        path = done.stdout.strip().splitlines()[-1]
    return Path(path if Path(path).is_absolute() else REPO / path)


class Installed(Server):
    """The installed binary, started with the unit's own ExecStart arguments."""

    def __init__(self, argv: list[str], data_dir: Path, log_dir: Path):
        super().__init__(data_dir, log_dir, binary=Path(argv[0]))
        self.argv = argv

    def command(self) -> list[str]:
        return self.argv


def exec_start(data_dir: Path) -> list[str]:
    line = next(line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[:2] == ["/usr/bin/parley", "serve"], argv
    # The unit's state directory becomes a throwaway one; the port a free one.
    argv[argv.index("--data-dir") + 1] = str(data_dir)
    return argv + ["--listen", "127.0.0.1:0"]


def check_package(deb: Path) -> None:
    depends = run(["dpkg-deb", "-f", str(deb), "Depends"]).stdout
    for lib in ("libsqlite3", "libsodium", "libpq", "libssl", "libvips", "libicu"):
        assert lib in depends, f"{lib} not in Depends: {depends}"
    done = run(["dpkg", "-i", str(deb)], timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in (Path("/usr/bin/parley"), UNIT, CONFIG, ENV_FILE, WEB / "index.html"):
        assert path.exists(), f"{path} not installed"
    assert ENV_FILE.stat().st_mode & 0o077 == 0, "the environment file holds secrets: 0600"
    unit = UNIT.read_text()
    for option in ("DynamicUser=yes", "StateDirectory=parley", "ProtectSystem=strict",
                   "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                   "SystemCallFilter=@system-service", "RestrictAddressFamilies="):
        assert option in unit, option


def verify_unit() -> None:
    if not Path("/usr/bin/systemd-analyze").exists():
        return
    done = run(["systemd-analyze", "verify", str(UNIT)])
    assert done.returncode == 0, done.stdout + done.stderr
    # systemd's own score of the sandbox (0 best, 10 worst); 1.2 when this was written.
    done = run(["systemd-analyze", "security", "--offline=yes", str(UNIT)])
    score = re.search(r"Overall exposure level for parley.service: ([0-9.]+)", done.stdout)
    assert score and float(score.group(1)) <= 1.5, done.stdout[-3000:]


def test_the_deb_installs_starts_serves_the_web_client_and_purges(deb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing relative to the working directory helps it
    node = None
    try:
        check_package(deb)
        verify_unit()
        node = Installed(exec_start(tmp_path / "state"), tmp_path / "state", tmp_path).start()
        assert http_request("127.0.0.1", node.port, "GET", "/healthz").status == 200
        page = http_request("127.0.0.1", node.port, "GET", "/")
        assert page.status == 200 and page.body == (WEB / "index.html").read_bytes()
        assert b"no_web_client" not in node.stderr_bytes()
        assert node.stop() == 0
    finally:
        if node:
            node.stop()
        purged = run(["dpkg", "--purge", "parley"], timeout=300)
    assert purged.returncode == 0, purged.stdout + purged.stderr
    assert not installed() and not Path("/usr/bin/parley").exists() and not CONFIG.exists()


def test_a_server_without_a_web_client_says_so_at_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    node = Server(tmp_path / "data", tmp_path, binary=parley_bin()).start()
    try:
        assert b'"no_web_client"' in node.stderr_bytes()
        assert http_request("127.0.0.1", node.port, "GET", "/healthz").status == 200
    finally:
        node.stop()
