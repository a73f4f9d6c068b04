#!/bin/bash
# Fleet creation and persistent device state: one 0600 file per device in a
# 0700 directory, PID/PPS from the setup.bin records in order, status without
# secrets, state unchanged across a run and restart, argument checking.
. "$(dirname "$0")/amtsim_lib.sh"

D="$T/fleet"
"$TOOL" setupbin "$T/setup.bin" 3 >"$T/pairs" || exit 1
out=$("$AMTSIM" -d "$D" create -n 3 --mode psk --usb "$T/setup.bin" --base-address 127.34.0.1)
check "create prints a summary" "$out" "created 3 devices in $D (3 total)"
check "state directory mode" "$(stat -c %a "$D")" 700
check "state file modes" "$(stat -c %a "$D"/device-0000*.state | sort -u)" 600
check "three state files" "$(ls "$D" | grep -c '\.state$')" 3
for i in 1 2 3; do
    check "device $i PID = record $i" "$(dev_field "$D" $i pid)" "$(sed -n ${i}p "$T/pairs" | cut -d' ' -f1)"
    check "device $i address" "$(dev_field "$D" $i address)" "127.34.0.$i"
    check "device $i in-provisioning" "$(dev_field "$D" $i provisioning_state)" in
    check_match "device $i realm" "$(dev_field "$D" $i realm)" '^Digest:[0-9A-F]{32}$'
done
json=$("$AMTSIM" -d "$D" status --json)
for k in uuid address provisioning_state control_mode admin_password_changed mebx_password_changed tls_configured pid; do
    check_match "status --json has $k" "$json" "\"$k\":"
done
leak=0
while read -r _ pps; do
    printf '%s' "$json" | grep -q "$pps" && leak=1
    "$AMTSIM" -d "$D" status | grep -q "$pps" && leak=1
done <"$T/pairs"
check "status never shows a PPS" "$leak" 0
check_match "UUID in SMBIOS text form" "$(dev_field "$D" 1 uuid)" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# a PKI device appended to the same fleet continues the numbering
"$AMTSIM" -d "$D" create -n 1 --mode pki --dns-suffix corp.example.com --base-address 127.34.0.1 >/dev/null
check "appended device address" "$(dev_field "$D" 4 address)" 127.34.0.4
check "appended device pid" "$(dev_field "$D" 4 pid)" null
"$AMTSIM" -d "$D" create -n 1 --mode none --key-bits 1024 >/dev/null
check "appended without a base: follows the last address" "$(dev_field "$D" 5 address)" 127.34.0.5
"$AMTSIM" -d "$D" create -n 1 --mode none --base-address 127.33.255.254 >/dev/null 2>&1
check "address collision refused" "$?" 1

# state survives a run and a restart
before=$("$AMTSIM" -d "$D" status --json)
start_sim "$D" --tls-port 19993 --http-port 19992 || exit 1
stop_sim "$SIM_PID"
check "run exits cleanly" "$?" 0
after=$("$AMTSIM" -d "$D" status --json)
check "status identical after a run" "$after" "$before"

# argument checks
"$AMTSIM" -d "$D" create -n 1 --mode pki >/dev/null 2>&1
check "pki without --dns-suffix refused" "$?" 2
"$AMTSIM" -d "$D" create -n 5 --mode psk --usb "$T/setup.bin" >/dev/null 2>&1
check "more devices than setup.bin records refused" "$?" 1
"$AMTSIM" -d "$D" create -n 1 --mode none --base-address 10.0.0.1 >/dev/null 2>&1
check "non-loopback base address refused" "$?" 2
"$AMTSIM" -d "$D" run --server 192.0.2.1:9971 >/dev/null 2>&1
check "non-loopback server refused" "$?" 2
"$AMTSIM" -d "$D" fault 99 reboot >/dev/null 2>&1
check "fault on an unknown device refused" "$?" 1
printf 'amtsim-state 1\nprov_state 9\n' >"$D/device-00099.state"
"$AMTSIM" -d "$D" status >/dev/null 2>&1
check "a corrupt state file is reported" "$?" 1
finish
