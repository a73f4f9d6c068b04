#!/usr/bin/env bash
# make-test-pki.sh DIR [DNS_SUFFIX]
#
# Writes a throw-away test PKI for PKI (zero-touch) provisioning into DIR
# (protocol.md §5.1).  Every leaf differs from leaf-oid in exactly one
# property, so a test can name the one thing a check must catch:
#
#   root.pem            self-signed CA (CA:TRUE); root.sha256 / root.sha1 are
#                       lowercase hex digests of its DER, as an AMT hash table
#                       and a PKI Hello carry them
#   intermediate.pem    CA (CA:TRUE, pathlen 0) signed by the root
#   leaf-oid            CN prov.<suffix>, EKU serverAuth + 2.16.840.1.113741.1.2.3
#   leaf-ou             OU "Intel(R) Client Setup Certificate", EKU serverAuth only
#   leaf-wrongdomain    as leaf-oid, CN prov.other.test
#   leaf-noeku          EKU serverAuth only and no OU: no Intel marker at all
#   leaf-expired        as leaf-oid, valid 2020-01-01 .. 2021-01-01 only
#   leaf-rsa1024        as leaf-oid, 1024-bit RSA key (AMT from ME 16 refuses it)
#   other-root.pem      an unrelated self-signed root, other-root.sha256
#
# Each leaf comes as NAME.pem, NAME.key and NAME-chain.pem (leaf, intermediate,
# root, in that order).  File names are fixed; keys and serial numbers are not
# reproducible (fresh keys each run).  Needs bash and the openssl CLI only.
# Exit codes: 0 written, 1 openssl failed, 2 usage.
set -euo pipefail

usage() {
  echo "Usage: make-test-pki.sh DIR [DNS_SUFFIX]   (DNS_SUFFIX defaults to scs.test)" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  usage
fi
dir=$1
suffix=${2:-scs.test}
suffix=${suffix,,}
# A DNS name only: it is pasted into openssl subject and extension text.
if ! [[ $suffix =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || [[ $suffix == *..* ]]; then
  echo "make-test-pki.sh: '$suffix' is not a DNS suffix" >&2
  exit 2
fi
if [ "$suffix" = other.test ]; then
  echo "make-test-pki.sh: other.test is reserved for leaf-wrongdomain" >&2
  exit 2
fi

intel_oid=2.16.840.1.113741.1.2.3
intel_ou='Intel(R) Client Setup Certificate'

mkdir -p "$dir"
# Private keys are written 0600 like any real key would be.
umask 077
work=$(mktemp -d "$dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One extension file for every certificate kind; sections picked per call.
cat >"$work/ext.cnf" <<EXT
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[leaf_oid]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, $intel_oid
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:prov.$suffix

[leaf_wrongdomain]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, $intel_oid
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:prov.other.test

[leaf_server_only]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:prov.$suffix
EXT

# openssl prints progress dots and notes on stderr; show them only on failure.
run() {
  if ! "$@" 2>"$work/err"; then
    echo "make-test-pki.sh: $1 $2 failed:" >&2
    cat "$work/err" >&2
    exit 1
  fi
}

newkey() { # BITS OUT
  run openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" -out "$2"
}

# Lowercase hex of a digest over the certificate's DER: the fingerprint is
# exactly that digest, printed with colons and in capitals.
fingerprint() { # PEM ALG
  local fp
  fp=$(openssl x509 -in "$1" -noout -fingerprint "-$2")
  fp=${fp#*=}
  fp=${fp//:/}
  echo "${fp,,}"
}

# signed NAME SUBJECT SECTION SERIAL BITS ISSUER DAYS
signed() {
  newkey "$5" "$dir/$1.key"
  # A 1024-bit key needs no extra option here: openssl 3.0's security levels
  # govern TLS and `verify -auth_level`, not genpkey, req or x509 -req (checked
  # with 3.0.19).  The signature itself is made by the 2048-bit issuer key.
  run openssl req -new -key "$dir/$1.key" -subj "$2" -sha256 -config /dev/null -out "$work/$1.csr"
  run openssl x509 -req -in "$work/$1.csr" -CA "$dir/$6.pem" -CAkey "$dir/$6.key" -sha256 \
    -set_serial "$4" -days "$7" -extfile "$work/ext.cnf" -extensions "$3" -out "$dir/$1.pem"
}

chain() { # NAME
  cat "$dir/$1.pem" "$dir/intermediate.pem" "$dir/root.pem" >"$dir/$1-chain.pem"
}

# ---- roots and the intermediate
newkey 2048 "$dir/root.key"
run openssl req -new -x509 -key "$dir/root.key" -subj "/O=SCS Test/CN=SCS Test Root CA" -sha256 \
  -days 3650 -set_serial 1 -config "$work/ext.cnf" -extensions root -out "$dir/root.pem"
newkey 2048 "$dir/other-root.key"
run openssl req -new -x509 -key "$dir/other-root.key" -subj "/O=SCS Other/CN=SCS Unrelated Root CA" \
  -sha256 -days 3650 -set_serial 1 -config "$work/ext.cnf" -extensions root -out "$dir/other-root.pem"
signed intermediate "/O=SCS Test/CN=SCS Test Intermediate CA" intermediate 2 2048 root 3650

# ---- leaves
signed leaf-oid "/CN=prov.$suffix" leaf_oid 16 2048 intermediate 825
signed leaf-ou "/OU=$intel_ou/CN=prov.$suffix" leaf_server_only 17 2048 intermediate 825
signed leaf-wrongdomain "/CN=prov.other.test" leaf_wrongdomain 18 2048 intermediate 825
signed leaf-noeku "/CN=prov.$suffix" leaf_server_only 19 2048 intermediate 825
signed leaf-rsa1024 "/CN=prov.$suffix" leaf_oid 21 1024 intermediate 825

# An expired certificate needs dates in the past, which only `openssl ca` sets
# (x509 -req in openssl 3.0 counts days from now).
newkey 2048 "$dir/leaf-expired.key"
run openssl req -new -key "$dir/leaf-expired.key" -subj "/CN=prov.$suffix" -sha256 -config /dev/null \
  -out "$work/leaf-expired.csr"
mkdir "$work/ca"
: >"$work/ca/index.txt"
echo 14 >"$work/ca/serial" # hex 0x14 = 20, between leaf-noeku and leaf-rsa1024
cat >"$work/ca.cnf" <<CA
[ca]
default_ca = test_ca
[test_ca]
database = $work/ca/index.txt
new_certs_dir = $work/ca
serial = $work/ca/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
CA
run openssl ca -batch -notext -preserveDN -config "$work/ca.cnf" -cert "$dir/intermediate.pem" \
  -keyfile "$dir/intermediate.key" -startdate 20200101000000Z -enddate 20210101000000Z \
  -extfile "$work/ext.cnf" -extensions leaf_oid -in "$work/leaf-expired.csr" -out "$dir/leaf-expired.pem"

for leaf in leaf-oid leaf-ou leaf-wrongdomain leaf-noeku leaf-expired leaf-rsa1024; do
  chain "$leaf"
done

# ---- digests, as a device's hash table carries them
fingerprint "$dir/root.pem" sha256 >"$dir/root.sha256"
fingerprint "$dir/root.pem" sha1 >"$dir/root.sha1"
fingerprint "$dir/other-root.pem" sha256 >"$dir/other-root.sha256"
chmod 0644 "$dir"/*.pem "$dir"/*.sha256 "$dir"/*.sha1
echo "test PKI for prov.$suffix written to $dir"
