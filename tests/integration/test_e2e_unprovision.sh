#!/usr/bin/env bash
# Unprovision and provision again, end to end.  Three devices are provisioned:
# A (PSK, default profile: no TLS, so unprovision goes over HTTP), B (PKI,
# profile with TLS: unprovision goes over TLS pinned to the certificate scsd
# issued), C (PSK).  `scsctl device unprovision` returns A and B to
# in-provisioning (a SOAP fault first gives exit 3), and scsd provisions them
# again: attempt 2, a new admin password that opens the device, the old one no
# longer does, and for A a fresh PSK with the pair it held marked used.  C is
# unprovisioned behind scsd's back: its Hellos are ignored (registry unchanged)
# with a warning naming it, `scsctl device unprovision` cannot reach it (exit 5),
# and --mark-only lets scsd provision it again.
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

e2e_init 20
"$SCSCTL" -d "$D" usb create --count 2 --out "$T/usb.bin" >/dev/null
bash "$SCS_TESTS/integration/make-test-pki.sh" "$T/pki" scs.test >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 30 \
  -subj /CN=scs-e2e-ca 2>/dev/null
"$SCSCTL" -d "$D" ca import --cert "$T/ca.crt" --key "$T/ca.key" >/dev/null
"$SCSCTL" -d "$D" cert add --name test-chain --chain "$T/pki/leaf-oid-chain.pem" \
  --key "$T/pki/leaf-oid.key" >/dev/null
"$SCSCTL" -d "$D" profile set tls --tls on >/dev/null
# One create: A and C take records 1 and 2 of the USB file.
"$AMTSIM" -d "$S" create -n 2 --mode psk --usb "$T/usb.bin" --base-address "$NET.1" >/dev/null
"$AMTSIM" -d "$S" create -n 1 --mode pki --dns-suffix scs.test \
  --root-hash "$(cat "$T/pki/root.sha256")" >/dev/null
uuid_at() { sim_json | tr '{' '\n' | grep "\"index\":$1," | grep -o '"uuid":"[^"]*"' | cut -d'"' -f4; }
A=$(uuid_at 1)
C=$(uuid_at 2)
B=$(uuid_at 3)
"$SCSCTL" -d "$D" device profile "$B" tls >/dev/null

# served_fp ADDR: SHA-256 of the certificate the device serves on its TLS port.
served_fp() {
  openssl s_client -connect "$1:$DEV_PORT" </dev/null 2>/dev/null | openssl x509 -outform DER |
    sha256sum | cut -d' ' -f1
}
# state_is UUID STATE (for wait_until, which runs its command again each time).
state_is() { [ "$(field "$1" state)" = "$2" ]; }
unprov() { "$SCSCTL" -d "$D" device unprovision "$@" --port "$DEV_PORT" --http-port "$DEV_HTTP_PORT" \
  --timeout 5; }

start_scsd
start_sim
if ! wait_state 3 provisioned 60; then
  fail "A, B and C not provisioned: $(devices_json)"
  e2e_logs
fi
ADDR_A=$(field "$A" address)
ADDR_B=$(field "$B" address)
ADDR_C=$(field "$C" address)
PW_A=$(admin_pw "$A")
PW_B=$(admin_pw "$B")
PW_C=$(admin_pw "$C")
HELD_A=$(field "$A" new_pid)
assert_eq "$(field "$B" tls_fingerprint)" "$(served_fp "$ADDR_B")" \
  "B: recorded fingerprint is the certificate the device serves"

# Stop scsd so that the devices stay in-provisioning long enough to be seen.
stop_scsd

# ---- a device refusal: exit 3, audited, nothing changed
"$AMTSIM" -d "$S" fault "$B" soap Unprovision >/dev/null
sleep 0.5
expect_exit 3 unprov "$B"
assert_contains "$ERR" "was not unprovisioned: the device answered Unprovision with a fault"
assert_eq "$(field "$B" state)" provisioned "B after a refused unprovision"
assert_contains "$(audit_text)" "unprovision-failed $B" "audit: refusal"
"$AMTSIM" -d "$S" fault "$B" clear >/dev/null
sleep 0.5

# ---- A over HTTP, B over TLS with the pin
expect_exit 0 unprov "$A"
assert_contains "$OUT" "unprovisioned $A (was provisioned; over HTTP port $DEV_HTTP_PORT)"
expect_exit 0 unprov "$B"
assert_contains "$OUT" "unprovisioned $B (was provisioned; over TLS port $DEV_PORT)"
for u in "$A" "$B"; do
  assert_eq "$(field "$u" state)" unprovisioned "$u: registry state after unprovision"
  assert_eq "$(sim_field "$u" provisioning_state)" in "$u: simulator back in provisioning"
  assert_eq "$(sim_field "$u" admin_password_changed)" false "$u: admin password reset"
