#!/usr/bin/env bash
# A real GCS emulator for the gs backend's tests, on 127.0.0.1 only: fake-gcs-server (its JSON
# API; it checks no OAuth token, so the token exchange is tested against a local endpoint the
# test itself runs).
#
#   tests/gcs/server.sh install          build the pinned server (skipped when cached)
#   tests/gcs/server.sh start STATEDIR   install if needed, start on a free port with a temporary
#                                        folder, create the bucket, print
#                                        `export KVPS_TEST_GCS_URL=...` and
#                                        `export KVPS_TEST_GCS_ENDPOINT=...` (kept in STATEDIR/env.sh)
#   tests/gcs/server.sh stop STATEDIR    stop what start started and remove its data
#
# The server is a test-time tool built from source with `go install` at a pinned version; its
# binary is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/kvps/bin.
set -euo pipefail

FAKE_GCS_VERSION=v1.52.3
BUCKET=kvps-test
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/kvps/bin
FAKE_GCS_BIN=$CACHE/fake-gcs-server-$FAKE_GCS_VERSION

die() {
    echo "server.sh: $*" >&2
    [ -n "${STARTING:-}" ] && stop "$STARTING"
    exit 1
}

install() {
    [ -x "$FAKE_GCS_BIN" ] && return 0
    command -v go >/dev/null || die "go is needed to build fake-gcs-server"
    mkdir -p "$CACHE"
    local gobin
    gobin=$(mktemp -d)
    echo "server.sh: building fake-gcs-server $FAKE_GCS_VERSION (once; cached in $CACHE)" >&2
    GOBIN=$gobin GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
        go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION" >&2 \
        || { rm -rf "$gobin"; die "go install fake-gcs-server failed"; }
    mv "$gobin/fake-gcs-server" "$FAKE_GCS_BIN"
    rm -rf "$gobin"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
    local state=$1
    install
    mkdir -p "$state"
    STARTING=$state
    local port data endpoint i
    port=$(free_port)
    data=$(mktemp -d "$state/data.XXXXXX")
    endpoint="http://127.0.0.1:$port"
    # The memory backend: the filesystem one maps names to paths (so "a/../b" and "a//b" would
    # not round-trip as GCS names do).
    "$FAKE_GCS_BIN" -scheme http -host 127.0.0.1 -port "$port" -backend memory \
        -filesystem-root "$data" -external-url "$endpoint" -public-host "127.0.0.1:$port" \
        -log-level error >"$state/fake-gcs.log" 2>&1 &
    echo $! >"$state/fake-gcs.pid"
    for i in $(seq 1 300); do
        kill -0 "$(cat "$state/fake-gcs.pid")" 2>/dev/null || die "fake-gcs-server exited while starting (see $state/fake-gcs.log)"
        curl -s -o /dev/null --max-time 2 "$endpoint/storage/v1/b" && break
        [ "$i" -eq 300 ] && die "fake-gcs-server did not answer on $endpoint within 60s"
        sleep 0.2
    done
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d "{\"name\":\"$BUCKET\"}" "$endpoint/storage/v1/b" || die "cannot create bucket $BUCKET"
    STARTING=
    {
        echo "export KVPS_TEST_GCS_URL='gs://$BUCKET/?endpoint=$endpoint&anonymous=true'"
        echo "export KVPS_TEST_GCS_ENDPOINT='$endpoint'"
    } | tee "$state/env.sh"
}

stop() {
    local state=$1
    if [ -f "$state/fake-gcs.pid" ]; then
        local pid
        pid=$(cat "$state/fake-gcs.pid")
        kill "$pid" 2>/dev/null && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$state/fake-gcs.pid"
    fi
    rm -rf "$state"/data.* "$state/env.sh"
}

case "${1:-}" in
install) install ;;
start) start "${2:?usage: server.sh start STATEDIR}" ;;
stop) stop "${2:?usage: server.sh stop STATEDIR}" ;;
*) echo "usage: $0 install | start STATEDIR | stop STATEDIR" >&2; exit 2 ;;
esac
