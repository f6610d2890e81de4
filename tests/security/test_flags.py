"""Every bad flag or URL ends the same way: exit 2, one line on stderr naming the flag, and
nothing created (issue 11: `--redis` with a malformed URL once threw out of main). The data
dir, keyring, SQLite file and blobs dir may never lie inside the static dir, where the
static route would serve them."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from parley_client import LISTEN_RE, parley_bin

PAGE = b"<!doctype html><title>parley</title>"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _run(tmp_path: Path, *args: str, env: dict | None = None, cwd: Path | None = None):
    data_dir = tmp_path / "data"
    before = _tree(tmp_path)
    proc = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0",
                           "--data-dir", str(data_dir), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=20,
                          env={**os.environ, **(env or {})}, cwd=cwd)
    assert _tree(tmp_path) == before, "a refused start created or removed files"
    return proc


def _assert_refused(proc, *flags: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("parley serve: "), lines
    for flag in flags:
        assert flag in lines[0], (flag, lines)
    assert proc.stdout == b""


BAD = [
    ("--redis", "redis://"), ("--redis", "redis://:6379"), ("--redis", "http://127.0.0.1:6379"),
    ("--redis", "redis://127.0.0.1:99999"), ("--redis", "redis://127.0.0.1:0"),
    ("--redis", "redis://127.0.0.1/notanumber"), ("--redis", "redis://127.0.0.1/-1"),
    ("--redis", "not a url"), ("--redis", "redis://h:6379/0 trailing"),
    ("--redis", "redis+cluster://"), ("--redis", "redis+cluster://127.0.0.1"),
    ("--redis", "redis+cluster://127.0.0.1:7000,"), ("--redis", "redis+cluster://127.0.0.1:7000/1"),
    ("--redis", "redis+cluster://127.0.0.1:7000,h:0"), ("--redis", "redis+cluster://[::1:7000"),
    ("--redis", "redis+cluster://127.0.0.1:7000?tls=1"), ("--redis", "redis+cluster://h st:1"),
    ("--db", "mysql://u:p@127.0.0.1/db"), ("--db", "sqlite:"), ("--db", "127.0.0.1"),
    ("--db", "postgresql://127.0.0.1/db?nosuchparam=1"), ("--db", "postgresql://%zz@127.0.0.1/db"),
    ("--keyring", "kms+https://"), ("--keyring", "kms+https://a:b@127.0.0.1/"),
    ("--keyring", "kms+ftp://a:b@127.0.0.1/key"), ("--keyring", "kms:"),
    ("--blobs", "s3://"), ("--blobs", "s3+https://a:b@127.0.0.1/"), ("--blobs", "s3+ftp://a:b@h/b"),
    ("--listen", "nohost"), ("--listen", "127.0.0.1:abc"), ("--listen", "127.0.0.1:70000"),
    ("--listen", "127.0.0.1:80x"), ("--listen", "127.0.0.1:-1"), ("--listen", "127.0.0.1:"),
    ("--listen", "localhost:0"), ("--listen", "999.1.1.1:0"), ("--listen", "[::1:0"),
    ("--threads", "-1"), ("--threads", "abc"), ("--threads", "100000"), ("--hash-threads", "0"),
    ("--max-upload", "-1"), ("--max-upload", "0"), ("--max-frame", "0"), ("--max-frame", "-5"),
    ("--max-body", "99999999999999999999999"), ("--max-outbound", "10"), ("--send-rate", "0"),
    ("--send-rate", "-3"), ("--resume-max", "0"), ("--history-cache-mib", "-1"),
    ("--upload-ttl", "-5"), ("--upload-ttl", "0"), ("--presence-lease-ms", "10"),
    ("--presence-room-limit", "-1"), ("--login-per-ip", "0"), ("--login-per-account-ip", "-1"),
    ("--login-per-account-new-network", "0"), ("--session-idle-days", "0"),
    ("--session-max-age-days", "99999999"), ("--log-level", "loud"),
    ("--register-per-ip", "0"), ("--register-per-minute", "-1"), ("--audit-retention-days", "-1"),
    ("--allowed-origin", "good.example"), ("--allowed-origin", "http://good.example/path"),
    ("--allowed-origin", "http://good example"),
    ("--bus", "kafka://"), ("--bus", "kafka://127.0.0.1"), ("--bus", "kafka://127.0.0.1:0"),
    ("--bus", "redis://127.0.0.1:6379"), ("--bus", "kafka://127.0.0.1:9092?partitions=0"),
    ("--bus", "kafka://127.0.0.1:9092?topic=a/b"), ("--bus", "kafka://127.0.0.1:9092?acks=0"),
    ("--bus", "kafka://127.0.0.1:9092?security.protocol=ssl&security.protocol=ssl"),
    ("--bus", "kafka://127.0.0.1:9092"),  # valid, but without --redis
]


@pytest.mark.parametrize("flag,value", BAD, ids=[f"{f}={v}" for f, v in BAD])
def test_a_bad_flag_exits_2_naming_it(tmp_path, flag, value):
    _assert_refused(_run(tmp_path, flag, value), flag)


@pytest.mark.parametrize("name,value,flag", [
    ("PARLEY_REDIS", "redis://", "--redis"), ("PARLEY_THREADS", "-1", "--threads"),
    ("PARLEY_DB", "mysql://x", "--db"), ("PARLEY_BUS", "kafka://", "--bus"),
])
def test_a_bad_environment_value_exits_2_naming_the_flag(tmp_path, name, value, flag):
    _assert_refused(_run(tmp_path, env={name: value}), flag)


@pytest.mark.parametrize("text", [None, "redis = 'redis://'\n", "threads = -1\n",
                                  "this is not toml = = \n", "nosuchflag = 1\n"])
def test_a_bad_config_file_exits_2(tmp_path, text):
    conf = tmp_path / "parley.toml"
    if text is not None:
        conf.write_text(text)
    proc = _run(tmp_path, "--config", str(conf))
    flag = {"redis = 'redis://'\n": "--redis", "threads = -1\n": "--threads"}.get(text, "config")
    if text == "nosuchflag = 1\n":
        flag = "nosuchflag"
    _assert_refused(proc, flag)


# ----------------------------------------------------------------------------- data dir vs static dir


@pytest.fixture
def static(tmp_path) -> Path:
    d = tmp_path / "web" / "dist"
    d.mkdir(parents=True)
    (d / "index.html").write_bytes(PAGE)
    return d


@pytest.mark.parametrize("where", ["inside", "equal", "deep", "dotdot", "via-symlink", "relative"])
def test_a_data_dir_in_the_static_dir_is_refused(tmp_path, static, where):
    link = tmp_path / "link"
    os.symlink(static, link)
    data = {"inside": static / "parley-data", "equal": static, "deep": static / "a" / "b",
            "dotdot": static / ".." / "dist" / "d", "via-symlink": link / "parley-data",
            "relative": Path("web/dist/parley-data")}[where]
    before = _tree(tmp_path)
    proc = subprocess.run([str(parley_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                           str(data), "--static-dir", str(static)], cwd=tmp_path,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    assert _tree(tmp_path) == before
    _assert_refused(proc, "--data-dir", "--static-dir")


@pytest.mark.parametrize("flag", ["--keyring", "--db", "--blobs"])
def test_other_local_files_in_the_static_dir_are_refused(tmp_path, static, flag):
    value = {"--keyring": str(static / "keyring.json"), "--db": f"sqlite:{static / 'p.db'}",
             "--blobs": str(static / "blobs")}[flag]
    _assert_refused(_run(tmp_path, "--static-dir", str(static), flag, value), flag, "--static-dir")


def _starts(cmd: list[str], cwd: Path) -> str:
    """Starts the server, waits (bounded) for its listening line, stops it by PID."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            chunk = os.read(proc.stdout.fileno(), 1)
            if not chunk:
                break
            line += chunk
        return line.decode().strip()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
        proc.stdout.close()
        proc.stderr.close()


