#!/usr/bin/env bash
# A baseline is silent, so it must be durable before it counts, and kept:
# - a daemon killed right after its first poll has saved that baseline
#   (the watch does not poll again before), so the next start reports what
#   failed meanwhile instead of taking a new, silent baseline;
# - a reload that adds a cluster keeps the tasks of the clusters that stay
#   (their changes are reported) and baselines only the new cluster;
# - a reload that removes a cluster forgets its tasks without a vanished;
# - a restart with a cluster added does the same from the saved table.
. "$(dirname "$0")/lib.sh"

start_sim
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
logcount() { grep -c -- "$1" "$TMP/daemon.log"; }

# --- 1. Killed right after the first poll.
cat >"$TMP/dds.yaml" <<YAML
daemon: { state_dir: $TMP/dds-state, listen: "", shutdown_timeout: 3s }
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dds: $SIM }
watches:
  - { name: dds, account: sim, api: dds.jobs, interval: 300ms, timeout: 2s, lookback: 1d }
notifiers:
  - { name: hook, type: webhook, url: $SIM/_sink/dds, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
YAML
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"SwitchPrimary","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":20}')
start_daemon "$TMP/dds.yaml"
# The second listing request means the first poll's baseline is saved (a
# daemon that polls on without saving it is killed long before its
# periodic save).
polled_twice() { test "$(sim_count dds.jobs)" -ge 2; }
wait_for $((10 * SLOW)) polled_twice
{ kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID"; } 2>/dev/null
DAEMON_PID=
check "killed after its first poll: the baseline is on disk" \
    test "$(tail -n +2 "$TMP/dds-state/tasks.jsonl" 2>/dev/null | jq -r .task.id | sort | tr '\n' ' ')" = "$(printf '%s\n' "$A" "$B" | sort | tr '\n' ' ')"
check "it logged that the baseline was saved" \
    grep -q 'watch dds: baseline saved' "$TMP/daemon.log"
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"between two runs"}' >/dev/null
start_daemon "$TMP/dds.yaml"
got_a() { test "$(sink_count dds ".task.id==\"$A\" and .event==\"transition\" and .task.state==\"FAILED\"")" -ge 1; }
wait_for $((10 * SLOW)) got_a
check "the failure between the two runs is reported" got_a
check "... marked missed" \
    test "$(sink_events dds | jq -r "select(.task.id==\"$A\") | .missed")" = true
check "the restart took no new baseline" test "$(logcount 'watch dds: baseline of')" -eq 0
stop_daemon

# --- 2. Clusters added and removed by a reload, then by a restart.
H1=ehpc-c1; H2=ehpc-c2; H3=ehpc-c3
for h in $H1 $H2 $H3; do
	sim POST /_sim/clusters "{\"kind\":\"ehpc\",\"id\":\"$h\",\"name\":\"$h\",\"region\":\"cn-hangzhou\"}" >/dev/null
done
hpc() {
	cat >"$TMP/hpc.yaml" <<YAML
daemon: { state_dir: $TMP/hpc-state, listen: "", shutdown_timeout: 3s }
accounts:
  - { name: ali, cloud: alibaba, region: cn-hangzhou, endpoints: { ehpc: $SIM } }
watches:
  - { name: hpc, account: ali, api: ehpc.tasks, clusters: [$1], interval: 300ms, timeout: 2s }
notifiers:
  - { name: hook, type: webhook, url: $SIM/_sink/hpc, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
YAML
}
task() { mk "{\"service\":\"ehpc\",\"instance_id\":\"$1\",\"name\":\"$2\",\"status\":\"$3\",\"total_steps\":10,\"current_step\":2}"; }
T1=$(task $H1 AddComputes Processing)
T1B=$(task $H1 DeleteNodes Processing)
T2=$(task $H2 AddComputes Processing)
T3=$(task $H2 StopCluster Failed)
hpc "$H1"
start_daemon "$TMP/hpc.yaml"
wait_for $((10 * SLOW)) grep -q 'watch hpc: baseline saved' "$TMP/daemon.log"
check "ehpc: the first cluster is baselined" \
    grep -q 'watch hpc: baseline of 2 tasks$' "$TMP/daemon.log"

# T1 fails just before the reload that adds H2.
sim PATCH "/_sim/tasks/$T1" '{"status":"Failed"}' >/dev/null
hpc "$H1, $H2"
kill -HUP "$DAEMON_PID"
wait_for $((5 * SLOW)) grep -q 'watch hpc: baseline of 2 tasks in new scopes' "$TMP/daemon.log"
check "reload: only the new cluster is baselined" \
    grep -q 'watch hpc: baseline of 2 tasks in new scopes' "$TMP/daemon.log"
got() { test "$(sink_count hpc ".task.id==\"$1\" and .event==\"$2\" and .task.state==\"$3\"")" -ge 1; }
wait_for $((5 * SLOW)) got "$T1" transition FAILED
check "reload: the failure in the kept cluster is reported" got "$T1" transition FAILED
sim PATCH "/_sim/tasks/$T2" '{"status":"Failed"}' >/dev/null
wait_for $((5 * SLOW)) got "$T2" transition FAILED
check "reload: the new cluster's tasks are watched" got "$T2" transition FAILED
check "reload: the new cluster's baseline was silent" \
    test "$(sink_count hpc ".task.id==\"$T3\"")" -eq 0

# Removing H1 forgets T1B: no vanished while it still exists.
hpc "$H2"
kill -HUP "$DAEMON_PID"
wait_for $((5 * SLOW)) test "$(logcount 'reloaded:')" -ge 2
sleep $((SLOW * 1))
check "reload: a removed cluster's tasks do not vanish" \
    test "$(sink_count hpc ".task.id==\"$T1B\"")" -eq 0
stop_daemon

# Restart with H3 added and H1 back: both are new scopes; H2 is restored.
T4=$(task $H3 AddComputes Failed)
sim PATCH "/_sim/tasks/$T2" '{"status":"Finished"}' >/dev/null 2>&1
T5=$(task $H2 RollbackCluster Failed)
hpc "$H2, $H3, $H1"
start_daemon "$TMP/hpc.yaml"
wait_for $((10 * SLOW)) got "$T5" appeared FAILED
check "restart: a task that appeared failed in a kept cluster is reported" \
    got "$T5" appeared FAILED
wait_for $((5 * SLOW)) grep -q 'watch hpc: baseline saved' "$TMP/daemon.log"
check "restart: the added clusters are baselined, not the kept one" \
    grep -q 'watch hpc: baseline of 3 tasks in new scopes' "$TMP/daemon.log"
check "restart: the added clusters' tasks are silent" \
    test "$(sink_count hpc ".task.id==\"$T4\" or .task.id==\"$T1B\"")" -eq 0
stop_daemon
finish
