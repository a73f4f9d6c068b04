#!/usr/bin/env bash
# scsctl cert, otp, profile, device, audit and doctor, and what init adds (the
# server CA and the default profile): help, every failure with its exit code and
# message, and no plaintext secret (admin password, OTP, private key) in the
# store files or in verbose stderr.
. "$SCS_TESTS/lib.sh"
S="$SCS_BIN/scsctl"
SEED="$SCS_BIN/registry_seed"
D="$T/data"
hexfile() { printf '%s' "$2" | xxd -r -p >"$1"; }

# ---- setup: a data directory and a test PKI
expect_exit 0 "$S" -d "$D" init
bash "$SCS_TESTS/integration/make-test-pki.sh" "$T/pki" >/dev/null 2>&1 || fail "make-test-pki.sh failed"
P="$T/pki"
ROOT256=$(cat "$P/root.sha256")
ROOT1=$(cat "$P/root.sha1")

# A leaf that expires in 10 days (warned about, not refused), signed by the same intermediate.
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/soon.key" -subj "/CN=prov.scs.test" \
  -out "$T/soon.csr" 2>/dev/null
printf 'extendedKeyUsage = serverAuth, 2.16.840.1.113741.1.2.3\n' >"$T/soon.ext"
openssl x509 -req -in "$T/soon.csr" -CA "$P/intermediate.pem" -CAkey "$P/intermediate.key" \
  -CAcreateserial -days 10 -extfile "$T/soon.ext" -out "$T/soon.pem" 2>/dev/null
cat "$T/soon.pem" "$P/intermediate.pem" "$P/root.pem" >"$T/soon-chain.pem"

# ---- top level lists the new groups
expect_exit 0 "$S" --help
for g in cert otp profile device audit doctor; do assert_contains "$OUT" "  $g "; done

# ---- init made the CA and the default profile
expect_exit 0 "$S" -d "$D" profile list
assert_contains "$OUT" "default"
expect_exit 0 "$S" -d "$D" audit --event ca-created
assert_contains "$OUT" "ca-created"
if command -v sqlite3 >/dev/null; then
  assert_contains "$(sqlite3 "$D/scs.db" 'SELECT cert_pem FROM ca')" "BEGIN CERTIFICATE"
  assert_eq "$(sqlite3 "$D/scs.db" "SELECT instr(CAST(key_ct AS TEXT), 'PRIVATE') FROM ca")" "0" "CA key sealed"
fi

# ===================================================================== cert
expect_exit 0 "$S" cert --help
assert_contains "$OUT" "add"
expect_exit 2 "$S" -d "$D" cert
expect_exit 2 "$S" -d "$D" cert frob
assert_contains "$ERR" "unknown command 'cert frob'"
expect_exit 0 "$S" cert add --help
assert_contains "$OUT" "Usage: scsctl [-d DIR] cert add"
assert_contains "$OUT" "Exit codes"
expect_exit 2 "$S" -d "$D" cert add --name x --chain "$P/leaf-oid-chain.pem"
assert_contains "$ERR" "--name, --chain and --key are all needed"
expect_exit 2 "$S" -d "$D" cert add --bogus
assert_contains "$ERR" "unknown option"
expect_exit 2 "$S" -d "$D" cert add --name 'a/b' --chain "$P/leaf-oid-chain.pem" --key "$P/leaf-oid.key"
assert_contains "$ERR" "invalid name 'a/b'"
expect_exit 2 "$S" -d "$D" cert add --name x --chain "$P/leaf-oid-chain.pem" --key "$P/leaf-oid.key" --subnet 10.0.0.0/33
assert_contains "$ERR" "is not a subnet"
expect_exit 2 "$S" -d "$D" cert add --name x --chain "$P/leaf-oid-chain.pem" --key "$P/leaf-oid.key" extra
assert_contains "$ERR" "unexpected argument"

