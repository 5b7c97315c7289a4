#!/usr/bin/env bash
# All five task APIs end to end through taskwatch-sim.  A lifecycle per API
# gives exactly the expected events (kinds, states, severities, progress,
# reasons) and nothing else; quiet DDS and GaussDB lists that leave out
# their empty array do not fail; a RUNNING task with stuck progress fires
# `stalled` once per stall; a throttled account backs off (Retry-After)
# and recovers without `vanished`; a slow endpoint of one watch does not
# disturb the poll rhythm of the others.  The lifecycles run twice: DWS
# sending an action's id unchanged, and DWS generating it anew for every
# answer (taskwatch-sim --fresh-action-ids): the same events either way.
if [ -z "${DWS_IDS:-}" ]; then
	DWS_IDS=stable bash "$0"; rc=$?
	DWS_IDS=fresh bash "$0" || rc=1
	exit $rc
fi
. "$(dirname "$0")/lib.sh"
PFX="$PFX$DWS_IDS ids: "

if [ "$DWS_IDS" = fresh ]; then start_sim --fresh-action-ids; else start_sim; fi
CL=9f76c502-fc9c-4a52-8656-65d0da6e3d57
HPC=ehpc-hz-test01
sim POST /_sim/clusters "{\"kind\":\"dws\",\"id\":\"$CL\",\"name\":\"dws-prod\"}" >/dev/null
sim POST /_sim/clusters "{\"kind\":\"ehpc\",\"id\":\"$HPC\",\"name\":\"hpc\",\"region\":\"cn-hangzhou\"}" >/dev/null
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon: { state_dir: $TMP/state, listen: "", shutdown_timeout: 5s }
accounts:
  - name: hw-a
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dws: $SIM, gaussdb: $SIM }
  - name: hw-b
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dds: $SIM }
  - name: ali
    cloud: alibaba
    region: cn-hangzhou
    endpoints: { ehpc: $SIM }
watches:
  - { name: dws-act, account: hw-a, api: dws.actions, clusters: [$CL], interval: 500ms, timeout: 2s }
  - { name: dws-lc, account: hw-a, api: dws.logical_tasks, clusters: [$CL], interval: 500ms, timeout: 1s }
  - { name: gauss, account: hw-a, api: gaussdb.tasks, interval: 500ms, timeout: 2s, lookback: 1d }
  - { name: hpc, account: ali, api: ehpc.tasks, clusters: [$HPC], interval: 500ms, timeout: 2s }
  - { name: stall, account: hw-b, api: dds.jobs, interval: 300ms, timeout: 2s, lookback: 1d, stall_after: 2s }
notifiers:
  - { name: hook, type: webhook, url: $SIM/_sink/apis, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
YAML
# Quiet at first, DDS and GaussDB leave out their empty lists (the SDK
# marks them optional): an empty listing, not a failed poll.
sim POST /_sim/faults '{"endpoint":"dds.jobs","mode":"omit_empty"}' >/dev/null
sim POST /_sim/faults '{"endpoint":"gaussdb.tasks","mode":"omit_empty"}' >/dev/null
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test "$(sim_count ehpc.ListTasks)" -ge 2
wait_for 10 test "$(sim_count gaussdb.tasks)" -ge 3
wait_for 10 test "$(sim_count dds.jobs)" -ge 3
check "an empty list left out is no failed poll (gaussdb $(sim_count gaussdb.tasks), dds $(sim_count dds.jobs) polls)" \
    eval '! grep -E "watch (gauss|stall): poll failed" "$TMP/daemon.log"'
sim DELETE /_sim/faults >/dev/null
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
ev() { sink_events apis | jq -c "select($1)"; }
has() { test "$(ev "$1" | wc -l)" -ge 1; }
# dws_key SIM-ID BASE: the task key of a DWS action, BASE@submit-time.
dws_key() { sim GET "/_sim/tasks/$1" | jq -r --arg b "$2" '$b + "@" + .created'; }

# dws.actions: a snapshot runs, then the same action id turns into
# SNAPSHOTTING_FAILED; a RESTORING_FAILED action appears already failed.
SID=$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\",\"progress\":20}")
S=$(dws_key "$SID" SNAPSHOTTING)
# dws.logical: an Expand runs (no result yet), then fails with its log.
L=$(mk "{\"service\":\"dws.logical\",\"instance_id\":\"$CL\",\"name\":\"Expand\",\"logical_cluster\":\"lc_sales\"}")
# gaussdb: a backup at 10% that completes; a restore that is deleted.
G=$(mk '{"service":"gaussdb","name":"BackupSnapshotGaussDBV5InInstance","instance_id":"g-1","instance_name":"gauss-1","status":"Running","progress":10}')
GV=$(mk '{"service":"gaussdb","name":"RestoreGaussDBV5InInstance","instance_id":"g-2","instance_name":"gauss-2","status":"Running","progress":5}')
# ehpc: AddComputes at step 3 of 10 that ends PartialFail.
H=$(mk "{\"service\":\"ehpc\",\"instance_id\":\"$HPC\",\"name\":\"AddComputes\",\"status\":\"Processing\",\"total_steps\":10,\"current_step\":3}")
wait_for 10 has ".event==\"appeared\" and .watch==\"hpc\""
wait_for 10 has ".event==\"appeared\" and .watch==\"dws-act\""
wait_for 10 has ".event==\"appeared\" and .watch==\"dws-lc\""
wait_for 10 has ".event==\"appeared\" and .task.id==\"$GV\""
sim PATCH "/_sim/tasks/$SID" '{"name":"SNAPSHOTTING_FAILED","status":"FAILED","failed_step":"BACKUP","fail_reason":"OBS write failed"}' >/dev/null
R=$(dws_key "$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"RESTORING_FAILED\",\"status\":\"FAILED\",\"fail_reason\":\"restore aborted\"}")" RESTORING)
sim PATCH "/_sim/tasks/$L" '{"status":"failed","fail_reason":"list index out of range\nChecking the reentry command"}' >/dev/null
sim PATCH "/_sim/tasks/$G" '{"status":"Completed"}' >/dev/null
sim DELETE "/_sim/tasks/$GV" >/dev/null
sim PATCH "/_sim/tasks/$H" '{"status":"PartialFail","fail_reason":"2 of 10 nodes failed"}' >/dev/null
wait_for 10 has ".event==\"transition\" and .watch==\"dws-act\""
wait_for 10 has ".event==\"appeared\" and .task.id==\"$R\""
wait_for 10 has ".event==\"transition\" and .watch==\"dws-lc\""
wait_for 10 has ".event==\"transition\" and .task.id==\"$G\""
wait_for 10 has ".event==\"vanished\" and .task.id==\"$GV\""
wait_for 10 has ".event==\"transition\" and .watch==\"hpc\""
sleep $((2 * SLOW))

