#!/bin/bash
# amtsim against clients nobody here wrote: every shared WS-Man fixture posted
# with curl (Digest over HTTP and over TLS) or inside a TLS-PSK session opened
# by the openssl CLI, with the answers checked value by value.  Also the state
# rules (wrong state, password policy), faults on demand and a clean shutdown.
. "$(dirname "$0")/amtsim_lib.sh"

D="$T/fleet"
BASE=127.31.0.1
TLS=16993
HTTP=16992
LOCAL=16990
PW='Sim-P@ssw0rd1'

"$TOOL" setupbin "$T/setup.bin" 2 >"$T/pairs" || { echo "setupbin failed"; exit 1; }
"$AMTSIM" -d "$D" create -n 1 --mode none --base-address $BASE >/dev/null || exit 1
"$AMTSIM" -d "$D" create -n 2 --mode psk --usb "$T/setup.bin" >/dev/null || exit 1
PID2=$(sed -n 1p "$T/pairs" | cut -d' ' -f1); PPS2=$(sed -n 1p "$T/pairs" | cut -d' ' -f2)
PID3=$(sed -n 2p "$T/pairs" | cut -d' ' -f1); PPS3=$(sed -n 2p "$T/pairs" | cut -d' ' -f2)
check "device 2 took record 1's PID" "$(dev_field "$D" 2 pid)" "$PID2"
check "device 3 took record 2's PID" "$(dev_field "$D" 3 pid)" "$PID3"
check "device 3 address" "$(dev_field "$D" 3 address)" "127.31.0.3"
start_sim "$D" --tls-port $TLS --http-port $HTTP --local-port $LOCAL || exit 1
OSPW=$("$AMTSIM" -d "$D" osadmin 1 | cut -d' ' -f2)
LOC="http://127.31.0.1:$LOCAL/wsman"
R1=$(dev_field "$D" 1 realm)

# refused DESC URL: curl exit code 7 = "Failed to connect" (ECONNREFUSED), not a
# connection that is accepted and then dropped (that would be 52, 56 or 35)
refused() {
    curl -sS --max-time 5 -k --data-binary @"$WSREQ/AMT_GeneralSettings.Get.xml" "$2" -o /dev/null 2>/dev/null
    check "$1: connection refused (curl exit 7)" "$?" 7
}
# --- 0. closed interfaces refuse connections ---
refused "factory device: TLS port" "https://127.31.0.1:$TLS/wsman"
refused "factory device: HTTP port" "http://127.31.0.1:$HTTP/wsman"
refused "in-provisioning device: HTTP port" "http://127.31.0.2:$HTTP/wsman"

# --- A. host-based setup on the local interface ($$OsAdmin) ---
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/IPS_HostBasedSetupService.Get.xml")
check "HBS Get CurrentControlMode" "$(echo "$out" | xval CurrentControlMode)" 0
check "HBS Get AllowedControlModes count" "$(echo "$out" | xcount AllowedControlModes)" 2
check "HBS Get CertChainStatus" "$(echo "$out" | xval CertChainStatus)" 0
check "HBS nonce is 20 bytes" "$(echo "$out" | xval ConfigurationNonce | base64 -d | wc -c | tr -d ' ')" 20
check_match "HBS Get RelatesTo" "$out" '<b:RelatesTo>0</b:RelatesTo>'
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/IPS_HostBasedSetupService.AddNextCertInChain.xml")
check "AddNextCertInChain root before leaf -> InvalidParam" "$(echo "$out" | xval ReturnValue)" 1
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/IPS_HostBasedSetupService.AdminSetup.xml")
check "AdminSetup without chain/bad signature -> AuthFailed" "$(echo "$out" | xval ReturnValue)" 5
check_match "AdminSetup Action" "$out" 'IPS_HostBasedSetupService/AdminSetupResponse</b:Action>'
out=$(curl_digest "$LOC" 'admin' "x" "$WSREQ/IPS_HostBasedSetupService.Setup.xml" -o /dev/null -w '%{http_code}')
check "factory device: admin Digest refused" "$out" 401
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/IPS_HostBasedSetupService.Setup.xml")
check "Setup (CCM) ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
check "status after Setup: post" "$(dev_field "$D" 1 provisioning_state)" post
check "status after Setup: ccm" "$(dev_field "$D" 1 control_mode)" ccm
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/IPS_HostBasedSetupService.Setup.xml")
check "Setup again -> InvalidState" "$(echo "$out" | xval ReturnValue)" 2
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$WSREQ/AMT_AuthorizationService.SetAdminAclEntryEx.xml")
check "SetAdminAclEntryEx (hex form) ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
invoke_xml $AMT_NS/AMT_AuthorizationService SetAdminAclEntryEx \
    "<h:Username>admin</h:Username><h:DigestPassword>$(ha1_b64 admin "$R1" "$PW")</h:DigestPassword>" >"$T/acl.xml"
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$T/acl.xml")
check "SetAdminAclEntryEx (base64 form) ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
invoke_xml $AMT_NS/AMT_AuthorizationService SetAdminAclEntryEx \
    "<h:Username>admin</h:Username><h:DigestPassword>not-a-hash</h:DigestPassword>" >"$T/acl-bad.xml"
