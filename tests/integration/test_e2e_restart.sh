#!/usr/bin/env bash
# scsd killed with SIGKILL in the middle of a fleet and started again: every
# device ends provisioned, each holds exactly the PID the registry recorded for
# it, no pair went to two devices, no pair was lost (used + assigned-to-device
# + available adds up), and the recorded password opens each device.
# The kill lands while a CommitChanges is in flight: that device commits after
# scsd is gone and sends no more Hellos, so only the confirm session of the
# restarted scsd (HTTP Digest with the recorded password) can finish it.
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

N=30
e2e_init 100
"$SCSCTL" -d "$D" usb create --count $N --out "$T/usb.bin" >/dev/null
"$AMTSIM" -d "$S" create -n $N --mode psk --usb "$T/usb.bin" --base-address "$NET.1" >/dev/null
# Slow devices (150 ms per answer) so that the kill lands inside sessions.
for i in $(seq 1 $N); do "$AMTSIM" -d "$S" fault "$i" delay 150 >/dev/null; done
start_sim
# Few connection slots: the kill also hits sessions still waiting for one.
start_scsd -o max_connecting=4
# Sessions take ~2 s each at this delay; kill once they are well under way.
wait_state 10 provisioning 30 || fail "sessions never started"
for ((i = 0; i < 2000; i++)); do
  devices_json | grep -q '"step":"commit"' && break
  sleep 0.01
done
kill -KILL "$SCSD_PID"
wait "$SCSD_PID" 2>/dev/null || true
before=$(count_state provisioned)
inflight=$(count_state provisioning)
echo "killed scsd: $before provisioned, $inflight in the middle"
[ "$inflight" -gt 0 ] && pass || fail "the kill did not hit a running session"
sleep 0.5 # the devices answer (and so act on) what reached them before the kill
at_commit=$(devices_json | grep -o '"uuid":"[^"]*","state":"provisioning","path":"[a-z]*","address":"[^"]*","step":"commit"' | cut -d'"' -f4)
committed=()
for u in $at_commit; do
  sim_json | grep -q "\"uuid\":\"$u\".*\"provisioning_state\":\"post\"" && committed+=("$u")
done
echo "at CommitChanges when killed: $(wc -w <<<"$at_commit"), of which committed: ${#committed[@]}"
[ -n "$at_commit" ] && pass || fail "the kill did not land during a CommitChanges"
for i in $(seq 1 $N); do "$AMTSIM" -d "$S" fault "$i" clear >/dev/null; done

start_scsd
wait_state $N provisioned 90 || { fail "not all $N provisioned after the restart: $(devices_json)"; e2e_logs; }
assert_contains "$(cat "$T/scsd.log")" "were being provisioned when scsd stopped" "resume notice"
AUDIT=$(audit_text)
for u in "${committed[@]}"; do
  assert_contains "$(grep "device-provisioned $u" <<<"$AUDIT")" \
    "commit confirmed after the session was cut short" "$u: commit confirmed by a confirm session"
done
assert_eq "$(count_sim provisioning_state '"post"')" $N "simulated devices post-provisioned"

PSK=$("$SCSCTL" -d "$D" psk list)
for u in $(sim_uuids); do
  new=$(field "$u" new_pid)
  assert_eq "$(sim_field "$u" pid)" "$new" "$u: PID the device holds"
  assert_eq "$(grep ' assigned ' <<<"$PSK" | grep -c "device:$u")" 1 "$u: one pair assigned"
done
for u in $(sim_uuids | head -5); do
  pw=$(admin_pw "$u")
  addr=$(field "$u" address)
  assert_eq "$(wsman_digest "http://$addr:$DEV_HTTP_PORT/wsman" "$pw")" 200 "$u: Digest login"
done
used=$(grep -c ' used ' <<<"$PSK" || true)
assigned=$(grep ' assigned ' <<<"$PSK" | grep -c 'device:' || true)
avail=$(grep -c ' available ' <<<"$PSK" || true)
assert_eq "$used" $N "USB pairs used"
# Every pair is accounted for: an interrupted SetTLSPSK's pair was reused, not leaked.
assert_eq "$((used + assigned + avail))" 100 "pairs accounted for"
assert_eq "$assigned" $N "pairs assigned to devices"
stop_sim
stop_scsd
finish
