#!/usr/bin/env bash
# Photo pipeline CPU and memory: pinhole's pipeline next to libvips' vipsthumbnail
# and ImageMagick, on the same real photos, in the same run.
#
#   bench/media.sh              # ~2-3 minutes on a quiet 2-core machine (longer when loaded)
#   REPS=5 bench/media.sh       # more rounds (median of each), takes longer
#   LONG=10 bench/media.sh      # longer worker run for the memory check (default 3)
#
# Photos: tests/fixtures/prepare.sh build/fixtures (photos/*.jpg, real camera photos, and
# derived/phone.jpg, a 4000x3000 12 MP phone JPEG). Without that script, or if it fails, the
# photos of Debian's lomiri-wallpapers-16.04 package are used and a 4000x3000 JPEG is made
# from one of them.
#
# What is measured for each photo, REPS times (median taken), interleaved so that a change in
# machine load hits all methods alike:
#   A  pinhole (build/pipeline): one decode with shrink-on-load, then 1080, 640, 320 and a
#      150x150 crop, each as JPEG (q82, progressive, optimised) AND WebP (q80, effort 2), plus a
#      BlurHash. "A ms" is the process CPU time pipeline reports for the photo, in one
#      long-lived process handling all photos in a row after a warm-up image, with
#      MALLOC_ARENA_MAX=1 as `pinhole serve` sets it (mallopt in cmd_serve): what a server worker pays per photo.
#      "A proc" is user+sys of a whole process run on that photo alone (libvips start-up
#      included) and "A RSS" its peak RSS. "worker peak" is the peak RSS of the long-lived
#      process after all photos, and after every photo LONG times over (glibc arenas grow).
#   B  vipsthumbnail, once per size (1080, 640, 320, and 150 with --smartcrop centre), JPEG Q=82:
#      user+sys summed over the 4 processes (JPEG only: no WebP, no BlurHash).
#   C  ImageMagick convert -thumbnail, once per size (150: 150x150^ -gravity center -extent),
#      -quality 82: user+sys summed over the 4 processes (Mastodon's old pipeline; JPEG only).
# B and C each start 4 processes per photo; "start" lines show what starting the tool costs
# on a tiny image, to tell start-up from image work.
#
# Targets: A at least 3x less CPU than B and 10x less than C; peak memory under 120 MB per
# worker. The script exits 0 whatever the figures (1 only if it cannot run): read the
# PASS/FAIL lines. Figures move with machine load: compare ratios within one run.
set -euo pipefail

