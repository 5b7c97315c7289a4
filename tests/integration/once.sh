#!/usr/bin/env bash
# taskwatchd --once: one poll per watch, each task as a JSON line on
# stdout, no notifications; exit 0 when every watch polled, 1 otherwise.
# Also -n / -nv exit codes on good and bad configs.
. "$(dirname "$0")/lib.sh"

start_sim
sim POST /_sim/tasks '{"service":"dds","name":"RestartInstance","instance_id":"i-1","instance_name":"dds-1","status":"Running","progress":40}' >/dev/null
sim POST /_sim/tasks '{"service":"dds","name":"CreateMongoDB","instance_id":"i-2","instance_name":"dds-2","status":"Failed","fail_reason":"quota"}' >/dev/null
conf() {
	cat <<YAML
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: p1
    endpoints: { dds: $1 }
watches:
  - name: w-fast
    account: sim
    api: dds.jobs
    interval: 100ms
    timeout: 2s
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/once
YAML
}
conf "$SIM" >"$TMP/good.yaml"
out=$(timeout 20 "$TOP/bin/taskwatchd" --once -f "$TMP/good.yaml" 2>"$TMP/err")
rc=$?
check "--once exits 0 when every watch polled" test $rc -eq 0
check "--once prints one JSON line per task" test "$(printf '%s\n' "$out" | jq -c . | wc -l)" -eq 2
check "--once lines carry the task part" test "$(printf '%s\n' "$out" | jq -r 'select(.task.state=="FAILED") | .task.reason')" = quota
check "--once sends no notifications" test "$(sim GET /_sink/once | jq length)" -eq 0

# A watch that fails (nothing listens on port 1) makes --once exit 1, once.
conf "http://127.0.0.1:1" >"$TMP/bad.yaml"
timeout 20 "$TOP/bin/taskwatchd" --once -f "$TMP/bad.yaml" >/dev/null 2>"$TMP/err"
rc=$?
check "--once exits 1 when a watch failed" test $rc -eq 1
check "--once reports the failed watch once" test "$(grep -c '^taskwatchd: watch w-fast' "$TMP/err")" -eq 1

# -n: 0 for a valid config, 78 with file:line:col for an invalid one.
"$TOP/bin/taskwatchd" -n -f "$TMP/good.yaml" 2>/dev/null
check "-n exits 0 on a valid config" test $? -eq 0
printf 'watches:\n  - name: x\n    intervall: 5s\n' >"$TMP/typo.yaml"
err=$("$TOP/bin/taskwatchd" -n -f "$TMP/typo.yaml" 2>&1)
rc=$?
check "-n exits 78 on an invalid config" test $rc -eq 78
check "-n error has file:line:col and a suggestion" grep -q "^$TMP/typo.yaml:3:5: .*did you mean \"interval\"" <<<"$err"
"$TOP/bin/taskwatchd" -x >/dev/null 2>&1
check "unknown flag exits 64" test $? -eq 64
check "taskwatchctl check agrees with -n" test "$("$TOP/bin/taskwatchctl" check -f "$TMP/typo.yaml" 2>&1)" = "$err"
finish
