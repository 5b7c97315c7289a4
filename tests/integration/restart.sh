#!/usr/bin/env bash
# Restart with saved state: the task table is saved in state_dir (jq can
# read it) and restored at start, so what happened while taskwatchd was
# stopped is reported once, marked "missed": a job that failed, one that
# appeared already failed, one that vanished.  A restart with nothing new
# reports nothing.  A state_dir that cannot be made stops the start.
. "$(dirname "$0")/lib.sh"

start_sim
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/var/state
  listen: ""
  shutdown_timeout: 3s
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
    lookback: 1d
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
YAML

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"EnlargeMongoDBVolume","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":20}')

start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test "$(sim_count dds.jobs)" -ge 2
sleep $(( SLOW * 2 ))
check "baseline sends nothing" test "$(sink_events hook | wc -l)" -eq 0
stop_daemon
check "SIGTERM exits 0" test "$DAEMON_RC" -eq 0
st="$TMP/var/state"
check "state_dir made with its parents, mode 0750" \
    test "$(stat -c %a "$st")" = 750
check "tasks.jsonl saved, no temporary file left" \
    test -s "$st/tasks.jsonl" -a ! -e "$st/tasks.jsonl.tmp"
check "tasks.jsonl: a header jq reads" \
    test "$(head -n1 "$st/tasks.jsonl" | jq -r '.kind + " " + (.version|tostring) + " " + .watches[0].name')" = "taskwatch-tasks 1 dds-test"
check "tasks.jsonl: one line per task with its record" \
    test "$(tail -n +2 "$st/tasks.jsonl" | jq -r '.task.id' | sort | tr '\n' ' ')" = "$(printf '%s\n' "$A" "$B" | sort | tr '\n' ' ')"
check "outbox/ and dead/ made" test -d "$st/outbox" -a -d "$st/dead"

# While stopped: A fails, C appears already failed, B is deleted.
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"while we were away"}' >/dev/null
C=$(mk '{"service":"dds","name":"MongodbSnapshotBackup","instance_id":"inst-c","instance_name":"dds-c","status":"Failed","fail_reason":"quota"}')
sim DELETE "/_sim/tasks/$B" >/dev/null

start_daemon "$TMP/taskwatchd.yaml"
all_three() { test "$(sink_events hook | wc -l)" -ge 3; }
wait_for 10 all_three
sleep $(( SLOW * 2 ))
check "exactly three events after the restart" test "$(sink_events hook | wc -l)" -eq 3
ev=$(sink_events hook | jq -c "select(.task.id==\"$A\")")
check "A: RUNNING -> FAILED reported once" \
    test "$(jq -r '.event + " " + .previous.state + ">" + .task.state' <<<"$ev")" = "transition RUNNING>FAILED"
check "A: marked missed" test "$(jq -r .missed <<<"$ev")" = true
ev=$(sink_events hook | jq -c "select(.task.id==\"$C\")")
check "C: appeared, marked missed" \
    test "$(jq -r '.event + " " + (.missed|tostring)' <<<"$ev")" = "appeared true"
check "C: the summary says it is already over" \
    grep -q 'appeared (already FAILED)' <<<"$(jq -r .summary <<<"$ev")"
ev=$(sink_events hook | jq -c "select(.task.id==\"$B\")")
check "B: vanished, marked missed" \
    test "$(jq -r '.event + " " + (.missed|tostring)' <<<"$ev")" = "vanished true"
check "the restored watch did not start from a baseline" \
    grep -q 'first poll since the restart, against 2 saved tasks' "$TMP/daemon.log"

# Live changes after that first poll are not missed.
sim PATCH "/_sim/tasks/$C" '{"status":"Completed"}' >/dev/null
got_c() { test "$(sink_count hook ".task.id==\"$C\" and .event==\"transition\"")" -eq 1; }
wait_for 5 got_c
check "a live change after the first poll is not missed" \
    test "$(sink_events hook | jq -r "select(.task.id==\"$C\" and .event==\"transition\") | .missed")" = false
stop_daemon

# Nothing changed while stopped: nothing is reported.
n=$(sink_events hook | wc -l)
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 grep -q 'first poll since the restart' "$TMP/daemon.log"
sleep $(( SLOW * 1 ))
stop_daemon
check "a restart with nothing new sends nothing" test "$(sink_events hook | wc -l)" -eq "$n"

# A corrupt line in the saved table is skipped with file and line.
printf '{"watch":"dds-test","task":{"id":"x","sta\n' >>"$st/tasks.jsonl"
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 grep -q 'first poll since the restart' "$TMP/daemon.log"
stop_daemon
check "corrupt line logged with file:line and skipped" \
    grep -q "$st/tasks.jsonl:[0-9]*: not JSON" "$TMP/daemon.log"
check "the daemon ran on after a corrupt line" test "$DAEMON_RC" -eq 0

# A state_dir that cannot be made: one line, exit 1.
sed "s|state_dir: .*|state_dir: /dev/null/state|" "$TMP/taskwatchd.yaml" >"$TMP/bad.yaml"
out=$("$TOP/bin/taskwatchd" -dv -f "$TMP/bad.yaml" 2>&1)
rc=$?
check "unusable state_dir: exit 1 (got $rc)" test "$rc" -eq 1
check "unusable state_dir: one clear line" \
    test "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a -n "$(grep 'state_dir /dev/null/state' <<<"$out")"
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 40 "$TMP/daemon.log"
	sink_events hook
fi
finish
