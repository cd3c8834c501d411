#!/bin/bash
# Regenerate the strongSwan ESP fixtures for Spiglass.
#
# Requirements (Debian 12, run as root):
#   apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins \
#       libstrongswan-extra-plugins libstrongswan-standard-plugins tcpdump tshark \
#       iproute2 iputils-ping python3 python3-cryptography
#
# The kernel needs network namespaces, veth and TUN; it does NOT need xfrm/ESP:
# ESP is done in user space by charon's kernel-libipsec plugin, which (in 5.9.8)
# always uses UDP encapsulation (ESP-in-UDP, port 4500).
#
# usage: generate.sh [case ...]     (default: all cases)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
NSA=spiglassA
NSB=spiglassB
A4=10.99.0.1;   B4=10.99.0.2
A6=fd00:99::1;  B6=fd00:99::2
IN_A4=10.200.1.1;  IN_B4=10.200.2.1
IN_A6=fd00:201::1; IN_B6=fd00:202::1
PSK="spiglass-test-psk-not-secret"

# case | outer | inner | IKE proposal | ESP proposal
CASES=(
  "aes128cbc-sha256-v4|4|4|aes256-sha256-modp2048|aes128-sha256"
  "aes256gcm16-v4|4|4|aes128gcm16-prfsha256-ecp256|aes256gcm16"
  "chacha20poly1305-v4|4|4|aes256-sha384-curve25519|chacha20poly1305"
  "aes128ctr-sha1-v4|4|4|aes128ctr-sha256-modp2048|aes128ctr-sha1"
  "3des-sha1-v4|4|4|aes128-sha1-modp2048|3des-sha1"
  "3des-md5-v4|4|4|aes128-sha256-modp2048|3des-md5"
  "aes256cbc-sha512-v6|6|4|aes256-sha512-ecp384|aes256-sha512"
  "aes128gcm16-v6|6|6|aes256gcm16-prfsha384-ecp256|aes128gcm16"
  "aes192cbc-sha384-v4|4|4|aes192-sha384-modp3072|aes192-sha384"
  "aes256cbc-sha256-inner6-v4|4|6|aes256-sha256-ecp256|aes256-sha256"
)

WORK=$(mktemp -d /tmp/spiglass-strongswan.XXXXXX)
KEEP=${KEEP:-0}   # KEEP=1: keep the temp dir (configs, full logs) for debugging
PIDS=()
NAMESPACES=($NSA $NSB)
# shellcheck source=../lib/netns-charon.sh
. "$HERE/../lib/netns-charon.sh"


setup_ns() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSB
  ip link add vethA netns $NSA type veth peer name vethB netns $NSB
  ip -n $NSA link set lo up
  ip -n $NSB link set lo up
  ip -n $NSA addr add $A4/24 dev vethA
  ip -n $NSB addr add $B4/24 dev vethB
  ip -n $NSA addr add $A6/64 dev vethA nodad
  ip -n $NSB addr add $B6/64 dev vethB nodad
  ip -n $NSA link set vethA up
  ip -n $NSB link set vethB up
  # inner ("virtual subnet") addresses live on lo
  ip -n $NSA addr add $IN_A4/32 dev lo
  ip -n $NSB addr add $IN_B4/32 dev lo
  ip -n $NSA addr add $IN_A6/128 dev lo nodad
  ip -n $NSB addr add $IN_B6/128 dev lo nodad
  local i
  for i in $(seq 30); do
    ip netns exec $NSA ping -c1 -W1 $B4 >/dev/null 2>&1 &&
      ip netns exec $NSA ping -6 -c1 -W1 $B6 >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "veth link between the namespaces does not come up"; return 1
}

