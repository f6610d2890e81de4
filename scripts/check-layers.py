#!/usr/bin/env python3
"""Fails when an #include in src/ points against Parley's layering (src/README.md):

    api -> service -> ports <- adapters,   app (the composition root) wires them all.

Each folder of src/ may include only the folders listed for it in ALLOWED. An adapter may
include its own folder and the shared adapter folders in SHARED_ADAPTERS, never another
adapter. Usage: scripts/check-layers.py [SRC_DIR]  (default: src/ beside this script).
Prints one line per violation (file:line: what points where) and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BASE = {"core"}
ALLOWED: dict[str, set[str]] = {
    "core": BASE,
    "domain": BASE | {"domain"},
    "ports": BASE | {"domain", "ports"},
    "crypto": BASE | {"crypto"},
    "media": BASE | {"media"},
    "search": BASE | {"crypto", "search"},
    "service": BASE | {"domain", "ports", "crypto", "media", "search", "service"},
    "api": BASE | {"domain", "ports", "service", "api"},
    "adapters": BASE | {"domain", "ports", "crypto", "media"},  # plus its own folder
    "app": {"core", "domain", "ports", "crypto", "media", "search", "service", "api", "adapters",
            "app"},
}
# Adapter folders that exist to be shared by other adapters (SigV4, TLS, the HTTP pool).
SHARED_ADAPTERS = {"aws"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path: Path, src: Path) -> tuple[str, str | None]:
    """('adapters', 'redis') for src/adapters/redis/x.cpp; ('service', None) otherwise."""
    parts = path.relative_to(src).parts
    if parts[0] == "adapters" and len(parts) > 2:
        return "adapters", parts[1]
    return parts[0], None


def violation(src_layer: str, src_adapter: str | None, target: str) -> str | None:
    parts = target.split("/")
    if len(parts) < 2:
        return None  # a system or same-folder header
    layer = parts[0]
    if layer not in ALLOWED:
        return None  # not one of ours (e.g. a library's quoted include)
    if src_layer not in ALLOWED:
        return f"{src_layer}/ is not a known layer: add it to scripts/check-layers.py"
    if layer == "adapters" and src_layer == "adapters":
        adapter = parts[1] if len(parts) > 2 else ""
        if adapter == src_adapter or adapter in SHARED_ADAPTERS:
            return None
        return f"adapters/{src_adapter} includes another adapter ({target})"
    if layer not in ALLOWED[src_layer]:
        return f"{src_layer} may not include {layer} ({target})"
    return None


def check(src: Path) -> list[str]:
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".hpp", ".cc"} or not path.is_file():
            continue
        src_layer, src_adapter = layer_of(path, src)
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            why = violation(src_layer, src_adapter, m.group(1))
            if why:
                problems.append(f"{path}:{n}: {why}")
    return problems


def main() -> int:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src"
    problems = check(src)
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} include(s) against the layering (src/README.md)")
        return 1
    print("check-layers: every include in src/ follows the layering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
