#!/usr/bin/env bash
# The main job, end to end, with the real programs only:
#   a data directory, a PSK pool and a USB setup.bin, a test provisioning PKI,
#   five simulated PSK devices (taking their PID/PPS from the USB file) and five
#   simulated PKI devices (trusting the test root), scsd provisioning all of
#   them, and both sides' view at the end.
#   scripts/demo.sh [BUILD_DIR]          (make demo)
# Loopback only: scsd on 127.0.0.1, devices on 127.77.x.y, high ports.  Set
# SCS_DEMO_KEEP=1 to keep the temporary directory for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
bin=$build/bin
dir=$(mktemp -d /tmp/scs-demo.XXXXXX)
pids=()
stop_all() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${SCS_DEMO_KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap stop_all EXIT
hello_port=$((30000 + RANDOM % 20000))
tls_port=$((hello_port + 1))
http_port=$((hello_port + 2))
scsctl() { "$bin/scsctl" -d "$dir/scs" "$@"; }

echo "== scsctl init, a PSK pool of 20 pairs, a USB file with 5 of them"
scsctl init
scsctl psk generate -n 20
scsctl usb create --out "$dir/setup.bin" --count 5

echo
echo "== a test provisioning PKI for *.scs.test, loaded into scsd's store"
bash "$here/tests/integration/make-test-pki.sh" "$dir/pki" scs.test >/dev/null
scsctl cert add --name demo --chain "$dir/pki/leaf-oid-chain.pem" --key "$dir/pki/leaf-oid.key"
scsctl profile set default --tls on

echo
echo "== amtsim: 5 PSK devices from the USB file, 5 PKI devices trusting the test root"
"$bin/amtsim" -d "$dir/sim" create -n 5 --mode psk --usb "$dir/setup.bin" --base-address 127.77.0.1
"$bin/amtsim" -d "$dir/sim" create -n 5 --mode pki --dns-suffix scs.test \
  --root-hash "$(cat "$dir/pki/root.sha256")" --base-address 127.77.1.1

echo
echo "== scsd listening on 127.0.0.1:$hello_port; the devices send their Hellos there"
"$bin/scsd" -d "$dir/scs" -l "127.0.0.1:$hello_port" -p "$tls_port" 2>"$dir/scsd.log" &
pids+=($!)
"$bin/amtsim" -d "$dir/sim" run --server "127.0.0.1:$hello_port" --tls-port "$tls_port" \
  --http-port "$http_port" --time-scale 30 2>"$dir/sim.log" &
pids+=($!)

n=0
for ((i = 0; i < 600; i++)); do
  n=$(scsctl device list --state provisioned --json | { grep -o '"uuid"' || true; } | wc -l)
  [ "$n" -ge 10 ] && break
  sleep 0.1
done
echo "== $n of 10 devices provisioned after $((i / 10)).$((i % 10)) s"
echo
echo "== scsd's view (scsctl device list)"
scsctl device list
echo
echo "== the devices' view (amtsim status)"
"$bin/amtsim" -d "$dir/sim" status
echo
echo "== the PSK pool: 5 pairs used by the devices, 5 fresh ones now assigned to them"
scsctl psk stats
echo
echo "== one device's provisioning, step by step (scsd log)"
first=$("$bin/amtsim" -d "$dir/sim" status --json | grep -o '"uuid":"[^"]*"' | head -1 | cut -d'"' -f4)
grep "$first" "$dir/scsd.log" | sed 's/^[^ ]* //' || true
echo
echo "== its admin password opens it with HTTP Digest (scsctl device password, audited)"
addr=$("$bin/amtsim" -d "$dir/sim" status --json | grep -o '"address":"[^"]*"' | head -1 | cut -d'"' -f4)
pw=$(scsctl device password "$first")
code=$(curl -s -k -o /dev/null -w '%{http_code}' --digest -u "admin:$pw" \
  -H 'Content-Type: application/soap+xml' \
  --data-binary @"$here/../shared/fixtures/wsman-requests/AMT_GeneralSettings.Get.xml" \
  "https://$addr:$tls_port/wsman" 2>/dev/null || true)
[ "$code" = 200 ] || code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u "admin:$pw" \
  --data-binary @"$here/../shared/fixtures/wsman-requests/AMT_GeneralSettings.Get.xml" \
  "http://$addr:$http_port/wsman" 2>/dev/null || true)
echo "GET AMT_GeneralSettings as admin: HTTP $code"
echo
echo "== audit log (last lines)"
scsctl audit | tail -5
[ "$n" -ge 10 ]
