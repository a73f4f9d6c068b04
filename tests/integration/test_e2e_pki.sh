#!/usr/bin/env bash
# PKI (zero-touch) end to end with a test PKI made here: devices that trust the
# test root and have the right DNS suffix are provisioned with TLS configured
# (certificate from the server's CA) and the profile's host name, domain,
# redirection and user consent; the admin password opens them with Digest over TLS.  A device with the wrong domain suffix refuses our chain, a device
# that trusts only an unknown root is refused by scsd, and a PSK device with a
# PID the pool never issued is refused, each with the reason recorded.
. "$SCS_TESTS/lib.sh"
. "$SCS_TESTS/integration/e2e_lib.sh"

if [ ! -x "$SCS_TESTS/integration/make-test-pki.sh" ] && [ ! -f "$SCS_TESTS/integration/make-test-pki.sh" ]; then
  echo "make-test-pki.sh missing; skipped"
  exit 0
fi
e2e_init 10
bash "$SCS_TESTS/integration/make-test-pki.sh" "$T/pki" scs.test >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 30 \
  -subj /CN=scs-e2e-ca 2>/dev/null
"$SCSCTL" -d "$D" ca import --cert "$T/ca.crt" --key "$T/ca.key" >/dev/null
"$SCSCTL" -d "$D" cert add --name test-chain --chain "$T/pki/leaf-oid-chain.pem" \
  --key "$T/pki/leaf-oid.key" >/dev/null
# Features too: host name amt-<8 hex of the UUID>, domain, SOL+IDER, user consent for KVM only.
"$SCSCTL" -d "$D" profile set default --tls on --redirection SOL,IDER --user-consent kvm \
  --hostname-template amt-%u --domain scs.test >/dev/null
ROOT=$(cat "$T/pki/root.sha256")
OTHER=$(cat "$T/pki/other-root.sha256")
# Devices 1-3 fit; 4 has the wrong suffix; 5 trusts only another root; 6 is a
# PSK device whose USB file came from another server.
"$AMTSIM" -d "$S" create -n 3 --mode pki --dns-suffix scs.test --root-hash "$ROOT" \
  --base-address "$NET.1" >/dev/null
"$AMTSIM" -d "$S" create -n 1 --mode pki --dns-suffix wrong.test --root-hash "$ROOT" >/dev/null
"$AMTSIM" -d "$S" create -n 1 --mode pki --dns-suffix scs.test --root-hash "$OTHER" >/dev/null
"$SCSCTL" -d "$T/other" init >/dev/null
"$SCSCTL" -d "$T/other" psk generate -n 1 >/dev/null
"$SCSCTL" -d "$T/other" usb create --count 1 --out "$T/foreign.bin" >/dev/null
"$AMTSIM" -d "$S" create -n 1 --mode psk --usb "$T/foreign.bin" >/dev/null
uuid_at() { sim_json | tr '{' '\n' | grep "\"index\":$1," | grep -o '"uuid":"[^"]*"' | cut -d'"' -f4; }

start_scsd
start_sim
if ! wait_state 3 provisioned 60; then
  fail "PKI devices not provisioned: $(devices_json)"
  e2e_logs
fi
wait_state 2 refused 30 || fail "refusals not recorded: $(devices_json)"
wait_state 1 failed 30 || fail "wrong-suffix device not recorded as failed: $(devices_json)"

for i in 1 2 3; do
  u=$(uuid_at $i)
  assert_eq "$(field "$u" state)" provisioned "device $i: registry state"
  assert_eq "$(field "$u" path)" pki "device $i: path"
  assert_eq "$(sim_field "$u" provisioning_state)" post "device $i: simulator state"
  assert_eq "$(sim_field "$u" tls_configured)" true "device $i: TLS configured"
  [ -n "$(field "$u" tls_fingerprint)" ] && pass || fail "device $i: no TLS fingerprint recorded"
  pw=$(admin_pw "$u")
  addr=$(field "$u" address)
  assert_eq "$(wsman_digest "https://$addr:$DEV_PORT/wsman" "$pw" -k)" 200 "device $i: Digest over TLS"
  assert_eq "$(wsman_digest "https://$addr:$DEV_PORT/wsman" "Wrong-pass1!" -k)" 401 \
    "device $i: wrong password"
  # The profile's features, as the simulator recorded them (status --json does not show them).
  st="$S/device-$(printf %05d "$i").state"
  assert_eq "$(grep '^hostname ' "$st")" "hostname amt-${u:0:8}" "device $i: AMT host name"
  assert_eq "$(grep '^domain ' "$st")" "domain scs.test" "device $i: AMT domain name"
  assert_eq "$(grep '^redirection ' "$st")" "redirection 1 32771" "device $i: SOL+IDER, listener"
  assert_eq "$(grep '^optin ' "$st")" "optin 1" "device $i: user consent for KVM"
done

u=$(uuid_at 4)
assert_eq "$(field "$u" state)" failed "wrong suffix: registry state"
assert_contains "$(field "$u" last_error)" "refused the TLS handshake" "wrong suffix: last_error"
assert_eq "$(sim_field "$u" provisioning_state)" in "wrong suffix: simulator state"
assert_eq "$(sim_field "$u" admin_password_changed)" false "wrong suffix: admin password"

u=$(uuid_at 5)
assert_eq "$(field "$u" state)" refused "unknown root: registry state"
# The simulated device also trusts Intel's default roots: 24 SHA256 hashes.
assert_contains "$(field "$u" last_error)" \
  "no provisioning certificate matches the device's trusted roots (24 SHA256 hashes)" \
  "unknown root: last_error"
assert_eq "$(sim_field "$u" provisioning_state)" in "unknown root: simulator state"

u=$(uuid_at 6)
assert_eq "$(field "$u" state)" refused "unknown PID: registry state"
assert_contains "$(field "$u" last_error)" "unknown PID" "unknown PID: last_error"
assert_eq "$(sim_field "$u" provisioning_state)" in "unknown PID: simulator state"

AUDIT=$(audit_text)
assert_eq "$(grep -c 'device-provisioned' <<<"$AUDIT")" 3 "audit: provisioned"
assert_contains "$AUDIT" "device-refused $(uuid_at 5) no provisioning certificate" "audit: root"
assert_contains "$AUDIT" "device-refused $(uuid_at 6) unknown PID" "audit: PID"
stop_sim
stop_scsd
finish
