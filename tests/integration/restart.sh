#!/usr/bin/env bash
# Restart with saved state: the task table is saved in state_dir (jq can
# read it) and restored at start, so what happened while taskwatchd was
# stopped is reported once, marked "missed": a job that failed, one that
# appeared already failed, one that vanished.  A restart with nothing new
# reports nothing.  A DWS task table saved by the version that keyed
# actions by their id is taken over: a snapshot that failed while the
# daemon was being upgraded is one missed RUNNING -> FAILED, nothing
# vanishes or appears.  A state_dir that cannot be made stops the start.
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

# Upgrade: the previous version saved DWS actions keyed by their id.  A
# snapshot and a restore run; the table the new version saves is turned
# into the old one (ids, nothing of the id in the detail); the snapshot
# fails while the daemon is down.
CL=5e7c2a4d-1c7e-4b8e-9d3f-2a6b8c0d1e2f
sim POST /_sim/clusters "{\"kind\":\"dws\",\"id\":\"$CL\",\"name\":\"dws-prod\"}" >/dev/null
cat >"$TMP/dws.yaml" <<YAML
daemon: { state_dir: $TMP/dws-state, listen: "", shutdown_timeout: 3s }
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dws: $SIM }
watches:
  - name: dws-act
    account: sim
    api: dws.actions
    clusters: [$CL]
    actions: [SNAPSHOTTING, SNAPSHOTTING_FAILED, RESTORING]
    interval: 300ms
    timeout: 2s
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/dws
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
YAML
X=$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\",\"progress\":20}")
Y=$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"RESTORING\",\"status\":\"RUNNING\",\"progress\":40}")
XK=$(sim GET "/_sim/tasks/$X" | jq -r '"SNAPSHOTTING@" + .created')
start_daemon "$TMP/dws.yaml"
wait_for 10 test "$(sim_count dws.actions)" -ge 6
sleep $(( SLOW * 1 ))
stop_daemon
dst="$TMP/dws-state/tasks.jsonl"
jq -c --arg x "$X" --arg y "$Y" 'if .task then
    .task.id = (if .task.type == "SNAPSHOTTING" then $x else $y end) |
    .task.detail |= del(.id) else . end' "$dst" >"$dst.old"
mv "$dst.old" "$dst"
check "upgrade: the old table keys DWS actions by id" \
    test "$(tail -n +2 "$dst" | jq -r .task.id | sort | tr '\n' ' ')" = "$(printf '%s\n' "$X" "$Y" | sort | tr '\n' ' ')"
sim PATCH "/_sim/tasks/$X" '{"name":"SNAPSHOTTING_FAILED","status":"FAILED","fail_reason":"OBS write failed"}' >/dev/null
start_daemon "$TMP/dws.yaml"
wait_for 10 test "$(sink_events dws | wc -l)" -ge 1
sleep $(( SLOW * 2 ))
stop_daemon
check "upgrade: one event, nothing vanished or appeared" \
    test "$(sink_events dws | jq -r .event | tr '\n' ' ')" = "transition "
check "upgrade: the failure while down is a missed RUNNING -> FAILED of the run" \
    test "$(sink_events dws | jq -r '[.task.id, .previous.state, .task.state, (.missed|tostring)] | join(" ")')" = "$XK RUNNING FAILED true"
check "upgrade: the table is saved keyed by run" \
    test "$(tail -n +2 "$dst" | jq -r .task.id | grep -c '@')" -eq 2

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
