#!/usr/bin/env bash
# End to end for the DDS task center: taskwatchd polls taskwatch-sim and
# delivers events to the simulator's webhook sink.  Covers transitions,
# vanished after the single-task lookup, watch_failed / watch_recovered on
# HTTP 500, 429 and malformed JSON, reload with a broken config, SIGTERM.
# Set TW_VALGRIND=1 to run the daemon under valgrind (deadlines stretch).
. "$(dirname "$0")/lib.sh"

start_sim
write_config() {
	cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
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
    interval: $1
    timeout: 2s
    lookback: 1d
    fail_after: 2
    # three fault cycles below, each its own pair: no flap damping
    flap_threshold: 0
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
YAML
}
write_config 500ms

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"EnlargeMongoDBVolume","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":20}')
C=$(mk '{"service":"dds","name":"MongodbSnapshotBackup","instance_id":"inst-c","instance_name":"dds-c","status":"Running","progress":30}')
check "simulator created three jobs" test -n "$A" -a -n "$B" -a -n "$C"

start_daemon "$TMP/taskwatchd.yaml"
# Baseline: two listings served, nothing sent (on_start: baseline).
wait_for 10 test "$(sim_count dds.jobs)" -ge 2
check "baseline poll sends no events" test "$(sink_events hook | wc -l)" -eq 0

# RUNNING -> FAILED: exactly one transition, with reason and progress.
sim PATCH "/_sim/tasks/$A" '{"progress":60}' >/dev/null
sleep $(( SLOW * 1 ))
t0=$(now_ms)
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"Replica set member unreachable"}' >/dev/null
got_failed() { test "$(sink_count hook ".event==\"transition\" and .task.id==\"$A\"")" -ge 1; }
wait_for 5 got_failed
t1=$(now_ms)
check "RUNNING -> FAILED delivered" got_failed
ev=$(sink_events hook | jq -c "select(.event==\"transition\" and .task.id==\"$A\")" | head -n1)
check "transition is RUNNING -> FAILED" test "$(jq -r '.previous.state + ">" + .task.state' <<<"$ev")" = "RUNNING>FAILED"
check "reason carried" test "$(jq -r .task.reason <<<"$ev")" = "Replica set member unreachable"
check "raw status and previous progress carried" test "$(jq -r '.task.raw_status + " " + (.previous.progress|tostring)' <<<"$ev")" = "Failed 60"
check "severity critical, summary" test "$(jq -r '.severity' <<<"$ev")" = critical
hid=$(sim GET /_sink/hook | jq -r "[.[] | select((.body|fromjson).task.id==\"$A\")][0].headers | to_entries[] | select(.key|ascii_downcase==\"webhook-id\") | .value")
check "webhook-id header equals event id" test "$hid" = "$(jq -r .id <<<"$ev")"
check "delivered within interval + 1 s ($((t1 - t0)) ms)" test $((t1 - t0)) -le $(( (1500 + 200) * SLOW ))
sleep $(( SLOW * 2 ))
check "exactly one transition for the failed job" test "$(sink_count hook ".task.id==\"$A\"")" -eq 1

# RUNNING -> SUCCEEDED.
sim PATCH "/_sim/tasks/$B" '{"status":"Completed"}' >/dev/null
got_ok() { test "$(sink_count hook ".event==\"transition\" and .task.id==\"$B\" and .task.state==\"SUCCEEDED\"")" -eq 1; }
wait_for 5 got_ok
check "RUNNING -> SUCCEEDED delivered" got_ok

# Deleted job: vanished, and only after the single-task lookup missed.
lookups_before=$(sim_count dds.job)
sim DELETE "/_sim/tasks/$C" >/dev/null
got_vanished() { test "$(sink_count hook ".event==\"vanished\" and .task.id==\"$C\"")" -eq 1; }
wait_for 5 got_vanished
check "deleted job vanished" got_vanished
check "vanished only after a single-task lookup" test "$(sim_count dds.job)" -gt "$lookups_before"
check "vanished carries the last state" test "$(sink_events hook | jq -r "select(.event==\"vanished\") | .task.state")" = RUNNING

# Faults: 500, 429, malformed JSON -> watch_failed after fail_after polls,
# then watch_recovered; no vanished, no crash.
D=$(mk '{"service":"dds","name":"SwitchPrimary","instance_id":"inst-d","instance_name":"dds-d","status":"Running","progress":5}')
sleep $(( SLOW * 2 ))
for fault in '{"endpoint":"dds.jobs","mode":"status","status":500}' \
    '{"endpoint":"dds.jobs","mode":"status","status":429}' \
    '{"endpoint":"dds.jobs","mode":"malformed"}'; do
	what=$(jq -r '.mode + " " + ((.status // "")|tostring)' <<<"$fault")
	nf=$(sink_count hook '.event=="watch_failed"')
	nr=$(sink_count hook '.event=="watch_recovered"')
	polls=$(sim_count dds.jobs)
	sim POST /_sim/faults "$fault" >/dev/null
	got_wf() { test "$(sink_count hook '.event=="watch_failed"')" -gt "$nf"; }
	wait_for 10 got_wf
	check "$what: watch_failed" got_wf
	check "$what: after fail_after (2) failed polls" test $(( $(sim_count dds.jobs) - polls )) -ge 2
	sim DELETE /_sim/faults >/dev/null
	got_wr() { test "$(sink_count hook '.event=="watch_recovered"')" -gt "$nr"; }
	wait_for 15 got_wr
	check "$what: watch_recovered" got_wr
	check "$what: daemon alive" daemon_alive
done
wf=$(sink_events hook | jq -c 'select(.event=="watch_failed")')
check "watch_failed classes http, throttled, parse" test "$(jq -r .error.class <<<"$wf" | tr '\n' ' ')" = "http throttled parse "
check "no vanished during faults" test "$(sink_count hook '.event=="vanished"')" -eq 1

# Reload with a broken config: the old one keeps running.
cp "$TMP/taskwatchd.yaml" "$TMP/good.yaml"
printf 'watches:\n  - name: [broken\n' >"$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'reload failed' "$TMP/daemon.log"
check "broken reload logged with file:line:col" grep -q "reload failed: $TMP/taskwatchd.yaml:[0-9]*:[0-9]*: " "$TMP/daemon.log"
polls=$(sim_count dds.jobs)
sim PATCH "/_sim/tasks/$D" '{"status":"Failed","fail_reason":"after reload"}' >/dev/null
got_d() { test "$(sink_count hook ".task.id==\"$D\" and .task.state==\"FAILED\"")" -eq 1; }
wait_for 5 got_d
check "old config keeps polling after a broken reload" got_d
cp "$TMP/good.yaml" "$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'reloaded:' "$TMP/daemon.log"
check "valid reload accepted, watch kept" grep -q 'reloaded: 1 watches (1 kept' "$TMP/daemon.log"

# SIGTERM: graceful stop, exit 0.
check "daemon alive before SIGTERM" daemon_alive
stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 60 "$TMP/daemon.log"
fi
finish
