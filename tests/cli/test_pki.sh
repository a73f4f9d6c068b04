#!/usr/bin/env bash
# make-test-pki.sh: each certificate has exactly the properties its name
# promises, checked with the openssl CLI rather than with our own code, so a
# bug in src/crypto cannot hide a bug in the generator (or the other way round).
. "$SCS_TESTS/lib.sh"
GEN="$SCS_TESTS/integration/make-test-pki.sh"
INTEL_OID=2.16.840.1.113741.1.2.3
INTEL_OU='Intel(R) Client Setup Certificate'
LEAVES="leaf-oid leaf-ou leaf-wrongdomain leaf-noeku leaf-expired leaf-rsa1024"

# check MESSAGE CMD... : pass when CMD succeeds, else fail with MESSAGE.
check() {
  local msg=$1
  shift
  if "$@"; then pass; else fail "$msg"; fi
}

# x509 FILE ARGS... : openssl x509 on FILE, stdout only.
x509() {
  local f=$1
  shift
  openssl x509 -in "$f" -noout "$@"
}

# rdn FILE FIELD : the values of one subject field, one per line (CN, OU, O).
rdn() {
  x509 "$1" -subject -nameopt sep_multiline,sname,utf8 | sed -n "s/^ *$2=//p"
}

eku() {
  x509 "$1" -ext extendedKeyUsage 2>/dev/null | sed -n '2,$p' | tr -d ' '
}

bits() {
  x509 "$1" -text | sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p'
}

# verify_chain LEAF [ROOT] [extra verify options] : openssl verify through the intermediate.
verify_chain() {
  local leaf=$1 root=${2:-$D/root.pem}
  shift 2 || shift $#
  openssl verify "$@" -CAfile "$root" -untrusted "$D/intermediate.pem" "$leaf" 2>&1
}

# ---- usage
expect_exit 2 bash "$GEN"
assert_contains "$ERR" "Usage: make-test-pki.sh DIR [DNS_SUFFIX]"
expect_exit 2 bash "$GEN" "$T/x" "bad suffix!"
expect_exit 2 bash "$GEN" "$T/x" other.test
assert_contains "$ERR" "reserved for leaf-wrongdomain"

# ---- default suffix
D="$T/pki"
expect_exit 0 bash "$GEN" "$D"
assert_contains "$OUT" "prov.scs.test"
for f in root.pem root.key root.sha256 root.sha1 intermediate.pem intermediate.key \
  other-root.pem other-root.key other-root.sha256; do
  check "$f missing" test -s "$D/$f"
done
for l in $LEAVES; do
  for f in "$l.pem" "$l.key" "$l-chain.pem"; do
    check "$f missing" test -s "$D/$f"
  done
done
assert_eq "$(find "$D" -mindepth 1 -name '.work*' | wc -l)" 0 "work files left behind"
assert_eq "$(find "$D" -name '*.key' ! -perm 0600 | wc -l)" 0 "keys not 0600"

# ---- roots and the intermediate
for r in root other-root; do
  assert_eq "$(x509 "$D/$r.pem" -subject)" "$(x509 "$D/$r.pem" -issuer | sed 's/^issuer=/subject=/')" \
    "$r self-signed"
  assert_contains "$(x509 "$D/$r.pem" -ext basicConstraints)" "CA:TRUE" "$r basicConstraints"
  assert_eq "$(openssl verify -CAfile "$D/$r.pem" "$D/$r.pem" 2>&1)" "$D/$r.pem: OK" "$r verifies itself"
  assert_eq "$(bits "$D/$r.pem")" 2048 "$r key size"
done
assert_contains "$(x509 "$D/intermediate.pem" -ext basicConstraints)" "CA:TRUE" "intermediate CA"
assert_eq "$(x509 "$D/intermediate.pem" -issuer | sed 's/^issuer=//')" \
  "$(x509 "$D/root.pem" -subject | sed 's/^subject=//')" "intermediate issuer"
assert_eq "$(openssl verify -CAfile "$D/root.pem" "$D/intermediate.pem" 2>&1)" \
  "$D/intermediate.pem: OK" "intermediate verifies"
