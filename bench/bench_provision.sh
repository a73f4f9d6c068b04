#!/usr/bin/env bash
# bench_provision.sh [BUILD_DIR]: provision simulated fleets with a real scsd
# and amtsim over loopback and report, per fleet:
#   wall time from scsd start until every device is provisioned,
#   scsd CPU time per device (utime + stime from /proc/PID/stat),
#   scsd peak RSS (VmHWM from /proc/PID/status),
# with the targets beside them.  Fleets (sizes via environment):
#   BENCH_PSK=1000  PSK devices, pairs from a USB file, new PSK each
#   BENCH_PKI=1000  PKI devices, test PKI, no TLS configuration
#   BENCH_TLS=200   PKI devices with TLS configuration (certificate issuance;
#                   amtsim generates an RSA-2048 key per device, which is slow)
#   BENCH_REPEAT=3  runs of each fleet, each on a fresh data directory and
#                   fleet; a line per run, then the median (with min and max).
#                   On this shared VM the CPU time of the same work varies by
#                   a quarter from run to run, and with it the wall time.
# amtsim runs at time scale 1: devices say Hello when a real one would (all at
# once at the start, then 12 s later).  At a faster scale, devices waiting for
# their turn said Hello about five times each, a load no real fleet makes (the
# Hello storm is bench_hello's job).
# Needs scsd, amtsim, scsctl, prov_regtool in BUILD_DIR/bin, openssl and the
# test PKI script tests/integration/make-test-pki.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
B=$build/bin
for x in scsd amtsim scsctl prov_regtool; do
  [ -x "$B/$x" ] || { echo "bench_provision: $B/$x missing (build it first)" >&2; exit 1; }
done
N_PSK=${BENCH_PSK:-1000}
N_PKI=${BENCH_PKI:-1000}
N_TLS=${BENCH_TLS:-200}
REPEAT=${BENCH_REPEAT:-3}
W=$(mktemp -d /tmp/scs-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
# A free TCP port, different from the ones this run already took.
taken=" "
port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    case "$taken" in *" $p "*) continue ;; esac
    ss -Htan "( sport = :$p )" 2>/dev/null | grep -q . && continue
    taken="$taken$p "
    echo "$p"
    return
  done
}
clk=$(getconf CLK_TCK)
hz_to_ms() { echo "scale=3; $1 * 1000 / $clk" | bc; }

# run_fleet DIR LABEL N TARGET_CPU_MS: the fleet in $W/DIR must be prepared.
run_fleet() {
  local dir=$W/$1 name=$2 n=$3 target=$4 hp dp hpp t0 t1 sp dpid done_n st cpu hwm
  port >"$W/port" && hp=$(<"$W/port")
  port >"$W/port" && dp=$(<"$W/port")
  port >"$W/port" && hpp=$(<"$W/port")
  t0=$(date +%s.%N)
  "$B/scsd" -d "$dir/scs" -l "127.0.0.1:$hp" -p "$dp" --log-level warn -o max_sessions=2000 \
    -o request_timeout_s=60 -o session_timeout_s=600 2>"$dir/scsd.log" &
  dpid=$!
  pids+=("$dpid")
  # Devices say Hello at once and next 12 s later: scsd must be listening first.
  for ((i = 0; i < 200; i++)); do
    ss -Hltn "( sport = :$hp )" 2>/dev/null | grep -q . && break
    sleep 0.05
  done
  "$B/amtsim" -d "$dir/sim" run --server "127.0.0.1:$hp" --tls-port "$dp" --http-port "$hpp" \
    --time-scale 1 2>"$dir/sim.log" &
  sp=$!
  pids+=("$sp")
  done_n=0
  max_sessions=0
  max_conns=0
  for ((i = 0; i < 3000; i++)); do
    if ! kill -0 "$dpid" 2>/dev/null; then
      echo "bench_provision: scsd stopped: $(tail -1 "$dir/scsd.log")" >&2
      break
    fi
    devs=$("$B/prov_regtool" -d "$dir/scs" devices)
    done_n=$(grep -o '"state":"provisioned"' <<<"$devs" | wc -l || true)
    # Sessions in flight: registry rows in state provisioning (queued for a
    # connection slot or connected); connections: scsd's established TCP
    # connections to the devices' TLS port.
    cur=$(grep -o '"state":"provisioning"' <<<"$devs" | wc -l || true)
    [ "$cur" -gt "$max_sessions" ] && max_sessions=$cur
    cur=$(ss -Htn state established "( dport = :$dp )" 2>/dev/null | wc -l || true)
    [ "$cur" -gt "$max_conns" ] && max_conns=$cur
    [ "$done_n" -ge "$n" ] && break
    sleep 0.2
  done
  t1=$(date +%s.%N)
  if ! kill -0 "$dpid" 2>/dev/null; then
    kill "$sp" 2>/dev/null || true
    wait "$sp" 2>/dev/null || true
    printf '%-22s run failed (scsd stopped), not counted\n' "$name"
    return 0
  fi
  # fields 14 and 15 of /proc/PID/stat: utime, stime in clock ticks
  st=$(cut -d' ' -f14,15 "/proc/$dpid/stat")
  cpu=$(hz_to_ms "$(echo "$st" | awk '{print $1 + $2}')")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$dpid/status")
  kill "$sp" "$dpid" 2>/dev/null || true
  wait "$sp" "$dpid" 2>/dev/null || true
  # amtsim's last line: "hellos sent N failed F, connections C, requests R".
  # Time runs 60 times faster, so devices waiting for their session say Hello
  # far more often than real ones; every Hello costs scsd an accept and a read.
  hellos=$(grep -o 'hellos sent [0-9]*' "$dir/sim.log" | tail -1 | awk '{print $3}')
  printf '%-22s %5s/%-5s provisioned  wall %7.2f s  scsd CPU %8.1f ms (%6.3f ms/device, target < %s ms)  peak RSS %6.1f MiB (target < 64 MiB for 1000 in flight)\n' \
    "$name" "$done_n" "$n" "$(echo "$t1 - $t0" | bc)" "$cpu" "$(echo "scale=4; $cpu / $n" | bc)" \
    "$target" "$(echo "scale=1; $hwm / 1024" | bc)"
  printf '%-22s in flight at most (sampled every 0.2 s): %s sessions, %s TLS connections; %s Hellos per device\n' \
    "" "$max_sessions" "$max_conns" "$(echo "scale=1; ${hellos:-0} / $n" | bc)"
  echo "$(echo "scale=4; $cpu / $n" | bc) $(echo "scale=1; $hwm / 1024" | bc) $done_n" >>"$W/runs.${1%%.*}"
}

