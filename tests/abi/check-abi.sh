#!/usr/bin/env bash
# The ABI check: the current libkvps.so.0 against release 0.1.0, with libabigail.
#
#   tests/abi/check-abi.sh [LIBRARY]   check LIBRARY (built with debug info, e.g. the default
#                                      RelWithDebInfo build); without it, build the current
#                                      tree's library into _build-abi-check first
#   tests/abi/check-abi.sh FILE.abi    check an abidw dump made with abi_xml's flags
#   tests/abi/check-abi.sh --baseline  rewrite tests/abi/kvps-0.1.0.abi from the release commit
#
# Fails on anything but an addition: a removed or changed function, a changed struct layout
# (except members appended to the structs tests/abi/abi-growth.suppr names), a removed or
# renumbered enumerator, a 0.1.0 macro whose value changed. Additions pass and are listed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
RELEASE_COMMIT=2a596333834a970fb1f20d09ee4f997e2db8e73e  # release 0.1.0
baseline=$here/kvps-0.1.0.abi
old_header=$here/kvps-0.1.0.h
suppressions=$here/abi-growth.suppr

for tool in abidw abidiff python3; do
    command -v "$tool" >/dev/null || { echo "check-abi: $tool is missing (scripts/install-deps.sh --test installs it)"; exit 1; }
done

# abi_xml LIBRARY HEADERS-DIR OUT: the library's public ABI (only types from the headers).
# The same flags for the baseline and the current library, so the two compare as like for like.
abi_xml() {
    abidw --headers-dir "$2" --drop-private-types --exported-interfaces-only --no-corpus-path \
        --no-comp-dir-path --no-show-locs --type-id-style hash --out-file "$3" "$1"
}

# build_library SOURCE-DIR BUILD-DIR: the shared library alone, with debug info; prints its path.
build_library() {
    cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKVPS_BUILD_TESTS=OFF \
        -DKVPS_BUILD_CLI=OFF -DKVPS_BUILD_BENCH=OFF >"$2.configure.log" 2>&1 ||
        { cat "$2.configure.log" >&2; return 1; }
    cmake --build "$2" -j "${KVPS_JOBS:-2}" --target kvps >&2
    echo "$2/libkvps.so"
}

if [[ "${1:-}" == "--baseline" ]]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir "$work/src"
    git -C "$root" archive "$RELEASE_COMMIT" | tar -x -C "$work/src"
    git -C "$root" show "$RELEASE_COMMIT:include/kvps.h" | cmp - "$old_header" ||
        { echo "check-abi: $old_header differs from the release's include/kvps.h"; exit 1; }
    lib=$(build_library "$work/src" "$work/build")
    abi_xml "$lib" "$work/src/include" "$baseline"
    echo "check-abi: wrote $baseline from $RELEASE_COMMIT"
    exit 0
fi

lib=${1:-}
if [[ -z "$lib" ]]; then
    lib=$(build_library "$root" "$root/_build-abi-check")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ "$lib" == *.abi ]]; then
    cp "$lib" "$work/current.abi"  # an abidw dump made as abi_xml does (for testing this script)
else
    abi_xml "$lib" "$root/include" "$work/current.abi"
fi
if ! grep -q '<function-decl' "$work/current.abi"; then
    echo "check-abi: $lib has no debug info for its functions; build it with -g"
    exit 1
fi
failed=0

echo "--- every difference from 0.1.0 (libabigail's leaf report, additions included)"
abidiff --leaf-changes-only --harmless "$baseline" "$work/current.abi" || true

echo "--- the gate: nothing but additions"
set +e
abidiff --suppressions "$suppressions" "$baseline" "$work/current.abi" >"$work/gate.txt"
rc=$?
set -e
cat "$work/gate.txt"
# abidiff's exit status is a bit mask: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
# A change that is only added functions or variables sets 4 too, so read the summary lines.
if ((rc & 3)); then
    echo "check-abi: abidiff failed (exit status $rc)"
    failed=1
elif ((rc & 8)); then
    echo "check-abi: FAILED: an incompatible change (see above)"
    failed=1
elif ((rc & 4)) && grep 'summary:' "$work/gate.txt" | grep -vq ' 0 Removed, 0 Changed'; then
    echo "check-abi: FAILED: something of 0.1.0 was removed or changed (see above)"
    failed=1
fi

echo "--- the structs that may grow kept their 0.1.0 members"
python3 - "$baseline" "$work/current.abi" "$suppressions" <<'EOF' || failed=1
import re, sys
import xml.etree.ElementTree as ET

def spell(types, type_id, depth=0):
    # A member's type by name (hash-style ids may be renumbered when other types are added).
    node = types.get(type_id)
    if node is None or depth > 20:
        return str(type_id)
    inner = node.get('type-id')
    if node.tag == 'pointer-type-def':
        return spell(types, inner, depth + 1) + ' *'
    if node.tag == 'qualified-type-def':
        return ('const ' if node.get('const') == 'yes' else '') + spell(types, inner, depth + 1)
    if node.tag == 'array-type-def':
        return spell(types, node.get('element-type-id'), depth + 1) + f"[{node.get('size-in-bits')} bits]"
    return node.get('name') or node.tag

def structs(path):
    found = {}
    root = ET.parse(path)
    types = {n.get('id'): n for n in root.iter() if n.get('id')}
    for decl in root.iter('class-decl'):
        members = [(m.get('layout-offset-in-bits'), v.get('name'), spell(types, v.get('type-id')))
                   for m in decl.findall('data-member') for v in m.findall('var-decl')]
        if members:
            found[decl.get('name')] = (int(decl.get('size-in-bits')), members)
    return found

old, new = structs(sys.argv[1]), structs(sys.argv[2])
growable = re.search(r'name_regexp\s*=\s*(\S+)', open(sys.argv[3]).read()).group(1)
bad = 0
for name, (size, members) in sorted(old.items()):
    if not re.search(growable, name):
        continue  # abidiff's gate covers it in full
    if name not in new:
        print(f'struct {name}: gone'); bad = 1; continue
    new_size, new_members = new[name]
    if new_members[:len(members)] != members or new_size < size:
        print(f'struct {name}: its 0.1.0 members changed\n  was {members}\n  now {new_members}'); bad = 1
    elif len(new_members) > len(members):
        print(f'struct {name}: grew at the end by {[m[1] for m in new_members[len(members):]]} (allowed)')
    else:
        print(f'struct {name}: unchanged')
sys.exit(bad)
EOF

echo "--- the 0.1.0 header's macros keep their values"
# Versions may move: the library's version, and a versioned struct's KVPS_*_VERSION and _INIT.
macros() { echo '#include "kvps.h"' | ${CC:-cc} -dM -E -I "$1" -x c - | grep -E '^#define KVPS_' | sort; }
mkdir -p "$work/old"
cp "$old_header" "$work/old/kvps.h"
macros "$work/old" | grep -Ev '^#define KVPS_(VERSION_[A-Z]+|[A-Z_]+_VERSION|[A-Z_]+_INIT)[ (]' >"$work/old-macros"
macros "$root/include" >"$work/new-macros"
changed=$(comm -23 "$work/old-macros" "$work/new-macros")
if [[ -n "$changed" ]]; then
    echo "check-abi: FAILED: these 0.1.0 macros are gone or have new values:"
    echo "$changed"
    failed=1
else
    echo "all $(wc -l <"$work/old-macros") of them"
fi

if ((failed)); then
    echo "check-abi: FAILED against 0.1.0 ($RELEASE_COMMIT)"
    exit 1
fi
echo "check-abi: ok: libkvps.so.0 is 0.1.0 plus additions"
