#!/usr/bin/env bash
# PagerDuty Events API v2 (issue 19), against the simulator's endpoint,
# which checks every event as the service documents it.  A job that fails
# opens an incident (trigger, dedup_key from watch, cluster, type, id,
# the event document in custom_details, the link template rendered); a
# later job of the same type on the same instance that succeeds resolves
# it, also across a restart and although the rule routes only failures to
# the notifier (resolutions come resolve-only); watch_failed opens its own
# incident and watch_recovered resolves it; 429 is retried; PagerDuty's
# 400 leaves a dead letter; a link naming an unknown field is an error of
# taskwatchd -n at its line and column.
. "$(dirname "$0")/lib.sh"

start_sim
printf '%s\n' 0123456789abcdef0123456789abcdef >"$TMP/pd.key"
printf '%s\n' too-short-key >"$TMP/bad.key"
chmod 600 "$TMP"/*.key
write_config() {
	{ dds_config "fail_after: 1"; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: pd
    type: pagerduty
    url: $SIM/v2/enqueue
    routing_key_file: $TMP/pd.key
    link: "https://console.example.com/dds/{{ $1 }}?job={{ .task.id }}"
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
  - name: pd-bad
    type: pagerduty
    url: $SIM/v2/enqueue
    routing_key_file: $TMP/bad.key
rules:
  - match: { to: [FAILED] }
    notify: [pd, pd-bad]
  - match: { event: [watch_failed] }
    notify: [pd]
YAML
}
write_config ".task.nope"
"$TOP/bin/taskwatchd" -n -f "$TMP/taskwatchd.yaml" >"$TMP/n.out" 2>&1
check "-n refuses a link with an unknown field" test $? -ne 0
check "-n names it at its line and column" grep -qF "$TMP/taskwatchd.yaml:24:47: notifiers[0].link: unknown field .task.nope" "$TMP/n.out"
write_config ".task.cluster_id"
check "-n accepts the link" sh -c "\"$TOP/bin/taskwatchd\" -n -f \"$TMP/taskwatchd.yaml\" >/dev/null 2>&1"

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
pd() { sim GET /_sink/pagerduty | jq -c '.[] | .body | fromjson'; }
start_daemon "$TMP/taskwatchd.yaml"
polled() { grep -q "watch dds-test: baseline" "$TMP/daemon.log"; }
# Under the load of a full check the first poll can take a while: the
# tasks made below must come after the baseline, or they are part of it.
wait_for 60 polled
check "the baseline is taken before the tasks are made" polled
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
sleep 0.6
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"node down"}' >/dev/null
triggered() { test "$(pd | jq -c 'select(.event_action=="trigger")' | wc -l)" -ge 1; }
wait_for 10 triggered
check "a failed job triggers" triggered
T=$(pd | jq -c 'select(.event_action=="trigger")' | head -1)
KEY=$(echo "$T" | jq -r .dedup_key)
check "dedup_key derived from the task" sh -c "echo '$KEY' | grep -qE '^taskwatch-[0-9a-f]{32}$'"
check "payload: summary, source, severity" test "$(echo "$T" | jq -c '[.payload.source, .payload.severity, .payload.class, (.payload.summary | test("RestartInstance"))]')" = '["dds-a","critical","RestartInstance",true]'
check "custom_details is the event document" test "$(echo "$T" | jq -r '.payload.custom_details.task.id')" = "$A"
check "the link is rendered and encoded" test "$(echo "$T" | jq -r '.links[0].href')" = "https://console.example.com/dds/inst-a?job=$A"
dead() { ls "$TMP/state/dead/pd-bad/" 2>/dev/null | grep -q .; }
wait_for 10 dead
check "PagerDuty's 400 leaves a dead letter" dead
check "the invalid event reached the endpoint" test "$(sim GET /_sink/pagerduty-invalid | jq length)" -ge 1

# A restart keeps the open incident; the next success resolves it.
stop_daemon
check "the open incident is kept" grep -q "$KEY" "$TMP/state/pagerduty-pd.json"
start_daemon "$TMP/taskwatchd.yaml"
B=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
sleep 0.6
sim PATCH "/_sim/tasks/$B" '{"status":"Completed","progress":100}' >/dev/null
resolved() { pd | jq -e --arg k "$KEY" 'select(.event_action=="resolve" and .dedup_key==$k)' >/dev/null; }
wait_for 10 resolved
check "a later success of the type on the instance resolves it" resolved
check "the success itself triggers nothing" test "$(pd | jq -c 'select(.event_action=="trigger")' | wc -l)" = 1

# watch_failed, through a 429 that is retried, then watch_recovered.
sim POST /_sim/faults '{"endpoint":"pagerduty","mode":"status","status":429,"count":2}' >/dev/null
sim POST /_sim/faults '{"endpoint":"dds.jobs","mode":"status","status":500}' >/dev/null
wtrig() { pd | jq -e 'select(.event_action=="trigger" and .payload.class=="watch_failed")' >/dev/null; }
wait_for 15 wtrig
check "watch_failed triggers, after two 429s" wtrig
WKEY=$(pd | jq -r 'select(.payload.class=="watch_failed") | .dedup_key' | head -1)
sim DELETE /_sim/faults >/dev/null
wres() { pd | jq -e --arg k "$WKEY" 'select(.event_action=="resolve" and .dedup_key==$k)' >/dev/null; }
wait_for 15 wres
check "watch_recovered resolves it" wres
pairs=$(pd | jq -s '[.[] | select(.event_action=="trigger") | .dedup_key] as $t | [.[] | select(.event_action=="resolve") | .dedup_key] as $r | [$t[] | select(. as $k | $r | index($k))] | length')
check "trigger/resolve pairs matched: $pairs" test "$pairs" = 2
stop_daemon
check "daemon exits 0" test "$DAEMON_RC" = 0
finish
