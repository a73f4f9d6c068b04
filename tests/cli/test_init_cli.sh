#!/usr/bin/env bash
# scsctl init: layout and modes, refusing to re-initialise, and what the other
# commands say about a directory that is not (properly) initialised.
. "$SCS_TESTS/lib.sh"
S="$SCS_BIN/scsctl"
D="$T/data"

# ---- help and usage
expect_exit 0 "$S" init --help
assert_contains "$OUT" "Usage: scsctl [-d DIR] init"
assert_contains "$OUT" "Exit codes"
expect_exit 2 "$S" -d "$D" init --bogus
assert_contains "$ERR" "unknown option"
expect_exit 2 "$S" -d "$D" init extra
assert_contains "$ERR" "unexpected argument"
[ ! -e "$D" ] && pass || fail "a usage error created $D"

# ---- uninitialised directory: exit 4 and a pointer to init
expect_exit 4 "$S" -d "$D" psk stats
assert_contains "$ERR" "scsctl init"
mkdir -m 700 "$T/empty"
expect_exit 4 "$S" -d "$T/empty" psk list
assert_contains "$ERR" "scsctl init"

# ---- init: store, key, the server CA and the default profile
expect_exit 0 "$S" -d "$D" init
assert_contains "$OUT" "initialised $D"
assert_contains "$OUT" "created the server CA"
assert_contains "$OUT" "created the profile 'default'"
assert_eq "$(stat -c %a "$D")" "700" "data dir mode"
assert_eq "$(stat -c %a "$D/master.key")" "600" "master key mode"
assert_eq "$(stat -c %s "$D/master.key")" "32" "master key size"
assert_eq "$(stat -c %a "$D/scs.db")" "600" "store mode"
key_before=$(sha256sum "$D/master.key")
db_before=$(sha256sum "$D/scs.db")

# ---- re-init: clear message, exit 4, nothing changed
expect_exit 4 "$S" -d "$D" init
assert_contains "$ERR" "already initialised; nothing was changed"
assert_eq "$(sha256sum "$D/master.key")" "$key_before" "master key after re-init"
assert_eq "$(sha256sum "$D/scs.db")" "$db_before" "store after re-init"

# ---- a directory from an older scsctl (no CA, no default profile) is completed
if command -v sqlite3 >/dev/null; then
  expect_exit 0 "$S" -d "$T/old" init
  sqlite3 "$T/old/scs.db" "DELETE FROM ca; DELETE FROM profiles;"
  expect_exit 0 "$S" -d "$T/old" init
  assert_contains "$OUT" "completed $T/old"
  assert_contains "$OUT" "created the server CA"
  assert_eq "$(sqlite3 "$T/old/scs.db" "SELECT count(*) FROM ca; SELECT name FROM profiles;")" \
    "$(printf '1\ndefault')" "completed rows"
  expect_exit 4 "$S" -d "$T/old" init
fi

# ---- SCS_HOME is used when -d is not given
expect_exit 0 env SCS_HOME="$T/home" "$S" init
expect_exit 0 env SCS_HOME="$T/home" "$S" psk stats
assert_contains "$OUT" "total      0"

# ---- an existing directory must be private
mkdir -m 755 "$T/open"
expect_exit 4 "$S" -d "$T/open" init
assert_contains "$ERR" "group or others"
[ ! -e "$T/open/master.key" ] && pass || fail "init wrote a key into a group-readable dir"

# ---- master key with group/other permissions: refused, the message names the file
chmod 640 "$D/master.key"
expect_exit 4 "$S" -d "$D" psk stats
assert_contains "$ERR" "$D/master.key"
assert_contains "$ERR" "chmod 600"
chmod 604 "$D/master.key"
expect_exit 4 "$S" -d "$D" psk generate -n 1
chmod 600 "$D/master.key"
expect_exit 0 "$S" -d "$D" psk stats

# ---- a different master key: refused, nothing decrypted with it
cp -p "$D/master.key" "$T/key.saved"
head -c 32 /dev/urandom >"$D/master.key"
expect_exit 3 "$S" -d "$D" psk stats
assert_contains "$ERR" "does not belong to the store"
cp -p "$T/key.saved" "$D/master.key"

# ---- a store written by a newer version: refused
if command -v sqlite3 >/dev/null; then
  v=$(sqlite3 "$D/scs.db" "PRAGMA user_version;")
  sqlite3 "$D/scs.db" "PRAGMA user_version = 99;"
  expect_exit 3 "$S" -d "$D" psk stats
  assert_contains "$ERR" "newer version"
  sqlite3 "$D/scs.db" "PRAGMA user_version = $v;"
  expect_exit 0 "$S" -d "$D" psk stats
else
  echo "sqlite3 not installed: skipping the schema-version case"
fi

finish