one() {	# one NAME SELECT JQ-EXPR EXPECTED
	local got
	got=$(ev "$2" | jq -r "$3" | tr '\n' '|')
	check "$1 ($got)" test "$got" = "$4|"
}
one "dws.actions appeared RUNNING 20%" ".watch==\"dws-act\" and .task.id==\"$S\" and .event==\"appeared\"" \
    '[.task.type,.task.state,.severity,(.task.progress|tostring)]|join(" ")' "SNAPSHOTTING RUNNING info 20"
one "dws.actions same action RUNNING -> FAILED" ".watch==\"dws-act\" and .task.id==\"$S\" and .event==\"transition\"" \
    '[.task.type,.previous.state,.task.state,.severity]|join(" ")' "SNAPSHOTTING_FAILED RUNNING FAILED critical"
one "dws.actions reason from the nested detail" ".task.id==\"$S\" and .event==\"transition\"" '.task.reason' "failedStep=BACKUP: OBS write failed"
if [ "$DWS_IDS" = fresh ]; then want_id='fresh'; else want_id=$SID; fi
one "dws.actions keyed by its run, the vendor's id in the detail" ".task.id==\"$S\" and .event==\"transition\"" \
    "if .task.detail.id == \"$SID\" then .task.detail.id elif (.task.detail.id|test(\"^[0-9a-f-]{36}\$\")) then \"fresh\" else .task.detail.id end" "$want_id"
one "dws.actions *_FAILED appeared is critical" ".task.id==\"$R\"" '[.event,.task.state,.severity]|join(" ")' "appeared FAILED critical"
one "dws.logical appeared RUNNING" ".watch==\"dws-lc\" and .event==\"appeared\"" '[.task.type,.task.state,.task.raw_status]|join(" ")' "Expand RUNNING "
one "dws.logical RUNNING -> FAILED with its log" ".watch==\"dws-lc\" and .event==\"transition\"" \
    '[.previous.state,.task.state,.task.raw_status,(.task.reason|@json)]|join(" ")' \
    'RUNNING FAILED failed "list index out of range\nChecking the reentry command"'
one "gaussdb appeared 10%" ".task.id==\"$G\" and .event==\"appeared\"" '[.task.state,(.task.progress|tostring)]|join(" ")' "RUNNING 10"
one "gaussdb RUNNING -> SUCCEEDED" ".task.id==\"$G\" and .event==\"transition\"" '[.previous.state,.task.state,.severity,.task.cluster_name]|join(" ")' "RUNNING SUCCEEDED info gauss-1"
one "gaussdb deleted task vanished after the lookup" ".task.id==\"$GV\" and .event==\"vanished\"" '[.task.state,.severity]|join(" ")' "RUNNING warning"
check "gaussdb lookup was asked" test "$(sim_count gaussdb.job)" -ge 1
one "ehpc appeared at step 3/10" ".watch==\"hpc\" and .event==\"appeared\"" '[.task.type,.task.state,(.task.progress|tostring)]|join(" ")' "AddComputes RUNNING 30"
one "ehpc RUNNING -> PARTIAL" ".watch==\"hpc\" and .event==\"transition\"" '[.previous.state,.task.state,.task.raw_status,.severity]|join(" ")' "RUNNING PARTIAL PartialFail warning"
check "nothing else was sent" test "$(sink_events apis | wc -l)" -eq 11
if [ "$DWS_IDS" = fresh ]; then # what follows does not depend on DWS ids
	[ "$FAILS" -eq 0 ] || sink_events apis | jq -c '[.watch,.event,.task.id,.previous.state,.task.state]'
	stop_daemon
	check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
	finish
