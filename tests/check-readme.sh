#!/bin/sh
# Fails when the README's endpoint list differs from the route table.
set -eu
bin=$1
readme=$2
want=$("$bin" routes)
have=$(sed -n '/^<!-- routes -->$/,/^<!-- \/routes -->$/p' "$readme" | sed '1,2d;$d' | sed '$d')
if [ "$want" != "$have" ]; then
    echo "README endpoint list is out of date; regenerate it from: $bin routes"
    exit 1
fi
echo "readme: ok"
