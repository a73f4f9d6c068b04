#!/usr/bin/env bash
# The main job.  For now: what exists of it (the PSK store and its offline tools);
# the server issue extends this to scsd provisioning a simulated fleet.
set -euo pipefail
build=${1:-build}
bin=$build/bin
dir=$(mktemp -d /tmp/scs-demo.XXXXXX)
echo "== data directory: $dir"
"$bin/scsctl" -d "$dir" init
"$bin/scsctl" -d "$dir" psk generate -n 20
"$bin/scsctl" -d "$dir" psk stats
"$bin/scsctl" -d "$dir" usb create --out "$dir/setup.bin" --count 5
"$bin/scsctl" -d "$dir" usb inspect "$dir/setup.bin"
"$bin/scsctl" -d "$dir" psk stats