# refused chains: exit 3 with the reason
expect_exit 3 "$S" -d "$D" cert add --name exp --chain "$P/leaf-expired-chain.pem" --key "$P/leaf-expired.key"
assert_contains "$ERR" "not usable for provisioning"
assert_contains "$ERR" "validity"
expect_exit 3 "$S" -d "$D" cert add --name noeku --chain "$P/leaf-noeku-chain.pem" --key "$P/leaf-noeku.key"
assert_contains "$ERR" "2.16.840.1.113741.1.2.3"
expect_exit 3 "$S" -d "$D" cert add --name weak --chain "$P/leaf-rsa1024-chain.pem" --key "$P/leaf-rsa1024.key"
assert_contains "$ERR" "2048"
expect_exit 3 "$S" -d "$D" cert add --name mism --chain "$P/leaf-oid-chain.pem" --key "$P/leaf-ou.key"
assert_contains "$ERR" "does not match"
printf 'not pem\n' >"$T/junk.pem"
expect_exit 3 "$S" -d "$D" cert add --name junk --chain "$T/junk.pem" --key "$P/leaf-oid.key"
expect_exit 5 "$S" -d "$D" cert add --name nofile --chain "$T/missing.pem" --key "$P/leaf-oid.key"
assert_contains "$ERR" "missing.pem"

# accepted: OID leaf with a subnet, OU leaf, one expiring soon (warning)
expect_exit 0 "$S" -d "$D" -v cert add --name corp --chain "$P/leaf-oid-chain.pem" --key "$P/leaf-oid.key" \
  --subnet 10.0.0.0/8 --subnet 2001:db8::/32
assert_contains "$OUT" "added certificate 'corp' for domain prov.scs.test (root SHA-256 $ROOT256"
assert_not_contains "$ERR" "warning"
assert_not_contains "$ERR" "$(sed -n 2p "$P/leaf-oid.key")" "verbose stderr"
assert_not_contains "$ERR$OUT" "PRIVATE KEY" "cert add output"
expect_exit 0 "$S" -d "$D" cert add --name ou --chain "$P/leaf-ou-chain.pem" --key "$P/leaf-ou.key" --json
assert_contains "$OUT" '"name":"ou","domain":"prov.scs.test","root_sha256":"'"$ROOT256"'","root_sha1":"'"$ROOT1"'"'
expect_exit 0 "$S" -d "$D" cert add --name soon --chain "$T/soon-chain.pem" --key "$T/soon.key"
assert_contains "$ERR" "warning: certificate 'soon' expires in"
expect_exit 4 "$S" -d "$D" cert add --name corp --chain "$P/leaf-oid-chain.pem" --key "$P/leaf-oid.key"
assert_contains "$ERR" "a certificate named 'corp' exists"

expect_exit 0 "$S" -d "$D" cert list
assert_contains "$OUT" "NAME"
assert_contains "$OUT" "corp"
assert_contains "$OUT" "$ROOT256"
assert_contains "$OUT" "subnets=10.0.0.0/8,2001:db8::/32"
assert_contains "$(grep '^soon' <<<"$OUT")" "expires soon"
expect_exit 0 "$S" -d "$D" cert list --json
assert_contains "$OUT" '"name":"soon"'
assert_contains "$OUT" '"warning":"expires soon"'
assert_contains "$OUT" '"days_left":'
expect_exit 2 "$S" -d "$D" cert list extra
expect_exit 0 "$S" -d "$D" cert remove soon
assert_contains "$OUT" "removed certificate 'soon'"
expect_exit 4 "$S" -d "$D" cert remove soon
assert_contains "$ERR" "no certificate named 'soon'"
expect_exit 2 "$S" -d "$D" cert remove
expect_exit 0 "$S" -d "$D" audit --event cert-added
assert_contains "$OUT" "corp"
assert_contains "$OUT" "domain=prov.scs.test"

