#!/usr/bin/env bash
# Lists the C and C++ files under src/, include/, tests/ and bench/ that clang-format
# (.clang-format) would change. With --strict (as scripts/test.sh runs it) it exits 1 when there
# is any; without, it only lists them.
# Installs clang-format from Debian when it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
strict=0
[[ "${1:-}" == --strict ]] && strict=1
if ! command -v clang-format >/dev/null; then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        apt-get update -qq && apt-get install -y -qq clang-format >/dev/null
    else
        echo "check-format: clang-format is missing (apt-get install clang-format)" >&2
        exit 1
    fi
fi
cd "$root"
bad=()
while IFS= read -r -d '' file; do
    if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then bad+=("$file"); fi
done < <(find src include tests bench -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)
if ((${#bad[@]})); then
    printf 'not formatted: %s\n' "${bad[@]}"
    echo "check-format: ${#bad[@]} file(s) differ from .clang-format (clang-format -i FILE)"
    ((strict)) && exit 1
else
    echo "check-format: every file is formatted"
fi
exit 0
