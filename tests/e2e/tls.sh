#!/bin/bash
# End-to-end: HTTPS through libmicrohttpd's GnuTLS with a certificate made
# here, checked with curl on loopback; bad key files are refused by name.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl not found (apt-get install openssl)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" \
    -out "$WORK/cert.pem" >/dev/null 2>&1
chmod 600 "$WORK/key.pem"
spawn T "$PW_TARGET" sleep tls-$$
cat >"$WORK/cfg.json" <<JSON
{ "listen": "127.0.0.1:0", "interval_ms": 200, "state_dir": "$WORK",
  "tls_cert": "$WORK/cert.pem", "tls_key": "$WORK/key.pem",
  "targets": [ { "name": "t", "pid": $T } ] }
JSON
start_daemon "$WORK/cfg.json" || exit 1
check "log says https" grep -q "listening on https://127.0.0.1:$PORT/" "$WORK/daemon.log"
c=$(curl -s -o "$WORK/h.json" -w '%{http_code}' --cacert "$WORK/cert.pem" "https://127.0.0.1:$PORT/healthz")
check "HTTPS with the CA: 200" [ "$c" = 200 ]
check "HTTPS body is the health JSON" jq -e '.status == "ok"' "$WORK/h.json"
proc_ok() { curl -s --cacert "$WORK/cert.pem" "https://127.0.0.1:$PORT/api/v1/processes/$T" | jq -e '.target == "t"' >/dev/null; }
check "HTTPS serves the API" wait_for proc 50 proc_ok
check "an unknown CA is refused by curl" sh -c "! curl -s -o /dev/null https://127.0.0.1:$PORT/healthz"
c=$(curl -s -o /dev/null -w '%{http_code}' -m 3 "http://127.0.0.1:$PORT/healthz")
check "plain HTTP on the TLS port gets no answer ($c)" [ "$c" != 200 ]
check "SIGTERM exits 0" stop_daemon

# Refusals name the field.
chmod 644 "$WORK/key.pem"
"$PROCWATCHD" --config "$WORK/cfg.json" --check-config >"$WORK/out" 2>&1
check "world-readable key refused" sh -c "grep -q 'tls_key: .*chmod 600' \"$WORK/out\""
chmod 600 "$WORK/key.pem"
sed 's|"tls_key": "[^"]*",||' "$WORK/cfg.json" >"$WORK/half.json"
"$PROCWATCHD" --config "$WORK/half.json" --check-config >"$WORK/out" 2>&1
check "cert without key refused" sh -c "grep -q 'tls_key: missing' \"$WORK/out\""
sed "s|$WORK/cert.pem|$WORK/cfg.json|" "$WORK/cfg.json" >"$WORK/notpem.json"
"$PROCWATCHD" --config "$WORK/notpem.json" --check-config >"$WORK/out" 2>&1
check "non-PEM cert refused" sh -c "grep -q 'tls_cert: .*not a PEM file' \"$WORK/out\""
finish