REPS=${REPS:-3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
PIPELINE=$BUILD/pipeline
RSS_TARGET_KB=$((120 * 1024))
start_s=$(date +%s)

say() { printf '%s\n' "$*" >&2; }
die() { say "media.sh: $*"; exit 1; }

# ---- temp dir and cleanup ------------------------------------------------------------------

TMP=$(mktemp -d /tmp/pinhole-media.XXXXXX)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/out"

# ---- tools ---------------------------------------------------------------------------------

SUDO=
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
apt_updated=0
apt_install() { # PACKAGE...
    say "installing $*"
    if [ "$apt_updated" = 0 ]; then
        $SUDO apt-get update -qq || die "apt-get update failed (run as root, or install $*)"
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" \
        >/dev/null || die "could not install $* (run as root, or install them yourself)"
}
find_im() { # Debian's real ImageMagick (a /usr/local/bin/convert may be something else)
    local c
    for c in /usr/bin/convert-im6.q16 /usr/bin/magick /usr/bin/convert; do
        if [ -x "$c" ]; then echo "$c"; return 0; fi
    done
    return 0
}

missing=()
command -v vipsthumbnail >/dev/null 2>&1 && command -v vipsheader >/dev/null 2>&1 \
    || missing+=(libvips-tools)
[ -n "$(find_im)" ] || missing+=(imagemagick)
[ -x /usr/bin/time ] || missing+=(time)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
IM=$(find_im)
[ -n "$IM" ] || die "ImageMagick's convert not found after installing it"
TIME=/usr/bin/time

# ---- build ---------------------------------------------------------------------------------

command -v ninja >/dev/null 2>&1 || die "ninja not found (scripts/install-deps.sh, or apt-get install ninja-build meson)"
if [ ! -f "$BUILD/build.ninja" ]; then
    say "no $BUILD/build.ninja: running meson setup"
    meson setup "$BUILD" "$ROOT" >/dev/null || die "meson setup failed (scripts/install-deps.sh installs what it needs)"
fi
ninja -C "$BUILD" pipeline >/dev/null || die "build failed: ninja -C build pipeline"
[ -x "$PIPELINE" ] || die "no $PIPELINE after the build"
# Run a private copy: a rebuild in build/ during the run must not swap the binary under us.
cp "$PIPELINE" "$TMP/pipeline"
PIPELINE=$TMP/pipeline

# ---- photos --------------------------------------------------------------------------------

photos=()
fixtures_from=""
prepare=$ROOT/tests/fixtures/prepare.sh
if [ -f "$prepare" ]; then
    say "preparing fixtures: tests/fixtures/prepare.sh build/fixtures"
    if bash "$prepare" "$BUILD/fixtures" >"$TMP/prepare.log" 2>&1; then
        for f in "$BUILD"/fixtures/photos/*.jpg; do [ -s "$f" ] && photos+=("$f"); done
        if [ -s "$BUILD/fixtures/derived/phone.jpg" ]; then
            photos+=("$BUILD/fixtures/derived/phone.jpg")
            fixtures_from="tests/fixtures/prepare.sh (build/fixtures)"
        else
            photos=()
        fi
    fi
    if [ -z "$fixtures_from" ]; then
        say "prepare.sh failed or made no photos; its last lines:"
        tail -n 5 "$TMP/prepare.log" >&2 || true
        say "falling back to lomiri-wallpapers-16.04"
        photos=()
    fi
fi
if [ -z "$fixtures_from" ]; then
    fb=$TMP/fallback
    mkdir -p "$fb/deb" "$fb/root" "$fb/photos"
    (cd "$fb/deb" && apt-get download -qq lomiri-wallpapers-16.04 2>/dev/null) || {
        $SUDO apt-get update -qq
        (cd "$fb/deb" && apt-get download -qq lomiri-wallpapers-16.04)
    } || die "cannot download lomiri-wallpapers-16.04"
    dpkg-deb -x "$fb"/deb/*.deb "$fb/root"
    bg=$fb/root/usr/share/backgrounds
    for n in Dragonfly_by_Bolly.jpg sunset_by_Aitzol_Berasategi.jpg \
        seeding_by_Clements_Engelhardt.jpg picosdeeuropa_by_Aitzol_Berasategi.jpg \
        greentock_by_Peter_Nerlich.jpg; do
        [ -s "$bg/$n" ] && photos+=("$bg/$n")
    done
    if [ ${#photos[@]} -eq 0 ]; then # other names in another version: take the first five
        while IFS= read -r f; do photos+=("$f"); done < <(find "$bg" -name '*.jpg' | sort | head -n 5)
    fi
    [ ${#photos[@]} -gt 0 ] || die "no photos in lomiri-wallpapers-16.04"
    # 12 MP phone-like photo: 4000x3000 baseline JPEG, Q92
    vips thumbnail "${photos[0]}" "$fb/phone.v" 4000 --height 3000 --size force
    vips jpegsave "$fb/phone.v" "$fb/photos/phone.jpg" --Q 92 --strip
    rm -f "$fb/phone.v"
    photos+=("$fb/photos/phone.jpg")
    fixtures_from="lomiri-wallpapers-16.04 (fallback; phone.jpg made with vips)"
fi
say "photos from $fixtures_from: ${#photos[@]}"

# ---- check that pinhole accepts each photo --------------------------------------------------
# A photo the pipeline refuses is a bug (these are ordinary photos): it is reported as FAIL.
# When the photo has an EXIF orientation other than 1, a copy with the tag reset to 1 (the same
# compressed pixels; exiftool) is measured in its place, for all three methods, marked "*".

declare -A label=()
notes=()
fails=()
checked=()
"$PIPELINE" "${photos[@]}" >"$TMP/check.txt" 2>"$TMP/check.err" || true
for f in "${photos[@]}"; do
    name=$(basename "$f")
    line=$(awk -F'\t' -v p="$f" '$1 == p' "$TMP/check.txt")
    if [ -n "$line" ] && [ "$(printf '%s' "$line" | cut -f2)" != refused ]; then
        checked+=("$f")
        label[$f]=$name
        continue
    fi
    reason=$(printf '%s' "$line" | cut -f3-4 | tr '\t' ' ')
    detail=$({ "$PIPELINE" "$f" 2>&1 >/dev/null || true; } | grep -o 'image: [a-z]*: .*' | head -n1 || true)
    orient=$(vipsheader -f orientation "$f" 2>/dev/null || echo 1)
    fails+=("A refused $name (EXIF orientation $orient): ${reason:-no output} ${detail:+[$detail]}")
    if [ "$orient" -ge 2 ] 2>/dev/null; then
        command -v exiftool >/dev/null 2>&1 || apt_install libimage-exiftool-perl
        sub=$TMP/orient1-$name
        exiftool -q -n -Orientation=1 -o "$sub" "$f"
        if "$PIPELINE" "$sub" >/dev/null 2>&1; then
            checked+=("$sub")
            label[$sub]="$name*"
            notes+=("$name*: A refuses $name (orientation $orient); measured on a copy with orientation 1 (same compressed pixels) for A, B and C")
            continue
        fi
    fi
    notes+=("$name: left out, A refuses it")
done
[ ${#checked[@]} -gt 0 ] || die "pinhole's pipeline refused every photo"
photos=("${checked[@]}")

# ---- measurement helpers ---------------------------------------------------------------------

declare -A R=() # "photo|metric" -> space-separated values, one per round
add() { R[$1|$2]="${R[$1|$2]:-} $3"; }
median() { # VALUES...: the median (numbers)
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
        else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
med() { # PHOTO METRIC
    # shellcheck disable=SC2086
    median ${R[$1|$2]:-}
}
timed() { # OUTFILE CMD...: run CMD under /usr/bin/time; stdout and stderr to /dev/null
    "$TIME" -o "$1" -f '%e %U %S %M' "${@:2}" >/dev/null 2>&1
}
cpu_ms() { awk '{ printf "%.0f", ($2 + $3) * 1000 }' "$1"; }
rss_kb() { awk '{ print $4 }' "$1"; }

run_b() { # PHOTO: vipsthumbnail per size; sets b_ms, b_kb
    local f=$1 s t=$TMP/t.b ms=0 kb=0
    for s in 1080 640 320 150; do
        if [ "$s" = 150 ]; then
            timed "$t" vipsthumbnail "$f" --smartcrop centre -s 150x150 -o "$TMP/out/b$s.jpg[Q=82]"
        else
            timed "$t" vipsthumbnail "$f" -s "$s" -o "$TMP/out/b$s.jpg[Q=82]"
        fi || die "vipsthumbnail failed on $f (size $s)"
        ms=$((ms + $(cpu_ms "$t")))
        kb=$(($(rss_kb "$t") > kb ? $(rss_kb "$t") : kb))
    done
    b_ms=$ms b_kb=$kb
}
run_c() { # PHOTO: ImageMagick per size; sets c_ms, c_kb
    local f=$1 s t=$TMP/t.c ms=0 kb=0
    for s in 1080 640 320 150; do
        if [ "$s" = 150 ]; then
            timed "$t" "$IM" "$f" -thumbnail '150x150^' -gravity center -extent 150x150 \
                -quality 82 "$TMP/out/c$s.jpg"
        else
            timed "$t" "$IM" "$f" -thumbnail "${s}x$s" -quality 82 "$TMP/out/c$s.jpg"
        fi || die "ImageMagick failed on $f (size $s)"
        ms=$((ms + $(cpu_ms "$t")))
        kb=$(($(rss_kb "$t") > kb ? $(rss_kb "$t") : kb))
    done
    c_ms=$ms c_kb=$kb
}

# Warm-up image for the long-lived A process (first-use costs are paid once per worker), and a
# tiny image for the start-up cost of each tool.
vips thumbnail "${photos[0]}" "$TMP/warmup.jpg[Q=90]" 1600
vips black "$TMP/tiny.v" 16 16 --bands 3
vips jpegsave "$TMP/tiny.v" "$TMP/tiny.jpg"
check_out() { [ -s "$1" ] || die "no output $1"; }

# ---- measure -------------------------------------------------------------------------------

say "measuring ${#photos[@]} photos x $REPS rounds (A, B, C interleaved)"
for rep in $(seq "$REPS"); do
    # start-up references
    t=$TMP/t.s
    timed "$t" env MALLOC_ARENA_MAX=1 "$PIPELINE" "$TMP/tiny.jpg"; add start a "$(cpu_ms "$t")"
    timed "$t" vipsthumbnail "$TMP/tiny.jpg" -s 8 -o "$TMP/out/tiny-b.jpg[Q=82]"; add start b "$(cpu_ms "$t")"
    timed "$t" "$IM" "$TMP/tiny.jpg" -thumbnail 8x8 -quality 82 "$TMP/out/tiny-c.jpg"; add start c "$(cpu_ms "$t")"

    # A, as a worker: one process, warm-up image first, then every photo
    MALLOC_ARENA_MAX=1 "$TIME" -o "$TMP/t.batch" -f '%e %U %S %M' \
        "$PIPELINE" "$TMP/warmup.jpg" "${photos[@]}" >"$TMP/batch.txt" 2>"$TMP/batch.err" \
        || die "build/pipeline failed in the worker run: $(tail -n 3 "$TMP/batch.err")"
    add worker kb "$(rss_kb "$TMP/t.batch")"
    for f in "${photos[@]}"; do
        ms=$(awk -F'\t' -v p="$f" '$1 == p { sub(/ ms$/, "", $2); print $2 }' "$TMP/batch.txt")
        [ -n "$ms" ] || die "no figure for $f in the worker run"
        add "$f" a "$ms"
    done

    for f in "${photos[@]}"; do
        # A, one process for this photo alone: whole-process CPU and peak RSS
        timed "$TMP/t.a" env MALLOC_ARENA_MAX=1 "$PIPELINE" "$f" || die "build/pipeline failed on $f"
        add "$f" aproc "$(cpu_ms "$TMP/t.a")"
        add "$f" akb "$(rss_kb "$TMP/t.a")"
        run_b "$f"; add "$f" b "$b_ms"; add "$f" bkb "$b_kb"
        run_c "$f"; add "$f" c "$c_ms"; add "$f" ckb "$c_kb"
    done
    check_out "$TMP/out/b150.jpg"
    check_out "$TMP/out/c150.jpg"
    say "  round $rep/$REPS done ($(( $(date +%s) - start_s )) s)"
done

# A longer worker: one process, every photo LONG times in a row (memory growth over a run).
LONG=${LONG:-3}
long_args=()
for _ in $(seq "$LONG"); do long_args+=("${photos[@]}"); done
MALLOC_ARENA_MAX=1 "$TIME" -o "$TMP/t.long" -f '%e %U %S %M' \
    "$PIPELINE" "$TMP/warmup.jpg" "${long_args[@]}" >/dev/null 2>&1 \
    || die "build/pipeline failed in the long worker run"
long_kb=$(rss_kb "$TMP/t.long")

# ---- report --------------------------------------------------------------------------------

mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "nan" }'; }
nw=6
for f in "${photos[@]}"; do [ ${#label[$f]} -le "$nw" ] || nw=${#label[$f]}; done
fmt="%-${nw}s %5s %7s %7s %6s %8s %6s %8s %6s %6s %6s %7s\n"

echo
echo "Photo pipeline, CPU ms per photo (user+sys), median of $REPS rounds; RSS in MB"
echo "photos: $fixtures_from; $(nproc) cores; libvips $(vips --version | sed 's/^vips-//'); $("$IM" -version | head -n1 | awk '{ print $2, $3 }')"
echo "pinhole $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src/media bench/pipeline.c 2>/dev/null || echo ' (src/media or bench/pipeline.c modified)')"
echo "A = pinhole: JPEG + WebP at 4 sizes + BlurHash (more work than B and C, which write JPEG only)"
echo
# shellcheck disable=SC2059
printf "$fmt" photo MP "A ms" "A proc" "A RSS" "B ms" "B RSS" "C ms" "C RSS" "B/A" "C/A" "B/Aproc"
declare -a col_a=() col_ap=() col_akb=() col_b=() col_c=() col_ba=() col_ca=() col_bap=()
sum_a=0 sum_b=0 sum_c=0 sum_ap=0
max_akb=0
for f in "${photos[@]}"; do
    w=$(vipsheader -f width "$f") h=$(vipsheader -f height "$f")
    mp=$(awk -v w="$w" -v h="$h" 'BEGIN { printf "%.1f", w * h / 1e6 }')
    a=$(med "$f" a) ap=$(med "$f" aproc) akb=$(med "$f" akb)
    b=$(med "$f" b) bkb=$(med "$f" bkb) c=$(med "$f" c) ckb=$(med "$f" ckb)
    ba=$(ratio "$b" "$a") ca=$(ratio "$c" "$a") bap=$(ratio "$b" "$ap")
    col_a+=("$a") col_ap+=("$ap") col_akb+=("$akb") col_b+=("$b") col_c+=("$c")
    col_ba+=("$ba") col_ca+=("$ca") col_bap+=("$bap")
    sum_a=$(awk -v s="$sum_a" -v x="$a" 'BEGIN { print s + x }')
    sum_ap=$((sum_ap + ap)) sum_b=$((sum_b + b)) sum_c=$((sum_c + c))
    # max over rounds, for the memory target
    for k in ${R[$f|akb]}; do if [ "$k" -gt "$max_akb" ]; then max_akb=$k; fi; done
    # shellcheck disable=SC2059
    printf "$fmt" "${label[$f]}" "$mp" "$(printf '%.0f' "$a")" "$ap" "$(mb "$akb")" "$b" "$(mb "$bkb")" \
        "$c" "$(mb "$ckb")" "$ba" "$ca" "$bap"
done
m_a=$(median "${col_a[@]}") m_ap=$(median "${col_ap[@]}") m_b=$(median "${col_b[@]}") m_c=$(median "${col_c[@]}")
# shellcheck disable=SC2059
printf "$fmt" "median" "" "$(printf '%.0f' "$m_a")" "$(printf '%.0f' "$m_ap")" "$(mb "$(median "${col_akb[@]}")")" \
    "$(printf '%.0f' "$m_b")" "" "$(printf '%.0f' "$m_c")" "" "$(median "${col_ba[@]}")" \
    "$(median "${col_ca[@]}")" "$(median "${col_bap[@]}")"
echo "(median row: median of each column; the ratio columns are medians of the per-photo ratios)"
echo
printf 'all photos, total CPU ms: A %.0f, A proc %d, B %d, C %d; B/A %s, C/A %s, B/Aproc %s, C/Aproc %s\n' \
    "$sum_a" "$sum_ap" "$sum_b" "$sum_c" "$(ratio "$sum_b" "$sum_a")" "$(ratio "$sum_c" "$sum_a")" \
    "$(ratio "$sum_b" "$sum_ap")" "$(ratio "$sum_c" "$sum_ap")"
printf 'ratios of the overall medians: B/A %s, C/A %s\n' "$(ratio "$m_b" "$m_a")" "$(ratio "$m_c" "$m_a")"
s_a=$(med start a) s_b=$(med start b) s_c=$(med start c)
printf 'start-up on a 16x16 image, CPU ms per process: pipeline %s, vipsthumbnail %s (B pays 4: %s), convert %s (C pays 4: %s)\n' \
    "$s_a" "$s_b" "$((4 * ${s_b%.*}))" "$s_c" "$((4 * ${s_c%.*}))"
printf 'B without its 4 start-ups: median %s ms, B/A %s\n' \
    "$(awk -v b="$m_b" -v s="$s_b" 'BEGIN { printf "%.0f", b - 4 * s }')" \
    "$(awk -v b="$m_b" -v s="$s_b" -v a="$m_a" 'BEGIN { printf "%.1f", (b - 4 * s) / a }')"
w_med=$(med worker kb)
w_max=0
for k in ${R[worker|kb]}; do if [ "$k" -gt "$w_max" ]; then w_max=$k; fi; done
printf 'worker peak RSS (one process, warm-up + %d photos in a row, MALLOC_ARENA_MAX=1): median %s MB, max %s MB\n' \
    "${#photos[@]}" "$(mb "$w_med")" "$(mb "$w_max")"
printf 'worker peak RSS, longer run (warm-up + %d photos, each photo %d times, MALLOC_ARENA_MAX=1): %s MB\n' \
    "${#long_args[@]}" "$LONG" "$(mb "$long_kb")"
for n in "${notes[@]}"; do echo "note: $n"; done
echo

# ---- targets ---------------------------------------------------------------------------------

verdict() { # OK TEXT
    if [ "$1" = 1 ]; then echo "PASS  $2"; else echo "FAIL  $2"; fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo 1 || echo 0; }
min_ba=$(printf '%s\n' "${col_ba[@]}" | sort -g | head -n1)
min_ca=$(printf '%s\n' "${col_ca[@]}" | sort -g | head -n1)
verdict "$(ge "$(ratio "$m_b" "$m_a")" 3)" "A >= 3x less CPU than B (overall medians: $(ratio "$m_b" "$m_a")x; worst photo $min_ba x)"
verdict "$(ge "$min_ba" 3)" "A >= 3x less CPU than B on every photo, stricter reading (worst $min_ba x)"
verdict "$(ge "$(ratio "$m_c" "$m_a")" 10)" "A >= 10x less CPU than C (overall medians: $(ratio "$m_c" "$m_a")x; worst photo $min_ca x)"
verdict "$(ge "$min_ca" 10)" "A >= 10x less CPU than C on every photo, stricter reading (worst $min_ca x)"
verdict "$([ "$max_akb" -lt "$RSS_TARGET_KB" ] && echo 1 || echo 0)" "A peak RSS < 120 MB, one photo per process (max $(mb "$max_akb") MB)"
verdict "$([ "$w_max" -lt "$RSS_TARGET_KB" ] && echo 1 || echo 0)" "A peak RSS < 120 MB for a worker doing all photos in a row (max $(mb "$w_max") MB)"
verdict "$([ "$long_kb" -lt "$RSS_TARGET_KB" ] && echo 1 || echo 0)" "A peak RSS < 120 MB for a worker doing ${#long_args[@]} photos in a row ($(mb "$long_kb") MB)"
if [ ${#fails[@]} -gt 0 ]; then
    for x in "${fails[@]}"; do echo "FAIL  $x"; done
else
    echo "PASS  A accepted every photo"
fi
say "media.sh: done in $(( $(date +%s) - start_s )) s"
