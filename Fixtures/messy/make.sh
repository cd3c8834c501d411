#!/usr/bin/env bash
# Builds the messy captures people bring from real fixtures, with editcap and mergecap
# (Debian wireshark-common, a tshark dependency): snapshot-length cuts, a capture merged with
# itself, the same packets replayed 30 s later, and captures split into parts. The tests run
# this script into a temporary directory; run it by hand to look at the results:
#
#   Fixtures/messy/make.sh OUTDIR
#
# Each case is named after its source (strongswan/aes256gcm16-v4 -> strongswan-aes256gcm16-v4):
#   snaplen-S/CASE.pcap        editcap -s S (S = 64, 96, 200, 1500)
#   merged-self/CASE.pcap      mergecap CASE CASE (one capture on two interfaces)
#   replayed-30s/CASE.pcap     mergecap CASE (editcap -t 30 CASE): every packet again 30 s later
#   split-N/CASE/part_*.pcap   editcap -c N (N = 2, 5), the rotation a long capture gets
#   links/*.pcap               two captures of different link types (Linux SLL, Ethernet)
#   damaged/part_*.pcap        split-5 of the first case with its second part cut mid-record
#   ikev1/psk-resend.pcap      strongswan-ikev1/wrong-psk (a real PSK mismatch) as a responder that
#                              answers an undecryptable message 5 by sending message 4 again (as
#                              Libreswan and racoon do): frames 1-5 and 7, frame 4 again 1 s and 2 s on
#   ikev2/fresh-answers.pcap   strongswan-ike/rekey-cbc-sha256 with its IKE_SA_INIT answered twice,
#                              first with another responder SPI and nonce (fresh-answers.py)
#   snaplen-partial/CASE.pcap  frames 9-12 of the first case cut at 96 bytes, the others whole (a capture
#                              whose snapshot length was lowered for a while): the cut ESP packets leave holes
#                              in their SAs' sequence numbers that the capture made, not the network
#   ikev2/no-proposal-then-ok.pcap  strongswan-ike/no-proposal (NO_PROPOSAL_CHOSEN for aes128-sha256-modp2048)
#                              then strongswan-ike/pfs-gcm moved 60 s on (the same peers agree on
#                              aes256gcm16-prfsha384-ecp384): a refusal whose alternative the capture shows
#   ikev2/many-sas.pcap        every strongswan-ike case but nat merged by time: 17 IKE SAs between the
#                              same two hosts, failures and successes (the view of `ike --summary`)
#   ikev1/qm-resend.pcap       strongswan-ikev1/main-psk up to its first Quick Mode (frames 1-9), with
#                              the responder's message 2 (frame 8) again 1 s and 2 s later: message 3
#                              never reached it
#   nanoseconds/CASE.pcap      editcap -F nsecpcap -t 0.000000123 (pcap magic a1b23c4d): the first two cases and
#                              strongswan-ike/fragmentation with nanoseconds that are not all zero
#   nanoseconds/CASE.pcapng    the same converted by editcap -F pcapng (if_tsresol 9; editcap -F pcapng of a
#                              microsecond pcap would write microseconds and drop the shift)
#   nanoseconds/merged.pcap    the first case's nanosecond copy merged with itself moved 333 ns on, so that
#                              relative times differ below the microsecond
#   nanoseconds/jitter-CASE.pcap  strongswan-ike/rekey-cbc-sha256 and strongswan-ike/fragmentation split into
#                              single frames (editcap -c 1), frame k moved on by its own (389k mod 997) + 1 ns,
#                              put back in frame order (mergecap -a): IKE round trips, the times between
#                              messages and SA lifetimes differ below the microsecond; and its pcapng
set -euo pipefail
out=${1:?usage: make.sh OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
cases=(
    strongswan/aes256gcm16-v4
    strongswan/aes128cbc-sha256-v4
    strongswan/3des-sha1-v4
    strongswan-ike/rekey-cbc-sha256
    strongswan-ike/fragmentation
    strongswan-ikev1/main-psk
    strongswan-ikev1/aggressive-psk
    scapy-ah/ah-v4-transport
    scapy/fragmented
)
mkdir -p "$out"
for c in "${cases[@]}"; do
    name=${c//\//-}
    src="$here/$c"
    [ -d "$src" ] && src="$src/capture.pcap"
    [ -f "$src" ] || src="$here/$c.pcap"
    for s in 64 96 200 1500; do
        mkdir -p "$out/snaplen-$s"
        editcap -F pcap -s "$s" "$src" "$out/snaplen-$s/$name.pcap"
    done
    mkdir -p "$out/merged-self" "$out/replayed-30s"
    mergecap -F pcap -w "$out/merged-self/$name.pcap" "$src" "$src"
    editcap -F pcap -t 30 "$src" "$out/replayed-30s/.later-$name.pcap"
    mergecap -F pcap -w "$out/replayed-30s/$name.pcap" "$src" "$out/replayed-30s/.later-$name.pcap"
    rm "$out/replayed-30s/.later-$name.pcap"
    for n in 2 5; do
        mkdir -p "$out/split-$n/$name"
        editcap -F pcap -c "$n" "$src" "$out/split-$n/$name/part.pcap"
    done
done
mkdir -p "$out/links"
cp "$here/scapy/linktypes-sll.pcap" "$out/links/sll.pcap"
cp "$here/strongswan/aes128cbc-sha256-v4/capture.pcap" "$out/links/ethernet.pcap"
first=${cases[0]//\//-}
mkdir -p "$out/damaged"
cp "$out/split-5/$first"/part_*.pcap "$out/damaged/"
second=$(ls "$out/damaged"/part_*.pcap | sed -n 2p)
size=$(stat -c %s "$second")
truncate -s $((size - 10)) "$second"
mkdir -p "$out/ikev1"
tmp=$(mktemp -d)
editcap -F pcap -r "$here/strongswan-ikev1/wrong-psk/capture.pcap" "$tmp/first.pcap" 1-5 7
editcap -F pcap -r "$here/strongswan-ikev1/wrong-psk/capture.pcap" "$tmp/m4.pcap" 4
editcap -F pcap -t 1 "$tmp/m4.pcap" "$tmp/m4a.pcap"
editcap -F pcap -t 2 "$tmp/m4.pcap" "$tmp/m4b.pcap"
mergecap -F pcap -w "$out/ikev1/psk-resend.pcap" "$tmp/first.pcap" "$tmp/m4a.pcap" "$tmp/m4b.pcap"
editcap -F pcap -r "$here/strongswan-ikev1/main-psk/capture.pcap" "$tmp/qm.pcap" 1-9
editcap -F pcap -r "$here/strongswan-ikev1/main-psk/capture.pcap" "$tmp/m2.pcap" 8
editcap -F pcap -t 1 "$tmp/m2.pcap" "$tmp/m2a.pcap"
editcap -F pcap -t 2 "$tmp/m2.pcap" "$tmp/m2b.pcap"
mergecap -F pcap -w "$out/ikev1/qm-resend.pcap" "$tmp/qm.pcap" "$tmp/m2a.pcap" "$tmp/m2b.pcap"
rm -r "$tmp"
mkdir -p "$out/snaplen-partial"
tmp=$(mktemp -d)
firstsrc="$here/${cases[0]}/capture.pcap"
editcap -F pcap -r "$firstsrc" "$tmp/whole.pcap" 1-8 13-1000000
editcap -F pcap -r -s 96 "$firstsrc" "$tmp/cut.pcap" 9-12
mergecap -F pcap -w "$out/snaplen-partial/$first.pcap" "$tmp/whole.pcap" "$tmp/cut.pcap"
rm -r "$tmp"
mkdir -p "$out/ikev2"
python3 "$here/messy/fresh-answers.py" "$here/strongswan-ike/rekey-cbc-sha256/capture.pcap" "$out/ikev2/fresh-answers.pcap"
tmp=$(mktemp -d)
editcap -F pcap -t 60 "$here/strongswan-ike/pfs-gcm/capture.pcap" "$tmp/later.pcap"
mergecap -F pcap -w "$out/ikev2/no-proposal-then-ok.pcap" "$here/strongswan-ike/no-proposal/capture.pcap" "$tmp/later.pcap"
rm -r "$tmp"
mergecap -F pcap -w "$out/ikev2/many-sas.pcap" $(ls -d "$here"/strongswan-ike/*/ | grep -v '/nat/$' | sed 's|/$|/capture.pcap|')
mkdir -p "$out/nanoseconds"
for c in "${cases[0]}" "${cases[1]}" strongswan-ike/fragmentation; do
    name=${c//\//-}
    editcap -F nsecpcap -t 0.000000123 "$here/$c/capture.pcap" "$out/nanoseconds/$name.pcap"
    editcap -F pcapng "$out/nanoseconds/$name.pcap" "$out/nanoseconds/$name.pcapng"
done
tmp=$(mktemp -d)
editcap -F nsecpcap -t 0.000000456 "$here/${cases[0]}/capture.pcap" "$tmp/later.pcap"
mergecap -F nsecpcap -w "$out/nanoseconds/merged.pcap" "$out/nanoseconds/$first.pcap" "$tmp/later.pcap"
rm -r "$tmp"
for c in strongswan-ike/rekey-cbc-sha256 strongswan-ike/fragmentation; do
    name=${c//\//-}
    tmp=$(mktemp -d)
    editcap -F nsecpcap -c 1 "$here/$c/capture.pcap" "$tmp/frame.pcap"
    k=0
    parts=()
    for frame in $(ls "$tmp"/frame_*.pcap | sort); do
        k=$((k + 1))
        editcap -F nsecpcap -t "0.$(printf %09d $(((k * 389) % 997 + 1)))" "$frame" "$tmp/moved-$(printf %05d $k).pcap"
        parts+=("$tmp/moved-$(printf %05d $k).pcap")
    done
    mergecap -a -F nsecpcap -w "$out/nanoseconds/jitter-$name.pcap" "${parts[@]}"
    editcap -F pcapng "$out/nanoseconds/jitter-$name.pcap" "$out/nanoseconds/jitter-$name.pcapng"
    rm -r "$tmp"
done
