#!/bin/bash
# Regenerate the strongSwan policy fixtures for Spiglass: CHILD_SAs whose traffic selectors
# the responder narrowed, ESP traffic inside and outside them, and cleartext beside the tunnel.
#
# Requirements (Debian 12, run as root): as ../strongswan-ike/generate.sh (strongSwan 5.9.8
# charon + swanctl with kernel-libipsec, tcpdump, tshark, iproute2, python3-cryptography).
#
# Two namespaces joined by a veth pair, one charon each (see ../lib/netns-charon.sh), ESP in
# user space (kernel-libipsec: ESP-in-UDP 4500). What the capture holds per case is in
# frames.tsv, written here and read by the tests. inject.py builds the frames no honest peer
# sends: ESP with the CHILD_SA's real keys (read from charon's level-4 log) carrying inner
# packets outside its selectors, and cleartext packets between the protected networks.
# ../strongswan-ike/analyze.py then writes and checks the key tables, as for those fixtures.
#
# usage: generate.sh [case ...]        (default: all cases)
#        KEEP=1 generate.sh ...        keep the temp dir
#        NS_PREFIX=wt21p generate.sh   namespace names (default sgpol: sgpolA, sgpolB)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
NS_PREFIX=${NS_PREFIX:-sgpol}
NSA=${NS_PREFIX}A
NSB=${NS_PREFIX}B
A4=10.97.0.1; B4=10.97.0.2
IN_A=10.200.1.1; IN_B=10.200.2.1
PSK="spiglass-policy-test-psk-not-secret"
ALL_CASES=(narrowed ports)

WORK=$(mktemp -d /tmp/spiglass-strongswan-policy.XXXXXX)
KEEP=${KEEP:-0}
PIDS=()
NAMESPACES=($NSA $NSB)
# shellcheck source=../lib/netns-charon.sh
. "$HERE/../lib/netns-charon.sh"

setup() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSB
  ip link add ${NS_PREFIX}a netns $NSA type veth peer name ${NS_PREFIX}b netns $NSB
  ip -n $NSA link set lo up; ip -n $NSB link set lo up
  ip -n $NSA addr add $A4/24 dev ${NS_PREFIX}a
  ip -n $NSB addr add $B4/24 dev ${NS_PREFIX}b
  ip -n $NSA link set ${NS_PREFIX}a up
  ip -n $NSB link set ${NS_PREFIX}b up
  ip -n $NSA addr add $IN_A/32 dev lo
  ip -n $NSB addr add $IN_B/32 dev lo
  wait_ping $NSA $B4
  MAC_A=$(ip -n $NSA -br link show ${NS_PREFIX}a | awk '{print $3}')
  MAC_B=$(ip -n $NSB -br link show ${NS_PREFIX}b | awk '{print $3}')
}

write_strongswan_conf() {  # DIR
  local d=$1
  mkdir -p "$d/run"
  cat > "$d/strongswan.conf" <<EOC
charon {
  load_modular = no
  load = random nonce aes sha1 sha2 hmac gmp curve25519 openssl kdf kernel-libipsec kernel-netlink socket-default vici
  install_virtual_ip = no
  retransmit_tries = 3
  retransmit_timeout = 2.0
  filelog {
    log {
      path = $d/charon.log
      time_format = %b %e %T
      append = no
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      mgr = 2
      net = 2
      knl = 1
      cfg = 2
    }
  }
  syslog {
    identifier = charon-spiglass-policy
    daemon {
      default = -1
    }
  }
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
  }
}
EOC
}

# write_swanctl DIR LOCAL REMOTE MYID PEERID CHILDREN (the children { } body)
write_swanctl() {
  cat > "$1/swanctl.conf" <<EOC
connections {
  gw {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128-sha256-modp2048
    rekey_time = 0
    reauth_time = 0
    dpd_delay = 2s
    mobike = no
    local {
      auth = psk
      id = $4
    }
    remote {
      auth = psk
      id = $5
    }
    children {
$6
    }
  }
}
secrets {
  ike-gw {
    id-a = a@spiglass.test
    id-b = b@spiglass.test
    secret = "$PSK"
  }
}
EOC
}

child() {  # NAME LOCAL_TS REMOTE_TS
  cat <<EOC
      $1 {
        mode = tunnel
        local_ts = $2
        remote_ts = $3
        esp_proposals = aes128-sha256
        rekey_time = 0
        life_time = 0
        start_action = none
      }
EOC
}

