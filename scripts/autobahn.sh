#!/usr/bin/env bash
# Autobahn|Testsuite (fuzzingclient) against Parley's own WebSocket code: the test-only echo
# endpoint (--test-echo-endpoint, /api/v1/test/echo) runs the session, framing and writer
# of /api/v1/ws. Every case but 12.* and 13.* (permessage-deflate, which Parley does not
# offer) must be OK, NON-STRICT or INFORMATIONAL (docs/protocol.md, "Conformance" says why
# for each non-OK case), first over plain TCP, then over TLS (wss://, cases 9.* left out).
# The reports stay in build/autobahn/ (parley/, parley-tls/) as artefacts.
#
# Autobahn 25.10.1 runs only on Python 2.7 (PARLEY_PYTHON27, default the pyenv 2.7.18 of
# the machine image); its virtualenv is made once under build/cache/autobahn.
# Usage: scripts/autobahn.sh [PARLEY_BIN]   (default $PARLEY_BIN, else build/debug's)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${1:-${PARLEY_BIN:-$ROOT/build/debug/src/app/parley}}
PY27=${PARLEY_PYTHON27:-/root/.pyenv/versions/2.7.18/bin/python2.7}
CACHE=$ROOT/build/cache/autobahn
OUT=$ROOT/build/autobahn

if [ ! -x "$PY27" ]; then
  echo "autobahn: Python 2.7 not found at $PY27: Autobahn|Testsuite needs it." >&2
  echo "autobahn: install CPython 2.7 (e.g. pyenv install 2.7.18) or set PARLEY_PYTHON27." >&2
  exit 1
fi
[ -x "$BIN" ] || { echo "autobahn: no parley binary at $BIN (build it first)" >&2; exit 1; }

# The Python 2.7 environment, once: virtualenv 20.21.1 is the last that makes 2.7
# environments; the testsuite's sdist declares no dependencies, so they are pinned here.
if [ ! -f "$CACHE/venv27/.complete" ]; then
  echo "autobahn: installing autobahntestsuite 25.10.1 into $CACHE/venv27 (once, ~1 min)"
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  /usr/bin/python3 -m venv "$CACHE/venv3"
  "$CACHE/venv3/bin/pip" install -q virtualenv==20.21.1
  "$CACHE/venv3/bin/virtualenv" -q -p "$PY27" "$CACHE/venv27"
  "$CACHE/venv27/bin/pip" install -q --disable-pip-version-check txaio==2.1.0 \
    incremental==16.10.1 pyOpenSSL==19.1.0 cryptography==3.3.2 Twisted==19.10.0 \
    zope.interface==4.6.0 jinja2==2.11.3 markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0 \
    service_identity==18.1.0 unittest2==1.1.0 six==1.16.0 'autobahn[twisted,accelerate]==0.10.9'
  "$CACHE/venv27/bin/pip" install -q --disable-pip-version-check --no-deps \
    autobahntestsuite==25.10.1
  touch "$CACHE/venv27/.complete"
fi

WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$OUT"
mkdir -p "$OUT"

# Starts parley with the echo endpoint (and any extra flags); sets PID and HOSTPORT.
start_parley() {
  local name=$1
  shift
  # Messages up to 16 MiB (cases 9.*) and their echoes must fit the limits.
  "$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data-$name" --test-echo-endpoint \
    --max-frame 16777216 --max-outbound 67108864 --log-level warn "$@" \
    >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
  PID=$!
  HOSTPORT=
  for _ in $(seq 1 300); do # the listening line, within 30 s
    HOSTPORT=$(sed -n 's/^parley listening on https\{0,1\}:\/\/\(.*\)$/\1/p' "$WORK/$name.stdout")
    [ -n "$HOSTPORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/$name.stderr" >&2; echo "autobahn: parley exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "autobahn: parley did not start within 30 s" >&2
  exit 1
}

stop_parley() {
  kill -0 "$PID" 2>/dev/null || { echo "autobahn: parley died during the run" >&2; exit 1; }
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}

# Runs the fuzzingclient against URL with the cases left out in EXCLUDE (a JSON list), into
# $OUT/AGENT; then checks every verdict.
run_cases() {
  local agent=$1 url=$2 exclude=$3 start
  cat >"$WORK/spec-$agent.json" <<JSON
{"outdir": "$OUT/$agent", "servers": [{"agent": "$agent", "url": "$url"}],
 "cases": ["*"], "exclude-cases": $exclude, "exclude-agent-cases": {}}
JSON
  start=$(date +%s)
  (cd "$WORK" && "$CACHE/venv27/bin/wstest" -m fuzzingclient -s "spec-$agent.json") \
    >"$OUT/$agent.log" 2>&1 || {
    tail -20 "$OUT/$agent.log" >&2
    echo "autobahn: wstest failed (log: $OUT/$agent.log)" >&2
    exit 1
  }
  echo "autobahn: $agent: $(($(date +%s) - start)) s; report: $OUT/$agent/index.html"
  /usr/bin/python3 - "$OUT/$agent/index.json" "$agent" <<'PY'
import collections, json, sys
cases = json.load(open(sys.argv[1]))[sys.argv[2]]
ok = ("OK", "NON-STRICT", "INFORMATIONAL")
counts = collections.Counter(r["behavior"] for r in cases.values())
bad = []
for case, r in sorted(cases.items(), key=lambda kv: [int(p) for p in kv[0].split(".")]):
    if r["behavior"] != "OK":
        print(f"  {case}: {r['behavior']} (closing: {r['behaviorClose']})")
    if r["behavior"] not in ok or r["behaviorClose"] not in ok:
        bad.append(f"{case}: {r['behavior']} (closing: {r['behaviorClose']})")
print("autobahn: %s: %d cases: %s" % (sys.argv[2], len(cases),
      ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))))
if bad:
    print("autobahn: FAILED cases:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
}

# Plain TCP: every case but the compression ones.
start_parley plain
run_cases parley "ws://$HOSTPORT/api/v1/test/echo" '["12.*", "13.*"]'
stop_parley

# TLS (ws_socket.cpp's TlsPipe under the same framing), with a throwaway self-signed
# certificate (the suite does not verify it); the 16 MiB performance cases 9.* are left out
# here: they take two minutes over TLS on the debug build and test nothing TLS-specific.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
start_parley tls --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key"
run_cases parley-tls "wss://$HOSTPORT/api/v1/test/echo" '["9.*", "12.*", "13.*"]'
stop_parley
