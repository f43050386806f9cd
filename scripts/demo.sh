#!/usr/bin/env bash
# The main job: builds kvps and does a short round trip with the command-line tool on its
# default local store (a file:// folder under ~/.local/share/kvps; see `kvps --help`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DKVPS_BUILD_TESTS=OFF -DKVPS_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build" -j "${KVPS_JOBS:-2}" >/dev/null
kvps="$root/build/src/cli/kvps"
set -x
echo "hello from $("$kvps" --version)" | "$kvps" put greeting
"$kvps" put readme "$root/README.md"
"$kvps" ls -l
"$kvps" get greeting
"$kvps" stat readme
"$kvps" backends
