#!/usr/bin/env bash
# HTTP throughput and latency of pinhole on loopback, next to nginx serving a
# static file with the same bytes as GET /api/v1/instance.
#
#   bench/http.sh                 # unpinned + pinned tables, ~3 minutes
#   PINNED=0 bench/http.sh        # unpinned only
#   DURATION=10 REPS=3 bench/http.sh
#
# Settings (environment): DURATION (s per measured run, 5), WARMUP (s before
# each run, 2), REPS (3), CONNS (64), THREADS (wrk threads, 1), PINNED (1: also
# run with servers on core 0 and wrk on core 1), LOGRUN (1: also one run with
# pinhole's access log on), LATCONNS (4: also runs with this many
# connections, unpinned and pinned, 0: none; with CONNS connections the
# servers are saturated and p99 is mostly time spent queued, nginx's
# included). See bench/README.md for what the figures mean.
set -euo pipefail

DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
REPS=${REPS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
PINNED=${PINNED:-1}
LOGRUN=${LOGRUN:-1}
LATCONNS=${LATCONNS:-4}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NCPU=$(nproc)

say() { printf '%s\n' "$*" >&2; }
die() { say "http.sh: $*"; exit 1; }

# ---- tools -----------------------------------------------------------------

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -n "$(find_nginx)" ] || missing+=(nginx-light)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need ${missing[*]}; run as root or install sudo"
        SUDO=sudo
    fi
    say "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(find_nginx)
[ -n "$NGINX" ] || die "nginx not found after install"
command -v ninja >/dev/null 2>&1 || die "ninja not found (apt-get install ninja-build meson)"
if [ "$PINNED" = 1 ] && [ "$NCPU" -lt 2 ]; then
    say "only $NCPU core: skipping the pinned configuration"
    PINNED=0
fi

# ---- build -----------------------------------------------------------------

ninja -C "$ROOT/build" >/dev/null || die "build failed: ninja -C build"
[ -x "$ROOT/build/pinhole" ] || die "no $ROOT/build/pinhole after the build"

# ---- temp dir and cleanup ----------------------------------------------------

TMP=$(mktemp -d /tmp/pinhole-bench.XXXXXX)
chmod 755 "$TMP" # nginx workers may run as another user
PH_PID=
NG_PID=
# A private copy, so a rebuild during the bench cannot change (or break) the
# binary between the restarts below.
PINHOLE="$TMP/pinhole"
cp "$ROOT/build/pinhole" "$PINHOLE"