assert_not_contains "$(x509 "$D/root.pem" -subject)" "$(x509 "$D/other-root.pem" -subject)" "roots unrelated"

# ---- digests: lowercase hex over the DER, exactly what a hash table carries
assert_eq "$(cat "$D/root.sha256")" \
  "$(openssl x509 -in "$D/root.pem" -outform DER | sha256sum | cut -d' ' -f1)" "root.sha256"
assert_eq "$(cat "$D/root.sha1")" \
  "$(openssl x509 -in "$D/root.pem" -outform DER | sha1sum | cut -d' ' -f1)" "root.sha1"
assert_eq "$(cat "$D/other-root.sha256")" \
  "$(openssl x509 -in "$D/other-root.pem" -outform DER | sha256sum | cut -d' ' -f1)" "other-root.sha256"
check "root.sha256 not 64 lowercase hex" grep -qxE '[0-9a-f]{64}' "$D/root.sha256"
check "root.sha1 not 40 lowercase hex" grep -qxE '[0-9a-f]{40}' "$D/root.sha1"
check "roots share a hash" test "$(cat "$D/root.sha256")" != "$(cat "$D/other-root.sha256")"

# ---- every leaf: signed by the intermediate, its key, its chain
for l in $LEAVES; do
  c="$D/$l.pem"
  assert_eq "$(x509 "$c" -issuer | sed 's/^issuer=//')" \
    "$(x509 "$D/intermediate.pem" -subject | sed 's/^subject=//')" "$l issuer"
  assert_contains "$(x509 "$c" -ext basicConstraints)" "CA:FALSE" "$l basicConstraints"
  assert_eq "$(x509 "$c" -pubkey)" "$(openssl pkey -in "$D/$l.key" -pubout)" "$l key matches"
  # The chain is the leaf, the intermediate and the root, byte for byte and in that order.
  assert_eq "$(cat "$D/$l-chain.pem")" "$(cat "$c" "$D/intermediate.pem" "$D/root.pem")" "$l chain"
  assert_eq "$(grep -c 'BEGIN CERTIFICATE' "$D/$l-chain.pem")" 3 "$l chain length"
  # Never trusted through the unrelated root.
  assert_not_contains "$(verify_chain "$c" "$D/other-root.pem")" ": OK" "$l under other-root"
done

# leaf-oid: the reference certificate
c="$D/leaf-oid.pem"
assert_eq "$(rdn "$c" CN)" "prov.scs.test" "leaf-oid CN"
assert_eq "$(rdn "$c" OU)" "" "leaf-oid OU"
assert_eq "$(eku "$c")" "TLSWebServerAuthentication,$INTEL_OID" "leaf-oid EKU"
assert_contains "$(x509 "$c" -ext subjectAltName)" "DNS:prov.scs.test" "leaf-oid SAN"
assert_eq "$(bits "$c")" 2048 "leaf-oid key size"
expect_exit 0 x509 "$c" -checkend 0
assert_eq "$(verify_chain "$c")" "$c: OK" "leaf-oid verify"
assert_eq "$(verify_chain "$D/leaf-oid-chain.pem" "$D/root.pem")" "$D/leaf-oid-chain.pem: OK" "leaf-oid chain file verify"

# leaf-ou: the OU instead of the OID
c="$D/leaf-ou.pem"
assert_eq "$(rdn "$c" CN)" "prov.scs.test" "leaf-ou CN"
assert_eq "$(rdn "$c" OU)" "$INTEL_OU" "leaf-ou OU"
assert_eq "$(eku "$c")" "TLSWebServerAuthentication" "leaf-ou EKU"
assert_eq "$(bits "$c")" 2048 "leaf-ou key size"
assert_eq "$(verify_chain "$c")" "$c: OK" "leaf-ou verify"

