#!/usr/bin/env bash
# `make demo`: the relay, a sample adapter that plays the human, and a sample control plane, on loopback;
# prints one approval's life from submit to forwarded decision, one executor request with a chosen option, and
# one approval that needs two approvers (a quorum of two), waited for with `?wait=`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/debug/webhook-relay
work=$(mktemp -d)
relay_port=18080 adapter_port=18081 control_port=18082 alice_port=18083 bob_port=18084
relay="http://127.0.0.1:$relay_port"
export RELAY_DATABASE="sqlite:$work/relay.sqlite" RELAY_LISTEN="127.0.0.1:$relay_port" RELAY_LOG_LEVEL=warning
export RELAY_ADMIN_TOKEN=demo-admin-token-local RELAY_SUBMIT_TOKEN=demo-submit-token-local RELAY_CALLBACK_TOKEN=demo-callback-token-local
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$bin" serve >"$work/relay.log" 2>&1 & pids+=($!)
"$bin" sample-adapter --listen "127.0.0.1:$adapter_port" --decide approve --after-ms 300 --choose 1 >"$work/adapter.log" 2>&1 & pids+=($!)
"$bin" sample-control-plane --listen "127.0.0.1:$control_port" >"$work/control.log" 2>&1 & pids+=($!)
# Two humans for the quorum: alice answers after 0.3 s, bob after 1.5 s.
"$bin" sample-adapter --listen "127.0.0.1:$alice_port" --decide approve --after-ms 300 >"$work/alice.log" 2>&1 & pids+=($!)
"$bin" sample-adapter --listen "127.0.0.1:$bob_port" --decide approve --after-ms 1500 >"$work/bob.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf "$relay/healthz" >/dev/null && break; sleep 0.1; done

admin() { curl -s -H "Authorization: Bearer demo-admin-token-local" "$@"; }
submit() { curl -s -w ' -> HTTP %{http_code}' -H "Authorization: Bearer demo-submit-token-local" "$@"; }
wait_for() { for _ in $(seq 100); do grep -q "$1" "$2" && return 0; sleep 0.1; done; echo "timed out waiting for $1"; exit 1; }
show() {  # the request's timeline, one line per message and its attempts
  admin "$relay/api/v1/requests/$1" | python3 "$work/show.py"
}
cat >"$work/show.py" <<'PY'
import json, sys
r = json.load(sys.stdin)
line = "  request %s: %s" % (r["id"], r["state"])
if r.get("decision_result") is not None:
    line += ", result " + json.dumps(r["decision_result"])
elif r.get("decision_reason"):
    line += " (%s)" % r["decision_reason"]
print(line)
for v in (r.get("approval_policy") or {}).get("votes", []):
    print("  vote: %s %s via %s" % (v["endpoint"], v["decision"], v["path"]))
for m in r["messages"]:
    where = "deliver to " + m["endpoint"] if m["purpose"] == "delivery" else "forward to %s %s" % (m["endpoint"], m["url"])
    tries = ", ".join("%s %s in %d ms" % (a.get("status_code") or a.get("error"), a["outcome"], a["duration_ms"]) for a in m["attempts"])
    print("  %s: %s [%s]" % (where, m["state"], tries))
PY

life() {  # what the adapter and the control plane saw of request $1, then its timeline
  wait_for "$1" "$work/control.log"
  sed 's/^/  adapter: /' "$work/adapter.log" | grep "$1"
  sed 's/^/  control plane: /' "$work/control.log" | grep "$1"
  show "$1"
}

admin -X POST "$relay/api/v1/endpoints" -d "{\"name\":\"approver\",\"role\":\"approver\",\"url\":\"http://127.0.0.1:$adapter_port/approve\"}" >/dev/null
admin -X POST "$relay/api/v1/endpoints" -d "{\"name\":\"executor\",\"role\":\"executor\",\"url\":\"http://127.0.0.1:$adapter_port/execute\"}" >/dev/null

echo "== 1. An approval, sent the way yaml-mcp-server sends it (POST /approve)"
echo -n "  submit: "
submit -X POST "$relay/approve" -d "{
  \"correlation_id\": \"demo-approval\", \"tool\": \"github_create_env_secret_k8s\",
  \"arguments\": {\"namespace\": \"ai-staging\", \"k8s_secret_name\": \"pg-password\"},
  \"justification\": \"Need a new password for the billing service.\",
  \"approval_request\": \"Create a secret and inject it into Kubernetes.\",
  \"risk_assessment\": \"May affect DB access if the new secret is misused.\",
  \"timeout_sec\": 3600, \"callback\": {\"url\": \"http://127.0.0.1:$control_port/approvals/webhook\"}}"
echo
life demo-approval

echo
echo "== 2. An owner-feedback question to an executor; the human picks option 2"
echo -n "  submit: "
submit -X POST "$relay/execute" -d "{
  \"correlation_id\": \"demo-feedback\", \"tool\": {\"name\": \"telegram_request_feedback\", \"title\": \"Request user feedback\"},
  \"arguments\": {\"question\": \"Which rollout strategy should we apply?\", \"options\": [\"Canary for 10% traffic\", \"Blue/green switch\", \"Delay rollout\"], \"allow_custom\": true},
  \"spec\": {\"kind\": \"telegram_feedback_v1\", \"options_min\": 2, \"options_max\": 5},
  \"timeout_sec\": 3600, \"callback\": {\"url\": \"http://127.0.0.1:$control_port/executors/webhook\"}}"
echo
life demo-feedback

echo
echo "== 3. An approval that needs two approvers: alice votes first, the request waits for bob"
admin -X POST "$relay/api/v1/endpoints" -d "{\"name\":\"alice\",\"role\":\"approver\",\"url\":\"http://127.0.0.1:$alice_port/approve\"}" >/dev/null
admin -X POST "$relay/api/v1/endpoints" -d "{\"name\":\"bob\",\"role\":\"approver\",\"url\":\"http://127.0.0.1:$bob_port/approve\"}" >/dev/null
echo -n "  submit: "
submit -X POST "$relay/api/v1/requests" -H 'Idempotency-Key: demo-quorum' -d "{
  \"kind\": \"approval\", \"correlation_id\": \"demo-quorum\", \"tool\": \"production_db_migration\",
  \"endpoints\": [\"alice\", \"bob\"], \"approval_policy\": {\"min_approvals\": 2},
  \"justification\": \"Add the invoices.due_at column before the release.\",
  \"approval_request\": \"Run migration 0042 on the production database.\",
  \"risk_assessment\": \"Locks the invoices table for about a second.\",
  \"timeout_sec\": 3600, \"callback\": {\"url\": \"http://127.0.0.1:$control_port/approvals/webhook\"}}"
echo
wait_for "called back" "$work/alice.log"
sed 's/^/  alice: /' "$work/alice.log" | grep "called back"
echo -n "  wait for the decision: "
admin "$relay/api/v1/requests/demo-quorum/decision?wait=10" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%s (%s)" % (d["decision"], d["reason"]))'
sed 's/^/  bob: /' "$work/bob.log" | grep "called back"
wait_for demo-quorum "$work/control.log"
sed 's/^/  control plane: /' "$work/control.log" | grep demo-quorum
show demo-quorum

