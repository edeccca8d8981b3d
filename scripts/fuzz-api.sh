#!/usr/bin/env bash
# API fuzzing: starts the built relay on a free loopback port with a throwaway SQLite file and runs
# schemathesis against it with openapi.yaml. Fails on any 5xx or any answer the document does not allow.
# Usage: scripts/fuzz-api.sh [path to webhook-relay] (default .build/debug/webhook-relay)
set -euo pipefail
binary=${1:-.build/debug/webhook-relay}
examples=${FUZZ_MAX_EXAMPLES:-25}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RELAY_ADMIN_TOKEN=fuzz-admin-token-local RELAY_SUBMIT_TOKEN=fuzz-submit-token-local RELAY_CALLBACK_TOKEN=fuzz-callback-token-local
# schemathesis sends requests without credentials on purpose, hundreds of them: the failed-credential
# throttle (tested on its own) is opened wide so that each still gets its 401. A wait for a decision is held
# to 3 s, inside the 10 s each request is given (a longer one is the documented 400).
RELAY_LISTEN=127.0.0.1:$port RELAY_DATABASE=sqlite:$work/relay.sqlite RELAY_LOG_LEVEL=warning \
  RELAY_FAILED_AUTH_LIMIT=1000000 RELAY_FAILED_AUTH_DELAY_MS=0 RELAY_HTTP_MAX_WAIT_SEC=3 \
  "$binary" serve --config Config/relay.yaml 2>"$work/relay.log" &
relay=$!
stop() { kill -TERM "$relay" 2>/dev/null || true; wait "$relay" 2>/dev/null || true; }
trap 'stop; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
# One approver and one executor, so that valid submits have somewhere to go (else they are 422).
for role in approver executor; do
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/endpoints" -H "Authorization: Bearer $RELAY_ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"name\":\"fuzz-$role\",\"role\":\"$role\",\"url\":\"http://127.0.0.1:9/$role\"}"
done
# pip may put the command outside PATH (a --user or distribution install): look beside python3 too.
schemathesis=$(command -v schemathesis || echo "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis")
status=0
"$schemathesis" --config-file scripts/schemathesis.toml run openapi.yaml --url "http://127.0.0.1:$port" \
  --checks all --max-examples "$examples" --generation-deterministic \
  --request-timeout 10 --no-color "${@:2}" || status=$?
if grep -E '^[^ ]+ (error|critical) ' "$work/relay.log" >/dev/null; then
  echo "the relay logged errors while fuzzed:"; grep -E '^[^ ]+ (error|critical) ' "$work/relay.log" | head -20
  status=1
fi
exit $status
