#!/bin/bash
# Builds pinhole three ways and runs every test suite, then prints one line
# "N passed, N failed" summing them all. Exit status is non-zero on any failure.
#
#   build/       the normal build: unit tests, API tests (SQLite, PostgreSQL),
#                browser tests, the I/O fault sweep (it preloads a shim)
#   build-san/   ASan + UBSan + LeakSanitizer (gcc): unit tests, API tests and
#                the rest of the reliability battery
#   build-fuzz/  clang + libFuzzer: a short run of every fuzz target
#
# FUZZ_SECONDS (default 8) sets each fuzz target's run: the seven targets
# take about 70 s together, start and exit included; --fuzz-only runs just
# the fuzzers (make fuzz).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/test-output
mkdir -p "$OUT"
passed=0
failed=0
failures=()
fuzz_only=false
[ "${1:-}" = "--fuzz-only" ] && fuzz_only=true
FUZZ_SECONDS=${FUZZ_SECONDS:-8}
NPROC=$(nproc)

note() { printf '\n== %s\n' "$*"; }
count() { # name passed failed
    passed=$((passed + $2))
    failed=$((failed + $3))
    [ "$3" -gt 0 ] && failures+=("$1 ($3)")
    printf '   %s: %d passed, %d failed\n' "$1" "$2" "$3"
}

setup() { # dir, meson args...
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$OUT/setup-$(basename "$dir").log" 2>&1 ||
            { cat "$OUT/setup-$(basename "$dir").log"; return 1; }
    fi
    ninja -C "$dir" >"$OUT/build-$(basename "$dir").log" 2>&1 ||
        { tail -50 "$OUT/build-$(basename "$dir").log"; return 1; }
}