stop_pid() { # pid [signal]: stop one process we started and wait for it
    local pid=$1 sig=${2:-TERM}
    [ -n "$pid" ] || return 0
    kill -"$sig" "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$PH_PID"
    stop_pid "$NG_PID" QUIT
    PH_PID=""
    NG_PID=""
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port below the ephemeral range, so that no client socket (wrk opens
# many) can be holding it when a server restarts.
EPH_LOW=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$EPH_LOW" -gt 12000 ] || EPH_LOW=32768
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((10000 + RANDOM % (EPH_LOW - 10000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free port"
}

wait_http() { # url: wait until it answers 200
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
        sleep 0.1
    done
    say "$1 did not come up"
    return 1
}

PH_PORT=$(free_port)
NG_PORT=$(free_port)
while [ "$NG_PORT" = "$PH_PORT" ]; do NG_PORT=$(free_port); done
DATA="$TMP/data"
mkdir -p "$DATA" "$TMP/nginx/www/api/v1" "$TMP/nginx/logs"
PH="http://127.0.0.1:$PH_PORT"
NG="http://127.0.0.1:$NG_PORT"

# ---- servers -------------------------------------------------------------------

PIN_CMD=() # "taskset -c 0" in the pinned configuration

PH_ARGS=()
start_pinhole() { # log_level threads logfile
    PH_ARGS=("$@")
    "${PIN_CMD[@]}" "$PINHOLE" serve --data-dir "$DATA" --listen "127.0.0.1:$PH_PORT" \
        --set "log_level=$1" --set "threads=$2" --set rate_auth_limit=100000 \
        </dev/null >>"$3" 2>&1 &
    PH_PID=$!
    wait_http "$PH/api/v1/instance" || { tail -n 20 "$3" >&2; die "pinhole did not start"; }
}

stop_pinhole() { stop_pid "$PH_PID"; PH_PID=; }

NG_WORKERS=1
start_nginx() { # worker_processes
    NG_WORKERS=$1
    local temps="" m
    for m in client_body fastcgi proxy scgi uwsgi; do
        local d=${m%_body}
        [ "$m" = client_body ] && d=body
        if "$NGINX" -V 2>&1 | grep -q -- "--http-$d-temp-path" &&
            ! "$NGINX" -V 2>&1 | grep -q -- "--without-http_${m}_module"; then
            temps+="    ${m}_temp_path $TMP/nginx/tmp_$d;"$'\n'
        fi
    done
    cat >"$TMP/nginx/nginx.conf" <<EOF
# Written by bench/http.sh; a plain static-file server as the reference.
worker_processes $1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;            # pinhole's reference runs are with its access log off too
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000; # nginx closes after 1000 by default; pinhole never does
    keepalive_timeout 60s;
    open_file_cache max=100;
$temps
    server {
        listen 127.0.0.1:$NG_PORT;
        root $TMP/nginx/www;
        location / {
            types {}
            default_type "application/json; charset=utf-8";
        }
    }
}
EOF
    "${PIN_CMD[@]}" "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
        </dev/null >>"$TMP/nginx/logs/stdout.log" 2>&1 &
    NG_PID=$!
    wait_http "$NG/api/v1/instance" || { tail -n 20 "$TMP/nginx/logs/error.log" >&2; die "nginx did not start"; }
}

stop_nginx() { stop_pid "$NG_PID" QUIT; NG_PID=; }

# Did a server exit? Say how, start it again, and list it in DIED ("pinhole",
# "nginx"). Another session running `pkill pinhole` shows as status 0 (SIGTERM).
DEATHS=0
DIED=
check_alive() {
    local st
    DIED=
    if [ -n "$PH_PID" ] && ! kill -0 "$PH_PID" 2>/dev/null; then
        st=0
        wait "$PH_PID" 2>/dev/null || st=$?
        say "  !! pinhole (pid $PH_PID) exited, status $st$([ "$st" -gt 128 ] && echo " = signal $((st - 128))")$([ "$st" = 0 ] && echo " (a SIGTERM/SIGINT from another process)")"
        tail -n 3 "${PH_ARGS[2]}" | sed 's/^/  !!   log: /' >&2
        DEATHS=$((DEATHS + 1))
        DIED+=" pinhole"
        start_pinhole "${PH_ARGS[@]}"
    fi
    if [ -n "$NG_PID" ] && ! kill -0 "$NG_PID" 2>/dev/null; then
        st=0
        wait "$NG_PID" 2>/dev/null || st=$?
        say "  !! nginx (pid $NG_PID) exited, status $st"
        DEATHS=$((DEATHS + 1))
        DIED+=" nginx"
        start_nginx "$NG_WORKERS"
    fi
    return 0
}

# ---- user, token, reference file ------------------------------------------------

say "pinhole: $ROOT/build/pinhole (copied to $PINHOLE) on $PH, nginx: $NGINX on $NG, $NCPU cores, temp dir $TMP"
"$PINHOLE" admin create-user benchuser --password benchpassword1 --data-dir "$DATA" \
    >>"$TMP/admin.log" 2>&1 || { cat "$TMP/admin.log" >&2; die "create-user failed"; }

start_pinhole warn 0 "$TMP/pinhole.log"

json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
APP=$(curl -sf -X POST "$PH/api/v1/apps" --data-urlencode client_name=bench \
    --data-urlencode redirect_uris=urn:ietf:wg:oauth:2.0:oob --data-urlencode "scopes=read write") ||
    die "POST /api/v1/apps failed"
CLIENT_ID=$(json_field client_id <<<"$APP")
CLIENT_SECRET=$(json_field client_secret <<<"$APP")
TOK=$(curl -sf -X POST "$PH/oauth/token" --data-urlencode grant_type=password \
    --data-urlencode "client_id=$CLIENT_ID" --data-urlencode "client_secret=$CLIENT_SECRET" \
    --data-urlencode username=benchuser --data-urlencode password=benchpassword1 \
    --data-urlencode "scope=read write") || die "POST /oauth/token failed"
TOKEN=$(json_field access_token <<<"$TOK")
[ -n "$TOKEN" ] || die "no access_token in: $TOK"
AUTH="Authorization: Bearer $TOKEN"

# The reference body: exactly pinhole's bytes, with its Content-Type.
curl -sf -o "$TMP/nginx/www/api/v1/instance" -D "$TMP/instance.headers" "$PH/api/v1/instance"
PH_TYPE=$(tr -d '\r' <"$TMP/instance.headers" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
[ "$PH_TYPE" = "application/json; charset=utf-8" ] ||
    say "WARNING: pinhole's Content-Type is '$PH_TYPE'; nginx serves application/json; charset=utf-8"

start_nginx "$NCPU"
cmp -s "$TMP/nginx/www/api/v1/instance" <(curl -sf "$NG/api/v1/instance") || die "nginx body differs"
NG_TYPE=$(curl -sf -o /dev/null -w '%{content_type}' "$NG/api/v1/instance")
[ "$NG_TYPE" = "$PH_TYPE" ] || say "WARNING: Content-Type differs: nginx '$NG_TYPE' vs pinhole '$PH_TYPE'"

# ---- targets -------------------------------------------------------------------------

NAMES=(nginx instance verify)
url_of() {
    case $1 in
    nginx) echo "$NG/api/v1/instance" ;;
    instance) echo "$PH/api/v1/instance" ;;
    verify) echo "$PH/api/v1/accounts/verify_credentials" ;;
    esac
}
hdr_of() { if [ "$1" = verify ]; then echo "$AUTH"; else echo "X-Bench: 1"; fi; }

# Keep-alive check: two requests on one connection; the first must not say
# "Connection: close" and the second must reuse the connection.
keepalive_check() { # name
    local url out
    url=$(url_of "$1")
    out=$(curl -sv -H "$(hdr_of "$1")" -o /dev/null "$url" -o /dev/null "$url" 2>&1 | tr -d '\r')
    local codes closes reused
    codes=$(grep -c '^< HTTP/1.1 200' <<<"$out" || true)
    closes=$(grep -ci '^< connection: close' <<<"$out" || true)
    reused=$(grep -c 'Re-using existing connection' <<<"$out" || true)
    if [ "$codes" = 2 ] && [ "$closes" = 0 ] && [ "$reused" -ge 1 ]; then
        echo "ok"
    else
        echo "BAD (200s=$codes, 'Connection: close'=$closes, reused=$reused)"
    fi
}

# Expected bytes per response on the wire (headers + body), to spot responses
# that differ from the 200 checked here (errors, redirects, truncation).
resp_size() { # name
    curl -s -H "$(hdr_of "$1")" -o /dev/null -w '%{size_header} %{size_download}' "$(url_of "$1")" |
        awk '{print $1 + $2}'
}

cat >"$TMP/report.lua" <<'EOF'
-- Prints one parseable line; latency figures are in ms.
done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "bytes=%d http_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.bytes, e.status, e.connect, e.read, e.write, e.timeout))
end
EOF

tcp_opens() { awk '/^Tcp:/ && $2 ~ /^[0-9]+$/ {print $7}' /proc/net/snmp; }

# CPU time of the server behind a target, as lines "id ticks": pinhole per
# thread, nginx per process (master and workers).
CLK_TCK=$(getconf CLK_TCK)
cpu_snap() { # name
    if [ "$1" = nginx ]; then
        { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
            awk -v p="$NG_PID" '$1 == p || $4 == p { print $1, $14 + $15 }'
    else
        { cat /proc/"$PH_PID"/task/*/stat 2>/dev/null || true; } | awk '{ print $1, $14 + $15 }'
    fi
}
cpu_delta() { # before after: "total_ticks busiest_ticks"
    awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; t += d; if (d > m) m = d }
         END { print t + 0, m + 0 }' <(echo "$1") <(echo "$2")
}

WRK_CMD=() # "taskset -c 1" in the pinned configuration
RESULTS="$TMP/results.txt"
: >"$RESULTS"

# One measurement: warm-up, then the measured run; appends a line to RESULTS.
# A run during which the measured server exited is repeated (twice at most);
# if it still fails it is recorded with died=1 and left out of the medians.
measure() { # config name rep
    local cfg=$1 name=$2 rep=$3 url hdr before after line size attempt died server
    local cpu0 cpu1 cpu wout wr wu ws TIMEFORMAT='WRKCPU %R %U %S'
    url=$(url_of "$name")
    hdr=$(hdr_of "$name")
    server=pinhole
    [ "$name" = nginx ] && server=nginx
    for attempt in 1 2 3; do
        check_alive
        "${WRK_CMD[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -H "$hdr" "$url" >/dev/null 2>&1 || true
        check_alive
        before=$(tcp_opens)
        cpu0=$(cpu_snap "$name")
        # bash's `time` gives wrk's own CPU: a client near 100% is the limit.
        wout=$({ time "${WRK_CMD[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
            -H "$hdr" -s "$TMP/report.lua" "$url" 2>&1; } 2>&1 || true)
        line=$(grep '^RESULT' <<<"$wout" || true)
        read -r _ wr wu ws <<<"$(grep '^WRKCPU' <<<"$wout" || echo "WRKCPU 1 0 0")"
        after=$(tcp_opens)
        cpu1=$(cpu_snap "$name")
        read -r -a cpu <<<"$(cpu_delta "$cpu0" "$cpu1")"
        check_alive
        died=0
        [[ " $DIED " == *" $server "* ]] && died=1
        [ -n "$line" ] || died=1
        [ "$died" = 0 ] && break
        [ "$attempt" -lt 3 ] && say "  !! $server exited during $name #$rep: measuring again"
    done
    if [ -z "$line" ]; then
        say "  !! wrk printed no result for $name"
        line="RESULT requests=0 rps=0 p50_ms=0 p90_ms=0 p99_ms=0 max_ms=0 bytes=0 http_errors=0 connect=0 read=0 write=0 timeout=1"
    fi
    size=${SIZE[$name]}
    line="$line conns=$((after - before)) expect_bytes=$size died=$died cpu_ticks=${cpu[0]} cpu_max=${cpu[1]} hz=$CLK_TCK client=$(awk -v r="$wr" -v u="$wu" -v s="$ws" -v t="$THREADS" 'BEGIN { printf "%.0f", (r > 0 ? 100 * (u + s) / r / t : 0) }')"
    echo "cfg=$cfg name=$name rep=$rep ${line#RESULT }" >>"$RESULTS"
    awk -v n="$name" -v r="$rep" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        us = v["requests"] ? v["cpu_ticks"] * 1e6 / v["hz"] / v["requests"] : 0
        top = v["cpu_ticks"] ? 100 * v["cpu_max"] / v["cpu_ticks"] : 0
        printf "  %-9s #%s %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms  cpu %5.1f us/req (busiest worker %3.0f%%, wrk %3d%%)  http_err %s  sock_err %d/%d/%d/%d  new_conns %s  bytes/resp %.1f (expect %s)%s\n",
            n, r, v["rps"], v["p50_ms"], v["p99_ms"], us, top, v["client"], v["http_errors"], v["connect"], v["read"],
            v["write"], v["timeout"], v["conns"], (v["requests"] ? v["bytes"] / v["requests"] : 0),
            v["expect_bytes"], (v["died"] ? "  SERVER DIED: left out" : "") }' <<<"$line" >&2
}

run_config() { # config
    local cfg=$1
    say ""
    say "== $cfg: wrk -t$THREADS -c$CONNS -d${DURATION}s (+${WARMUP}s warm-up), $REPS rounds interleaved =="
    local name
    for name in "${NAMES[@]}"; do say "  keep-alive $name: $(keepalive_check "$name")"; done
    local rep
    for rep in $(seq "$REPS"); do
        for name in "${NAMES[@]}"; do measure "$cfg" "$name" "$rep"; done
    done
}

declare -A SIZE
for n in "${NAMES[@]}"; do SIZE[$n]=$(resp_size "$n"); done

START=$SECONDS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# Unpinned: servers with one worker per core, everything shares all cores.
stop_pinhole
start_pinhole warn 0 "$TMP/pinhole.log"
run_config unpinned

# The same below saturation: p99 is then the time a request takes, not the
# time it waits behind 63 others.
if [ "$LATCONNS" -gt 0 ]; then
    SAT_CONNS=$CONNS
    CONNS=$LATCONNS
    run_config "unpinned-c$LATCONNS"
    CONNS=$SAT_CONNS
fi

# The access log on (log_level=info, stderr to a file), pinhole only.
LOG_LINES=0 LOG_BYTES=0
if [ "$LOGRUN" = 1 ]; then
    stop_pinhole
    : >"$TMP/access.log"
    start_pinhole info 0 "$TMP/access.log"
    say ""
    say "== unpinned, pinhole access log ON (log_level=info, stderr to a file), 1 round =="
    measure unpinned-log instance 1
    measure unpinned-log verify 1
    LOG_LINES=$(wc -l <"$TMP/access.log")
    LOG_BYTES=$(wc -c <"$TMP/access.log")
    say "  access log: $LOG_LINES lines, $LOG_BYTES bytes; sample: $(sed -n '$p' "$TMP/access.log")"
    stop_pinhole
fi

# Pinned: servers on core 0 with one worker/thread, wrk on core 1.
if [ "$PINNED" = 1 ]; then
    stop_pinhole
    stop_nginx
    PIN_CMD=(taskset -c 0)
    WRK_CMD=(taskset -c 1)
    start_nginx 1
    start_pinhole warn 1 "$TMP/pinhole.log"
    run_config pinned
    # Below saturation with the client on a core of its own: p99 is the
    # time a request takes. (Unpinned, wrk shares the cores with the
    # servers' workers and p99 depends on how the scheduler shares them.)
    if [ "$LATCONNS" -gt 0 ]; then
        SAT_CONNS=$CONNS
        CONNS=$LATCONNS
        run_config "pinned-c$LATCONNS"
        CONNS=$SAT_CONNS
    fi
fi

# ---- summary --------------------------------------------------------------------------

if grep -qE 'WARN|ERROR' "$TMP/pinhole.log"; then
    say ""
    say "pinhole warnings/errors during the bench:"
    grep -E 'WARN|ERROR' "$TMP/pinhole.log" | head -20 >&2
fi

echo
echo "pinhole HTTP bench: $(date -u +%FT%TZ), $NCPU cores, $(uname -r), load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s, ${WARMUP}s warm-up, median of $REPS interleaved runs; bench took $((SECONDS - START))s"
echo "nginx: static file with the same bytes and Content-Type as /api/v1/instance, access_log off"
awk -v tgt_p99=2 -v conns="$CONNS" '
function med(a, n,   i, j, t) {
    if (n == 0) return 0
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    delete v
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    k = v["cfg"] SUBSEP v["name"]
    if (!(k in cnt)) { order[++nk] = k; cnt[k] = 0 }
    if (v["died"]) { died[k]++; runs[k] = runs[k] (runs[k] == "" ? "" : ",") "died"; next }
    c = ++cnt[k]
    rps[k, c] = v["rps"]; p50[k, c] = v["p50_ms"]; p99[k, c] = v["p99_ms"]
    cpu[k, c] = v["requests"] ? v["cpu_ticks"] * 1e6 / v["hz"] / v["requests"] : 0
    top[k, c] = v["cpu_ticks"] ? 100 * v["cpu_max"] / v["cpu_ticks"] : 0
    cli[k, c] = v["client"]
    herr[k] += v["http_errors"]; serr[k] += v["connect"] + v["read"] + v["write"] + v["timeout"]
    if (v["conns"] > maxc[k]) maxc[k] = v["conns"]
    bpr = v["requests"] ? v["bytes"] / v["requests"] : 0
    d = bpr - v["expect_bytes"]; if (d < 0) d = -d
    if (d > 1) badsize[k]++
    runs[k] = runs[k] sprintf("%s%.0f", (runs[k] == "" ? "" : ","), v["rps"])
}
END {
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, ck, SUBSEP); n = cnt[k]
        for (j = 1; j <= n; j++) { a[j] = rps[k, j] } ; mr[k] = med(a, n); delete a
        for (j = 1; j <= n; j++) { a[j] = p50[k, j] } ; m50[k] = med(a, n); delete a
        for (j = 1; j <= n; j++) { a[j] = p99[k, j] } ; m99[k] = med(a, n); delete a
        for (j = 1; j <= n; j++) { a[j] = cpu[k, j] } ; mcpu[k] = med(a, n); delete a
        for (j = 1; j <= n; j++) { a[j] = top[k, j] } ; mtop[k] = med(a, n); delete a
        for (j = 1; j <= n; j++) { a[j] = cli[k, j] } ; mcli[k] = med(a, n); delete a
    }
    last = ""
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, ck, SUBSEP)
        if (ck[1] != last) {
            printf "\n[%s]\n", ck[1]
            printf "%-10s %10s %8s %8s %9s %7s %7s %7s %8s %8s %9s  %s\n", "target", "req/s", "p50 ms", "p99 ms", "vs nginx", "cpu us", "busiest", "wrk cpu", "http_err", "sock_err", "max_conns", "runs (req/s)"
            last = ck[1]
        }
        base = ck[1]; sub(/-log$/, "", base)
        ng = mr[base, "nginx"]
        ratio = ng > 0 ? sprintf("%.2f", mr[k] / ng) : "-"
        printf "%-10s %10.0f %8.3f %8.3f %9s %7.1f %6.0f%% %6.0f%% %8d %8d %9d  %s%s\n", ck[2], mr[k], m50[k], m99[k], ratio, mcpu[k], mtop[k], mcli[k], herr[k], serr[k], maxc[k], runs[k], (badsize[k] ? "  SIZE MISMATCH" : "") (died[k] ? sprintf("  (%d run(s) left out: server died)", died[k]) : "")
    }
    # Throughput is judged where the servers are saturated (CONNS connections);
    # p99 where they are not (the -cN runs): at saturation a request waits
    # behind the CONNS - 1 others, so p99 is at least CONNS / throughput
    # whatever the server, nginx included (shown next to it, no verdict).
    # With a pinned run, p99 is judged there; unpinned-cN is then shown for
    # information: wrk and two server workers take turns on two cores.
    for (i = 1; i <= nk; i++) { split(order[i], ck, SUBSEP); if (ck[1] ~ /^pinned-c/) pinned_lat = 1 }
    printf "\ntargets (pinhole): instance >= nginx and verify_credentials >= 0.5 x nginx at %d connections; p99 < %d ms below saturation\n", conns, tgt_p99
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, ck, SUBSEP)
        if (ck[1] ~ /-log$/ || ck[2] == "nginx") continue
        ng = mr[ck[1], "nginx"]; need = ck[2] == "instance" ? 1 : 0.5
        ok3 = herr[k] == 0 && serr[k] == 0 && !badsize[k]
        if (ck[1] ~ /-c[0-9]+$/) {
            ok2 = m99[k] < tgt_p99
            judged = ck[1] ~ /^pinned/ || !pinned_lat
            printf "  %-11s %-9s p99 %s (%.3f ms; nginx %.3f ms)  errors %s\n", ck[1], ck[2], (judged ? (ok2 ? "PASS" : "FAIL") : "(cores shared with wrk: see pinned)"), m99[k], m99[ck[1], "nginx"], (ok3 ? "none" : "PRESENT")
        } else {
            ok1 = ng > 0 && mr[k] >= need * ng
            # wrk itself at >= 95% of its core: the client, not the server,
            # set the pace, and requests per second say little about the
            # server. Then the server CPU per request decides (requests a
            # core can serve), and the line says so.
            ngk = ck[1] SUBSEP "nginx"; cap = mcpu[k] > 0 ? mcpu[ngk] / mcpu[k] : 0
            by_cpu = !ok1 && mcli[k] >= 95 && cap >= need
            printf "  %-11s %-9s throughput %s (%.2f of nginx, want >= %.1f%s)  p99 at saturation %.3f ms (nginx %.3f ms; %d / req/s alone is %.3f ms)  errors %s\n", ck[1], ck[2],
                (ok1 || by_cpu ? "PASS" : "FAIL"), (ng > 0 ? mr[k] / ng : 0), need,
                (by_cpu ? sprintf("; wrk at %d%% set the pace: by server CPU per request, %.1f vs nginx %.1f us = %.2f x", mcli[k], mcpu[k], mcpu[ngk], cap) : ""),
                m99[k], m99[ck[1], "nginx"], conns, (mr[k] > 0 ? 1000 * conns / mr[k] : 0), (ok3 ? "none" : "PRESENT")
        }
        if (!ok3) errs = 1
    }
    for (i = 1; i <= nk; i++) { k = order[i]; split(k, ck, SUBSEP); if (ck[2] == "nginx" && (herr[k] || serr[k] || badsize[k])) errs = 1 }
    if (errs) print "\nWARNING: HTTP errors, socket errors or odd response sizes: see the per-run lines above"
}' "$RESULTS"
if [ "$LOGRUN" = 1 ]; then
    echo "access log run: $LOG_LINES lines ($LOG_BYTES bytes) written by pinhole to a file"
fi
echo "columns: http_err = responses with status >= 400 (wrk); sock_err = connect+read+write+timeout;"
echo "max_conns = new TCP connections during a run (system-wide; ~$CONNS means keep-alive held);"
echo "cpu us = server CPU time per request (user+sys, all its threads/workers): steadier than req/s on a busy machine;"
echo "busiest = share of that CPU used by the busiest pinhole thread / nginx worker (~100% = one worker did all the work)."
[ "$DEATHS" = 0 ] || echo "WARNING: a server exited $DEATHS time(s) during the bench (status 0 = killed by another process); it was restarted and the runs it spoiled were repeated or left out."
exit 0
