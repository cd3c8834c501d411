#!/bin/bash
# Regenerate the strongSwan IKEv1 (ISAKMP) fixtures for Spiglass: Main Mode and
# Aggressive Mode, PSK / RSA certificates, Quick Mode with and without PFS, a Quick
# Mode rekey, DPD, IKEv1 fragmentation, a real NAT, XAUTH + Mode Config, and the
# failures NO-PROPOSAL-CHOSEN and a PSK mismatch.
#
# Requirements (Debian 12, run as root):
#   apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins \
#       libstrongswan-extra-plugins libstrongswan-standard-plugins tcpdump tshark \
#       iproute2 iputils-ping nftables openssl python3 python3-cryptography
#
# Each case runs two (nat: three) network namespaces joined by veth pairs, one
# charon per host (own strongswan.conf via STRONGSWAN_CONF, own vici socket,
# private /run), ESP in user space (kernel-libipsec; always ESP-in-UDP 4500).
# tcpdump captures on a veth; charon logs the IKEv1 keys (SKEYID*, Ka, IVs) and
# the CHILD_SA keys at level 4. analyze.py then checks everything in Python,
# writes the key tables, tshark's view and the expected story.
#
# This script is independent of ../strongswan-ike/ (the IKEv2 fixtures): it was
# adapted from it, but shares no code and uses other namespace/veth names.
#
# usage: generate.sh [case ...]     (default: all cases)
#        KEEP=1 generate.sh ...     keep the temp dir (configs, full logs)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
NSA=sg1A
NSB=sg1B
NSN=sg1N
# two-host topology: A (sg1a) <-> (sg1b) B
A4=10.97.0.1;   B4=10.97.0.2
# nat topology: A (sg1a) <-> (sg1na) N (sg1nb) <-> (sg1b) B, N masquerades A
NA_A=10.97.1.1; NA_N=10.97.1.254; NB_N=10.97.2.254; NB_B=10.97.2.2
# inner addresses (on lo) and traffic selectors
IN_A4=10.201.1.1;  IN_B4=10.201.2.1
PSK="spiglass-ikev1-test-psk-not-secret"
XAUTH_USER="alice"
XAUTH_PASS="spiglass-xauth-password-not-secret"

ALL_CASES=(main-psk aggressive-psk main-cert-frag pfs nat no-proposal wrong-psk modecfg-xauth)

WORK=$(mktemp -d /tmp/spiglass-strongswan-ikev1.XXXXXX)
KEEP=${KEEP:-0}
PIDS=()
NAMESPACES=($NSA $NSB $NSN)
# shellcheck source=../lib/netns-charon.sh
. "$HERE/../lib/netns-charon.sh"


setup_2ns() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSB
  ip link add sg1a netns $NSA type veth peer name sg1b netns $NSB
  local ns
  for ns in $NSA $NSB; do ip -n $ns link set lo up; done
  ip -n $NSA addr add $A4/24 dev sg1a
  ip -n $NSB addr add $B4/24 dev sg1b
  ip -n $NSA link set sg1a up
  ip -n $NSB link set sg1b up
  ip -n $NSA addr add $IN_A4/32 dev lo
  ip -n $NSB addr add $IN_B4/32 dev lo
  wait_ping $NSA $B4
}

setup_nat() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSN
  ip netns add $NSB
  ip link add sg1a netns $NSA type veth peer name sg1na netns $NSN
  ip link add sg1nb netns $NSN type veth peer name sg1b netns $NSB
  local ns
  for ns in $NSA $NSN $NSB; do ip -n $ns link set lo up; done
  ip -n $NSA addr add $NA_A/24 dev sg1a
  ip -n $NSN addr add $NA_N/24 dev sg1na
  ip -n $NSN addr add $NB_N/24 dev sg1nb
  ip -n $NSB addr add $NB_B/24 dev sg1b
  ip -n $NSA link set sg1a up
  ip -n $NSN link set sg1na up
  ip -n $NSN link set sg1nb up
  ip -n $NSB link set sg1b up
  ip -n $NSA route add default via $NA_N
  # B knows no route to A's private network: it only ever sees N's address
  ip netns exec $NSN sysctl -q -w net.ipv4.ip_forward=1
  ip netns exec $NSN nft -f - <<EON
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "sg1nb" masquerade
  }
}
EON
  ip -n $NSA addr add $IN_A4/32 dev lo
  ip -n $NSB addr add $IN_B4/32 dev lo
  wait_ping $NSA $NB_B
}

