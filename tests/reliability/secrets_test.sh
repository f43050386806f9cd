#!/usr/bin/env bash
# Secrets never appear in output: a distinctive secret goes in through every input (URL password
# raw and percent-encoded, query options, the environment, the shared credentials file), in
# failing and succeeding runs of the kvps tool with -v, and every message, log line and output is
# searched for it and for any 8-byte piece of it. The succeeding runs use the MinIO test
# server's own secret, searched for the same way.
#
#   tests/reliability/secrets_test.sh KVPS_CLI '$KVPS_TEST_S3_URL'
set -uo pipefail
cli=$1
base=$2
if [[ "$base" == \$* ]]; then
    name=${base#\$}
    base=${!name:-}
fi
if [[ -z "$base" ]]; then
    echo "secrets_test: no S3 server URL"
    [[ "${CI:-}" == "true" ]] && exit 1
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

query() { sed -n "s/.*[?&]$1=\([^&]*\).*/\1/p" <<<"$base"; }
endpoint=$(query endpoint)
key_id=$(query access_key_id)
real_secret=$(query secret_access_key)
fake="Zq9V/xW7?pLm#S3cr@t%2Fk"   # has every character that breaks a careless URL parser
fake_encoded=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$fake")
token="T0kenQx8Rv5Nm2Lp"
bucket=$(sed -n 's|^s3://\([^/?]*\).*|\1|p' <<<"$base")
prefix="secrets-$$"
echo value >"$dir/value"

# check SECRET OUTPUT_FILE WHAT: fails when the output holds the secret or any 8-byte piece.
check() {
    local secret=$1 file=$2 what=$3 i
    for ((i = 0; i + 8 <= ${#secret}; i++)); do
        if grep -qF -- "${secret:i:8}" "$file"; then
            echo "FAILED: $what shows '${secret:i:8}' (part of a secret):"
            sed 's/^/    /' "$file" | head -5
            failures=$((failures + 1))
            return
        fi
    done
}

# run SECRET WHAT ENV... -- ARGS...: runs the tool, stdout and stderr together, then checks.
run() {
    local secret=$1 what=$2
    shift 2
    local envs=()
    while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$cli" -v "$@" >"$dir/out" 2>&1
    echo "  $what: exit $?"
    check "$secret" "$dir/out" "$what"
}
plain="endpoint=$endpoint&region=us-east-1&max_attempts=1"
creds_file="$dir/credentials"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$fake" >"$creds_file"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$real_secret" >"$dir/real-credentials"
real_encoded=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$real_secret")

echo "failing runs (a wrong secret, malformed URLs):"
run "$fake" "raw password" -- --store "s3://$key_id:$fake@$bucket/$prefix?$plain" put k "$dir/value"
run "$fake" "encoded password" -- --store "s3://$key_id:$fake_encoded@$bucket/$prefix?$plain" put k "$dir/value"
run "$fake" "query secret" -- --store "s3://$bucket/$prefix?$plain&access_key_id=$key_id&secret_access_key=$fake_encoded" get k
run "$fake" "query secret, bad option" -- --store "s3://$bucket/$prefix?$plain&access_key_id=$key_id&secret_access_key=$fake_encoded&part_size=lots" get k
run "$fake" "query secret, bad escape" -- --store "s3://$bucket/$prefix?$plain&access_key_id=$key_id&secret_access_key=${fake_encoded}%zz" get k
run "$fake" "password, no scheme" -- --store "$key_id:$fake@$bucket/$prefix" get k
run "$token" "session token" -- --store "s3://$bucket/$prefix?$plain&access_key_id=$key_id&secret_access_key=$real_encoded&session_token=$token" get k
run "$token" "session token with CR LF" -- --store "s3://$bucket/$prefix?$plain&access_key_id=$key_id&secret_access_key=$real_encoded&session_token=$token%0d%0aX:1" get k
run "$fake" "environment" AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$fake" -- --store "s3://$bucket/$prefix?$plain" ls
run "$fake" "credentials file" AWS_SHARED_CREDENTIALS_FILE="$creds_file" AWS_CONFIG_FILE=/dev/null -- --store "s3://$bucket/$prefix?$plain" stat k
run "$real_secret" "real secret, wrong key id" -- --store "s3://nobody:$real_encoded@$bucket/$prefix?$plain" get k

echo "succeeding runs:"
run "$real_secret" "put, URL password" -- --store "s3://$key_id:$real_encoded@$bucket/$prefix?$plain" put k "$dir/value"
run "$real_secret" "get, query" -- --store "s3://$bucket/$prefix?$plain&access_key_id=$key_id&secret_access_key=$real_encoded" get k
run "$real_secret" "ls, environment" AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$real_secret" -- --store "s3://$bucket/$prefix?$plain" ls -l
run "$real_secret" "stat, credentials file" AWS_SHARED_CREDENTIALS_FILE="$dir/real-credentials" AWS_CONFIG_FILE=/dev/null -- --store "s3://$bucket/$prefix?$plain" stat k
run "$real_secret" "rm, URL password" -- --store "s3://$key_id:$real_encoded@$bucket/$prefix?$plain" rm k
run "$real_secret" "backends" -- backends

if ((failures)); then
    echo "secrets_test: $failures outputs show a secret"
    exit 1
fi
echo "secrets_test: no secret in any output"