# ====================================================================== otp
U=33221100-5544-7766-8899-aabbccddeeff
U_RAW=00112233445566778899aabbccddeeff
OTP='Otp-Secret-4711'
printf '%s\n' "$OTP" >"$T/otp.txt"
expect_exit 0 "$S" otp set --help
assert_contains "$OUT" "Usage: scsctl [-d DIR] otp set UUID"
expect_exit 2 "$S" -d "$D" otp set not-a-uuid --file "$T/otp.txt"
assert_contains "$ERR" "is not a device UUID"
expect_exit 2 "$S" -d "$D" otp set
expect_exit 2 "$S" -d "$D" otp set "$U" --file
printf 'short\n' >"$T/otp-short.txt"
expect_exit 3 "$S" -d "$D" otp set "$U" --file "$T/otp-short.txt"
assert_contains "$ERR" "8 to 32 printable"
printf '%040d\n' 1 >"$T/otp-long.txt"
expect_exit 3 "$S" -d "$D" otp set "$U" --file "$T/otp-long.txt"
: >"$T/otp-empty.txt"
expect_exit 3 "$S" -d "$D" otp set "$U" --file "$T/otp-empty.txt"
assert_contains "$ERR" "is empty"
# no file and no terminal: a usage error, never a value from the command line
expect_exit 2 setsid "$S" -d "$D" otp set "$U" </dev/null
assert_contains "$ERR" "no OTP: use --file FILE"
# upper-case UUID is accepted and stored canonical; the device appears in state seen
expect_exit 0 "$S" -d "$D" -v otp set "${U^^}" --file "$T/otp.txt"
assert_contains "$OUT" "recorded the OTP of $U (new device, state seen)"
assert_not_contains "$ERR" "$OTP" "verbose stderr"
expect_exit 0 "$S" -d "$D" device list --state seen
assert_contains "$OUT" "$U"
expect_exit 0 "$S" -d "$D" otp clear "$U"
expect_exit 4 "$S" -d "$D" otp clear "$U"
assert_contains "$ERR" "no OTP is recorded"
expect_exit 0 "$S" -d "$D" otp set "$U" --file "$T/otp.txt"
assert_contains "$OUT" "recorded the OTP of $U"
assert_not_contains "$OUT" "new device"

# ================================================================== profile
expect_exit 0 "$S" profile set --help
assert_contains "$OUT" "--admin-password-file F"
expect_exit 0 "$S" -d "$D" profile show default
assert_contains "$OUT" "admin password     random per device"
assert_contains "$OUT" "time sync          on"
assert_contains "$OUT" "OTP required       off"
assert_contains "$OUT" "TLS                off"
assert_contains "$OUT" "new PSK            on"
expect_exit 0 "$S" -d "$D" profile show default --json
assert_contains "$OUT" '"name":"default","admin_password":"random"'
assert_contains "$OUT" '"mebx_password":"random"'
expect_exit 4 "$S" -d "$D" profile show nope
assert_contains "$ERR" "no profile named 'nope'"
expect_exit 2 "$S" -d "$D" profile show 'bad/name'
expect_exit 2 "$S" -d "$D" profile set lab --otp maybe
assert_contains "$ERR" "--otp takes on or off"
expect_exit 2 "$S" -d "$D" profile set lab --redirection SOL,FOO
assert_contains "$ERR" "--redirection takes"
expect_exit 2 "$S" -d "$D" profile set lab --user-consent some
expect_exit 2 "$S" -d "$D" profile set lab --admin-password-random --admin-password-file "$T/x"
assert_contains "$ERR" "give the admin password once"
expect_exit 2 "$S" -d "$D" profile set lab --no-mebx --mebx-password-random
expect_exit 2 "$S" -d "$D" profile set lab --domain 'bad domain'
expect_exit 2 "$S" -d "$D" profile set
ADMIN_PW='Fixed#Admin42pw'
printf '%s\n' "$ADMIN_PW" >"$T/admin.txt"
printf 'weakpassword\n' >"$T/weak.txt"
expect_exit 3 "$S" -d "$D" profile set lab --admin-password-file "$T/weak.txt"
assert_contains "$ERR" "does not meet the AMT strength rule"
assert_not_contains "$ERR" "weakpassword"
expect_exit 4 "$S" -d "$D" profile show lab # nothing written on a refused password
expect_exit 0 "$S" -d "$D" -v profile set lab --admin-password-file "$T/admin.txt" --no-mebx \
  --otp on --tls on --redirection sol,kvm --user-consent kvm --hostname-template 'amt-%u' \
  --domain lab.scs.test