# summary NAME LABEL N TARGET_CPU_MS: the median of the runs of fleet NAME.
summary() {
  sort -n "$W/runs.$1" | awk -v label="$2" -v n="$3" -v target="$4" '
    { cpu[NR] = $1; if ($2 > rss) rss = $2; if ($3 < n) short++ }
    END {
      med = NR % 2 ? cpu[(NR + 1) / 2] : (cpu[NR / 2] + cpu[NR / 2 + 1]) / 2
      printf "%-22s median of %d runs: scsd CPU %.3f ms/device (min %.3f, max %.3f), target < %s ms: %s; peak RSS at most %.1f MiB (target < 64 MiB): %s%s\n",
        label, NR, med, cpu[1], cpu[NR], target, med < target ? "met" : "NOT met", rss,
        rss < 64 ? "met" : "NOT met", short ? "; SOME RUNS DID NOT PROVISION EVERY DEVICE" : ""
    }'
}

prep_common() {
  local dir=$W/$1
  mkdir -p "$dir"
  "$B/scsctl" -d "$dir/scs" init >/dev/null
}

prep_psk() {
  local name=$1 left=$N_PSK k=0 c base
  prep_common "$name"
  "$B/scsctl" -d "$W/$name/scs" psk generate -n $((N_PSK * 2 + 10)) >/dev/null
  # A setup.bin holds at most 1023 records: several files for bigger fleets.
  while [ "$left" -gt 0 ]; do
    c=$((left > 1000 ? 1000 : left))
    "$B/scsctl" -d "$W/$name/scs" usb create --count "$c" --out "$W/$name/usb$k.bin" >/dev/null
    # The first create places the fleet; later ones continue its address range
    # (an explicit --base-address is used as given and would collide).
    base=()
    [ "$k" -eq 0 ] && base=(--base-address 127.50.0.1)
    "$B/amtsim" -d "$W/$name/sim" create -n "$c" --mode psk --usb "$W/$name/usb$k.bin" \
      "${base[@]}" >/dev/null
    left=$((left - c))
    k=$((k + 1))
  done
}

# prep_pki DIR N BASE_ADDRESS: a PKI fleet of N devices trusting the test root,
# and the bench certificate in scsd's store.
prep_pki() {
  prep_common "$1"
  "$B/prov_regtool" -d "$W/$1/scs" cert-add bench "$W/pki/leaf-oid-chain.pem" \
    "$W/pki/leaf-oid.key" scs.test
  "$B/amtsim" -d "$W/$1/sim" create -n "$2" --mode pki --dns-suffix scs.test \
    --root-hash "$(cat "$W/pki/root.sha256")" --base-address "$3" >/dev/null
}
prep_pki_plain() {
  prep_pki "$1" "$N_PKI" 127.60.0.1
  "$B/prov_regtool" -d "$W/$1/scs" profile default time_sync=1
}
prep_pki_tls() {
  prep_pki "$1" "$N_TLS" 127.70.0.1
  "$B/prov_regtool" -d "$W/$1/scs" ca-set "$W/ca.crt" "$W/ca.key"
  "$B/prov_regtool" -d "$W/$1/scs" profile default configure_tls=1
}

# repeat_fleet NAME LABEL N TARGET_CPU_MS PREP: REPEAT runs, each on a fleet
# that PREP DIR makes afresh.
repeat_fleet() {
  local r
  for ((r = 1; r <= REPEAT; r++)); do
    "$5" "$1.$r"
    run_fleet "$1.$r" "$2" "$3" "$4"
    rm -rf "${W:?}/$1.$r"
  done
}

if [ "$N_PKI" -gt 0 ] || [ "$N_TLS" -gt 0 ]; then
  bash "$here/tests/integration/make-test-pki.sh" "$W/pki" scs.test >/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.crt" -days 30 \
    -subj /CN=scs-bench-ca 2>/dev/null
fi
# (if, not &&: set -e does not reach into a function called from an && list)
if [ "$N_PSK" -gt 0 ]; then repeat_fleet psk "PSK (new PSK each)" "$N_PSK" 2 prep_psk; fi
if [ "$N_PKI" -gt 0 ]; then repeat_fleet pki "PKI" "$N_PKI" 5 prep_pki_plain; fi
if [ "$N_TLS" -gt 0 ]; then repeat_fleet tls "PKI + TLS issuance" "$N_TLS" 5 prep_pki_tls; fi

echo
[ "$N_PSK" -gt 0 ] && summary psk "PSK (new PSK each)" "$N_PSK" 2
[ "$N_PKI" -gt 0 ] && summary pki "PKI" "$N_PKI" 5
[ "$N_TLS" -gt 0 ] && summary tls "PKI + TLS issuance" "$N_TLS" 5
exit 0
