#!/usr/bin/env bash
# Interoperability test: MeshCentral's Intel AMT Hello server
# (amtprovisioningserver.js, a third-party SCA that provisions real AMT
# devices) provisions an amtsim PKI device from its Hello to CommitChanges.
#
#   SCS_BIN=build/bin bash tests/interop/meshcentral.sh     (or: make interop)
#
# Not part of `make check`: it installs meshcentral@1.1.55 from the npm
# registry into ${XDG_CACHE_HOME:-$HOME/.cache}/scs-interop (once) and runs
# MeshCentral (Node.js).  Everything runs on loopback; when `unshare -n` works
# (root, or user namespaces) the whole test runs in a private network
# namespace, so MeshCentral's Hello server (which binds 0.0.0.0) and the
# device's fixed port 16993 touch nothing outside.  See docs/interop.md.
#
# Environment:
#   SCS_BIN              directory with amtsim (default: <repo>/build/bin)
#   SCS_INTEROP_CACHE    cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/scs-interop)
#   SCS_INTEROP_NO_SHIM  =1: run MeshCentral without the chain-order shim, to
#                        reproduce MeshCentral issue #4901 (the test then fails)
#   SCS_INTEROP_KEEP     =1: keep the work directory (logs) for inspection
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MC_VERSION=1.1.55
CACHE=${SCS_INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scs-interop}
MC_PREFIX=$CACHE/meshcentral-$MC_VERSION
MC_PKG=$MC_PREFIX/node_modules/meshcentral
export SCS_BIN=${SCS_BIN:-$ROOT/build/bin}

# ---- phase 1 (host network): tools and the MeshCentral install ----
if [ -z "${SCS_INTEROP_NETNS:-}" ]; then
  for tool in node npm openssl curl; do
    command -v "$tool" >/dev/null || { echo "meshcentral.sh: '$tool' not found" >&2; exit 2; }
  done
  [ -x "$SCS_BIN/amtsim" ] || { echo "meshcentral.sh: $SCS_BIN/amtsim not built" >&2; exit 2; }
  installed=$(node -p "try{require('$MC_PKG/package.json').version}catch(e){''}" 2>/dev/null || true)
  if [ "$installed" != "$MC_VERSION" ]; then
    echo "installing meshcentral@$MC_VERSION into $MC_PREFIX (npm registry)"
    mkdir -p "$MC_PREFIX"
    [ -f "$MC_PREFIX/package.json" ] || echo '{"name":"scs-interop-meshcentral","private":true}' >"$MC_PREFIX/package.json"
    npm install --prefix "$MC_PREFIX" --no-audit --no-fund --loglevel=error "meshcentral@$MC_VERSION" >&2
  fi
  # Re-run inside a private network namespace when possible.
  if unshare -n true 2>/dev/null; then
    exec unshare -n -- env SCS_INTEROP_NETNS=1 bash "${BASH_SOURCE[0]}" "$@"
  elif unshare -rn true 2>/dev/null; then
    exec unshare -rn -- env SCS_INTEROP_NETNS=1 bash "${BASH_SOURCE[0]}" "$@"
  fi
  echo "note: no network namespace available; using the host loopback" >&2
  SCS_INTEROP_NETNS=host
fi

# ---- phase 2: the test ----
# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
AMTSIM=$SCS_BIN/amtsim

if [ "$SCS_INTEROP_NETNS" = 1 ]; then
  ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || true
  MC_PORT=20443
  HELLO_PORT=9971
  DEV_ADDR=127.1.0.1
else
  MC_PORT=$(free_port)
  HELLO_PORT=$(free_port)
  DEV_ADDR=127.$((100 + RANDOM % 100)).$((1 + RANDOM % 250)).1
fi

MC_PID=
_mc_cleanup() {
  # MeshCentral runs as a watchdog parent plus a --launch child; it was started
  # with setsid, so its process group is exactly the processes we started.
  if [ -n "$MC_PID" ]; then
    kill -TERM -- "-$MC_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$MC_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$MC_PID" 2>/dev/null || true
  fi
  if [ "${SCS_INTEROP_KEEP:-}" = 1 ]; then
    cp -r "$T" "$T.kept" && echo "work directory kept in $T.kept" >&2
  fi
  _cleanup
}
trap _mc_cleanup EXIT

GROUP_ID='mesh//scsinteropAMTgroup0000000000000000000000000000000000000000000'
ADMIN_PASS='Adm1n-P4ss!'    # the device group's AMT password (what MC sets as admin)
MEBX_PASS='Mebx-P4ssw0rd!'
TRUSTED_FQDN=prov.scs-interop.test
DNS_SUFFIX=scs-interop.test

