#!/usr/bin/env bash
# House rules that a compiler does not check (style.md §2.16, §4.3):
#  1. banned C library calls (unbounded copies, unchecked conversions);
#  2. third-party headers only in the module that wraps them.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0

banned='\b(sprintf|vsprintf|strcpy|strncpy|strcat|strncat|strtok|atoi|atol|atoll|gets)[[:space:]]*\('
if hits=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'fuzz/*.c' 'bench/*.c' | xargs grep -nE "$banned" 2>/dev/null); then
  echo "checksrc: banned functions (use snprintf, scs_buf, strtoul with checks):"
  echo "$hits"
  fail=1
fi

# header -> directories allowed to include it
check_include() {
  local header=$1; shift
  local allowed=("$@")
  while IFS= read -r f; do
    ok=0
    for a in "${allowed[@]}"; do
      case "$f" in "$a"/*) ok=1 ;; esac
    done
    if [ $ok = 0 ]; then
      echo "checksrc: $f includes <$header> (only ${allowed[*]} may)"
      fail=1
    fi
  done < <(git ls-files 'src/*.c' 'src/*.h' | xargs grep -lE "#include <$header" 2>/dev/null || true)
}
check_include 'sqlite3.h' src/store
check_include 'libpq-fe.h' src/store
check_include 'openssl/' src/crypto src/tls
check_include 'curl/' src/http
check_include 'libxml/' src/wsman src/sim
check_include 'event2/' src/event src/hello src/daemon src/prov src/sim
check_include 'microhttpd.h' src/sim src/api
check_include 'gnutls/' src/sim

exit $fail
