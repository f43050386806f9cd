#!/usr/bin/env bash
# Programs in Rust and Go that run on their own: each is built, then run with an EMPTY
# LD_LIBRARY_PATH and checked not to need libkvps.so at all.
#   Rust: the kvps crate's `list` example with the `bundled` feature (libkvps.a built from this
#         repository and linked in, as rusqlite's bundled does)
#   Go:   a small program built with -tags kvps_static (pkg-config module kvps-static)
# Needs KVPS_PREFIX (an installed kvps, for Go's pkg-config), as scripts/test.sh sets it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${KVPS_PREFIX:?set KVPS_PREFIX to an installed kvps (scripts/test.sh does)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check_alone() {  # check_alone NAME BINARY ARGS...
    local name=$1 binary=$2
    shift 2
    if readelf -d "$binary" | grep -q 'NEEDED.*libkvps\.so'; then
        echo "static_bindings: the $name program still needs libkvps.so" >&2
        return 1
    fi
    env LD_LIBRARY_PATH= "$binary" "$@"
    echo "static_bindings: $name runs without LD_LIBRARY_PATH"
}

folder="$work/store"
mkdir -p "$folder/docs"
echo hello >"$folder/docs/a.txt"

# ---- Rust
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/bindings/rust/target}"
(cd "$root/bindings/rust" &&
    env -u PKG_CONFIG_PATH -u LD_LIBRARY_PATH KVPS_SOURCE_DIR="$root" \
        cargo build -p kvps --features bundled --example list --locked -j2 -q)
out=$(check_alone Rust "$CARGO_TARGET_DIR/debug/examples/list" "file://$folder?pathmapped=true")
echo "$out"
grep -q 'docs/a.txt' <<<"$out"

# ---- Go
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
pc=$(find "$KVPS_PREFIX" -path '*/pkgconfig/kvps-static.pc' -print -quit)
export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
mkdir -p "$work/goprog"
cat >"$work/goprog/go.mod" <<GOMOD
module example.com/goprog

go 1.23

require github.com/kvps/kvps/bindings/go v0.0.0
replace github.com/kvps/kvps/bindings/go => $root/bindings/go
GOMOD
cat >"$work/goprog/main.go" <<'GO'
package main

import (
	"fmt"
	"os"

	kvps "github.com/kvps/kvps/bindings/go"
)

func main() {
	store, err := kvps.Open("memory://")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer store.Close()
	if err := store.Put("k", []byte("static")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	value, err := store.Get("k")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("go: kvps %s, got %s\n", kvps.Version(), value)
}
GO
(cd "$work/goprog" && GOTOOLCHAIN=local CGO_ENABLED=1 GOFLAGS=-mod=mod \
    go build -tags kvps_static -o "$work/goprog/prog" .)
out=$(check_alone Go "$work/goprog/prog")
echo "$out"
grep -q 'got static' <<<"$out"
