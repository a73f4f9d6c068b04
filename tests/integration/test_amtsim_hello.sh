#!/bin/bash
# Hellos: sent FROM each device's own address, parsed by the shared parser,
# v3 (PKI, all active hashes) or v2 (PSK, PID), RetryCount counting up on the
# §3.3 schedule (time-scaled), stopping when the window closes or when the
# device is provisioned, and restarting at RetryCount 0 after a restart.
. "$(dirname "$0")/amtsim_lib.sh"

SINK=127.32.0.254
PORT=19971
ROOT=a267c480b0b29056eb5e8aa7c93add804f5a7df516e969e77bcacafe8d456079

# --- 1. schedule and content ---
D="$T/fleet"
"$AMTSIM" -d "$D" create -n 2 --mode pki --dns-suffix example.com --root-hash $ROOT \
    --base-address 127.32.0.1 --key-bits 1024 >/dev/null || exit 1
"$AMTSIM" -d "$D" create -n 1 --mode psk --key-bits 1024 >/dev/null || exit 1
PSKPID=$(dev_field "$D" 3 pid)
"$TOOL" hello-sink $SINK $PORT 21 30 >"$T/h1" 2>"$T/sink.log" &
SINKPID=$!
PIDS="$PIDS $SINKPID"
sleep 0.3
start_sim "$D" --server $SINK:$PORT --time-scale 1000 --tls-port 17993 --http-port 17992 || exit 1
wait $SINKPID
check "sink parsed every Hello" "$?" 0
check "21 Hellos received" "$(wc -l <"$T/h1" | tr -d ' ')" 21
for i in 1 2 3; do
    addr=127.32.0.$i
    uuid=$(dev_field "$D" $i uuid)
    lines=$(grep "^$addr " "$T/h1")
    check "device $i: 7 Hellos from its own address" "$(echo "$lines" | wc -l | tr -d ' ')" 7
    check "device $i: UUID" "$(echo "$lines" | cut -d' ' -f4 | sort -u)" "$uuid"
    check "device $i: RetryCount 0..6 in order" "$(echo "$lines" | cut -d' ' -f3 | tr '\n' ' ')" "0 1 2 3 4 5 6 "
done
check "PKI Hello: v3 with 23 defaults + 1 custom hash" "$(grep '^127.32.0.1 ' "$T/h1" | head -1 | cut -d' ' -f2,5)" "3 24"
check "PSK Hello: v2 with the PID" "$(grep '^127.32.0.3 ' "$T/h1" | head -1 | cut -d' ' -f2,5)" "2 $PSKPID"
stop_sim "$SIM_PID"
check "clean exit" "$?" 0

# --- 2. restart: a new (restart) window, RetryCount from 0 again ---
"$TOOL" hello-sink $SINK $PORT 3 30 >"$T/h2" 2>>"$T/sink.log" &
SINKPID=$!
PIDS="$PIDS $SINKPID"
sleep 0.3
start_sim "$D" --server $SINK:$PORT --time-scale 1000 --tls-port 17993 --http-port 17992 || exit 1
wait $SINKPID
check "after restart: first Hellos have RetryCount 0" "$(cut -d' ' -f3 "$T/h2" | sort -u)" 0
stop_sim "$SIM_PID"

# --- 3. the window closes: 0.02 h = 72 device seconds; attempts at 0,12,24,36,48 s,
#        the next would be at 168 s, past the window (K=100: 0.72 s real, 0.24 s slack) ---
D2="$T/fleet2"
"$AMTSIM" -d "$D2" create -n 1 --mode pki --dns-suffix example.com --base-address 127.32.1.1 \
    --key-bits 1024 >/dev/null || exit 1
"$TOOL" hello-sink $SINK $PORT 100 4 >"$T/h3" 2>>"$T/sink.log" &
SINKPID=$!
PIDS="$PIDS $SINKPID"
sleep 0.3
start_sim "$D2" --server $SINK:$PORT --time-scale 100 --first-window 0.02 --tls-port 17993 --http-port 17992 || exit 1
wait $SINKPID
check "window closes after 5 Hellos" "$(wc -l <"$T/h3" | tr -d ' ')" 5
check_match "window close logged" "$(cat "$T/amtsim.log")" 'device 1: provisioning window closed'
stop_sim "$SIM_PID"

# --- 4. provisioning stops the Hellos (PSK device, CommitChanges in its session) ---
D3="$T/fleet3"
"$AMTSIM" -d "$D3" create -n 1 --mode psk --base-address 127.32.2.1 --key-bits 1024 >/dev/null || exit 1
P=$(dev_field "$D3" 1 pid)
S=$(grep '^pps ' "$D3/device-00001.state" | cut -d' ' -f2)
"$TOOL" hello-sink $SINK $PORT 2 30 >"$T/h4" 2>>"$T/sink.log" &
SINKPID=$!
PIDS="$PIDS $SINKPID"
sleep 0.3
start_sim "$D3" --server $SINK:$PORT --time-scale 100 --tls-port 17993 --http-port 17992 || exit 1
wait $SINKPID
out=$(psk_post 127.32.2.1 17993 "$P" "$S" "$WSREQ/AMT_SetupAndConfigurationService.CommitChanges.xml")
check "CommitChanges in the PSK session" "$(echo "$out" | xval ReturnValue)" 0
"$TOOL" hello-sink $SINK $PORT 100 2 >"$T/h5" 2>>"$T/sink.log" &
SINKPID=$!
PIDS="$PIDS $SINKPID"
wait $SINKPID
check "no Hellos once provisioned" "$(wc -l <"$T/h5" | tr -d ' ')" 0
stop_sim "$SIM_PID"

# --- 5. ExtendProvisioningPeriod keeps a closing window open ---
# K=100, window 0.02 h = 720 ms real; attempts at 0..480 ms, the 6th at 1.68 s
# arrives only because the window was extended to 1 h in between.
D4="$T/fleet4"
"$AMTSIM" -d "$D4" create -n 1 --mode psk --base-address 127.32.3.1 --key-bits 1024 >/dev/null || exit 1
P=$(dev_field "$D4" 1 pid)
S=$(grep '^pps ' "$D4/device-00001.state" | cut -d' ' -f2)
"$TOOL" hello-sink $SINK $PORT 6 6 >"$T/h6" 2>>"$T/sink.log" &
SINKPID=$!
PIDS="$PIDS $SINKPID"
sleep 0.3
start_sim "$D4" --server $SINK:$PORT --time-scale 100 --first-window 0.02 --tls-port 17993 --http-port 17992 || exit 1
invoke_xml $AMT_NS/AMT_SetupAndConfigurationService ExtendProvisioningPeriod "<h:Duration>1</h:Duration>" >"$T/extend.xml"
out=$(psk_post 127.32.3.1 17993 "$P" "$S" "$T/extend.xml")
check "ExtendProvisioningPeriod" "$(echo "$out" | xval ReturnValue)" 0
wait $SINKPID
check "Hellos go on past the first window" "$(wc -l <"$T/h6" | tr -d ' ')" 6
stop_sim "$SIM_PID"
finish