# write_strongswan_conf DIR EXTRA   (EXTRA: lines inside charon { }; the default
# retransmission settings apply unless EXTRA sets retransmit_* itself)
write_strongswan_conf() {
  local d=$1 extra=${2:-} retrans="  retransmit_tries = 3
  retransmit_timeout = 2.0"
  case $extra in *retransmit_*) retrans="" ;; esac
  case $extra in *install_virtual_ip*) ;; *) extra="  install_virtual_ip = no
$extra" ;; esac
  mkdir -p "$d/run"
  cat > "$d/strongswan.conf" <<EOC
charon {
  load_modular = no
  # kernel-libipsec before kernel-netlink: ESP in user space over a TUN device;
  # kernel-netlink still does addresses and routes. IKEv1 is built into libcharon.
  load = random nonce aes sha1 sha2 md5 hmac gmp curve25519 gcm openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints attr xauth-generic kernel-libipsec kernel-netlink socket-default vici
$retrans
$extra
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
      enc = 1
      net = 2
      knl = 1
      cfg = 2
      esp = 1
      lib = 1
    }
  }
  syslog {
    identifier = charon-spiglass-ikev1
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

# write_swanctl DIR; parameters from variables:
#   C_LOCAL C_REMOTE C_IKE C_ESP C_LTS C_RTS C_MYID C_PEERID C_PSK C_DPD
#   C_AUTH (psk|pubkey) C_CERT C_KEY C_CA C_CONN_EXTRA C_CHILD_EXTRA
#   C_AUTH_SECTIONS (replaces the local/remote sections) C_SECRETS_EXTRA C_POOLS
write_swanctl() {
  local d=$1
  local auth_local auth_remote secrets="" sections
  if [ "${C_AUTH:-psk}" = pubkey ]; then
    # credentials in the swanctl directories next to swanctl.conf (loaded by --load-all)
    mkdir -p "$d/x509" "$d/x509ca" "$d/private"
    cp "$C_CERT" "$d/x509/"; cp "$C_KEY" "$d/private/"; cp "$C_CA" "$d/x509ca/"
    auth_local="auth = pubkey
      certs = $(basename "$C_CERT")"
    auth_remote="auth = pubkey"
  else
    auth_local="auth = psk"
    auth_remote="auth = psk"
    secrets="ike-spiglass {
    id-a = $C_MYID
    id-b = $C_PEERID
    secret = \"$C_PSK\"
  }"
  fi
  sections=${C_AUTH_SECTIONS:-"local {
      $auth_local
      id = $C_MYID
    }
    remote {
      $auth_remote
      id = $C_PEERID
    }"}
  cat > "$d/swanctl.conf" <<EOC
connections {
  spiglass {
    version = 1
    local_addrs = $C_LOCAL
    remote_addrs = $C_REMOTE
    proposals = $C_IKE
    # strongSwan's default lifetimes (they appear in the SA payloads as 15840 s for the
    # ISAKMP SA and 3960 s for the CHILD_SAs); nothing expires during a capture
    dpd_delay = ${C_DPD:-0}
    ${C_CONN_EXTRA:-}
    $sections
    children {
      net {
        mode = tunnel
        local_ts = $C_LTS
        remote_ts = $C_RTS
        esp_proposals = $C_ESP
        start_action = none
        ${C_CHILD_EXTRA:-}
      }
    }
  }
}
secrets {
  $secrets
  ${C_SECRETS_EXTRA:-}
}
${C_POOLS:-}
EOC
}

