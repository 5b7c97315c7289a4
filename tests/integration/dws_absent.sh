#!/usr/bin/env bash
# DWS actions whose "no such action" answer is not the 404 taskwatch reads
# by default (the service's answer is undocumented): the simulator answers
# every action with 400 DWS.0047.  A watch whose absent_status names that
# code reads it as "nothing here" and polls on healthy; a watch with the
# default (404) cannot read any action and fails, naming the answer.
. "$(dirname "$0")/lib.sh"

start_sim
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: ""
  shutdown_timeout: 2s
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dws: $SIM }
watches:
  - { name: told, account: sim, api: dws.actions, clusters: [c1], actions: [SNAPSHOTTING, RESTORING], absent_status: [404, DWS.0047], interval: 200ms, fail_after: 2 }
  - { name: default, account: sim, api: dws.actions, clusters: [c1], actions: [SNAPSHOTTING, RESTORING], interval: 200ms, fail_after: 2 }
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
YAML
sim POST /_sim/faults '{"endpoint":"dws.actions","status":400,"code":"DWS.0047","message":"no action in progress"}' >/dev/null
start_daemon "$TMP/taskwatchd.yaml"
failed() { test "$(sink_count hook '.event=="watch_failed" and .watch=="default"')" -ge 1; }
check "default absent_status: the watch fails, every action unread" wait_for 20 failed
check "default absent_status: the failure names the answer" \
    grep -q 'watch default: poll failed (http): no scope could be read; the last: c1/RESTORING: HTTP 400 DWS.0047: no action in progress' "$TMP/daemon.log"
polled() { test "$(sim_count dws.actions)" -ge 20; }
wait_for 20 polled
check "absent_status [404, DWS.0047]: the told watch never failed" \
    test "$(sink_count hook '.watch=="told"')" -eq 0
check "absent_status [404, DWS.0047]: no poll of it failed" \
    test "$(grep -c 'watch told: poll failed' "$TMP/daemon.log")" -eq 0
# A reload while an action's answer is on its way: the answer is judged
# against the absent_status of the config it was sent under, which the
# reload frees (the sanitizer build of make check reads this).
sim DELETE /_sim/faults >/dev/null
sim POST /_sim/faults '{"endpoint":"dws.actions","mode":"latency","latency_ms":1500}' >/dev/null
sleep 0.5
sed -i 's/absent_status: \[404, DWS.0047\], interval: 200ms/absent_status: [404, DWS.0047, DWS.0048], interval: 300ms/' "$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
check "a reload with answers in flight: reloaded" \
    wait_for 5 grep -q 'reloaded: 2 watches (2 kept' "$TMP/daemon.log"
sleep 2
check "a reload with answers in flight: the answers after it are read" daemon_alive
stop_daemon
check "daemon exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
finish
