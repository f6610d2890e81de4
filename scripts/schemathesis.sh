#!/usr/bin/env bash
# docs/openapi.yaml against the real server: openapi-spec-validator checks the spec, then
# schemathesis runs every operation as a logged-in user (tests/schemathesis/run.py) on the
# embedded backend and, when scripts/services.sh's env is set (PARLEY_TEST_PG_URL), on the
# scaled one: no 5xx, every status documented, every response body as the spec says.
# The reports (JUnit, NDJSON, the server's stderr) stay in build/schemathesis/BACKEND/.
# Both tools are pinned, in a venv made once under build/cache/schemathesis.
# Usage: scripts/schemathesis.sh [embedded|scaled|both] (default: both, or embedded alone
#        without services). PARLEY_ST_EXAMPLES (default 30) bounds the cases per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/build/cache/schemathesis/venv
export PARLEY_BIN=${PARLEY_BIN:-$ROOT/build/debug/src/app/parley}
[ -x "$PARLEY_BIN" ] || { echo "schemathesis: no parley binary at $PARLEY_BIN (build it first)" >&2; exit 1; }

if [ ! -f "$VENV/.complete" ]; then
  echo "schemathesis: installing schemathesis 4.32.5 and openapi-spec-validator 0.9.0 into $VENV (once)"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5 \
    openapi-spec-validator==0.9.0
  touch "$VENV/.complete"
fi

"$VENV/bin/openapi-spec-validator" docs/openapi.yaml

which=${1:-both}
if [ "$which" = both ]; then
  which=embedded
  [ -n "${PARLEY_TEST_PG_URL:-}" ] && which="embedded scaled"
fi
for backend in $which; do
  /usr/bin/python3 tests/schemathesis/run.py --backend "$backend" --st "$VENV/bin/schemathesis" \
    --out "$ROOT/build/schemathesis/$backend" --max-examples "${PARLEY_ST_EXAMPLES:-30}"
done
