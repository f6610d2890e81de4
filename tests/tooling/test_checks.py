"""The shape checks run by scripts/test.sh fail when the shape is broken: each test plants
a violation in a copy of the tree and sees its check fail, naming the place."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_tree_passes_both_checks():
    assert run("python3", "scripts/check-layers.py").returncode == 0
    assert run("scripts/check-format.sh").returncode == 0


@pytest.mark.parametrize("where,include,why", [
    ("adapters/sqlite/planted.cpp", "service/messages.h", "adapters may not include service"),
    ("service/planted.cpp", "api/router.h", "service may not include api"),
    ("ports/planted.h", "service/rooms.h", "ports may not include service"),
    ("ports/planted.h", "adapters/redis/connection.h", "ports may not include adapters"),
    ("adapters/redis/planted.cpp", "adapters/sqlite/db.h", "includes another adapter"),
    ("core/planted.h", "domain/types.h", "core may not include domain"),
    ("api/planted.cpp", "adapters/memory/memory_bus.h", "api may not include adapters"),
    ("api/planted.cpp", "app/config.h", "api may not include app"),
])
def test_an_include_against_the_layering_fails(tmp_path, where, include, why):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src)
    planted = src / where
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(f'#include "{include}"\n')
    r = run("python3", "scripts/check-layers.py", str(src))
    assert r.returncode == 1
    assert f"{planted}:1: " in r.stdout and why in r.stdout


def test_the_shared_aws_adapter_may_be_included_by_other_adapters(tmp_path):
    src = tmp_path / "src"
    (src / "adapters" / "s3").mkdir(parents=True)
    (src / "adapters" / "s3" / "x.cpp").write_text('#include "adapters/aws/sigv4.h"\n')
    assert run("python3", "scripts/check-layers.py", str(src)).returncode == 0


def test_an_unformatted_file_fails_the_format_check(tmp_path):
    shutil.copy(ROOT / "src" / "core" / "error.h", tmp_path / "error.h")
    bad = tmp_path / "planted.cpp"
    bad.write_text("int  main( ){return 0;}\n")
    r = run("scripts/check-format.sh", str(tmp_path))
    assert r.returncode == 1
    assert str(bad) in r.stdout and "error.h" not in r.stdout
