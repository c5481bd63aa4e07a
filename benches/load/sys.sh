#!/bin/bash
# usage: sys.sh D LABEL... -> per label (one|openN), pinned, safe, WX_FRESH: req/s, CPU µs/push (user/sys), syscalls, ctx switches, fsync'd bytes per push
D=$1; shift; BIN=${BIN:-./wxgate-main}
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_FRESH=1
sed "s#^url = .*#url = \"sqlite://$B/.cache/open-run.db\"#" open.toml > .cache/open-run.toml
snap() { # user sys syscr syscw wbytes vcs nvcs
  u=$(awk '{print $14}' /proc/$1/stat); s=$(awk '{print $15}' /proc/$1/stat)
  r=$(awk '/^syscr/{print $2}' /proc/$1/io); w=$(awk '/^syscw/{print $2}' /proc/$1/io); wb=$(awk '/^write_bytes/{print $2}' /proc/$1/io)
  v=0; nv=0; for t in /proc/$1/task/*; do v=$((v+$(awk '/^voluntary/{print $2}' $t/status))); nv=$((nv+$(awk '/^nonvoluntary/{print $2}' $t/status))); done
  echo $u $s $r $w $wb $v $nv
}
for L in "$@"; do
  rm -f .cache/open-run.db*; cp .cache/open-template.db .cache/open-run.db
  if [ $L = one ]; then A=0; U=http://127.0.0.1:18120/wechat; else A=${L#open}; U=http://127.0.0.1:18120/wechat/open; fi
  taskset -c 0 $BIN serve -c .cache/open-run.toml > .cache/$L.log 2>&1 & P=$!
  for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
  WX_OPEN_APPIDS=$A taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua $U -- safe > /dev/null
  a=($(snap $P))
  WX_OPEN_APPIDS=$A WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d${D}s --latency --timeout 5s -s wechat_push.lua $U -- safe > .cache/$L.wrk
  b=($(snap $P))
  kill $P; wait $P 2>/dev/null
  n=$(grep -o '[0-9]* requests in' .cache/$L.wrk | cut -d' ' -f1)
  awk -v n=$n -v L=$L -v rps="$(grep Requests/sec .cache/$L.wrk | tr -s ' ' | cut -d' ' -f2)" \
    -v u=$((b[0]-a[0])) -v s=$((b[1]-a[1])) -v r=$((b[2]-a[2])) -v w=$((b[3]-a[3])) -v wb=$((b[4]-a[4])) -v v=$((b[5]-a[5])) -v nv=$((b[6]-a[6])) \
    'BEGIN{printf "%-8s req/s %s user %.1f sys %.1f µs/push; syscr %.2f syscw %.2f /push; disk %.0f B/push; vcs %.3f nvcs %.3f /push\n", L, rps, u*1e4/n, s*1e4/n, r/n, w/n, wb/n, v/n, nv/n}'
done
