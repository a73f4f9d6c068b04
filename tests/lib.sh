# Shared helpers for the shell tests (CLI and end-to-end).  Source it; it sets
# -euo pipefail, makes a private temporary directory ($T) and kills every
# process started with `bg` when the test ends, however it ends.
set -euo pipefail

: "${SCS_BIN:?SCS_BIN must point at build/bin}"
T=$(mktemp -d /tmp/scs-test.XXXXXX)
_bg_pids=()
_failures=0
_passes=0

_cleanup() {
  local p
  for p in "${_bg_pids[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${_bg_pids[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  rm -rf "$T"
}
trap _cleanup EXIT

# bg CMD... : start in the background, remember the pid in $BG_PID.
bg() {
  "$@" &
  BG_PID=$!
  _bg_pids+=("$BG_PID")
}

fail() {
  echo "FAIL: $*" >&2
  _failures=$((_failures + 1))
}

pass() {
  _passes=$((_passes + 1))
}

# expect_exit CODE CMD... : run CMD, capture stdout/stderr in $OUT/$ERR, check the exit code.
expect_exit() {
  local want=$1 got=0
  shift
  OUT=$("$@" 2>"$T/.stderr") || got=$?
  ERR=$(cat "$T/.stderr")
  if [ "$got" != "$want" ]; then
    fail "'$*' exited $got, expected $want; stderr: $ERR"
  else
    pass
  fi
}

assert_eq() {
  if [ "$1" != "$2" ]; then fail "${3:-value}: got '$1', expected '$2'"; else pass; fi
}

assert_contains() {
  case "$1" in
    *"$2"*) pass ;;
    *) fail "${3:-text} does not contain '$2': $1" ;;
  esac
}

assert_not_contains() {
  case "$1" in
    *"$2"*) fail "${3:-text} contains '$2'" ;;
    *) pass ;;
  esac
}

# wait_port ADDR PORT [SECONDS] : until something accepts TCP there.
wait_port() {
  local i
  for ((i = 0; i < ${3:-10} * 20; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  fail "nothing listening on $1:$2"
  return 1
}

# wait_until SECONDS CMD... : poll CMD until it succeeds, bounded.
wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# free_port : a TCP port nobody listens on right now (in 20000-59999).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# finish : print the closing line CTest shows and exit non-zero on any failure.
finish() {
  echo "$_passes passed, $_failures failed"
  [ "$_failures" = 0 ]
}