traffic() {  # both directions, inner addresses of the current case
  pings $NSA "$T_A" "$T_B"
  pings $NSB "$T_B" "$T_A"
}

# initiate from DIR: expected outcome ok|fail
initiate() {
  local d=$1 want=${2:-ok} rc=0
  swan "$d" --initiate --ike spiglass --child net --timeout 20 >>"$d/initiate.out" 2>&1 || rc=$?
  if [ "$want" = ok ] && [ $rc -ne 0 ]; then cat "$d/initiate.out" >&2; return 1; fi
  if [ "$want" = fail ] && [ $rc -eq 0 ]; then log "initiate unexpectedly succeeded"; return 1; fi
  return 0
}

list_sas() {  # DIR LABEL
  { echo "### $2"; swan "$1" --list-sas; } >>"$1/list-sas.out" 2>&1 || true
}

rekey_child() {  # DIR
  local before; before=$(sa_state "$1")
  swan "$1" --rekey --child net >>"$1/rekey.out" 2>&1
  wait_change "$1" "$before"
  sleep 0.3
}

terminate() {  # DIR
  swan "$1" --terminate --ike spiglass --timeout 10 >>"$1/terminate.out" 2>&1 || true
  sleep 0.5
}

# ---------------------------------------------------------------- case setup
# defaults for a two-host PSK case; a case function overrides what it needs
defaults() {
  IKE_A=""; IKE_B=""; ESP_A=""; ESP_B=""
  PSK_A=$PSK; PSK_B=$PSK
  AUTH=psk
  SS_A=""; SS_B=""            # extra strongswan.conf lines
  CONN_EXTRA=""; CHILD_EXTRA_A=""; CHILD_EXTRA_B=""
  DPD=0
  LTS_A=""; RTS_A=""; LTS_B=""; RTS_B=""
  CERT_A=""; KEY_A=""; CERT_B=""; KEY_B=""; CA=""
}

# prepare: namespaces, configs, tcpdump, charons (two-host topology)
prepare_2host() {
  setup_2ns
  local la=$A4 lb=$B4
  T_A=$IN_A4; T_B=$IN_B4
  : "${LTS_A:=10.201.1.0/24}" "${RTS_A:=10.201.2.0/24}" "${LTS_B:=10.201.2.0/24}" "${RTS_B:=10.201.1.0/24}"
  ADDR_A=$la; ADDR_B=$lb
  mkdir -p "$W/A" "$W/B"
  write_strongswan_conf "$W/A" "$SS_A"
  write_strongswan_conf "$W/B" "$SS_B"
  C_LOCAL=$la C_REMOTE=$lb C_IKE=$IKE_A C_ESP=$ESP_A C_LTS=$LTS_A C_RTS=$RTS_A \
    C_MYID=a@spiglass.test C_PEERID=b@spiglass.test C_PSK=$PSK_A C_AUTH=$AUTH C_DPD=$DPD \
    C_CERT=$CERT_A C_KEY=$KEY_A C_CA=$CA C_CONN_EXTRA=$CONN_EXTRA C_CHILD_EXTRA=$CHILD_EXTRA_A \
    write_swanctl "$W/A"
  C_LOCAL=$lb C_REMOTE=$la C_IKE=${IKE_B:-$IKE_A} C_ESP=${ESP_B:-$ESP_A} C_LTS=$LTS_B C_RTS=$RTS_B \
    C_MYID=b@spiglass.test C_PEERID=a@spiglass.test C_PSK=$PSK_B C_AUTH=$AUTH C_DPD=$DPD \
    C_CERT=$CERT_B C_KEY=$KEY_B C_CA=$CA C_CONN_EXTRA=$CONN_EXTRA C_CHILD_EXTRA=$CHILD_EXTRA_B \
    write_swanctl "$W/B"
  if [ "$AUTH" = pubkey ]; then
    sed -i 's/id = a@spiglass.test/id = a.spiglass.test/; s/id = b@spiglass.test/id = b.spiglass.test/' \
      "$W/A/swanctl.conf" "$W/B/swanctl.conf"
  fi
  start_tcpdump $NSA sg1a "$W/capture.pcap"
  start_charon $NSA "$W/A"; load_conf "$W/A"
  start_charon $NSB "$W/B"; load_conf "$W/B"
}

