#!/usr/bin/env bash
# Rewrites crates/bandwatch/hot-symbols.txt: the functions the agent runs once it is up, which
# the release link places first, in one contiguous run (crates/bandwatch/build.rs). Run it when
# the sampling loop's code changed a lot; a stale list only costs memory (the footprint check
# in .ci/run and the README's figures show it), never correctness.
#
# How: the release agent runs with its defaults at --interval 0.1 (so that sealing, upkeep and
# rollups happen within the window) under callgrind, which counts every function executed.
# Rules on the loopback interface and a burst of loopback traffic every 37 s make alerts fire
# and resolve, delivered to a local webhook receiver, so logging, storing and sending an alert
# count as the everyday work they are. Counting starts 20 s
# after the start (the agent releases start-up pages at 30 s), so start-up code stays out of the
# list; the list is every function of the binary that ran in the window, sorted by name so that
# diffs stay readable.
#
# The names carry the hash of the crate that instantiated them, which changes when that crate's
# dependencies or the compiler change: .ci/footprint.sh fails when too few of them still match.
#
#   bash scripts/hot-symbols.sh [MINUTES]      (default 12: two upkeeps and a 10-minute rollup)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
MINUTES=${1:-12}
for tool in valgrind iperf3 python3; do
  command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null
done

cargo build --release --locked -q -p bandwatch
work=$(mktemp -d)
cp target/release/bandwatch "$work/bw"
pid=""
load=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$load" ] && kill "$load" 2>/dev/null
  [ -n "${hook:-}" ] && kill "$hook" 2>/dev/null
  pkill -f "iperf3 -s -p 15201" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

hook_port=15202
cat >"$work/bandwatch.toml" <<TOML
[notify]
group_window = "0s"
url_notify = "http://127.0.0.1:$hook_port/hook"

[[rules]]
name = "lo-busy"
metric = "net_tx_bits_per_second"
match = { iface = "lo" }
condition = "threshold"
above = 1e6

[[rules]]
name = "lo-spike"
metric = "net_rx_bits_per_second"
match = { iface = "lo" }
condition = "spike"
factor = 3.0
window = 60
floor = 1e6
TOML
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$hook_port" &
hook=$!
(cd "$work" && exec valgrind --tool=callgrind --instr-atstart=no --demangle=no \
  --callgrind-out-file="$work/cg.out" ./bw run --quiet --interval 0.1 --listen 127.0.0.1:0 --config bandwatch.toml \
  >"$work/agent.log" 2>&1) &
pid=$!
iperf3 -s -p 15201 -D
(while sleep 37; do iperf3 -c 127.0.0.1 -p 15201 -t 3 -b 20M >/dev/null 2>&1 || true; done) &
load=$!
sleep 20
callgrind_control -i on "$pid" >/dev/null
echo "== counting the running agent's functions for $MINUTES minutes"
sleep $((MINUTES * 60))
callgrind_control -d "$pid" >/dev/null
sleep 2
kill -9 "$pid" 2>/dev/null || true
pid=""
fired=$(grep -c "alert fired" "$work/agent.log" || true)
echo "== $fired alerts fired in the window"

# Names from the dumps (fn= and cfn= lines, compressed as "(id) name" the first time), kept
# when the binary defines them as functions.
nm --defined-only "$work/bw" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$work/defined"
cat "$work"/cg.out* | sed -n 's/^c\?fn=([0-9]*) \(.*\)$/\1/p' | sort -u >"$work/ran"
comm -12 "$work/defined" "$work/ran" >crates/bandwatch/hot-symbols.txt
n=$(wc -l <crates/bandwatch/hot-symbols.txt)
bytes=$(nm -S --defined-only "$work/bw" | awk 'NR==FNR {hot[$1]=1; next} ($4 in hot) {s+=strtonum("0x"$2)} END {print s}' \
  crates/bandwatch/hot-symbols.txt -)
echo "== crates/bandwatch/hot-symbols.txt: $n functions, $((bytes / 1024)) kB of code"
