#!/usr/bin/env bash
# What an operator sees (issue 16, items 7-9): a receiver answering 400
# leaves a dead letter with its status and the first 512 bytes of its
# answer; taskwatch_dead_letters counts it from disk (also after a
# restart), /healthz says "degraded" with 200, taskwatchctl status and
# dead list show it.  A broken config and SIGHUP set
# taskwatch_config_last_reload_successful to 0 and status says FAILED;
# the fixed one sets it back and the log line names what changed.  /livez
# answers while /healthz fails; promtool accepts every new family.
. "$(dirname "$0")/lib.sh"
CTL=$TOP/bin/taskwatchctl

start_sim
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT
write_config() {
	cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: "127.0.0.1:$HPORT"
  control_socket: $TMP/ctl.sock
  shutdown_timeout: 2s
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dds: $SIM }
watches:
  - name: dds-test
    account: sim
    api: dds.jobs
    interval: $1
    timeout: 2s
    fail_after: 1
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
$2
YAML
}
write_config 300ms ""
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')

start_daemon "$TMP/taskwatchd.yaml"
get() { curl -s -m 5 "$HTTP$1"; }
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
m() { get /metrics | sed -n "s/^$1 //p"; }
polled() { test "$(get /api/v1/watches | jq '.[0].polls_ok' 2>/dev/null)" -ge 2 2>/dev/null; }
wait_for 10 polled
check "daemon polls" polled
check "/livez 200 ok" test "$(code "$HTTP/livez") $(get /livez)" = "200 ok"
check "/healthz 200 ok" test "$(code "$HTTP/healthz") $(get /healthz)" = "200 ok"
check "no dead letters yet" test "$(m 'taskwatch_dead_letters{notifier="hook"}')" = 0
check "reload gauge 1 at start" test "$(m taskwatch_config_last_reload_successful)" = 1
START=$(m process_start_time_seconds)
check "process_start_time_seconds is now" test $(( $(date +%s) - ${START:-0} )) -le 30
check "watch_failed 0" test "$(m 'taskwatch_watch_failed{watch="dds-test"}')" = 0
check "oldest pending age 0" test "$(m 'taskwatch_outbox_oldest_pending_age_seconds{notifier="hook"}')" = 0

