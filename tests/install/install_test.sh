#!/bin/sh
# Installs the built library into a temporary prefix, then builds small C consumers against it
# as users would, and runs each with an EMPTY LD_LIBRARY_PATH (a program must find its library
# by itself):
#   1. pkg-config kvps (shared), run through LD_LIBRARY_PATH, as a control
#   2. pkg-config kvps with an rpath to the prefix: runs on its own
#   3. pkg-config kvps-static (libkvps.a linked in): runs on its own, no libkvps.so.0 needed;
#      and `pkg-config --static --libs kvps` resolves (Libs.private, Requires.private)
#   4. find_package(kvps): kvps::kvps with the build's rpath, and kvps::kvps_static
#   5. the installed kvps tool (its RPATH finds ../lib)
set -eu
build_dir="$1"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/ | head -n 1)
libdir=${libdir%/}
test -f "$work/prefix/include/kvps.h"
test -f "$libdir/pkgconfig/kvps.pc"
test -f "$libdir/pkgconfig/kvps-static.pc"
test -f "$libdir/cmake/kvps/kvpsConfig.cmake"
test -L "$libdir/libkvps.so"
test -f "$libdir/libkvps.a"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
consumer="$here/consumer/consumer.c"

needs_libkvps_so() { readelf -d "$1" | grep -q 'NEEDED.*libkvps\.so'; }
run_alone() { env LD_LIBRARY_PATH= "$@"; }

# 1. shared, found through LD_LIBRARY_PATH; without it the loader cannot find it (exit 127)
cc -o "$work/shared" "$consumer" $(pkg-config --cflags --libs kvps)
needs_libkvps_so "$work/shared"
LD_LIBRARY_PATH="$libdir" "$work/shared"
if run_alone "$work/shared" >/dev/null 2>&1; then
    echo "install test: a program without rpath found libkvps.so.0 with an empty LD_LIBRARY_PATH?" >&2
    exit 1
fi

# 2. shared, with an rpath
cc -o "$work/rpath" "$consumer" $(pkg-config --cflags --libs kvps) \
    -Wl,-rpath,"$(pkg-config --variable=libdir kvps)"
run_alone "$work/rpath"

# 3. static
pkg-config --static --libs kvps | grep -q -- '-lcurl'
cc -o "$work/static" "$consumer" $(pkg-config --cflags --libs kvps-static)
if needs_libkvps_so "$work/static"; then
    echo "install test: the kvps-static consumer still needs libkvps.so" >&2
    exit 1
fi
run_alone "$work/static"

# 4. CMake package: shared (CMake sets the build rpath) and static
cmake -S "$here/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
run_alone "$work/cmake-build/consumer"
run_alone "$work/cmake-build/consumer_static"
if needs_libkvps_so "$work/cmake-build/consumer_static"; then
    echo "install test: kvps::kvps_static still needs libkvps.so" >&2
    exit 1
fi

# 5. the installed tool
if [ -x "$work/prefix/bin/kvps" ]; then
    run_alone "$work/prefix/bin/kvps" --version
fi
echo "install test: pkg-config (shared+rpath, static), find_package (shared, static) and the tool all run without LD_LIBRARY_PATH"
