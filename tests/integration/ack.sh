#!/usr/bin/env bash
# taskwatchctl ack end to end.  Two failed DDS jobs are alerts that the
# alertmanager notifier re-posts every second (to the simulator's sink,
# which counts the posts, and to the real Alertmanager when installed).
# `taskwatchctl ack A` posts A's alert once more, annotated, and then no
# more while B's is still re-posted; the ack shows in /api/v1/tasks and
# taskwatchctl tasks; an id in two watches needs --watch, an unknown one
# is an error; --remove resumes the repeat.  The ack survives kill -9;
# after the restart A is posted at most once.  A's next state change ends
# it: its event carries the ack, and a new failure is re-posted again.
. "$(dirname "$0")/lib.sh"

AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
TWTOOL=$TOP/tests/bin/twtool
AM_PID=
trap '[ -n "$AM_PID" ] && kill -TERM "$AM_PID" 2>/dev/null; cleanup' EXIT

start_sim
AM_URLS="$SIM/_sink/am"
if [ -x "$AM_BIN" ]; then
	printf 'route: { receiver: "null" }\nreceivers: [ { name: "null" } ]\n' >"$TMP/am.yml"
	AMPORT=$("$TWTOOL" free-port)
	"$AM_BIN" --config.file="$TMP/am.yml" --storage.path="$TMP/am-data" \
	    --web.listen-address="127.0.0.1:$AMPORT" --cluster.listen-address= \
	    --log.level=warn >"$TMP/am.log" 2>&1 &
	AM_PID=$!
	AM=http://127.0.0.1:$AMPORT
	wait_for 10 curl -sf -o /dev/null "$AM/-/ready" || { echo "alertmanager did not start"; exit 1; }
	AM_URLS="$AM_URLS, $AM"
fi
HPORT=$("$TWTOOL" free-port)
SOCK=$TMP/ctl.sock
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: 127.0.0.1:$HPORT
  control_socket: $SOCK
  shutdown_timeout: 5s
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dds: $SIM }
watches:
  - { name: dds-a, account: sim, api: dds.jobs, interval: 300ms, timeout: 2s }
  - { name: dds-b, account: sim, api: dds.jobs, interval: 1h, timeout: 2s }
notifiers:
  - name: am
    type: alertmanager
    urls: [$AM_URLS]
    resolve_after: 1h
    repeat: 1s
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
  - { name: hook, type: webhook, url: $SIM/_sink/events }
YAML
CTL=$TOP/bin/taskwatchctl
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
# posts ID: alerts of watch dds-a for task ID the sink got so far.
posts() {
	sim GET /_sink/am/api/v2/alerts |
	    jq --arg t "$1" '[.[] | .body | fromjson | .[] |
		select(.labels.task_id==$t and .labels.watch=="dds-a")] | length'
}
# acked_posts ID: ... of them with the "acknowledged" annotation.
acked_posts() {
	sim GET /_sink/am/api/v2/alerts |
	    jq --arg t "$1" '[.[] | .body | fromjson | .[] |
		select(.labels.task_id==$t and .labels.watch=="dds-a" and
		    .annotations.acknowledged != null)] | length'
}
# at_least N CMD...: CMD prints a number that is N or more (for wait_for).
at_least() { local n=$1; shift; test "$("$@")" -ge "$n"; }
tasks_line() { "$CTL" tasks --watch dds-a -s "127.0.0.1:$HPORT" | grep -F -- "$1"; }

A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"Backup","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":10}')
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test -S "$SOCK"
wait_for 10 at_least 4 sim_count dds.jobs
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"disk full"}' >/dev/null
sim PATCH "/_sim/tasks/$B" '{"status":"Failed","fail_reason":"no space"}' >/dev/null
wait_for 10 at_least 3 posts "$A"
check "A's alert is re-posted every repeat before the ack" test "$(posts "$A")" -ge 3

out=$("$CTL" ack "$A" -c "$SOCK" 2>"$TMP/ctl.err"); rc=$?
check "ack without --watch, the id in two watches: exit 1 (got $rc)" test $rc -eq 1
check "... naming both watches" grep -q "dds-a.*dds-b\|dds-b.*dds-a" "$TMP/ctl.err"
"$CTL" ack nope --watch dds-a -c "$SOCK" >/dev/null 2>"$TMP/ctl.err"; rc=$?
check "ack of an unknown task: exit 1 (got $rc)" test $rc -eq 1
check "... saying so" grep -q 'no task "nope" in watch dds-a' "$TMP/ctl.err"
out=$("$CTL" ack "$A" --watch dds-a --comment $'on it\x1b[31m' -f "$TMP/taskwatchd.yaml"); rc=$?
check "ack --watch dds-a (socket from -f): exit 0 (got $rc)" test $rc -eq 0
check "... one line, acknowledged, one alert" test "$(jq -c '[.ok, .acknowledged, .alerts, .state]' <<<"$out")" = '[true,true,1,"FAILED"]'
check "... in one line" test "$(wc -l <<<"$out")" -eq 1
check "the ack is logged with the peer's uid, gid and pid" \
    grep -q "watch dds-a: task $A (FAILED) acknowledged by uid $(id -u) gid [0-9]* pid [0-9]*: on it\[31m" "$TMP/daemon.log"
