#!/usr/bin/env bash
# The home-timeline benchmark at the social issue's scale, on SQLite and on
# PostgreSQL: see bench/timeline.mjs for what it measures, bench/README.md
# for how to read it.
#
#   bench/timeline.sh                          # both backends, 1M then 3M posts
#   BACKENDS=sqlite POSTS=1000000 bench/timeline.sh
#   USERS=10000 POSTS=100000,300000 bench/timeline.sh   # a small, quick run
#
# Seeded instances are kept in bench-data/ (several GB at full scale; seeding
# takes tens of minutes the first time) and grown, never rebuilt, by later
# runs; delete the folder to start over. Settings (environment): BACKENDS
# ("sqlite postgres"), USERS (100000), FOLLOWS (200), POSTS (1000000,3000000),
# SAMPLE (1000), TOPN (100), TOPF (20), DURATION (10), REPS (3), CONNS (2),
# BENCH_DATA (where seeded instances are kept: bench-data).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BACKENDS:-sqlite postgres}
USERS=${USERS:-100000}
FOLLOWS=${FOLLOWS:-200}
CACHE=${BENCH_DATA:-$ROOT/bench-data}
say() { printf '%s\n' "$*" >&2; }

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
case " $BACKENDS " in *" postgres "*) [ -n "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ] || missing+=(postgresql postgresql-client) ;; esac
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    say "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
"$ROOT/scripts/install-deps.sh" >/dev/null
[ -f "$ROOT/build/build.ninja" ] || meson setup "$ROOT/build" >/dev/null
ninja -C "$ROOT/build" >/dev/null

mkdir -p "$CACHE"
TMP=$(mktemp -d /tmp/pinhole-timeline.XXXXXX)
cp "$ROOT/build/pinhole" "$TMP/pinhole" # a rebuild during the run cannot change it
PG_DIR=
cleanup() {
    [ -n "$PG_DIR" ] && "$ROOT/scripts/pg-test.sh" stop "$PG_DIR"
    rm -rf "$TMP"
}
trap cleanup EXIT

export PINHOLE_BIN=$TMP/pinhole USERS FOLLOWS TL_PHOTO=$ROOT/tests/fixtures/sunset-600.jpg
for backend in $BACKENDS; do
    dir=$CACHE/$backend-u$USERS-f$FOLLOWS
    mkdir -p "$dir"
    case $backend in
    sqlite) TL_DATA=$dir TL_DB= node "$ROOT/bench/timeline.mjs" ;;
    postgres)
        PG_DIR=$CACHE/pg/data
        url=$("$ROOT/scripts/pg-test.sh" start "$PG_DIR" "${PG_PORT:-55990}")
        db=timeline_u${USERS}_f$FOLLOWS
        psql -qAt "$url" -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
            psql -q "$url" -c "CREATE DATABASE $db"
        TL_DATA=$dir TL_DB=${url%/postgres}/$db node "$ROOT/bench/timeline.mjs"
        "$ROOT/scripts/pg-test.sh" stop "$PG_DIR"
        PG_DIR=
        ;;
    *) say "timeline.sh: unknown backend $backend"; exit 2 ;;
    esac
done
