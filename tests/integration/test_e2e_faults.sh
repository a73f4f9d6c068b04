#!/usr/bin/env bash
# Faults in the middle of sessions:
#  device 1 answers CommitChanges with a fault: the session fails after the
#    admin password, the MEBx password and the new PSK were recorded and sent;
#    once the fault is cleared the retry (on the device's next Hello, which
#    now carries the new PID) reuses exactly those, and ends provisioned;
#  device 2 drops its connection once mid-session (at GetLowAccuracyTimeSynch,
#    the fifth request): the request is resent on a fresh connection and the
#    session carries on;
#  device 3 stops answering (delay over request_timeout_s): the session fails
#    with "no answer", and succeeds once the device answers again;
#  device 4 drops the connection at CommitChanges (its seventh request): with
#    no answer scsd cannot know whether it committed, so a confirm session asks
#    it over HTTP Digest; it had not (its HTTP port is still closed), so the
#    attempt stays failed and its next Hello provisions it.
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

e2e_init 20
"$SCSCTL" -d "$D" usb create --count 4 --out "$T/usb.bin" >/dev/null
"$AMTSIM" -d "$S" create -n 4 --mode psk --usb "$T/usb.bin" --base-address "$NET.1" >/dev/null
mapfile -t U < <(sim_uuids)
start_sim
# One-shot faults count only once the running simulator has read its fault files.
wait_until 10 grep -q "running 4 devices" "$T/sim.log" || fail "amtsim did not start"
"$AMTSIM" -d "$S" fault 1 soap CommitChanges >/dev/null
"$AMTSIM" -d "$S" fault 2 drop 4 >/dev/null
"$AMTSIM" -d "$S" fault 3 delay 7000 >/dev/null
"$AMTSIM" -d "$S" fault 4 drop 6 >/dev/null
sleep 0.3
start_scsd

wait_until 30 grep -q "${U[0]} failed at commit" "$T/scsd.log" || fail "device 1 never failed"
wait_until 30 grep -q "${U[2]} failed at" "$T/scsd.log" || fail "device 3 never failed"
pw1=$(admin_pw "${U[0]}")
mebx1=$("$REGTOOL" -d "$D" secret "${U[0]}" mebx_password)
new1=$(field "${U[0]}" new_pid)
[ -n "$new1" ] && pass || fail "device 1: new PID not recorded before the failure"
assert_eq "$(sim_field "${U[0]}" pid)" "$new1" "device 1: holds the recorded new PID"
assert_contains "$(grep "${U[2]} failed at" "$T/scsd.log")" "no answer from the device" \
  "device 3: reason"
"$AMTSIM" -d "$S" fault 1 clear >/dev/null
"$AMTSIM" -d "$S" fault 3 clear >/dev/null

wait_state 4 provisioned 60 || { fail "not all provisioned after the faults cleared: $(devices_json)"; e2e_logs; }
assert_eq "$(count_sim provisioning_state '"post"')" 4 "simulator: all post-provisioned"
a=$(field_num "${U[0]}" attempts)
[ "$a" -ge 2 ] && pass || fail "device 1: attempts $a, expected a retry"
assert_eq "$("$REGTOOL" -d "$D" secret "${U[0]}" admin_password)" "$pw1" "device 1: same password"
assert_eq "$("$REGTOOL" -d "$D" secret "${U[0]}" mebx_password)" "$mebx1" "device 1: same MEBx"
assert_eq "$(field "${U[0]}" new_pid)" "$new1" "device 1: same new PID"
assert_eq "$(sim_field "${U[0]}" pid)" "$new1" "device 1: device holds it"
PSK=$("$SCSCTL" -d "$D" psk list)
assert_eq "$(grep -c "device:${U[0]}" <<<"$PSK")" 2 "device 1: its USB pair (used) and one new pair"
assert_eq "$(grep "device:${U[0]}" <<<"$PSK" | grep -c ' used ')" 1 "device 1: USB pair used"
assert_eq "$(field_num "${U[1]}" attempts)" 1 "device 2: one session despite the drop"
L4=$(grep "${U[3]}" "$T/scsd.log")
assert_contains "$L4" "failed at commit" "device 4: the drop failed CommitChanges"
assert_contains "$L4" "confirm session for attempt 1" "device 4: asked whether it committed"
assert_contains "$L4" "failed at confirm" "device 4: it had not"
assert_eq "$(field_num "${U[3]}" attempts)" 2 "device 4: provisioned by its next Hello"
assert_not_contains "$(audit_text | grep "device-provisioned ${U[3]}")" "commit confirmed" \
  "device 4: provisioned by a session, not by the confirm"
for u in "${U[@]}"; do
  pw=$(admin_pw "$u")
  addr=$(field "$u" address)
  assert_eq "$(wsman_digest "http://$addr:$DEV_HTTP_PORT/wsman" "$pw")" 200 "$u: Digest login"
done
stop_sim
stop_scsd
finish
