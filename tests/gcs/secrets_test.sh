#!/usr/bin/env bash
# gs:// secrets never appear in output: an access token option, a service account's private key,
# an authorized_user file's client secret and refresh token, and the access token a token
# endpoint hands out go in, in failing and succeeding runs of the kvps tool with -v, and every
# output is searched for them and for any 8-byte piece of them. The token endpoint is a minimal
# local responder this script runs (fake-gcs-server checks no token).
#
#   tests/gcs/secrets_test.sh KVPS_CLI '$KVPS_TEST_GCS_URL' TEST_KEY_PEM
set -uo pipefail
cli=$1
base=$2
key_pem=$3
if [[ "$base" == \$* ]]; then
    name=${base#\$}
    base=${!name:-}
fi
if [[ -z "$base" ]]; then
    echo "secrets_test: no GCS emulator URL"
    [[ "${CI:-}" == "true" ]] && exit 1
    exit 77
fi
dir=$(mktemp -d)
responder=
trap '[[ -n "$responder" ]] && kill "$responder" 2>/dev/null; rm -rf "$dir"' EXIT
failures=0
endpoint=$(sed -n 's/.*[?&]endpoint=\([^&]*\).*/\1/p' <<<"$base")
bucket=$(sed -n 's|^gs://\([^/?]*\).*|\1|p' <<<"$base")
store="gs://$bucket/secrets-$$/?endpoint=$endpoint&max_attempts=1"
echo value >"$dir/value"

check() {  # check SECRET OUTPUT_FILE WHAT: fails when the output holds any 8-byte piece
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
run() {  # run SECRET WHAT ENV... -- ARGS...
    local secret=$1 what=$2
    shift 2
    local envs=()
    while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
    shift
    env -u GOOGLE_APPLICATION_CREDENTIALS -u STORAGE_EMULATOR_HOST HOME="$dir" \
        GCE_METADATA_HOST=127.0.0.1:9 "${envs[@]}" "$cli" -v "$@" >"$dir/out" 2>&1
    echo "  $what: exit $?"
    check "$secret" "$dir/out" "$what"
}
json() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# The local token endpoint: every POST gets the same distinctive access token.
issued="ya29.Iss3dT0kenLp9Qx7Rv"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$port" "$issued" <<'PY' &
import http.server, json, sys
port, token = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"access_token": token, "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
responder=$!
for _ in $(seq 1 50); do curl -s -o /dev/null -X POST "http://127.0.0.1:$port/" && break; sleep 0.1; done

key=$(cat "$key_pem")
key_body=$(grep -v -- '-----' "$key_pem" | tr -d '\n')
sa() {  # sa TOKEN_URI: a service account file with the test key
    printf '{"type":"service_account","client_email":"kvps@example.iam.gserviceaccount.com","private_key":%s,"token_uri":"%s"}' \
        "$(json "$key")" "$1" >"$dir/sa.json"
}
client_secret="Cl1entS3cretW8vQ"
refresh="1//R3freshT0kenK5mZ"
printf '{"type":"authorized_user","client_id":"cid","client_secret":"%s","refresh_token":"%s","token_uri":"http://127.0.0.1:9/token"}' \
    "$client_secret" "$refresh" >"$dir/user.json"
option_token="ya29.0pti0nT0kenN4wE"
garbled="-----BEGIN PRIVATE KEY-----\\nR2FyYmxlZEtleUJ5dGVzUXVpdGVTZWNyZXQ=\\n-----END PRIVATE KEY-----\\n"
printf '{"type":"service_account","client_email":"x@example.com","private_key":"%s"}' "$garbled" >"$dir/garbled.json"

echo "failing runs:"
sa "http://127.0.0.1:9/token"
run "$key_body" "private key, token endpoint down" GOOGLE_APPLICATION_CREDENTIALS="$dir/sa.json" -- --store "$store" put k "$dir/value"
run "$key_body" "private key, credentials option" -- --store "$store&credentials=$dir/sa.json" get k
run "R2FyYmxlZEtleUJ5dGVzUXVpdGVTZWNyZXQ=" "garbled private key" -- --store "$store&credentials=$dir/garbled.json" get k
run "$client_secret" "client secret" -- --store "$store&credentials=$dir/user.json" get k
run "$refresh" "refresh token" GOOGLE_APPLICATION_CREDENTIALS="$dir/user.json" -- --store "$store" ls
run "$option_token" "access_token, server down" -- --store "gs://$bucket/x?endpoint=http://127.0.0.1:9&max_attempts=1&access_token=$option_token" get k
run "$option_token" "access_token, bad option" -- --store "$store&access_token=$option_token&chunk_size=lots" get k

echo "succeeding runs:"
run "$option_token" "put, access_token" -- --store "$store&access_token=$option_token" put k "$dir/value"
sa "http://127.0.0.1:$port/token"
run "$key_body" "get, service account (key)" GOOGLE_APPLICATION_CREDENTIALS="$dir/sa.json" -- --store "$store" get k
run "$issued" "get, service account (issued token)" GOOGLE_APPLICATION_CREDENTIALS="$dir/sa.json" -- --store "$store" get k
run "$issued" "stat, service account (issued token)" -- --store "$store&credentials=$dir/sa.json" stat k
run "$issued" "rm, service account (issued token)" -- --store "$store&credentials=$dir/sa.json" rm k

if ((failures)); then
    echo "secrets_test: $failures outputs show a secret"
    exit 1
fi
echo "secrets_test: no secret in any output"
