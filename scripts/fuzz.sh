#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang (ASan + UBSan, -O1 with line tables: what
# libFuzzer's documentation suggests, and quicker to build than -O2 -g) and runs each over its seed
# corpus in tests/reliability/fuzz/corpus/TARGET for SECONDS (default 30; the documented long
# run is 600). New inputs go to a scratch folder, never into the committed seeds; a crash
# leaves its input in the build folder and fails the run.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: url keys s3_xml cursor aws_config
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(url keys s3_xml cursor aws_config)
build=${KVPS_FUZZ_DIR:-$root/_build-fuzz}
jobs=${KVPS_JOBS:-2}

cc=$(command -v clang || command -v clang-14 || true)
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [[ -z "$cc" || -z "$cxx" ]]; then
    echo "fuzz.sh: clang is missing (apt-get install clang)"
    exit 1
fi
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DKVPS_FUZZ=ON -DKVPS_BUILD_BENCH=OFF -DKVPS_BUILD_CLI=OFF -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_FLAGS="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}"

status=0
for target in "${targets[@]}"; do
    scratch=$(mktemp -d)
    echo "--- fuzz_$target: ${seconds}s"
    if (cd "$build" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "./tests/reliability/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "$scratch" \
        "$root/tests/reliability/fuzz/corpus/$target" 2>"$build/fuzz_$target.log"); then
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz_$target.log" || true
    else
        status=1
        tail -40 "$build/fuzz_$target.log"
        echo "fuzz_$target FAILED (crash input in $build)"
    fi
    rm -rf "$scratch"
done
exit $status