# MeshCentral configuration: loopback only, no MPS/redirect/scanners/backups,
# no Authenticode timestamp server (it is not reachable), Hello server on.
mkdir -p "$T/mc-data" "$T/mc-files"
cat >"$T/mc-data/config.json" <<EOF
{
  "settings": {
    "datapath": "$T/mc-data",
    "filespath": "$T/mc-files",
    "cert": "127.0.0.1",
    "port": $MC_PORT,
    "portBind": "127.0.0.1",
    "redirPort": 0,
    "mpsPort": 0,
    "WANonly": true,
    "selfUpdate": false,
    "autoBackup": false,
    "agentTimeStampServer": false,
    "amtProvisioningServer": {
      "port": $HELLO_PORT,
      "deviceGroup": "$GROUP_ID",
      "newMebxPassword": "$MEBX_PASS",
      "trustedFqdn": "$TRUSTED_FQDN",
      "ip": "127.0.0.1"
    }
  }
}
EOF
# The device group, written straight into the NeDB database before the first
# start: mtype 1 = "Intel AMT only, no agent"; amt.type 3 = ACM activation
# policy (the Hello server accepts 3 or 4); amt.password = admin password.
printf '%s\n' "{\"type\":\"mesh\",\"_id\":\"$GROUP_ID\",\"name\":\"scs-interop ACM\",\"mtype\":1,\"desc\":\"\",\"domain\":\"\",\"links\":{},\"amt\":{\"type\":3,\"password\":\"$ADMIN_PASS\"}}" \
  >"$T/mc-data/meshcentral.db"

mc_env=()
if [ "${SCS_INTEROP_NO_SHIM:-}" != 1 ]; then
  mc_env=(NODE_OPTIONS="--require $HERE/mc-tls-chain-order.js" SCS_INTEROP_SHIM_LOG=1)
fi
echo "starting MeshCentral $MC_VERSION (https 127.0.0.1:$MC_PORT, Hello port $HELLO_PORT, netns: $SCS_INTEROP_NETNS)"
(cd "$T" && exec setsid env "${mc_env[@]}" node "$MC_PKG" --datapath "$T/mc-data" --debug amtsca,amt \
  >"$T/mc.log" 2>&1) &
MC_PID=$!

mc_ready() { grep -q "HTTPS server running" "$T/mc.log"; }
# First start generates the server's certificates in JavaScript (forge): slow.
if wait_until 240 mc_ready; then pass; else fail "MeshCentral did not start"; cat "$T/mc.log" >&2; finish; exit 1; fi
assert_contains "$(cat "$T/mc.log")" "Intel(R) AMT provisioning server running on port $HELLO_PORT" "MeshCentral log"

# The device trusts MeshCentral's own root (its built-in cn '*' activation certificate).
ROOT_HASH=$(openssl x509 -in "$T/mc-data/root-cert-public.crt" -outform DER | sha256sum | cut -d' ' -f1)
echo "MeshCentral root SHA-256: $ROOT_HASH"
expect_exit 0 "$AMTSIM" -d "$T/sim" -q create -n 1 --mode pki --dns-suffix "$DNS_SUFFIX" \
  --root-hash "$ROOT_HASH" --base-address "$DEV_ADDR"
UUID=$("$AMTSIM" -d "$T/sim" status --json | node -p 'JSON.parse(require("fs").readFileSync(0))[0].uuid')

bg "$AMTSIM" -d "$T/sim" -v run --server "127.0.0.1:$HELLO_PORT" >"$T/amtsim.log" 2>&1

dev_post() { "$AMTSIM" -d "$T/sim" status --json | grep -q '"provisioning_state":"post"'; }
activated() { grep -q "acmactivate-bare-metal" "$T/mc-data/amtactivation.log" 2>/dev/null; }
# Hellos go out at 0 s and 12 s; one session takes a few seconds.
if wait_until 90 dev_post; then
  pass
else
  fail "device not post-provisioned within 90 s"
  "$AMTSIM" -d "$T/sim" status --json >&2 || true
  echo "--- MeshCentral log (AMTSCA lines and first error) ---" >&2
  grep -E "^(AMTSCA|SCS-INTEROP-SHIM):" "$T/mc.log" | sort | uniq -c >&2 || true
  grep -m1 -A1 -E "^(ERR: )?Error" "$T/mc.log" >&2 || true
  grep -c "key values mismatch" "$T/mc.log" | sed 's/^/"key values mismatch" count: /' >&2 || true
  echo "--- amtsim log ---" >&2
  grep -vE "sim_server_handle" "$T/amtsim.log" | tail -20 >&2 || true
  finish
  exit 1
