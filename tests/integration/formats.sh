#!/usr/bin/env bash
# Webhook formats (issue 19): format slack and teams post their presets
# (checked as JSON with the fields a Slack incoming webhook and a Teams
# workflow take), format template posts the notifier's template with the
# event's fields and the rendered link; a template naming an unknown field
# fails taskwatchd -n and a reload at the template's line and column, and
# the old config keeps running.
. "$(dirname "$0")/lib.sh"

start_sim
cat >"$TMP/body.tmpl" <<'TMPL'
{"text": "{{ .summary }}", "cluster": "{{ .task.cluster_name }}",
 "id": "{{ .task.id }}"{{ if .task.reason }}, "why": "{{ .task.reason }}"{{ end }},
 "console": "{{ .link }}", "task": {{ json .task }}}
TMPL
write_config() {
	{ dds_config; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: slack
    type: webhook
    url: $SIM/_sink/slack
    format: slack
    link: "https://console.example.com/dds/{{ .task.cluster_id }}"
  - name: teams
    type: webhook
    url: $SIM/_sink/teams
    format: teams
  - name: mine
    type: webhook
    url: $SIM/_sink/mine
    format: template
    template: $1
    link: "https://console.example.com/dds/{{ .task.cluster_id }}"
YAML
}
write_config "$TMP/body.tmpl"
check "-n accepts the formats" sh -c "\"$TOP/bin/taskwatchd\" -n -f \"$TMP/taskwatchd.yaml\" >/dev/null 2>&1"
start_daemon "$TMP/taskwatchd.yaml"
polled() { grep -q "watch dds-test: baseline" "$TMP/daemon.log"; }
# Under the load of a full check the first poll can take a while: the
# tasks made below must come after the baseline, or they are part of it.
wait_for 60 polled
check "the baseline is taken before the tasks are made" polled
A=$(sim POST /_sim/tasks '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}' | jq -r .id)
sleep 0.6
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"node <!here> down & out"}' >/dev/null
body() { sim GET "/_sink/$1" | jq -c '.[] | .body | fromjson' | tail -1; }
failed_in() { body "$1" | grep -q 'node'; }
wait_for 10 failed_in mine
S=$(body slack)
check "slack: text and blocks" test "$(echo "$S" | jq -r '[(.text | test("RestartInstance")), (.blocks | length > 3)] | all')" = true
printf '%s\n' "$S" >"$TMP/slack.json"
check "slack: cloud text cannot mention" grep -qF 'node &lt;!here&gt; down &amp; out' "$TMP/slack.json"
check "slack: the console button" test "$(echo "$S" | jq -r '.blocks[] | select(.type=="actions") | .elements[0].url')" = "https://console.example.com/dds/inst-a"
T=$(body teams)
check "teams: an Adaptive Card in the workflow envelope" test "$(echo "$T" | jq -r '[.type, .attachments[0].contentType, .attachments[0].content.type, .attachments[0].content.version] | join(" ")')" = "message application/vnd.microsoft.card.adaptive AdaptiveCard 1.4"
check "teams: the facts" test "$(echo "$T" | jq -c '[.attachments[0].content.body[1].facts[] | .title]')" = '["Severity","Cluster","Watch","State"]'
M=$(body mine)
check "template: fields, if, json and link" test "$(echo "$M" | jq -c '[.cluster, .id == "'"$A"'", .why, .console, .task.state]')" = '["dds-a",true,"node <!here> down & out","https://console.example.com/dds/inst-a","FAILED"]'
check "template: the standard headers too" test "$(sim GET /_sink/mine | jq -r '.[-1].headers["webhook-id"] | length')" = 32

# A template with an unknown field: -n and the reload refuse it.
printf '{"a": "{{ .summary }}",\n "b": "{{ .task.bogus }}"}\n' >"$TMP/bad.tmpl"
write_config "$TMP/bad.tmpl"
"$TOP/bin/taskwatchd" -n -f "$TMP/taskwatchd.yaml" >"$TMP/n.out" 2>&1
check "-n refuses the template" test $? -ne 0
check "-n names the template's line and column" grep -qF "$TMP/bad.tmpl:2:11: unknown field .task.bogus (notifiers[2].template)" "$TMP/n.out"
kill -HUP "$DAEMON_PID"
refused() { grep -qF "reload failed: $TMP/bad.tmpl:2:11: unknown field .task.bogus" "$TMP/daemon.log"; }
wait_for 10 refused
check "the reload is refused with it" refused
check "the daemon runs on" daemon_alive
stop_daemon
check "daemon exits 0" test "$DAEMON_RC" = 0
finish
