#!/usr/bin/env bash
# OTP (protocol.md §5.3 step 4): with a profile that requires it, the device's
# ProvisioningServerOTP is compared with the one recorded for the device before
# any secret is sent.  Right OTP: provisioned.  Wrong OTP: refused, audited,
# and the device never received a password.  No OTP recorded: refused.
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

e2e_init 10
bash "$SCS_TESTS/integration/make-test-pki.sh" "$T/pki" scs.test >/dev/null
"$SCSCTL" -d "$D" cert add --name test-chain --chain "$T/pki/leaf-oid-chain.pem" \
  --key "$T/pki/leaf-oid.key" >/dev/null
"$SCSCTL" -d "$D" profile set otp --otp on >/dev/null
"$AMTSIM" -d "$S" create -n 3 --mode pki --dns-suffix scs.test \
  --root-hash "$(cat "$T/pki/root.sha256")" --otp "Otp-Right-2024" --base-address "$NET.1" >/dev/null
mapfile -t U < <(sim_uuids)
for u in "${U[@]}"; do "$SCSCTL" -d "$D" device profile "$u" otp >/dev/null; done
printf 'Otp-Right-2024\n' >"$T/otp-right"
printf 'Otp-Wrong-2024\n' >"$T/otp-wrong"
"$SCSCTL" -d "$D" otp set "${U[0]}" --file "$T/otp-right" >/dev/null
"$SCSCTL" -d "$D" otp set "${U[1]}" --file "$T/otp-wrong" >/dev/null
# U[2]: no OTP recorded.

start_scsd
start_sim
wait_state 1 provisioned 60 || { fail "right OTP: not provisioned: $(devices_json)"; e2e_logs; }
wait_state 2 refused 30 || { fail "refusals missing: $(devices_json)"; e2e_logs; }

assert_eq "$(field "${U[0]}" state)" provisioned "right OTP: registry"
assert_eq "$(sim_field "${U[0]}" provisioning_state)" post "right OTP: simulator"

assert_eq "$(field "${U[1]}" state)" refused "wrong OTP: registry"
assert_contains "$(field "${U[1]}" last_error)" "one-time password does not match" "wrong OTP"
assert_eq "$(sim_field "${U[1]}" provisioning_state)" in "wrong OTP: simulator"
assert_eq "$(sim_field "${U[1]}" admin_password_changed)" false "wrong OTP: admin password"
assert_eq "$(sim_field "${U[1]}" mebx_password_changed)" false "wrong OTP: MEBx password"
expect_exit 1 "$REGTOOL" -d "$D" secret "${U[1]}" admin_password

assert_eq "$(field "${U[2]}" state)" refused "no OTP recorded: registry"
assert_contains "$(field "${U[2]}" last_error)" "none is recorded" "no OTP recorded"
assert_eq "$(sim_field "${U[2]}" admin_password_changed)" false "no OTP: admin password"

AUDIT=$(audit_text)
assert_contains "$AUDIT" "otp-mismatch ${U[1]}" "audit: mismatch"
assert_contains "$AUDIT" "device-refused ${U[1]}" "audit: refused"
assert_not_contains "$AUDIT" "Otp-Right-2024" "audit"
assert_not_contains "$(cat "$T/scsd.log")" "Otp-Right-2024" "scsd log"
stop_sim
stop_scsd
finish
