#!/usr/bin/env bash
# PSK (one-touch) end to end: pairs from a `scsctl usb create` file, one fleet
# with the built-in default profile (new PSK, random passwords) and one with a
# profile that also configures TLS.  Checks both sides: the simulator's state
# and the registry, the pool life cycle (old pair used, new pair assigned to
# the device and known to the device), and the recorded admin password opening
# the device with HTTP Digest (over TLS where TLS was configured).
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

e2e_init 40
"$SCSCTL" -d "$D" usb create --count 8 --out "$T/usb.bin" >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 30 \
  -subj /CN=scs-e2e-ca 2>/dev/null
"$SCSCTL" -d "$D" ca import --cert "$T/ca.crt" --key "$T/ca.key" >/dev/null
# One create: each device takes the next record of the USB file.
"$AMTSIM" -d "$S" create -n 8 --mode psk --usb "$T/usb.bin" --base-address "$NET.1" >/dev/null
# Devices .6-.8 get the "tls" profile (registry row made before their first Hello).
"$SCSCTL" -d "$D" profile set tls --tls on >/dev/null
TLS_UUIDS=$(sim_json | tr '{' '\n' | grep "\"address\":\"$NET.[6-8]\"" |
  grep -o '"uuid":"[^"]*"' | cut -d'"' -f4)
for u in $TLS_UUIDS; do "$SCSCTL" -d "$D" device profile "$u" tls >/dev/null; done

# One connection slot, and devices that take 100 ms per answer: sessions queue
# for their TLS connection (max_connecting) and must all get through.
for i in $(seq 1 8); do "$AMTSIM" -d "$S" fault "$i" delay 100 >/dev/null; done
# Debug level: the check at the end covers everything scsd can log.
start_scsd --log-level debug -o max_connecting=1
start_sim

if ! wait_state 8 provisioned 60; then
  fail "not all 8 PSK devices provisioned: $(devices_json)"
  e2e_logs
fi
assert_eq "$(count_sim provisioning_state '"post"')" 8 "simulated devices post-provisioned"
assert_contains "$(cat "$T/scsd.log")" "waits for a connection slot (1 connecting)" "sessions queued"
assert_eq "$(scsctl_count provisioned)" 8 "scsctl device list --json: provisioned"
assert_eq "$(count_sim admin_password_changed true)" 8 "admin passwords set"
assert_eq "$(count_sim mebx_password_changed true)" 8 "MEBx passwords set"

# Pool: 8 USB pairs used, 8 new pairs assigned to devices, none of the USB ones left assigned.
PSK=$("$SCSCTL" -d "$D" psk list)
assert_eq "$(grep -c ' used ' <<<"$PSK")" 8 "pairs used"
assert_eq "$(grep ' assigned ' <<<"$PSK" | grep -c 'device:')" 8 "new pairs assigned to devices"
assert_eq "$(grep ' assigned ' <<<"$PSK" | grep -c 'usb:')" 0 "USB pairs still assigned"

for u in $(sim_uuids); do
  new=$(field "$u" new_pid)
  assert_eq "$(sim_field "$u" pid)" "$new" "$u: PID the device holds"
  assert_eq "$(field "$u" step)" done "$u: step"
  pw=$(admin_pw "$u")
  addr=$(field "$u" address)
  assert_eq "$(wsman_digest "http://$addr:$DEV_HTTP_PORT/wsman" "$pw")" 200 "$u: Digest login"
  assert_eq "$(wsman_digest "http://$addr:$DEV_HTTP_PORT/wsman" "Wrong-pass1!")" 401 \
    "$u: Digest with a wrong password"
done
assert_eq "$(count_sim tls_configured true)" 3 "devices with TLS configured"
for u in $TLS_UUIDS; do
  pw=$(admin_pw "$u")
  addr=$(field "$u" address)
  assert_eq "$(field "$u" profile)" tls "$u: profile"
  # The device now serves a certificate from the server's CA: Digest over TLS.
  assert_eq "$(wsman_digest "https://$addr:$DEV_PORT/wsman" "$pw" -k)" 200 "$u: Digest over TLS"
done
assert_contains "$(audit_text)" "device-provisioned" "audit"
# No secret in either log: no device's admin password, no PPS (raw or dashed).
LOGS=$(cat "$T/scsd.log" "$T/sim.log")
for u in $(sim_uuids); do
  assert_not_contains "$LOGS" "$(admin_pw "$u")" "logs: admin password of $u"
done
checked=0
while read -r _pid pps; do
  assert_not_contains "$LOGS" "$pps" "logs: a PPS"
  assert_not_contains "$LOGS" "${pps//-/}" "logs: a PPS without dashes"
  checked=$((checked + 1))
done < <({
  "$SCSCTL" -d "$D" psk list --show-secrets --state used
  "$SCSCTL" -d "$D" psk list --show-secrets --state assigned
} | awk '{print $1, $2}')
assert_eq "$checked" 16 "PPS values checked against the logs (8 used, 8 new)"
stop_sim
stop_scsd
finish
