#!/usr/bin/env bash
# Live capture under load, Spiglass decrypting side by side with tcpdump writing a file: replays an ESP
# capture over a veth pair between two network namespaces with tcpreplay, at full speed (--topspeed) and
# at fixed rates (-M MBIT), once per listener, and prints per run what tcpreplay sent, what the listener
# processed and what libpcap says the kernel dropped. Not a test (it needs root and a quiet machine):
#
#   Fixtures/bench/live-replay.sh CAPTURE KEYS [SPIGLASS_BINARY]
#
# CAPTURE is a pcap of ESP packets, raw IP or Ethernet (raw IP frames get an Ethernet header here), such
# as the one the benchmark keeps with its key file:
#
#   swift run -c release spiglass-bench --packets 100000 --small 0 --tshark 0 --keep --dir DIR
#   Fixtures/bench/live-replay.sh DIR/spiglass-bench-268435457.pcap DIR/spiglass-bench-268435457.spiglass
#
# Environment: PREFIX names the namespaces (default spgbench: spgbenchS sends, spgbenchL listens), RATES
# the replay rates ("topspeed 1000 2000": Mbit/s), LOOPS how many times the capture is sent in a row (1; a
# replay longer than the ring measures the sustained rate rather than the ring's size), LISTENERS the listeners, ';'-separated (default:
# tcpdump -w with its default ring and with Spiglass's, then spiglass analyze -q -k KEYS on 1 and 2
# threads with its default ring and with an 8 MiB one), OUT the folder for the logs. Needs iproute2,
# tcpreplay, tcpdump and python3.
set -euo pipefail
capture=${1:?usage: live-replay.sh CAPTURE KEYS [SPIGLASS_BINARY]}
keys=${2:?usage: live-replay.sh CAPTURE KEYS [SPIGLASS_BINARY]}
spiglass=${3:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/spiglass}
prefix=${PREFIX:-spgbench}
rates=${RATES:-topspeed 1000 2000}
loops=${LOOPS:-1}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
sender=${prefix}S listener=${prefix}L
send_if=${prefix}s0 listen_if=${prefix}l0
[ "$(id -u)" = 0 ] || { echo "live-replay.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in ip tcpreplay tcpdump python3; do
    command -v "$tool" > /dev/null || { echo "live-replay.sh: needs $tool" >&2; exit 1; }
done

cleanup() { ip netns del "$sender" 2> /dev/null || true; ip netns del "$listener" 2> /dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add "$sender"
ip netns add "$listener"
ip link add "$send_if" netns "$sender" type veth peer name "$listen_if" netns "$listener"
for pair in "$sender $send_if" "$listener $listen_if"; do
    set -- $pair
    ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
    ip -n "$1" link set "$2" up
done

# tcpreplay sends link-layer frames: raw IP gets a made-up Ethernet header.
frames="$out/replay.pcap"
python3 - "$capture" "$frames" << 'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
endian = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
link = struct.unpack(endian + 'I', data[20:24])[0]
if link == 1:
    open(sys.argv[2], 'wb').write(data)
    sys.exit(0)
if link not in (12, 101, 228, 229):
    sys.exit(f'link type {link}: give an Ethernet or raw IP capture')
out = bytearray(data[:20]) + struct.pack(endian + 'I', 1)
offset = 24
while offset + 16 <= len(data):
    seconds, fraction, caplen, length = struct.unpack(endian + 'IIII', data[offset:offset + 16])
    frame = data[offset + 16:offset + 16 + caplen]
    offset += 16 + caplen
    ethertype = b'\x08\x00' if frame[:1] and frame[0] >> 4 == 4 else b'\x86\xdd'
    out += struct.pack(endian + 'IIII', seconds, fraction, caplen + 14, length + 14)
    out += bytes.fromhex('020000000002020000000001') + ethertype + frame
open(sys.argv[2], 'wb').write(out)
PY

# Spiglass's default ring for this link (100 ms of its speed, 16 to 128 MiB), for tcpdump -B.
speed=$(ip netns exec "$listener" cat "/sys/class/net/$listen_if/speed" 2> /dev/null || echo -1)
ring=$((32 << 20))
if [ "$speed" -gt 0 ] 2> /dev/null; then
    ring=$((speed * 12500))
    [ "$ring" -lt $((16 << 20)) ] && ring=$((16 << 20))
    [ "$ring" -gt $((128 << 20)) ] && ring=$((128 << 20))
fi
ring_kib=$((ring / 1024))
default_listeners="tcpdump;tcpdump -B $ring_kib;spiglass -t 1;spiglass -t 2;spiglass -t 1 -B 8192;spiglass -t 2 -B 8192"
IFS=';' read -r -a listeners <<< "${LISTENERS:-$default_listeners}"

# Starts one listener, replays the capture at one rate, stops the listener; prints one row.
run() {
    local what=$1 rate=$2 log=$3 args pid
    read -r -a args <<< "$what"
    if [ "${args[0]}" = tcpdump ]; then
        ip netns exec "$listener" tcpdump -i "$listen_if" -s 262144 -w "$out/tcpdump.pcap" "${args[@]:1}" \
            > "$log.out" 2> "$log.err" &
    else
        local threads=1 buffer=()
        [ "${args[1]:-}" = -t ] && threads=${args[2]}
        [ "${args[3]:-}" = -B ] && buffer=(-B "${args[4]}")
        ip netns exec "$listener" "$spiglass" analyze -q -i "$listen_if" -k "$keys" --threads "$threads" \
            "${buffer[@]}" > "$log.out" 2> "$log.err" &
    fi
    pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$log.err" 2> /dev/null && break; sleep 0.1; done
    local speed=(--topspeed)
    [ "$rate" != topspeed ] && speed=(-M "$rate")
    ip netns exec "$sender" tcpreplay -i "$send_if" "${speed[@]}" -l "$loops" "$frames" > "$log.replay" 2>&1
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    local sent rated processed dropped
    sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$log.replay")
    rated=$(sed -n 's/.*Rated: .* Bps, \([0-9.]*\) Mbps, \([0-9.]*\) pps.*/\1 Mbit\/s, \2 pkt\/s/p' "$log.replay")
    if [ "${args[0]}" = tcpdump ]; then
        processed=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$log.err")
        dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$log.err")
    else
        processed=$(sed -n 's/^Frames: \([0-9]*\) .*/\1/p' "$log.out")
        dropped=$(sed -n 's/^Live capture: .*, \([0-9]*\) dropped by kernel.*/\1/p' "$log.out")
    fi
    printf '| %s | %s | %s (%s) | %s | %s |\n' "$what" "$rate" "$sent" "$rated" "$processed" "$dropped"
}

echo "| listener | rate (Mbit/s) | sent (as replayed) | processed | dropped by kernel |"
echo "|---|---|---|---|---|"
n=0
for rate in $rates; do
    for what in "${listeners[@]}"; do
        n=$((n + 1))
        run "$what" "$rate" "$out/run-$n"
    done
done
echo "logs in $out" >&2
