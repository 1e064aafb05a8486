#!/usr/bin/env bash
# The published footprint budget, checked on every CI run: the release agent with its defaults
# (dashboard on, system source on, SQLite history in ./data) runs for 60 s, and the run fails if
# its RSS is above 12 MB at any sample or if it grows by more than 0.5 MB between the 30th and
# the 60th second. The store's own long-run bound is guarded by
# crates/bandwatch-store/tests/memory_bound.rs; the steady-state figures are in the README
# (scripts/bench-agent.sh --long).
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT_KB=$((12 * 1024))
GROWTH_KB=512
SECONDS_TOTAL=60

echo "== footprint: building the release agent"
cargo build --release --locked -q -p bandwatch
BIN=$PWD/target/release/bandwatch
WORK=$(mktemp -d)
(cd "$WORK" && exec "$BIN" run --quiet --listen 127.0.0.1:0 2>"$WORK/agent.log") &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

rss_kb() { awk '$1=="VmRSS:" {print $2}' /proc/"$PID"/status; }
peak=0
at30=0
for s in $(seq 1 "$SECONDS_TOTAL"); do
  sleep 1
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "footprint: the agent stopped after ${s}s:" >&2
    cat "$WORK/agent.log" >&2
    exit 1
  fi
  now=$(rss_kb)
  [ "$now" -gt "$peak" ] && peak=$now
  [ "$s" -eq 30 ] && at30=$now
done
at60=$(rss_kb)
pss=$(awk '$1=="Pss:" {print $2}' /proc/"$PID"/smaps_rollup)
echo "footprint: RSS ${at30} kB at 30 s, ${at60} kB at 60 s, peak ${peak} kB; PSS ${pss} kB (budget: RSS <= ${LIMIT_KB} kB, growth <= ${GROWTH_KB} kB)"
fail=0
if [ "$peak" -gt "$LIMIT_KB" ]; then
  echo "footprint: FAIL: RSS reached ${peak} kB, over the ${LIMIT_KB} kB budget" >&2
  fail=1
fi
if [ $((at60 - at30)) -gt "$GROWTH_KB" ]; then
  echo "footprint: FAIL: RSS grew by $((at60 - at30)) kB between 30 s and 60 s (budget ${GROWTH_KB} kB)" >&2
  fail=1
fi
exit "$fail"
