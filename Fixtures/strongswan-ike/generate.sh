#!/bin/bash
# Regenerate the strongSwan IKEv2 fixtures (rekeys, PFS, AEAD/XCBC/CMAC IKE SAs,
# fragmentation, NAT, and failure cases) for Spiglass.
#
# Requirements (Debian 12, run as root):
#   apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins \
#       libstrongswan-extra-plugins libstrongswan-standard-plugins tcpdump tshark \
#       iproute2 iputils-ping nftables openssl python3 python3-cryptography
#
# Each case runs two (nat: three) network namespaces joined by veth pairs, one
# charon per host (own strongswan.conf via STRONGSWAN_CONF, own vici socket,
# private /run), ESP in user space (kernel-libipsec; always ESP-in-UDP 4500).
# tcpdump captures on a veth; charon logs IKE and CHILD_SA keys at level 4.
# analyze.py then writes the key tables, tshark's view and the expected story.
#
# usage: generate.sh [case ...]     (default: all cases)
#        KEEP=1 generate.sh ...     keep the temp dir (configs, full logs)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
# namespace names: override (SG_NS_PREFIX=wt26e) when others run the script at the same time
NSA=${SG_NS_PREFIX:-sgike}A
NSB=${SG_NS_PREFIX:-sgike}B
NSN=${SG_NS_PREFIX:-sgike}N
# two-host topology: A (sgiA) <-> (sgiB) B
A4=10.98.0.1;   B4=10.98.0.2
A6=fd00:98::1;  B6=fd00:98::2
# nat topology: A (sgiA) <-> (sgiNa) N (sgiNb) <-> (sgiB) B, N masquerades A
NA_A=10.98.1.1; NA_N=10.98.1.254; NB_N=10.98.2.254; NB_B=10.98.2.2
# inner addresses (on lo) and traffic selectors
IN_A4=10.200.1.1;  IN_B4=10.200.2.1
IN_A6=fd00:201::1; IN_B6=fd00:202::1
PSK="spiglass-ike-test-psk-not-secret"

ALL_CASES=(rekey-cbc-sha256 pfs-gcm chacha20 ccm ctr-xcbc cmac fragmentation nat
           no-proposal wrong-psk ts-unacceptable invalid-ke cookie no-response ipv6
           child-no-proposal cp-narrow)

WORK=$(mktemp -d /tmp/spiglass-strongswan-ike.XXXXXX)
KEEP=${KEEP:-0}
PIDS=()
NAMESPACES=($NSA $NSB $NSN)
# shellcheck source=../lib/netns-charon.sh
. "$HERE/../lib/netns-charon.sh"


setup_2ns() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSB
  ip link add sgiA netns $NSA type veth peer name sgiB netns $NSB
  local ns
  for ns in $NSA $NSB; do ip -n $ns link set lo up; done
  ip -n $NSA addr add $A4/24 dev sgiA
  ip -n $NSB addr add $B4/24 dev sgiB
  ip -n $NSA addr add $A6/64 dev sgiA nodad
  ip -n $NSB addr add $B6/64 dev sgiB nodad
  ip -n $NSA link set sgiA up
  ip -n $NSB link set sgiB up
  ip -n $NSA addr add $IN_A4/32 dev lo
  ip -n $NSB addr add $IN_B4/32 dev lo
  ip -n $NSA addr add $IN_A6/128 dev lo nodad
  ip -n $NSB addr add $IN_B6/128 dev lo nodad
  wait_ping $NSA $B4
  wait_ping $NSA -6 $B6
}

setup_nat() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSN
  ip netns add $NSB
  ip link add sgiA netns $NSA type veth peer name sgiNa netns $NSN
  ip link add sgiNb netns $NSN type veth peer name sgiB netns $NSB
  local ns
  for ns in $NSA $NSN $NSB; do ip -n $ns link set lo up; done
  ip -n $NSA addr add $NA_A/24 dev sgiA
  ip -n $NSN addr add $NA_N/24 dev sgiNa
  ip -n $NSN addr add $NB_N/24 dev sgiNb
  ip -n $NSB addr add $NB_B/24 dev sgiB
  ip -n $NSA link set sgiA up
  ip -n $NSN link set sgiNa up
  ip -n $NSN link set sgiNb up
  ip -n $NSB link set sgiB up
  ip -n $NSA route add default via $NA_N
  # B knows no route to A's private network: it only ever sees N's address
  ip netns exec $NSN sysctl -q -w net.ipv4.ip_forward=1
  ip netns exec $NSN nft -f - <<EON
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "sgiNb" masquerade
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
  mkdir -p "$d/run"
  cat > "$d/strongswan.conf" <<EOC
