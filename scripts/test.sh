#!/usr/bin/env bash
# The whole test suite: unit tests, then integration tests against the real binary, then
# browser tests, all on the debug build with AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== shape: include layering and clang-format (and the tests that these checks bite)"
python3 scripts/check-layers.py
scripts/check-format.sh
/usr/bin/python3 -m pytest tests/tooling -q -p no:cacheprovider

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# PostgreSQL, Redis, moto and Kafka on free loopback ports in a throwaway directory, stopped
# at exit. Started before the build so that Kafka's JVM starts while the build runs.
services=$(PARLEY_SERVICES_BACKGROUND=1 scripts/services.sh start)
eval "$services"
trap 'scripts/services.sh stop' EXIT

cmake --preset debug >/dev/null
cmake --build --preset debug
export PARLEY_BIN="$PWD/build/debug/src/app/parley"
scripts/services.sh wait

echo "== unit tests (ctest, ASan+UBSan)"
ctest --preset debug -j2 --timeout 300

echo "== fuzz smoke: each parser that takes outside bytes, 15 s (fuzz/README.md)"
scripts/fuzz.sh 15

echo "== WebSocket conformance: Autobahn|Testsuite against the echo endpoint (~1 min)"
scripts/autobahn.sh

echo "== OpenAPI: docs/openapi.yaml validated, then schemathesis against both backends (~1 min each)"
scripts/schemathesis.sh

# The built client first: the attack suite checks that the static route serves it whole.
echo "== web client: build"
scripts/build-web.sh

# The Debian package of the build above (its ASan binary: the package's mechanics without a
# second full compile; scripts/package.sh alone makes the Release one), then dpkg -i, a start
# of the installed binary with its unit's arguments, and dpkg --purge (docs/operations.md).
echo "== packaging: pack the build as a .deb, install it, start it, purge it"
deb=$(scripts/package.sh --from build/debug | tail -1)
PARLEY_DEB="$deb" /usr/bin/python3 -m pytest tests/packaging -q -p no:cacheprovider

echo "== integration and attack tests, embedded default, and the multi-node cluster tests"
/usr/bin/python3 -m pytest tests/integration tests/security -q -p no:cacheprovider

echo "== integration and attack tests again, every server on PostgreSQL + Redis"
PARLEY_BACKEND=scaled /usr/bin/python3 -m pytest tests/integration tests/security -q -p no:cacheprovider -m "not cluster"

# tests/faults/README.md: Redis flushed, PostgreSQL restarted or out of disk, nodes killed,
# a node cut off from Redis, a reader that reads nothing; a checker over every client's log.
echo "== fault injection: real traffic through real faults, lost/duplicated/reordered must be 0"
PARLEY_BACKEND=scaled /usr/bin/python3 -m pytest tests/faults -q -p no:cacheprovider -s -rA

if [ -f web/package.json ]; then
  echo "== web client: lint (prettier, eslint), unit and browser tests"
  . scripts/node-env.sh
  (cd web && npm run --silent lint && npm run --silent test:unit && npm run --silent test:e2e)
fi
