#!/usr/bin/env bash
# Live-capture and conntrack cost of the devices backends (issue 15), as root.
#
# 1. capture: two namespaces joined by a veth; iperf3 sends small UDP datagrams (64-byte
#    payload) from A to B as fast as this machine can (-b 0), and the capture backend runs
#    in B on its veth for CAPTURE_SECONDS, polled every POLL_MS. Reports frames/s, the
#    capture process's CPU % of one core, that CPU scaled to 100,000 frames/s, and kernel
#    drops. A second run caps the sender at ~100 kpps (RATE_PPS) to measure that point.
# 2. conntrack: namespace A tracks connections (an nftables rule that uses conntrack);
#    udp-flows opens FLOWS flows towards B; the backend in A polls POLLS times.
#
# Each part stays well under two minutes (plus the first build). Usage:
#   scripts/bench-capture.sh            (both parts)
#   PARTS=conntrack FLOWS=10000 scripts/bench-capture.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CAPTURE_SECONDS=${CAPTURE_SECONDS:-10}
POLL_MS=${POLL_MS:-100}
RATE_PPS=${RATE_PPS:-100000}
FLOWS=${FLOWS:-10000}
POLLS=${POLLS:-10}
PARTS=${PARTS:-capture,conntrack}   # which parts to run

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for p in ip iperf3 nft; do command -v $p >/dev/null || { echo "needs $p" >&2; exit 1; }; done

export CARGO_INCREMENTAL=0
cargo build -q --profile bench -p bandwatch-collect --example devices_bench
BIN=target/release/examples/devices_bench
[ -x "$BIN" ] || BIN=target/bench/examples/devices_bench

A="bwbench$$a"; B="bwbench$$b"
cleanup() {
  [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 10.231.250.1/24 dev va; ip -n "$A" link set va up; ip -n "$A" link set lo up
ip -n "$B" addr add 10.231.250.2/24 dev vb; ip -n "$B" link set vb up; ip -n "$B" link set lo up

ip netns exec "$B" iperf3 -s -p 5201 >/dev/null 2>&1 & SRV=$!
sleep 1

# Busy jiffies of the whole machine (user+nice+system+irq+softirq+steal), from /proc/stat.
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

capture_run() { # $1 = iperf3 bitrate (0 = unlimited), $2 = "capture" or "none"
  local secs=$((CAPTURE_SECONDS + 2))
  ip netns exec "$A" iperf3 -c 10.231.250.2 -p 5201 -u -l 64 -b "$1" -t "$secs" >/dev/null 2>&1 &
  local client=$!
  sleep 1
  local b0; b0=$(busy)
  if [ "$2" = capture ]; then
    ip netns exec "$B" "$BIN" capture vb "$CAPTURE_SECONDS" "$POLL_MS"
  else
    sleep "$CAPTURE_SECONDS"
  fi
  # Whole-machine CPU (kernel copies into the ring in softirq, charged to no process).
  echo "machine_busy_percent_of_one_core=$(( ($(busy) - b0) * 100 / (CAPTURE_SECONDS * 100) ))"
  wait "$client" || true
}

if [[ $PARTS == *capture* ]]; then
echo "== capture, header-only, polled every ${POLL_MS} ms, sender unlimited (-b 0, 64-byte UDP payload)"
capture_run 0 capture
# iperf3 -b counts UDP payload bits: 64 bytes per datagram (a 106-byte frame).
echo "== capture at about ${RATE_PPS} frames/s"
capture_run $((RATE_PPS * 64 * 8)) capture
echo "== the same traffic without capture (the machine's baseline for the line above)"
capture_run $((RATE_PPS * 64 * 8)) none

fi

if [[ $PARTS == *conntrack* ]]; then
echo "== conntrack: ${FLOWS} flows, ${POLLS} polls"
ip netns exec "$A" nft -f - <<'EOF'
table inet bwbench {
  chain out {
    type filter hook output priority 0; ct state new counter accept
  }
}
EOF
ip netns exec "$A" sysctl -qw net.netfilter.nf_conntrack_acct=1
ip netns exec "$A" "$BIN" udp-flows 10.231.250.2:9 "$FLOWS"
ip netns exec "$A" "$BIN" conntrack "$POLLS" 500
fi
