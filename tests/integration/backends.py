"""Where the servers under test keep their state.

PARLEY_BACKEND=scaled runs every server on PostgreSQL + Redis + the S3 API + the KMS API (the
URLs come from PARLEY_TEST_PG_URL / PARLEY_TEST_REDIS_URL / PARLEY_TEST_S3_URL /
PARLEY_TEST_KMS_URL, which scripts/services.sh exports); each server gets a fresh database,
an emptied Redis and a fresh bucket, and wraps its room keys under the test KMS key.
Otherwise servers use the embedded default.
"""
from __future__ import annotations

import os
import re
import subprocess
import uuid
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import pytest


def scaled() -> bool:
    return os.environ.get("PARLEY_BACKEND") == "scaled"


def service_urls() -> tuple[str, str]:
    pg = os.environ.get("PARLEY_TEST_PG_URL")
    redis = os.environ.get("PARLEY_TEST_REDIS_URL")
    if not pg or not redis:
        pytest.fail("PARLEY_TEST_PG_URL and PARLEY_TEST_REDIS_URL are not set: run the suite "
                    "through scripts/test.sh, which starts PostgreSQL and Redis", pytrace=False)
    return pg, redis


def fresh_database() -> str:
    """Creates an empty database on the test PostgreSQL and returns its URL."""
    pg, _ = service_urls()
    name = "t_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", pg, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True, timeout=30)
    parts = urlsplit(pg)
    return urlunsplit(parts._replace(path="/" + name))


def drop_database(url: str) -> None:
    """Drops a database made by fresh_database (its servers must be stopped)."""
    pg, _ = service_urls()
    name = urlsplit(url).path.lstrip("/")
    subprocess.run(["psql", pg, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   capture_output=True, timeout=60)


def files_at_rest() -> list:
    """Every file PostgreSQL and Redis keep, after both wrote what they hold in memory."""
    from pathlib import Path
    pg, redis = service_urls()
    subprocess.run(["psql", pg, "-q", "-c", "CHECKPOINT"], check=True, capture_output=True, timeout=60)
    subprocess.run(["redis-cli", "-u", redis, "CONFIG", "SET", "rdbcompression", "no"], check=True,
                   capture_output=True, timeout=30)
    subprocess.run(["redis-cli", "-u", redis, "SAVE"], check=True, capture_output=True, timeout=60)
    return [p for p in Path(_services_dir()).rglob("*") if p.is_file()]


def empty_redis() -> str:
    """Empties the test Redis (tests run one at a time) and returns its URL."""
    _, redis = service_urls()
    subprocess.run(["redis-cli", "-u", redis, "FLUSHALL"], check=True, capture_output=True, timeout=30)
    return redis


def kms_url() -> str:
    url = os.environ.get("PARLEY_TEST_KMS_URL")
    if not url:
        pytest.fail("PARLEY_TEST_KMS_URL is not set: run the suite through scripts/test.sh, which "
                    "starts the KMS test server", pytrace=False)
    return url


def scaled_args() -> list[str]:
    # PARLEY_SCALED_REDIS=cluster puts the scaled servers on the test Redis Cluster instead.
    if os.environ.get("PARLEY_SCALED_REDIS") == "cluster":
        import redis_cluster
        redis = redis_cluster.flush()
    else:
        redis = empty_redis()
    return ["--db", fresh_database(), "--redis", redis, "--blobs", fresh_bucket(),
            "--keyring", kms_url()]


# ---- the S3 test server (moto, which verifies signatures), reached with curl's SigV4


def _s3(url: str | None = None) -> dict:
    url = url or os.environ.get("PARLEY_TEST_S3_URL")
    if not url:
        pytest.fail("PARLEY_TEST_S3_URL is not set: run the suite through scripts/test.sh, which "
                    "starts the S3 test server", pytrace=False)
    p = urlsplit(url)
    region = parse_qs(p.query).get("region", ["us-east-1"])[0]
    return {"key": unquote(p.username or ""), "secret": unquote(p.password or ""),
            "endpoint": f"http://{p.hostname}:{p.port}", "region": region,
            "bucket": p.path.strip("/"), "url": url}


def _s3_call(s3: dict, method: str, path: str, data: bytes | None = None) -> bytes:
    cmd = ["curl", "-sS", "-f", "-X", method, "--aws-sigv4", f"aws:amz:{s3['region']}:s3",
           "--user", f"{s3['key']}:{s3['secret']}", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
           s3["endpoint"] + path]
    if data is not None:
        cmd[1:1] = ["--data-binary", "@-", "-H", "Content-Type: application/octet-stream"]
    return subprocess.run(cmd, input=data, capture_output=True, check=True, timeout=60).stdout


def fresh_bucket() -> str:
    """Creates an empty bucket on the test S3 server; returns its --blobs URL."""
    s3 = _s3()
    name = "t-" + uuid.uuid4().hex[:12]
    _s3_call(s3, "PUT", "/" + name)
    p = urlsplit(s3["url"])
    return urlunsplit(p._replace(path="/" + name))


def s3_keys(blobs_url: str) -> list[str]:
    """The keys of every object in the bucket a --blobs URL names."""
    s3 = _s3(blobs_url)
    listing = _s3_call(s3, "GET", f"/{s3['bucket']}?list-type=2&max-keys=1000").decode()
    return re.findall(r"<Key>([^<]*)</Key>", listing)


def s3_objects(blobs_url: str) -> dict[str, bytes]:
    """Every object of the bucket a --blobs URL names, by key."""
    s3 = _s3(blobs_url)
    return {k: _s3_call(s3, "GET", f"/{s3['bucket']}/{k}") for k in s3_keys(blobs_url)}


def s3_put(blobs_url: str, key: str, data: bytes) -> None:
    s3 = _s3(blobs_url)
    _s3_call(s3, "PUT", f"/{s3['bucket']}/{key}", data)


def _services_dir() -> str:
    d = os.environ.get("PARLEY_SERVICES_DIR")
    if not d:
        pytest.fail("PARLEY_SERVICES_DIR is not set: run through scripts/test.sh", pytrace=False)
    return d


def _as_postgres(cmd: list[str]) -> list[str]:
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


def _pg_bin() -> str:
    import glob
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]


