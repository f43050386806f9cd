#!/usr/bin/env bash
# Runs every check of the Go binding: gofmt, go vet, staticcheck, and go test -race against memory://,
# file:// and (with KVPS_TEST_S3_URL, KVPS_TEST_GCS_URL, KVPS_TEST_AZ_URL) a real S3 server and the GCS and
# Azure emulators scripts/test.sh starts. Exits non-zero on any failure.
#
# With KVPS_PREFIX set (scripts/test.sh sets it) it uses the library installed there;
# otherwise it builds the library from this repository and installs it into a temporary
# prefix first. Extra arguments go to `go test` (e.g. -run TestList -v, or -short to skip
# the 2 GiB stream).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# Go 1.23 or newer (iter.Seq2); the Debian package is the fallback when there is no go.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
    echo "test.sh: go not found; installing Debian's golang-go" >&2
    apt-get update -qq && apt-get install -y -qq golang-go >/dev/null
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${go_minor:-0}" -lt 23 ]; then
    echo "test.sh: $(go env GOVERSION) is too old: the binding needs Go 1.23 or newer" >&2
    exit 1
fi
export GOTOOLCHAIN=local CGO_ENABLED=1

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
if [ -z "${KVPS_PREFIX:-}" ]; then
    tmp=$(mktemp -d)
    echo "test.sh: KVPS_PREFIX unset: building the library into $tmp/prefix" >&2
    generator=()
    command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
    cmake -S "$root" -B "$tmp/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_INSTALL_PREFIX="$tmp/prefix" -DKVPS_BUILD_TESTS=OFF -DKVPS_BUILD_CLI=OFF \
        -DKVPS_BUILD_BENCH=OFF >"$tmp/build.log" 2>&1 &&
        cmake --build "$tmp/build" -j2 >>"$tmp/build.log" 2>&1 &&
        cmake --install "$tmp/build" >>"$tmp/build.log" 2>&1 ||
        { cat "$tmp/build.log" >&2; echo "test.sh: building the library failed" >&2; exit 1; }
    export KVPS_PREFIX="$tmp/prefix"
fi

# The folder holding pkgconfig/kvps.pc: lib, lib64 or a multiarch lib/<triplet>.
pc=$(find "$KVPS_PREFIX" -path '*/pkgconfig/kvps.pc' -print -quit)
if [ -z "$pc" ]; then
    echo "test.sh: no pkgconfig/kvps.pc under KVPS_PREFIX=$KVPS_PREFIX" >&2
    exit 1
fi
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Go's build cache keys on CGO_* flags but not on what pkg-config answers: name the prefix and
# the header's hash here so that another prefix or a changed kvps.h rebuilds the package.
header=$(pkg-config --variable=includedir kvps)/kvps.h
header_sum=$(sha256sum "$header" | cut -c1-16)
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -I$(dirname "$header") -DKVPS_GO_HEADER_SUM=$header_sum"
export CGO_LDFLAGS="${CGO_LDFLAGS:--O2 -g} -L$libdir"

cd "$here"
echo "== gofmt" >&2
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
    echo "test.sh: not gofmt-formatted:" >&2
    echo "$unformatted" >&2
    exit 1
fi
echo "== go vet" >&2
go vet ./...

# staticcheck at a pinned version, built once from the Go module proxy into a cache folder.
STATICCHECK_VERSION=v0.8.2
staticcheck_bin=${XDG_CACHE_HOME:-$HOME/.cache}/kvps/bin/staticcheck-$STATICCHECK_VERSION
if [ ! -x "$staticcheck_bin" ]; then
    gobin=$(mktemp -d)
    if GOBIN=$gobin GOFLAGS=-buildvcs=false go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" >&2; then
        mkdir -p "$(dirname "$staticcheck_bin")"
        mv "$gobin/staticcheck" "$staticcheck_bin"
    fi
    rm -rf "$gobin"
fi
if [ -x "$staticcheck_bin" ]; then
    echo "== staticcheck $STATICCHECK_VERSION" >&2
    "$staticcheck_bin" ./...
elif [ "${CI:-}" = true ]; then
    echo "test.sh: staticcheck could not be installed" >&2
    exit 1
else
    echo "test.sh: staticcheck could not be installed: skipping it" >&2
fi
echo "== go test -race (library: $libdir)" >&2
go test -race -count=1 -timeout 20m "$@" ./...
