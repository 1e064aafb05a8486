#!/usr/bin/env bash
# `bandwatch report daily` over a year of a busy host's history (5 interfaces, the total,
# 50 devices): builds the release binary and the history generator, writes the history
# once (kept in $WORK), then times the report. Goal: under 200 ms.
#
#   scripts/bench-report.sh            # PROFILE=release DAYS=365 RUNS=10
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
DAYS=${DAYS:-365}
RUNS=${RUNS:-10}
WORK=${WORK:-target/bench-report}
export CARGO_INCREMENTAL=0
cargo build --profile "$PROFILE" -p bandwatch --bin bandwatch --example report_history
dir=target/$PROFILE
[ "$PROFILE" = dev ] && dir=target/debug
mkdir -p "$WORK"
db="$WORK/year-$DAYS.db"
if [ ! -f "$db" ]; then
    echo "writing $DAYS days of history to $db ..."
    start=$(date +%s)
    "$dir/examples/report_history" "$db" "$DAYS"
    echo "written in $(( $(date +%s) - start )) s ($(du -h "$db" | cut -f1))"
fi
bin="$dir/bandwatch"
run() { "$bin" report "$@" --db "$db" >/dev/null; }
run daily # warm the page cache
for args in "daily" "daily --total" "daily --begin -365d" "monthly" "top" "daily --device device-07"; do
    if command -v hyperfine >/dev/null; then
        hyperfine --warmup 1 --runs "$RUNS" -N "$bin report $args --db $db" --export-json "$WORK/h.json" >/dev/null
        ms=$(python3 -c "import json;r=json.load(open('$WORK/h.json'))['results'][0];print(f\"{r['mean']*1000:.1f} ms (min {r['min']*1000:.1f})\")")
    else
        best=999999; total=0
        for _ in $(seq "$RUNS"); do
            s=$(date +%s%N); run $args; e=$(date +%s%N)
            t=$(( (e - s) / 1000000 )); total=$((total + t)); [ $t -lt $best ] && best=$t
        done
        ms="$((total / RUNS)) ms (min $best ms)"
    fi
    printf 'report %-28s %s\n' "$args" "$ms"
done