def test_the_readmes_layout_still_starts(tmp_path, static):
    # scripts/run.sh: ./parley-data beside web/dist.
    line = _starts([str(parley_bin()), "serve", "--listen", "127.0.0.1:0",
                    "--data-dir", "./parley-data", "--static-dir", "web/dist"], cwd=tmp_path)
    assert LISTEN_RE.match(line), line
    assert (tmp_path / "parley-data" / "keyring.json").exists()


@pytest.mark.parametrize("flag,value", [
    ("--db", "postgresql://u:TopSecretValue%zz@127.0.0.1/db"),
    ("--db", "postgresql://u:TopSecretValue@127.0.0.1/db?nosuchparam=TopSecretValue"),
    ("--redis", "redis://u:TopSecretValue@127.0.0.1:99999"),
    ("--redis", "redis://u:TopSecretValue@/0"),
    ("--redis", "redis+cluster://u:TopSecretValue@127.0.0.1:7000,127.0.0.1:99999"),
    ("--redis", "redis+cluster://u:TopSecretValue@127.0.0.1:7000/TopSecretValue"),
    ("--keyring", "kms+https://AKID:TopSecretValue@127.0.0.1/key?bogus=1"),
    ("--blobs", "s3+https://AKID:TopSecretValue@127.0.0.1/?bogus=1"),
    ("--blobs", "s3+https://AKID:TopSecretValue@127.0.0.1/bucket?part_mib=x"),
    ("--bus", "kafka://u:TopSecretValue@127.0.0.1:9092"),
    ("--bus", "kafka://127.0.0.1:9092?security.protocol=sasl_ssl&sasl.mechanism=PLAIN&"
              "sasl.username=u&sasl.password=TopSecretValue&bogus=TopSecretValue"),
])
def test_a_bad_url_is_refused_without_echoing_its_secret(tmp_path, flag, value):
    proc = _run(tmp_path, flag, value)
    _assert_refused(proc, flag)
    assert b"TopSecretValue" not in proc.stderr + proc.stdout
