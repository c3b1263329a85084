#!/bin/sh
# Fails if a source folder includes a header from a layer above it (DESIGN.md).
src=${1:-src}
status=0
allowed() {
    case "$1" in
    core) echo "core" ;;
    store) echo "core store" ;;
    media) echo "core media" ;;
    http) echo "core http" ;;
    service) echo "core store media service" ;;
    jobs) echo "core store media service jobs" ;;
    api) echo "core service http api" ;;
    cli) echo "core store media service http api jobs cli" ;;
    esac
}
for dir in "$src"/*/; do
    layer=$(basename "$dir")
    ok=$(allowed "$layer")
    for f in "$dir"*.[ch]; do
        [ -e "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f"); do
            case " $ok " in
            *" $inc "*) ;;
            *) echo "layer violation: $f includes $inc/"; status=1 ;;
            esac
        done
    done
done
[ $status = 0 ] && echo "layers: ok"
exit $status