unit() { # build dir, label
    local dir=$1 label=$2
    local p=0 f=0
    for t in "$dir"/tests/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        local log="$OUT/unit-$label-$(basename "$t").log"
        (cd "$OUT" && CMOCKA_MESSAGE_OUTPUT=TAP "$ROOT/$t") >"$log" 2>&1
        local rc=$?
        local ok nok
        ok=$(grep -c '^ok ' "$log")
        nok=$(grep '^not ok ' "$log" | grep -vc '# SKIP')
        if [ $rc -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi # crashed before reporting
        p=$((p + ok))
        f=$((f + nok))
        [ "$nok" -gt 0 ] && { echo "   --- $(basename "$t") [$label]:"; grep -v '^ok ' "$log" | tail -30; }
    done
    if "$ROOT/tests/check-layers.sh" "$ROOT/src" >"$OUT/layers.log" 2>&1; then p=$((p + 1)); else
        f=$((f + 1)); cat "$OUT/layers.log"; fi
    if "$ROOT/tests/check-readme.sh" "$dir/pinhole" "$ROOT/README.md" >"$OUT/readme.log" 2>&1; then
        p=$((p + 1)); else f=$((f + 1)); cat "$OUT/readme.log"; fi
    count "unit tests [$label]" $p $f
}

# A node:test suite: folder, label, binary, concurrency. Counts its TAP totals.
suite() {
    local dir=$1 label=$2 bin=$3 conc=$4
    local log="$OUT/$(echo "$label" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-').log"
    # --test-concurrency exists from Node 20.10 (Debian 12's own node is 18).
    local concurrency=""
    node --help 2>/dev/null | grep -q -- --test-concurrency && concurrency="--test-concurrency=$conc"
    # shellcheck disable=SC2086 # $dir: one folder, or several files
    PINHOLE_BIN=$bin node --test --test-reporter=tap $concurrency $dir >"$log" 2>&1
    local rc=$?
    local p f
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
    p=${p:-0}
    f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then echo "   no test ran"; f=1; fi
    [ "$f" -gt 0 ] && { echo "   --- $label failures (full log: $log):"; grep -B2 -A25 '^not ok\|^    not ok\|^        not ok' "$log" | head -150; }
    grep -E '^# (acknowledged|lost|restarts|fault|disk|busy|weight)' "$log" | head -20
    count "$label" "$p" "$f"
}

api() { suite tests/api/ "API tests [$2]" "$1" "$NPROC"; }

# Every build-fuzz/tests/fuzz_NAME for FUZZ_SECONDS, from its committed seeds
# (tests/fuzz/corpus/NAME: crashes found once stay there as regressions) and
# its dictionary (tests/fuzz/NAME.dict) when it has one. The seeds run first,
# so a regression fails at the start of its target's run.
fuzz() {
    local p=0 f=0
    for t in build-fuzz/tests/fuzz_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        local name=${t##*/fuzz_}
        local corpus="$OUT/corpus-$name"
        rm -rf "$corpus"
        mkdir -p "$corpus"
        cp tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
        local dict=()
        [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
        local log="$OUT/fuzz-$name.log"
        if "$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            ${dict[@]+"${dict[@]}"} -artifact_prefix="$OUT/crash-$name-" "$corpus" >"$log" 2>&1; then
            p=$((p + 1))
            printf '   fuzz %-10s %s executions\n' "$name" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
        else
            f=$((f + 1))
            echo "   --- fuzz $name failed:"
            grep -A30 'ERROR\|==.*==\|^fuzz_' "$log" | head -40
        fi
    done
    count "fuzz targets (${FUZZ_SECONDS}s each)" $p $f
}

pg_start() {
    PG_DIR=$OUT/pg/data
    rm -rf "$OUT/pg"
    local port=$((55000 + RANDOM % 2000))
    PG_URL=$("$ROOT/scripts/pg-test.sh" start "$PG_DIR" "$port") || return 1
    trap '"$ROOT/scripts/pg-test.sh" stop "$PG_DIR"' EXIT
    PG_BASE=${PG_URL%/postgres}
}

pg_db() { # name -> URL of a new empty database
    PGOPTIONS="-c client_min_messages=warning" psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null && echo "$PG_BASE/$1"
}

start=$(date +%s)
if ! $fuzz_only; then
    note "test photos (real photos from Debian packages, and derived hostile cases)"
    if tests/fixtures/prepare.sh build/fixtures >"$OUT/fixtures.log" 2>&1; then
        export PINHOLE_FIXTURES=$ROOT/build/fixtures
        echo "   $PINHOLE_FIXTURES"
    else
        tail -20 "$OUT/fixtures.log"
        count "test photos" 0 1
    fi

    note "PostgreSQL (throwaway server on loopback)"
    if pg_start; then
        echo "   $PG_URL"
        export PINHOLE_TEST_PG=$PG_URL
    else
        count "PostgreSQL start" 0 1
    fi

    note "build (normal)"
    if setup build; then
        unit build normal
        if [ -n "${PG_URL:-}" ]; then
            PINHOLE_TEST_BACKEND=postgres api "$ROOT/build/pinhole" postgres
            url=$(pg_db unit_store)
            log="$OUT/unit-postgres-test_store.log"
            (cd "$OUT" && CMOCKA_MESSAGE_OUTPUT=TAP PINHOLE_TEST_STORE=$url "$ROOT/build/tests/test_store") >"$log" 2>&1
            rc=$?
            ok=$(grep -c '^ok ' "$log")
            nok=$(grep '^not ok ' "$log" | grep -vc '# SKIP')
            if [ $rc -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
            [ "$nok" -gt 0 ] && tail -30 "$log"
            count "store tests [postgres]" "$ok" "$nok"
        fi
        api "$ROOT/build/pinhole" normal
        suite tests/browser/ "browser tests (screenshots in test-output/screenshots)" "$ROOT/build/pinhole" 1
        # The fault sweep preloads a shim into the server: the normal build.
        FAULT_BUDGET_MS=${FAULT_BUDGET_MS:-50000} suite tests/reliability/faults.test.mjs \
            "reliability battery: I/O fault sweep" "$ROOT/build/pinhole" 1
    else
        count "build (normal)" 0 1
    fi

    note "build (AddressSanitizer + UndefinedBehaviorSanitizer)"
    if setup build-san -Db_sanitize=address,undefined -Db_lundef=false \
        "-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer" -Dbuildtype=debugoptimized; then
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
        export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
        export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0
        unit build-san sanitizers
        api "$ROOT/build-san/pinhole" sanitizers
        suite "tests/reliability/crash.test.mjs tests/reliability/busy.test.mjs tests/reliability/diskfull.test.mjs tests/reliability/hostile-flood.test.mjs" \
            "reliability battery [sanitizers]" "$ROOT/build-san/pinhole" 1
        unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
    else
        count "build (sanitizers)" 0 1
    fi
fi

note "fuzzing (clang + libFuzzer)"
if CC=clang setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
    fuzz
else
    count "build (fuzz)" 0 1
fi

note "done in $(($(date +%s) - start)) s"
for x in "${failures[@]+"${failures[@]}"}"; do echo "   FAILED: $x"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