assert_contains "$OUT" "created profile 'lab'"
assert_not_contains "$ERR" "$ADMIN_PW" "verbose stderr"
expect_exit 0 "$S" -d "$D" profile show lab
assert_contains "$OUT" "admin password     fixed (stored)"
assert_contains "$OUT" "MEBx password      unchanged"
assert_contains "$OUT" "OTP required       on"
assert_contains "$OUT" "redirection        SOL,KVM"
assert_contains "$OUT" "user consent       kvm"
assert_contains "$OUT" "hostname template  amt-%u"
assert_not_contains "$OUT" "$ADMIN_PW"
expect_exit 0 "$S" -d "$D" profile set lab --time-sync off
assert_contains "$OUT" "updated profile 'lab'"
expect_exit 0 "$S" -d "$D" profile show lab --json
assert_contains "$OUT" '"admin_password":"fixed","admin_password_stored":true'
assert_contains "$OUT" '"time_sync":false'
assert_contains "$OUT" '"otp":true'
expect_exit 0 "$S" -d "$D" profile list --json
assert_contains "$OUT" '{"name":"default"'
assert_contains "$OUT" '{"name":"lab"'
expect_exit 0 "$S" -d "$D" profile set lab --admin-password-random
expect_exit 0 "$S" -d "$D" profile show lab --json
assert_contains "$OUT" '"admin_password":"random","admin_password_stored":false'
expect_exit 4 "$S" -d "$D" profile remove default
assert_contains "$ERR" "cannot be removed"
expect_exit 0 "$S" -d "$D" profile set tmp
expect_exit 0 "$S" -d "$D" profile remove tmp
expect_exit 4 "$S" -d "$D" profile remove tmp
expect_exit 0 "$S" -d "$D" audit --event profile-set
assert_contains "$OUT" "admin_password=fixed"
assert_not_contains "$OUT" "$ADMIN_PW"

# =================================================================== device
V=00112233-4455-6677-8899-aabbccddeeff
DEV_PW='Dev!ce-Admin-9Pw'
printf '%s\n' "$DEV_PW" >"$T/devpw.txt"
expect_exit 0 "$SEED" "$D" device "$V" provisioned
expect_exit 0 "$SEED" "$D" secret "$V" admin_password "$T/devpw.txt"
expect_exit 0 "$S" device --help
assert_contains "$OUT" "unprovision"
expect_exit 0 "$S" -d "$D" device list
assert_contains "$OUT" "UUID"
assert_contains "$OUT" "$V  192.0.2.10       provisioned    pki   16.1.30"
expect_exit 0 "$S" -d "$D" device list --json --state provisioned
assert_contains "$OUT" '[{"uuid":"'"$V"'","address":"192.0.2.10","state":"provisioned","path":"pki","firmware":"16.1.30","last_hello":'
assert_not_contains "$OUT" "$U"
expect_exit 2 "$S" -d "$D" device list --state bogus
assert_contains "$ERR" "invalid state 'bogus'"
expect_exit 0 "$S" -d "$D" device show "$V"
assert_contains "$OUT" "state            provisioned"
assert_contains "$OUT" "admin password: yes"
assert_not_contains "$OUT" "$DEV_PW"
expect_exit 0 "$S" -d "$D" device show "$U" --json
assert_contains "$OUT" '"otp_stored":true'
expect_exit 4 "$S" -d "$D" device show 11111111-2222-3333-4444-555555555555
assert_contains "$ERR" "no device 11111111-2222-3333-4444-555555555555"
expect_exit 2 "$S" -d "$D" device show xyz
expect_exit 2 "$S" -d "$D" device password "$V" --json
# password: printed on stdout only, audited as password-revealed, never in stderr
expect_exit 0 "$S" -d "$D" -v device password "$V"
assert_eq "$OUT" "$DEV_PW" "revealed password"
assert_not_contains "$ERR" "$DEV_PW" "verbose stderr"
expect_exit 4 "$S" -d "$D" device password "$U"
assert_contains "$ERR" "no admin password is stored"
expect_exit 4 "$S" -d "$D" device password "$V" --mebx
expect_exit 0 "$S" -d "$D" audit --event password-revealed --json
assert_contains "$OUT" '"event":"password-revealed","subject":"'"$V"'","detail":"admin_password uid='
assert_not_contains "$OUT" "$DEV_PW"
# unprovision: the device at 192.0.2.10 (TEST-NET-1) does not answer: exit 5,
# audited, registry unchanged.  The e2e test unprovision covers a real device.
expect_exit 0 "$S" device unprovision --help
assert_contains "$OUT" "--mark-only"
expect_exit 2 "$S" -d "$D" device unprovision "$V" --port 0
expect_exit 2 "$S" -d "$D" device unprovision "$V" --timeout x
expect_exit 5 "$S" -d "$D" device unprovision "$V" --timeout 1
assert_contains "$ERR" "$V was not unprovisioned"
assert_not_contains "$ERR" "$DEV_PW"
expect_exit 0 "$S" -d "$D" audit --event unprovision-failed
assert_contains "$OUT" "$V"
expect_exit 0 "$S" -d "$D" device list --state provisioned
assert_contains "$OUT" "$V"
# --mark-only: for a device that is gone, only the registry changes
expect_exit 0 "$S" -d "$D" device unprovision "$V" --mark-only
assert_contains "$OUT" "marked $V unprovisioned (was provisioned)"
expect_exit 0 "$S" -d "$D" device list --state unprovisioned
assert_contains "$OUT" "$V"
expect_exit 0 "$S" -d "$D" device unprovision --mark-only "$V"
assert_contains "$OUT" "already marked unprovisioned"
expect_exit 4 "$S" -d "$D" device unprovision 11111111-2222-3333-4444-555555555555
expect_exit 4 "$S" -d "$D" device unprovision --mark-only 11111111-2222-3333-4444-555555555555
expect_exit 0 "$S" -d "$D" audit --event unprovision-requested
assert_contains "$OUT" "$V"

