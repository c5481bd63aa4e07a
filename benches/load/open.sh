#!/bin/bash
# usage: open.sh D RUNS BIN -> per run, interleaved: safe pushes to the one [account] at /wechat, and the same
# pushes spread over the 1,000 seeded authorizers at /wechat/open/{appid} (WX_OPEN_APPIDS=1000), each on a
# fresh copy of .cache/open-template.db (seed.sh), server on CPU 0, wrk on CPU 1, WX_FRESH=1 (own triple per push).
D=$1; RUNS=$2; BIN=$3
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_FRESH=1
sed "s#^url = .*#url = \"sqlite://$B/.cache/open-run.db\"#" open.toml > .cache/open-run.toml
for r in $(seq $RUNS); do
 for L in ${LABELS:-one open1000}; do
  rm -f .cache/open-run.db*; cp .cache/open-template.db .cache/open-run.db
  if [ $L = one ]; then A=0; U=http://127.0.0.1:18120/wechat; else A=${L#open}; U=http://127.0.0.1:18120/wechat/open; fi
  taskset -c 0 $BIN serve -c .cache/open-run.toml > .cache/$L.$r.log 2>&1 & P=$!
  for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
  WX_OPEN_APPIDS=$A taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua $U -- safe > .cache/$L.$r.warm
  c0=$(awk '{print $14+$15}' /proc/$P/stat)
  WX_OPEN_APPIDS=$A WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d${D}s --latency --timeout 5s -s wechat_push.lua $U -- safe > .cache/$L.$r.wrk
  c1=$(awk '{print $14+$15}' /proc/$P/stat)
  kill $P; wait $P 2>/dev/null
  n=$(grep -o '[0-9]* requests in' .cache/$L.$r.wrk | cut -d' ' -f1)
  ev=$(sqlite3 .cache/open-run.db "SELECT count(*) FROM events" 2>&1)
  echo "run $r $L: $(grep Requests/sec .cache/$L.$r.wrk | tr -s ' ') p50 $(grep ' 50%' .cache/$L.$r.wrk | tr -s ' ' | cut -d' ' -f3) p99 $(grep ' 99%' .cache/$L.$r.wrk | tr -s ' ' | cut -d' ' -f3) cpu_us/push $(awk -v t=$((c1-c0)) -v n=$n "BEGIN{printf \"%.1f\", t*10000/n}") events_rows $ev load $(cut -d' ' -f1 /proc/loadavg) $(grep -hE 'Non-2xx|Socket' .cache/$L.$r.warm .cache/$L.$r.wrk | tr -s ' ' | tr '\n' ' ')"
 done
done
