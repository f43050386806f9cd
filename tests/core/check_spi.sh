#!/bin/sh
# A backend includes only the SPI (src/core/spi/), the shared HTTP layer (src/net/, as
# "net/<name>.hpp"), kvps.h, its own folder's files and system headers; the SPI and src/net
# include only kvps.h, the SPI and their own files. Anything else of the core
# (registry.hpp, option_check.hpp, keys.hpp...) is the core's internals and fails this check.
# Usage: check_spi.sh <source root>
root="${1:-.}"
core="$root/src/core"
bad=0
check() {  # check <file> <folder its own includes may come from>
    file="$1"; own="$2"
    grep -n '^[[:space:]]*#[[:space:]]*include' "$file" | while IFS= read -r line; do
        case "$line" in
        *'"'*) name=$(printf '%s\n' "$line" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
               quoted=1 ;;
        *'<'*) name=$(printf '%s\n' "$line" | sed 's/^[^<]*<\([^>]*\)>.*/\1/')
               quoted=0 ;;
        *) continue ;;
        esac
        [ "$name" = kvps.h ] && continue
        case "$name" in spi/*) [ -f "$core/$name" ] && continue ;; esac
        case "$file" in "$root"/src/backends/*)
            case "$name" in net/*) [ -f "$root/src/$name" ] && continue ;; esac ;;
        esac
        if [ "$quoted" = 1 ] && [ -f "$own/$name" ]; then continue; fi
        # A system header is fine unless it names a file of the core.
        if [ "$quoted" = 0 ] && [ ! -e "$core/$name" ]; then continue; fi
        echo "$file:${line%%:*}: includes \"$name\", which is not part of the SPI (src/core/spi/)"
    done
}
out=$(
    find "$root/src/backends" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) |
        sort | while IFS= read -r f; do check "$f" "$(dirname "$f")"; done
    for f in "$core"/spi/* "$root"/src/net/*.?pp; do check "$f" "$(dirname "$f")"; done
)
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "backends may include only src/core/spi/ headers (as \"spi/<name>.hpp\"), src/net/ headers (as \"net/<name>.hpp\"), kvps.h and their own files"
    exit 1
fi
n=$(find "$root/src/backends" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.c' -o -name '*.h' \) | wc -l)
echo "spi: $n backend files include only the SPI, kvps.h and their own folder"