# ---------------------------------------------------------------- cases
case_main_psk() {
  DESC="Main Mode PSK, IKE aes128-sha256-modp2048, ESP aes128-sha1 (no PFS), DPD 1 s; Quick Mode rekey (delete_rekeyed), delete"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha1
  DPD=1s
  # send an Informational Delete for the rekeyed CHILD_SA right away (IKEv1 only)
  SS_A="  delete_rekeyed = yes"
  prepare_2host
  initiate "$W/A"; traffic
  sleep 2            # idle: DPD R-U-THERE / R-U-THERE-ACK (both sides, every second)
  rekey_child "$W/A"; traffic
  terminate "$W/A"
}

case_aggressive_psk() {
  DESC="Aggressive Mode PSK, IKE 3des-sha1-modp1024, ESP aes256-sha256"
  IKE_A=3des-sha1-modp1024; ESP_A=aes256-sha256
  CONN_EXTRA="aggressive = yes"
  # strongSwan refuses to answer Aggressive Mode with PSK unless told otherwise
  SS_B="  i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
  SS_A=$SS_B
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
}

make_certs() {  # DIR: CA + two RSA-2048 end-entity certificates (openssl)
  local d=$1 h
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 \
    -subj "/C=CH/O=Spiglass test/CN=Spiglass IKEv1 test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
  for h in a b; do
    openssl req -newkey rsa:2048 -nodes -keyout "$d/$h.key" -out "$d/$h.csr" \
      -subj "/C=CH/O=Spiglass test/CN=$h.spiglass.test" 2>/dev/null
    printf 'subjectAltName=DNS:%s.spiglass.test\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' "$h" >"$d/$h.ext"
    openssl x509 -req -in "$d/$h.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$d/$h.ext" -out "$d/$h.crt" 2>/dev/null
    rm -f "$d/$h.csr" "$d/$h.ext"
  done
  rm -f "$d/ca.srl"
}

case_main_cert_frag() {
  DESC="Main Mode RSA-2048 certificates, IKE aes256-sha256-modp2048, ESP aes128-sha256, fragmentation = force, fragment_size 512"
  IKE_A=aes256-sha256-modp2048; ESP_A=aes128-sha256
  AUTH=pubkey
  make_certs "$W/pki"
  CA=$W/pki/ca.crt
  CERT_A=$W/pki/a.crt; KEY_A=$W/pki/a.key
  CERT_B=$W/pki/b.crt; KEY_B=$W/pki/b.key
  CONN_EXTRA="fragmentation = force
    send_cert = always"
  SS_A="  fragment_size = 512"; SS_B=$SS_A
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
  mkdir -p "$W/out-extra/pki"
  cp "$W/pki/ca.crt" "$W/pki/a.crt" "$W/pki/b.crt" "$W/pki/ca.key" "$W/pki/a.key" "$W/pki/b.key" "$W/out-extra/pki/"
}

case_pfs() {
  DESC="Main Mode PSK, IKE aes256-sha1-modp2048 (Ka expanded from SKEYID_e), ESP aes128gcm16-modp2048 (PFS); Quick Mode rekey with PFS"
  IKE_A=aes256-sha1-modp2048; ESP_A=aes128gcm16-modp2048
  prepare_2host
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  terminate "$W/A"
}

