#!/bin/sh
# Instructions per durable send, per delivery and per cached history read of a Parley server,
# counted by callgrind over a fixed closed-loop workload (set-up not counted); the method is in
# bench/instructions.py's header, the figures per round in docs/benchmarks.md.
#
#   bench/instructions.sh [--binary PATH] [--backend sqlite|scaled] [--repeat 3]
#                         [--scenarios send,fanout,history] [--json FILE]
#
# Default binary: build/release/src/app/parley. Needs valgrind (callgrind_control) and
# Debian's python3 with websockets (scripts/install-deps.sh installs both).
set -eu
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 2; }
exec /usr/bin/python3 "$(dirname "$0")/instructions.py" "$@"
