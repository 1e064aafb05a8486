#!/usr/bin/env bash
# Measures `bandwatch export` on a month of raw data: DAYS (default 30) of 1 s samples from
# IFACES (default 5) interfaces, written by the export_bench_history example as `bandwatch
# run` stores them (per interface 4 byte/packet deltas, 2 rates, link state; plus the
# elapsed time). Exports them with --step raw to a JSON file and as CSV to a pipe, and prints
# rows (points) per second and the peak RSS (VmHWM, reported by the binary itself) of each,
# as a Markdown table. Release build.
#
#   bash scripts/bench-export.sh [DAYS] [IFACES]
#
# Needs about 1.5 GB of disk for the history and 2-3 GB for the JSON file (removed at the end).
set -euo pipefail
DAYS=${1:-30}
IFACES=${2:-5}
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=0
cargo build --release -q -p bandwatch --bin bandwatch --example export_bench_history
BIN=target/release/bandwatch
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-export.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

start=$(date +%s.%N)
target/release/examples/export_bench_history "$WORK/h.db" "$DAYS" "$IFACES" 1000 >&2
awk -v a="$start" -v b="$(date +%s.%N)" -v d="$(du -sh "$WORK" | cut -f1)" \
  'BEGIN { printf "history written in %.0f s: %s\n", b - a, d }' >&2

# Raw points are kept for the whole range here, so --step raw is no warning.
export BANDWATCH_RAW_RETENTION=$((DAYS + 1))d BANDWATCH_REPORT_PEAK_RSS=1
run() { # label, then export's arguments; prints a table row
  local label=$1; shift
  local t0 t1 err
  t0=$(date +%s.%N)
  err=$("$BIN" export --db "$WORK/h.db" --step raw --hours $((DAYS * 24)) --quiet "$@" 2>&1 >"$WORK/stdout")
  t1=$(date +%s.%N)
  local kib secs rows size
  kib=$(sed -n 's/^peak_rss_kib=\([0-9]*\) .*/\1/p' <<<"$err")
  rows=$(sed -n 's/^peak_rss_kib=.* points=//p' <<<"$err")
  [ -n "$kib" ] && [ -n "$rows" ] || { echo "export failed: $err" >&2; exit 1; }
  if [ -s "$WORK/out.json" ]; then
    size=$(stat -c %s "$WORK/out.json")
    rm -f "$WORK/out.json"
  else
    size=$(stat -c %s "$WORK/stdout")
  fi
  awk -v l="$label" -v r="$rows" -v t0="$t0" -v t1="$t1" -v s="$size" -v k="$kib" 'BEGIN {
    t = t1 - t0
    printf "| %s | %d | %.1f | %.2f M/s | %.0f MB | %.1f MB |\n", l, r, t, r / t / 1e6, s / 1e6, k / 1024
  }'
}
echo "| export ($DAYS days, $IFACES interfaces, 1 s) | rows | seconds | rows/s | output | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
run "JSON to a file" --output "$WORK/out.json"
run "CSV to stdout" --format csv --output -
rm -f "$WORK/stdout"
