#!/bin/bash
# usage: ab.sh D LABEL_A BIN_A LABEL_B BIN_B -> A and B served at the same time, both pinned to CPU 0
# (the scheduler shares that core between them), each loaded by its own wrk on CPU 1 (-t1 -c32),
# safe mode, WX_FRESH=1, on copies of the seeded database. LABEL: one | openN (as open.sh).
# Whatever slows the machine slows both alike: compare their CPU µs a push within one run.
D=$1; LA=$2; BA=$3; LB=$4; BB=$5
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_FRESH=1
start() { # label bin port -> pid
  rm -f .cache/ab-$3.db*; cp .cache/open-template.db .cache/ab-$3.db
  sed "s#^url = .*#url = \"sqlite://$B/.cache/ab-$3.db\"#; s#^listen = .*#listen = \"127.0.0.1:$3\"#" open.toml > .cache/ab-$3.toml
  taskset -c 0 $2 serve -c .cache/ab-$3.toml > .cache/ab-$3.log 2>&1 &
  echo $!
}
url() { if [ $1 = one ]; then echo "0 http://127.0.0.1:$2/wechat"; else echo "${1#open} http://127.0.0.1:$2/wechat/open"; fi; }
PA=$(start $LA $BA 18120); PB=$(start $LB $BB 18121)
for p in 18120 18121; do for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$p/ && break; sleep 0.1; done; done
read AA UA < <(url $LA 18120); read AB UB < <(url $LB 18121)
WX_OPEN_APPIDS=$AA taskset -c 1 wrk -t1 -c32 -d3s --timeout 5s -s wechat_push.lua $UA -- safe > /dev/null &
WX_OPEN_APPIDS=$AB taskset -c 1 wrk -t1 -c32 -d3s --timeout 5s -s wechat_push.lua $UB -- safe > /dev/null; wait
ca0=$(awk '{print $14+$15}' /proc/$PA/stat); cb0=$(awk '{print $14+$15}' /proc/$PB/stat)
WX_OPEN_APPIDS=$AA WX_TID_OFFSET=10 taskset -c 1 wrk -t1 -c32 -d${D}s --latency --timeout 5s -s wechat_push.lua $UA -- safe > .cache/ab-a.wrk &
WX_OPEN_APPIDS=$AB WX_TID_OFFSET=20 taskset -c 1 wrk -t1 -c32 -d${D}s --latency --timeout 5s -s wechat_push.lua $UB -- safe > .cache/ab-b.wrk; wait
ca1=$(awk '{print $14+$15}' /proc/$PA/stat); cb1=$(awk '{print $14+$15}' /proc/$PB/stat)
kill $PA $PB; wait $PA $PB 2>/dev/null
na=$(grep -o '[0-9]* requests in' .cache/ab-a.wrk | cut -d' ' -f1); nb=$(grep -o '[0-9]* requests in' .cache/ab-b.wrk | cut -d' ' -f1)
awk -v la=$LA -v lb=$LB -v na=$na -v nb=$nb -v ta=$((ca1-ca0)) -v tb=$((cb1-cb0)) -v pa="$(grep ' 99%' .cache/ab-a.wrk | tr -s ' ' | cut -d' ' -f3)" -v pb="$(grep ' 99%' .cache/ab-b.wrk | tr -s ' ' | cut -d' ' -f3)" \
  'BEGIN{ua=ta*1e4/na; ub=tb*1e4/nb; printf "%s %d pushes %.1f µs/push p99 %s | %s %d pushes %.1f µs/push p99 %s | B÷A CPU/push %.3f, pushes %.3f\n", la, na, ua, pa, lb, nb, ub, pb, ub/ua, nb/na}'
grep -hE 'Non-2xx|Socket' .cache/ab-a.wrk .cache/ab-b.wrk
