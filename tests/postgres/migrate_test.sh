#!/usr/bin/env bash
# The migration recipe (src/backends/postgres/README.md): `kvps cp` copies a table KVPSButter
# wrote (its DDL, its rows) into a kvps store, here a file:// folder and a kvps-layout table;
# every key, size and byte is checked. Needs the server of tests/postgres/server.sh (its
# KVPS_TEST_PG_* variables): without it exit 77 (skip), or 1 when CI=true.
#   migrate_test.sh KVPS_BINARY
set -euo pipefail
kvps=$1
if [ -z "${KVPS_TEST_PG_URL:-}" ]; then
    echo "migrate_test: KVPS_TEST_PG_URL is not set"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
command -v psql >/dev/null || { echo "migrate_test: psql is missing"; exit 1; }
export PGPASSWORD=$KVPS_TEST_PG_PASSWORD
sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 -h "$KVPS_TEST_PG_HOST" -p "$KVPS_TEST_PG_PORT" \
        -U "$KVPS_TEST_PG_USER" -d "$KVPS_TEST_PG_DATABASE" -c "$1"
}
t=kb_migrate_$$
work=$(mktemp -d)
trap 'sql "DROP TABLE IF EXISTS $t, ${t}_kvps_props" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# The table and rows as KVPSButter makes them (its README's DDL; its upsert sets size to the
# byte count and last_modified to now).
sql "CREATE TABLE $t (keyname TEXT PRIMARY KEY, keyvalue BYTEA NOT NULL, size BIGINT NOT NULL,
     last_modified TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP)"
sql "INSERT INTO $t (keyname, keyvalue, size, last_modified)
     SELECT k, v, octet_length(v), now() FROM (
       SELECT 'docs/' || i || '.txt' AS k, convert_to(repeat('line ' || i || E'\n', i * 37), 'UTF8') AS v
       FROM generate_series(1, 40) i
       UNION ALL SELECT 'bin/zeros', decode(repeat('00', 300000), 'hex')
       UNION ALL SELECT 'Ünïcode/ключ', convert_to('значение', 'UTF8')) rows"

src="postgres://?username=$KVPS_TEST_PG_USER&password=$KVPS_TEST_PG_PASSWORD&host=$KVPS_TEST_PG_HOST"
src+="&port=$KVPS_TEST_PG_PORT&database=$KVPS_TEST_PG_DATABASE&tablename=$t&layout=kvpsbutter"
to_table="$KVPS_TEST_PG_URL&table=${t}_kvps"
"$kvps" cp "$src" "file://$work/store"
"$kvps" cp "$src" "$to_table"

count=0
while IFS= read -r key; do
    count=$((count + 1))
    sql "SELECT encode(keyvalue, 'hex') FROM $t WHERE keyname = '$key'" >"$work/expected.hex"
    for store in "file://$work/store" "$to_table"; do
        "$kvps" --store "$store" get "$key" "$work/got"
        od -An -v -tx1 "$work/got" | tr -d ' \n' >"$work/got.hex"
        echo >>"$work/got.hex"
        if ! cmp -s "$work/expected.hex" "$work/got.hex"; then
            echo "migrate_test: key '$key' differs in $store" >&2
            exit 1
        fi
    done
done < <(sql "SELECT keyname FROM $t ORDER BY keyname")
listed=$("$kvps" --store "file://$work/store" ls -r | wc -l)
[ "$count" -eq 42 ] && [ "$listed" -eq 42 ] || { echo "migrate_test: $count keys in the table, $listed copied" >&2; exit 1; }
sql "DROP TABLE ${t}_kvps, ${t}_kvps_chunks, ${t}_kvps_meta CASCADE; DROP SEQUENCE ${t}_kvps_version;
     DROP FUNCTION ${t}_kvps_drop_chunks()"
echo "migrate_test: 42 keys copied from KVPSButter's table to file:// and to a kvps table, every byte equal"
