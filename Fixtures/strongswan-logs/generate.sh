#!/bin/bash
# Regenerate the strongSwan log-shape fixtures: real negotiations between two charons whose
# keys Spiglass must find in ONE side's log alone, in every shape a system writes that log.
#
# Requirements (Debian 12, run as root):
#   apt-get install strongswan-charon strongswan-swanctl charon-systemd libcharon-extra-plugins \
#       libstrongswan-extra-plugins libstrongswan-standard-plugins rsyslog systemd tcpdump \
#       iproute2 iputils-ping python3
#
# Each host logs the same run at once through several loggers (see write_strongswan_conf):
#   charon.log          filelog, time_format "%b %e %T", ike_name = yes, default 1, ike/chd 4
#                       (what an operator turns on to debug a tunnel; mgr stays at 1, so
#                       checkin lines with the IKE SPIs are NOT in it)
#   charon-plain.log    filelog without time_format and ike_name: the shape of
#                       `charon --debug-ike 4 --debug-chd 4` on stderr
#   charon-detail.log   filelog, ISO time with milliseconds (time_add_ms), log_level = yes,
#                       ike_name = yes, default 1, mgr/net 2, ike/chd 4
#   syslog.log          charon's syslog logger (ike_name = yes) through a real rsyslogd,
#                       RSYSLOG_TraditionalFileFormat ("Dec  6 17:43:02 host charon: 14[IKE] <…>")
#   syslog-rfc3339.log  the same messages, RSYSLOG_FileFormat (RFC 3339 high-precision time)
# and, for the `journal` case, charon-systemd logging to a real systemd-journald:
#   journal.txt         the journal logger's entries as `journalctl` prints them (message text
#                       only: no thread, no IKE_SA; hexdump rows indented under their message)
#   journal.json        the same entries as `journalctl -o json` (THREAD, GROUP, LEVEL,
#                       IKE_SA_UNIQUE_ID, IKE_SA_NAME fields)
#   journal-syslog.txt  charon-systemd's syslog logger (ike_name = yes) as journald stores it
#                       ("Dec 06 17:43:02 host charon-systemd[812]: 14[IKE] <spiglass|1> …")
#
# usage: generate.sh [case ...]   (default: all cases)
#        KEEP=1 generate.sh ...   keep the temp dir
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)

NSA=sglogA
NSB=sglogB
NAMESPACES=($NSA $NSB)
PIDS=()
A4=10.97.0.1; B4=10.97.0.2
# inner addresses (on lo): the first tunnel, and the second one of the `concurrent` case
IN_A=10.210.1.1; IN_B=10.210.2.1; IN_A2=10.210.3.1; IN_B2=10.210.4.1
PSK="spiglass-log-test-psk-not-secret"

ALL_CASES=(ikev2 ikev2-pfs ikev1 concurrent restart journal)

WORK=$(mktemp -d /tmp/spiglass-strongswan-logs.XXXXXX)
KEEP=${KEEP:-0}
MADE_DEVLOG=0
# shellcheck source=../lib/netns-charon.sh
. "$HERE/../lib/netns-charon.sh"

cleanup_extra() {
  if [ $MADE_DEVLOG = 1 ]; then rm -f /dev/log; fi
}

setup_2ns() {
  teardown_ns
  ip netns add $NSA
  ip netns add $NSB
  ip link add sglA netns $NSA type veth peer name sglB netns $NSB
  ip -n $NSA link set lo up
  ip -n $NSB link set lo up
  ip -n $NSA addr add $A4/24 dev sglA
  ip -n $NSB addr add $B4/24 dev sglB
  ip -n $NSA link set sglA up
  ip -n $NSB link set sglB up
  ip -n $NSA addr add $IN_A/32 dev lo
  ip -n $NSA addr add $IN_A2/32 dev lo
  ip -n $NSB addr add $IN_B/32 dev lo
  ip -n $NSB addr add $IN_B2/32 dev lo
  wait_ping $NSA $B4
}

