#!/bin/bash
# usage: batch.sh MODE BIN -> the group-commit batch size (wxgate_store_batch_writes) at saturation
MODE=$1; BIN=$2
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_SIGS_FILE=$B/sigs.lua
rm -f $B/.cache/wxgate-perf.db*
sed "s#^url = .*#url = \"sqlite://$B/.cache/wxgate-perf.db\"#" wxgate.toml > .cache/perf.toml
if [ $MODE = safe ]; then SEC=safe; ARG="-- safe"; else SEC=plain; ARG=""; fi
WXGATE_SECURITY=$SEC taskset -c 0 $BIN serve -c .cache/perf.toml > .cache/batch.log 2>&1 & P=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua http://127.0.0.1:18120/wechat $ARG > /dev/null
m0=$(curl -s http://127.0.0.1:18120/metrics | grep -E '^wxgate_store_batch_writes_(sum|count)' | awk '{print $2}' | tr '\n' ' ')
WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d8s --timeout 5s -s wechat_push.lua http://127.0.0.1:18120/wechat $ARG | grep Requests/sec
m1=$(curl -s http://127.0.0.1:18120/metrics | grep -E '^wxgate_store_batch_writes_(sum|count)' | awk '{print $2}' | tr '\n' ' ')
kill $P; wait $P 2>/dev/null
echo "$m0 | $m1" | awk -F'|' '{split($1,a," "); split($2,b," "); printf "batches %d writes %d mean batch %.1f\n", b[2]-a[2], b[1]-a[1], (b[1]-a[1])/(b[2]-a[2])}'
