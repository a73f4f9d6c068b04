#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS on its corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
cmake -S . -B fuzz-build -G Ninja -DCMAKE_C_COMPILER=clang -DSCS_FUZZ=ON -DSCS_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build fuzz-build -j "$(nproc)"
shopt -s nullglob
ran=0
for t in fuzz-build/bin/fuzz_*; do
  name=$(basename "$t")
  corpus=fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${secs}s"
  "$t" -max_total_time="$secs" -max_len=65536 "$work" 2>"$work.log" || { tail -40 "$work.log"; exit 1; }
  tail -1 "$work.log"
  rm -rf "$work" "$work.log"
  ran=$((ran+1))
done
echo "fuzz: $ran targets ran clean"
