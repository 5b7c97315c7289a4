#!/usr/bin/env bash
# ehpc.operations (E-HPC 2.0 ListCommonLogs) against the simulator: the sim
# serves the vendor's documented example; requests are POSTs signed
# ACS3-HMAC-SHA256 from a `method: v2` account (the sim's account takes
# V3 only); an operation going InProgress -> Failed is one transition and
# a Failed one pages once, with the sim writing one row per operation and
# one row per state; faults apply to ehpc.ListCommonLogs; and an
# ehpc.tasks watch on an E-HPC 2.0 cluster says, in its failure line and
# not at every poll, that the cluster needs ehpc.operations.
. "$(dirname "$0")/lib.sh"

C2=ehpc-hz-9T3xPNezoS
V3_ID=LTAI5tOpsV3Only
V3_SECRET=opsSecret-31a7-do-not-log
V2_ID=LTAI5tTasksV2
V2_SECRET=tasksSecret-77b0-do-not-log
export TW_V3_ID=$V3_ID TW_V3_SECRET=$V3_SECRET TW_V2_ID=$V2_ID TW_V2_SECRET=$V2_SECRET

# The sim serves the documented example: the same members, the same row.
cat >"$TMP/fixture.yaml" <<YAML
ehpc:
  clusters:
    - id: $C2
      generation: 2
      operations:
        - { id: "04F0F334-1335-436C-A1D7-6C044FE7****", name: CreaterCluster,
            status: Finished, target: "i-abc***", created: "2024-08-22T14:21:54Z" }
YAML
start_sim --scenario "$TMP/fixture.yaml"
got=$(curl -sS -m 5 -X POST "$SIM/?Action=ListCommonLogs&Version=2024-07-30&ClusterId=$C2&From=0&PageSize=10")
want=$TOP/tests/fixtures/ehpc-list-common-logs.json
check "sim: the answer has the example's members" \
    test "$(jq -c 'keys' <<<"$got")" = "$(jq -c 'keys' "$want")"
check "sim: its row is the example's row" \
    test "$(jq -cS '.Logs[0]' <<<"$got")" = "$(jq -cS '.Logs[0]' "$want")"
check "sim: a GET is no route for ListCommonLogs" \
    test "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$SIM/?Action=ListCommonLogs&Version=2024-07-30&ClusterId=$C2&From=0")" = 404
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=

# Conditions for wait_for, evaluated at every try.
ev() { sink_events ops | jq -c "select($1)"; }
ev_seen() { test "$(ev "$1" | wc -l)" -ge 1; }
polls_ge() { test "$(sim_count "$1")" -ge "$2"; }

