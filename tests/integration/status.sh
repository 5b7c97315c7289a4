#!/usr/bin/env bash
# The status endpoint (daemon.listen) of a daemon polling taskwatch-sim:
# /healthz 200 "ok" and 503 with the reason, /metrics valid for
# `promtool check metrics` with every family of product.md, the JSON of
# /api/v1/watches and /api/v1/tasks (filters, 400, 404), taskwatchctl's
# tables and --json, and a reload that moves or closes the listener.
. "$(dirname "$0")/lib.sh"
CTL=$TOP/bin/taskwatchctl

start_sim
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT
write_config() {
	cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: "$1"
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
    interval: 300ms
    timeout: 2s
    fail_after: 1
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
YAML
}
write_config "127.0.0.1:$HPORT"
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"EnlargeMongoDBVolume","instance_id":"inst-b","instance_name":"dds-b","status":"Failed","fail_reason":"disk full"}')

start_daemon "$TMP/taskwatchd.yaml"
get() { curl -s -m 5 "$HTTP$1"; }
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
polled() { test "$(get /api/v1/watches | jq '.[0].polls_ok' 2>/dev/null)" -ge 2 2>/dev/null; }
wait_for 10 polled
check "daemon polls and serves /api/v1/watches" polled

check "/healthz 200 ok" test "$(code "$HTTP/healthz") $(get /healthz)" = "200 ok"

# /metrics: valid text format, every family, live figures.
get /metrics >"$TMP/metrics.txt"
if command -v promtool >/dev/null; then
	check "promtool check metrics accepts /metrics" \
	    sh -c "promtool check metrics <'$TMP/metrics.txt' >'$TMP/promtool.out' 2>&1"
	[ -s "$TMP/promtool.out" ] && sed 's/^/# promtool: /' "$TMP/promtool.out"
else
	notok "promtool is installed (make deps installs prometheus)"
fi
for fam in taskwatch_polls_total taskwatch_poll_duration_seconds \
    taskwatch_tasks taskwatch_events_total taskwatch_notifications_total \
    taskwatch_outbox_pending taskwatch_watch_up \
    taskwatch_last_success_timestamp_seconds taskwatch_build_info; do
	check "/metrics has $fam" grep -q "^# TYPE $fam " "$TMP/metrics.txt"
done
m() { get /metrics | sed -n "s/^$1 //p"; }
check "polls_total{result=ok} counts" test "$(m 'taskwatch_polls_total{watch="dds-test",result="ok"}')" -ge 2
check "tasks gauge per state" test "$(m 'taskwatch_tasks{watch="dds-test",state="RUNNING"}') $(m 'taskwatch_tasks{watch="dds-test",state="FAILED"}')" = "1 1"
check "histogram buckets, sum, count" test -n "$(m 'taskwatch_poll_duration_seconds_bucket{watch="dds-test",le="+Inf"}')" -a \
    -n "$(m 'taskwatch_poll_duration_seconds_count{watch="dds-test"}')"
check "watch_up 1" test "$(m 'taskwatch_watch_up{watch="dds-test"}')" = 1
check "last success is recent" test $(( $(date +%s) - $(m 'taskwatch_last_success_timestamp_seconds{watch="dds-test"}') )) -le 5
check "build_info" test "$(m "taskwatch_build_info{version=\"$("$TOP/bin/taskwatchd" --version | cut -d' ' -f2)\"}")" = 1
check "Content-Type of /metrics" sh -c "curl -sS -m 5 -D - -o /dev/null '$HTTP/metrics' | grep -qi '^Content-Type: text/plain; version=0.0.4'"

# An event: counted, delivered, counted again.
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"boom"}' >/dev/null
delivered() { test "$(m 'taskwatch_notifications_total{notifier="hook",result="delivered"}')" = 1; }
wait_for 5 delivered
check "events_total{event=transition}" test "$(m 'taskwatch_events_total{watch="dds-test",event="transition"}')" = 1
check "notifications_total{result=delivered}" delivered
check "outbox_pending 0" test "$(m 'taskwatch_outbox_pending{notifier="hook"}')" = 0