# start_rsyslog DIR: an rsyslogd of this host's own, listening on DIR/devlog (bind-mounted over
# /dev/log in the charon's mount namespace) and writing both file formats
start_rsyslog() {
  local d=$1 i
  mkdir -p "$d/rsyslog"
  cat > "$d/rsyslog.conf" <<EOR
global(workDirectory="$d/rsyslog")
module(load="imuxsock" SysSock.Name="$d/devlog" SysSock.RateLimit.Interval="0")
*.* action(type="omfile" file="$d/syslog.log" template="RSYSLOG_TraditionalFileFormat")
*.* action(type="omfile" file="$d/syslog-rfc3339.log" template="RSYSLOG_FileFormat")
EOR
  rsyslogd -n -f "$d/rsyslog.conf" -i "$d/rsyslog/pid" >"$d/rsyslog.out" 2>&1 &
  PIDS+=($!)
  for i in $(seq 50); do [ -S "$d/devlog" ] && return 0; sleep 0.1; done
  log "rsyslogd for $d did not start"; cat "$d/rsyslog.out" >&2; return 1
}

# write_strongswan_conf DIR SECTION [EXTRA]: SECTION is charon or charon-systemd
write_strongswan_conf() {
  local d=$1 section=$2 extra=${3:-} append=${APPEND:-no} syslog_identifier="identifier = charon"
  # charon-systemd without an identifier logs as "charon-systemd", as on a systemd host
  [ "$section" = charon-systemd ] && syslog_identifier=""
  cat > "$d/strongswan.conf" <<EOC
$section {
  load_modular = no
  load = random nonce aes sha1 sha2 md5 hmac gmp curve25519 ctr ccm gcm chapoly xcbc cmac openssl kdf pem pkcs1 pkcs8 x509 pubkey constraints attr kernel-libipsec kernel-netlink socket-default vici
  install_virtual_ip = no
  retransmit_tries = 3
  retransmit_timeout = 2.0
$extra
  filelog {
    main {
      path = $d/charon.log
      time_format = %b %e %T
      ike_name = yes
      append = $append
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
    }
    plain {
      path = $d/charon-plain.log
      append = $append
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
    }
    detail {
      path = $d/charon-detail.log
      time_format = %Y-%m-%dT%H:%M:%S
      time_add_ms = yes
      log_level = yes
      ike_name = yes
      append = $append
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      mgr = 2
      net = 2
    }
  }
  syslog {
    $syslog_identifier
    daemon {
      ike_name = yes
      default = 1
      ike = 4
      chd = 4
    }
  }
  journal {
    default = 1
    ike = 4
    chd = 4
  }
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
  }
}
EOC
}

# write_swanctl DIR VERSION IKE ESP LOCAL REMOTE MYID PEERID LTS RTS [LTS2 RTS2]
# (the second selectors add a connection spiglass2 with child net2)
write_swanctl() {
  local d=$1 version=$2 ike=$3 esp=$4 local=$5 remote=$6 myid=$7 peerid=$8 lts=$9 rts=${10}
  local lts2=${11:-} rts2=${12:-} conn
  {
    echo "connections {"
    for conn in spiglass spiglass2; do
      local child=net l=$lts r=$rts me=$myid peer=$peerid
      if [ $conn = spiglass2 ]; then
        # identities of their own, so that each side picks this connection's config
        [ -n "$lts2" ] || continue
        child=net2; l=$lts2; r=$rts2; me=2$myid; peer=2$peerid
      fi
      cat <<EOC
  $conn {
    version = $version
    local_addrs = $local
    remote_addrs = $remote
    proposals = $ike
    rekey_time = 0
    reauth_time = 0
    dpd_delay = 0
    mobike = no
    local {
      auth = psk
      id = $me
    }
    remote {
      auth = psk
      id = $peer
    }
    children {
      $child {
        mode = tunnel
        local_ts = $l
        remote_ts = $r
        esp_proposals = $esp
        rekey_time = 0
        life_time = 0
        start_action = none
      }
    }
  }
EOC
    done
    cat <<EOC
}
secrets {
  ike-spiglass {
    id-a = $myid
    id-b = $peerid
    id-c = 2$myid
    id-d = 2$peerid
    secret = "$PSK"
  }
}
EOC
  } > "$d/swanctl.conf"
}