out=$(curl_digest "$LOC" '$$OsAdmin' "$OSPW" "$T/acl-bad.xml")
check "SetAdminAclEntryEx bad hash -> 36" "$(echo "$out" | xval ReturnValue)" 36

# --- B. admin Digest over remote HTTP and TLS ---
URL="http://127.31.0.1:$HTTP/wsman"
hdrs=$(curl -sS --max-time 10 -D - -o /dev/null --data-binary @"$WSREQ/AMT_GeneralSettings.Get.xml" "$URL")
check_match "401 status" "$hdrs" '^HTTP/1.1 401 Unauthorized'
check_match "401 challenge" "$hdrs" "WWW-Authenticate: Digest realm=\"$R1\", nonce=\"[A-Za-z0-9+/=]{32}\",stale=\"false\",qop=\"auth\""
check_match "Server header" "$hdrs" 'Server: Intel\(R\) Active Management Technology 11\.8\.55'
out=$(curl_digest "$URL" admin wrong "$WSREQ/AMT_GeneralSettings.Get.xml" -o /dev/null -w '%{http_code}')
check "wrong password -> 401" "$out" 401
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_GeneralSettings.Get.xml" -D "$T/h")
check "GeneralSettings DigestRealm" "$(echo "$out" | xval DigestRealm)" "$R1"
check_match "GeneralSettings chunked" "$(cat "$T/h")" 'Transfer-Encoding: chunked'
check_match "GeneralSettings content type" "$(cat "$T/h")" 'Content-Type: application/soap\+xml; charset=UTF-8'
check_match "MessageID form" "$out" '<b:MessageID>uuid:00000000-8086-8086-8086-[0-9A-F]{12}</b:MessageID>'
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_SetupAndConfigurationService.Get.xml")
check "SCS Get ProvisioningState" "$(echo "$out" | xval ProvisioningState)" 2
check "SCS Get ProvisioningMode (CCM)" "$(echo "$out" | xval ProvisioningMode)" 4
check "no OTP outside provisioning" "$(echo "$out" | xcount ProvisioningServerOTP)" 0
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/CIM_SoftwareIdentity.Enumerate.xml")
check_match "SoftwareIdentity EnumerationContext" "$(echo "$out" | xval EnumerationContext)" '^[0-9A-F]{8}-0000-0000-0000-000000000000$'
sed 's#http://intel.com/wbem/wscim/1/amt-schema/1/AMT_EthernetPortSettings#http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity#' \
    "$WSREQ/AMT_EthernetPortSettings.Pull.xml" >"$T/swpull.xml"
