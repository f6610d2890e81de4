#!/usr/bin/env bash
# Runs clang-tidy (Debian's clang-tidy-14) with the committed .clang-tidy over every .cpp in
# src/, using the compile database of the debug build (build/debug/compile_commands.json,
# made by `cmake --preset debug`). Headers under src/ are checked through the files that
# include them (HeaderFilterRegex). Fails if any warning is reported.
#
# Not part of scripts/test.sh or .ci/run: one pass takes tens of minutes on two cores, more
# than CI's budget. Run it by hand before a change that touches many files, and fix what it
# reports or justify it in place with `// NOLINT(check): why`.
#
#   scripts/tidy.sh [FILE...]   # default: every src/**/*.cpp
#
# One clang-tidy at a time under `nice -n 10`, so the machine stays usable for builds.
set -euo pipefail
cd "$(dirname "$0")/.."
db=build/debug
if [ ! -f "$db/compile_commands.json" ]; then
  cmake --preset debug >/dev/null
fi
tidy=$(command -v clang-tidy-14 || true)
if [ -z "$tidy" ]; then
  echo "tidy: clang-tidy-14 is missing (apt-get install -y clang-tidy-14)" >&2
  exit 2
fi
files=("$@")
if [ "${#files[@]}" -eq 0 ]; then mapfile -t files < <(find src -name '*.cpp' -type f | sort); fi
log=$(mktemp /tmp/parley-tidy.XXXXXX)
trap 'rm -f "$log"' EXIT
for f in "${files[@]}"; do
  # -p: flags and generated headers come from the debug build; --quiet: no per-file banner.
  nice -n 10 "$tidy" -p "$db" --quiet "$f" 2>/dev/null | tee -a "$log" || true
done
count=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: warning:' "$log" || true)
if [ "$count" -ne 0 ]; then
  echo "tidy: $count warnings in ${#files[@]} files" >&2
  grep -oE '\[[a-z0-9.-]+(,[a-z0-9.-]+)*\]$' "$log" | sort | uniq -c | sort -rn >&2
  exit 1
fi
echo "tidy: ${#files[@]} files, no warnings"