charon {
  load_modular = no
  # kernel-libipsec before kernel-netlink: ESP in user space over a TUN device;
  # kernel-netlink still does addresses and routes.
  load = random nonce aes sha1 sha2 md5 hmac gmp curve25519 ctr ccm gcm chapoly xcbc cmac openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-libipsec kernel-netlink socket-default vici
  install_virtual_ip = no
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
      net = 2
      knl = 1
      cfg = 2
      esp = 1
      lib = 1
    }
  }
  syslog {
    identifier = charon-spiglass-ike
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
#   C_LOCAL C_REMOTE C_IKE C_ESP C_LTS C_RTS C_MYID C_PEERID C_PSK
#   C_AUTH (psk|pubkey) C_CERT C_KEY C_CA C_CONN_EXTRA C_CHILD_EXTRA C_MORE
#   C_TOP (top-level sections after secrets, e.g. pools)
write_swanctl() {
  local d=$1
  local auth_local auth_remote secrets=""
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
  cat > "$d/swanctl.conf" <<EOC
connections {
  spiglass {
    version = 2
    local_addrs = $C_LOCAL
    remote_addrs = $C_REMOTE
    proposals = $C_IKE
    rekey_time = 0
    reauth_time = 0
    dpd_delay = 0
    mobike = no
    ${C_CONN_EXTRA:-}
    local {
      $auth_local
      id = $C_MYID
    }
    remote {
      $auth_remote
      id = $C_PEERID
    }
    children {
      net {
        mode = tunnel
        local_ts = $C_LTS
        remote_ts = $C_RTS
        esp_proposals = $C_ESP
        rekey_time = 0
        life_time = 0
        start_action = none
        ${C_CHILD_EXTRA:-}
      }
    }
  }
  ${C_MORE:-}
}
secrets {
  $secrets
}
${C_TOP:-}
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

rekey_ike() {  # DIR
  local before; before=$(sa_state "$1")
  swan "$1" --rekey --ike spiglass >>"$1/rekey.out" 2>&1
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
  FAM=4
  IKE_A=""; IKE_B=""; ESP_A=""; ESP_B=""
  PSK_A=$PSK; PSK_B=$PSK
  AUTH=psk
  SS_A=""; SS_B=""            # extra strongswan.conf lines
  CONN_EXTRA=""; CONN_EXTRA_A=""; CONN_EXTRA_B=""; CHILD_EXTRA_A=""; CHILD_EXTRA_B=""; TOP_B=""
  LTS_A=""; RTS_A=""; LTS_B=""; RTS_B=""
  MORE_B=""
  CERT_A=""; KEY_A=""; CERT_B=""; KEY_B=""; CA=""
  START_B=1
}

# prepare: namespaces, configs, tcpdump, charons (two-host topology)
prepare_2host() {
  setup_2ns
  local la lb
  if [ "$FAM" = 6 ]; then la=$A6; lb=$B6; T_A=$IN_A6; T_B=$IN_B6
    : "${LTS_A:=fd00:201::/64}" "${RTS_A:=fd00:202::/64}" "${LTS_B:=fd00:202::/64}" "${RTS_B:=fd00:201::/64}"
  else la=$A4; lb=$B4; T_A=$IN_A4; T_B=$IN_B4
    : "${LTS_A:=10.200.1.0/24}" "${RTS_A:=10.200.2.0/24}" "${LTS_B:=10.200.2.0/24}" "${RTS_B:=10.200.1.0/24}"
  fi
  ADDR_A=$la; ADDR_B=$lb
  mkdir -p "$W/A" "$W/B"
  write_strongswan_conf "$W/A" "$SS_A"
  write_strongswan_conf "$W/B" "$SS_B"
  C_LOCAL=$la C_REMOTE=$lb C_IKE=$IKE_A C_ESP=$ESP_A C_LTS=$LTS_A C_RTS=$RTS_A \
    C_MYID=a@spiglass.test C_PEERID=b@spiglass.test C_PSK=$PSK_A C_AUTH=$AUTH \
    C_CERT=$CERT_A C_KEY=$KEY_A C_CA=$CA C_CONN_EXTRA="$CONN_EXTRA $CONN_EXTRA_A" C_CHILD_EXTRA=$CHILD_EXTRA_A \
    C_MORE="" C_TOP="" write_swanctl "$W/A"
  C_LOCAL=$lb C_REMOTE=$la C_IKE=${IKE_B:-$IKE_A} C_ESP=${ESP_B:-$ESP_A} C_LTS=$LTS_B C_RTS=$RTS_B \
    C_MYID=b@spiglass.test C_PEERID=a@spiglass.test C_PSK=$PSK_B C_AUTH=$AUTH \
    C_CERT=$CERT_B C_KEY=$KEY_B C_CA=$CA C_CONN_EXTRA="$CONN_EXTRA $CONN_EXTRA_B" C_CHILD_EXTRA=$CHILD_EXTRA_B \
    C_MORE=$MORE_B C_TOP="$TOP_B" write_swanctl "$W/B"
  if [ "$AUTH" = pubkey ]; then
    sed -i 's/id = a@spiglass.test/id = a.spiglass.test/; s/id = b@spiglass.test/id = b.spiglass.test/' \
      "$W/A/swanctl.conf" "$W/B/swanctl.conf"
  fi
  start_tcpdump $NSA sgiA "$W/capture.pcap"
  start_charon $NSA "$W/A"
  load_conf "$W/A"
  if [ "$START_B" = 1 ]; then
    start_charon $NSB "$W/B"
    load_conf "$W/B"
  fi
}

# ---------------------------------------------------------------- cases
case_rekey_cbc_sha256() {
  DESC="IKE aes128-sha256-modp2048, ESP aes128-sha256 (no PFS); CHILD rekey, IKE rekey, delete"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  prepare_2host
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  rekey_ike "$W/A"; traffic
  terminate "$W/A"
}

case_pfs_gcm() {
  DESC="IKE aes256gcm16-prfsha384-ecp384, ESP aes128gcm16-ecp256 (PFS on the rekey)"
  IKE_A=aes256gcm16-prfsha384-ecp384; ESP_A=aes128gcm16-ecp256
  prepare_2host
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  terminate "$W/A"
}

case_chacha20() {
  DESC="IKE chacha20poly1305-prfsha256-curve25519, ESP chacha20poly1305"
  IKE_A=chacha20poly1305-prfsha256-curve25519; ESP_A=chacha20poly1305
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_ccm() {
  DESC="IKE aes128ccm16-prfsha256-ecp256, ESP ${CCM_ESP:-aes128ccm16}"
  IKE_A=aes128ccm16-prfsha256-ecp256; ESP_A=${CCM_ESP:-aes128ccm16}
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_ctr_xcbc() {
  DESC="IKE aes128ctr-aesxcbc-prfaesxcbc-modp2048, ESP ${XCBC_ESP:-aes128-aesxcbc}"
  IKE_A=aes128ctr-aesxcbc-prfaesxcbc-modp2048; ESP_A=${XCBC_ESP:-aes128-aesxcbc}
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_cmac() {
  DESC="IKE aes256-aescmac-prfaescmac-modp2048, ESP aes256-sha256"
  IKE_A=aes256-aescmac-prfaescmac-modp2048; ESP_A=aes256-sha256
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
}

make_certs() {  # DIR: CA + two RSA-3072 end-entity certificates (openssl)
  local d=$1 h
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:3072 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 \
    -subj "/C=CH/O=Spiglass test/CN=Spiglass test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
  for h in a b; do
    openssl req -newkey rsa:3072 -nodes -keyout "$d/$h.key" -out "$d/$h.csr" \
      -subj "/C=CH/O=Spiglass test/CN=$h.spiglass.test" 2>/dev/null
    printf 'subjectAltName=DNS:%s.spiglass.test\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' "$h" >"$d/$h.ext"
    openssl x509 -req -in "$d/$h.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$d/$h.ext" -out "$d/$h.crt" 2>/dev/null
    rm -f "$d/$h.csr" "$d/$h.ext"
  done
  rm -f "$d/ca.srl"
}

case_fragmentation() {
  DESC="certificate auth (RSA-3072), IKE aes256-sha256-modp2048, fragment_size 576 -> SKF"
  IKE_A=aes256-sha256-modp2048; ESP_A=aes256-sha256
  AUTH=pubkey
  make_certs "$W/pki"
  CA=$W/pki/ca.crt
  CERT_A=$W/pki/a.crt; KEY_A=$W/pki/a.key
  CERT_B=$W/pki/b.crt; KEY_B=$W/pki/b.key
  CONN_EXTRA="fragmentation = yes
    send_cert = always"
  SS_A="  fragment_size = 576"; SS_B=$SS_A
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
  mkdir -p "$W/out-extra/pki"
  cp "$W/pki/ca.crt" "$W/pki/a.crt" "$W/pki/b.crt" "$W/pki/ca.key" "$W/pki/a.key" "$W/pki/b.key" "$W/out-extra/pki/"
}

case_nat() {
  DESC="A behind N (nftables masquerade); capture on B's link (and A's link)"
  setup_nat
  T_A=$IN_A4; T_B=$IN_B4
  ADDR_A=$NB_N; ADDR_B=$NB_B   # as seen in capture.pcap (B's side)
  mkdir -p "$W/A" "$W/B"
  write_strongswan_conf "$W/A" ""
  write_strongswan_conf "$W/B" ""
  C_LOCAL=$NA_A C_REMOTE=$NB_B C_IKE=aes128-sha256-modp2048 C_ESP=aes128gcm16 \
    C_LTS=10.200.1.0/24 C_RTS=10.200.2.0/24 C_MYID=a@spiglass.test C_PEERID=b@spiglass.test \
    C_PSK=$PSK C_AUTH=psk write_swanctl "$W/A"
  C_LOCAL=$NB_B C_REMOTE=%any C_IKE=aes128-sha256-modp2048 C_ESP=aes128gcm16 \
    C_LTS=10.200.2.0/24 C_RTS=10.200.1.0/24 C_MYID=b@spiglass.test C_PEERID=a@spiglass.test \
    C_PSK=$PSK C_AUTH=psk write_swanctl "$W/B"
  start_tcpdump $NSB sgiB "$W/capture.pcap"
  start_tcpdump $NSA sgiA "$W/capture-inside.pcap"
  start_charon $NSA "$W/A"; load_conf "$W/A"
  start_charon $NSB "$W/B"; load_conf "$W/B"
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_no_proposal() {
  DESC="A proposes aes128-sha256-modp2048, B accepts only aes256-sha512-ecp521 -> NO_PROPOSAL_CHOSEN"
  IKE_A=aes128-sha256-modp2048; IKE_B=aes256-sha512-ecp521; ESP_A=aes128-sha256
  SS_A="  retransmit_timeout = 0.5
  retransmit_tries = 1"
  prepare_2host
  initiate "$W/A" fail
  sleep 1
}

case_wrong_psk() {
  DESC="different PSKs -> AUTHENTICATION_FAILED"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  PSK_B="not-the-same-psk-as-A"
  SS_A="  retransmit_timeout = 0.5
  retransmit_tries = 1"
  prepare_2host
  initiate "$W/A" fail
  sleep 1
}

case_ts_unacceptable() {
  DESC="CHILD_SA in IKE_AUTH refused: A wants 10.200.1.0/24===10.200.2.0/24, B allows 10.201.0.0/24 locally"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  LTS_B=10.201.0.0/24
  prepare_2host
  initiate "$W/A" fail
  sleep 1
  list_sas "$W/A" "after IKE_AUTH"
  terminate "$W/A"
}

case_child_no_proposal() {
  DESC="CHILD_SA in IKE_AUTH refused: A offers ESP aes128-sha256, B accepts only aes256gcm16 -> NO_PROPOSAL_CHOSEN, IKE SA kept"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256; ESP_B=aes256gcm16
  prepare_2host
  initiate "$W/A" fail
  sleep 1
  list_sas "$W/A" "after IKE_AUTH"
  terminate "$W/A"
}

case_cp_narrow() {
  DESC="A asks for a virtual IP (CP CFG_REQUEST), B assigns one from a pool with a DNS server (CFG_REPLY); A proposes TSi 10.200.0.0/16, B narrows it to 10.200.1.0/24"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  LTS_A=10.200.0.0/16
  CONN_EXTRA_A="vips = 0.0.0.0"
  CONN_EXTRA_B="pools = spiglass-pool"
  TOP_B="pools {
  spiglass-pool {
    addrs = 10.203.0.0/24
    dns = 10.203.0.53
  }
}"
  prepare_2host
  initiate "$W/A"
  list_sas "$W/A" "after IKE_AUTH"
  terminate "$W/A"
}

case_invalid_ke() {
  DESC="A: aes128-sha256-modp2048-ecp256 (KE modp2048), B: aes128-sha256-ecp256 -> INVALID_KE_PAYLOAD, retry with ecp256"
  IKE_A=aes128-sha256-modp2048-ecp256; IKE_B=aes128-sha256-ecp256; ESP_A=aes128-sha256
  prepare_2host
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_cookie() {
  DESC="B demands a COOKIE (cookie_threshold = 1, one half-open IKE_SA on B)"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  SS_B="  cookie_threshold = 1
  block_threshold = 100"
  # a second connection on B that only accepts IKE_SA_INIT over loopback: the
  # primer (prime_half_open.py) leaves one half-open responder IKE_SA there, so
  # B's half-open count is 1 when A's IKE_SA_INIT arrives.  None of this
  # traffic leaves B's namespace, so it is not in the capture.
  MORE_B="prime {
    version = 2
    local_addrs = 127.0.0.1
    remote_addrs = 127.0.0.1
    proposals = aes128-sha256-curve25519
    local { auth = psk }
    remote { auth = psk }
  }"
  prepare_2host
  ip netns exec $NSB python3 "$HERE/prime_half_open.py" 127.0.0.1 >"$W/prime.out" 2>&1 || {
    cat "$W/prime.out" >&2; return 1; }
  initiate "$W/A"; traffic
  terminate "$W/A"
}

case_no_response() {
  DESC="only A runs; B drops UDP 500/4500 (nftables); A retransmits IKE_SA_INIT and gives up"
  IKE_A=aes128-sha256-modp2048; ESP_A=aes128-sha256
  SS_A="  retransmit_timeout = 0.5
  retransmit_base = 1.5
  retransmit_tries = 3"
  START_B=0
  prepare_2host
  ip netns exec $NSB nft -f - <<EON
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    udp dport { 500, 4500 } drop
  }
}
EON
  initiate "$W/A" fail
  sleep 1
}

case_ipv6() {
  DESC="outer IPv6, IKE aes256-sha384-ecp256, ESP aes256gcm16; CHILD rekey initiated by B (the IKE responder)"
  FAM=6
  IKE_A=aes256-sha384-ecp256; ESP_A=aes256gcm16
  prepare_2host
  initiate "$W/A"; traffic
  rekey_child "$W/B"; traffic
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
  if [ -f "$W/B/swanctl.conf" ]; then
    cp "$W/B/strongswan.conf" "$OUT/config/strongswan-B.conf"
    cp "$W/B/swanctl.conf" "$OUT/config/swanctl-B.conf"
  fi
  # configs use temp paths; make them readable as documentation
  sed -i "s#$W/##g" "$OUT"/config/*.conf
  python3 "$HERE/analyze.py" "$OUT" --case "$name" --addr-a "$ADDR_A" --addr-b "$ADDR_B" \
      --desc "$DESC" >"$W/analyze.out" 2>&1 || { cat "$W/analyze.out" >&2; return 1; }
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
log "done"
