#!/usr/bin/env bash
# Real S3 servers for the s3 backend's tests, on 127.0.0.1 only.
#
#   tests/s3/servers.sh install          build the pinned servers (skipped when cached)
#   tests/s3/servers.sh start STATEDIR   install if needed, start MinIO and versitygw on free
#                                        ports with temporary data and generated credentials,
#                                        create the bucket, print `export KVPS_TEST_S3_URL=...`
#                                        and `export KVPS_TEST_S3_URL_2=...`, and an instance
#                                        metadata simulator serving MinIO-issued temporary
#                                        credentials: `export KVPS_TEST_IMDS_ENDPOINT=...`
#                                        (all kept in STATEDIR/env.sh)
#   tests/s3/servers.sh stop STATEDIR    stop what start started and remove its data
#
# The servers are test-time tools built from source with `go install` at pinned versions; their
# binaries are cached under ${XDG_CACHE_HOME:-$HOME/.cache}/kvps/bin.
set -euo pipefail

# MinIO publishes no semver tags through the Go proxy: pin the exact pseudo-version.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
VERSITYGW_VERSION=v1.8.0
# AWS's own IMDS simulator, for the instance-metadata credential tests.
IMDS_MOCK_VERSION=v1.13.0
BUCKET=kvps-test
REGION=us-east-1
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/kvps/bin
MINIO_BIN=$CACHE/minio-$MINIO_VERSION
VERSITYGW_BIN=$CACHE/versitygw-$VERSITYGW_VERSION
IMDS_MOCK_BIN=$CACHE/ec2-metadata-mock-$IMDS_MOCK_VERSION

die() {
    echo "servers.sh: $*" >&2
    [ -n "${STARTING:-}" ] && stop "$STARTING"
    exit 1
}