out=$(curl_digest "$URL" admin "$PW" "$T/swpull.xml")
check "SoftwareIdentity AMT VersionString" \
    "$(echo "$out" | grep -o '<h:InstanceID>AMT</h:InstanceID><h:IsEntity>true</h:IsEntity><h:VersionString>[^<]*' | sed 's/.*>//')" 11.8.55
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_EthernetPortSettings.Pull.xml")
check "EthernetPortSettings IPAddress" "$(echo "$out" | xval IPAddress)" 127.31.0.1
check_match "Pull EndOfSequence" "$out" '<g:EndOfSequence>'
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch.xml")
ta0=$(echo "$out" | xval Ta0); now=$(date +%s)
check "GetLowAccuracyTimeSynch ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
check "Ta0 is the clock" "$([ $((ta0 - now)) -le 5 ] && [ $((now - ta0)) -le 5 ] && echo yes)" yes
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_TimeSynchronizationService.SetHighAccuracyTimeSynch.xml")
check "SetHighAccuracyTimeSynch ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch.xml")
ta0=$(echo "$out" | xval Ta0)
check "clock set from Tm2" "$([ "$ta0" -ge 1700000006 ] && [ "$ta0" -le 1700000030 ] && echo yes)" yes
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_PublicKeyManagementService.GenerateKeyPair.xml")
check "GenerateKeyPair ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
check_match "GenerateKeyPair KeyPair EPR" "$out" '<c:Selector Name="InstanceID">Intel\(r\) AMT Key: Handle: [0-9]+</c:Selector>'
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_PublicKeyManagementService.AddTrustedRootCertificate.xml")
check "AddTrustedRootCertificate ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
check_match "AddTrustedRootCertificate CreatedCertificate" "$out" '<g:CreatedCertificate>.*Intel\(r\) AMT Certificate: Handle: [0-9]+'
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_PublicKeyManagementService.AddTrustedRootCertificate.xml")
check "AddTrustedRootCertificate duplicate" "$(echo "$out" | xval ReturnValue)" 2058
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_TLSSettingData.Put.xml")
check "TLSSettingData Put Enabled" "$(echo "$out" | xval Enabled)" true
check "TLSSettingData Put InstanceID" "$(echo "$out" | xval InstanceID)" "Intel(r) AMT 802.3 TLS Settings"
check_match "TLSSettingData PutResponse" "$out" 'transfer/PutResponse</b:Action>'
out=$(curl_digest "https://127.31.0.1:$TLS/wsman" admin "$PW" "$WSREQ/AMT_GeneralSettings.Get.xml" -k)
check "GeneralSettings over TLS (curl, Digest)" "$(echo "$out" | xval DigestRealm)" "$R1"
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_SetupAndConfigurationService.CommitChanges.xml")
check "CommitChanges (post, admin)" "$(echo "$out" | xval ReturnValue)" 0
printf '<Envelope><Body>' >"$T/bad.xml"
out=$(curl_digest "$URL" admin "$PW" "$T/bad.xml" -w '\n%{http_code}')
check "malformed XML -> 400" "$(echo "$out" | tail -1)" 400
check_match "malformed XML -> SOAP fault" "$out" '<a:Fault>'
printf '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>' >"$T/dtd.xml"
out=$(curl_digest "$URL" admin "$PW" "$T/dtd.xml" -o /dev/null -w '%{http_code}')
check "DTD -> 400" "$out" 400
sed 's#AMT_GeneralSettings#AMT_NoSuchClass#g' "$WSREQ/AMT_GeneralSettings.Get.xml" >"$T/nosuch.xml"
out=$(curl_digest "$URL" admin "$PW" "$T/nosuch.xml")
check_match "unknown class -> DestinationUnreachable" "$out" 'b:DestinationUnreachable'
out=$(curl_digest "$URL" admin "$PW" "$WSREQ/AMT_SetupAndConfigurationService.Unprovision.xml")
check "Unprovision ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
check "after Unprovision: pre" "$(dev_field "$D" 1 provisioning_state)" pre
check "after Unprovision: admin reset" "$(dev_field "$D" 1 admin_password_changed)" false
R1b=$(dev_field "$D" 1 realm)
check "after Unprovision: new realm" "$([ "$R1b" != "$R1" ] && echo new)" new
out=$(curl -sS --max-time 5 --data-binary @"$WSREQ/AMT_GeneralSettings.Get.xml" "$URL" -o /dev/null -w '%{http_code}' 2>/dev/null)
check "factory device: remote HTTP closed" "$out" 000
refused "after Unprovision: HTTP port" "$URL"
refused "after Unprovision: TLS port" "https://127.31.0.1:$TLS/wsman"

# --- C. PSK provisioning session (openssl s_client -psk) on device 2 ---
A2=127.31.0.2
R2=$(dev_field "$D" 2 realm)
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$WSREQ/AMT_GeneralSettings.Get.xml")
check "PSK session: GeneralSettings DigestRealm" "$(echo "$out" | xval DigestRealm)" "$R2"
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$WSREQ/AMT_SetupAndConfigurationService.Get.xml")
check "PSK session: ProvisioningState in" "$(echo "$out" | xval ProvisioningState)" 1
out=$(psk_post $A2 $TLS "$PID2" "WRONGPPSWRONGPPSWRONGPPSWRONGPPS" "$WSREQ/AMT_GeneralSettings.Get.xml")
check "wrong PPS: no answer" "$(echo "$out" | xcount DigestRealm)" 0
invoke_xml $AMT_NS/AMT_SetupAndConfigurationService SetMEBxPassword "<h:Password>admin</h:Password>" >"$T/mebx-weak.xml"
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$T/mebx-weak.xml")
check "SetMEBxPassword weak -> 2054" "$(echo "$out" | xval ReturnValue)" 2054
invoke_xml $AMT_NS/AMT_SetupAndConfigurationService SetMEBxPassword "<h:Password>Mebx-P@ss1</h:Password>" >"$T/mebx.xml"
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$T/mebx.xml")
check "SetMEBxPassword ReturnValue" "$(echo "$out" | xval ReturnValue)" 0
invoke_xml $AMT_NS/AMT_AuthorizationService SetAdminAclEntryEx \
    "<h:Username>admin</h:Username><h:DigestPassword>$(ha1_b64 admin "$R2" "$PW")</h:DigestPassword>" >"$T/acl2.xml"
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$T/acl2.xml")
check "PSK session: SetAdminAclEntryEx" "$(echo "$out" | xval ReturnValue)" 0
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$WSREQ/AMT_SetupAndConfigurationService.CommitChanges.xml")
check "PSK session: CommitChanges" "$(echo "$out" | xval ReturnValue)" 0
check "after commit: post" "$(dev_field "$D" 2 provisioning_state)" post
check "after commit: acm" "$(dev_field "$D" 2 control_mode)" acm
check "after commit: MEBx changed" "$(dev_field "$D" 2 mebx_password_changed)" true
check "after commit: admin set" "$(dev_field "$D" 2 admin_password_changed)" true
out=$(psk_post $A2 $TLS "$PID2" "$PPS2" "$WSREQ/AMT_GeneralSettings.Get.xml")
check "after commit: PSK session refused" "$(echo "$out" | xcount DigestRealm)" 0
out=$(curl_digest "http://$A2:$HTTP/wsman" admin "$PW" "$WSREQ/AMT_GeneralSettings.Get.xml")
check "after commit: Digest with the new credentials" "$(echo "$out" | xval DigestRealm)" "$R2"
# TLS that forbids plain connections closes the HTTP port
sed 's#<h:AcceptNonSecureConnections>true#<h:AcceptNonSecureConnections>false#' \
    "$WSREQ/AMT_TLSSettingData.Put.xml" >"$T/tls-only.xml"