start_both() {
  setup
  mkdir -p "$W/A" "$W/B"
  write_strongswan_conf "$W/A"; write_strongswan_conf "$W/B"
  write_swanctl "$W/A" $A4 $B4 a@spiglass.test b@spiglass.test "$CHILDREN_A"
  write_swanctl "$W/B" $B4 $A4 b@spiglass.test a@spiglass.test "$CHILDREN_B"
  # IPv4 only: no router solicitations or neighbour discovery in the capture
  start_tcpdump $NSA ${NS_PREFIX}a "$W/capture.pcap" ip
  start_charon $NSA "$W/A"; load_conf "$W/A"
  start_charon $NSB "$W/B"; load_conf "$W/B"
  swan "$W/A" --list-conns >"$W/list-conns-A.txt"
  swan "$W/B" --list-conns >"$W/list-conns-B.txt"
}

initiate() {  # CHILD
  swan "$W/A" --initiate --ike gw --child "$1" --timeout 20 >>"$W/initiate.out" 2>&1 || {
    cat "$W/initiate.out" >&2; return 1; }
}

# inject_esp FROM(A|B) SPEC...: ESP with the CHILD_SA keys of FROM's newest outbound CHILD_SA
inject_esp() {
  local from=$1; shift
  if [ "$from" = A ]; then
    ip netns exec $NSA python3 "$HERE/inject.py" esp "$W/A/charon.log" ${NS_PREFIX}a "$MAC_B" $A4 $B4 "$@" >>"$W/inject.out"
  else
    ip netns exec $NSB python3 "$HERE/inject.py" esp "$W/B/charon.log" ${NS_PREFIX}b "$MAC_A" $B4 $A4 "$@" >>"$W/inject.out"
  fi
  sleep 0.3
}

inject_clear() {  # FROM(A|B) SPEC...
  local from=$1; shift
  if [ "$from" = A ]; then
    ip netns exec $NSA python3 "$HERE/inject.py" clear ${NS_PREFIX}a "$MAC_B" "$@" >>"$W/inject.out"
  else
    ip netns exec $NSB python3 "$HERE/inject.py" clear ${NS_PREFIX}b "$MAC_A" "$@" >>"$W/inject.out"
  fi
  sleep 0.3
}

# expect KIND SRC DST PROTO PORT NEGOTIATED CONFIG-A: one line of frames.tsv for the next
# injected frame. KIND: esp (decrypted inner packet) or clear. NEGOTIATED: what the check
# against the negotiated selectors says (inside|policy-mismatch for esp; leak|- for clear).
# CONFIG-A: the same against host A's swanctl.conf children.
expect() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$W/frames.tsv"; }

# next_seq DIR CHILD: the sequence number the CHILD_SA's outbound SA sends next (its packet
# count + 1, from --list-sas), so injected ESP continues the real sequence
next_seq() {
  swan "$1" --list-sas | awk -v child="$2" '
    $1 == child":" { found = 1; next }
    found && $1 == "out" { print $5 + 1; exit }'
}

case_narrowed() {
  DESC="A proposes 10.200.1.0/24 === 10.200.2.0/24, B narrows to 10.200.1.0/28 === 10.200.2.1/32"
  CHILDREN_A=$(child net 10.200.1.0/24 10.200.2.0/24)
  CHILDREN_B=$(child net 10.200.2.1/32 10.200.1.0/28)
  start_both
  printf 'kind\tsrc\tdst\tproto\tport\tnegotiated\tconfig-a\n' >"$W/frames.tsv"
  # before any CHILD_SA: only A's configuration says this must be protected
  expect clear $IN_A $IN_B udp 5001 - leak
  inject_clear A $IN_A:$IN_B:udp:5001
  initiate net
  pings $NSA $IN_A $IN_B 2
  pings $NSB $IN_B $IN_A 2
  # cleartext beside the tunnel (the hosts answer some of it through the tunnel)
  expect clear $IN_A $IN_B udp 5002 leak leak
  expect clear 10.200.1.77 $IN_B udp 5003 - leak
  expect clear $IN_A 10.200.3.1 udp 5004 - -
  inject_clear A $IN_A:$IN_B:udp:5002 10.200.1.77:$IN_B:udp:5003 $IN_A:10.200.3.1:udp:5004
  expect clear $IN_B $IN_A icmp 0 leak leak
  inject_clear B $IN_B:$IN_A:icmp
  # the gateways' own traffic: a NAT-T keepalive and a ping, besides IKE (DPD every 2 s)
  expect clear $A4 $B4 udp 4500 - -
  inject_clear A $A4:$B4:keepalive
  ip netns exec $NSA ping -c1 -W1 $B4 >/dev/null
  sleep 2.5
  # ESP with the CHILD_SA's keys, inner packets outside 10.200.1.0/28 === 10.200.2.1/32 (and
  # one inside), the last ESP each SA carries
  local seq; seq=$(next_seq "$W/A" net)
  expect esp 10.200.1.77 $IN_B icmp 0 policy-mismatch inside
  expect esp $IN_A 10.200.2.9 udp 53 policy-mismatch inside
  expect esp 10.9.9.9 $IN_B tcp 22 policy-mismatch policy-mismatch
  expect esp 10.200.1.5 $IN_B udp 53 inside inside
  inject_esp A $seq:10.200.1.77:$IN_B:icmp $((seq + 1)):$IN_A:10.200.2.9:udp:53 $((seq + 2)):10.9.9.9:$IN_B:tcp:22 \
    $((seq + 3)):10.200.1.5:$IN_B:udp:53
  sleep 0.5
  seq=$(next_seq "$W/B" net)
  expect esp 10.200.2.5 $IN_A icmp 0 policy-mismatch inside
  inject_esp B $seq:10.200.2.5:$IN_A:icmp
  swan "$W/A" --list-sas >"$W/list-sas-A.txt"
  swan "$W/A" --terminate --ike gw --timeout 10 >>"$W/terminate.out" 2>&1 || true
  sleep 0.5
  # after the delete: again only A's configuration
  expect clear $IN_A $IN_B udp 5005 - leak
  inject_clear A $IN_A:$IN_B:udp:5005
}