# go_install MODULE@VERSION DEST: builds the module's main package into DEST unless present.
go_install() {
    local what=$1 dest=$2
    [ -x "$dest" ] && return 0
    command -v go >/dev/null || die "go is needed to build $what"
    mkdir -p "$CACHE"
    local gobin
    gobin=$(mktemp -d)
    echo "servers.sh: building $what (once; cached in $CACHE)" >&2
    GOBIN=$gobin GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install "$what" >&2 \
        || { rm -rf "$gobin"; die "go install $what failed"; }
    mv "$gobin"/* "$dest"
    rm -rf "$gobin"
}

install() {
    go_install "github.com/minio/minio@$MINIO_VERSION" "$MINIO_BIN"
    go_install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" "$VERSITYGW_BIN"
    # The module root has no main package: the command lives in cmd/.
    go_install "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@$IMDS_MOCK_VERSION" \
        "$IMDS_MOCK_BIN"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

random_text() { head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "$1"; }

# wait_ready NAME PID URL: polls until the server answers HTTP at all.
wait_ready() {
    local name=$1 pid=$2 url=$3 i
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || die "$name exited while starting (see its log in the state dir)"
        if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
        sleep 0.2
    done
    die "$name did not answer on $url within 60s"
}

# make_bucket ENDPOINT KEY SECRET: CreateBucket, signed by curl's own SigV4.
make_bucket() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:$REGION:s3" \
        -H "x-amz-content-sha256: $EMPTY_SHA256" --user "$2:$3" "$1/$BUCKET")
    case $code in 200|409) ;; *) die "creating bucket $BUCKET on $1 answered HTTP $code" ;; esac
}

# start_imds STATE MINIO_ENDPOINT KEY SECRET: ec2-metadata-mock (IMDSv2 only) on a free port,
# its fixed fake credentials replaced (through its config file) by temporary ones MinIO issued
# with STS AssumeRole, so that a request signed with them is one MinIO accepts. Prints the port.
start_imds() {
    local state=$1 answer port
    answer=$(curl -s -X POST --aws-sigv4 "aws:amz:$REGION:sts" --user "$3:$4" \
        -H "Content-Type: application/x-www-form-urlencoded" \
        --data "Action=AssumeRole&Version=2011-06-15&DurationSeconds=43200" "$2/") \
        || die "STS AssumeRole on MinIO ($2) failed"
    STS_ANSWER=$answer python3 - "$state/imds-config.json" <<'PY' || die "MinIO's STS answer has no credentials"
import json, os, sys, xml.etree.ElementTree as ET
root = ET.fromstring(os.environ["STS_ANSWER"])
def text(name):
    node = root.find(".//{*}Credentials/{*}" + name)
    if node is None or not node.text:
        sys.exit(1)
    return node.text
role = "kvps-test-role"
config = {"metadata": {
    "paths": {"iam-security-credentials": "/latest/meta-data/iam/security-credentials/" + role},
    "values": {
        "iam-security-credentials-role": role,
        "iam-security-credentials": {
            "Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z", "Type": "AWS-HMAC",
            "AccessKeyId": text("AccessKeyId"), "SecretAccessKey": text("SecretAccessKey"),
            "Token": text("SessionToken"), "Expiration": text("Expiration")},
        "placement-region": "eu-north-1"}}}
with open(sys.argv[1], "w") as out:
    json.dump(config, out)
PY
    port=$(free_port)
    setsid "$IMDS_MOCK_BIN" --hostname 127.0.0.1 --port "$port" --imdsv2 \
        --config-file "$state/imds-config.json" >"$state/imds.log" 2>&1 </dev/null &
    echo $! >"$state/imds.pid"
    wait_ready ec2-metadata-mock "$(cat "$state/imds.pid")" "http://127.0.0.1:$port/latest/meta-data/"
    echo "$port"
}

store_url() {
    echo "s3://$BUCKET?endpoint=$1&region=$REGION&path_style=true&access_key_id=$2&secret_access_key=$3"
}

start() {
    local state=$1
    install
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    [ -e "$state/minio.pid" ] && die "$state already has running servers (stop them first)"
    # Whatever fails from here on, nothing we started is left running.
    STARTING=$state
    trap 'stop "$state"' ERR
    trap 'stop "$state"; exit 1' INT TERM

    local key1 secret1 port1 cport key2 secret2 port2
    key1=kvps$(random_text 12); secret1=$(random_text 32)
    port1=$(free_port); cport=$(free_port)
    mkdir -p "$state/minio-data"
    MINIO_ROOT_USER=$key1 MINIO_ROOT_PASSWORD=$secret1 MINIO_BROWSER=off \
        MINIO_UPDATE=off MINIO_CI_CD=1 \
        setsid "$MINIO_BIN" server "$state/minio-data" --quiet \
        --address "127.0.0.1:$port1" --console-address "127.0.0.1:$cport" \
        >"$state/minio.log" 2>&1 </dev/null &
    echo $! >"$state/minio.pid"

    key2=kvps$(random_text 12); secret2=$(random_text 32)
    port2=$(free_port)
    mkdir -p "$state/versitygw-data"
    ROOT_ACCESS_KEY=$key2 ROOT_SECRET_KEY=$secret2 \
        setsid "$VERSITYGW_BIN" --port "127.0.0.1:$port2" posix "$state/versitygw-data" \
        >"$state/versitygw.log" 2>&1 </dev/null &
    echo $! >"$state/versitygw.pid"

    wait_ready minio "$(cat "$state/minio.pid")" "http://127.0.0.1:$port1/minio/health/ready"
    wait_ready versitygw "$(cat "$state/versitygw.pid")" "http://127.0.0.1:$port2/"
    make_bucket "http://127.0.0.1:$port1" "$key1" "$secret1"
    make_bucket "http://127.0.0.1:$port2" "$key2" "$secret2"
    local iport
    iport=$(start_imds "$state" "http://127.0.0.1:$port1" "$key1" "$secret1")

    trap - ERR INT TERM
    STARTING=
    {
        echo "export KVPS_TEST_S3_URL='$(store_url "http://127.0.0.1:$port1" "$key1" "$secret1")'"
        echo "export KVPS_TEST_S3_URL_2='$(store_url "http://127.0.0.1:$port2" "$key2" "$secret2")'"
        # versitygw (posix) keeps each object as a plain file here: tests flip bytes in them.
        echo "export KVPS_TEST_S3_DATA_2='$state/versitygw-data/$BUCKET'"
        echo "export KVPS_TEST_IMDS_ENDPOINT='http://127.0.0.1:$iport'"
    } | tee "$state/env.sh"
}

stop() {
    local state=$1 name pid i
    for name in minio versitygw imds; do
        [ -f "$state/$name.pid" ] || continue
        pid=$(cat "$state/$name.pid")
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$state/$name.pid"
        rm -rf "$state/$name-data"
    done
    rm -f "$state/env.sh" "$state/imds-config.json"
}

case ${1:-} in
    install) install ;;
    start) [ $# -eq 2 ] || die "usage: $0 start STATEDIR"; start "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop STATEDIR"; stop "$2" ;;
    *) die "usage: $0 install | start STATEDIR | stop STATEDIR" ;;
esac
