#!/usr/bin/env bash
# Every check of the Rust binding: cargo fmt --check, cargo clippy -D warnings, cargo test
# (unit, integration and doc tests of both crates). Exits non-zero on the first failure.
#
# With KVPS_PREFIX set (as scripts/test.sh does) it links the libkvps installed there.
# Without it, it builds the library from this repository and installs it into a prefix under
# the cargo target folder. The s3:// tests use KVPS_TEST_S3_URL, the gs:// and az:// ones
# KVPS_TEST_GCS_URL and KVPS_TEST_AZ_URL (the emulators scripts/test.sh starts); see README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
export KVPS_SOURCE_DIR="${KVPS_SOURCE_DIR:-$root}"

# rustup installs into ~/.cargo/bin, which a non-login shell may not have on its PATH.
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
for tool in cargo rustfmt cargo-clippy cmake pkg-config cc; do
  if ! command -v "$tool" >/dev/null; then
    echo "bindings/rust/test.sh: '$tool' is missing (Rust comes from rustup with the rustfmt" \
      "and clippy components; cmake, pkg-config and cc from Debian)" >&2
    exit 1
  fi
done

if [ -z "${KVPS_PREFIX:-}" ]; then
  build="$CARGO_TARGET_DIR/libkvps/build"
  export KVPS_PREFIX="$CARGO_TARGET_DIR/libkvps/prefix"
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  echo "== building libkvps into $KVPS_PREFIX"
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKVPS_BUILD_TESTS=OFF -DKVPS_BUILD_CLI=OFF -DKVPS_BUILD_BENCH=OFF \
    -DCMAKE_INSTALL_PREFIX="$KVPS_PREFIX" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
  cmake --build "$build" -j2
  cmake --install "$build" >/dev/null
fi
export PKG_CONFIG_PATH="$KVPS_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$KVPS_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

for server in "KVPS_TEST_S3_URL s3" "KVPS_TEST_GCS_URL gs" "KVPS_TEST_AZ_URL az"; do
  set -- $server
  if [ -z "${!1:-}" ]; then
    if [ "${CI:-}" = true ]; then
      echo "bindings/rust/test.sh: CI=true but $1 is not set; the $2 tests will fail" >&2
    else
      echo "== $1 is not set: the $2:// tests will be skipped"
    fi
  fi
done
set --

cd "$here"
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
# The `async` feature is on in every run, so its code and tests are checked too.
cargo clippy --workspace --all-targets --locked --features kvps/async -- -D warnings
echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked -q --features kvps/async
# A hung test fails this script (after 30 minutes) instead of running out CI's clock.
limit="timeout --kill-after=30 1800"
echo "== cargo test"
$limit cargo test --workspace --locked -j2 --features kvps/async
# The FFI layer's memory handling (every buffer, page and handle freed once, nothing read out
# of bounds) under valgrind, on the backends that need no server.
if command -v valgrind >/dev/null; then
  echo "== cargo test under valgrind (api, log, memory://, file://)"
  host="$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z-' 'A-Z_')"
  runner="valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite"
  export "CARGO_TARGET_${host}_RUNNER=$runner"
  $limit cargo test -p kvps --locked -j2 --test api --test log
  $limit cargo test -p kvps --locked -j2 --test backends -- memory:: file::
  $limit cargo test -p kvps --locked -j2 --features async --test asynchronous -- memory:: file::
  unset "CARGO_TARGET_${host}_RUNNER"
else
  echo "== valgrind is not installed: skipping the memory check (apt-get install valgrind)"
fi
# The `bundled` feature builds libkvps from this repository with CMake instead of pkg-config;
# its header check runs against that build, with no help from the installed prefix.
echo "== cargo test -p kvps-sys --features bundled"
env -u PKG_CONFIG_PATH -u LD_LIBRARY_PATH \
  $limit cargo test -p kvps-sys --features bundled --locked -j2
echo "== bindings/rust: all checks passed"
