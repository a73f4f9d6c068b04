# Helpers for the scsd + amtsim end-to-end tests.  Source after tests/lib.sh.
#
# Everything runs in $T: the server's data directory $D, the simulator's $S,
# logs $T/scsd.log and $T/sim.log.  Ports are picked free per test and the
# devices live on their own 127.x.y.0/24 so tests may run in parallel.

SCSD=$SCS_BIN/scsd
SCSCTL=$SCS_BIN/scsctl
AMTSIM=$SCS_BIN/amtsim
REGTOOL=$SCS_BIN/prov_regtool
D=$T/scs
S=$T/sim
HELLO_PORT=$(free_port)
DEV_PORT=$(free_port)
DEV_HTTP_PORT=$(free_port)
# A /16 of loopback per test run: 127.<100..199>.<0..249>.x
NET="127.$((100 + RANDOM % 100)).$((RANDOM % 250))"
SCSD_PID=
SIM_PID=

e2e_init() {
  "$SCSCTL" -d "$D" init >/dev/null
  "$SCSCTL" -d "$D" psk generate -n "${1:-50}" >/dev/null
}

# start_scsd [ARGS...]: scsd on 127.0.0.1:$HELLO_PORT, devices called back on $DEV_PORT.
start_scsd() {
  bg "$SCSD" -d "$D" -l "127.0.0.1:$HELLO_PORT" -p "$DEV_PORT" -o device_http_port="$DEV_HTTP_PORT" \
    -o retry_backoff_s=1 \
    -o request_timeout_s=5 -o session_timeout_s=30 "$@" >>"$T/scsd.log" 2>&1
  SCSD_PID=$BG_PID
  wait_port 127.0.0.1 "$HELLO_PORT" 10
}

stop_scsd() {
  kill "$SCSD_PID" 2>/dev/null || true
  wait "$SCSD_PID" 2>/dev/null || true
}

# start_sim [ARGS...]: every device of $S, Hellos to scsd, time scale 30 (a Hello
# every 0.4 s at the start of the schedule).
start_sim() {
  bg "$AMTSIM" -d "$S" run --server "127.0.0.1:$HELLO_PORT" --tls-port "$DEV_PORT" \
    --http-port "$DEV_HTTP_PORT" --time-scale "${SIM_SCALE:-30}" "$@" >>"$T/sim.log" 2>&1
  SIM_PID=$BG_PID
}

stop_sim() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
}

devices_json() { "$REGTOOL" -d "$D" devices; }
# The audit log through scsctl's JSON, a row per line: id time event subject detail.
audit_text() {
  "$SCSCTL" -d "$D" audit --json | jq -r '.[] | "\(.id) \(.time) \(.event) \(.subject) \(.detail)"'
}
sim_json() { "$AMTSIM" -d "$S" status --json; }

# count_state STATE: devices in the registry in that state.
count_state() { devices_json | { grep -o "\"state\":\"$1\"" || true; } | wc -l; }
# count_sim KEY VALUE: simulated devices whose KEY is VALUE (string or bare JSON).
count_sim() { sim_json | { grep -o "\"$1\":$2" || true; } | wc -l; }

# wait_state N STATE SECONDS
wait_state() {
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    [ "$(count_state "$2")" -ge "$1" ] && return 0
    sleep 0.2
  done
  return 1
}

# field UUID KEY: a string field of one device from the registry.
field() {
  devices_json | grep "\"uuid\":\"$1\"" | grep -o "\"$2\":\"[^\"]*\"" | head -1 | cut -d'"' -f4
}
field_num() {
  devices_json | grep "\"uuid\":\"$1\"" | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
sim_field() {
  sim_json | tr '{' '\n' | grep "\"uuid\":\"$1\"" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2- |
    tr -d '"'
}
# admin_pw UUID: the recorded admin password, as an administrator reads it.
admin_pw() { "$SCSCTL" -d "$D" device password "$1"; }
# scsctl_count STATE: devices in that state according to `scsctl device list --json`.
scsctl_count() {
  "$SCSCTL" -d "$D" device list --json | { grep -o "\"state\": *\"$1\"" || true; } | wc -l
}
sim_uuids() { sim_json | grep -o '"uuid":"[^"]*"' | cut -d'"' -f4; }

# wsman_digest URL PASSWORD [CURL ARGS]: HTTP status of a Digest-authenticated Get.
wsman_digest() {
  local url=$1 pw=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --digest -u "admin:$pw" "$@" \
    -H 'Content-Type: application/soap+xml;charset=UTF-8' \
    --data-binary "@$SCS_FIXTURES/wsman-requests/AMT_GeneralSettings.Get.xml" "$url" || true
}

e2e_logs() {
  echo "---- scsd log (tail)" >&2
  tail -n 40 "$T/scsd.log" >&2 || true
  echo "---- amtsim log (tail)" >&2
  tail -n 20 "$T/sim.log" >&2 || true
}
