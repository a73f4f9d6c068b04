#!/usr/bin/env bash
# scsctl device profile: choose the profile a device is provisioned with.
. "$(dirname "$0")/../lib.sh"
S=$SCS_BIN/scsctl
D=$T/data
U=939b524b-13d4-1d18-e487-1c697a6b7a2b

expect_exit 4 "$S" -d "$D" device profile "$U" default
"$S" -d "$D" init >/dev/null

expect_exit 4 "$S" -d "$D" device profile "$U" nope
assert_contains "$ERR" "no profile named 'nope' (see 'scsctl profile list')" "unknown profile"
expect_exit 4 "$S" -d "$D" device show "$U"
assert_contains "$ERR" "no device $U" "a refused assignment adds no device"

expect_exit 2 "$S" -d "$D" device profile "$U"
assert_contains "$ERR" "expected a device UUID and a profile name" "one argument"
expect_exit 2 "$S" -d "$D" device profile not-a-uuid default
assert_contains "$ERR" "'not-a-uuid' is not a device UUID" "bad UUID"
expect_exit 2 "$S" -d "$D" device profile "$U" "bad/name"
assert_contains "$ERR" "'bad/name' is not a profile name" "bad name"
expect_exit 2 "$S" -d "$D" device profile --bogus
expect_exit 0 "$S" device profile --help
assert_contains "$OUT" "Usage: scsctl [-d DIR] device profile UUID NAME" "help"

# Before the first Hello: the device is added in state seen with the profile.
"$S" -d "$D" profile set tls --tls on >/dev/null
expect_exit 0 "$S" -d "$D" device profile "$U" tls
assert_eq "$OUT" "device $U will be provisioned with profile 'tls' (new device, state seen)" "message"
expect_exit 0 "$S" -d "$D" device show "$U" --json
assert_contains "$OUT" '"profile":"tls"' "stored profile"
assert_contains "$OUT" '"state":"seen"' "state seen"
expect_exit 0 "$S" -d "$D" device profile "$U" default
assert_eq "$OUT" "device $U will be provisioned with profile 'default'" "reassigned"
expect_exit 0 "$S" -d "$D" audit --event profile-assigned
assert_eq "$(grep -c "profile-assigned *$U" <<<"$OUT")" 2 "both assignments audited"

finish