case_nat() {
  DESC="A behind N (nftables masquerade), Main Mode PSK, IKE aes128-sha256-modp2048, ESP aes128-sha256; capture on B's link (and A's link)"
  setup_nat
  T_A=$IN_A4; T_B=$IN_B4
  ADDR_A=$NB_N; ADDR_B=$NB_B   # as seen in capture.pcap (B's side)
  mkdir -p "$W/A" "$W/B"
  write_strongswan_conf "$W/A" ""
  write_strongswan_conf "$W/B" ""
  C_LOCAL=$NA_A C_REMOTE=$NB_B C_IKE=aes128-sha256-modp2048 C_ESP=aes128-sha256 \
    C_LTS=10.201.1.0/24 C_RTS=10.201.2.0/24 C_MYID=a@spiglass.test C_PEERID=b@spiglass.test \
    C_PSK=$PSK C_AUTH=psk write_swanctl "$W/A"
  C_LOCAL=$NB_B C_REMOTE=%any C_IKE=aes128-sha256-modp2048 C_ESP=aes128-sha256 \
    C_LTS=10.201.2.0/24 C_RTS=10.201.1.0/24 C_MYID=b@spiglass.test C_PEERID=a@spiglass.test \
    C_PSK=$PSK C_AUTH=psk write_swanctl "$W/B"
  start_tcpdump $NSB sg1b "$W/capture.pcap"
  start_tcpdump $NSA sg1a "$W/capture-inside.pcap"
  start_charon $NSA "$W/A"; load_conf "$W/A"
  start_charon $NSB "$W/B"; load_conf "$W/B"
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_no_proposal() {
  DESC="A proposes aes128-sha256-modp2048, B accepts only aes256-sha512-modp3072 -> NO-PROPOSAL-CHOSEN"
  IKE_A=aes128-sha256-modp2048; IKE_B=aes256-sha512-modp3072; ESP_A=aes128-sha256
  SS_A="  retransmit_timeout = 0.5
  retransmit_tries = 1"
  prepare_2host
  initiate "$W/A" fail
  sleep 1
}

case_wrong_psk() {
  DESC="Main Mode, different PSKs -> message 5 does not decrypt at B"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  PSK_B="not-the-same-psk-as-A"
  SS_A="  retransmit_timeout = 0.5
  retransmit_tries = 1"
  prepare_2host
  initiate "$W/A" fail
  sleep 1.5
}

case_modecfg_xauth() {
  DESC="Main Mode PSK + XAUTH (xauth-generic) + Mode Config (virtual IP from a pool), IKE aes128-sha256-modp2048, ESP aes128-sha256"
  setup_2ns
  T_B=$IN_B4
  ADDR_A=$A4; ADDR_B=$B4
  mkdir -p "$W/A" "$W/B"
  # A is the XAUTH/Mode Config client: it installs the virtual IP (on libipsec's TUN device)
  write_strongswan_conf "$W/A" "  install_virtual_ip = yes"
  write_strongswan_conf "$W/B" ""
  C_LOCAL=$A4 C_REMOTE=$B4 C_IKE=aes128-sha256-modp2048 C_ESP=aes128-sha256 \
    C_LTS=dynamic C_RTS=10.201.2.0/24 C_MYID=a@spiglass.test C_PEERID=b@spiglass.test \
    C_PSK=$PSK C_AUTH=psk C_CONN_EXTRA="vips = 0.0.0.0" \
    C_AUTH_SECTIONS="local {
      auth = psk
      id = a@spiglass.test
    }
    local-xauth {
      auth = xauth
      xauth_id = $XAUTH_USER
    }
    remote {
      auth = psk
      id = b@spiglass.test
    }" \
    C_SECRETS_EXTRA="xauth-alice {
    id = $XAUTH_USER
    secret = \"$XAUTH_PASS\"
  }" write_swanctl "$W/A"
  C_LOCAL=$B4 C_REMOTE=$A4 C_IKE=aes128-sha256-modp2048 C_ESP=aes128-sha256 \
    C_LTS=10.201.2.0/24 C_RTS=dynamic C_MYID=b@spiglass.test C_PEERID=a@spiglass.test \
    C_PSK=$PSK C_AUTH=psk C_CONN_EXTRA="pools = vpool" \
    C_AUTH_SECTIONS="local {
      auth = psk
      id = b@spiglass.test
    }
    remote {
      auth = psk
      id = a@spiglass.test
    }
    remote-xauth {
      auth = xauth
      xauth_id = $XAUTH_USER
    }" \
    C_SECRETS_EXTRA="xauth-alice {
    id = $XAUTH_USER
    secret = \"$XAUTH_PASS\"
  }" \
    C_POOLS="pools {
  vpool {
    addrs = 10.201.9.0/28
  }
}" write_swanctl "$W/B"
  start_tcpdump $NSA sg1a "$W/capture.pcap"
  start_charon $NSA "$W/A"; load_conf "$W/A"
  start_charon $NSB "$W/B"; load_conf "$W/B"
  initiate "$W/A"
  # the virtual IP A got from B's pool
  T_A=$(swan "$W/A" --list-sas | sed -n 's/.*local.*\[\(.*\)\] \[\([0-9.]*\)\].*/\2/p' | head -n1)
  [ -n "$T_A" ] || T_A=$(ip -n $NSA -4 addr show | sed -n 's/.*inet \(10\.201\.9\.[0-9]*\)\/.*/\1/p' | head -n1)
  [ -n "$T_A" ] || { log "no virtual IP on A"; swan "$W/A" --list-sas >&2; ip -n $NSA addr >&2; return 1; }
  echo "$T_A" >"$W/vip"
  traffic
  terminate "$W/A"
}

