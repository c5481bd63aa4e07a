#!/bin/bash
# usage: prof.sh L A URL -> perf report of the main build under safe pushes (A = WX_OPEN_APPIDS)
L=$1; A=$2; U=$3
B=${BENCH:-/tmp/bench2}; cd "$B"; export WX_FRESH=1
rm -f .cache/open-run.db*; cp .cache/open-template.db .cache/open-run.db
taskset -c 0 ./wxgate-main serve -c .cache/open-run.toml > .cache/prof.$L.log 2>&1 & P=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18120/ && break; sleep 0.1; done
WX_OPEN_APPIDS=$A WX_TID_OFFSET=20 taskset -c 1 wrk -t2 -c64 -d10s --timeout 5s -s wechat_push.lua $U -- safe > .cache/prof.$L.wrk &
W=$!; sleep 2
perf record -F 499 -g -p $P -o .cache/perf.$L.data -- sleep 6 2>/dev/null
wait $W; kill $P; wait $P 2>/dev/null
grep Requests/sec .cache/prof.$L.wrk
perf report -i .cache/perf.$L.data --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -40 > .cache/perf.$L.top
