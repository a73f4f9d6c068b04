#!/usr/bin/env bash
# scsctl psk: generate, list, stats, check, revoke, export, import.  Exact
# counts and exit codes, every usage error, tampered bundles, and no PPS in
# stderr (with -v -v) or in the database files.
. "$SCS_TESTS/lib.sh"
S="$SCS_BIN/scsctl"
A="$T/a"
B="$T/b"
LOG="$T/stderr.all"
: >"$LOG"
printf 'export passphrase\n' >"$T/pass"
printf 'another passphrase\n' >"$T/wrong"

# run with -v -v and keep every stderr line for the secret scan at the end
v() {
  local rc=0
  "$S" -v -v "$@" 2>"$T/.v" || rc=$?
  cat "$T/.v" >>"$LOG"
  cat "$T/.v" >&2
  return $rc
}
json_len() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d'"$1"')'; }

# ---- help and usage errors (exit 2)
expect_exit 0 "$S" psk --help
for c in generate list stats check revoke export import; do assert_contains "$OUT" "$c"; done
expect_exit 2 "$S" psk
expect_exit 2 "$S" psk frobnicate
assert_contains "$ERR" "unknown command 'psk frobnicate'"
for c in generate list stats check revoke export import; do
  expect_exit 0 "$S" psk "$c" --help
  assert_contains "$OUT" "Usage: scsctl"
done
expect_exit 0 "$S" psk export --help
assert_contains "$OUT" "never taken from the command line"

expect_exit 0 "$S" -d "$A" init
expect_exit 0 "$S" -d "$B" init

expect_exit 2 "$S" -d "$A" psk generate
assert_contains "$ERR" "missing -n"
expect_exit 2 "$S" -d "$A" psk generate -n 0
expect_exit 2 "$S" -d "$A" psk generate -n 12x
assert_contains "$ERR" "'12x'"
expect_exit 2 "$S" -d "$A" psk generate -n -5
expect_exit 2 "$S" -d "$A" psk generate -n
assert_contains "$ERR" "needs a value"
expect_exit 2 "$S" -d "$A" psk generate -n 3 --bogus
assert_contains "$ERR" "--bogus"
expect_exit 2 "$S" -d "$A" psk list --state bogus
assert_contains "$ERR" "invalid state 'bogus'"
expect_exit 2 "$S" -d "$A" psk export --state nope --out "$T/x" --passphrase-file "$T/pass"
assert_contains "$ERR" "invalid state 'nope'"
expect_exit 2 "$S" -d "$A" psk stats extra
expect_exit 2 "$S" -d "$A" psk export --passphrase-file "$T/pass"
assert_contains "$ERR" "missing --out"
expect_exit 2 "$S" -d "$A" psk import
expect_exit 2 "$S" -d "$A" psk revoke
expect_exit 2 "$S" -d "$A" psk revoke 0000-037N
assert_contains "$ERR" "check character"
expect_exit 0 "$S" -d "$A" psk stats --json
assert_eq "$(echo "$OUT" | json_get "['total']")" "0" "empty pool total"

# ---- generate / stats / list
expect_exit 0 v -d "$A" psk generate -n 25
assert_eq "$OUT" "generated 25 pairs"
expect_exit 0 v -d "$A" psk generate -n 5 --json
assert_eq "$(echo "$OUT" | json_get "['generated']")" "5" "generate --json"
expect_exit 0 v -d "$A" psk stats
assert_contains "$OUT" "available  30"
assert_contains "$OUT" "total      30"
expect_exit 0 v -d "$A" psk list
assert_eq "$(echo "$OUT" | wc -l)" "30" "list lines"
assert_not_contains "$OUT" "$(echo "$OUT" | head -1 | cut -c1-4)-XXXX" "list"
expect_exit 0 v -d "$A" psk list --json
assert_eq "$(echo "$OUT" | json_len)" "30" "list --json length"
assert_eq "$(echo "$OUT" | json_get "[0].get('pps','none')")" "none" "pps hidden without --show-secrets"
assert_eq "$(echo "$OUT" | json_get "[0]['state']")" "available" "json state"
assert_eq "$(echo "$OUT" | json_get "[0]['assignee']")" "" "json assignee"
assert_eq "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(d[0].keys()))')" \
  "['assignee', 'created', 'pid', 'state', 'updated']" "json keys"
