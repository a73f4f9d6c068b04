#!/usr/bin/env bash
# Run every benchmark program in BUILD/bin (bench_*) and print what it prints.
# BENCH_N shrinks the PSK benchmark (default 1,000,000 pairs).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shopt -s nullglob
ran=0
for b in "$build"/bin/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
  ran=$((ran + 1))
done
if [ "$ran" = 0 ]; then
  echo "bench: no bench_* programs in $build/bin (build first)" >&2
  exit 1
fi
