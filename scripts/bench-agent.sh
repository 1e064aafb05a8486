#!/usr/bin/env bash
# Measures what the agent costs on this machine, beside the tools people use instead, all in
# the same window so the ratios are fair:
#   - bandwatch with its defaults (dashboard on, system source on) at --interval 1 and 0.1,
#     and at 1 s with --no-web, on this host's interfaces;
#   - the same at 1 s and 0.1 s inside a network namespace holding IFACES interfaces
#     (default 200, as veth pairs), to show memory does not grow with uptime or series;
#   - Debian's vnstat daemon, prometheus-node-exporter scraped once a second, and a psutil
#     loop at 1 s (the kind of script bandwatch replaces).
#
#   sudo bash scripts/bench-agent.sh [--long] [--ifaces N] [SECONDS]
#
# SECONDS is the window (default 120; --long makes it 1800, the steady-state figure the README
# publishes). Needs root (apt-get, ip netns). CPU comes from /proc/PID/task/*/schedstat
# (nanoseconds on CPU, per thread); RSS and PSS from /proc/PID/smaps_rollup at the end; peak
# RSS from VmHWM. RSS of every process is also sampled every 10 s into
# target/bench-agent/rss.csv, and the table shows how much it moved over the window's second
# half (steady state means about zero). Prints a Markdown table.
set -euo pipefail
WINDOW=120
IFACES=200
while [ $# -gt 0 ]; do
  case $1 in
    --long) WINDOW=1800 ;;
    --ifaces) IFACES=$2; shift ;;
    *) WINDOW=$1 ;;
  esac
  shift
done
WARMUP=10
cd "$(dirname "$0")/.."

need=()
command -v vnstatd >/dev/null || need+=(vnstat)
command -v prometheus-node-exporter >/dev/null || need+=(prometheus-node-exporter)
command -v curl >/dev/null || need+=(curl)
python3 -c 'import psutil' 2>/dev/null || need+=(python3-psutil)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import psutil' 2>/dev/null || pip install -q psutil
cargo build --release -q -p bandwatch
BIN=$PWD/target/release/bandwatch
OUT=$PWD/target/bench-agent
mkdir -p "$OUT"
WORK=$(mktemp -d)
NS=bwbench$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A namespace with IFACES interfaces (veth pairs, both ends inside), all up.
ip netns add "$NS"
ip -n "$NS" link set lo up
for i in $(seq 0 $((IFACES / 2 - 1))); do
  ip -n "$NS" link add "va$i" type veth peer name "vb$i"
  ip -n "$NS" link set "va$i" up
  ip -n "$NS" link set "vb$i" up
done

# Each agent runs with the defaults, in its own directory (the history goes to ./data), from
# its own copy of the binary: a machine runs one agent, and agents sharing one file would share
# its code pages, which would split PSS between them and keep the kernel from reclaiming the
# pages an agent gives back (crates/bandwatch-agent/src/residency.rs).
agent() { # NAME NETNS(-|name) ARGS...
  local name=$1 ns=$2
  shift 2
  mkdir -p "$WORK/$name"
  cp "$BIN" "$WORK/$name/bandwatch"
  if [ "$ns" = - ]; then
    (cd "$WORK/$name" && exec ./bandwatch run --quiet --listen 127.0.0.1:0 "$@" 2>"$WORK/$name.log") &
  else
    (cd "$WORK/$name" && exec ip netns exec "$ns" ./bandwatch run --quiet --listen 127.0.0.1:0 "$@" 2>"$WORK/$name.log") &
  fi
  PIDS+=($!)
}
declare -A PID_OF
NAMES=()
track() { PID_OF[$1]=$2; NAMES+=("$1"); }

agent bw1 - --interval 1;                 track "bandwatch 1 s, defaults (dashboard on)" $!
agent bwnoweb - --interval 1 --no-web;    track "bandwatch 1 s, --no-web" $!
agent bw01 - --interval 0.1;              track "bandwatch 0.1 s, defaults" $!
agent bw1n "$NS" --interval 1;            track "bandwatch 1 s, defaults, $IFACES interfaces" $!
agent bw01n "$NS" --interval 0.1;         track "bandwatch 0.1 s, defaults, $IFACES interfaces" $!