expect_exit 0 v -d "$A" psk list --json --show-secrets
SECRETS_JSON=$OUT
assert_eq "$(echo "$OUT" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if len(e["pps"])==39 and len(e["pid"])==9))')" \
  "30" "pps and pid in display form"
# every listed pair passes psk check
echo "$SECRETS_JSON" | python3 -c 'import json,sys
for e in json.load(sys.stdin): print(e["pid"], e["pps"])' >"$T/pairs"
bad=0
while read -r pid pps; do
  "$S" psk check "$pid" "$pps" >/dev/null || bad=$((bad + 1))
done <"$T/pairs"
assert_eq "$bad" "0" "generated pairs that fail psk check"
PID1=$(sed -n 1p "$T/pairs" | cut -d' ' -f1)
PID2=$(sed -n 2p "$T/pairs" | cut -d' ' -f1)

# ---- check (no store needed)
expect_exit 0 "$S" -d "$T/nowhere" psk check 0000-037M NKLD-G5DC-RRNQ-E9YZ-ZIJL-7LFL-VJED-69XJ
assert_eq "$OUT" "PID and PPS are valid"
expect_exit 0 "$S" psk check 0000037m nkldg5dcrrnqe9yzzijl7lflvjed69xj
expect_exit 1 "$S" psk check 0000-037N NKLD-G5DC-RRNQ-E9YZ-ZIJL-7LFL-VJED-69XJ
assert_contains "$OUT" "PID is invalid"
assert_contains "$OUT" "check character"
assert_not_contains "$OUT" "PPS is invalid"
expect_exit 1 "$S" psk check 0000-037M NKLD-G5DC-RRNZ-E9YZ-ZIJL-7LFL-VJED-69XJ
assert_contains "$OUT" "PPS is invalid: PPS group 3"
assert_not_contains "$OUT" "RRNZ"
expect_exit 1 "$S" psk check --json 0000-037M NKLD-G5DC-RRNQ-E9YZ-ZIJL-7LFL-VJED-69XA
assert_eq "$(echo "$OUT" | json_get "['valid']")" "False" "check --json valid"
assert_contains "$(echo "$OUT" | json_get "['pps_error']")" "group 8"
expect_exit 1 "$S" psk check 0000-037M NKLD-G5DC
assert_contains "$OUT" "PPS must be 32 characters"
expect_exit 2 "$S" psk check 0000-037M
assert_contains "$ERR" "expected PID and PPS"

# ---- revoke
expect_exit 0 v -d "$A" psk revoke "$PID1"
assert_eq "$OUT" "revoked $PID1"
expect_exit 4 v -d "$A" psk revoke "$PID1"
assert_contains "$ERR" "already revoked"
if grep -q "^0000-037M " "$T/pairs"; then echo "skip: example PID generated"; else
  expect_exit 4 v -d "$A" psk revoke 0000-037M
  assert_contains "$ERR" "PID 0000-037M is not in the pool"
fi
expect_exit 0 v -d "$A" psk stats --json
assert_eq "$(echo "$OUT" | json_get "['revoked']")" "1" "revoked count"
assert_eq "$(echo "$OUT" | json_get "['available']")" "29" "available count"
expect_exit 0 v -d "$A" psk list --state revoked --json
assert_eq "$(echo "$OUT" | json_len)" "1" "list --state revoked"
assert_eq "$(echo "$OUT" | json_get "[0]['pid']")" "$PID1" "revoked pid"

# ---- export
expect_exit 2 setsid "$S" -d "$A" psk export --out "$T/nopass.bundle" </dev/null
assert_contains "$ERR" "--passphrase-file"
[ ! -e "$T/nopass.bundle" ] && pass || fail "export without a passphrase wrote a file"
expect_exit 0 v -d "$A" psk export --out "$T/all.bundle" --passphrase-file "$T/pass"
assert_eq "$OUT" "exported 30 pairs to $T/all.bundle"
assert_eq "$(stat -c %a "$T/all.bundle")" "600" "bundle mode"
expect_exit 0 v -d "$A" psk export --out "$T/revoked.bundle" --passphrase-file "$T/pass" --state revoked --json
assert_eq "$(echo "$OUT" | json_get "['exported']")" "1" "export --state revoked"

