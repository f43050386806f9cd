#!/bin/sh
# Runs a store test program against a new temporary file store, then removes the folder.
#   with_temp_store.sh PROGRAM [QUERY]     e.g. with_temp_store.sh kvps_conformance '?pathmapped=true'
set -eu
program=$1
query=${2:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/kvps-file-store-XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
"$program" "file://$dir/store$query"
