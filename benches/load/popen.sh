#!/bin/bash
# usage: popen.sh LABEL(one|openN) BIN -> perf record (DWARF) of BIN under open.sh's load (safe, WX_FRESH=1, seeded authorizers)
L=$1; BIN=$2
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_FRESH=1
sed "s#^url = .*#url = \"sqlite://$B/.cache/open-run.db\"#" open.toml > .cache/open-run.toml
rm -f .cache/open-run.db*; cp .cache/open-template.db .cache/open-run.db
if [ $L = one ]; then A=0; U=http://127.0.0.1:18120/wechat; else A=${L#open}; U=http://127.0.0.1:18120/wechat/open; fi
taskset -c 0 $BIN serve -c .cache/open-run.toml > .cache/po.$L.log 2>&1 & P=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
WX_OPEN_APPIDS=$A taskset -c 1 wrk -t2 -c64 -d3s --timeout 5s -s wechat_push.lua $U -- safe > /dev/null
WX_OPEN_APPIDS=$A WX_TID_OFFSET=10 taskset -c 1 wrk -t2 -c64 -d8s --latency --timeout 5s -s wechat_push.lua $U -- safe > .cache/po.$L.wrk & W=$!
sleep 1
perf record -F 999 --call-graph dwarf,16384 -p $P -o .cache/po.$L.data -- sleep 5 > /dev/null 2>&1
wait $W; kill $P; wait $P 2>/dev/null
echo "$L $(grep Requests/sec .cache/po.$L.wrk)"
perf report -i .cache/po.$L.data --no-children --stdio -g folded,0,caller,count --sort symbol 2>/dev/null | grep -E '^[0-9]+ ' > .cache/po.$L.folded
