#!/usr/bin/env bash
# Builds the browser client into web/dist with the toolchain pinned in web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../web"
. ../scripts/node-env.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
