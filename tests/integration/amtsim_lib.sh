# Shared helpers for the amtsim integration tests (sourced, not run).
# Every test: a private temporary directory, its own 127.x addresses, bounded
# waits, and a trap that stops what it started.
set -u
: "${SCS_BIN:?SCS_BIN must point at the bin directory of the build}"
: "${SCS_FIXTURES:?SCS_FIXTURES must point at the shared fixtures}"
AMTSIM="$SCS_BIN/amtsim"
TOOL="$SCS_BIN/amtsim_testtool"
WSREQ="$SCS_FIXTURES/wsman-requests"
T=$(mktemp -d /tmp/amtsim-test.XXXXXX)
PIDS=""
FAILS=0
PASSES=0

cleanup() {
    for p in $PIDS; do
        kill "$p" 2>/dev/null
    done
    for p in $PIDS; do
        for _ in $(seq 1 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

ok() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$3', got '$2'"; fi
}
check_match() { # check_match DESCRIPTION TEXT REGEX
    if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else fail "$1: /$3/ not in: $(printf '%s' "$2" | head -c 400)"; fi
}
finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}

# xval NAME: text of the first element with that local name, any prefix.
xval() { grep -o "<[A-Za-z0-9]*:$1>[^<]*</[A-Za-z0-9]*:$1>" | head -1 | sed 's/<[^>]*>//g'; }
xcount() { grep -o "<[A-Za-z0-9]*:$1>" | wc -l | tr -d ' '; }

# start_sim DIR ARGS...: run amtsim in the background, wait for its pid file.
start_sim() {
    local dir=$1
    shift
    "$AMTSIM" -d "$dir" run "$@" >>"$T/amtsim.log" 2>&1 &
    SIM_PID=$!
    PIDS="$PIDS $SIM_PID"
    for _ in $(seq 1 100); do
        [ -s "$dir/amtsim.pid" ] && return 0
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "amtsim did not start:"; cat "$T/amtsim.log"; return 1
}

stop_sim() { # stop_sim PID: SIGTERM and wait (bounded) for a clean exit
    local p=$1 rc
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    wait "$p" 2>/dev/null
    rc=$?
    PIDS=$(echo "$PIDS" | sed "s/\b$p\b//")
    return $rc
}

# dev_field DIR INDEX KEY: a value from `status --json`
dev_field() {
    "$AMTSIM" -d "$1" status --json | tr '{' '\n' | grep "\"index\":$2," |
        grep -o "\"$3\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'
}

# curl_digest URL USER PW FILE [curl args...]: POST a WS-Man body with Digest
curl_digest() {
    local url=$1 user=$2 pw=$3 file=$4
    shift 4
    curl -sS --max-time 15 --digest -u "$user:$pw" -H 'Content-Type: application/soap+xml;charset=UTF-8' \
        --data-binary @"$file" "$@" "$url"
}

# psk_post ADDR PORT PID PPS FILE: one HTTP request inside a TLS-PSK session (openssl CLI)
psk_post() {
    local hex len
    hex=$(printf %s "$4" | od -An -tx1 | tr -d ' \n')
    len=$(stat -c %s "$5")
    { printf 'POST /wsman HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$1" "$2" "$len"; cat "$5"; } |
        timeout 20 openssl s_client -connect "$1:$2" -psk_identity "$3" -psk "$hex" -tls1_2 \
            -cipher PSK-AES128-CBC-SHA -quiet 2>/dev/null
}

# ha1_b64 USER REALM PW / ha1_hex USER REALM PW
ha1_b64() { printf %s "$1:$2:$3" | openssl dgst -md5 -binary | base64; }
ha1_hex() { printf %s "$1:$2:$3" | md5sum | cut -d' ' -f1; }

# invoke_xml CLASS_URI METHOD PARAMS_XML > file: a method call in the fixtures' shape
invoke_xml() {
    printf '<?xml version="1.0" encoding="utf-8"?><Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><a:Action>%s/%s</a:Action><a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI><a:MessageID>1</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout></Header><Body><h:%s_INPUT xmlns:h="%s">%s</h:%s_INPUT></Body></Envelope>' \
        "$1" "$2" "$1" "$2" "$1" "$3" "$2"
}
AMT_NS=http://intel.com/wbem/wscim/1/amt-schema/1
IPS_NS=http://intel.com/wbem/wscim/1/ips-schema/1