# round MODE: one daemon run against a sim writing rows MODE (one, per_state).
round() {
	local mode=$1 X Y n polls lines quiet
	cat >"$TMP/scenario.yaml" <<YAML
accounts:
  - { name: ops, cloud: alibaba, auth: v3, access_key_id: $V3_ID, access_key_secret: $V3_SECRET }
  - { name: tasks, cloud: alibaba, auth: v2, access_key_id: $V2_ID, access_key_secret: $V2_SECRET }
ehpc:
  operation_rows: $mode
  clusters:
    - { id: $C2, name: hpc2, region: cn-hangzhou, generation: 2 }
YAML
	rm -rf "$TMP/state"
	start_sim --scenario "$TMP/scenario.yaml"
	cat >"$TMP/taskwatchd.yaml" <<YAML
daemon: { state_dir: $TMP/state, listen: "", shutdown_timeout: 5s }
accounts:
  - name: ali-ops
    cloud: alibaba
    region: cn-hangzhou
    auth: { method: v2, access_key_id_env: TW_V3_ID, access_key_secret_env: TW_V3_SECRET }
    endpoints: { ehpc: $SIM }
  - name: ali-tasks
    cloud: alibaba
    region: cn-hangzhou
    auth: { method: v2, access_key_id_env: TW_V2_ID, access_key_secret_env: TW_V2_SECRET }
    endpoints: { ehpc: $SIM }
watches:
  - { name: ops, account: ali-ops, api: ehpc.operations, clusters: [$C2], interval: 300ms, timeout: 2s, lookback: 1h }
  - { name: v1, account: ali-tasks, api: ehpc.tasks, clusters: [$C2], interval: 100ms, timeout: 2s }
notifiers:
  - { name: hook, type: webhook, url: $SIM/_sink/ops, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
YAML
	# A quiet cluster's answer without Logs (TotalCount 0) is an empty page.
	quiet=
	if [ "$mode" = one ]; then
		sim POST /_sim/faults '{"endpoint":"ehpc.ListCommonLogs","mode":"omit_empty"}' >/dev/null
		quiet="; Logs left out while there are none"
	fi
	start_daemon "$TMP/taskwatchd.yaml"
	wait_for 10 polls_ge ehpc.ListCommonLogs 3
	X=$(sim POST /_sim/tasks "{\"service\":\"ehpc.operations\",\"instance_id\":\"$C2\",\"name\":\"AddNodes\",\"target\":\"i-1\"}" | jq -r .id)
	wait_for 10 ev_seen ".event==\"appeared\" and .task.id==\"$X\""
	check "$mode: the operation appeared RUNNING" \
	    test "$(ev ".event==\"appeared\" and .task.id==\"$X\"" | jq -r .task.state)" = RUNNING
	sleep 1
	sim PATCH "/_sim/tasks/$X" '{"status":"Failed","fail_reason":"node i-1 did not start"}' >/dev/null
	Y=$(sim POST /_sim/tasks "{\"service\":\"ehpc.operations\",\"instance_id\":\"$C2\",\"name\":\"DeleteNodes\",\"status\":\"Failed\",\"fail_reason\":\"busy\"}" | jq -r .id)
	wait_for 10 ev_seen ".event==\"transition\" and .task.id==\"$X\""
	n=$(sim_count ehpc.ListCommonLogs)
	wait_for 10 polls_ge ehpc.ListCommonLogs $((n + 5))
	check "$mode: InProgress -> Failed is one transition RUNNING -> FAILED" \
	    test "$(ev ".event==\"transition\" and .task.id==\"$X\"" | jq -r '.previous.state + ">" + .task.state + " " + .task.reason' | sort -u)" = "RUNNING>FAILED node i-1 did not start"
	check "$mode: the failed operation paged once" \
	    test "$(ev ".task.id==\"$X\" and .task.state==\"FAILED\"" | wc -l)" -eq 1
	check "$mode: an operation that came Failed paged once, with its reason" \
	    test "$(ev ".task.id==\"$Y\"" | jq -r '.event + " " + .task.state + " " + .task.reason')" = "appeared FAILED busy"
	check "$mode: no ops poll failed (V3-signed POSTs from a v2 account$quiet)" \
	    test "$(grep -c "watch ops: poll failed" "$TMP/daemon.log")" -eq 0
	check "$mode: no signature refused for the ops account" \
	    test "$(sim GET /_sim/requests | jq -r '[.auth_fail | to_entries[] | .value] | add // 0')" -eq 0
	# Failures back off to 16 x 100 ms: 9 polls take about 10 s.
	[ "$mode" = one ] && wait_for 20 polls_ge ehpc.ListTasks 9
	polls=$(sim_count ehpc.ListTasks)
	lines=$(grep -v "poll failed again" "$TMP/daemon.log" | grep -c "watch v1: .*HTTP 400 UnsupportedOperation: .*; cluster $C2 may be an E-HPC 2.0 cluster, which ListTasks (E-HPC 1.0) cannot watch: use api: ehpc.operations")
	check "$mode: the ehpc.tasks watch says the cluster is E-HPC 2.0 ($lines lines)" test "$lines" -ge 1
	[ "$mode" = one ] &&
	    check "$mode: ... logged at 1, 2, 3 (watch_failed), 4, 8: not at every poll ($lines lines for $polls polls)" \
		test "$lines" -le 5 -a "$polls" -ge 9
	check "$mode: ... still an http failure, watch_failed once" \
	    test "$(ev '.event=="watch_failed"' | jq -r '.watch + " " + .error.class')" = "v1 http"
	if [ "$mode" = one ]; then
		sim DELETE /_sim/faults >/dev/null
		sim POST /_sim/faults '{"endpoint":"ehpc.List*","mode":"status","status":503,"count":1}' >/dev/null
		wait_for 10 grep -q "watch ops: poll failed (http): HTTP 503 ServiceUnavailable" "$TMP/daemon.log"
		check "$mode: a fault on ehpc.ListCommonLogs fails the poll" \
		    grep -q "watch ops: poll failed (http): HTTP 503 ServiceUnavailable" "$TMP/daemon.log"
		wait_for 10 grep -q "watch ops: poll succeeded after 1 failures" "$TMP/daemon.log"
		check "$mode: ... and the next poll succeeds" \
		    grep -q "watch ops: poll succeeded after 1 failures" "$TMP/daemon.log"
	fi
	stop_daemon
	check "$mode: SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
	check "$mode: no secret in the log" \
	    test "$(grep -c -e "$V3_SECRET" -e "$V2_SECRET" "$TMP/daemon.log")" -eq 0
	cp "$TMP/daemon.log" "$TMP/daemon-$mode.log"
	kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=
}