# prepare VERSION IKE ESP [SECOND_TUNNEL]: namespaces, rsyslog, configs, tcpdump, both charons
prepare() {
  local version=$1 ike=$2 esp=$3 second=${4:-no} h
  setup_2ns
  mkdir -p "$W/A" "$W/B"
  for h in A B; do
    write_strongswan_conf "$W/$h" charon
    start_rsyslog "$W/$h"
  done
  if [ "$second" = yes ]; then
    write_swanctl "$W/A" "$version" "$ike" "$esp" $A4 $B4 a@spiglass.test b@spiglass.test \
      10.210.1.0/24 10.210.2.0/24 10.210.3.0/24 10.210.4.0/24
    write_swanctl "$W/B" "$version" "$ike" "$esp" $B4 $A4 b@spiglass.test a@spiglass.test \
      10.210.2.0/24 10.210.1.0/24 10.210.4.0/24 10.210.3.0/24
  else
    write_swanctl "$W/A" "$version" "$ike" "$esp" $A4 $B4 a@spiglass.test b@spiglass.test 10.210.1.0/24 10.210.2.0/24
    write_swanctl "$W/B" "$version" "$ike" "$esp" $B4 $A4 b@spiglass.test a@spiglass.test 10.210.2.0/24 10.210.1.0/24
  fi
  start_tcpdump $NSA sglA "$W/capture.pcap"
  start_both
}

CHARON_A=""; CHARON_B=""
start_both() {
  [ -e /dev/log ] || { touch /dev/log; MADE_DEVLOG=1; }
  start_charon $NSA "$W/A" /usr/lib/ipsec/charon "$W/A/devlog:/dev/log"; CHARON_A=${PIDS[-1]}
  load_conf "$W/A"
  start_charon $NSB "$W/B" /usr/lib/ipsec/charon "$W/B/devlog:/dev/log"; CHARON_B=${PIDS[-1]}
  load_conf "$W/B"
}

initiate() {  # DIR [IKE CHILD]
  swan "$1" --initiate --ike "${2:-spiglass}" --child "${3:-net}" --timeout 20 >>"$1/initiate.out" 2>&1 || {
    cat "$1/initiate.out" >&2; return 1; }
}

traffic() {  # one tunnel: 2 pings each way
  pings $NSA "${1:-$IN_A}" "${2:-$IN_B}"
  pings $NSB "${2:-$IN_B}" "${1:-$IN_A}"
}

rekey_child() {  # DIR [CHILD]
  local before; before=$(sa_state "$1")
  swan "$1" --rekey --child "${2:-net}" >>"$1/rekey.out" 2>&1
  wait_change "$1" "$before" "${3:-}"
  sleep 0.3
}

rekey_ike() {  # DIR [--reauth]
  local before; before=$(sa_state "$1")
  swan "$1" --rekey --ike spiglass ${2:-} >>"$1/rekey.out" 2>&1
  wait_change "$1" "$before"
  sleep 0.5
}

terminate() {  # DIR [IKE]
  swan "$1" --terminate --ike "${2:-spiglass}" --timeout 10 >>"$1/terminate.out" 2>&1 || true
  sleep 0.5
}

