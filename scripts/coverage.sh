#!/usr/bin/env bash
# Line and branch coverage of src/ by the C suite (every ctest test), with gcovr: builds the
# tree with --coverage into its own build folder, runs ctest, prints the per-file report, and
# fails when the totals fall under the floors.
#
#   scripts/coverage.sh [BUILD-DIR [CMAKE-ARGS...]]      default: _build-coverage
#
# CMAKE-ARGS go to the configure step: scripts/test.sh passes -DKVPS_SANITIZE=ON, so one
# ASan+UBSan build both checks the C suite for memory errors and measures its coverage (gcov
# and the sanitizers work together in gcc). KVPS_COVERAGE_CTEST_ARGS adds ctest arguments (a
# word list, e.g. "-LE no-sanitizer").
#
# Run it with the S3 test servers up (tests/s3/servers.sh start; scripts/test.sh does), or the
# s3 backend's code counts as uncovered. Floors: KVPS_COVERAGE_LINES and KVPS_COVERAGE_BRANCHES
# (percent). Branches exclude the compiler's exception-unwinding branches (--exclude-throw-
# branches), which are not decisions in our code. tests/RELIABILITY.md says what stays uncovered.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/_build-coverage}
shift || true
jobs=${KVPS_JOBS:-2}
ctest_jobs=${KVPS_CTEST_JOBS:-$jobs}  # tests at a time
# Measured 91.0% lines, 68.2% branches (2026-12-01, the ASan+UBSan stage of scripts/test.sh,
# every test server up); raise them as tests land, never lower them to pass.
min_lines=${KVPS_COVERAGE_LINES:-88}
min_branches=${KVPS_COVERAGE_BRANCHES:-65}

command -v gcovr >/dev/null || { echo "coverage: gcovr is missing (scripts/install-deps.sh --test)"; exit 1; }

# Atomic counters: the suites run many threads, and plain counters race (gcov then reads
# negative counts).
flags="--coverage -fprofile-update=atomic"
cmake -S "$root" -B "$dir" -G Ninja -DKVPS_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DKVPS_BUILD_BENCH=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$flags" "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j "$jobs"

# Counts from an earlier run would add up: start from zero.
find "$dir" -name '*.gcda' -delete
ctest_rc=0
# The 4 GiB file test streams the same code with a 64 MiB value here (it is about memory use,
# which the ctest stages check). install-consumer is left out: it links the installed static
# library into a program that knows nothing of gcov, and it runs no code of src/ of its own.
# KVPS_COVERAGE_SKIP replaces that list (scripts/test.sh runs the tests it names in the release
# build). With CI=true a skipped test fails the run, as in scripts/test.sh.
skip=${KVPS_COVERAGE_SKIP:-'^(install-consumer|s3-integration-.*|reliability-fault-run-.*|conformance-writes-.*-partcopy|file-crash|postgres-big-value)$'}
# shellcheck disable=SC2086
KVPS_FILE_BIG_SIZE=$((64 << 20)) ctest --test-dir "$dir" -j "$ctest_jobs" --output-on-failure --no-tests=error \
    -E "$skip" ${KVPS_COVERAGE_CTEST_ARGS:-} | tee "$dir.ctest.log" || ctest_rc=$?
if [[ "${CI:-}" == "true" ]] && grep -q "Not Run\|\*\*\*Skipped" "$dir.ctest.log"; then
    echo "coverage: skipped tests under CI=true count as failures"
    ctest_rc=1
fi

echo "--- coverage of src/ (floors: ${min_lines}% lines, ${min_branches}% branches)"
gcov_rc=0
gcovr --root "$root" --object-directory "$dir" --filter "$root/src/" \
    --exclude-throw-branches --exclude-unreachable-branches \
    --json "$dir/coverage.json" || gcov_rc=$?
if ((gcov_rc == 0)); then
    report=(gcovr --root "$root" --add-tracefile "$dir/coverage.json")
    echo "lines, per file:"
    "${report[@]}" --txt -
    echo "branches, per file:"
    "${report[@]}" --txt - --branches --print-summary \
        --fail-under-line "$min_lines" --fail-under-branch "$min_branches" || gcov_rc=$?
fi
if ((gcov_rc)); then
    echo "coverage: FAILED: under the floor (${min_lines}% lines, ${min_branches}% branches), or gcovr failed ($gcov_rc)"
fi
if ((ctest_rc)); then
    echo "coverage: FAILED: a test failed in the coverage build"
fi
((gcov_rc == 0 && ctest_rc == 0))
