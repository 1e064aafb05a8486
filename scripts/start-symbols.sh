#!/usr/bin/env bash
# Rewrites crates/bandwatch/start-symbols.txt: the functions the agent runs while it starts
# (the command line, the configuration, the store's migrations, binding the dashboard) and
# not in its sampling loop. The release link places them right after the loop's
# (crates/bandwatch/build.rs), in one run, so start-up faults in a few runs of pages rather
# than most of the binary: what start-up touches is resident until the agent gives it back
# 30 s later (crates/bandwatch-agent/src/residency.rs), and .ci/footprint.sh checks that
# peak against its budget.
#
# How: the release agent starts with its defaults under callgrind, counting from the first
# instruction, for SECONDS (default 40; valgrind makes start-up slow); the list is every
# function of the binary that ran, less those of hot-symbols.txt, sorted by name.
#
#   bash scripts/start-symbols.sh [SECONDS]
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
SECS=${1:-40}
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null

cargo build --release --locked -q -p bandwatch
work=$(mktemp -d)
cp target/release/bandwatch "$work/bw"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && exec valgrind --tool=callgrind --demangle=no \
  --callgrind-out-file="$work/cg.out" ./bw run --quiet --listen 127.0.0.1:0 \
  >"$work/agent.log" 2>&1) &
pid=$!
echo "== counting the starting agent's functions for ${SECS} s"
sleep "$SECS"
callgrind_control -d "$pid" >/dev/null
sleep 2
kill -9 "$pid" 2>/dev/null || true
pid=""

nm --defined-only "$work/bw" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$work/defined"
cat "$work"/cg.out* | sed -n 's/^c\?fn=([0-9]*) \(.*\)$/\1/p' | sort -u >"$work/ran"
sort -u crates/bandwatch/hot-symbols.txt >"$work/hot"
comm -12 "$work/defined" "$work/ran" | comm -23 - "$work/hot" >crates/bandwatch/start-symbols.txt
n=$(wc -l <crates/bandwatch/start-symbols.txt)
bytes=$(nm -S --defined-only "$work/bw" | awk 'NR==FNR {s[$1]=1; next} ($4 in s) {t+=strtonum("0x"$2)} END {print t}' \
  crates/bandwatch/start-symbols.txt -)
echo "== crates/bandwatch/start-symbols.txt: $n functions, $((bytes / 1024)) kB of code"