# ---------------------------------------------------------------- cases
case_ikev2() {
  DESC="IKEv2 aes128-sha256-modp2048, ESP aes128-sha256 (no PFS): CHILD rekey by A and by B, IKE rekey by A and by B, reauthentication by A"
  prepare 2 aes128-sha256-modp2048 aes128-sha256
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  rekey_child "$W/B"; traffic
  rekey_ike "$W/A"; traffic
  rekey_ike "$W/B"; traffic
  rekey_ike "$W/A" --reauth; traffic
  terminate "$W/A"
}

case_ikev2_pfs() {
  DESC="IKEv2 aes256gcm16-prfsha384-ecp384, ESP aes128gcm16-ecp256 (PFS on rekeys): CHILD rekey by A and by B, IKE rekey by B"
  prepare 2 aes256gcm16-prfsha384-ecp384 aes128gcm16-ecp256
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  rekey_child "$W/B"; traffic
  rekey_ike "$W/B"; traffic
  terminate "$W/B"
}

case_ikev1() {
  DESC="IKEv1 Main Mode PSK aes128-sha256-modp2048, ESP aes128-sha256-modp2048 (PFS): Quick Mode rekey by A and by B, ISAKMP SA rekey by A"
  prepare 1 aes128-sha256-modp2048 aes128-sha256-modp2048
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  rekey_child "$W/B"; traffic
  rekey_ike "$W/A"; traffic
  terminate "$W/A"
}

case_concurrent() {
  DESC="two IKEv2 SAs negotiated at the same moment (A initiates spiglass, B initiates spiglass2), both CHILD_SAs rekeyed at once"
  prepare 2 aes128-sha256-modp2048 aes128gcm16 yes
  initiate "$W/A" spiglass net & local p1=$!
  initiate "$W/B" spiglass2 net2 & local p2=$!
  wait $p1; wait $p2
  traffic; traffic $IN_A2 $IN_B2
  swan "$W/A" --rekey --child net >>"$W/A/rekey.out" 2>&1 & p1=$!
  swan "$W/B" --rekey --child net2 >>"$W/B/rekey.out" 2>&1 & p2=$!
  wait $p1; wait $p2
  sleep 1
  traffic; traffic $IN_A2 $IN_B2
  terminate "$W/A" spiglass
  terminate "$W/B" spiglass2
}

case_restart() {
  DESC="logs appended over two daemon runs (IKE_SA unique ids start again at 1): establish, ping, terminate, restart both charons, establish, ping, CHILD rekey, ping, terminate"
  APPEND=yes
  prepare 2 aes128-sha256-modp2048 aes128-sha256
  initiate "$W/A"; traffic
  terminate "$W/A"
  stop_charon "$W/A" "$CHARON_A"
  stop_charon "$W/B" "$CHARON_B"
  start_both
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  terminate "$W/A"
  APPEND=no
}

