#!/usr/bin/env bash
# Builds Parley (release) and its web client, then runs it on the embedded default:
# SQLite, in-process bus and cache, and a keyring file, all under ./parley-data.
# Extra arguments go to `parley serve` (see `parley serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --run-only
cmake --preset release >/dev/null
cmake --build --preset release --target parley
if [ -f web/package.json ]; then scripts/build-web.sh; fi
exec build/release/src/app/parley serve --data-dir ./parley-data --static-dir web/dist "$@"
