#!/bin/sh
# Installs what pinhole needs on Debian 12, and nothing when it is all there.
#   scripts/install-deps.sh          build and run
#   scripts/install-deps.sh --test   also what the tests need (clang, Node.js packages)
# Idempotent and quick when everything is present: it asks dpkg, not apt.
set -eu
cd "$(dirname "$0")/.."

BUILD="meson ninja-build pkg-config gcc libc6-dev libmicrohttpd-dev libjansson-dev
libsqlite3-dev libsodium-dev libinih-dev libpq-dev libvips-dev libunistring-dev"
TEST="clang libclang-rt-14-dev libcmocka-dev sqlite3 curl procps postgresql postgresql-client
libvips-tools libimage-exiftool-perl imagemagick python3 chromium fonts-noto-core"

want="$BUILD"
[ "${1:-}" = "--test" ] && want="$want $TEST"

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js for the API and browser tests: any installed node will do.
if [ "${1:-}" = "--test" ] && ! command -v node >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
    # Test tools from npm, pinned by the committed lock file.
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    fi
fi
