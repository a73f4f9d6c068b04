#!/usr/bin/env bash
# scsctl usb inspect / create: fixtures, masking, every flag check, and the
# pool hand-out (take, write, give back on failure).
. "$SCS_TESTS/lib.sh"
S="$SCS_BIN/scsctl"
F="$SCS_FIXTURES/setupbin"
SHA256=c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4

# ---- help
expect_exit 0 "$S" usb --help
assert_contains "$OUT" "create"
assert_contains "$OUT" "inspect"
expect_exit 0 "$S" usb inspect --help
assert_contains "$OUT" "Usage: scsctl usb inspect FILE [--json] [--show-secrets]"
expect_exit 0 "$S" usb create --help
assert_contains "$OUT" "--mebx-new-file F"
assert_contains "$OUT" "Exit codes"
expect_exit 2 "$S" usb
expect_exit 2 "$S" usb nothing

# ---- inspect the ACU fixtures
expect_exit 0 "$S" usb inspect "$F/acu-12.1-default.bin"
assert_contains "$OUT" "format: 4.0"
assert_contains "$OUT" "flags: 0x0001 (do not consume records)"
assert_contains "$OUT" "records: 1 (0 consumed)"
assert_contains "$OUT" "record 1: data, valid, scrambled"
assert_contains "$OUT" "(1,1) Current MEBx Password: ********"
assert_contains "$OUT" "(1,2) New MEBx Password: ********"
assert_contains "$OUT" "(1,6) Power Package: 46732273-dc23-2f43-a98a-13d37982d855"
assert_contains "$OUT" "(2,13) DHCP: 2"
assert_contains "$OUT" "(2,29) Manual Setup and Configuration: 1"
assert_not_contains "$OUT" "HeyH0Password!"
assert_not_contains "$OUT" "admin"
expect_exit 0 "$S" usb inspect --show-secrets "$F/acu-12.1-default.bin"
assert_contains "$OUT" "(1,1) Current MEBx Password: admin"
assert_contains "$OUT" "(1,2) New MEBx Password: HeyH0Password!"
expect_exit 0 "$S" usb inspect --json "$F/acu-12.1-edited.bin"
assert_contains "$OUT" '{"format":4,"minor":0,"flags":1,"no_consume":true,"records_consumed":0,"modules":[],"records":[{"number":1,"type":1,"valid":true,"scrambled":true,"variables":[{"module":1,"id":1,"name":"Current MEBx Password","length":5,"secret":true,"value":"********"}'
assert_contains "$OUT" '{"module":2,"id":10,"name":"SOL/IDER Redirection Configuration","length":1,"secret":false,"value":"7"}'
assert_eq "$(grep -o '"module":' <<<"$OUT" | wc -l)" 11 "variables in the edited file"

# ---- inspect failures: exit 3 with the byte offset, 5 when unreadable
head -c 700 "$F/acu-12.1-default.bin" >"$T/cut.bin"
expect_exit 3 "$S" usb inspect "$T/cut.bin"
assert_contains "$ERR" "scsctl: $T/cut.bin: malformed setup.bin at byte 700: the header announces 1 records"
{ printf '\x00'; tail -c +2 "$F/acu-12.1-default.bin"; } >"$T/uuid.bin"
expect_exit 3 "$S" usb inspect "$T/uuid.bin"
assert_contains "$ERR" "malformed setup.bin at byte 0: unknown file type UUID"
{ cat "$F/acu-12.1-default.bin"; printf 'x'; } >"$T/trail.bin"
expect_exit 3 "$S" usb inspect "$T/trail.bin"
assert_contains "$ERR" "malformed setup.bin at byte 1024: 1 bytes after the last of 1 records"
head -c 600000 /dev/zero >"$T/huge.bin"
expect_exit 3 "$S" usb inspect "$T/huge.bin"
assert_contains "$ERR" "malformed setup.bin at byte 524288"
expect_exit 5 "$S" usb inspect "$T/missing.bin"
expect_exit 2 "$S" usb inspect
expect_exit 2 "$S" usb inspect a b

