#!/usr/bin/env bash
# Run every benchmark and print what it prints (benchmarks never fail on
# timings): the programs in BUILD/bin (bench_*), then the fleet benchmarks
# that drive real processes (bench/bench_provision.sh: scsd provisioning PSK,
# PKI and PKI+TLS fleets of amtsim devices; bench/bench_amtsim.sh: one amtsim
# process with 1,000 devices).  BENCH_N shrinks the PSK benchmark (default
# 1,000,000 pairs); BENCH_PSK, BENCH_PKI, BENCH_TLS size the fleets and
# BENCH_REPEAT (3) sets how often each fleet runs.
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
echo "== bench_provision.sh"
bash bench/bench_provision.sh "$build"
echo "== bench_amtsim.sh"
bash bench/bench_amtsim.sh "$build/bin"
