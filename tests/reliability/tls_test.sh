#!/usr/bin/env bash
# TLS against a real MinIO started here with a self-signed certificate (openssl req) on
# 127.0.0.1: refused by default, accepted with ca_file, and verify_tls=false warns once at open.
#
#   tests/reliability/tls_test.sh KVPS_CLI      (the built kvps tool)
# Exit 77 (skip) when MinIO or openssl is missing, a failure when CI=true.
set -uo pipefail
cli=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "tls_test: $*"; [[ "${CI:-}" == "true" ]] && exit 1; exit 77; }
"$root/tests/s3/servers.sh" install >/dev/null 2>&1 || skip "cannot install MinIO"
minio=$(ls "${XDG_CACHE_HOME:-$HOME/.cache}"/kvps/bin/minio-* 2>/dev/null | head -1)
[[ -x "$minio" ]] || skip "MinIO is missing"
command -v openssl >/dev/null || skip "openssl is missing"

dir=$(mktemp -d)
pid=
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAILED: $*"; exit 1; }

mkdir -p "$dir/certs" "$dir/data"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/certs/private.key" \
    -out "$dir/certs/public.crt" >/dev/null 2>&1 || fail "openssl req"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=tls$RANDOM$RANDOM
secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$secret MINIO_BROWSER=off \
    "$minio" server --quiet --address "127.0.0.1:$port" --certs-dir "$dir/certs" "$dir/data" \
    >"$dir/minio.log" 2>&1 &
pid=$!
endpoint="https://127.0.0.1:$port"
for _ in $(seq 1 150); do
    curl -s -o /dev/null --cacert "$dir/certs/public.crt" "$endpoint/minio/health/live" && break
    sleep 0.2
done
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/certs/public.crt" -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$user:$secret" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$endpoint/tls-test")
[[ "$code" == 200 ]] || fail "creating the bucket answered $code"

url="s3://tls-test?endpoint=$endpoint&region=us-east-1&access_key_id=$user&secret_access_key=$secret&max_attempts=1"
echo hello >"$dir/value"

# 1. Refused by default: the certificate is not trusted.
if "$cli" -q --store "$url" put k "$dir/value" 2>"$dir/err1"; then
    fail "a self-signed certificate was accepted without ca_file"
fi
grep -qi "certificate\|SSL\|TLS" "$dir/err1" || fail "the refusal does not say why: $(cat "$dir/err1")"
echo "ok: refused by default ($(head -1 "$dir/err1"))"

# 2. Accepted with ca_file.
"$cli" -q --store "$url&ca_file=$dir/certs/public.crt" put k "$dir/value" || fail "ca_file was not honoured"
got=$("$cli" -q --store "$url&ca_file=$dir/certs/public.crt" get k) || fail "get with ca_file"
[[ "$got" == hello ]] || fail "read back '$got'"
echo "ok: accepted with ca_file"

# 3. verify_tls=false works and warns once, at open.
"$cli" -v --store "$url&verify_tls=false" get k >"$dir/out3" 2>"$dir/err3" || fail "verify_tls=false: $(cat "$dir/err3")"
warnings=$(grep -c "warning:.*verify_tls=false" "$dir/err3")
[[ "$warnings" == 1 ]] || fail "verify_tls=false warned $warnings times: $(cat "$dir/err3")"
grep -q "$secret" "$dir/err3" "$dir/err1" && fail "the secret appears in the output"
echo "ok: verify_tls=false warns once"
echo "tls_test: passed"
