#!/bin/sh
# Only kvps_* symbols leave the shared library, and it carries the SONAME libkvps.so.0.
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^kvps_' | grep -v '^KVPS_0$')
if [ -n "$bad" ]; then
    echo "exported symbols that are not kvps_*:"; echo "$bad"; exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^kvps_')
[ "$count" -ge 30 ] || { echo "only $count kvps_* symbols exported"; exit 1; }
readelf -d "$lib" | grep -q 'SONAME.*\[libkvps\.so\.0\]' || { echo "SONAME is not libkvps.so.0"; exit 1; }
echo "exports: $count kvps_* symbols, nothing else; SONAME libkvps.so.0"