# ---- create: every flag is checked (exit 2) before the pool is opened
NOPOOL=(-d "$T/no-such-datadir")
create_bad() { # SUBSTRING ARGS...
  local want=$1
  shift
  expect_exit 2 "$S" "${NOPOOL[@]}" usb create "$@"
  assert_contains "$ERR" "$want"
}
O=(--out "$T/x.bin")
create_bad "--out FILE is required" --count 1
create_bad "--count N is required" "${O[@]}"
create_bad "--count must be 1 to 1023, not '0'" "${O[@]}" --count 0
create_bad "--count must be 1 to 1023, not 'x'" "${O[@]}" --count x
create_bad "--count must be 1 to 1023" "${O[@]}" --count 1024
create_bad "--format must be 1, 2, 3 or 4, not '5'" "${O[@]}" --count 1 --format 5
create_bad "--mebx-new needs --mebx-current" "${O[@]}" --count 1 --mebx-new 'NewP@ss1'
create_bad "--mebx-current needs --mebx-new" "${O[@]}" --count 1 --mebx-current admin
create_bad "--mebx-new: MEBx password is too weak" "${O[@]}" --count 1 --mebx-current admin --mebx-new 'Password1'
create_bad "--mebx-new: MEBx password must be 8 to 32 characters, not 5" "${O[@]}" --count 1 --mebx-current admin --mebx-new 'Ab1!x'
create_bad "printable 7-bit ASCII without" "${O[@]}" --count 1 --mebx-current admin --mebx-new 'NewP@ss1:'
printf 'NewP@ss1\n' >"$T/pw"
create_bad "give --mebx-new or --mebx-new-file, not both" "${O[@]}" --count 1 --mebx-current admin --mebx-new 'NewP@ss1' --mebx-new-file "$T/pw"
printf 'weakpassword\n' >"$T/weak"
create_bad "too weak" "${O[@]}" --count 1 --mebx-current admin --mebx-new-file "$T/weak"
create_bad "--root-hash SHA256 needs --format 3 or 4" "${O[@]}" --count 1 --format 2 --root-hash "sha256:$SHA256:x"
create_bad "--root-hash SHA384 needs --format 3 or 4" "${O[@]}" --count 1 --format 1 --root-hash "3:$SHA256${SHA256:0:32}:x"
create_bad "a SHA256 hash is 64 hex digits" "${O[@]}" --count 1 --root-hash "sha256:${SHA256:0:62}:x"
create_bad "a SHA1 hash is 40 hex digits" "${O[@]}" --count 1 --root-hash "sha1:zz${SHA256:0:38}"
create_bad "unknown algorithm 'md5'" "${O[@]}" --count 1 --root-hash "md5:$SHA256"
create_bad "expected ALG:HEX[:NAME]" "${O[@]}" --count 1 --root-hash "$SHA256"
create_bad "name is over 32 characters" "${O[@]}" --count 1 --root-hash "sha256:$SHA256:$(printf 'n%.0s' {1..33})"
for ip in 192.168.1 256.1.1.1 01.2.3.4 1.2.3.4.5 a.b.c.d "" 1.2.3.4x; do
  create_bad "expected an IPv4 address" "${O[@]}" --count 1 --server "$ip"
done
create_bad "port must be 1 to 65535" "${O[@]}" --count 1 --server 10.0.0.1:0
create_bad "port must be 1 to 65535" "${O[@]}" --count 1 --server 10.0.0.1:70000
create_bad "port must be 1 to 65535" "${O[@]}" --count 1 --server 10.0.0.1:
create_bad "--dns-suffix 'bad suffix'" "${O[@]}" --count 1 --dns-suffix 'bad suffix'
create_bad "unexpected argument 'extra'" "${O[@]}" --count 1 extra
big=()
for i in 1 2 3 4 5 6 7 8; do big+=(--root-hash "sha384:$SHA256${SHA256:0:32}:$(printf 'n%.0s' {1..32})"); done
create_bad "do not fit" "${O[@]}" --count 1 "${big[@]}"
[ ! -e "$T/x.bin" ] && pass || fail "a rejected create wrote a file"

