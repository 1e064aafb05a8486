#!/usr/bin/env bash
# Measures what the agent costs on this machine, beside the tools people use instead, all in
# the same window so the ratios are fair: bandwatch at --interval 1 and 0.1, Debian's vnstat
# daemon, and prometheus-node-exporter scraped once a second.
#
#   sudo bash scripts/bench-agent.sh [SECONDS]      (default 60; needs root for apt-get)
#
# CPU comes from /proc/PID/task/*/schedstat (nanoseconds on CPU, per thread), RSS from
# /proc/PID/status (VmRSS at the end, VmHWM peak). Prints a Markdown table.
set -euo pipefail
WINDOW=${1:-60}
WARMUP=5
cd "$(dirname "$0")/.."

if ! command -v vnstatd >/dev/null || ! command -v prometheus-node-exporter >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq vnstat prometheus-node-exporter curl >/dev/null
fi
cargo build --release -q -p bandwatch
BIN=$PWD/target/release/bandwatch
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

thread_ns() { # "TID NANOSECONDS" for every live thread of a process
  local t ns
  for t in /proc/"$1"/task/*; do
    read -r ns _ < "$t/schedstat" 2>/dev/null || continue
    echo "${t##*/} $ns"
  done
}
# On-CPU nanoseconds a process spent since its snapshot in START_T: summed per thread, so a
# thread that ends inside the window (a start-up helper) cannot take its earlier time with it.
used_ns() {
  local p=$1 tid ns sum=0
  while read -r tid ns; do
    sum=$((sum + ns - ${START_T[$p:$tid]:-0}))
  done < <(thread_ns "$p")
  echo "$sum"
}
rss_kb() { awk -v k="$2" '$1==k":" {print $2}' /proc/"$1"/status; }

"$BIN" run --quiet --interval 1 --listen 127.0.0.1:0 --db "$WORK/bw1.db" 2>"$WORK/bw1.log" & PIDS+=($!); BW1=$!
"$BIN" run --quiet --interval 0.1 --listen 127.0.0.1:0 --db "$WORK/bw01.db" 2>"$WORK/bw01.log" & PIDS+=($!); BW01=$!
mkdir -p "$WORK/vnstat"
printf 'DatabaseDir "%s"\n' "$WORK/vnstat" > "$WORK/vnstat.conf"
vnstatd -n --config "$WORK/vnstat.conf" >"$WORK/vnstat.log" 2>&1 & PIDS+=($!); VN=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:9109 >"$WORK/ne.log" 2>&1 & PIDS+=($!); NE=$!
( while sleep 1; do curl -s -o /dev/null http://127.0.0.1:9109/metrics || true; done ) & PIDS+=($!)

sleep "$WARMUP"
declare -A START_T
for p in $BW1 $BW01 $VN $NE; do
  while read -r tid ns; do START_T[$p:$tid]=$ns; done < <(thread_ns "$p")
done
sleep "$WINDOW"
printf '| process | CPU %% of one core | RSS (MB) | peak RSS (MB) |\n|---|---|---|---|\n'
row() {
  local name=$1 p=$2 used
  used=$(used_ns "$p")
  awk -v n="$name" -v u="$used" -v w="$WINDOW" -v r="$(rss_kb "$p" VmRSS)" -v h="$(rss_kb "$p" VmHWM)" \
    'BEGIN { printf "| %s | %.3f | %.1f | %.1f |\n", n, u / (w * 1e9) * 100, r / 1024, h / 1024 }'
}
row "bandwatch --interval 1" "$BW1"
row "bandwatch --interval 0.1" "$BW01"
row "vnstatd (default 30 s update)" "$VN"
row "node_exporter, scraped every 1 s" "$NE"
echo
echo "window ${WINDOW}s after ${WARMUP}s warm-up on $(nproc) cores; $(ls /sys/class/net | wc -l) interfaces"