# ==================================================================== audit
expect_exit 0 "$S" audit --help
assert_contains "$OUT" "--since T"
expect_exit 2 "$S" -d "$D" audit --since yesterday
assert_contains "$ERR" "--since takes"
expect_exit 2 "$S" -d "$D" audit extra
# export and import rows appear
expect_exit 0 "$S" -d "$D" psk generate -n 3
printf 'bundle pass phrase\n' >"$T/pass.txt"
expect_exit 0 "$S" -d "$D" psk export --out "$T/b.scsb" --passphrase-file "$T/pass.txt"
expect_exit 0 "$S" -d "$T/d2" init
expect_exit 0 "$S" -d "$T/d2" psk import "$T/b.scsb" --passphrase-file "$T/pass.txt"
expect_exit 0 "$S" -d "$D" audit
for ev in init ca-created profile-set cert-added cert-removed otp-set otp-cleared \
  password-revealed unprovision-requested generate export; do
  assert_contains "$OUT" " $ev " "audit log"
done
expect_exit 0 "$S" -d "$T/d2" audit --json --event import
assert_contains "$OUT" '"event":"import","subject":"'"$T/b.scsb"'"'
expect_exit 0 "$S" -d "$D" audit --since 1d --event export
assert_contains "$OUT" "export"
expect_exit 0 "$S" -d "$D" audit --since 2099-01-01
assert_eq "$OUT" "" "audit after 2099"
expect_exit 0 "$S" -d "$D" audit --since 2000-01-01T00:00:00Z --json --event init
assert_contains "$OUT" '"event":"init"'

