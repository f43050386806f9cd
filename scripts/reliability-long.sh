#!/usr/bin/env bash
# The long reliability runs of issue 13 (figures in tests/RELIABILITY.md). Takes about 1 h 40 min
# on two cores (50 min of it step 5); the short versions of each run in scripts/test.sh.
#
#   scripts/reliability-long.sh [BUILD_DIR]
#
#   1. 1,000 mixed S3 operations at 20% injected faults through the fault proxy, on MinIO and
#      on versitygw (reliability_fault_run URL 1000 SEED 0.2)
#   2. the file:// crash test with 1,000 SIGKILLs per layout (encoded and pathmapped)
#   3. the full disk: a 1 MiB tmpfs (where mountable) and RLIMIT_FSIZE, both layouts
#   4. ThreadSanitizer: 16 threads x 2,000 operations on one handle of each backend (memory,
#      file, s3 on MinIO and on versitygw, postgres, gs on fake-gcs-server, az on Azurite), and
#      the asynchronous API's suites (tests/async) on memory, file and both S3 servers
#   5. each libFuzzer target for 10 minutes (scripts/fuzz.sh 600)
#   6. az://: a 1 GiB value streamed through Azurite at peak RSS under 64 MiB (ctest: 256 MiB)
#
#   scripts/reliability-long.sh --no-fuzz [BUILD_DIR]    all but step 5 (run it on its own)
#
# Starts its own servers (tests/s3/servers.sh; for steps 4 and 6 also tests/postgres/server.sh,
# tests/gcs/server.sh, tests/azure/server.sh) and stops them at the end.
# KVPS_LONG_STEPS="faults crash disk tsan fuzz azbig" picks steps; KVPS_CRASH_KILLS,
# KVPS_TSAN_OPS and KVPS_FUZZ_SECONDS shorten them on a busy machine (the figures then say so).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
default_steps="faults crash disk tsan fuzz azbig"
if [[ "${1:-}" == "--no-fuzz" ]]; then
    default_steps="faults crash disk tsan azbig"
    shift
fi
build=${1:-$root/_build-long}
jobs=${KVPS_JOBS:-2}
seed=${KVPS_SEED:-$(date +%s)}
kills=${KVPS_CRASH_KILLS:-1000}
fuzz_seconds=${KVPS_FUZZ_SECONDS:-600}
tsan_ops=${KVPS_TSAN_OPS:-2000}
steps=" ${KVPS_LONG_STEPS:-$default_steps} "
wanted() { [[ "$steps" == *" $1 "* ]]; }

state=$(mktemp -d)
stop_all() {
    "$root/tests/s3/servers.sh" stop "$state" >/dev/null 2>&1
    local one
    for one in postgres gcs azure; do
        [[ -d "$state/$one" ]] && "$root/tests/$one/server.sh" stop "$state/$one" >/dev/null 2>&1
    done
    rm -rf "$state"
}
trap stop_all EXIT
if wanted faults || wanted tsan; then
    "$root/tests/s3/servers.sh" start "$state" >"$state/env.sh" || exit 1
    # shellcheck disable=SC1091
    source "$state/env.sh"
fi
if wanted tsan; then
    for one in postgres gcs azure; do
        mkdir -p "$state/$one"
        "$root/tests/$one/server.sh" start "$state/$one" >"$state/$one.env.sh" || exit 1
        # shellcheck disable=SC1090
        source "$state/$one.env.sh"
    done
fi

failed=()
step() {
    echo "=== $1"
    shift
    local start=$SECONDS
    if "$@"; then echo "=== ok ($((SECONDS - start)) s)"; else failed+=("$1"); echo "=== FAILED"; fi
}

if wanted faults || wanted crash || wanted disk || wanted azbig; then  # (tsan has a build of its own)
    cmake -S "$root" -B "$build" -G Ninja -DKVPS_BUILD_BENCH=OFF >/dev/null &&
        cmake --build "$build" -j "$jobs" || exit 1
fi
if wanted faults; then
    step "faults: 1000 operations on MinIO (seed $seed)" \
        "$build/tests/reliability/reliability_fault_run" "$KVPS_TEST_S3_URL" 1000 "$seed" 0.2
    step "faults: 1000 operations on versitygw (seed $seed)" \
        "$build/tests/reliability/reliability_fault_run" "$KVPS_TEST_S3_URL_2" 1000 "$seed" 0.2
fi
wanted crash && step "file:// crash test, $kills SIGKILLs per layout" \
    env KVPS_CRASH_KILLS="$kills" "$build/tests/file/kvps_file_crash_test"
wanted disk && step "full disk (tmpfs, RLIMIT_FSIZE), both layouts" \
    "$build/tests/reliability/reliability_full_disk_test"
tsan_long() {
    local dir=$build-tsan
    cmake -S "$root" -B "$dir" -G Ninja -DKVPS_SANITIZE=thread -DKVPS_BUILD_BENCH=OFF \
        -DKVPS_BUILD_CLI=OFF >/dev/null &&
        cmake --build "$dir" -j "$jobs" --target reliability_stress async_test async_more_test \
            async_streams_test || return 1
    local rc=0 url start test
    # ('$NAME': the tool reads the URL from the variable, so no password reaches the log)
    for url in memory:// file:// '$KVPS_TEST_S3_URL' '$KVPS_TEST_S3_URL_2' '$KVPS_TEST_PG_URL' \
        '$KVPS_TEST_GCS_URL' '$KVPS_TEST_AZ_URL'; do
        start=$SECONDS
        TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
            "$dir/tests/reliability/reliability_stress" "$url" "$tsan_ops" || rc=1
        echo "    ($((SECONDS - start)) s)"
    done
    # The asynchronous API's suites (issue 22): callbacks that start ops, closing with ops in
    # flight, 1,000 cancellations at random instants, cancelled stream writes and commits.
    for test in async_test async_more_test async_streams_test; do
        for url in memory:// file:// '$KVPS_TEST_S3_URL' '$KVPS_TEST_S3_URL_2'; do
            start=$SECONDS
            echo "    $test $url"
            TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
                "$dir/tests/async/$test" "$url" >"$dir/$test.log" 2>&1 ||
                { rc=1; tail -30 "$dir/$test.log"; }
            echo "    ($((SECONDS - start)) s)"
        done
    done
    return $rc
}
wanted tsan && step "tsan: 16 threads x $tsan_ops operations per backend" tsan_long
wanted fuzz && step "fuzz: $fuzz_seconds s per target" "$root/scripts/fuzz.sh" "$fuzz_seconds"
az_big() {
    local st rc=0
    st=$(mktemp -d)
    "$root/tests/azure/server.sh" start "$st" >/dev/null || return 1
    (source "$st/env.sh" && KVPS_AZ_BIG_SIZE=1073741824 \
        "$build/tests/azure/azure_big_value_test" KVPS_TEST_AZ_URL KVPS_AZ_BIG_SIZE) || rc=1
    "$root/tests/azure/server.sh" stop "$st" >/dev/null 2>&1
    rm -rf "$st"
    return $rc
}
wanted azbig && step "az://: 1 GiB streamed through Azurite, peak RSS under 64 MiB" az_big

if ((${#failed[@]})); then
    printf 'failed: %s\n' "${failed[@]}"
    exit 1
fi
echo "all long runs passed"