# /api/v1/watches
w=$(get /api/v1/watches)
check "watches: name, api, account, interval" test "$(jq -r '.[0] | [.name, .api, .account, .interval] | join(" ")' <<<"$w")" = "dds-test dds.jobs sim 300ms"
check "watches: up, not failed, 2 tasks, no error" test "$(jq -c '.[0] | [.up, .failed, .tasks, .last_error, .consecutive_failures]' <<<"$w")" = '[true,false,2,null,0]'
check "watches: last_success is RFC 3339" grep -qE '"last_success":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' <<<"$w"

# /api/v1/tasks
check "tasks: both, with the task document" test "$(get /api/v1/tasks | jq -r '[.[] | .watch + ":" + .task.state] | sort | join(" ")')" = "dds-test:FAILED dds-test:FAILED"
check "tasks?state=FAILED&watch=dds-test" test "$(get '/api/v1/tasks?state=FAILED&watch=dds-test' | jq length)" = 2
check "tasks?state=running (none now)" test "$(get '/api/v1/tasks?state=running' | jq length)" = 0
check "tasks: reason and region carried" test "$(get /api/v1/tasks | jq -r ".[] | select(.task.id==\"$B\") | .region + \" \" + .task.reason")" = "sim-1 disk full"
check "tasks?watch=nope is 404" test "$(code "$HTTP/api/v1/tasks?watch=nope")" = 404
check "tasks?state=bogus is 400" test "$(code "$HTTP/api/v1/tasks?state=bogus")" = 400
check "unknown path is 404" test "$(code "$HTTP/nope")" = 404
check "HEAD /healthz is 200" test "$(code -I "$HTTP/healthz")" = 200
check "POST is refused" test "$(code -X POST -d x "$HTTP/metrics")" -ge 400

# taskwatchctl
out=$("$CTL" status -s "127.0.0.1:$HPORT"); rc=$?
check "taskwatchctl status: healthy, exit 0" test $rc -eq 0 -a -n "$(grep 'healthy$' <<<"$out")"
check "taskwatchctl status: counts" grep -q '^tasks: 2 (FAILED 2)$' <<<"$out"
out=$("$CTL" watches -s "127.0.0.1:$HPORT")
check "taskwatchctl watches: table" test "$(awk 'NR==2 { print $1, $2, $3, $4, $5, $6 }' <<<"$out")" = "dds-test dds.jobs sim 300ms up 2"
check "taskwatchctl watches: last success as an age" grep -qE ' ([0-9]+ s ago|now) ' <<<"$out"
check "taskwatchctl watches: next poll" grep -qE 'NEXT POLL' <<<"$out"
next_poll_shown() { "$CTL" watches -s "127.0.0.1:$HPORT" | grep -qE ' (in [0-9]+ s|now) '; }
wait_for 5 next_poll_shown
check "taskwatchctl watches: next poll as \"in N s\"" next_poll_shown
check "/api/v1/watches: next_poll is a time" grep -q '^20' <<<"$(get /api/v1/watches | jq -r '.[0].next_poll // "polling"' | sed 's/^polling$/20/')"
out=$("$CTL" tasks --state FAILED -s "127.0.0.1:$HPORT")
check "taskwatchctl tasks --state FAILED: header + 2 rows" test "$(wc -l <<<"$out")" -eq 3
check "taskwatchctl tasks: reason column" grep -q 'disk full$' <<<"$out"
check "taskwatchctl tasks: started as an age" grep -qE ' (ago|now) ' <<<"$out"
check "taskwatchctl tasks --json is the endpoint's JSON" test "$("$CTL" tasks --json --watch dds-test -s "127.0.0.1:$HPORT" | jq -c .)" = "$(get '/api/v1/tasks?watch=dds-test' | jq -c .)"
check "taskwatchctl watches --json" test "$("$CTL" watches --json -s "127.0.0.1:$HPORT" | jq -r '.[0].name')" = dds-test
check "taskwatchctl status --json" test "$("$CTL" status --json -s "127.0.0.1:$HPORT" | jq -c '[.healthy, .watches, .tasks]')" = "[true,1,2]"
check "taskwatchctl finds the address in the config (-f)" test "$("$CTL" watches --json -f "$TMP/taskwatchd.yaml" | jq length)" = 1
"$CTL" tasks --watch nope -s "127.0.0.1:$HPORT" >/dev/null 2>"$TMP/ctl.err"; rc=$?
check "taskwatchctl tasks --watch nope: exit 1 with the reason" test $rc -eq 1 -a -n "$(grep 'no watch named nope' "$TMP/ctl.err")"

