#!/usr/bin/env bash
# Fails when a C++ file is not formatted as .clang-format says (clang-format 14, Debian's).
# Usage: scripts/check-format.sh [DIR...]   (default: src tests bench fuzz). Fix with
# `clang-format-14 -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=("$@")
[ "${#dirs[@]}" -gt 0 ] || dirs=(src tests bench fuzz)
mapfile -t files < <(find "${dirs[@]}" \( -name '*.cpp' -o -name '*.h' \) -type f | sort)
if ! out=$(clang-format-14 --style=file:"$PWD/.clang-format" --dry-run --Werror "${files[@]}" 2>&1); then
  printf '%s\n' "$out" | grep -oE '^[^ :]+:[0-9]+:[0-9]+: (error|warning)' | cut -d: -f1 | sort -u
  echo "check-format: files above are not clang-formatted (clang-format-14 -i FILE)"
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
