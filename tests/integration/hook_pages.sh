#!/usr/bin/env bash
# A broken remediation pages: an exec hook that exits 3 for a failed DDS
# job raises hook_failed, and a rule routes it to PagerDuty, which gets a
# trigger of its own (the event hook_failed, a dedup_key apart from the task's
# incident, the hook's output tail in custom_details); the task's own
# failure triggers its incident as before.
. "$(dirname "$0")/lib.sh"

start_sim
printf '%s\n' 0123456789abcdef0123456789abcdef >"$TMP/pd.key"
chmod 600 "$TMP/pd.key"
cat >"$TMP/fix.sh" <<'SH'
#!/bin/sh
echo "cannot reach the instance" >&2
exit 3
SH
chmod 755 "$TMP/fix.sh"
{ dds_config "fail_after: 1"; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: pd
    type: pagerduty
    url: $SIM/v2/enqueue
    routing_key_file: $TMP/pd.key
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
  - name: fix
    type: exec
    command: [$TMP/fix.sh]
    allow_root: true
rules:
  - match: { to: [FAILED] }
    notify: [pd, fix]
  - match: { event: [hook_failed] }
    notify: [pd]
YAML
pd() { sim GET /_sink/pagerduty | jq -c '.[] | .body | fromjson'; }
start_daemon "$TMP/taskwatchd.yaml"
polled() { grep -q "watch dds-test: baseline" "$TMP/daemon.log"; }
wait_for 60 polled
A=$(sim POST /_sim/tasks '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}' | jq -r .id)
sleep 0.6
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"node down"}' >/dev/null
hooks() { pd | jq -c 'select(.event_action=="trigger" and .payload.custom_details.event=="hook_failed")'; }
hooktrig() { test -n "$(hooks)"; }
wait_for 15 hooktrig
check "hook_failed triggers a PagerDuty incident" hooktrig
H=$(hooks | head -n1)
T=$(pd | jq -c 'select(.event_action=="trigger" and .payload.custom_details.event=="transition")' | head -n1)
check "the task's failure triggers its own incident" test -n "$T"
check "the two incidents have different dedup keys" \
    test "$(jq -r .dedup_key <<<"$H")" != "$(jq -r .dedup_key <<<"$T")"
check "its details name the notifier and carry the hook's output" \
    test "$(jq -r '[.payload.custom_details.hook.notifier, (.payload.custom_details.hook.stderr_tail | test("cannot reach"))] | join(" ")' <<<"$H")" = "fix true"
check "its summary says the hook failed" grep -q "hook fix: " <<<"$(jq -r .payload.summary <<<"$H")"
check "its class is the event, the task's is its type" \
    test "$(jq -r .payload.class <<<"$H") $(jq -r .payload.class <<<"$T")" = "hook_failed RestartInstance"
stop_daemon
check "daemon exits 0" test "$DAEMON_RC" = 0
finish
