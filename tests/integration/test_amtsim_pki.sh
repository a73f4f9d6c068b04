#!/bin/bash
# PKI: mutual TLS trusted only by root hash (openssl s_client with a chain made
# by the openssl CLI), the leaf rules of protocol.md §5.1, and host-based
# AdminSetup with a real RSA-SHA256 signature over ConfigurationNonce||McNonce.
. "$(dirname "$0")/amtsim_lib.sh"

C="$T/certs"
mkdir -p "$C"
cat >"$C/ext.cnf" <<'EOF'
[oid]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,2.16.840.1.113741.1.2.3
[ou]
basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
[plain]
basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
[client]
basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth,2.16.840.1.113741.1.2.3
EOF
mkcert() { # mkcert NAME SUBJECT EXT
    openssl req -newkey rsa:2048 -nodes -keyout "$C/$1.key" -out "$C/$1.csr" -subj "$2" 2>/dev/null &&
        openssl x509 -req -in "$C/$1.csr" -CA "$C/root.pem" -CAkey "$C/root.key" -CAcreateserial \
            -out "$C/$1.pem" -days 365 -sha256 -extfile "$C/ext.cnf" -extensions "$3" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/root.key" -out "$C/root.pem" -days 3650 \
    -subj "/CN=amtsim Test Root/O=amtsim" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || exit 1
mkcert oid "/CN=prov.example.com/O=amtsim" oid || exit 1
mkcert ou "/CN=prov.example.com/OU=Intel(R) Client Setup Certificate" ou || exit 1
mkcert plain "/CN=prov.example.com/O=amtsim" plain || exit 1
mkcert client "/CN=prov.example.com/O=amtsim" client || exit 1
mkcert other "/CN=prov.example.org/O=amtsim" oid || exit 1
ROOTHASH=$(openssl x509 -in "$C/root.pem" -outform DER | sha256sum | cut -d' ' -f1)

D="$T/fleet"
"$AMTSIM" -d "$D" create -n 1 --mode pki --dns-suffix example.com --root-hash "$ROOTHASH" \
    --otp 'OTP-0123456789' --base-address 127.33.0.1 >/dev/null || exit 1
"$AMTSIM" -d "$D" create -n 1 --mode pki --dns-suffix example.com >/dev/null || exit 1
"$AMTSIM" -d "$D" create -n 1 --mode none --dns-suffix example.com --root-hash "$ROOTHASH" \
    >/dev/null || exit 1
start_sim "$D" --tls-port 18993 --http-port 18992 --local-port 18990 || exit 1

# pki_post ADDR LEAF FILE [more s_client args]: one request in a mutual-TLS session
pki_post() {
    local len
    len=$(stat -c %s "$3")
    { printf 'POST /wsman HTTP/1.1\r\nHost: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$1" "$len"; cat "$3"; } |
        timeout 20 openssl s_client -connect "$1:18993" -cert "$C/$2.pem" -key "$C/$2.key" \
            -cert_chain "$C/root.pem" -tls1_2 -quiet 2>/dev/null
}

R1=$(dev_field "$D" 1 realm)
out=$(pki_post 127.33.0.1 oid "$WSREQ/AMT_GeneralSettings.Get.xml")
check "mutual TLS (EKU OID leaf): WS-Man without Digest" "$(echo "$out" | xval DigestRealm)" "$R1"
out=$(pki_post 127.33.0.1 ou "$WSREQ/AMT_SetupAndConfigurationService.Get.xml")
check "mutual TLS (OU leaf): ProvisioningState" "$(echo "$out" | xval ProvisioningState)" 1
check "OTP readable in the provisioning session" "$(echo "$out" | xval ProvisioningServerOTP | base64 -d)" "OTP-0123456789"
out=$(pki_post 127.33.0.1 plain "$WSREQ/AMT_GeneralSettings.Get.xml")
check "leaf without Intel OID/OU refused" "$(echo "$out" | xcount DigestRealm)" 0
out=$(pki_post 127.33.0.1 client "$WSREQ/AMT_GeneralSettings.Get.xml")
check "leaf without serverAuth refused" "$(echo "$out" | xcount DigestRealm)" 0
out=$(pki_post 127.33.0.1 other "$WSREQ/AMT_GeneralSettings.Get.xml")
check "leaf CN outside the DNS suffix refused" "$(echo "$out" | xcount DigestRealm)" 0
out=$(pki_post 127.33.0.2 oid "$WSREQ/AMT_GeneralSettings.Get.xml")
check "root hash not in the device table refused" "$(echo "$out" | xcount DigestRealm)" 0
out=$(echo | timeout 20 openssl s_client -connect 127.33.0.1:18993 -tls1_2 2>&1)
check_match "CertificateRequest with an empty CA list" "$out" 'No client certificate CA names sent'
out=$(curl_digest "https://127.33.0.1:18993/wsman" admin x "$WSREQ/AMT_GeneralSettings.Get.xml" -k -o /dev/null -w '%{http_code}' 2>/dev/null)
check "no client certificate: no session" "$out" 000
check_match "rejections logged" "$(cat "$T/amtsim.log")" 'provisioning certificate rejected'

# --- host-based AdminSetup (ACM) with a real signature, on the local interface ---
LOC="http://127.33.0.3:18990/wsman"
OSPW=$("$AMTSIM" -d "$D" osadmin 3 | cut -d' ' -f2)
R3=$(dev_field "$D" 3 realm)
add_chain() {
    invoke_xml $IPS_NS/IPS_HostBasedSetupService AddNextCertInChain \
        "<h:NextCertificate>$(openssl x509 -in "$C/oid.pem" -outform DER | base64 -w0)</h:NextCertificate><h:IsLeafCertificate>true</h:IsLeafCertificate><h:IsRootCertificate>false</h:IsRootCertificate>" >"$T/leaf.xml"
    invoke_xml $IPS_NS/IPS_HostBasedSetupService AddNextCertInChain \
        "<h:NextCertificate>$(openssl x509 -in "$C/root.pem" -outform DER | base64 -w0)</h:NextCertificate><h:IsLeafCertificate>false</h:IsLeafCertificate><h:IsRootCertificate>true</h:IsRootCertificate>" >"$T/root.xml"
    out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$T/leaf.xml")
    check "AddNextCertInChain leaf" "$(echo "$out" | xval ReturnValue)" 0
    out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$T/root.xml")
    check "AddNextCertInChain root" "$(echo "$out" | xval ReturnValue)" 0
}
admin_setup() { # admin_setup NONCE_B64 -> ReturnValue
    head -c 20 /dev/urandom >"$T/mc.bin"
    { printf %s "$1" | base64 -d; cat "$T/mc.bin"; } >"$T/msg.bin"
    openssl dgst -sha256 -sign "$C/oid.key" -out "$T/sig.bin" "$T/msg.bin"
    invoke_xml $IPS_NS/IPS_HostBasedSetupService AdminSetup \
        "<h:NetAdminPassEncryptionType>2</h:NetAdminPassEncryptionType><h:NetworkAdminPassword>$(ha1_hex admin "$R3" 'Acm-P@ssw0rd')</h:NetworkAdminPassword><h:McNonce>$(base64 -w0 "$T/mc.bin")</h:McNonce><h:SigningAlgorithm>2</h:SigningAlgorithm><h:DigitalSignature>$(base64 -w0 "$T/sig.bin")</h:DigitalSignature>" >"$T/admin.xml"
    curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$T/admin.xml" | xval ReturnValue
}
get_hbs() { curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/IPS_HostBasedSetupService.Get.xml"; }
add_chain
out=$(get_hbs)
check "CertChainStatus complete" "$(echo "$out" | xval CertChainStatus)" 2
# a signature over a stale nonce fails
check "AdminSetup with a wrong nonce -> AuthFailed" "$(admin_setup "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")" 5
add_chain
nonce=$(get_hbs | xval ConfigurationNonce)
check "AdminSetup with a valid signature" "$(admin_setup "$nonce")" 0
check "status: acm" "$(dev_field "$D" 3 control_mode)" acm
check "status: post" "$(dev_field "$D" 3 provisioning_state)" post
out=$(curl_digest "http://127.33.0.3:18992/wsman" admin 'Acm-P@ssw0rd' "$WSREQ/AMT_GeneralSettings.Get.xml")
check "ACM device answers Digest with the AdminSetup password" "$(echo "$out" | xval DigestRealm)" "$R3"

# --- TLS credential from the device's own generated key (MeshCentral §2.4 step 8) ---
URL3="http://127.33.0.3:18992/wsman"
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$WSREQ/AMT_PublicKeyManagementService.GenerateKeyPair.xml")
check "GenerateKeyPair" "$(echo "$out" | xval ReturnValue)" 0
sed 's#AMT_EthernetPortSettings#AMT_PublicPrivateKeyPair#' "$WSREQ/AMT_EthernetPortSettings.Pull.xml" >"$T/kpull.xml"
curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/kpull.xml" | xval DERKey | base64 -d >"$T/pub.der"
openssl rsa -pubin -inform DER -RSAPublicKey_in -in "$T/pub.der" -out "$T/pub.pem" 2>/dev/null
check "DERKey is a PKCS#1 RSA public key" "$?" 0
# GeneratePKCS10RequestEx: the device signs a request with its generated key
khandle=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/kpull.xml" | grep -o 'Intel(r) AMT Key: Handle: [0-9]*' | head -1)
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/junk.key" -subj "/CN=IntelAMT-csr" -outform DER -out "$T/null.csr" 2>/dev/null
invoke_xml $AMT_NS/AMT_PublicKeyManagementService GeneratePKCS10RequestEx \
    "<h:KeyPair><a:Address>/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>$AMT_NS/AMT_PublicPrivateKeyPair</w:ResourceURI><w:SelectorSet><w:Selector Name=\"InstanceID\">$khandle</w:Selector></w:SelectorSet></a:ReferenceParameters></h:KeyPair><h:SigningAlgorithm>1</h:SigningAlgorithm><h:NullSignedCertificateRequest>$(base64 -w0 "$T/null.csr")</h:NullSignedCertificateRequest>" >"$T/p10.xml"
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/p10.xml")
check "GeneratePKCS10RequestEx" "$(echo "$out" | xval ReturnValue)" 0
echo "$out" | xval SignedCertificateRequest | base64 -d >"$T/signed.csr"
openssl req -inform DER -in "$T/signed.csr" -verify -noout 2>/dev/null
check "signed request verifies" "$?" 0
check "signed request carries the device key" "$(openssl req -inform DER -in "$T/signed.csr" -pubkey -noout | openssl sha256 | cut -d' ' -f2)" \
    "$(openssl sha256 <"$T/pub.pem" | cut -d' ' -f2)"
openssl x509 -new -force_pubkey "$T/pub.pem" -subj "/CN=IntelAMT-amtsim-test" -CA "$C/root.pem" \
    -CAkey "$C/root.key" -days 365 -out "$T/amt.pem" 2>/dev/null
invoke_xml $AMT_NS/AMT_PublicKeyManagementService AddCertificate \
    "<h:CertificateBlob>$(openssl x509 -in "$T/amt.pem" -outform DER | base64 -w0)</h:CertificateBlob>" >"$T/addcert.xml"
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/addcert.xml")
check "AddCertificate for the generated key" "$(echo "$out" | xval ReturnValue)" 0
handle=$(echo "$out" | grep -o 'Intel(r) AMT Certificate: Handle: [0-9]*')
invoke_xml $AMT_NS/AMT_PublicKeyManagementService AddCertificate \
    "<h:CertificateBlob>$(openssl x509 -in "$C/oid.pem" -outform DER | base64 -w0)</h:CertificateBlob>" >"$T/addcert2.xml"
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/addcert2.xml")
check "AddCertificate without its key on the device -> 36" "$(echo "$out" | xval ReturnValue)" 36
printf '<?xml version="1.0" encoding="utf-8"?><Envelope xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><a:To>/wsman</a:To><w:ResourceURI>%s/AMT_TLSCredentialContext</w:ResourceURI><a:MessageID>5</a:MessageID></Header><Body><h:AMT_TLSCredentialContext xmlns:h="%s/AMT_TLSCredentialContext"><h:ElementInContext><a:Address>/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>%s/AMT_PublicKeyCertificate</w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">%s</w:Selector></w:SelectorSet></a:ReferenceParameters></h:ElementInContext><h:ElementProvidingContext><a:Address>/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>%s/AMT_TLSProtocolEndpointCollection</w:ResourceURI><w:SelectorSet><w:Selector Name="ElementName">TLSProtocolEndpointInstances Collection</w:Selector></w:SelectorSet></a:ReferenceParameters></h:ElementProvidingContext></h:AMT_TLSCredentialContext></Body></Envelope>' \
    $AMT_NS $AMT_NS $AMT_NS "$handle" $AMT_NS >"$T/ctx.xml"
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/ctx.xml")
check_match "Create AMT_TLSCredentialContext" "$out" 'transfer/CreateResponse</b:Action>.*<g:ResourceCreated>'
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$WSREQ/AMT_TLSSettingData.Put.xml")
check "TLSSettingData Put" "$(echo "$out" | xval Enabled)" true
check "status: tls_configured" "$(dev_field "$D" 3 tls_configured)" true
out=$(echo | timeout 20 openssl s_client -connect 127.33.0.3:18993 -tls1_2 2>/dev/null | openssl x509 -noout -subject 2>/dev/null)
check_match "device now presents the provisioned certificate" "$out" 'CN ?= ?IntelAMT-amtsim-test'

# --- MutualAuthentication=true: a client certificate chaining to a trusted root ---
TLS3="https://127.33.0.3:18993/wsman"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/stranger.key" -out "$C/stranger.pem" -days 30 \
    -subj "/CN=prov.example.com/O=elsewhere" 2>/dev/null || exit 1
# tls_put MUTUAL [CN...]: Put the remote AMT_TLSSettingData (over HTTP, still allowed)
tls_put() {
    local mutual=$1 cns="" cn
    shift
    for cn in "$@"; do cns="$cns<h:TrustedCN>$cn</h:TrustedCN>"; done
    sed -e "s#<h:MutualAuthentication>false#<h:MutualAuthentication>$mutual#" \
        -e "s#</h:AMT_TLSSettingData></Body>#$cns</h:AMT_TLSSettingData></Body>#" \
        "$WSREQ/AMT_TLSSettingData.Put.xml" >"$T/tlsput.xml"
    curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/tlsput.xml"
}
# tls_get [curl args]: GeneralSettings over the TLS port -> DigestRealm
tls_get() { curl_digest "$TLS3" admin 'Acm-P@ssw0rd' "$WSREQ/AMT_GeneralSettings.Get.xml" -k "$@" 2>/dev/null | xval DigestRealm; }
invoke_xml $AMT_NS/AMT_PublicKeyManagementService AddTrustedRootCertificate \
    "<h:CertificateBlob>$(openssl x509 -in "$C/root.pem" -outform DER | base64 -w0)</h:CertificateBlob>" >"$T/addroot.xml"
out=$(curl_digest "$URL3" admin 'Acm-P@ssw0rd' "$T/addroot.xml")
check "AddTrustedRootCertificate (test root)" "$(echo "$out" | xval ReturnValue)" 0
check "before MutualAuthentication: TLS without a client certificate" "$(tls_get)" "$R3"
out=$(tls_put true)
check "Put MutualAuthentication=true" "$(echo "$out" | xval MutualAuthentication)" true
curl_digest "$TLS3" admin 'Acm-P@ssw0rd' "$WSREQ/AMT_GeneralSettings.Get.xml" -k -o /dev/null 2>/dev/null
rc=$?
check "mutual: no client certificate -> handshake fails" "$([ $rc -ne 0 ] && [ $rc -ne 7 ] && echo failed)" failed
check "mutual: no client certificate -> no answer" "$(tls_get)" ""
check "mutual: certificate from the trusted root" "$(tls_get --cert "$C/client.pem" --key "$C/client.key")" "$R3"
check "mutual: self-signed stranger refused" "$(tls_get --cert "$C/stranger.pem" --key "$C/stranger.key")" ""
check_match "mutual: rejection logged" "$(cat "$T/amtsim.log")" 'device 3: client certificate rejected'
out=$(tls_put true other.example.com)
check "Put TrustedCN" "$(echo "$out" | xval TrustedCN)" other.example.com
check "mutual: CN not in TrustedCN refused" "$(tls_get --cert "$C/client.pem" --key "$C/client.key")" ""
tls_put true other.example.com prov.example.com >/dev/null
check "mutual: CN in TrustedCN accepted" "$(tls_get --cert "$C/client.pem" --key "$C/client.key")" "$R3"
tls_put false >/dev/null
check "MutualAuthentication=false: no client certificate needed again" "$(tls_get)" "$R3"
stop_sim "$SIM_PID"
check "clean exit" "$?" 0
finish
