#!/usr/bin/env bash
# DWS logical-cluster tasks read over several pages from a service without
# a stable default order: the simulator's "unordered" fault serves the rows
# in another order on every response unless the request names one.  The
# listing asks for order_by=startTime&order=DESC, so its pages neither skip
# nor repeat a row, and no task is reported vanished or appeared.
. "$(dirname "$0")/lib.sh"

# 130 tasks in one cluster: three pages of 50.
start_sim --bulk 1x130 --bulk-api dws.logical
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
  - { name: lc, account: sim, api: dws.logical_tasks, clusters: [bulk-00000], interval: 200ms, timeout: 2s }
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
YAML
sim POST /_sim/faults '{"endpoint":"dws.logical","mode":"unordered"}' >/dev/null
start_daemon "$TMP/taskwatchd.yaml"
# Three requests a poll: 25 polls.
polled() { test "$(sim_count dws.logical)" -ge 75; }
check "unordered service: 25 polls of three pages" wait_for 60 polled
check "unordered service: no task reported vanished" \
    test "$(sink_count hook '.event=="vanished"')" -eq 0
check "unordered service: no task reported appeared" \
    test "$(sink_count hook '.event=="appeared"')" -eq 0
check "unordered service: no poll failed" \
    test "$(grep -c 'poll failed' "$TMP/daemon.log")" -eq 0
stop_daemon
check "daemon exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
finish
