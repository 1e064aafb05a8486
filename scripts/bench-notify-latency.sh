#!/usr/bin/env bash
# Measures how long people wait for the first word of trouble: from the moment traffic
# crosses the upload limit to the moment the webhook arrives, with bandwatch's defaults
# (1 s sampling, group_window 30 s, cooldown 15 m) on the release binary.
#
#   bash scripts/bench-notify-latency.sh [ROUNDS]
#
# The binary reads a fake /proc tree (paths.proc_root) whose net/dev this script rewrites
# every 50 ms, atomically: each interface sends 10 Mbit/s, then in round N interface ethN
# jumps to 200 Mbit/s (the limit is 50), and back after 5 s. Rounds are about 65 s apart, each
# on its own interface: a channel sends at most one message per group window, and the end of
# a round's alert goes out about 30 s after its first message, so the next round starts a
# window after that; neither the window nor the cooldown of an earlier round holds it back,
# and every round measures a first notification. A local webhook receiver
# (Python's http.server on 127.0.0.1) stamps each arrival. "crossing" is the first write of
# the higher counters; the latency includes the wait for the next tick (up to 1 s), the
# engine, the notifier and one HTTP round trip. Prints one line per round and the
# min / median / max. BANDWATCH_BIN runs another binary instead of building the release one.
# Needs python3; no root, and no traffic leaves 127.0.0.1.
set -euo pipefail
ROUNDS=${1:-5}
cd "$(dirname "$0")/.."
if [ -z "${BANDWATCH_BIN:-}" ]; then
  cargo build --release -q -p bandwatch
  BANDWATCH_BIN=$PWD/target/release/bandwatch
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$BANDWATCH_BIN" "$WORK" "$ROUNDS" <<'PY'
import http.server, os, statistics, subprocess, sys, threading, time

binary, work, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
ifaces = [f"eth{i}" for i in range(rounds)]
proc = os.path.join(work, "proc")
os.makedirs(os.path.join(proc, "net"))
for iface in ifaces:
    os.makedirs(os.path.join(work, "sys", "class", "net", iface))

arrivals = []
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        arrivals.append(time.time())
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()

# Counters: bytes sent so far per interface, advanced by the writer at each one's rate.
sent = {i: 0.0 for i in ifaces}
rate = {i: 10e6 / 8 for i in ifaces}
lock = threading.Lock()
crossed = {}
stop = threading.Event()
HEADER = ("Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
def writer():
    last = time.time()
    while not stop.is_set():
        now = time.time()
        with lock:
            for i in ifaces:
                sent[i] += rate[i] * (now - last)
            text = HEADER + "".join(
                f"{i:>6}: 1000 10 0 0 0 0 0 0 {int(sent[i])} {int(sent[i]) // 1500} 0 0 0 0 0 0\n"
                for i in ifaces)
            for i, t in list(crossed.items()):
                if t is None:
                    crossed[i] = now
        last = now
        tmp = os.path.join(proc, "net", "dev.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(proc, "net", "dev"))
        time.sleep(0.05)
threading.Thread(target=writer, daemon=True).start()
time.sleep(0.2)

config = os.path.join(work, "bandwatch.toml")
with open(config, "w") as f:
    f.write(f"""[monitor]
interval = 1.0
[thresholds]
upload_mbps = 50.0
[store]
path = "{work}/bandwatch.db"
[paths]
proc_root = "{proc}"
sys_root = "{work}/sys"
[system]
enabled = false
[web]
enabled = false
[notify]
url_notify = "http://127.0.0.1:{server.server_address[1]}/hook"
""")
agent = subprocess.Popen([binary, "run", "--config", config, "--quiet"], cwd=work,
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
try:
    time.sleep(5)  # a few ticks of baseline
    latencies = []
    for n, iface in enumerate(ifaces):
        before = len(arrivals)
        with lock:
            rate[iface] = 200e6 / 8
            crossed[iface] = None  # stamped by the writer's next write
        deadline = time.time() + 40
        while len(arrivals) == before and time.time() < deadline:
            time.sleep(0.005)
        if len(arrivals) == before:
            sys.stderr.write(open(os.path.join(work, "log")).read())
            sys.exit(f"round {n + 1}: no webhook within 40 s (the agent's log is above)")
        latency = arrivals[before] - crossed[iface]
        latencies.append(latency)
        print(f"round {n + 1} ({iface}): crossing -> webhook {latency:.3f} s", flush=True)
        time.sleep(5)
        with lock:
            rate[iface] = 10e6 / 8
        if n + 1 < rounds:
            # The end of the alert goes out in the window after the first message (about
            # 30 s after it); the next round starts a window after that, so that it measures
            # a first message and not the channel's spacing.
            time.sleep(60)
    print(f"first notification after crossing, {rounds} rounds: min {min(latencies):.3f} s, "
          f"median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s")
finally:
    agent.terminate()
    agent.wait(timeout=30)
    stop.set()
    server.shutdown()
PY