out=$(curl_digest "https://$A2:$TLS/wsman" admin "$PW" "$T/tls-only.xml" -k)
check "TLS only: Put AcceptNonSecureConnections=false" "$(echo "$out" | xval AcceptNonSecureConnections)" false
refused "TLS only: HTTP port" "http://$A2:$HTTP/wsman"
out=$(curl_digest "https://$A2:$TLS/wsman" admin "$PW" "$WSREQ/AMT_TLSSettingData.Put.xml" -k)
check "Put AcceptNonSecureConnections=true again" "$(echo "$out" | xval AcceptNonSecureConnections)" true
out=$(curl_digest "http://$A2:$HTTP/wsman" admin "$PW" "$WSREQ/AMT_GeneralSettings.Get.xml")
check "HTTP port open again" "$(echo "$out" | xval DigestRealm)" "$R2"

# --- D. faults on demand (device 3, PSK session) ---
A3=127.31.0.3
"$AMTSIM" -d "$D" fault 3 soap AMT_GeneralSettings.Get >/dev/null
sleep 0.3
out=$(psk_post $A3 $TLS "$PID3" "$PPS3" "$WSREQ/AMT_GeneralSettings.Get.xml")
check_match "fault soap: HTTP 400" "$out" '^HTTP/1.1 400'
check_match "fault soap: InternalError" "$out" 'c:InternalError'
"$AMTSIM" -d "$D" fault 3 clear >/dev/null
"$AMTSIM" -d "$D" fault 3 delay 1500 >/dev/null
sleep 0.3
t0=$(date +%s%N)
out=$(psk_post $A3 $TLS "$PID3" "$PPS3" "$WSREQ/AMT_SetupAndConfigurationService.Get.xml")
t1=$(date +%s%N)
check "fault delay: still answers" "$(echo "$out" | xval ProvisioningState)" 1
check "fault delay: >= 1.4 s" "$([ $(((t1 - t0) / 1000000)) -ge 1400 ] && echo slow)" slow
"$AMTSIM" -d "$D" fault 3 clear >/dev/null
"$AMTSIM" -d "$D" fault 3 drop 0 >/dev/null
sleep 0.3
out=$(psk_post $A3 $TLS "$PID3" "$PPS3" "$WSREQ/AMT_SetupAndConfigurationService.Get.xml")
check "fault drop: connection dropped" "$(echo "$out" | grep -c HTTP/1.1)" 0
out=$(psk_post $A3 $TLS "$PID3" "$PPS3" "$WSREQ/AMT_SetupAndConfigurationService.Get.xml")
check "fault drop is one-shot" "$(echo "$out" | xval ProvisioningState)" 1
"$AMTSIM" -d "$D" fault 3 reboot >/dev/null
sleep 0.3
check_match "fault reboot logged" "$(cat "$T/amtsim.log")" 'device 3: rebooted'

# --- E. clean shutdown keeps state ---
stop_sim "$SIM_PID"
check "SIGTERM: clean exit" "$?" 0
check "state survives restart" "$(dev_field "$D" 2 provisioning_state)" post
check "pid file removed" "$([ -e "$D/amtsim.pid" ] && echo present || echo gone)" gone
grep -q "$PPS2" "$T/amtsim.log" && fail "PPS appears in the log" || ok "no PPS in the log"
finish