round one
round per_state

# clusters: all: each generation's watch discovers its own clusters
# (E-HPC 2.0 ListClusters is a POST signed ACS3 from the v2 account) and
# says once which clusters of the other generation it does not poll.
C1=ehpc-hz-OneDotZero
cat >"$TMP/scenario.yaml" <<YAML
accounts:
  - { name: ops, cloud: alibaba, auth: v3, access_key_id: $V3_ID, access_key_secret: $V3_SECRET }
  - { name: tasks, cloud: alibaba, auth: v2, access_key_id: $V2_ID, access_key_secret: $V2_SECRET }
ehpc:
  clusters:
    - { id: $C2, name: hpc2, region: cn-hangzhou, generation: 2 }
    - { id: $C1, name: hpc1, region: cn-hangzhou, generation: 1 }
YAML
rm -rf "$TMP/state"
start_sim --scenario "$TMP/scenario.yaml"
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon: { state_dir: $TMP/state, listen: "", shutdown_timeout: 5s }
accounts:
  - name: ali-ops
    cloud: alibaba
    region: cn-hangzhou
    auth: { method: v2, access_key_id_env: TW_V3_ID, access_key_secret_env: TW_V3_SECRET }
    endpoints: { ehpc: $SIM }
  - name: ali-tasks
    cloud: alibaba
    region: cn-hangzhou
    auth: { method: v2, access_key_id_env: TW_V2_ID, access_key_secret_env: TW_V2_SECRET }
    endpoints: { ehpc: $SIM }
watches:
  - { name: ops, account: ali-ops, api: ehpc.operations, clusters: all, interval: 300ms, timeout: 2s, lookback: 1h }
  - { name: v1, account: ali-tasks, api: ehpc.tasks, clusters: all, interval: 300ms, timeout: 2s }
YAML
start_daemon "$TMP/taskwatchd.yaml"
appeared() { grep -q "watch $1: cluster $2 (.*) appeared" "$TMP/daemon.log"; }
wait_for 10 appeared ops "$C2"
wait_for 10 appeared v1 "$C1"
check "all: the 2.0 watch discovers the 2.0 cluster (POST, ACS3)" appeared ops "$C2"
check "all: the 1.0 watch discovers the 1.0 cluster" appeared v1 "$C1"
check "all: neither polls the other generation's cluster" \
    sh -c "! grep -q -e 'watch ops: cluster $C1 .* appeared' -e 'watch v1: cluster $C2 .* appeared' '$TMP/daemon.log'"
check "all: the 1.0 watch names the 2.0 cluster and ehpc.operations" \
    grep -q "watch v1: E-HPC ListClusters lists 1 E-HPC 2.0 clusters, which ListTasks (E-HPC 1.0) cannot watch: watch them with api: ehpc.operations (the first: $C2); they are not polled" "$TMP/daemon.log"
check "all: ... once, not at every discovery" \
    test "$(grep -c "watch v1: E-HPC ListClusters lists 1 E-HPC 2.0" "$TMP/daemon.log")" -eq 1
check "all: the 2.0 list was asked with POST" polls_ge ehpc.ListClusters2 1
check "all: no discovery failed" sh -c "! grep -q 'discovery' '$TMP/daemon.log' || ! grep -q 'discovery.*fail' '$TMP/daemon.log'"
stop_daemon
check "all: SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
finish
