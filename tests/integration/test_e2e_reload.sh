#!/usr/bin/env bash
# SIGHUP reload end to end: a PKI device is refused while the server has no
# provisioning certificate its roots trust; the administrator adds one with
# `scsctl cert add` and sends SIGHUP; the same scsd process (no restart)
# provisions the device on its next Hello.
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

e2e_init 5
bash "$SCS_TESTS/integration/make-test-pki.sh" "$T/pki" scs.test >/dev/null
"$AMTSIM" -d "$S" create -n 1 --mode pki --dns-suffix scs.test \
  --root-hash "$(cat "$T/pki/root.sha256")" --base-address "$NET.1" >/dev/null
U=$(sim_uuids)

start_scsd
FIRST_PID=$SCSD_PID
# Scale 100: Hellos every 1.2 s, then every 12 s, so the next one comes soon.
SIM_SCALE=100 start_sim
if ! wait_state 1 refused 30; then
  fail "device not refused without a certificate: $(devices_json)"
  e2e_logs
fi
assert_contains "$(field "$U" last_error)" "no provisioning certificate matches" "refusal reason"

expect_exit 0 "$SCSCTL" -d "$D" cert add --name corp --chain "$T/pki/leaf-oid-chain.pem" \
  --key "$T/pki/leaf-oid.key"
# Without a reload the running scsd keeps refusing (certificates are read at start).
sleep 2
assert_eq "$(field "$U" state)" refused "still refused before SIGHUP"
kill -HUP "$SCSD_PID"
wait_until 10 grep -q "provisioning certificate 'corp' loaded" "$T/scsd.log" ||
  fail "SIGHUP did not load the new certificate"
if ! wait_state 1 provisioned 60; then
  fail "device not provisioned after the reload: $(devices_json)"
  e2e_logs
fi
assert_eq "$SCSD_PID" "$FIRST_PID" "same scsd process"
kill -0 "$SCSD_PID" 2>/dev/null && pass || fail "scsd is not running"
assert_eq "$(grep -c 'provisioning engine ready' "$T/scsd.log")" 1 "scsd started once"
assert_contains "$(cat "$T/scsd.log")" "reloaded configuration, certificates and profiles" "reload"
assert_eq "$(sim_field "$U" provisioning_state)" post "simulator state"
assert_contains "$(audit_text)" "device-provisioned $U pki; certificate corp" "audit"
stop_sim
stop_scsd
finish
