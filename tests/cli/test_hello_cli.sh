#!/usr/bin/env bash
# scsctl hello decode: fixtures, the §2.2 vectors, and every failure path.
. "$SCS_TESTS/lib.sh"
S="$SCS_BIN/scsctl"
H="$SCS_FIXTURES/hello"
UUID=939b524b-13d4-1d18-e487-1c697a6b7a2b

hexfile() { printf '%s' "$2" | xxd -r -p >"$1"; }
UUID_RAW=4b529b93d413181de4871c697a6b7a2b
PKI=0100030000000000${UUID_RAW}02
PKI+=0220c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4
PKI+=022045140b3247eb9cc8c5b4f0d7b53091f73292089e6e5a63e2749dd3aca9198eda
PSK=0100020003000000${UUID_RAW}303030303033374d

# Help and usage.
expect_exit 0 "$S" hello decode --help
assert_contains "$OUT" "Usage: scsctl hello decode FILE|- [--json]"
assert_contains "$OUT" "Exit codes"
expect_exit 0 "$S" hello --help
assert_contains "$OUT" "decode"
expect_exit 2 "$S" hello
expect_exit 2 "$S" hello frobnicate
expect_exit 2 "$S" hello decode
assert_contains "$ERR" "no FILE given"
expect_exit 2 "$S" hello decode a b
assert_contains "$ERR" "one FILE only"
expect_exit 2 "$S" hello decode --bogus "$H/pki-capture-1.bin"

# Capture 1: 23 SHA-256 defaults.
expect_exit 0 "$S" hello decode "$H/pki-capture-1.bin"
assert_contains "$OUT" "admin_credentials_set: yes"
assert_contains "$OUT" "version: 3 (PKI)"
assert_contains "$OUT" "retry_count: 0"
assert_contains "$OUT" "uuid: $UUID"
assert_contains "$OUT" "hashes: 23"
assert_contains "$OUT" "SHA256 c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4 Go Daddy Class 2 Certification Authority [default]"
assert_contains "$OUT" "68ad50909b04363c605ef13581a939ff2c96372e3f12325b0a6861e1d59f6603 (known root, name not confirmed) [default]"
assert_eq "$(grep -c '\[default\]' <<<"$OUT")" 23 "default hashes in capture 1"

# Capture 2 as JSON: 24 hashes, a267c480... known but unnamed and not a default.
expect_exit 0 "$S" hello decode --json "$H/pki-capture-2.bin"
assert_contains "$OUT" '{"admin_credentials_set":true,"version":3,"type":"pki","retry_count":0,"uuid":"'$UUID'","hashes":[{"alg":"SHA256","hex":"c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4","name":"Go Daddy Class 2 Certification Authority","default":true}'
assert_contains "$OUT" '{"alg":"SHA256","hex":"a267c480b0b29056eb5e8aa7c93add804f5a7df516e969e77bcacafe8d456079","name":null,"default":false}'
assert_eq "$(grep -o '"alg":"SHA256"' <<<"$OUT" | wc -l)" 24 "hashes in capture 2"
assert_eq "$(grep -o '"default":true' <<<"$OUT" | wc -l)" 23 "defaults in capture 2"

# §2.2 vectors, from a file and from standard input.
hexfile "$T/pki.bin" "$PKI"
expect_exit 0 "$S" hello decode "$T/pki.bin"
assert_contains "$OUT" "hashes: 2"
assert_contains "$OUT" "45140b3247eb9cc8c5b4f0d7b53091f73292089e6e5a63e2749dd3aca9198eda Go Daddy Root Certificate Authority"
hexfile "$T/psk.bin" "$PSK"
expect_exit 0 "$S" hello decode - <"$T/psk.bin"
assert_contains "$OUT" "version: 2 (PSK)"
assert_contains "$OUT" "retry_count: 3"
assert_contains "$OUT" "pid: 0000-037M"
assert_not_contains "$OUT" "warning"
expect_exit 0 "$S" hello decode --json - <"$T/psk.bin"
assert_contains "$OUT" '"pid":"0000-037M","pid_check_ok":true}'

# A wrong PID check character is shown with a warning, not rejected.
hexfile "$T/pskbad.bin" "${PSK%4d}4e"
expect_exit 0 "$S" hello decode "$T/pskbad.bin"
assert_contains "$OUT" "pid: 0000-037N (warning: wrong check character)"
expect_exit 0 "$S" hello decode --json "$T/pskbad.bin"
assert_contains "$OUT" '"pid_check_ok":false'

# Malformed: exit 3 and "scsctl: FILE: malformed Hello at byte N: reason".
bad() { # NAME HEX OFFSET REASON
  hexfile "$T/$1" "$2"
  expect_exit 3 "$S" hello decode "$T/$1"
  assert_contains "$ERR" "scsctl: $T/$1: malformed Hello at byte $3: "
  assert_contains "$ERR" "$4"
}
bad empty.bin "" 0 "only 0 bytes"
bad short.bin "${PKI:0:46}" 23 "shorter than the 24-byte Hello header"
bad nocount.bin "${PKI:0:48}" 24 "ends before the hash count"
bad cut.bin "${PKI:0:150}" 75 "Hello ends inside hash 2 (14 of 32 bytes)"
bad cutpsk.bin "${PSK:0:60}" 30 "ends inside the PID"
bad admin.bin "0200${PKI:4}" 0 "AdminCredentialsSet is 2"
bad version.bin "01000400${PKI:8}" 2 "interface version 4"
bad type.bin "${PKI:0:50}04${PKI:52}" 25 "unknown type 4"
bad len.bin "${PKI:0:52}14${PKI:54}" 26 "length 20 does not match type SHA256"
bad count.bin "${PKI:0:48}03${PKI:50}" 93 "hash count says 3 but the Hello ends after 2 hashes"
bad fewer.bin "${PKI:0:48}01${PKI:50}" 59 "34 bytes after the last of 1 hashes"
bad trail.bin "${PKI}00" 93 "1 bytes after the last of 2 hashes"
bad trailpsk.bin "${PSK}41" 32 "1 bytes after the end of a PSK Hello"
bad pidbyte.bin "${PSK:0:50}2d${PSK:52}" 25 "PID byte 0x2d is not in A-Z 0-9"
head -c 13000 /dev/zero >"$T/huge.bin"
expect_exit 3 "$S" hello decode "$T/huge.bin"
assert_contains "$ERR" "malformed Hello at byte 12775: longer than the largest possible Hello"

# Unreadable input: exit 5.
expect_exit 5 "$S" hello decode "$T/does-not-exist.bin"
assert_contains "$ERR" "does-not-exist.bin"
finish
