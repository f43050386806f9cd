#!/bin/sh
# prelink-static.sh OUTPUT.a AR CXX INPUT...
# Builds libkvps.a as ONE relocatable object (CXX -r) of every input, archived. Backends
# register themselves from static initializers that nothing else references, so a plain
# archive of many objects would lose them at link time (the linker takes only the objects a
# program refers to); one object comes whole with kvps_open. Inputs are object files, or
# -Wl,--whole-archive lib.a -Wl,--no-whole-archive.
set -eu
out=$1
ar=$2
cxx=$3
shift 3
object="${out%.a}.o"
"$cxx" -r -nostdlib -o "$object" "$@"
rm -f "$out"
"$ar" rcs "$out" "$object"