done
assert_eq "$(field "$A" pid)" "$HELD_A" "A: the pair it holds is now the one it comes with"
AUDIT=$(audit_text)
assert_contains "$AUDIT" "device-unprovisioned $A was provisioned; Unprovision(1) over HTTP" "audit A"
assert_contains "$AUDIT" "device-unprovisioned $B was provisioned; Unprovision(1) over TLS" "audit B"

# ---- C: unprovisioned behind scsd's back (as from MEBx), then Hellos
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --digest -u "admin:$PW_C" \
  -H 'Content-Type: application/soap+xml;charset=UTF-8' \
  --data-binary "@$SCS_FIXTURES/wsman-requests/AMT_SetupAndConfigurationService.Unprovision.xml" \
  "http://$ADDR_C:$DEV_HTTP_PORT/wsman" || true)
assert_eq "$code" 200 "C: out-of-band Unprovision"
assert_eq "$(sim_field "$C" provisioning_state)" in "C: simulator in provisioning"

start_scsd
for u in "$A" "$B"; do
  wait_until 60 state_is "$u" provisioned ||
    fail "$u not provisioned again: $(devices_json)"
  assert_eq "$(field_num "$u" attempts)" 2 "$u: attempts"
  assert_eq "$(sim_field "$u" provisioning_state)" post "$u: simulator post"
done
NEW_A=$(admin_pw "$A")
NEW_B=$(admin_pw "$B")
[ "$NEW_A" != "$PW_A" ] && pass || fail "A: admin password not renewed"
[ "$NEW_B" != "$PW_B" ] && pass || fail "B: admin password not renewed"
assert_eq "$(wsman_digest "http://$ADDR_A:$DEV_HTTP_PORT/wsman" "$NEW_A")" 200 "A: new password"
assert_eq "$(wsman_digest "http://$ADDR_A:$DEV_HTTP_PORT/wsman" "$PW_A")" 401 "A: old password"
assert_eq "$(wsman_digest "https://$ADDR_B:$DEV_PORT/wsman" "$NEW_B" -k)" 200 "B: new password, TLS"
assert_eq "$(wsman_digest "https://$ADDR_B:$DEV_PORT/wsman" "$PW_B" -k)" 401 "B: old password"
assert_eq "$(field "$B" tls_fingerprint)" "$(served_fp "$ADDR_B")" "B: new pin"
# A: the pair it held is spent, a fresh one is assigned to it and held by it.
NEWPID_A=$(field "$A" new_pid)
[ -n "$NEWPID_A" ] && [ "$NEWPID_A" != "$HELD_A" ] && pass || fail "A: no fresh PSK ($NEWPID_A)"
assert_eq "$(sim_field "$A" pid)" "$NEWPID_A" "A: PID the device holds"
PSK=$("$SCSCTL" -d "$D" psk list)
assert_contains "$(grep "^$(sed 's/\(....\)\(....\)/\1-\2/' <<<"$HELD_A") " <<<"$PSK" || true)" \
  " used " "A: the pair it held is used"

# C: ignored, named in a warning, registry unchanged.
wait_until 20 grep -q "$C is recorded as provisioned but sent a Hello" "$T/scsd.log" ||
  fail "no warning about C's Hellos"
assert_contains "$(grep "$C is recorded as provisioned" "$T/scsd.log" | head -1)" \
  "scsctl device unprovision $C" "warning tells what to do"
assert_eq "$(field "$C" state)" provisioned "C: registry state unchanged"
assert_eq "$(field_num "$C" attempts)" 1 "C: attempts unchanged"
assert_eq "$(sim_field "$C" provisioning_state)" in "C: not provisioned again"
# Its recorded password no longer opens it, and it cannot be reached as provisioned.
expect_exit 5 unprov "$C"
assert_contains "$ERR" "$C was not unprovisioned: cannot reach the device"
assert_contains "$(audit_text)" "unprovision-failed $C" "audit: C unreachable"
expect_exit 0 "$SCSCTL" -d "$D" device unprovision "$C" --mark-only
assert_contains "$OUT" "marked $C unprovisioned (was provisioned)"
wait_until 90 state_is "$C" provisioned || fail "C not provisioned again: $(devices_json)"
assert_eq "$(field_num "$C" attempts)" 2 "C: attempts after --mark-only"
NEW_C=$(admin_pw "$C")
assert_eq "$(wsman_digest "http://$ADDR_C:$DEV_HTTP_PORT/wsman" "$NEW_C")" 200 "C: new password"

LOGS=$(cat "$T/scsd.log")
for pw in "$PW_A" "$PW_B" "$PW_C" "$NEW_A" "$NEW_B" "$NEW_C"; do
  assert_not_contains "$LOGS" "$pw" "scsd log"
done
stop_sim
stop_scsd
finish
