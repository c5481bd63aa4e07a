#!/bin/bash
# usage: burst2.sh LABEL BIN -> RSS before / peak / 12 s after, three bursts of 2,000 slow clients against one server (SLOW_BURST = the path of benches/slow_burst.py)
L=$1; BIN=$2
B=${BENCH:-/tmp/bench2}; cd "$B"
rm -f .cache/burst.db*
sed "s#^url = .*#url = \"sqlite://$B/.cache/burst.db\"#; s#^listen = .*#listen = \"127.0.0.1:18198\"#" wxgate.toml > .cache/burst.toml
WXGATE_SECURITY=plain $BIN serve -c .cache/burst.toml > .cache/burst.$L.log 2>&1 & P=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18198/ && break; sleep 0.1; done
for k in 1 2 3; do echo "$L burst $k: $(python3 ${SLOW_BURST:-/work/main/benches/slow_burst.py} --pid $P --port 18198 -n 2000 --after 12 --token benchtoken 2>&1 | tail -4 | tr '\n' ' ')"; done
kill $P; wait $P 2>/dev/null
