#!/usr/bin/env bash
# Soak benchmark (issue 9 item 7): full push load for DURATION with nobody scraping /metrics;
# the gateway's memory must level off, not grow with the number of pushes.
#
#   cargo build --release -p wxgate
#   benches/soak.sh                         # 5 minutes, 64 connections
#   DURATION=600 CONNECTIONS=64 benches/soak.sh
#
# Needs wrk and the push script of the shared bench folder (BENCH, default ../shared/bench
# next to the repository; its wechat_push.lua signs the pushes). Samples VmRSS and RssAnon
# of the server every SAMPLE seconds into $OUT/rss.csv, prints the wrk summary, and exits 1
# when the RSS at the end is more than TOLERANCE_KIB above where it levelled off (the
# sample at a third of the run). Loopback only; it stops by itself.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BIN:-$ROOT/target/release/wxgate}"
BENCH="${BENCH:-$ROOT/../shared/bench}"
DURATION="${DURATION:-300}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SAMPLE="${SAMPLE:-10}"
TOLERANCE_KIB="${TOLERANCE_KIB:-8192}"
PORT="${PORT:-18199}"
OUT="${OUT:-$(mktemp -d /tmp/wxgate-soak.XXXXXX)}"
mkdir -p "$OUT"

[ -x "$BIN" ] || { echo "soak: no $BIN (cargo build --release -p wxgate)" >&2; exit 2; }
[ -f "$BENCH/wechat_push.lua" ] || { echo "soak: no $BENCH/wechat_push.lua (set BENCH)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "soak: wrk is not installed" >&2; exit 2; }

cat >"$OUT/wxgate.toml" <<TOML
[server]
listen = "127.0.0.1:$PORT"
path = "/wechat"

[account]
appid = "wx0123456789abcdef"
token = "bench_token"
encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
security = "plain"
max_clock_skew_s = 0      # the load's timestamps are fixed
refuse_replays = false    # the load rotates 16 signed query triples over different bodies

[storage]
url = "sqlite://$OUT/soak.db"

[[rules]]
when = { event = "subscribe" }
reply = { text = "welcome" }

[[rules]]
when = { msg_type = "text" }
reply = { text = "echo: {content}" }
TOML
chmod 600 "$OUT/wxgate.toml"

RUST_LOG=warn "$BIN" serve -c "$OUT/wxgate.toml" >"$OUT/serve.out" 2>"$OUT/serve.err" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "push URL" "$OUT/serve.out" 2>/dev/null && break
  sleep 0.1
done

rss() { awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} END{print r","a}' "/proc/$PID/status"; }
echo "second,vmrss_kib,rssanon_kib" >"$OUT/rss.csv"
echo "0,$(rss)" >>"$OUT/rss.csv"
(
  t=0
  while kill -0 "$PID" 2>/dev/null && [ "$t" -lt "$DURATION" ]; do
    sleep "$SAMPLE"; t=$((t + SAMPLE))
    echo "$t,$(rss)" >>"$OUT/rss.csv"
  done
) &
SAMPLER=$!

(cd "$BENCH" && wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s \
  -s wechat_push.lua "http://127.0.0.1:$PORT/wechat") | tee "$OUT/wrk.txt" | grep -v WRKJSON
wait "$SAMPLER" || true

echo "--- RSS (KiB) every ${SAMPLE}s: $OUT/rss.csv"
column -s, -t <"$OUT/rss.csv" | sed -n '1p;2p;$p'
LEVEL_AT=$((DURATION / 3 / SAMPLE + 2))   # csv line of the sample at a third of the run
level=$(sed -n "${LEVEL_AT}p" "$OUT/rss.csv" | cut -d, -f2)
end=$(tail -1 "$OUT/rss.csv" | cut -d, -f2)
echo "levelled at ${level} KiB (t = $(sed -n "${LEVEL_AT}p" "$OUT/rss.csv" | cut -d, -f1) s), ended at ${end} KiB"
if [ $((end - level)) -gt "$TOLERANCE_KIB" ]; then
  echo "soak: FAIL: RSS grew by $((end - level)) KiB after levelling off (tolerance ${TOLERANCE_KIB})"
  exit 1
fi
echo "soak: ok: RSS within ${TOLERANCE_KIB} KiB of where it levelled off"
