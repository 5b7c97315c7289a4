#!/usr/bin/env bash
# End to end for the alertmanager notifier against the real Alertmanager
# (Debian's prometheus-alertmanager), started here on 127.0.0.1 with a
# temporary storage path and no clustering.  Two taskwatchd instances
# (two state directories) poll taskwatch-sim and post to it: a DDS job
# RUNNING -> FAILED becomes ONE alert with the right labels; after an
# Alertmanager restart the repeat brings it back; a later job of the same
# type on the same cluster that succeeds resolves it.
# Then, with instance 1 alone: a job that appears already FAILED, ended
# days ago, is an ACTIVE alert; it survives restarts of taskwatchd (SIGTERM,
# then SIGKILL) together with restarts of Alertmanager (which keeps
# nothing): the restarted daemon posts it again from its state_dir; and a
# later success of its type on its cluster still resolves it.
. "$(dirname "$0")/lib.sh"

AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
TWTOOL=$TOP/tests/bin/twtool
AM_PID=
D2_PID=
if [ ! -x "$AM_BIN" ]; then
	echo "ok - alertmanager # SKIP $AM_BIN not installed (make deps)"
	exit 0
fi
trap '[ -n "$D2_PID" ] && kill -KILL "$D2_PID" 2>/dev/null
      [ -n "$AM_PID" ] && kill -TERM "$AM_PID" 2>/dev/null; cleanup' EXIT

cat >"$TMP/am.yml" <<'YAML'
route:
  receiver: "null"
receivers:
  - name: "null"
YAML

# start_am: Alertmanager on a free port with empty storage; sets AM, AM_PID.
start_am() {
	local try port
	rm -rf "$TMP/am-data"
	for try in 1 2 3 4 5; do
		if [ -x "$TWTOOL" ]; then port=$("$TWTOOL" free-port)
		else port=$((20000 + RANDOM % 20000)); fi
		[ -n "${AM_PORT:-}" ] && port=$AM_PORT
		"$AM_BIN" --config.file="$TMP/am.yml" \
		    --storage.path="$TMP/am-data" \
		    --web.listen-address="127.0.0.1:$port" \
		    --cluster.listen-address= --log.level=warn \
		    >>"$TMP/am.log" 2>&1 &
		AM_PID=$!
		AM=http://127.0.0.1:$port
		if wait_for 10 curl -sf -o /dev/null "$AM/-/ready"; then
			AM_PORT=$port
			return 0
		fi
		kill -TERM "$AM_PID" 2>/dev/null; wait "$AM_PID" 2>/dev/null
		AM_PID=
	done
	echo "alertmanager did not start"; cat "$TMP/am.log"; exit 1
}

# stop_am: SIGTERM and wait.
stop_am() {
	kill -TERM "$AM_PID" 2>/dev/null
	wait "$AM_PID" 2>/dev/null
	AM_PID=
}

# alerts FILTER: the active alerts of Alertmanager matching a jq select().
alerts() { curl -sf -m 5 "$AM/api/v2/alerts" | jq -c ".[] | select($1)"; }
nalerts() { alerts "$1" | wc -l; }
# active ID: Alertmanager holds an active alert for the task ID.
active() {
	test "$(curl -sf -m 5 "$AM/api/v2/alerts?active=true&silenced=false&inhibited=false" |
	    jq "[.[] | select(.labels.task_id==\"$1\" and .status.state==\"active\")] | length")" -ge 1
}
# inactive ID: ... and none, active or not.
inactive() { test "$(nalerts ".labels.task_id==\"$1\"")" -eq 0; }

start_am
start_sim
write_config() {
	cat >"$TMP/taskwatchd-$1.yaml" <<YAML
daemon:
  state_dir: $TMP/state-$1
  listen: ""
  shutdown_timeout: 5s
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
    interval: 500ms
    timeout: 2s
    lookback: 7d
notifiers:
  - name: am
    type: alertmanager
    urls: [$AM]
    resolve_after: 1h
    repeat: 1s
    labels: { team: dba }
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
YAML
}
write_config 1
write_config 2

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
check "simulator created the job" test -n "$A"

start_daemon "$TMP/taskwatchd-1.yaml"
"$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd-2.yaml" >"$TMP/daemon2.out" \
    2>"$TMP/daemon2.log" &
D2_PID=$!
wait_for 10 test "$(sim_count dds.jobs)" -ge 4

# RUNNING -> FAILED: the alert is visible with the right labels.
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"Replica set member unreachable"}' >/dev/null
have_a() { test "$(nalerts ".labels.task_id==\"$A\"")" -ge 1; }
wait_for 10 have_a
check "failed job is an alert in Alertmanager" have_a
al=$(alerts ".labels.task_id==\"$A\"" | head -n1)
check "labels" test "$(jq -r '.labels | [.alertname, .watch, .api, .account, .cluster, .task_id, .task_type, .state, .severity, .team] | join(" ")' <<<"$al")" = "CloudTaskFailed dds-test dds.jobs sim dds-a $A RestartInstance FAILED critical dba"
check "no instance-specific label" test "$(jq -r '.labels | keys | join(",")' <<<"$al")" = "account,alertname,api,cluster,cluster_id,severity,state,task_id,task_type,team,watch"
check "annotations: reason, raw_status, summary" test "$(jq -r '.annotations | .reason + "|" + .raw_status + "|" + (.summary | test("RUNNING -> FAILED") | tostring)' <<<"$al")" = "Replica set member unreachable|Failed|true"
check "alert is active" test "$(jq -r .status.state <<<"$al")" = active
ends=$(date -d "$(jq -r .endsAt <<<"$al")" +%s)
check "endsAt is about now + resolve_after (1h)" test $((ends - $(date +%s))) -gt 3000