# =================================================================== doctor
expect_exit 0 "$S" doctor --help
assert_contains "$OUT" "Exit codes: 0 would provision, 1 would not"
expect_exit 2 "$S" -d "$D" doctor
expect_exit 2 "$S" -d "$D" doctor --device "$V" "$T/x.bin"
assert_contains "$ERR" "not both"
expect_exit 2 "$S" -d "$D" doctor --device nope
# PKI Hello trusting our root (SHA-256) from a new device
W_RAW=0102030405060708090a0b0c0d0e0f10
W=04030201-0605-0807-090a-0b0c0d0e0f10
hexfile "$T/pki.bin" "0100030000000000${W_RAW}010220${ROOT256}"
expect_exit 0 "$S" -d "$D" doctor "$T/pki.bin"
assert_contains "$OUT" "ok    root         'corp' (domain prov.scs.test): root trusted by the device (SHA256)"
assert_contains "$OUT" "note  domain"
assert_contains "$OUT" "$W would provision"
expect_exit 0 "$S" -d "$D" doctor "$T/pki.bin" --dns-suffix scs.test --json
assert_contains "$OUT" '"would_provision":true'
assert_contains "$OUT" "fits the DNS suffix scs.test"
expect_exit 1 "$S" -d "$D" doctor "$T/pki.bin" --dns-suffix other.example
assert_contains "$OUT" "FAIL  domain       no trusted certificate serves the DNS suffix other.example"
# a root the device does not trust
hexfile "$T/other.bin" "0100030000000000${W_RAW}010220$(cat "$P/other-root.sha256")"
expect_exit 1 "$S" -d "$D" doctor "$T/other.bin"
assert_contains "$OUT" "none of the 2 stored certificates has a root among the 1 hashes"
assert_contains "$OUT" "would NOT provision"
# OTP required by the device's profile but none recorded
expect_exit 0 "$S" -d "$D" profile set default --otp on
expect_exit 1 "$S" -d "$D" doctor "$T/pki.bin"
assert_contains "$OUT" "FAIL  otp          profile 'default' requires an OTP but none is recorded"
expect_exit 0 "$S" -d "$D" otp set "$W" --file "$T/otp.txt"
expect_exit 0 "$S" -d "$D" doctor "$T/pki.bin"
assert_contains "$OUT" "ok    otp"
expect_exit 0 "$S" -d "$D" profile set default --otp off
# an already provisioned device is ignored
expect_exit 0 "$SEED" "$D" device "$W" provisioned
expect_exit 1 "$S" -d "$D" doctor "$T/pki.bin"
assert_contains "$OUT" "already provisioned by this server"
# PSK Hello: unknown PID, then an assigned one, then one in the wrong state
hexfile "$T/psk-unknown.bin" "0100020000000000${U_RAW}$(printf 'ZZZZZZZZ' | xxd -p)"
expect_exit 1 "$S" -d "$D" doctor "$T/psk-unknown.bin"
assert_contains "$OUT" "FAIL  pid"
expect_exit 0 "$S" -d "$D" usb create --out "$T/setup.bin" --count 1
PID=$("$S" -d "$D" psk list --state assigned | awk '{print $1}' | tr -d '-')
hexfile "$T/psk.bin" "0100020000000000${U_RAW}$(printf '%s' "$PID" | xxd -p)"
expect_exit 0 "$S" -d "$D" doctor "$T/psk.bin"
assert_contains "$OUT" "PSK Hello from $U"
assert_contains "$OUT" "is assigned (usb:"
expect_exit 0 "$S" -d "$D" psk revoke "$PID"
expect_exit 1 "$S" -d "$D" doctor "$T/psk.bin" --json
assert_contains "$OUT" 'is revoked, not assigned'
assert_contains "$OUT" '"would_provision":false'
# malformed Hello: exit 3
hexfile "$T/bad.bin" "0100030000000000"
expect_exit 3 "$S" -d "$D" doctor "$T/bad.bin"
assert_contains "$ERR" "is not a valid Hello"
expect_exit 5 "$S" -d "$D" doctor "$T/missing.bin"
# --device: the registry's record
expect_exit 1 "$S" -d "$D" doctor --device "$W"
assert_contains "$OUT" "already provisioned"
expect_exit 0 "$SEED" "$D" device "$W" refused "no chain matches"
expect_exit 0 "$S" -d "$D" doctor --device "$W"
assert_contains "$OUT" "refused after 0 attempt(s)"
assert_contains "$OUT" "no chain matches"
assert_contains "$OUT" "note  window"
expect_exit 0 "$S" -d "$D" doctor --device "$W" --json
assert_contains "$OUT" '"check":"window"'
expect_exit 4 "$S" -d "$D" doctor --device 11111111-2222-3333-4444-555555555555

# ========================================= no plaintext secret at rest
for f in "$D"/scs.db*; do
  for needle in "$OTP" "$ADMIN_PW" "$DEV_PW" "PRIVATE KEY"; do
    if grep -aqF -- "$needle" "$f"; then fail "$f holds a plaintext secret ($needle)"; else pass; fi
  done
done
# the leaf key's base64 body must not be there either
KEYLINE=$(sed -n 2p "$P/leaf-oid.key")
for f in "$D"/scs.db*; do
  if grep -aqF -- "$KEYLINE" "$f"; then fail "$f holds the certificate key"; else pass; fi
done

# ---- uninitialised directory: exit 4 everywhere
for cmd in "cert list" "profile list" "device list" "audit" "otp set $U --file $T/otp.txt" \
  "doctor $T/pki.bin"; do
  # shellcheck disable=SC2086
  expect_exit 4 "$S" -d "$T/none" $cmd
done

finish
