#!/bin/bash
# Fleet creation and persistent device state: one 0600 file per device in a
# 0700 directory, PID/PPS from the setup.bin records in order, status without
# secrets, state unchanged across a run and restart, argument checking.
. "$(dirname "$0")/amtsim_lib.sh"

D="$T/fleet"
"$TOOL" setupbin "$T/setup.bin" 3 >"$T/pairs" || exit 1
out=$("$AMTSIM" -d "$D" create -n 3 --mode psk --usb "$T/setup.bin" --base-address 127.34.0.1)
check "create prints a summary" "$(echo "$out" | head -1)" "created 3 devices in $D (3 total)"
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

# a second create: an explicit --base-address is used as given, the index continues
"$AMTSIM" -d "$D" create -n 1 --mode pki --dns-suffix corp.example.com --base-address 127.34.1.1 >/dev/null
check "appended device index 4 at the given base" "$(dev_field "$D" 4 address)" 127.34.1.1
check "appended device pid" "$(dev_field "$D" 4 pid)" null
"$AMTSIM" -d "$D" create -n 1 --mode none --key-bits 1024 >/dev/null
check "appended without a base: follows the last address" "$(dev_field "$D" 5 address)" 127.34.1.2
err=$("$AMTSIM" -d "$D" create -n 2 --mode none --base-address 127.34.0.3 2>&1 >/dev/null)
check "address collision refused" "$?" 1
check_match "collision names the address" "$err" '127\.34\.0\.3 already in use by device 3'
check "a refused create makes no device" "$(ls "$D" | grep -c '\.state$')" 5

# --- USB records are consumed like the BIOS does (protocol.md §7.1) ---
# consumed FILE: the header's DataRecordsConsumed (u32 LE at offset 32)
consumed() { od -An -tu4 -j32 -N4 "$1" | tr -d ' '; }
U="$T/usb"
"$TOOL" setupbin "$T/five.bin" 5 >"$T/five.pairs" || exit 1
chmod 0640 "$T/five.bin"
check "a new setup.bin: nothing consumed" "$(consumed "$T/five.bin")" 0
out=$("$AMTSIM" -d "$U" create -n 2 --mode psk --usb "$T/five.bin" --base-address 127.34.2.1)
check_match "create reports the records taken" "$out" 'records 1-2 consumed'
check "DataRecordsConsumed written back" "$(consumed "$T/five.bin")" 2
check "the file keeps its mode" "$(stat -c %a "$T/five.bin")" 640
"$AMTSIM" -d "$U" create -n 2 --mode psk --usb "$T/five.bin" >/dev/null
check "second create: DataRecordsConsumed 4" "$(consumed "$T/five.bin")" 4
for i in 1 2 3 4; do
    check "usb device $i took record $i" "$(dev_field "$U" $i pid)" "$(sed -n ${i}p "$T/five.pairs" | cut -d' ' -f1)"
done
check "second create continues the address range" "$(dev_field "$U" 4 address)" 127.34.2.4
cp "$T/five.bin" "$T/five.before"
err=$("$AMTSIM" -d "$U" create -n 2 --mode psk --usb "$T/five.bin" 2>&1 >/dev/null)
check "more devices than unconsumed records refused" "$?" 1
check_match "... with the count left" "$err" '1 unconsumed records for 2 devices'
check "... creates nothing" "$(ls "$U" | grep -c '\.state$')" 4
cmp -s "$T/five.bin" "$T/five.before"
check "... and leaves the file alone" "$?" 0
"$AMTSIM" -d "$U" create -n 1 --mode psk --usb "$T/five.bin" >/dev/null
check "last record taken" "$(dev_field "$U" 5 pid)" "$(sed -n 5p "$T/five.pairs" | cut -d' ' -f1)"
check "all five consumed" "$(consumed "$T/five.bin")" 5
err=$("$AMTSIM" -d "$U" create -n 1 --mode psk --usb "$T/five.bin" 2>&1 >/dev/null)
check "a used-up file refused" "$?" 1
check_match "... clearly" "$err" 'no records left \(all 5 consumed\)'
check "... nothing created" "$(ls "$U" | grep -c '\.state$')" 5
# header flag "do not consume records": record 1 for every device, file untouched
"$TOOL" setupbin "$T/keep.bin" 1 --no-consume >"$T/keep.pairs" || exit 1
cp "$T/keep.bin" "$T/keep.before"
"$AMTSIM" -d "$U" create -n 2 --mode psk --usb "$T/keep.bin" >/dev/null
"$AMTSIM" -d "$U" create -n 1 --mode psk --usb "$T/keep.bin" >/dev/null
for i in 6 7 8; do
    check "no-consume: device $i took record 1" "$(dev_field "$U" $i pid)" "$(cut -d' ' -f1 "$T/keep.pairs")"
done
cmp -s "$T/keep.bin" "$T/keep.before"
check "no-consume: the file is not rewritten" "$?" 0

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
"$AMTSIM" -d "$D" create -n 1 --mode psk --usb "$T/setup.bin" >/dev/null 2>&1
check "the first create used up setup.bin" "$?" 1
"$AMTSIM" -d "$D" create -n 1 --mode none --base-address 10.0.0.1 >/dev/null 2>&1
check "non-loopback base address refused" "$?" 2
"$AMTSIM" -d "$D" run --server 192.0.2.1:9971 >/dev/null 2>&1
check "non-loopback server refused" "$?" 2
out=$("$AMTSIM" run --help)
check "run --help exits 0" "$?" 0
check_match "usage: run --server is optional" "$out" 'run \[--server HOST\[:PORT\]\]'
check_match "usage: run --max-in-flight" "$out" '--max-in-flight N'
check_match "usage: -q" "$("$AMTSIM" --help)" '\[-v\|-q\]'
"$AMTSIM" -d "$D" fault 99 reboot >/dev/null 2>&1
check "fault on an unknown device refused" "$?" 1
printf 'amtsim-state 1\nprov_state 9\n' >"$D/device-00099.state"
"$AMTSIM" -d "$D" status >/dev/null 2>&1
check "a corrupt state file is reported" "$?" 1
finish
