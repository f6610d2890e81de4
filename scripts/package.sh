#!/usr/bin/env bash
# Builds the Debian package of Parley and prints the path of the .deb on its last line.
#
#   scripts/package.sh                     # an optimised build (no sanitizers, no tests) in
#                                          # build/package with the /usr prefix, then CPack
#   scripts/package.sh --from build/debug  # packs a build directory already built (the test
#                                          # command packs its ASan build: the package's
#                                          # mechanics without a second full compile)
#
# The web client comes from web/dist (scripts/build-web.sh runs when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f web/dist/index.html ]; then scripts/build-web.sh >&2; fi
if [ "${1:-}" = "--from" ]; then
  dir=${2:?usage: scripts/package.sh [--from BUILD_DIR]}
  cmake -S . -B "$dir" -DCMAKE_INSTALL_PREFIX=/usr >&2
  cmake --build "$dir" --target parley >&2
else
  dir=build/package
  # Release (not RelWithDebInfo): no -g, so ccache reuses objects across build directories.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF >&2
  cmake --build "$dir" --target parley -j2 >&2
fi
rm -f "$dir"/parley_*.deb
(cd "$dir" && cpack -G DEB >&2)
ls "$dir"/parley_*.deb
