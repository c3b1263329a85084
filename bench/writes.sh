#!/usr/bin/env bash
# Writes under concurrency: C clients (1, 4, 8, 16), each on its own
# account and connection, follow and unfollow the same account as fast as
# they are answered (every answer is a committed, synced transaction).
# Prints writes per second and the latency spread at each C, and the ratios
# to one client: with SQLite one transaction commits at a time, so more
# clients should keep the rate and share the wait, not starve some of them.
#
#   bench/writes.sh                  # SQLite in a temp folder, ~1.5 minutes
#   DB=postgres://... bench/writes.sh    # the same against PostgreSQL
#   DURATION=10 CLIENTS="1 8" bench/writes.sh
#   BIN=/path/to/other/pinhole bench/writes.sh   # another build, to compare
set -euo pipefail

DURATION=${DURATION:-6}
CLIENTS=${CLIENTS:-"1 4 8 16"}
REPS=${REPS:-2}
DB=${DB:-}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '%s\n' "$*" >&2; }
die() { say "writes.sh: $*"; exit 1; }

command -v wrk >/dev/null 2>&1 || die "needs wrk (apt-get install wrk)"
if [ -z "${BIN:-}" ]; then
    ninja -C "$ROOT/build" >/dev/null || die "build failed: ninja -C build"
    BIN=$ROOT/build/pinhole
fi

TMP=$(mktemp -d /tmp/pinhole-writes.XXXXXX)
PH_PID=
cleanup() {
    if [ -n "$PH_PID" ]; then
        kill "$PH_PID" 2>/dev/null || true
        wait "$PH_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
PINHOLE="$TMP/pinhole"
cp "$BIN" "$PINHOLE"
DBARGS=(--data-dir "$TMP/data")
[ -n "$DB" ] && DBARGS+=(--db "$DB")

MAXC=0
for c in $CLIENTS; do [ "$c" -gt "$MAXC" ] && MAXC=$c; done
names=(target)
for i in $(seq "$MAXC"); do names+=("writer$i"); done
for n in "${names[@]}"; do
    "$PINHOLE" admin create-user "$n" --password "password-$n" "${DBARGS[@]}" >>"$TMP/admin.log" 2>&1 ||
        die "create-user failed: $(tail -3 "$TMP/admin.log")"
done
"$PINHOLE" admin token "${names[@]}" --scope "read write follow" "${DBARGS[@]}" >"$TMP/tokens" 2>>"$TMP/admin.log" ||
    die "admin token failed: $(tail -3 "$TMP/admin.log")"
mapfile -t TOKENS <"$TMP/tokens"
[ "${#TOKENS[@]}" = "${#names[@]}" ] || die "expected ${#names[@]} tokens, got ${#TOKENS[@]}"

PORT=$((20000 + RANDOM % 10000))
"$PINHOLE" serve "${DBARGS[@]}" --listen "127.0.0.1:$PORT" --set log_level=warn </dev/null >"$TMP/server.log" 2>&1 &
PH_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do
    curl -sf -o /dev/null "$URL/healthz" && break
    sleep 0.1
done
curl -sf -o /dev/null "$URL/healthz" || die "pinhole did not start: $(tail -5 "$TMP/server.log")"
TARGET=$(curl -sf -H "Authorization: Bearer ${TOKENS[0]}" "$URL/api/v1/accounts/verify_credentials" |
    sed -n 's/^{"id":"\([0-9]*\)".*/\1/p')
[ -n "$TARGET" ] || die "cannot read the target's id"

cat >"$TMP/follow.lua" <<EOF
local n = 0
request = function()
  n = n + 1
  local verb = (n % 2 == 1) and "follow" or "unfollow"
  return wrk.format("POST", "/api/v1/accounts/$TARGET/" .. verb, {["Authorization"] = "Bearer " .. os.getenv("TOK")}, "")
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT n=%d secs=%.3f p50=%.3f p99=%.3f max=%.3f err=%d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
EOF

# One round at C clients: prints "C rate p50 worst_p99 max errors"; p50 is
# the clients' median, worst_p99 the largest of their p99s.
round() {
    local c=$1 i pids=()
    rm -f "$TMP"/out.*
    for i in $(seq "$c"); do
        TOK=${TOKENS[$i]} wrk -t1 -c1 -d"${DURATION}s" -s "$TMP/follow.lua" "$URL" >"$TMP/out.$i" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    cat "$TMP"/out.* | grep '^RESULT' | awk -v c="$c" '
        { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
          rate += v["n"] / v["secs"]; p50[NR] = v["p50"]; if (v["p99"] > p99) p99 = v["p99"]
          if (v["max"] > mx) mx = v["max"]; err += v["err"] }
        END { n = NR
              for (i = 2; i <= n; i++) { t = p50[i]; for (j = i - 1; j >= 1 && p50[j] > t; j--) p50[j + 1] = p50[j]; p50[j + 1] = t }
              printf "%d %.1f %.3f %.3f %.3f %d %d\n", c, rate, p50[int((n + 1) / 2)], p99, mx, err, n }'
}

say "pinhole: $URL, database: ${DB:-sqlite in $TMP/data}, ${DURATION}s per round, $REPS rounds per client count"
: >"$TMP/results"
for rep in $(seq "$REPS"); do
    for c in $CLIENTS; do
        line=$(round "$c")
        say "  round $rep, $c client(s): $line (clients rate/s p50 p99 max errors answered)"
        echo "$line" >>"$TMP/results"
    done
done
kill -0 "$PH_PID" 2>/dev/null || die "pinhole exited: $(tail -5 "$TMP/server.log")"

echo
echo "pinhole writes bench: $(date -u +%FT%TZ), $(nproc) cores, database $([ -n "$DB" ] && echo PostgreSQL || echo SQLite), follow/unfollow, ${DURATION}s rounds, median of $REPS"
awk '
function med(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ c = $1; k[c] = ++cnt[c]; rate[c, k[c]] = $2; p50[c, k[c]] = $3; p99[c, k[c]] = $4; mx[c, k[c]] = $5; err[c] += $6
  if (!(c in seen)) { seen[c] = 1; order[++n] = c } }
END {
    printf "%8s %10s %9s %9s %9s %8s %12s %12s\n", "clients", "writes/s", "p50 ms", "p99 ms", "max ms", "errors", "rate vs 1", "p99 vs 1"
    for (i = 1; i <= n; i++) {
        c = order[i]
        for (j = 1; j <= cnt[c]; j++) a[j] = rate[c, j]; r = med(a, cnt[c]); delete a
        for (j = 1; j <= cnt[c]; j++) a[j] = p50[c, j]; q = med(a, cnt[c]); delete a
        for (j = 1; j <= cnt[c]; j++) a[j] = p99[c, j]; p = med(a, cnt[c]); delete a
        for (j = 1; j <= cnt[c]; j++) a[j] = mx[c, j]; m = med(a, cnt[c]); delete a
        if (i == 1) { r1 = r; p1 = p }
        printf "%8d %10.0f %9.2f %9.2f %9.2f %8d %11.2fx %11.1fx\n", c, r, q, p, m, err[c], (r1 ? r / r1 : 0), (p1 ? p / p1 : 0)
    }
    print "p99 is the worst of the clients p99s (one starved client shows); errors = non-2xx or socket errors, must be 0."
}' "$TMP/results"
