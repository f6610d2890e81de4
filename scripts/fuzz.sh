#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang 14, ASan + UBSan) and runs each for a bounded
# time, starting from the committed seeds in fuzz/corpus/<target>. Fails on the first crash,
# leak, sanitizer report or timeout; the input that caused it is kept in build/fuzz/artifacts/.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   # default 15 s, every target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
shift || true
targets=("$@")
# Every target in fuzz/ (fuzz/NAME_fuzz.cpp), so a new one cannot be left out of the smoke run.
if [ "${#targets[@]}" -eq 0 ]; then
  for f in fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" _fuzz.cpp)"); done
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
artifacts="$PWD/build/fuzz/artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d /tmp/parley-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "== fuzz_$t, ${seconds}s"
  # New inputs go to the throwaway $work/$t; the committed seeds are only read.
  if ! build/fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
    "$work/$t" "fuzz/corpus/$t" >"$work/$t.log" 2>&1; then
    grep -v '^#' "$work/$t.log" | tail -40
    echo "fuzz_$t FAILED: the input is in $artifacts/ (reproduce: build/fuzz/fuzz/fuzz_$t FILE)" >&2
    exit 1
  fi
  grep -E '^Done' "$work/$t.log"
done
