#!/usr/bin/env bash
# The dashboard and API figures of the README, in one run on this machine:
#  1. sampling ticks (at --interval 0.1) with nobody connected, for SECS seconds;
#  2. the first chart of the page, over 24 h of seeded history, in RUNS (default 11) fresh page loads
#     (headless Chromium);
#  3. sampling ticks while 100 clients hold the live stream and wrk sends API requests as
#     fast as it can (snapshot, series over 5 minutes, alerts, interfaces in turn).
# A tick's lateness is how far its measured interval exceeds 0.1 s.
#
#   sudo bash scripts/bench-web.sh [SECS]        (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}
export DEBIAN_FRONTEND=noninteractive
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
[ -x /usr/bin/chromium ] || apt-get install -y -qq chromium >/dev/null
[ -d crates/bandwatch/tests/browser/node_modules/playwright-core ] ||
  npm ci --prefix crates/bandwatch/tests/browser --no-audit --no-fund --loglevel=error

cargo build --release -q -p bandwatch
cargo build --release -q -p bandwatch-web --example seed_history
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

target/release/examples/seed_history "$work/h.db" 24
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/bandwatch run --json --interval 0.1 --db "$work/h.db" --listen "127.0.0.1:$port" \
  >"$work/ticks.ndjson" 2>"$work/bandwatch.log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/api/v1/config" >/dev/null && break; sleep 0.1; done

mark() { date +%s.%N; }
q0=$(mark); sleep "$SECS"; q1=$(mark)
echo "== first chart over 24 h of history"
node crates/bandwatch/tests/browser/first-chart.mjs --url "http://127.0.0.1:$port/#r=24h" --runs "${RUNS:-11}"

cat >"$work/rotate.lua" <<'LUA'
local paths = { "/api/v1/snapshot", "/api/v1/series?metric=net_rx_bits_per_second&start=-5m",
                "/api/v1/alerts", "/api/v1/interfaces" }
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
echo "== 100 live clients and wrk for ${SECS} s"
l0=$(mark)
node crates/bandwatch/tests/browser/sse-clients.mjs --port "$port" --clients 100 --seconds "$SECS" &
sse=$!
wrk -t1 -c16 -d"${SECS}s" -s "$work/rotate.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|requests in"
wait "$sse"
l1=$(mark)
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

python3 - "$work/ticks.ndjson" "$q0" "$q1" "$l0" "$l1" <<'PY'
import json, sys, datetime
path, q0, q1, l0, l1 = sys.argv[1], *map(float, sys.argv[2:])
rows = []
for line in open(path):
    t = json.loads(line)
    ts = datetime.datetime.fromisoformat(t["ts"].replace("Z", "+00:00")).timestamp()
    rows.append((ts, t["interval_s"]))
def report(name, a, b):
    late = sorted(max(0.0, iv - 0.1) * 1000 for ts, iv in rows if a <= ts <= b)
    if not late:
        print(f"{name}: no ticks"); return
    p = lambda q: late[min(len(late) - 1, int(q * len(late)))]
    print(f"{name}: {len(late)} ticks, lateness p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {late[-1]:.2f} ms")
report("ticks, nobody connected", q0, q1)
report("ticks, 100 live clients + wrk", l0, l1)
PY