fi
if wait_until 20 activated; then pass; else fail "no acmactivate-bare-metal record in amtactivation.log"; fi
# After CommitChanges MeshCentral waits 5 s and then manages the device over
# TLS with the new admin credentials (amtmanager.js).
mc_managed() { grep -q "Intel AMT connected with TLS" "$T/mc.log"; }
if wait_until 30 mc_managed; then pass; else fail "MeshCentral did not log in to the provisioned device"; fi

STATUS=$("$AMTSIM" -d "$T/sim" status --json)
echo "amtsim status: $STATUS"
for kv in '"provisioning_state":"post"' '"control_mode":"acm"' '"admin_password_changed":true' \
  '"mebx_password_changed":true' '"tls_configured":true'; do
  assert_contains "$STATUS" "$kv" "amtsim status"
done

ACT=$(cat "$T/mc-data/amtactivation.log" 2>/dev/null || true)
echo "amtactivation.log: $ACT"
REALM=$(node -p 'JSON.parse(require("fs").readFileSync(0))[0].realm' <<<"$STATUS")
assert_contains "$ACT" "\"amtUuid\":\"$UUID\"" "amtactivation.log"
assert_contains "$ACT" "\"amtRealm\":\"$REALM\"" "amtactivation.log"
assert_contains "$ACT" "\"ip\":\"$DEV_ADDR\"" "amtactivation.log"
assert_contains "$ACT" '"tls":1' "amtactivation.log"

MCLOG=$(cat "$T/mc.log")
assert_contains "$MCLOG" "Got hello from $DEV_ADDR" "MeshCentral log"
assert_contains "$MCLOG" "Succesful TLS connection, Intel AMT v" "MeshCentral log"
assert_contains "$MCLOG" "Commited, holding 5 seconds" "MeshCentral log"
assert_contains "$MCLOG" "Intel AMT ACM activation completed." "MeshCentral log"
assert_not_contains "$MCLOG" "key values mismatch" "MeshCentral log"
assert_not_contains "$MCLOG" "MeshCentral failed with critical error" "MeshCentral log"

# Independent checks against the device: the TLS certificate on 16993 is the
# one MeshCentral issued (signed by its root), and Digest as admin with the
# group password works while a wrong password does not.
openssl s_client -connect "$DEV_ADDR:16993" </dev/null 2>/dev/null | openssl x509 >"$T/amt-tls.crt" 2>/dev/null || true
# (Not `openssl verify`: MeshCentral writes only the root's CN as the issuer
# DN, while the root's subject also has O and C, so name chaining fails.)
expect_exit 0 node -e 'const c=require("crypto"),f=require("fs");
  const leaf=new c.X509Certificate(f.readFileSync(process.argv[1])), root=new c.X509Certificate(f.readFileSync(process.argv[2]));
  process.exit(leaf.verify(root.publicKey) ? 0 : 1)' "$T/amt-tls.crt" "$T/mc-data/root-cert-public.crt"
assert_contains "$(openssl x509 -in "$T/amt-tls.crt" -noout -subject 2>/dev/null || true)" "CN = IntelAMT-" "device TLS certificate"

cat >"$T/get.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?><Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><a:To>/wsman</a:To><w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings</w:ResourceURI><a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout></Header><Body></Body></Envelope>
EOF
wsman_code() {
  curl -sk -o "$T/get.out" -w '%{http_code}' --max-time 10 --digest -u "admin:$1" \
    -H 'Content-Type: application/soap+xml;charset=UTF-8' --data-binary @"$T/get.xml" \
    "https://$DEV_ADDR:16993/wsman" || true
}
assert_eq "$(wsman_code "$ADMIN_PASS")" 200 "Digest admin/group password over TLS"
assert_contains "$(cat "$T/get.out")" "$REALM" "AMT_GeneralSettings reply"
assert_eq "$(wsman_code 'Wrong-P4ss!')" 401 "Digest with a wrong password"

echo "--- MeshCentral (AMTSCA) ---"
grep -E "^(AMTSCA|SCS-INTEROP-SHIM):" "$T/mc.log" || true
echo "--- amtsim ---"
grep -vE "sim_server_handle" "$T/amtsim.log" || true
finish