# The receiver refuses with 400 and a long answer.
LONG=$(printf 'x%.0s' $(seq 1 700))
sim POST /_sim/faults "{\"endpoint\":\"sink\",\"mode\":\"status\",\"status\":400,\"body\":\"{\\\"error\\\":\\\"channel ops archived\\\",\\\"pad\\\":\\\"$LONG\\\"}\"}" >/dev/null
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"boom"}' >/dev/null
deadfile() { ls "$TMP"/state/dead/hook/*.json 2>/dev/null | head -1; }
has_dead() { test -n "$(deadfile)"; }
wait_for 10 has_dead
check "a dead letter is written" has_dead
DL=$(deadfile)
check "dead letter has http_status 400" test "$(jq .http_status "$DL" 2>/dev/null)" = 400
check "dead letter has the answer's start" sh -c "jq -r .response '$DL' | grep -q '^{\"error\":\"channel ops archived\",\"pad\":\"xxx'"
check "the answer is cut at 512 bytes" test "$(jq -j .response "$DL" | wc -c)" = 512
check "no request header in the dead letter" sh -c "! grep -qi 'webhook-signature\|user-agent' '$DL'"
gauge1() { test "$(m 'taskwatch_dead_letters{notifier="hook"}')" = 1; }
check "taskwatch_dead_letters{hook} 1" gauge1
check "/healthz degraded with 200" test "$(code "$HTTP/healthz") $(get /healthz | head -1)" = "200 degraded"
check "/healthz names the dead letters" sh -c "curl -s -m 5 '$HTTP/healthz' | grep -qx 'notifier hook: 1 dead letter'"
"$CTL" status -s "127.0.0.1:$HPORT" >"$TMP/status.txt" 2>&1
check "taskwatchctl status exits 0 when degraded" test $? = 0
check "taskwatchctl status says DEGRADED" grep -q ": DEGRADED$" "$TMP/status.txt"
check "taskwatchctl status counts dead letters" grep -qx "dead letters: 1 (hook 1)" "$TMP/status.txt"
check "taskwatchctl status --json" test "$("$CTL" status --json -s "127.0.0.1:$HPORT" | jq -c '[.health, .dead_letters.hook, .last_reload.ok]')" = '["degraded",1,true]'
"$CTL" dead list -s "127.0.0.1:$HPORT" >"$TMP/dead.txt" 2>&1
check "taskwatchctl dead list shows it" sh -c "grep -q '$(basename "$DL" .json)  *hook .* 400  *HTTP 400 (not retried)' '$TMP/dead.txt'"
check "taskwatchctl dead list --json" test "$("$CTL" dead list --json --notifier hook -s "127.0.0.1:$HPORT" | jq -c '[length, .[0].http_status, .[0].id]')" = "[1,400,\"$(basename "$DL" .json)\"]"
check "dead list of another notifier is empty" test "$(get '/api/v1/dead?notifier=none')" = "[]"
sim DELETE /_sim/faults >/dev/null

# A watch failing too: 503, and /livez still answers.
sim POST /_sim/faults '{"endpoint":"dds.jobs","mode":"status","status":500}' >/dev/null
failed() { test "$(m 'taskwatch_watch_failed{watch="dds-test"}')" = 1; }
wait_for 10 failed
check "taskwatch_watch_failed 1" failed
check "/healthz 503 lists both" sh -c "test \"\$(curl -s -m 5 -o '$TMP/h.txt' -w '%{http_code}' '$HTTP/healthz')\" = 503 && grep -q '^watch dds-test failed' '$TMP/h.txt' && grep -q '^notifier hook: 1 dead letter' '$TMP/h.txt'"
check "/livez 200 while /healthz fails" test "$(code "$HTTP/livez")" = 200
sim DELETE /_sim/faults >/dev/null

# promtool accepts every family.
get /metrics >"$TMP/metrics.txt"
if command -v promtool >/dev/null; then
	check "promtool check metrics" \
	    sh -c "promtool check metrics <'$TMP/metrics.txt' >'$TMP/promtool.out' 2>&1"
	[ -s "$TMP/promtool.out" ] && sed 's/^/# promtool: /' "$TMP/promtool.out"
else
	notok "promtool is installed (make deps installs prometheus)"
fi
for fam in taskwatch_dead_letters taskwatch_outbox_oldest_pending_age_seconds \
    taskwatch_state_write_failures_total taskwatch_config_last_reload_successful \
    taskwatch_config_last_reload_success_timestamp_seconds \
    taskwatch_account_paused taskwatch_iam_token_expiry_timestamp_seconds \
    taskwatch_watch_failed process_start_time_seconds; do
	check "/metrics has $fam" grep -q "^# TYPE $fam " "$TMP/metrics.txt"
done
check "state write failures 0" test "$(m 'taskwatch_state_write_failures_total{file="outbox"}')" = 0

# A broken config: the reload fails, visibly.
OK_AT=$(m taskwatch_config_last_reload_success_timestamp_seconds)
write_config bogus ""
kill -HUP "$DAEMON_PID"
reload0() { test "$(m taskwatch_config_last_reload_successful)" = 0; }
wait_for 10 reload0
check "failed reload: gauge 0" reload0
check "failed reload: success time unchanged" test "$(m taskwatch_config_last_reload_success_timestamp_seconds)" = "$OK_AT"
"$CTL" status -s "127.0.0.1:$HPORT" >"$TMP/status.txt" 2>&1
check "taskwatchctl status: last reload FAILED with the error" grep -q "^last reload: FAILED at .*taskwatchd.yaml:[0-9]*:[0-9]*: .*interval" "$TMP/status.txt"
check "/api/v1/status carries the error" sh -c "curl -s -m 5 '$HTTP/api/v1/status' | jq -e '.last_reload.ok == false and (.last_reload.error | test(\"interval\"))' >/dev/null"

# Fixed, with a rule and a notifier more: back to 1, and a summary.
sleep 1
write_config 300ms "  - name: hook2
    type: webhook
    url: $SIM/_sink/hook2
rules:
  - name: page
    match: { event: [transition] }
    notify: [hook2]"
kill -HUP "$DAEMON_PID"
reload1() { test "$(m taskwatch_config_last_reload_successful)" = 1; }
wait_for 10 reload1
check "fixed reload: gauge 1" reload1
check "fixed reload: success time moved" test "$(m taskwatch_config_last_reload_success_timestamp_seconds)" -gt "$OK_AT"
"$CTL" status -s "127.0.0.1:$HPORT" >"$TMP/status.txt" 2>&1
check "taskwatchctl status: last reload ok" grep -q "^last reload: ok at " "$TMP/status.txt"
check "reload summary names notifiers and rules" grep -q "reloaded: 1 watches (1 kept, 0 new or changed, 0 stopped); 2 notifiers (was 1: 1 added (hook2)); 1 rules (was 0: 1 added (page))" "$TMP/daemon.log"

# A restart: the gauge comes from the disk.
stop_daemon
mv "$TMP/daemon.log" "$TMP/daemon.log.1"
write_config 300ms ""
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 polled
check "after a restart: taskwatch_dead_letters{hook} 1" gauge1
check "after a restart: /healthz degraded" test "$(code "$HTTP/healthz") $(get /healthz | head -1)" = "200 degraded"

# The receiver is fixed: taskwatchctl dead retry sends it again, same id.
DEAD_ID=$(jq -r .event.id "$DL")
"$CTL" dead retry --all --notifier nope -c "$TMP/ctl.sock" >"$TMP/retry.out" 2>&1
check "dead retry of another notifier moves nothing" test "$(jq -r .retried "$TMP/retry.out" 2>/dev/null)" = 0
"$CTL" dead retry bogus-id -c "$TMP/ctl.sock" >"$TMP/retry.out" 2>&1; rc=$?
check "dead retry of an unknown id: exit 1" test $rc -eq 1
"$CTL" dead retry --all -c "$TMP/ctl.sock" >"$TMP/retry.out" 2>&1; rc=$?
check "taskwatchctl dead retry --all: exit 0, 1 retried" test "$rc $(head -n1 "$TMP/retry.out" | jq -r .retried 2>/dev/null)" = "0 1"
redelivered() { test "$(sink_count hook ".id==\"$DEAD_ID\"")" -ge 1; }
wait_for 10 redelivered
check "the dead letter reaches the receiver with its event id" redelivered
check "the retry is logged with the caller" grep -q "dead letters retried by uid [0-9]* pid [0-9]*: 1 (all)" "$TMP/daemon.log"
nodead() { test "$(m 'taskwatch_dead_letters{notifier="hook"}')" = 0; }
wait_for 5 nodead
check "taskwatch_dead_letters back to 0" nodead
check "/healthz ok again" test "$(code "$HTTP/healthz") $(get /healthz)" = "200 ok"

stop_daemon
check "daemon exits 0" test "$DAEMON_RC" = 0
finish
