#!/usr/bin/env bash
# A real PostgreSQL server for the postgres backend's tests, on 127.0.0.1 only.
#
#   tests/postgres/server.sh start STATEDIR    install Debian's postgresql (and libpq-dev) if
#                                             missing, initdb into a temporary folder, start on a
#                                             free port with a generated password, create the
#                                             database, print `export KVPS_TEST_PG_URL=...` and
#                                             friends (also kept in STATEDIR/env.sh)
#   tests/postgres/server.sh restart STATEDIR  stop and start the same server (same port, data)
#   tests/postgres/server.sh stop STATEDIR     stop what start started and remove its data
#
# The server refuses to run as root: as root, initdb and pg_ctl run as the `postgres` user, and
# the data folder, socket folder and log live in a temporary folder that user owns.
set -euo pipefail

DATABASE=kvps_test
USER_NAME=kvps

die() {
    echo "server.sh: $*" >&2
    exit 1
}

# The PostgreSQL server binaries: Debian keeps them out of PATH.
pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

install_packages() {
    local missing=()
    pg_bindir >/dev/null || missing+=(postgresql)
    dpkg-query -W -f='${Status}' libpq-dev 2>/dev/null | grep -q "install ok installed" || missing+=(libpq-dev)
    ((${#missing[@]})) || return 0
    echo "server.sh: installing ${missing[*]}" >&2
    local sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
}

# as_server CMD...: runs a server command as the postgres user when we are root.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

random_text() { head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c "$1"; }

pg_start() {  # pg_start STATEDIR
    local state=$1 bin
    bin=$(cat "$state/bindir")
    local work port
    work=$(cat "$state/workdir")
    port=$(cat "$state/port")
    as_server "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $work/socket -c fsync=off -c max_connections=200" start >&2 \
        || { cat "$work/server.log" >&2 2>/dev/null; return 1; }
}

start() {
    local state=$1
    mkdir -p "$state"
    [ -f "$state/workdir" ] && stop "$state"
    install_packages || die "installing postgresql failed"
    local bin
    bin=$(pg_bindir) || die "no PostgreSQL server binaries (pg_ctl) found"
    local work
    work=$(mktemp -d /tmp/kvps-pg.XXXXXX)
    chmod 755 "$work"
    mkdir -p "$work/data" "$work/socket"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
    local password port
    password=$(random_text 24)
    port=$(free_port)
    echo "$bin" >"$state/bindir"
    echo "$work" >"$state/workdir"
    echo "$port" >"$state/port"
    (umask 077 && printf '%s\n' "$password" >"$work/pwfile")
    [ "$(id -u)" -eq 0 ] && chown postgres: "$work/pwfile"
    as_server "$bin/initdb" -D "$work/data" -U "$USER_NAME" --pwfile="$work/pwfile" \
        -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 \
        || { cat "$state/initdb.log" >&2; die "initdb failed"; }
    rm -f "$work/pwfile"
    pg_start "$state" || die "the server did not start (log above)"
    PGPASSWORD=$password "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$USER_NAME" -d postgres \
        -c "CREATE DATABASE $DATABASE" >&2 || die "creating database $DATABASE failed"
    local url="postgres://$USER_NAME:$password@127.0.0.1:$port/$DATABASE?sslmode=disable"
    {
        echo "export KVPS_TEST_PG_URL='$url'"
        echo "export KVPS_TEST_PG_URL_KVPSBUTTER='$url&layout=kvpsbutter&table=kvpsbutter'"
        echo "export KVPS_TEST_PG_HOST=127.0.0.1"
        echo "export KVPS_TEST_PG_PORT=$port"
        echo "export KVPS_TEST_PG_USER=$USER_NAME"
        echo "export KVPS_TEST_PG_PASSWORD=$password"
        echo "export KVPS_TEST_PG_DATABASE=$DATABASE"
        echo "export KVPS_TEST_PG_STATE='$(cd "$state" && pwd)'"
        echo "export KVPS_TEST_PG_SERVER_SH='$(cd "$(dirname "$0")" && pwd)/server.sh'"
    } >"$state/env.sh"
    cat "$state/env.sh"
}

restart() {
    local state=$1
    [ -f "$state/workdir" ] || die "no server recorded in $state"
    local bin work
    bin=$(cat "$state/bindir")
    work=$(cat "$state/workdir")
    as_server "$bin/pg_ctl" -D "$work/data" -m fast -w stop >&2 || die "stopping failed"
    pg_start "$state" || die "the server did not start again"
}

stop() {
    local state=$1
    [ -f "$state/workdir" ] || return 0
    local bin work
    bin=$(cat "$state/bindir")
    work=$(cat "$state/workdir")
    if [ -f "$work/data/postmaster.pid" ]; then
        as_server "$bin/pg_ctl" -D "$work/data" -m immediate -w stop >&2 || true
    fi
    case $work in /tmp/kvps-pg.*) rm -rf "$work" ;; esac
    rm -f "$state/workdir" "$state/bindir" "$state/port" "$state/env.sh"
}

case ${1:-} in
    start) start "${2:?STATEDIR}" ;;
    restart) restart "${2:?STATEDIR}" ;;
    stop) stop "${2:?STATEDIR}" ;;
    *) echo "usage: $0 start|restart|stop STATEDIR" >&2; exit 2 ;;
esac