# Both instances posted it; Alertmanager holds one alert.
posted() { grep -q "notifier am: event .*: posting" "$TMP/$1"; }
wait_for 10 posted daemon.log
wait_for 10 posted daemon2.log
check "instance 1 posted the alert" posted daemon.log
check "instance 2 posted the alert" posted daemon2.log
check "two instances, one alert" test "$(nalerts ".labels.task_id==\"$A\"")" -eq 1

# Alertmanager restarts with empty storage: the repeat posts it again.
stop_am
AM_PORT=${AM#http://127.0.0.1:} start_am
wait_for 10 have_a
check "alert re-posted after an Alertmanager restart" have_a
check "still one alert" test "$(nalerts ".labels.task_id==\"$A\"")" -eq 1

# A later job of the same type on the same cluster succeeds: resolved.
B=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
sleep $(( SLOW * 1 ))
sim PATCH "/_sim/tasks/$B" '{"status":"Completed"}' >/dev/null
gone_a() { test "$(nalerts ".labels.task_id==\"$A\"")" -eq 0; }
wait_for 15 gone_a
check "a later success of the same type resolves the alert" gone_a
# It stays resolved while both instances keep re-posting.
sleep $(( SLOW * 3 ))
check "still resolved after several repeats" gone_a
check "no alert for the successful job" test "$(nalerts ".labels.task_id==\"$B\"")" -eq 0

stop_daemon
check "instance 1: SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
kill -TERM "$D2_PID"; wait "$D2_PID"; rc=$?; D2_PID=
check "instance 2: SIGTERM exits 0 (got $rc)" test "$rc" -eq 0

# A job the daemon first sees already FAILED, that started three days and
# ended two days ago (missed while it was down): startsAt is days ago,
# but endsAt is the post's time + resolve_after, so the alert is active.
start_daemon "$TMP/taskwatchd-1.yaml"
polls=$(sim_count dds.jobs)
wait_for 10 test "$(sim_count dds.jobs)" -ge $((polls + 2))
created=$(date -u -d '3 days ago' +%Y-%m-%dT%H:%M:%SZ)
ended=$(date -u -d '2 days ago' +%Y-%m-%dT%H:%M:%SZ)
C=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-c","instance_name":"dds-c","status":"Failed","fail_reason":"disk full","progress":40,"created":"'"$created"'","ended":"'"$ended"'"}')
wait_for 10 active "$C"
check "an old failure is an active alert" active "$C"
al=$(alerts ".labels.task_id==\"$C\"" | head -n1)
check "its startsAt is when it began, days ago" test $(( $(date +%s) - $(date -d "$(jq -r .startsAt <<<"$al")" +%s) )) -gt 86400
check "its endsAt is in the future" test "$(date -d "$(jq -r .endsAt <<<"$al")" +%s)" -gt "$(date +%s)"
check "the alert is kept in state_dir" test "$(jq --arg c "$C" '[.alerts[] | select(.labels.task_id==$c and .resolved==false)] | length' "$TMP/state-1/alerts-am.json" 2>/dev/null)" = 1

# restart_both SIGNAL: stop taskwatchd with SIGNAL and Alertmanager (which
# forgets every alert), start both again.
restart_both() {
	if [ "$1" = KILL ]; then
		kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	else
		stop_daemon
	fi
	stop_am
	AM_PORT=${AM#http://127.0.0.1:} start_am
	check "Alertmanager restarted empty" inactive "$C"
	start_daemon "$TMP/taskwatchd-1.yaml"
}
restart_both TERM
wait_for 10 active "$C"
check "after SIGTERM of taskwatchd and an Alertmanager restart: active again" active "$C"
check "restored from state_dir, logged" grep -q "notifier am: [0-9]* alerts\? restored from" "$TMP/daemon.log"

# SIGKILL at once after a new failure was posted: the change is durable
# before its delivery counts, or its event is replayed.
E=$(mk '{"service":"dds","name":"Backup","instance_id":"inst-c","instance_name":"dds-c","status":"Failed","fail_reason":"no space","progress":10,"created":"'"$created"'","ended":"'"$ended"'"}')
wait_for 10 active "$E"
restart_both KILL
wait_for 10 active "$C"
check "after SIGKILL of taskwatchd and an Alertmanager restart: active again" active "$C"
wait_for 10 active "$E"
check "a failure posted just before the SIGKILL: active again" active "$E"

# The same type succeeds later on the same cluster: resolved, though the
# daemon that opened the alert is gone.
D=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-c","instance_name":"dds-c","status":"Running","progress":10}')
sleep $(( SLOW * 1 ))
sim PATCH "/_sim/tasks/$D" '{"status":"Completed"}' >/dev/null
wait_for 15 inactive "$C"
check "a later success resolves the restored alert" inactive "$C"
check "the other type's alert stays active" active "$E"
stop_daemon
check "instance 1: SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
check "resolved in state_dir" test "$(jq --arg c "$C" '[.alerts[] | select(.labels.task_id==$c and .resolved==true)] | length' "$TMP/state-1/alerts-am.json")" = 1
stop_am
if [ "$FAILS" -ne 0 ]; then
	echo "--- alertmanager log"; tail -n 20 "$TMP/am.log"
	echo "--- daemon log"; grep -v 'http: ' "$TMP/daemon.log" | tail -n 40
fi
finish