fi

# stalled: progress stuck for stall_after fires once; again only after it
# moved and stuck again.
T=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"d-1","instance_name":"dds-1","status":"Running","progress":50}')
stalls() { ev ".event==\"stalled\" and .task.id==\"$T\"" | wc -l; }
wait_for 10 test "$(stalls)" -ge 1
sleep $((3 * SLOW))
check "stalled fires once per stall" test "$(stalls)" -eq 1
check "stalled is a warning with the progress" test "$(ev ".event==\"stalled\"" | jq -r '[.severity,(.task.progress|tostring)]|join(" ")')" = "warning 50"
sim PATCH "/_sim/tasks/$T" '{"progress":60}' >/dev/null
wait_for 10 test "$(stalls)" -ge 2
check "stalled again after progress moved and stuck again" test "$(stalls)" -eq 2

# Throttling: one 429 with Retry-After: 3 on a gaussdb page stops every
# watch of that account for about 3 s (x TW_SLOW); other accounts carry
# on; nothing vanishes, nothing fails.
before_vanished=$(ev '.event=="vanished"' | wc -l)
# Retry-After outlasts the 2 s window below, stretched alike under TW_SLOW.
sim POST /_sim/faults "{\"endpoint\":\"gaussdb.tasks\",\"status\":429,\"retry_after\":$((3 * SLOW)),\"count\":1}" >/dev/null
used() { test "$(sim GET /_sim/faults | jq '[.faults[].used] | add // 0')" -ge 1; }
wait_for 10 used
sleep 0.3
a0=$(( $(sim_count gaussdb.tasks) + $(sim_count dws.actions) + $(sim_count dws.logical) ))
h0=$(sim_count ehpc.ListTasks); d0=$(sim_count dds.jobs)
sleep $((2 * SLOW))
a1=$(( $(sim_count gaussdb.tasks) + $(sim_count dws.actions) + $(sim_count dws.logical) ))
h1=$(sim_count ehpc.ListTasks); d1=$(sim_count dds.jobs)
check "throttled account waits (requests $a0 -> $a1)" test "$a1" -le $((a0 + 1))
check "other accounts keep polling (ehpc $h0 -> $h1, dds $d0 -> $d1)" test "$h1" -ge $((h0 + 3)) -a "$d1" -ge $((d0 + 3))
wait_for 10 test $(( $(sim_count gaussdb.tasks) + $(sim_count dws.actions) )) -gt "$a1"
check "throttled account polls again after Retry-After" test $(( $(sim_count gaussdb.tasks) + $(sim_count dws.actions) )) -gt "$a1"
check "no vanished and no watch_failed from throttling" test "$(ev '.event=="vanished"' | wc -l)" -eq "$before_vanished" -a "$(ev '.event=="watch_failed"' | wc -l)" -eq 0

# A slow endpoint (5 s latency, 1 s timeout) for dws-lc: the other
# watches keep their rhythm.
sim POST /_sim/faults '{"endpoint":"dws.logical","mode":"latency","latency_ms":5000}' >/dev/null
sleep 1
h0=$(sim_count ehpc.ListTasks); g0=$(sim_count gaussdb.tasks)
sleep $((4 * SLOW))
h1=$(sim_count ehpc.ListTasks); g1=$(sim_count gaussdb.tasks)
check "ehpc rhythm undisturbed by a slow dws endpoint ($((h1 - h0)) polls in 4 s)" test $((h1 - h0)) -ge 6
check "gaussdb rhythm undisturbed, same account ($((g1 - g0)) polls in 4 s)" test $((g1 - g0)) -ge 6
wait_for 15 has '.event=="watch_failed" and .watch=="dws-lc"'
check "slow endpoint: watch_failed class network" test "$(ev '.event=="watch_failed"' | jq -r '.watch + " " + .error.class')" = "dws-lc network"
sim DELETE /_sim/faults >/dev/null
stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
[ "$FAILS" -eq 0 ] || { echo "--- events"; sink_events apis | jq -c '[.watch,.event,.task.type,.previous.state,.task.state,.task.reason]'; tail -n 30 "$TMP/daemon.log"; }
finish