# A failing watch: 503 with the reason, watch_up 0, the error class counted.
sim POST /_sim/faults '{"endpoint":"dds.jobs","mode":"status","status":500}' >/dev/null
unhealthy() { test "$(code "$HTTP/healthz")" = 503; }
wait_for 5 unhealthy
check "/healthz 503 when a watch failed" unhealthy
check "/healthz says which watch and why" grep -q '^watch dds-test failed: http: ' <<<"$(get /healthz)"
check "watch_up 0" test "$(m 'taskwatch_watch_up{watch="dds-test"}')" = 0
check "polls_total{result=http}" test "$(m 'taskwatch_polls_total{watch="dds-test",result="http"}')" -ge 1
"$CTL" status -s "127.0.0.1:$HPORT" >"$TMP/ctl.out"; rc=$?
check "taskwatchctl status: UNHEALTHY, exit 1" test $rc -eq 1 -a -n "$(grep UNHEALTHY "$TMP/ctl.out")"
sim DELETE /_sim/faults >/dev/null
healthy() { test "$(code "$HTTP/healthz")" = 200; }
wait_for 5 healthy
check "/healthz 200 again after recovery" healthy

# Reload: a new address moves the listener; "" closes it.
HPORT2=$("$TOP/tests/bin/twtool" free-port)
write_config "127.0.0.1:$HPORT2"
kill -HUP "$DAEMON_PID"
moved() { test "$(code "http://127.0.0.1:$HPORT2/healthz")" = 200; }
wait_for 5 moved
check "reload moves the listener to the new address" moved
check "the old address is closed" test "$(code "$HTTP/healthz")" = 000
write_config ""
kill -HUP "$DAEMON_PID"
closed() { test "$(code "http://127.0.0.1:$HPORT2/healthz")" = 000; }
wait_for 5 closed
check "listen \"\" closes the endpoint" closed
"$CTL" status -f "$TMP/taskwatchd.yaml" >/dev/null 2>"$TMP/ctl.err"; rc=$?
check "taskwatchctl says the endpoint is disabled" test $rc -eq 1 -a -n "$(grep disabled "$TMP/ctl.err")"
"$CTL" status -s "127.0.0.1:$HPORT2" >/dev/null 2>"$TMP/ctl.err"; rc=$?
check "taskwatchctl status with nothing listening: exit 69" test $rc -eq 69
check "and asks whether taskwatchd runs" grep -q "^taskwatchctl: is taskwatchd running? (tried 127.0.0.1:$HPORT2; use -s or -f)$" "$TMP/ctl.err"
# A bad edit of the config must not keep taskwatchctl from the daemon,
# which still runs on the old config.
write_config "127.0.0.1:$HPORT2"
kill -HUP "$DAEMON_PID"
wait_for 5 moved
printf 'bogus_section: 1\n' >>"$TMP/taskwatchd.yaml"
out=$("$CTL" status -f "$TMP/taskwatchd.yaml" 2>"$TMP/ctl.err"); rc=$?
check "taskwatchctl status -f on an invalid config: exit 0" test $rc -eq 0
check "with a warning naming the problem" grep -q 'warning: .*bogus_section' "$TMP/ctl.err"
check "and the address read from it anyway" grep -q "127.0.0.1:$HPORT2" <<<"$out"

stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0

# A taken port fails the start with one clear line.
"$TOP/bin/taskwatch-sim" --port 0 --port-file "$TMP/sim2.port" --exit-after 30s >/dev/null 2>&1 &
SIM2=$!
wait_for 5 test -s "$TMP/sim2.port"
write_config "127.0.0.1:$(cat "$TMP/sim2.port")"
timeout 10 "$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd.yaml" >/dev/null 2>"$TMP/taken.err"; rc=$?
kill -TERM "$SIM2"; wait "$SIM2" 2>/dev/null
check "a taken listen port: exit 1 (got $rc)" test $rc -eq 1
check "with one line saying so" grep -q "^taskwatchd: cannot listen on 127.0.0.1:[0-9]*: Address already in use$" "$TMP/taken.err"
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 40 "$TMP/daemon.log"
fi
finish