# ---- create against a pool
D="$T/data"
P=(-d "$D")
expect_exit 4 "$S" "${P[@]}" usb create "${O[@]}" --count 1
assert_contains "$ERR" "cannot open the PSK pool"
if ! "$S" "${P[@]}" init >/dev/null 2>&1 || ! "$S" "${P[@]}" psk generate -n 5 >/dev/null 2>&1; then
  fail "scsctl init / psk generate do not work: the pool tests cannot run"
  finish
  exit 1
fi
avail() { "$S" "${P[@]}" psk stats | awk '$1 == "available" { print $2 }'; }
assert_eq "$(avail)" 5 "available before"

expect_exit 0 "$S" "${P[@]}" usb create --out "$T/u.bin" --count 2 --format 3 --scramble \
  --mebx-current admin --mebx-new-file "$T/pw" --dns-suffix example.com \
  --server 192.168.1.1:9971 --root-hash "sha256:$SHA256:MyRoot"
assert_contains "$OUT" "wrote $T/u.bin: 2 records, format 3, scrambled; pairs assigned to usb:u.bin"
assert_eq "$(stat -c %a "$T/u.bin")" 600 "mode of the written file"
assert_eq "$(stat -c %s "$T/u.bin")" 1536 "size of the written file"
assert_eq "$(avail)" 3 "available after"
expect_exit 0 "$S" usb inspect "$T/u.bin"
assert_contains "$OUT" "format: 3.0"
assert_contains "$OUT" "flags: 0x0000"
assert_contains "$OUT" "record 2: data, valid, scrambled"
assert_contains "$OUT" "(1,2) New MEBx Password: ********"
assert_contains "$OUT" "(2,2) Provisioning Preshared Key (PPS): ********"
assert_contains "$OUT" "(2,3) PKI DNS Suffix: example.com"
assert_contains "$OUT" "(2,8) User Defined Certificate Addition: SHA256 $SHA256 \"MyRoot\""
assert_contains "$OUT" "(2,17) Provisioning Server Address: 192.168.1.1"
assert_contains "$OUT" "(2,18) Provision Server Port Number (PSPO): 9971"
assert_contains "$OUT" "(2,28) ME Provision Halt/Active: 1"
# Every PID in the file is assigned to usb:u.bin in the pool, and the PPS matches.
list=$("$S" "${P[@]}" psk list --show-secrets 2>/dev/null || "$S" "${P[@]}" psk list)
for pid in $(grep -o '(2,1) [^:]*: [0-9A-Z-]*' <<<"$OUT" | awk '{print $NF}'); do
  line=$(grep -- "$pid" <<<"$list" || true)
  assert_contains "$line" "assigned" "pool entry for $pid"
  assert_contains "$line" "usb:u.bin" "pool entry for $pid"
done
expect_exit 0 "$S" usb inspect --show-secrets "$T/u.bin"
assert_contains "$OUT" "(1,2) New MEBx Password: NewP@ss1"
for pps in $(grep -o '(2,2) [^:]*: [0-9A-Z-]*' <<<"$OUT" | awk '{print $NF}'); do
  assert_eq "${#pps}" 39 "PPS display length (32 + 7 dashes)"
  line=$(grep -- "$pps" <<<"$list" || true)
  assert_contains "$line" "usb:u.bin" "pool entry holding PPS number ${#pps}"
done

# The password on the command line works but draws a warning.
expect_exit 0 "$S" "${P[@]}" usb create --out "$T/v.bin" --count 1 --format 1 \
  --mebx-current admin --mebx-new 'NewP@ss1'
assert_contains "$ERR" "warning: a password on the command line is visible"
assert_eq "$(avail)" 2 "available after the second file"

# Too few pairs: exit 4 and nothing taken, no file.
expect_exit 4 "$S" "${P[@]}" usb create --out "$T/w.bin" --count 3
assert_contains "$ERR" "fewer than 3 available pairs"
assert_eq "$(avail)" 2 "available after exhaustion"
[ ! -e "$T/w.bin" ] && pass || fail "exhausted create wrote a file"

# The write fails: exit 5, and the pairs go back to available.
expect_exit 5 "$S" "${P[@]}" usb create --out "$T/no-dir/w.bin" --count 2
assert_contains "$ERR" "writing $T/no-dir/w.bin"
assert_eq "$(avail)" 2 "available after a failed write (pairs must be given back)"
finish
