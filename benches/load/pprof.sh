#!/bin/bash
# usage: pprof.sh MODE(mix|safe) LABEL BIN -> perf record (DWARF call graphs) of BIN at saturation, pinned, plain mix or safe
MODE=$1; L=$2; BIN=$3
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_SIGS_FILE=$B/sigs.lua
rm -f $B/.cache/wxgate-perf.db*
mkdir -p .cache; sed "s#^url = .*#url = \"sqlite://$B/.cache/wxgate-perf.db\"#" wxgate.toml > .cache/perf.toml
if [ $MODE = safe ]; then SEC=safe; ARG="-- safe"; else SEC=plain; ARG=""; fi
WXGATE_SECURITY=$SEC taskset -c 0 $BIN serve -c .cache/perf.toml > .cache/pp.$L.log 2>&1 & P=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua http://127.0.0.1:18120/wechat $ARG > /dev/null
WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d8s --latency --timeout 5s -s wechat_push.lua http://127.0.0.1:18120/wechat $ARG > .cache/pp.$L.wrk & W=$!
sleep 1
perf record -F 999 --call-graph dwarf,16384 -p $P -o .cache/pp.$L.data -- sleep 5 > /dev/null 2>&1
wait $W; kill $P; wait $P 2>/dev/null
grep Requests/sec .cache/pp.$L.wrk