mkdir -p "$WORK/vnstat"
printf 'DatabaseDir "%s"\n' "$WORK/vnstat" >"$WORK/vnstat.conf"
vnstatd -n --config "$WORK/vnstat.conf" >"$WORK/vnstat.log" 2>&1 &
PIDS+=($!); track "vnstatd (default 30 s update)" $!
prometheus-node-exporter --web.listen-address=127.0.0.1:9109 >"$WORK/ne.log" 2>&1 &
PIDS+=($!); track "node_exporter, scraped every 1 s" $!
(while sleep 1; do curl -s -o /dev/null http://127.0.0.1:9109/metrics || true; done) &
PIDS+=($!)
# What people run before bandwatch: per-interface Mbps from psutil once a second.
cat >"$WORK/psutil_loop.py" <<'PY'
import time, psutil
prev = psutil.net_io_counters(pernic=True)
while True:
    time.sleep(1)
    cur = psutil.net_io_counters(pernic=True)
    for nic, c in cur.items():
        p = prev.get(nic)
        if p:
            rx = (c.bytes_recv - p.bytes_recv) * 8 / 1e6
            tx = (c.bytes_sent - p.bytes_sent) * 8 / 1e6
            print(f"{nic}: rx {rx:.2f} Mbps tx {tx:.2f} Mbps", flush=True)
    prev = cur
PY
python3 "$WORK/psutil_loop.py" >/dev/null 2>&1 &
PIDS+=($!); track "a psutil loop at 1 s" $!

thread_ns() { # "TID NANOSECONDS" for every live thread of a process
  local t ns
  for t in /proc/"$1"/task/*; do
    read -r ns _ <"$t/schedstat" 2>/dev/null || continue
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
kb() { awk -v k="$2" '$1==k":" {print $2}' "$1"; }
rss_kb() { kb /proc/"$1"/status VmRSS; }

sleep "$WARMUP"
declare -A START_T
for n in "${NAMES[@]}"; do
  p=${PID_OF[$n]}
  [ -d /proc/"$p" ] || { echo "$n (pid $p) did not start:" >&2; cat "$WORK"/*.log >&2; exit 1; }
  while read -r tid ns; do START_T[$p:$tid]=$ns; done < <(thread_ns "$p")
done

# RSS of every process every 10 s; the middle sample is the second half's baseline.
CSV=$OUT/rss.csv
{ printf 'seconds'; for n in "${NAMES[@]}"; do printf ',%s' "$n"; done; echo; } >"$CSV"
declare -A MID_RSS
elapsed=0
while [ "$elapsed" -lt "$WINDOW" ]; do
  step=$((WINDOW - elapsed < 10 ? WINDOW - elapsed : 10))
  sleep "$step"
  elapsed=$((elapsed + step))
  line=$elapsed
  for n in "${NAMES[@]}"; do line+=",$(rss_kb "${PID_OF[$n]}")"; done
  echo "$line" >>"$CSV"
  if [ -z "${MID_RSS[x]:-}" ] && [ "$elapsed" -ge $((WINDOW / 2)) ]; then
    MID_RSS[x]=1
    for n in "${NAMES[@]}"; do MID_RSS[$n]=$(rss_kb "${PID_OF[$n]}"); done
  fi
done

printf '| process | CPU %% of one core | RSS (MB) | PSS (MB) | peak RSS (MB) | RSS change, 2nd half (MB) |\n'
printf '|---|---|---|---|---|---|\n'
for n in "${NAMES[@]}"; do
  p=${PID_OF[$n]}
  awk -v n="$n" -v u="$(used_ns "$p")" -v w="$WINDOW" \
    -v r="$(kb /proc/"$p"/smaps_rollup Rss)" -v s="$(kb /proc/"$p"/smaps_rollup Pss)" \
    -v h="$(kb /proc/"$p"/status VmHWM)" -v m="${MID_RSS[$n]}" -v e="$(rss_kb "$p")" \
    'BEGIN { printf "| %s | %.3f | %.1f | %.1f | %.1f | %+.2f |\n", n, u / (w * 1e9) * 100, r / 1024, s / 1024, h / 1024, (e - m) / 1024 }'
done
echo
echo "window ${WINDOW}s after ${WARMUP}s warm-up on $(nproc) cores; host: $(ls /sys/class/net | wc -l) interfaces; namespace: $IFACES interfaces + lo; RSS every 10 s in $CSV"
