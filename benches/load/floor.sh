#!/bin/bash
# usage: floor.sh D -> the bare hyper floor, pinned like cpu.sh: req/s, p99, CPU µs/push
D=$1; B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_SIGS_FILE=$B/sigs.lua
taskset -c 0 .cache/floor-target/release/floor 18108 > .cache/floor.log 2>&1 & P=$!
sleep 0.5
taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua http://127.0.0.1:18108/wechat > /dev/null
c0=$(awk '{print $14+$15}' /proc/$P/stat)
WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d${D}s --latency --timeout 5s -s wechat_push.lua http://127.0.0.1:18108/wechat > .cache/floor.wrk
c1=$(awk '{print $14+$15}' /proc/$P/stat)
kill $P; wait $P 2>/dev/null
n=$(grep -o '[0-9]* requests in' .cache/floor.wrk | cut -d' ' -f1)
echo "floor mix: $(grep Requests/sec .cache/floor.wrk | tr -s ' ') p99 $(grep ' 99%' .cache/floor.wrk | tr -s ' ' | cut -d' ' -f3) cpu_us/push $(awk -v t=$((c1-c0)) -v n=$n "BEGIN{printf \"%.1f\", t*10000/n}")"
