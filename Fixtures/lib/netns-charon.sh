# Shared shell helpers for the fixture generators that run strongSwan charons in network
# namespaces (sourced, not run). The sourcing script sets, before sourcing:
#   NAMESPACES  the namespaces it creates (teardown removes them)
#   PIDS        an array (empty at start) of background processes to stop at teardown
#   WORK        its scratch directory (removed at exit unless KEEP=1)
# may define cleanup_extra (run at exit after the teardown), and sets W (the current case's
# work directory) before calling the pings/traffic helpers.

log() { echo "[generate] $*" >&2; }

forget_pid() {  # drop an already reaped pid from PIDS
  local p keep=()
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && [ "$p" != "$1" ] && keep+=("$p"); done
  PIDS=("${keep[@]:-}")
}

stop_pids() {  # SIGTERM every process in PIDS, SIGKILL what is left after 3 s
  local p i alive
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for i in $(seq 30); do
    alive=0
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  PIDS=()
}

teardown_ns() {
  local ns
  stop_pids
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

wait_ping() {  # NS ARGS...
  local ns=$1 i; shift
  for i in $(seq 30); do
    ip netns exec "$ns" ping -c1 -W1 "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "no connectivity: $ns ping $*"; return 1
}

# start_charon NS DIR [BINARY [BIND...]]: charon with DIR/strongswan.conf, a private /run (for its
# pid file) and, for each BIND "SRC:DST", SRC bind-mounted over DST inside its mount namespace.
start_charon() {
  local ns=$1 d=$2 bin=${3:-/usr/lib/ipsec/charon} b i
  local mounts="mount --bind '$d/run' /run"
  shift 3 2>/dev/null || shift $#
  for b in "$@"; do mounts="$mounts && mount --bind '${b%%:*}' '${b#*:}'"; done
  mkdir -p "$d/run"
  ip netns exec "$ns" sh -c "$mounts && STRONGSWAN_CONF='$d/strongswan.conf' exec $bin" >>"$d/charon.stdout" 2>&1 &
  PIDS+=($!)
  for i in $(seq 80); do
    [ -S "$d/charon.vici" ] && return 0
    sleep 0.1
  done
  log "charon in $ns did not create its vici socket"; cat "$d/charon.stdout" >&2 || true
  return 1
}

# stop_charon DIR PID: SIGTERM one charon and wait for it (its vici socket goes away)
stop_charon() {
  local d=$1 p=$2
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  forget_pid "$p"
  rm -f "$d/charon.vici"
}

swan() {  # DIR args...
  local d=$1; shift
  swanctl "$@" --uri "unix://$d/charon.vici"
}

load_conf() {  # DIR
  swan "$1" --load-all --noprompt --file "$1/swanctl.conf" >>"$1/swanctl.out" 2>&1 || {
    cat "$1/swanctl.out" >&2; return 1; }
}

TCPDUMPS=()
start_tcpdump() {  # NS IFACE FILE [FILTER]
  local ns=$1 ifc=$2 f=$3 i
  local filter=${4:-'udp port 500 or udp port 4500 or ip proto 50 or ip6 proto 50'}
  ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode -s 0 -w "$f" "$filter" 2>"$f.err" &
  local p=$!
  PIDS+=($p); TCPDUMPS+=("$p:$f")
  for i in $(seq 50); do grep -qs listening "$f.err" && return 0; sleep 0.1; done
  log "tcpdump on $ns/$ifc did not start"; return 1
}

stop_tcpdumps() {  # stop every tcpdump; fail if one lost packets
  local e p f cap rcv
  sleep 0.5
  for e in "${TCPDUMPS[@]}"; do
    p=${e%%:*}; f=${e#*:}
    kill -INT "$p"; wait "$p" || true
    forget_pid "$p"
    cap=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$f.err")
    rcv=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$f.err")
    if [ "$cap" != "$rcv" ]; then
      log "tcpdump lost packets on $f ($cap captured, $rcv received by filter)"; return 1
    fi
  done
  TCPDUMPS=()
}

# pings NS SRC DST [COUNT]: a few echo requests through the tunnel
pings() {
  local ns=$1 src=$2 dst=$3 n=${4:-2} fam=""
  case $dst in *:*) fam=-6 ;; esac
  ip netns exec "$ns" ping $fam -q -c "$n" -i 0.2 -W 2 -I "$src" "$dst" >>"$W/ping.out" 2>&1 || {
    log "ping $src -> $dst failed"; cat "$W/ping.out" >&2; return 1; }
}

# sa_state DIR: "<ESTABLISHED IKE_SA ids>/<INSTALLED CHILD_SA ids>", e.g. "1/1" or "2,3/4,5"
sa_state() {
  swan "$1" --list-sas 2>/dev/null | awk '
    /^[^ ].*: #[0-9]+, ESTABLISHED,/ { sub(/,.*/, "", $2); ike = ike (ike ? "," : "") substr($2, 2) }
    /^  [^ ].*: #[0-9]+, reqid [0-9]+, INSTALLED,/ { sub(/,.*/, "", $2); ch = ch (ch ? "," : "") substr($2, 2) }
    END { print ike "/" ch }'
}

# wait_change DIR BEFORE [PATTERN]: until the SA set of DIR differs from BEFORE and matches
# PATTERN (default: one IKE SA and one CHILD_SA)
wait_change() {
  local d=$1 before=$2 pattern=${3:-'^[0-9]+/[0-9]+$'} i st
  for i in $(seq 150); do
    st=$(sa_state "$d")
    if [ "$st" != "$before" ] && [[ "$st" =~ $pattern ]]; then
      echo "$st" >>"$d/sa-states.out"; return 0
    fi
    sleep 0.1
  done
  log "SAs did not settle (before $before, now $st)"; swan "$d" --list-sas >&2; return 1
}

# At exit: tear everything down, keep or remove WORK, and say FAILED when the script failed.
cleanup() {
  local rc=$?
  teardown_ns
  if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
  if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  [ $rc -ne 0 ] && log "FAILED (rc=$rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
