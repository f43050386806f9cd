#!/bin/sh
# Installs the built library into a temporary prefix, then builds and runs a small C consumer
# against it twice: through pkg-config and through find_package(kvps).
set -eu
build_dir="$1"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/ | head -n 1)
test -f "$work/prefix/include/kvps.h"
test -f "$libdir/pkgconfig/kvps.pc"
test -f "$libdir/cmake/kvps/kvpsConfig.cmake"
test -L "$libdir/libkvps.so"

# 1. pkg-config
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$work/by-pkg-config" "$here/consumer/consumer.c" $(pkg-config --cflags --libs kvps)
LD_LIBRARY_PATH="$libdir" "$work/by-pkg-config"
readelf -d "$work/by-pkg-config" | grep -q 'NEEDED.*libkvps.so.0'

# 2. CMake package
cmake -S "$here/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer"
echo "install test: pkg-config and find_package(kvps) consumers both work"
