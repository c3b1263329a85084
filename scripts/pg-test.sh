#!/bin/sh
# A throwaway PostgreSQL server for the tests, on loopback.
#   scripts/pg-test.sh start DIR PORT   initdb DIR (if new), start, print the admin URL
#   scripts/pg-test.sh stop DIR         stop it
# As root, the server runs as the `postgres` user (initdb refuses root).
set -eu
cmd=$1
dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg-test: PostgreSQL server binaries not found" >&2; exit 1; }
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_pg "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/../pg-initdb.log" 2>&1 ||
            { cat "$dir/../pg-initdb.log" >&2; exit 1; }
    fi
    as_pg "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=on -c max_connections=300 -c shared_buffers=128MB" \
        start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    as_pg "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: pg-test.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