case_ports() {
  DESC="two CHILD_SAs with protocol and port selectors: dns (udp/53) and ping (icmp)"
  CHILDREN_A="$(child dns "10.200.1.0/28[udp]" "10.200.2.1/32[udp/53]")
$(child ping "10.200.1.0/28[icmp]" "10.200.2.1/32[icmp]")"
  CHILDREN_B="$(child dns "10.200.2.1/32[udp/53]" "10.200.1.0/28[udp]")
$(child ping "10.200.2.1/32[icmp]" "10.200.1.0/28[icmp]")"
  start_both
  printf 'kind\tsrc\tdst\tproto\tport\tnegotiated\tconfig-a\n' >"$W/frames.tsv"
  initiate dns
  initiate ping
  pings $NSA $IN_A $IN_B 2
  # two DNS queries (spiglass.test A) from a socket: through the dns CHILD_SA
  ip netns exec $NSA python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$IN_A', 0))
query = bytes.fromhex('12340100000100000000000008737069676c617373047465737400') + b'\\x00\\x01\\x00\\x01'
for _ in range(2): s.sendto(query, ('$IN_B', 53))"
  sleep 0.5
  expect clear $IN_A $IN_B udp 53 leak leak
  expect clear $IN_A $IN_B udp 54 - -
  expect clear $IN_A $IN_B tcp 53 - -
  inject_clear A $IN_A:$IN_B:udp:53 $IN_A:$IN_B:udp:54 $IN_A:$IN_B:tcp:53
  sleep 0.5
  # the newest outbound CHILD_SA of A is ping's: an ICMP echo fits it, UDP and TCP do not
  local seq; seq=$(next_seq "$W/A" ping)
  expect esp 10.200.1.2 $IN_B icmp 0 inside inside
  expect esp 10.200.1.2 $IN_B udp 53 policy-mismatch inside
  expect esp 10.200.1.2 $IN_B tcp 53 policy-mismatch policy-mismatch
  inject_esp A $seq:10.200.1.2:$IN_B:icmp $((seq + 1)):10.200.1.2:$IN_B:udp:53 $((seq + 2)):10.200.1.2:$IN_B:tcp:53
  swan "$W/A" --list-sas >"$W/list-sas-A.txt"
  swan "$W/A" --terminate --ike gw --timeout 10 >>"$W/terminate.out" 2>&1 || true
  sleep 0.5
}

run_case() {
  local name=$1 fn=case_${1//-/_}
  W="$WORK/$name"; local OUT="$HERE/$name"
  rm -rf "$W"; mkdir -p "$W"
  log "=== $name"
  $fn
  stop_tcpdumps
  teardown_ns
  rm -rf "$OUT"; mkdir -p "$OUT/config"
  cp "$W/capture.pcap" "$W/frames.tsv" "$W/list-conns-A.txt" "$W/list-conns-B.txt" "$W/list-sas-A.txt" "$OUT/"
  cp "$W/A/charon.log" "$OUT/charon-A.log"; cp "$W/B/charon.log" "$OUT/charon-B.log"
  cp "$W/A/swanctl.conf" "$OUT/config/swanctl-A.conf"; cp "$W/B/swanctl.conf" "$OUT/config/swanctl-B.conf"
  cp "$W/A/strongswan.conf" "$OUT/config/strongswan-A.conf"; cp "$W/B/strongswan.conf" "$OUT/config/strongswan-B.conf"
  sed -i "s#$W/##g" "$OUT"/config/*.conf
  python3 "$HERE/../strongswan-ike/analyze.py" "$OUT" --case "$name" --addr-a $A4 --addr-b $B4 --desc "$DESC" \
    >"$W/analyze.out" 2>&1 || { cat "$W/analyze.out" >&2; return 1; }
  log "$name: $(tail -n1 "$W/analyze.out")"
}

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${ALL_CASES[@]}")
for c in "${selected[@]}"; do
  run_case "$c"
done
log "done"
