#!/usr/bin/env bash
# scsctl ca show / import: the CA that signs device TLS certificates.
. "$(dirname "$0")/../lib.sh"
S=$SCS_BIN/scsctl
D=$T/data

expect_exit 4 "$S" -d "$D" ca show
assert_contains "$ERR" "is not an initialised data directory (run 'scsctl init')" "show before init"

"$S" -d "$D" init >/dev/null
expect_exit 0 "$S" -d "$D" ca show
assert_contains "$OUT" "cn       scs device TLS CA" "init's CA"
expect_exit 0 "$S" -d "$D" ca show --json
assert_contains "$OUT" '"cn":"scs device TLS CA"' "json cn"
assert_contains "$OUT" '"sha256":"' "json sha256"
expect_exit 0 "$S" ca --help
assert_contains "$OUT" "import" "group help"

bash "$SCS_TESTS/integration/make-test-pki.sh" "$T/pki" >/dev/null
P=$T/pki

# Refusals change nothing.
before=$("$S" -d "$D" ca show --json)
expect_exit 3 "$S" -d "$D" ca import --cert "$P/leaf-oid.pem" --key "$P/leaf-oid.key"
assert_contains "$ERR" "not a CA" "a leaf is refused"
expect_exit 3 "$S" -d "$D" ca import --cert "$P/intermediate.pem" --key "$P/root.key"
assert_contains "$ERR" "does not match" "a foreign key is refused"
expect_exit 3 "$S" -d "$D" ca import --cert "$P/intermediate.key" --key "$P/intermediate.key"
expect_exit 2 "$S" -d "$D" ca import --cert "$P/intermediate.pem"
assert_contains "$ERR" "--cert FILE and --key FILE are both required" "missing --key"
expect_exit 2 "$S" -d "$D" ca import --cert "$P/intermediate.pem" --key "$P/intermediate.key" extra
expect_exit 2 "$S" -d "$D" ca import --bogus
expect_exit 5 "$S" -d "$D" ca import --cert "$T/nope.pem" --key "$P/intermediate.key"
assert_contains "$ERR" "cannot read $T/nope.pem" "missing file named"
assert_eq "$("$S" -d "$D" ca show --json)" "$before" "refusals left the CA alone"

# An organisation's intermediate CA replaces init's.
want_cn=$(openssl x509 -in "$P/intermediate.pem" -noout -subject -nameopt multiline | sed -n 's/ *commonName *= *//p')
want_fp=$(openssl x509 -in "$P/intermediate.pem" -outform DER | sha256sum | cut -d' ' -f1)
expect_exit 0 "$S" -d "$D" ca import --cert "$P/intermediate.pem" --key "$P/intermediate.key"
assert_contains "$OUT" "imported CA '$want_cn' (sha256 $want_fp)" "import message"
expect_exit 0 "$S" -d "$D" ca show --json
assert_contains "$OUT" "\"cn\":\"$want_cn\"" "imported cn"
assert_contains "$OUT" "\"sha256\":\"$want_fp\"" "imported fingerprint"
expect_exit 0 "$S" -d "$D" audit --event ca-imported
assert_contains "$OUT" "sha256=$want_fp" "audited"

# The key is sealed: no line of its PEM body is in the database files.
keyline=$(sed -n 2p "$P/intermediate.key")
if cat "$D"/scs.db* | grep -qaF "$keyline"; then fail "CA key in plaintext in the store"; else pass; fi
assert_not_contains "$ERR" "PRIVATE KEY" "stderr"

finish
