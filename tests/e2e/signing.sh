#!/bin/bash
# End-to-end: Standard Webhooks signatures (webhook-id, webhook-timestamp,
# webhook-signature) on alert deliveries, checked by the scheme's reference
# verifier (the standardwebhooks package from npm, tests/webhooks/, from
# its lockfile).  A receiver answers 503 twice before it takes the firing
# alert: the three attempts carry the same webhook-id (a receiver drops
# the duplicates by it), each a fresh timestamp and a signature the
# verifier accepts; a changed body or another key is rejected.  The
# X-Procwatch-Signature header is still sent beside them.
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null && command -v npm >/dev/null ||
    skip "node or npm not found (scripts/deps.sh installs nodejs and npm)"
npm_setup webhooks verify.mjs

# A key as the scheme's libraries make them: whsec_ and 24 random bytes.
SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
OTHER="whsec_$(head -c 24 /dev/urandom | base64)"
start_receiver HOOK "$WORK/hook.jsonl" --headers --fail 2
spawn SPIN "$PW_TARGET" spin
cat >"$WORK/sign.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 100,
  "targets": [ { "name": "spin", "pid": $SPIN } ],
  "rules": { "custom": [ {
    "name": "spin_hot", "metric": "cpu_percent", "op": ">",
    "threshold": 20, "clear": 1, "for": "400ms", "severity": "warning",
    "aggregate": "avg", "window": "2s", "targets": ["spin"]
  } ] },
  "receivers": [
    { "name": "hook", "url": "http://127.0.0.1:$HOOK/hook",
      "secret": "$SECRET", "backoff_ms": 100, "backoff_max_ms": 200 }
  ]
}
JSON
start_daemon "$WORK/sign.json" || exit 1

three() { [ -f "$WORK/hook.jsonl" ] && [ "$(wc -l <"$WORK/hook.jsonl")" -ge 3 ]; }
check "the firing alert is delivered on the third attempt" wait_for deliveries 100 three
head -3 "$WORK/hook.jsonl" >"$WORK/tries.jsonl"
jq -c '{status, id: .headers["webhook-id"], ts: .headers["webhook-timestamp"], sig: .headers["webhook-signature"]}' \
    "$WORK/tries.jsonl" | sed 's/^/# /'
check "two refused (503), then taken" \
    [ "$(jq -r '.status // 200' "$WORK/tries.jsonl" | tr '\n' ' ')" = "503 503 200 " ]
check "the same body each time" [ "$(jq -r .body "$WORK/tries.jsonl" | sort -u | wc -l)" = 1 ]
check "each attempt has webhook-id, -timestamp and -signature" jq -e -s \
    'all(.headers | has("webhook-id") and has("webhook-timestamp") and has("webhook-signature"))' \
    "$WORK/tries.jsonl"
check "webhook-id is the same across the retries" \
    [ "$(jq -r '.headers["webhook-id"]' "$WORK/tries.jsonl" | sort -u | wc -l)" = 1 ]
now=$(date +%s)
check "timestamps are now (unix seconds), in order" jq -e -s --argjson now "$now" \
    '[.[].headers["webhook-timestamp"] | tonumber] |
    all(. <= $now and . > $now - 60) and . == sort' "$WORK/tries.jsonl"
check "signatures are v1" jq -e -s \
    'all(.headers["webhook-signature"] | test("^v1,[A-Za-z0-9+/]{43}=$"))' \
    "$WORK/tries.jsonl"
check "X-Procwatch-Signature is still sent" jq -e -s \
    'all(.signature | test("^sha256=[0-9a-f]{64}$"))' "$WORK/tries.jsonl"

node "$NODEDIR/verify.mjs" "$SECRET" "$WORK/tries.jsonl" >"$WORK/verified.jsonl" 2>&1
sed 's/^/# verifier: /' "$WORK/verified.jsonl"
check "the reference verifier accepts every attempt" jq -e -s \
    'length == 3 and all(.ok)' "$WORK/verified.jsonl"
node "$NODEDIR/verify.mjs" "$SECRET" "$WORK/tries.jsonl" --tamper >"$WORK/tampered.jsonl" 2>&1
check "and rejects a changed body" jq -e -s 'length == 3 and all(.ok | not)' \
    "$WORK/tampered.jsonl"
node "$NODEDIR/verify.mjs" "$OTHER" "$WORK/tries.jsonl" >"$WORK/other.jsonl" 2>&1
check "and another key" jq -e -s 'length == 3 and all(.ok | not)' "$WORK/other.jsonl"

# The resolution is another message: another id.
kill -STOP "$SPIN"
four() { [ "$(wc -l <"$WORK/hook.jsonl")" -ge 4 ]; }
check "the resolved alert is delivered" wait_for resolved 100 four
check "with an id of its own" [ "$(jq -r '.headers["webhook-id"]' "$WORK/hook.jsonl" | sort -u | wc -l)" = 2 ]
sed -n 4p "$WORK/hook.jsonl" >"$WORK/resolved.jsonl"
node "$NODEDIR/verify.mjs" "$SECRET" "$WORK/resolved.jsonl" >"$WORK/verified2.jsonl" 2>&1
check "which the verifier accepts" jq -e -s 'length == 1 and all(.ok)' "$WORK/verified2.jsonl"
kill -CONT "$SPIN"
check "SIGTERM exits 0" stop_daemon
finish
