#!/usr/bin/env bash
# Azurite (the Azure Storage emulator, npm package azurite, pinned) for the az backend's tests,
# on 127.0.0.1 only.
#
#   tests/azure/server.sh start STATEDIR   install Azurite with npm into
#                                          ~/.cache/kvps/azurite-VERSION (skipped when present),
#                                          start its blob service on a free port with a temporary
#                                          folder, create the test container, print
#                                          `export KVPS_TEST_AZ_URL=...` and friends (also kept
#                                          in STATEDIR/env.sh)
#   tests/azure/server.sh stop STATEDIR    stop what start started and remove its folder
#
# The account is the emulator's published development account, devstoreaccount1 with its
# well-known key (not a secret: it is in Microsoft's documentation and every SDK).
set -euo pipefail

VERSION=3.37.0
CACHE=${KVPS_CACHE:-$HOME/.cache/kvps}/azurite-$VERSION
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
CONTAINER=kvps-test

die() {
    echo "server.sh: $*" >&2
    exit 1
}

install_azurite() {
    [ -x "$CACHE/node_modules/.bin/azurite-blob" ] && return 0
    if ! command -v npm >/dev/null; then
        echo "server.sh: installing nodejs and npm" >&2
        local sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nodejs npm >&2
    fi
    echo "server.sh: npm install azurite@$VERSION into $CACHE" >&2
    mkdir -p "$CACHE"
    npm install --prefix "$CACHE" --no-audit --no-fund "azurite@$VERSION" >&2
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Creates the container with a Shared Key request signed here with Python's hmac (independent
# of kvps's own signing code).
create_container() {  # create_container PORT
    python3 - "$1" "$ACCOUNT" "$KEY" "$CONTAINER" <<'PY'
import base64, hmac, hashlib, sys, urllib.request, email.utils
port, account, key, container = sys.argv[1:]
date = email.utils.formatdate(usegmt=True)
version = "2021-12-02"
to_sign = "\n".join(["PUT"] + [""] * 11 + [f"x-ms-date:{date}", f"x-ms-version:{version}",
                    f"/{account}/{account}/{container}\nrestype:container"])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/{account}/{container}?restype=container", method="PUT",
                             headers={"x-ms-date": date, "x-ms-version": version,
                                      "Authorization": f"SharedKey {account}:{sig}", "Content-Length": "0"})
try:
    urllib.request.urlopen(req, timeout=10)
except urllib.error.HTTPError as e:
    if e.code != 409:  # ContainerAlreadyExists
        sys.exit(f"creating the container failed: HTTP {e.code} {e.read()[:300]!r}")
PY
}

start() {
    local state=$1
    mkdir -p "$state"
    [ -f "$state/workdir" ] && stop "$state"
    install_azurite || die "installing azurite@$VERSION failed"
    local work port
    work=$(mktemp -d /tmp/kvps-azurite.XXXXXX)
    port=$(free_port)
    echo "$work" >"$state/workdir"
    "$CACHE/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --location "$work/data" \
        --silent --skipApiVersionCheck >"$work/azurite.log" 2>&1 &
    echo $! >"$state/pid"
    local i
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        kill -0 "$(cat "$state/pid")" 2>/dev/null || { cat "$work/azurite.log" >&2; die "azurite exited"; }
        sleep 0.2
    done
    curl -s -o /dev/null "http://127.0.0.1:$port/" || { cat "$work/azurite.log" >&2; die "azurite does not answer on port $port"; }
    create_container "$port" || die "creating container $CONTAINER failed"
    local endpoint="http://127.0.0.1:$port/$ACCOUNT"
    local key_q
    key_q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$KEY")
    {
        echo "export KVPS_TEST_AZ_URL='az://$ACCOUNT/$CONTAINER?endpoint=$endpoint&account_key=$key_q'"
        echo "export KVPS_TEST_AZ_ENDPOINT='$endpoint'"
        echo "export KVPS_TEST_AZ_ACCOUNT=$ACCOUNT"
        echo "export KVPS_TEST_AZ_KEY='$KEY'"
        echo "export KVPS_TEST_AZ_CONTAINER=$CONTAINER"
        echo "export KVPS_TEST_AZ_DATA='$work/data'"
        echo "export KVPS_TEST_AZ_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$endpoint;'"
    } >"$state/env.sh"
    cat "$state/env.sh"
}

stop() {
    local state=$1
    if [ -f "$state/pid" ]; then
        local pid
        pid=$(cat "$state/pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    if [ -f "$state/workdir" ]; then
        local work
        work=$(cat "$state/workdir")
        case $work in /tmp/kvps-azurite.*) rm -rf "$work" ;; esac
    fi
    rm -f "$state/pid" "$state/workdir" "$state/env.sh"
}

case ${1:-} in
    start) start "${2:?STATEDIR}" ;;
    stop) stop "${2:?STATEDIR}" ;;
    *) echo "usage: $0 start|stop STATEDIR" >&2; exit 2 ;;
esac
