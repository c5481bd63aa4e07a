#!/bin/bash
# usage: cpu.sh MODE(mix|safe) D LABEL=BIN ...  -> per binary: req/s, p99, server CPU µs/push (utime+stime / requests)
MODE=$1; D=$2; shift 2
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_SIGS_FILE=$B/sigs.lua
for lb in "$@"; do
  L=${lb%%=*}; BIN=${lb#*=}
  rm -f $B/.cache/wxgate-perf.db*
  mkdir -p .cache; sed "s#^url = .*#url = \"sqlite://$B/.cache/wxgate-perf.db\"#" wxgate.toml > .cache/perf.toml
  if [ $MODE = safe ]; then SEC=safe; ARG="-- safe"; else SEC=plain; ARG=""; fi
  WXGATE_SECURITY=$SEC taskset -c 0 $BIN serve -c .cache/perf.toml > .cache/$L.log 2>&1 & P=$!
  for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
  taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua http://127.0.0.1:18120/wechat $ARG > /dev/null
  WT=$(grep -l wxgate-sqlite /proc/$P/task/*/comm | head -1 | xargs dirname)
  c0=$(awk '{print $14+$15}' /proc/$P/stat); w0=$(awk '{print $14+$15}' $WT/stat)
  WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d${D}s --latency --timeout 5s -s wechat_push.lua http://127.0.0.1:18120/wechat $ARG > .cache/$L.$MODE.wrk
  c1=$(awk '{print $14+$15}' /proc/$P/stat); w1=$(awk '{print $14+$15}' $WT/stat)
  kill $P; wait $P 2>/dev/null
  n=$(grep -o '[0-9]* requests in' .cache/$L.$MODE.wrk | cut -d' ' -f1)
  echo "$L $MODE: $(grep Requests/sec .cache/$L.$MODE.wrk | tr -s ' ') p50 $(grep ' 50%' .cache/$L.$MODE.wrk | tr -s ' ' | cut -d' ' -f3) p99 $(grep ' 99%' .cache/$L.$MODE.wrk | tr -s ' ' | cut -d' ' -f3) cpu_us/push $(awk -v t=$((c1-c0)) -v n=$n "BEGIN{printf \"%.1f\", t*10000/n}") writer_us/push $(awk -v t=$((w1-w0)) -v n=$n "BEGIN{printf \"%.1f\", t*10000/n}") $(grep -E 'Non-2xx|Socket' .cache/$L.$MODE.wrk | tr -s ' ')"
done