# ---------------------------------------------------------------- driver
run_case() {
  local name=$1 fn
  fn=case_${name//-/_}
  W="$WORK/$name"; local OUT="$HERE/$name"
  rm -rf "$W"; mkdir -p "$W"
  defaults
  DESC=""
  log "=== $name"
  $fn
  list_sas "$W/A" "end"
  stop_tcpdumps
  teardown_ns

  rm -rf "$OUT"; mkdir -p "$OUT"
  cp "$W/capture.pcap" "$OUT/"
  [ -f "$W/capture-inside.pcap" ] && cp "$W/capture-inside.pcap" "$OUT/"
  cp "$W/A/charon.log" "$OUT/charon-A.log"
  [ -f "$W/B/charon.log" ] && cp "$W/B/charon.log" "$OUT/charon-B.log"
  [ -d "$W/out-extra" ] && cp -r "$W/out-extra/." "$OUT/"
  mkdir -p "$OUT/config"
  cp "$W/A/strongswan.conf" "$OUT/config/strongswan-A.conf"
  cp "$W/A/swanctl.conf" "$OUT/config/swanctl-A.conf"
  cp "$W/B/strongswan.conf" "$OUT/config/strongswan-B.conf"
  cp "$W/B/swanctl.conf" "$OUT/config/swanctl-B.conf"
  # configs use temp paths; make them readable as documentation
  sed -i "s#$W/##g" "$OUT"/config/*.conf
  local psks="$PSK_A"
  [ "$PSK_B" != "$PSK_A" ] && psks="$PSK_A,$PSK_B"
  nice python3 "$HERE/analyze.py" "$OUT" --case "$name" --addr-a "$ADDR_A" --addr-b "$ADDR_B" \
      --psk "$psks" --desc "$DESC" >"$W/analyze.out" 2>&1 || { cat "$W/analyze.out" >&2; return 1; }
  log "$name: $(tail -n1 "$W/analyze.out")"
}

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${ALL_CASES[@]}")
for c in "${selected[@]}"; do
  found=0; for k in "${ALL_CASES[@]}"; do [ "$k" = "$c" ] && found=1; done
  [ $found = 1 ] || { log "unknown case $c (known: ${ALL_CASES[*]})"; exit 2; }
done
for c in "${selected[@]}"; do
  run_case "$c"
done
# refresh the generated table in README.md from the case directories
if [ -f "$HERE/README.md" ]; then
  python3 "$HERE/analyze.py" --summary "$HERE" >"$WORK/table.md"
  python3 - "$HERE/README.md" "$WORK/table.md" <<'EOP'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
b, e = "<!-- BEGIN GENERATED TABLE -->", "<!-- END GENERATED TABLE -->"
if b in text and e in text:
    text = text[:text.index(b) + len(b)] + "\n" + table + text[text.index(e):]
    open(readme, "w").write(text)
EOP
fi
log "done"
