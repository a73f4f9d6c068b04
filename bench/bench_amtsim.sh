#!/bin/bash
# bench_amtsim.sh BIN_DIR [DEVICES] [SECONDS]
# One amtsim process runs DEVICES (default 1000) PKI devices, each on its own
# 127.36.x.y address with TLS and HTTP listeners, sending Hellos at time scale
# 100000 (12 s -> 0.12 ms, hourly -> 36 ms; the 255 h cap is 9.2 s) to a counting
# listener, so the schedule asks for more than one process can send.  Prints
# creation time, RSS and open descriptors while running, and the Hello rate.
set -u
BIN=${1:?usage: bench_amtsim.sh BIN_DIR [DEVICES] [SECONDS]}
N=${2:-1000}
SECS=${3:-8}
KEYBITS=${BENCH_KEY_BITS:-2048}
T=$(mktemp -d /tmp/amtsim-bench.XXXXXX)
SIM=""
SINK=""
cleanup() {
    [ -n "$SIM" ] && kill "$SIM" 2>/dev/null
    [ -n "$SINK" ] && kill "$SINK" 2>/dev/null
    sleep 0.5
    [ -n "$SIM" ] && kill -9 "$SIM" 2>/dev/null
    [ -n "$SINK" ] && kill -9 "$SINK" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

t0=$(date +%s.%N)
"$BIN/amtsim" -q -d "$T/fleet" create -n "$N" --mode pki --dns-suffix bench.example.com \
    --base-address 127.36.0.1 --key-bits "$KEYBITS" >/dev/null || exit 1
t1=$(date +%s.%N)
awk -v n="$N" -v k="$KEYBITS" -v a="$t0" -v b="$t1" 'BEGIN { printf "created %d devices (RSA-%d keys) in %.1f s\n", n, k, b - a }'

"$BIN/amtsim_testtool" hello-sink 127.36.255.254 19999 100000000 "$((SECS + 5))" --quiet >"$T/sink.out" 2>"$T/sink.err" &
SINK=$!
sleep 0.5
"$BIN/amtsim" -d "$T/fleet" run --server 127.36.255.254:19999 --time-scale 100000 \
    --first-window 255 --tls-port 20993 --http-port 20992 --duration "$SECS" >"$T/sim.log" 2>&1 &
SIM=$!
for _ in $(seq 1 100); do
    [ -s "$T/fleet/amtsim.pid" ] && break
    sleep 0.1
done
sleep $((SECS / 2))
if [ -d /proc/$SIM ]; then
    rss=$(grep VmRSS /proc/$SIM/status | awk '{print $2}')
    hwm=$(grep VmHWM /proc/$SIM/status | awk '{print $2}')
    fds=$(ls /proc/$SIM/fd | wc -l)
    awk -v p="$SIM" -v r="$rss" -v h="$hwm" -v f="$fds" -v n="$N" 'BEGIN {
        printf "amtsim pid %d: RSS %.1f MiB (peak %.1f MiB), %d open descriptors, %d devices\n",
            p, r / 1024, h / 1024, f, n }'
else
    echo "amtsim is not running:"; cat "$T/sim.log"; exit 1
fi
wait "$SIM"
SIM=""
wait "$SINK" 2>/dev/null
SINK=""
echo "amtsim: $(grep -o 'hellos sent.*' "$T/sim.log" | tail -1)"
echo "listener: $(cat "$T/sink.out")"