case_journal() {
  DESC="charon-systemd logging to systemd-journald (no thread or IKE_SA in the message text): IKEv2, CHILD rekey by A, IKE rekey by B"
  setup_2ns
  mkdir -p "$W/A" "$W/B"
  local h ns pid
  for h in A B; do
    write_strongswan_conf "$W/$h" charon-systemd
    mkdir -p "$W/$h/run" "$W/$h/machine"
    printf '%032x\n' $(( 0x5a1 + $(printf '%d' "'$h") )) >"$W/$h/machine/machine-id"
  done
  write_swanctl "$W/A" 2 aes128-sha256-modp2048 aes128-sha256 $A4 $B4 a@spiglass.test b@spiglass.test 10.210.1.0/24 10.210.2.0/24
  write_swanctl "$W/B" 2 aes128-sha256-modp2048 aes128-sha256 $B4 $A4 b@spiglass.test a@spiglass.test 10.210.2.0/24 10.210.1.0/24
  start_tcpdump $NSA sglA "$W/capture.pcap"
  for h in A B; do
    ns=$NSA; [ $h = B ] && ns=$NSB
    # journald and charon-systemd share one mount namespace with a private /run (sockets and
    # the volatile journal), machine-id and /dev/log (journald's, as on a systemd host, so the
    # syslog logger's lines reach the journal too). journald stays in the root network
    # namespace (its sockets are paths); charon-systemd enters the test host's namespace
    # through a handle bound before /run is replaced.
    [ -e /dev/log ] || { touch /dev/log; MADE_DEVLOG=1; }
    touch "$W/$h/netns"
    unshare -m sh -c "
      mount --bind /run/netns/$ns '$W/$h/netns' && mount --bind '$W/$h/run' /run &&
      mount --bind '$W/$h/machine/machine-id' /etc/machine-id && mkdir -p /run/systemd/journal &&
      { /lib/systemd/systemd-journald >'$W/$h/journald.out' 2>&1 & } &&
      for i in \$(seq 50); do [ -S /run/systemd/journal/dev-log ] && break; sleep 0.1; done &&
      mount --bind /run/systemd/journal/dev-log /dev/log &&
      STRONGSWAN_CONF='$W/$h/strongswan.conf' exec nsenter --net='$W/$h/netns' /usr/sbin/charon-systemd" \
      >>"$W/$h/charon.stdout" 2>&1 &
    PIDS+=($!)
  done
  for h in A B; do
    for pid in $(seq 80); do [ -S "$W/$h/charon.vici" ] && break; sleep 0.1; done
    load_conf "$W/$h"
  done
  initiate "$W/A"; traffic
  rekey_child "$W/A"; traffic
  rekey_ike "$W/B"; traffic
  terminate "$W/A"
  for h in A B; do
    # the journal logger's entries (message text only; thread and IKE_SA in fields), as
    # `journalctl -u strongswan` prints them and as JSON; then the syslog logger's lines
    journalctl -D "$W/$h/run/log/journal" --no-pager _COMM=charon-systemd _TRANSPORT=journal >"$W/$h/journal.txt"
    journalctl -D "$W/$h/run/log/journal" --no-pager -o json _COMM=charon-systemd _TRANSPORT=journal >"$W/$h/journal.json"
    journalctl -D "$W/$h/run/log/journal" --no-pager _COMM=charon-systemd _TRANSPORT=syslog >"$W/$h/journal-syslog.txt"
  done
}

# ---------------------------------------------------------------- driver
run_case() {
  local name=$1 fn h f
  fn=case_${name//-/_}
  W="$WORK/$name"; local OUT="$HERE/$name"
  rm -rf "$W"; mkdir -p "$W"
  log "=== $name"
  $fn
  stop_tcpdumps
  teardown_ns
  rm -rf "$OUT"; mkdir -p "$OUT/config"
  cp "$W/capture.pcap" "$OUT/"
  for h in A B; do
    mkdir -p "$OUT/$h"
    for f in charon.log charon-plain.log charon-detail.log syslog.log syslog-rfc3339.log journal.txt journal.json journal-syslog.txt; do
      [ -s "$W/$h/$f" ] && cp "$W/$h/$f" "$OUT/$h/$f"
    done
    cp "$W/$h/strongswan.conf" "$OUT/config/strongswan-$h.conf"
    cp "$W/$h/swanctl.conf" "$OUT/config/swanctl-$h.conf"
  done
  sed -i "s#$W/##g" "$OUT"/config/*.conf
  echo "$DESC" >"$OUT/DESCRIPTION"
  chmod 600 "$OUT"/A/* "$OUT"/B/*
  log "$name: $(ls "$OUT/A" | tr '\n' ' ')"
}

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${ALL_CASES[@]}")
for c in "${selected[@]}"; do
  found=0; for k in "${ALL_CASES[@]}"; do [ "$k" = "$c" ] && found=1; done
  [ $found = 1 ] || { log "unknown case $c (known: ${ALL_CASES[*]})"; exit 2; }
done
for c in "${selected[@]}"; do run_case "$c"; done
log "done"