# leaf-wrongdomain: only the name differs
c="$D/leaf-wrongdomain.pem"
assert_eq "$(rdn "$c" CN)" "prov.other.test" "leaf-wrongdomain CN"
assert_eq "$(rdn "$c" OU)" "" "leaf-wrongdomain OU"
assert_contains "$(x509 "$c" -ext subjectAltName)" "DNS:prov.other.test" "leaf-wrongdomain SAN"
assert_not_contains "$(x509 "$c" -ext subjectAltName)" "scs.test" "leaf-wrongdomain SAN"
assert_eq "$(eku "$c")" "TLSWebServerAuthentication,$INTEL_OID" "leaf-wrongdomain EKU"
assert_eq "$(verify_chain "$c")" "$c: OK" "leaf-wrongdomain verify"

# leaf-noeku: a plain TLS server certificate, no Intel marker of either kind
c="$D/leaf-noeku.pem"
assert_eq "$(rdn "$c" CN)" "prov.scs.test" "leaf-noeku CN"
assert_eq "$(rdn "$c" OU)" "" "leaf-noeku OU"
assert_eq "$(eku "$c")" "TLSWebServerAuthentication" "leaf-noeku EKU"
assert_not_contains "$(x509 "$c" -text)" "$INTEL_OID" "leaf-noeku text"
assert_not_contains "$(x509 "$c" -text)" "Client Setup" "leaf-noeku text"
assert_eq "$(verify_chain "$c")" "$c: OK" "leaf-noeku verify"

# leaf-expired: valid once, not now
c="$D/leaf-expired.pem"
assert_eq "$(rdn "$c" CN)" "prov.scs.test" "leaf-expired CN"
assert_eq "$(eku "$c")" "TLSWebServerAuthentication,$INTEL_OID" "leaf-expired EKU"
assert_eq "$(x509 "$c" -startdate)" "notBefore=Jan  1 00:00:00 2020 GMT" "leaf-expired notBefore"
assert_eq "$(x509 "$c" -enddate)" "notAfter=Jan  1 00:00:00 2021 GMT" "leaf-expired notAfter"
expect_exit 1 x509 "$c" -checkend 0
assert_contains "$(verify_chain "$c")" "certificate has expired" "leaf-expired verify"
# Everything else about it is sound: without time checks it verifies.
assert_eq "$(verify_chain "$c" "$D/root.pem" -no_check_time)" "$c: OK" "leaf-expired verify, time aside"
for l in leaf-oid leaf-ou leaf-wrongdomain leaf-noeku leaf-rsa1024; do
  expect_exit 0 x509 "$D/$l.pem" -checkend 86400
done

# leaf-rsa1024: only the key size differs; at security level 2 it is too weak
c="$D/leaf-rsa1024.pem"
assert_eq "$(rdn "$c" CN)" "prov.scs.test" "leaf-rsa1024 CN"
assert_eq "$(eku "$c")" "TLSWebServerAuthentication,$INTEL_OID" "leaf-rsa1024 EKU"
assert_eq "$(bits "$c")" 1024 "leaf-rsa1024 key size"
assert_eq "$(verify_chain "$c")" "$c: OK" "leaf-rsa1024 verify"
assert_contains "$(verify_chain "$c" "$D/root.pem" -auth_level 2)" "key too weak" "leaf-rsa1024 at level 2"
for l in leaf-oid leaf-ou leaf-wrongdomain leaf-noeku; do
  assert_eq "$(verify_chain "$D/$l.pem" "$D/root.pem" -auth_level 2)" "$D/$l.pem: OK" "$l at level 2"
done

# ---- a named suffix, and a second run over the same directory replaces everything
old_hash=$(cat "$D/root.sha256")
expect_exit 0 bash "$GEN" "$D" Corp.Example
for l in leaf-oid leaf-ou leaf-noeku leaf-expired leaf-rsa1024; do
  assert_eq "$(rdn "$D/$l.pem" CN)" "prov.corp.example" "$l CN with a suffix"
done
assert_eq "$(rdn "$D/leaf-wrongdomain.pem" CN)" "prov.other.test" "leaf-wrongdomain CN with a suffix"
assert_contains "$(x509 "$D/leaf-oid.pem" -ext subjectAltName)" "DNS:prov.corp.example" "SAN with a suffix"
check "second run kept the old root" test "$(cat "$D/root.sha256")" != "$old_hash"
assert_eq "$(verify_chain "$D/leaf-oid.pem")" "$D/leaf-oid.pem: OK" "second run chain"

finish