# write_conf DIR LOCAL REMOTE LOCAL_TS REMOTE_TS IKE ESP MYID PEERID
write_conf() {
  local d=$1
  mkdir -p "$d/run"
  cat > "$d/strongswan.conf" <<EOC
charon {
  load_modular = no
  # kernel-libipsec must come before kernel-netlink so that it provides the
  # kernel-ipsec interface (ESP in user space); kernel-netlink still does
  # addresses and routes.
  load = random nonce aes sha1 sha2 md5 hmac gmp curve25519 ctr gcm chapoly openssl kdf kernel-libipsec kernel-netlink socket-default vici
  install_virtual_ip = no
  retransmit_tries = 3
  filelog {
    log {
      path = $d/charon.log
      time_format = %b %e %T
      append = no
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      knl = 2
      cfg = 2
      esp = 1
      lib = 1
    }
  }
  syslog {
    identifier = charon-spiglass
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
  cat > "$d/swanctl.conf" <<EOC
connections {
  spiglass {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $6
    rekey_time = 0
    dpd_delay = 0
    mobike = no
    local {
      auth = psk
      id = $8
    }
    remote {
      auth = psk
      id = $9
    }
    children {
      net {
        mode = tunnel
        local_ts = $4
        remote_ts = $5
        esp_proposals = $7
        rekey_time = 0
        start_action = none
      }
    }
  }
}
secrets {
  ike-spiglass {
    id-a = a@spiglass.test
    id-b = b@spiglass.test
    secret = "$PSK"
  }
}
EOC
}

run_case() {
  local spec=$1 name outer inner ike esp
  IFS='|' read -r name outer inner ike esp <<<"$spec"
  log "=== $name (outer IPv$outer, inner IPv$inner, IKE $ike, ESP $esp)"
  local W="$WORK/$name" OUT="$HERE/$name"
  rm -rf "$W"; mkdir -p "$W/A" "$W/B"
  setup_ns

  local la lb tsa tsb ia ib
  if [ "$outer" = 6 ]; then la=$A6; lb=$B6; else la=$A4; lb=$B4; fi
  if [ "$inner" = 6 ]; then
    tsa=fd00:201::/64; tsb=fd00:202::/64; ia=$IN_A6; ib=$IN_B6
  else
    tsa=10.200.1.0/24; tsb=10.200.2.0/24; ia=$IN_A4; ib=$IN_B4
  fi
  write_conf "$W/A" $la $lb $tsa $tsb "$ike" "$esp" a@spiglass.test b@spiglass.test
  write_conf "$W/B" $lb $la $tsb $tsa "$ike" "$esp" b@spiglass.test a@spiglass.test

  ip netns exec $NSA tcpdump -i vethA -n -U --immediate-mode -s 0 -w "$W/capture.pcap" \
      'udp port 500 or udp port 4500 or ip proto 50 or ip6 proto 50' 2>"$W/tcpdump.err" &
  local tcpdump_pid=$!
  PIDS+=($tcpdump_pid)
  for i in $(seq 50); do grep -q listening "$W/tcpdump.err" && break; sleep 0.1; done

  start_charon $NSA "$W/A"
  start_charon $NSB "$W/B"
  swan "$W/B" --load-all --noprompt --file "$W/B/swanctl.conf" >"$W/B/load.out" 2>&1
  swan "$W/A" --load-all --noprompt --file "$W/A/swanctl.conf" >"$W/A/load.out" 2>&1
  swan "$W/A" --initiate --ike spiglass --child net --timeout 15 >"$W/A/initiate.out" 2>&1 || {
    cat "$W/A/initiate.out" >&2; return 1; }
  sleep 0.5

  # traffic: 5 pings each way + 3 UDP datagrams echoed back
  local P="ping -q -c 5 -i 0.2 -W 2"
  [ "$inner" = 6 ] && P="ping -6 -q -c 5 -i 0.2 -W 2"
  ip netns exec $NSA $P -I $ia $ib >"$W/ping-AB.out" 2>&1
  ip netns exec $NSB $P -I $ib $ia >"$W/ping-BA.out" 2>&1
  ip netns exec $NSB python3 - "$ib" <<'EOP' &
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((sys.argv[1], 7777)); s.settimeout(10)
for _ in range(3):
    d, a = s.recvfrom(2048); s.sendto(b"echo: " + d, a)
EOP
  local echo_pid=$!
  PIDS+=($echo_pid)
  sleep 0.5
  ip netns exec $NSA python3 - "$ia" "$ib" <<'EOP'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); s.settimeout(5)
for i in range(3):
    s.sendto(b"spiglass udp datagram %d" % i, (sys.argv[2], 7777))
    print(s.recvfrom(2048)[0].decode())
EOP
  wait $echo_pid
  forget_pid $echo_pid
  sleep 0.3
  swan "$W/A" --list-sas >"$W/A/list-sas.out"
  swan "$W/A" --terminate --ike spiglass --timeout 10 >"$W/A/terminate.out" 2>&1 || true
  sleep 1
  kill -INT $tcpdump_pid; wait $tcpdump_pid || true
  forget_pid $tcpdump_pid
  # make sure tcpdump wrote everything the filter accepted
  local cap rcv
  cap=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$W/tcpdump.err")
  rcv=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$W/tcpdump.err")
  if [ "$cap" != "$rcv" ]; then
    log "tcpdump lost packets ($cap captured, $rcv received by filter)"; return 1
  fi
  teardown_ns

  # ---- results
  rm -rf "$OUT"; mkdir -p "$OUT"
  cp "$W/capture.pcap" "$OUT/capture.pcap"
  local spis
  spis=$(tshark -r "$OUT/capture.pcap" -n -Y isakmp -T fields -e isakmp.ispi -e isakmp.rspi \
         2>/dev/null | tr -d ':' | awk '$2 != "0000000000000000" {print $1, $2; exit}')
  python3 "$HERE/extract_keys.py" "$OUT" "$W/A/charon.log" "$W/B/charon.log" $la $lb $spis \
      >"$W/extract.out"
  cat "$W/extract.out" >&2
  local f
  for f in A B; do
    if [ "$(stat -c %s "$W/$f/charon.log")" -lt 200000 ]; then
      cp "$W/$f/charon.log" "$OUT/charon-$f.log"
    else
      grep -A6 -E 'selected proposal|established with SPIs|(encryption|integrity) (initiator|responder) key|Sk_(ei|er|ai|ar|d) secret' \
        "$W/$f/charon.log" >>"$OUT/charon-keys.log"
    fi
  done
  python3 "$HERE/verify.py" "$OUT" >"$OUT/expected.txt"
  log "$name: $(tail -n1 "$OUT/expected.txt")"
}

selected=("$@")
for spec in "${CASES[@]}"; do
  n=${spec%%|*}
  if [ ${#selected[@]} -gt 0 ]; then
    found=0; for s in "${selected[@]}"; do [ "$s" = "$n" ] && found=1; done
    [ $found = 1 ] || continue
  fi
  run_case "$spec"
done

# ---- refresh the generated table in README.md from the case directories
python3 - "$HERE" <<'EOP'
import glob, os, re, sys
here = sys.argv[1]
rows = ["| case | ESP (negotiated) | IKE (negotiated) | outer | inner | frames | ESP pkts | SPI A→B | SPI B→A | tshark ESP decrypt+ICV | python check |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
for d in sorted(glob.glob(os.path.join(here, "*/expected.txt"))):
    case = os.path.basename(os.path.dirname(d))
    cdir = os.path.dirname(d)
    log = open(os.path.join(cdir, "charon-A.log" if os.path.exists(os.path.join(cdir, "charon-A.log"))
                            else "charon-keys.log"), errors="replace").read()
    esp = re.search(r"selected proposal: ESP:(\S+)", log).group(1).replace("/NO_EXT_SEQ", "")
    ike = re.search(r"selected proposal: IKE:(\S+)", log).group(1)
    summ = [l for l in open(d) if l.startswith("# summary:")][-1]
    kv = dict(re.findall(r"(\S+)=(\S+)", summ))
    sa = [l.split() for l in open(os.path.join(cdir, "sa.spiglass")) if l.startswith("esp ")]
    spi = [dict(t.split("=", 1) for t in l[1:])["spi"] for l in sa]
    outer = "IPv6" if case.endswith("-v6") else "IPv4"
    t = open(d).read()
    inner = "IPv6" if ("next=ipv6" in t or "\tok\tipv6 " in t) else "IPv4"
    tsh = f"{kv['tshark_icv_good']}/{kv['esp']}" if kv["tshark_decrypted"] != "0" else "n/a (no ChaCha20 in tshark 4.0)"
    rows.append(f"| `{case}` | {esp} | {ike} | {outer} | {inner} | {kv['frames']} | {kv['esp']} | "
                f"{spi[0]} | {spi[1]} | {tsh} | {kv['python_ok']} {kv['RESULT']} |")
readme = os.path.join(here, "README.md")
text = open(readme).read()
b, e = "<!-- BEGIN GENERATED TABLE -->", "<!-- END GENERATED TABLE -->"
if b in text and e in text:
    text = text[:text.index(b) + len(b)] + "\n" + "\n".join(rows) + "\n" + text[text.index(e):]
    open(readme, "w").write(text)
EOP
log "done"
