#!/usr/bin/env bash
# boto3 <-> kvps interop on the servers named by KVPS_TEST_S3_URL and KVPS_TEST_S3_URL_2
# (start them with tests/s3/servers.sh start DIR and eval its output).
#
# Uses the installed library when KVPS_PREFIX is set (scripts/test.sh sets it), else builds the
# repository into a temporary folder. Installs boto3 with pip when it is missing. Without
# KVPS_TEST_S3_URL it skips (exit 0 with a message), or fails when CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [[ -z "${KVPS_TEST_S3_URL:-}" ]]; then
    if [[ "${CI:-}" == true ]]; then
        echo "run-interop.sh: KVPS_TEST_S3_URL is not set (CI=true): failing" >&2
        exit 1
    fi
    echo "run-interop.sh: KVPS_TEST_S3_URL is not set: skipped (start tests/s3/servers.sh)"
    exit 0
fi

python3 -c 'import boto3' 2>/dev/null || python3 -m pip install --quiet boto3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -n "${KVPS_PREFIX:-}" ]]; then
    cflags="-I$KVPS_PREFIX/include"
    libdir=$(dirname "$(find "$KVPS_PREFIX" -name 'libkvps.so' | head -n 1)")
else
    cmake -S "$root" -B "$work/build" -G Ninja -DKVPS_BUILD_TESTS=OFF -DKVPS_BUILD_BENCH=OFF \
        -DKVPS_BUILD_CLI=OFF >/dev/null
    cmake --build "$work/build" -j2 >/dev/null
    cflags="-I$root/include"
    libdir="$work/build"
fi
cc -std=c11 -Wall -Wextra -Werror $cflags "$here/interop_helper.c" -L"$libdir" -lkvps \
    -Wl,-rpath,"$libdir" -o "$work/interop_helper"

status=0
for var in KVPS_TEST_S3_URL KVPS_TEST_S3_URL_2; do
    url=${!var:-}
    if [[ -z "$url" ]]; then
        echo "run-interop.sh: $var is not set: that server is not tested"
        [[ "${CI:-}" == true ]] && status=1
        continue
    fi
    python3 "$here/interop.py" "$work/interop_helper" "$url" || status=1
done
exit $status
