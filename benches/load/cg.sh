#!/bin/bash
# usage: cg.sh LABEL BIN [D] -> user-space instructions per push under callgrind (deterministic, load-independent)
# LABEL: one | openN (as open.sh); safe mode, WX_FRESH=1, a fresh copy of the seeded db.
L=$1; BIN=$2; D=${3:-10}
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_FRESH=1
sed "s#^url = .*#url = \"sqlite://$B/.cache/cg-run.db\"#" open.toml > .cache/cg-run.toml
rm -f .cache/cg-run.db*; cp .cache/open-template.db .cache/cg-run.db
if [ $L = one ]; then A=0; U=http://127.0.0.1:18120/wechat; else A=${L#open}; U=http://127.0.0.1:18120/wechat/open; fi
rm -f .cache/cg.$L.out*
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=.cache/cg.$L.out $BIN serve -c .cache/cg-run.toml > .cache/cg.$L.log 2>&1 & P=$!
for i in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.2; done
WX_OPEN_APPIDS=$A wrk -t1 -c8 -d3s --timeout 5s -s wechat_push.lua $U -- safe > /dev/null
callgrind_control -i on $P > /dev/null
WX_OPEN_APPIDS=$A WX_TID_OFFSET=10 wrk -t1 -c8 -d${D}s --timeout 5s -s wechat_push.lua $U -- safe > .cache/cg.$L.wrk
callgrind_control -d $P > /dev/null
kill $P; wait $P 2>/dev/null
n=$(grep -o '[0-9]* requests in' .cache/cg.$L.wrk | cut -d' ' -f1)
ir=$(callgrind_annotate $(ls .cache/cg.$L.out.* | head -1) 2>/dev/null | grep -m1 'PROGRAM TOTALS' | tr -d ',' | awk '{print $1}')
echo "$L: requests $n Ir $ir Ir/push $((ir / n)) $(grep -E 'Non-2xx|Socket' .cache/cg.$L.wrk | tr -s ' ')"
