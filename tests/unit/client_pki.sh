#!/usr/bin/env bash
# Generate a throw-away test PKI for the client-stack tests into directory $1:
#   root.pem/.key        self-signed RSA-2048 root (the "device knows its hash" CA)
#   inter.pem/.key       intermediate CA
#   leaf.pem/.key        provisioning leaf: EKU serverAuth + Intel OID 2.16.840.1.113741.1.2.3,
#                        CN prov.corp.example.com, SAN DNS prov.corp.example.com
#   chain.pem            leaf, intermediate, root (leaf first, as sent in TLS)
#   ou_leaf.pem/.key     leaf with OU "Intel(R) Client Setup Certificate", serverAuth, no OID
#   weak_leaf.pem/.key   RSA-1024, clientAuth only, no OID/OU
#   device.pem/.key      self-signed "device" server certificate for s_server
set -euo pipefail
d=$1
mkdir -p "$d"
cd "$d"
subj_root="/CN=SCS Test Root/O=scs-tests"
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 30 \
  -subj "$subj_root" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj "/CN=SCS Test Intermediate/O=scs-tests" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > inter.ext
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 \
  -extfile inter.ext -out inter.pem 2>/dev/null
leaf() { # name bits subject eku days
  openssl req -newkey "rsa:$2" -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\nsubjectAltName=DNS:prov.corp.example.com\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA inter.pem -CAkey inter.key -CAcreateserial -days "$5" \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
leaf leaf 2048 "/CN=prov.corp.example.com/O=scs-tests" "serverAuth,clientAuth,2.16.840.1.113741.1.2.3" 20
leaf ou_leaf 2048 "/CN=*.example.com/OU=Intel(R) Client Setup Certificate" "serverAuth" 20
leaf weak_leaf 1024 "/CN=weak.example.org" "clientAuth" 20
cat leaf.pem inter.pem root.pem > chain.pem
cat ou_leaf.pem inter.pem root.pem > ou_chain.pem
cat weak_leaf.pem inter.pem root.pem > weak_chain.pem
cat inter.pem leaf.pem root.pem > misordered_chain.pem
openssl req -x509 -newkey rsa:2048 -nodes -keyout device.key -out device.pem -days 30 \
  -subj "/CN=IntelAMT-000000000000" 2>/dev/null
openssl x509 -in device.pem -outform DER -out device.der
