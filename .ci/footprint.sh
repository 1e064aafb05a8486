#!/usr/bin/env bash
# The published footprint budget, checked on every CI run. The release agent runs with its
# defaults (dashboard on, system source on, SQLite history in ./data) for 90 s, from its own copy
# of the binary as on a machine that runs one agent. The run fails when:
#   - its RSS is above 12 MB at any sample (start-up included; start-up's own functions are
#     linked together right after the loop's, crates/bandwatch/start-symbols.txt, so it faults
#     in little of the binary);
#   - it grows by more than 0.5 MB between the 45th and the 90th second;
#   - once start-up is over (the agent gives back its start-up code pages 30 s after the start,
#     crates/bandwatch-agent/src/residency.rs), its RSS at 90 s is above 10 MB or its PSS above 6 MB;
#   - fewer than 90 % of the names in crates/bandwatch/hot-symbols.txt are functions of this
#     build: the list that packs the sampling loop's code together is stale.
# The store's own long-run bound is guarded by crates/bandwatch-store/tests/memory.rs; the
# steady-state figures over 30 minutes are in the README (scripts/bench-agent.sh --long).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
LIMIT_KB=$((12 * 1024))
STEADY_KB=$((10 * 1024))
PSS_KB=$((6 * 1024))
GROWTH_KB=512
SECONDS_TOTAL=90
MID=45

echo "== footprint: building the release agent"
cargo build --release --locked -q -p bandwatch
WORK=$(mktemp -d)
cp target/release/bandwatch "$WORK/bandwatch"
fail=0

LIST=crates/bandwatch/hot-symbols.txt
listed=$(wc -l <"$LIST")
found=$(nm --defined-only "$WORK/bandwatch" | awk '{print $3}' | sort -u | comm -12 - <(sort -u "$LIST") | wc -l)
echo "footprint: $found of $listed hot symbols are functions of this build"
if [ $((found * 100)) -lt $((listed * 90)) ]; then
  echo "footprint: FAIL: $LIST is stale (only $found of $listed names match): run bash scripts/hot-symbols.sh and commit the list" >&2
  fail=1
fi

(cd "$WORK" && exec ./bandwatch run --quiet --listen 127.0.0.1:0 2>"$WORK/agent.log") &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

rss_kb() { awk '$1=="VmRSS:" {print $2}' /proc/"$PID"/status; }
peak=0
at_mid=0
for s in $(seq 1 "$SECONDS_TOTAL"); do
  sleep 1
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "footprint: the agent stopped after ${s}s:" >&2
    cat "$WORK/agent.log" >&2
    exit 1
  fi
  now=$(rss_kb)
  [ "$now" -gt "$peak" ] && peak=$now
  [ "$s" -eq "$MID" ] && at_mid=$now
done
at_end=$(rss_kb)
pss=$(awk '$1=="Pss:" {print $2}' /proc/"$PID"/smaps_rollup)
echo "footprint: RSS ${at_mid} kB at ${MID} s, ${at_end} kB at ${SECONDS_TOTAL} s, peak ${peak} kB; PSS ${pss} kB (budget: peak <= ${LIMIT_KB} kB, steady RSS <= ${STEADY_KB} kB, PSS <= ${PSS_KB} kB, growth <= ${GROWTH_KB} kB)"
if [ "$peak" -gt "$LIMIT_KB" ]; then
  echo "footprint: FAIL: RSS reached ${peak} kB, over the ${LIMIT_KB} kB budget" >&2
  fail=1
fi
if [ $((at_end - at_mid)) -gt "$GROWTH_KB" ]; then
  echo "footprint: FAIL: RSS grew by $((at_end - at_mid)) kB between ${MID} s and ${SECONDS_TOTAL} s (budget ${GROWTH_KB} kB)" >&2
  fail=1
fi
if [ "$at_end" -gt "$STEADY_KB" ]; then
  echo "footprint: FAIL: RSS after start-up is ${at_end} kB, over the ${STEADY_KB} kB goal" >&2
  fail=1
fi
if [ "$pss" -gt "$PSS_KB" ]; then
  echo "footprint: FAIL: PSS after start-up is ${pss} kB, over the ${PSS_KB} kB goal" >&2
  fail=1
fi
exit "$fail"
