#!/bin/bash
# Regenerate the `ip xfrm policy` fixtures: real iproute2 output of a Linux SPD holding the
# selector forms Spiglass reads. Run as root; needs iproute2 and a kernel with XFRM (no
# crypto: only policies are added, never states).
#
#   xfrm-policy.txt     ip xfrm policy
#   xfrm-policy-s.txt   ip -s xfrm policy
#   xfrm-policy-d.txt   ip -d xfrm policy
#   commands.txt        the `ip xfrm policy add` commands that made them, in order
#
# usage: generate-xfrm.sh   (NS=name to choose the scratch namespace; default sgspd)
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
NS=${NS:-sgspd}
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"

cat >"$HERE/commands.txt" <<'EOC'
# A site-to-site tunnel as charon installs it (out, in, fwd; priorities as strongSwan 5.9 computes them)
src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 375423 tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
src 10.2.0.0/16 dst 10.1.0.0/16 dir in priority 375423 tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd priority 375423 tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel level use
# A more specific tunnel for one host's ssh to a /24, to another gateway
src 10.1.2.3/32 dst 10.2.0.0/24 proto tcp sport 22 dport 8080 dir out priority 100 tmpl src 192.0.2.1 dst 192.0.2.3 proto esp reqid 2 mode tunnel
# DNS to the remote network goes in clear (a bypass), echo requests are dropped
src 10.1.0.0/16 dst 10.2.0.0/16 proto udp dport 53 dir out priority 60 action allow
src 10.1.0.0/16 dst 10.2.0.0/16 proto icmp type 8 code 0 dir out priority 50 action block
# IPv6, an ICMPv6 type
src 2001:db8:1::/48 dst 2001:db8:2::/48 proto ipv6-icmp type 128 dir out priority 200 tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 3 mode tunnel
src 2001:db8:2::/48 dst 2001:db8:1::/48 dir in priority 300 tmpl src 2001:db8::2 dst 2001:db8::1 proto esp reqid 3 mode tunnel
# Transport mode between two hosts: UDP in ESP; everything in AH+ESP (two templates)
src 198.51.100.1/32 dst 198.51.100.2/32 proto udp dir out tmpl proto esp mode transport reqid 4
src 198.51.100.1/32 dst 198.51.100.2/32 dir out priority 10 tmpl proto ah mode transport reqid 5 tmpl proto esp mode transport reqid 5
# GRE over a tunnel with a fixed SPI; a policy on one interface
src 0.0.0.0/0 dst 0.0.0.0/0 proto gre dir in tmpl src 203.0.113.1 dst 203.0.113.2 proto esp spi 0x1234 mode tunnel
src 172.16.0.0/12 dst 10.2.0.0/16 dev lo dir out priority 1000 tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 6 mode tunnel
EOC
grep -v '^#' "$HERE/commands.txt" | while read -r line; do
  # shellcheck disable=SC2086
  ip -n "$NS" xfrm policy add $line
done
ip -n "$NS" xfrm policy >"$HERE/xfrm-policy.txt"
ip -n "$NS" -s xfrm policy >"$HERE/xfrm-policy-s.txt"
ip -n "$NS" -d xfrm policy >"$HERE/xfrm-policy-d.txt"
# the dump times of `ip -s` change on every run: keep them fixed, so the files only change
# when the output's shape does
sed -i -E 's/add [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}/add 2026-12-06 12:00:00/' "$HERE/xfrm-policy-s.txt"
echo "wrote $(grep -c '^src' "$HERE/xfrm-policy.txt") policies"