wait_for 5 at_least 1 acked_posts "$A"
check "A is posted once more, annotated acknowledged" test "$(acked_posts "$A")" -eq 1
sleep 0.5
nA=$(posts "$A"); nB=$(posts "$B")
sleep $((SLOW * 4))
check "no re-post of A over 4 repeats ($nA, then $(posts "$A"))" test "$(posts "$A")" -eq "$nA"
check "B is still re-posted ($nB, then $(posts "$B"))" test "$(posts "$B")" -ge $((nB + 3))
if [ -n "$AM_PID" ]; then
	ann=$(curl -sf -m 5 "$AM/api/v2/alerts" | jq -r --arg t "$A" '.[] | select(.labels.task_id==$t and .labels.watch=="dds-a") | .annotations.acknowledged')
	check "Alertmanager shows the acknowledged annotation ($ann)" grep -q "^by uid $(id -u) at .*: on it\[31m$" <<<"$ann"
fi
api=$(curl -sf -m 5 "http://127.0.0.1:$HPORT/api/v1/tasks?watch=dds-a" | jq -c --arg t "$A" '.[] | select(.task.id==$t) | .ack | [.by_uid, .comment, .state]')
check "/api/v1/tasks has the ack ($api)" test "$api" = "[$(id -u),\"on it[31m\",\"FAILED\"]"
check "taskwatchctl tasks marks A acked" grep -q "FAILED (acked)" <<<"$(tasks_line "$A")"
check "... and not B" test -z "$(tasks_line "$B" | grep acked)"

# --remove: the repeat resumes; then acknowledged again.
nA=$(posts "$A")
out=$("$CTL" ack "$A" --watch dds-a --remove -c "$SOCK")
check "ack --remove: no longer acknowledged" test "$(jq -c '[.ok, .acknowledged, .was_acknowledged, .alerts]' <<<"$out")" = '[true,false,true,1]'
wait_for 5 at_least $((nA + 2)) posts "$A"
check "... and A is re-posted again" test "$(posts "$A")" -ge $((nA + 2))
check "... and no longer marked" test -z "$(tasks_line "$A" | grep acked)"
"$CTL" ack "$A" --watch dds-a --comment $'on it\x1b[31m' -c "$SOCK" >/dev/null
check "acknowledged again" grep -q "FAILED (acked)" <<<"$(tasks_line "$A")"

# kill -9 once the table is saved: the ack is restored, A posted at most once.
saved() { grep -q '"ack"' "$TMP/state/tasks.jsonl" 2>/dev/null; }
wait_for 10 saved
check "the ack is in the saved task table" saved
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
nA=$(posts "$A"); nB=$(posts "$B")
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test -S "$SOCK"
wait_for 10 at_least $((nB + 3)) posts "$B"
check "after kill -9, B is re-posted again" test "$(posts "$B")" -ge $((nB + 3))
check "... and A at most once ($nA, then $(posts "$A"))" test "$(posts "$A")" -le $((nA + 1))
check "after kill -9, taskwatchctl tasks still marks A acked" grep -q "FAILED (acked)" <<<"$(tasks_line "$A")"

# A's state changes: the event carries the ack it ended; a new failure
# is a new alert, re-posted again.
sim PATCH "/_sim/tasks/$A" '{"status":"Running"}' >/dev/null
running() { tasks_line "$A" | grep -q "RUNNING "; }
failed() { tasks_line "$A" | grep -q "FAILED "; }
wait_for 10 running
check "A runs again: no longer acked" test -z "$(tasks_line "$A" | grep acked)"
ev_ack() { sink_events events | jq -r --arg t "$A" 'select(.task.id==$t and .task.state=="RUNNING" and .previous.state=="FAILED" and .watch=="dds-a") | .ack.comment'; }
wait_for 5 at_least 1 eval 'ev_ack | wc -l'
check "the FAILED -> RUNNING event carries the ack it ended" test "$(ev_ack | head -n1)" = "on it[31m"
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"disk full again"}' >/dev/null
wait_for 10 failed
nA=$(posts "$A")
wait_for 10 at_least $((nA + 3)) posts "$A"
check "a new failure of A is re-posted again" test "$(posts "$A")" -ge $((nA + 3))
stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
if [ -n "$AM_PID" ]; then kill -TERM "$AM_PID"; wait "$AM_PID" 2>/dev/null; AM_PID=; fi
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; grep -v 'http: ' "$TMP/daemon.log" | tail -n 40
fi
finish
