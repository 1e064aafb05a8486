#!/usr/bin/env bash
# Offline per-device accounting: `bandwatch devices --pcap` against `tshark -q -z endpoints,ip`
# on the same generated capture, in the same run. Prints packets per second for both and
# whether the per-address byte totals match.
#
#   scripts/bench-devices-pcap.sh [PACKETS]     (default 2,000,000; needs python3 and tshark)
#
# The capture is generated, not recorded: Ethernet + IPv4 + UDP headers (60 bytes captured of
# frames of 64–1514 bytes on the wire), 250 LAN hosts in 192.168.1.0/24 talking to 2,000
# internet addresses both ways, plus some LAN-to-LAN traffic. Both tools read the same file
# from the page cache (each is run once untimed first). bandwatch is the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-2000000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FILE=$WORK/bench.pcap

for p in python3 tshark; do
  command -v "$p" >/dev/null || { echo "needs $p" >&2; exit 2; }
done
CARGO_INCREMENTAL=0 cargo build --release -q -p bandwatch
BIN=target/release/bandwatch

python3 - "$FILE" "$PACKETS" <<'PY'
import random, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(15)
lan = [bytes([192, 168, 1, i]) for i in range(2, 252)]
wan = [struct.pack(">I", 0x0B000000 + rnd.randrange(1 << 24)) for _ in range(2000)]
router = bytes([2, 0, 0, 0, 0, 0xfe])
out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
for i in range(n):
    host = rnd.randrange(len(lan))
    mac = bytes([2, 0, 0, 0, 1, host])
    r = rnd.random()
    if r < 0.6:  # download
        src, dst, smac, dmac = rnd.choice(wan), lan[host], router, mac
    elif r < 0.9:  # upload
        src, dst, smac, dmac = lan[host], rnd.choice(wan), mac, router
    else:  # LAN to LAN
        other = rnd.randrange(len(lan))
        src, dst, smac, dmac = lan[host], lan[other], mac, bytes([2, 0, 0, 0, 1, other])
    wire = rnd.choice((64, 64, 128, 576, 1514, 1514, 1514))
    out += struct.pack("<IIII", 1700000000 + i // 100000, i % 100000 * 10, 60, wire)
    out += dmac + smac + b"\x08\x00"
    out += struct.pack(">BBHHHBBH4s4s", 0x45, 0, wire - 14, 0, 0x4000, 64, 17, 0, src, dst)
    out += struct.pack(">HHHH", 40000, 443, wire - 34, 0) + bytes(18)
with open(path, "wb") as f:
    f.write(out)
PY
echo "capture: $PACKETS packets, $(du -h "$FILE" | cut -f1)"

# Seconds of wall time of a command, output to a file.
timed() {
  local out=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$out" 2>/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

"$BIN" devices --pcap "$FILE" --by ip --json >/dev/null 2>&1
tshark -q -z endpoints,ip -r "$FILE" >/dev/null 2>&1
BW=$(timed "$WORK/bw.json" "$BIN" devices --pcap "$FILE" --by ip --json)
TS=$(timed "$WORK/ts.txt" tshark -q -z endpoints,ip -r "$FILE")

python3 - "$WORK/bw.json" "$WORK/ts.txt" "$PACKETS" "$BW" "$TS" <<'PY'
import json, sys, ipaddress
bw_file, ts_file, n, bw_s, ts_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
bw = {r["ip"]: r["rx_bytes"] + r["tx_bytes"] + r["lan_rx_bytes"] + r["lan_tx_bytes"]
      for r in json.load(open(bw_file)) if r["ip"]}
ts = {}
for line in open(ts_file):
    cols = line.split()
    try:
        ip = ipaddress.ip_address(cols[0])
    except (ValueError, IndexError):
        continue
    if ip.is_private:
        ts[cols[0]] = int(cols[2])
print(f"bandwatch devices --pcap: {bw_s:.2f} s, {n / bw_s:,.0f} packets/s")
print(f"tshark -z endpoints,ip:   {ts_s:.2f} s, {n / ts_s:,.0f} packets/s")
print(f"speed-up: {ts_s / bw_s:.1f}x")
same = bw == ts
print(f"per-address totals of {len(ts)} LAN hosts: {'identical' if same else 'DIFFERENT'}")
if not same:
    diff = sorted(set(bw.items()) ^ set(ts.items()))[:5]
    print("first differences:", diff)
    sys.exit(1)
PY