def restart_postgres() -> None:
    """Fast restart of the test PostgreSQL: every connection is cut."""
    d = _services_dir()
    # -l: the new postmaster must not inherit our stdout (a pipe would never reach EOF).
    subprocess.run(_as_postgres([f"{_pg_bin()}/pg_ctl", "-D", f"{d}/pg", "-l", f"{d}/pg.log", "-m",
                                 "fast", "-w", "-t", "60", "restart"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90)


def stop_postgres() -> None:
    d = _services_dir()
    subprocess.run(_as_postgres([f"{_pg_bin()}/pg_ctl", "-D", f"{d}/pg", "-m", "fast", "-w", "stop"]),
                   check=True, capture_output=True, timeout=60)


def start_postgres() -> None:
    d = _services_dir()
    subprocess.run(_as_postgres([f"{_pg_bin()}/pg_ctl", "-D", f"{d}/pg", "-l", f"{d}/pg.log", "-w",
                                 "-t", "60", "start"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=90)


def restart_redis() -> None:
    """Stops the test Redis (losing its memory: --save '') and starts it on the same port."""
    _, url = service_urls()
    d = _services_dir()
    port = urlsplit(url).port
    subprocess.run(["redis-cli", "-u", url, "SHUTDOWN", "NOSAVE"], capture_output=True, timeout=30)
    subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "yes", "--pidfile", f"{d}/redis.pid",
                    "--dir", d, "--logfile", f"{d}/redis.log"], check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)


def wait_for_port(port: int, deadline_s: float = 30.0) -> None:
    """Until something accepts on 127.0.0.1:port (a daemon we just started), bounded."""
    import socket
    import time
    end = time.monotonic() + deadline_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.02)  # a refused connect returns at once: pace the retries


def kafka_bus_url(partitions: int = 3) -> str:
    """--bus for a fresh deployment on the test broker: a topic of its own, so deployments
    sharing the broker stay apart."""
    import uuid
    url = os.environ.get("PARLEY_TEST_KAFKA_URL")
    if not url:
        pytest.fail("PARLEY_TEST_KAFKA_URL is not set: run through scripts/test.sh", pytrace=False)
    return f"{url}?topic=parley.it.{uuid.uuid4().hex[:12]}&partitions={partitions}"


def _kafka_script() -> str:
    return os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "services", "kafka.sh")


def kill_kafka() -> None:
    """kill -9 of the test broker (by the PID scripts/services/kafka.sh wrote)."""
    with open(f"{_services_dir()}/kafka/kafka.pid") as f:
        pid = int(f.read())
    os.kill(pid, 9)
    import time
    end = time.monotonic() + 30
    while os.path.exists(f"/proc/{pid}") and _state(pid) != "Z":
        assert time.monotonic() < end, "the broker outlived kill -9 for 30 s"
        time.sleep(0.02)  # polling for the process to be gone; bounded


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def kafka_running() -> bool:
    with open(f"{_services_dir()}/kafka/kafka.pid") as f:
        pid = int(f.read())
    return os.path.exists(f"/proc/{pid}") and _state(pid) not in ("Z", "gone")


def restart_kafka() -> None:
    """Starts the test broker again on its ports and log dir; returns once it answers."""
    subprocess.run([_kafka_script(), "restart", _services_dir()], check=True, timeout=200,
                   stdout=subprocess.DEVNULL)