# ---- import: wrong passphrase and damaged files import nothing (exit 3)
expect_exit 3 v -d "$B" psk import "$T/all.bundle" --passphrase-file "$T/wrong"
assert_contains "$ERR" "wrong passphrase or corrupted file"
assert_contains "$ERR" "nothing was imported"
size=$(stat -c %s "$T/all.bundle")
for cut in 0 5 47 48 80 $((size / 2)) $((size - 1)); do
  head -c "$cut" "$T/all.bundle" >"$T/cut.bundle"
  expect_exit 3 v -d "$B" psk import "$T/cut.bundle" --passphrase-file "$T/pass"
done
head -c "$((size - 1))" "$T/all.bundle" >"$T/cut.bundle"
expect_exit 3 v -d "$B" psk import "$T/cut.bundle" --passphrase-file "$T/pass"
assert_contains "$ERR" "truncated"
for off in 30 60 $((size / 2)) $((size - 1)); do
  cp "$T/all.bundle" "$T/flip.bundle"
  orig=$(od -An -tu1 -j "$off" -N1 "$T/flip.bundle" | tr -d ' ')
  printf "\\$(printf '%03o' $(((orig ^ 1) & 255)))" | dd of="$T/flip.bundle" bs=1 seek="$off" conv=notrunc status=none
  expect_exit 3 v -d "$B" psk import "$T/flip.bundle" --passphrase-file "$T/pass"
  assert_contains "$ERR" "wrong passphrase or corrupted file"
done
cp "$T/all.bundle" "$T/v9.bundle"
printf '\011' | dd of="$T/v9.bundle" bs=1 seek=8 conv=notrunc status=none
expect_exit 3 v -d "$B" psk import "$T/v9.bundle" --passphrase-file "$T/pass"
assert_contains "$ERR" "version 9 is not supported"
echo "not a bundle at all" >"$T/junk.bundle"
expect_exit 3 v -d "$B" psk import "$T/junk.bundle" --passphrase-file "$T/pass"
assert_contains "$ERR" "not an scs PSK bundle"
expect_exit 5 v -d "$B" psk import "$T/missing.bundle" --passphrase-file "$T/pass"
expect_exit 0 v -d "$B" psk stats --json
assert_eq "$(echo "$OUT" | json_get "['total']")" "0" "nothing imported by the failures"

# ---- import for real, then again
expect_exit 0 v -d "$B" psk import "$T/all.bundle" --passphrase-file "$T/pass"
assert_eq "$OUT" "imported 30, skipped 0"
expect_exit 0 v -d "$B" psk import "$T/all.bundle" --passphrase-file "$T/pass" --json
assert_eq "$OUT" '{"imported":0,"skipped":30}'
expect_exit 0 v -d "$B" psk stats --json
assert_eq "$(echo "$OUT" | json_get "['available']")" "29" "imported available"
assert_eq "$(echo "$OUT" | json_get "['revoked']")" "1" "imported revoked"
expect_exit 0 v -d "$B" psk list --json --show-secrets
# same pairs: compare pid/pps sets
assert_eq "$(echo "$OUT" | python3 -c 'import json,sys; print(sorted((e["pid"],e["pps"]) for e in json.load(sys.stdin)))')" \
  "$(echo "$SECRETS_JSON" | python3 -c 'import json,sys; print(sorted((e["pid"],e["pps"]) for e in json.load(sys.stdin)))')" \
  "pid/pps pairs after import"
expect_exit 0 v -d "$B" psk revoke "$PID2"

# ---- no PPS in any stderr output (-v -v on every command above) or in the database files
leaks=0
while read -r pid pps; do
  raw=${pps//-/}
  if grep -qF -e "$pps" -e "$raw" "$LOG"; then leaks=$((leaks + 1)); fi
  for f in "$A/scs.db" "$A/scs.db-wal" "$B/scs.db" "$B/scs.db-wal"; do
    [ -e "$f" ] || continue
    if grep -qaF -e "$pps" -e "$raw" "$f"; then leaks=$((leaks + 1)); fi
  done
done <"$T/pairs"
assert_eq "$leaks" "0" "PPS values found in stderr or database files"
# the scan can find things: PIDs are logged and stored in clear
grep -qaF "${PID1//-/}" "$A/scs.db" "$A/scs.db-wal" 2>/dev/null && pass || fail "PID not found in store files (scan broken?)"
[ -s "$LOG" ] && pass || fail "no stderr captured with -v -v"

finish
