#!/usr/bin/env bash
# End to end for the exec notifier: taskwatchd polls taskwatch-sim (DDS
# jobs) and runs hook scripts by argv.  Cloud text full of shell syntax
# reaches the hook byte for byte in its environment and on stdin and runs
# nothing; a hook that sleeps and forks a child that ignores TERM is killed
# with its child at the timeout; ten events with max_concurrent: 2 never
# run more than two hooks at once.
. "$(dirname "$0")/lib.sh"

OUT=$TMP/out
mkdir -p "$OUT"
PWNED=/tmp/taskwatch-pwned-$$
rm -f "$PWNED"

# The hooks: small scripts run by path (argv), never through a shell of ours.
cat >"$TMP/dump.sh" <<'SH'
#!/bin/sh
# Keep the environment we were given (NUL-separated) and stdin.
cat /proc/$$/environ >"$1/$TASKWATCH_EVENT_ID.env"
cat >"$1/$TASKWATCH_EVENT_ID.in"
SH
cat >"$TMP/sleeper.sh" <<'SH'
#!/bin/sh
# A child that ignores TERM, then wait for ever.
(trap '' TERM; exec sleep 1000) &
echo $! >"$1/child.pid.tmp" && mv "$1/child.pid.tmp" "$1/child.pid"
echo $$ >"$1/leader.pid.tmp" && mv "$1/leader.pid.tmp" "$1/leader.pid"
while :; do sleep 1; done
SH
cat >"$TMP/conc.sh" <<'SH'
#!/bin/sh
echo "+ $TASKWATCH_TASK_ID" >>"$1/conc.log"
sleep 0.4
echo "- $TASKWATCH_TASK_ID" >>"$1/conc.log"
SH
chmod 755 "$TMP/dump.sh" "$TMP/sleeper.sh" "$TMP/conc.sh"

start_sim
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
    interval: 500ms
    timeout: 2s
    lookback: 1d
notifiers:
  - name: dump
    type: exec
    command: [$TMP/dump.sh, $OUT]
    timeout: 10s
    allow_root: true
  - name: sleeper
    type: exec
    command: [$TMP/sleeper.sh, $OUT]
    timeout: 1s
    allow_root: true
  - name: conc
    type: exec
    command: [$TMP/conc.sh, $OUT]
    max_concurrent: 2
    allow_root: true
rules:
  - match: { event: [transition], task_type: ["Sleep*"] }
    notify: [sleeper]
  - match: { event: [transition], task_type: ["Conc*"] }
    notify: [conc]
  - match: { event: [transition] }
    notify: [dump]
YAML

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
# Cloud text with command substitution, backticks, ;, quotes, newlines.
TYPE='Restart$(touch '"$PWNED"')`touch '"$PWNED"'`;touch '"$PWNED"
NAME="dds-\$(id)\`id\`;'q'\"q\""
REASON=$'line one; $(touch '"$PWNED"$') `touch '"$PWNED"$'`\n"double" \'single\'\nTASKWATCH_STATE=SUCCEEDED\ttab'
A=$(mk "$(jq -nc --arg t "$TYPE" --arg n "$NAME" \
    '{service:"dds",name:$t,instance_id:"inst-a",instance_name:$n,status:"Running",progress:10}')")
S=$(mk '{"service":"dds","name":"SleepForever","instance_id":"inst-s","instance_name":"dds-s","status":"Running"}')
C=()
for i in $(seq 1 10); do
	C+=("$(mk "{\"service\":\"dds\",\"name\":\"Conc$i\",\"instance_id\":\"inst-c$i\",\"instance_name\":\"dds-c$i\",\"status\":\"Running\"}")")
done
check "simulator created the jobs" test -n "$A" -a -n "$S" -a "${#C[@]}" -eq 10

start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test "$(sim_count dds.jobs)" -ge 2

# --- hostile text
sim PATCH "/_sim/tasks/$A" "$(jq -nc --arg r "$REASON" '{status:"Failed",fail_reason:$r}')" >/dev/null
got_dump() { ls "$OUT"/*.in >/dev/null 2>&1 && test "$(grep -c 'exited with status 0' "$TMP/daemon.log")" -ge 1; }
wait_for 10 got_dump
check "hook ran for the hostile task" got_dump
envf=$(ls "$OUT"/*.env 2>/dev/null | head -n1)
inf=${envf%.env}.in
# The environment, exactly: PATH, LANG and the TASKWATCH_* variables.
getenv() { local kv; while IFS= read -r -d '' kv; do
	[ "${kv%%=*}" = "$1" ] && { printf '%s' "${kv#*=}"; return 0; }; done <"$envf"; return 1; }
names=$(while IFS= read -r -d '' kv; do echo "${kv%%=*}"; done <"$envf" | sort | tr '\n' ' ')
want="LANG PATH TASKWATCH_ACCOUNT TASKWATCH_API TASKWATCH_CLUSTER_ID TASKWATCH_CLUSTER_NAME TASKWATCH_ERROR_CLASS TASKWATCH_EVENT TASKWATCH_EVENT_ID TASKWATCH_MISSED TASKWATCH_PREV_STATE TASKWATCH_PROGRESS TASKWATCH_RAW_STATUS TASKWATCH_REASON TASKWATCH_REGION TASKWATCH_RULE TASKWATCH_SEVERITY TASKWATCH_STARTED_AT TASKWATCH_STATE TASKWATCH_SUMMARY TASKWATCH_TASK_ID TASKWATCH_TASK_TYPE TASKWATCH_WATCH "
check "environment holds only PATH, LANG and TASKWATCH_*" test "$names" = "$want"
check "PATH and LANG fixed" test "$(getenv PATH) $(getenv LANG)" = "/usr/bin:/bin C.UTF-8"
check "task type arrives byte for byte" test "$(getenv TASKWATCH_TASK_TYPE)" = "$TYPE"
check "cluster name arrives byte for byte" test "$(getenv TASKWATCH_CLUSTER_NAME)" = "$NAME"
check "reason with newlines arrives byte for byte" test "$(getenv TASKWATCH_REASON)" = "$REASON"
check "a forged variable in the reason stays in the reason" test "$(getenv TASKWATCH_STATE)" = FAILED
check "states, ids, watch" test "$(getenv TASKWATCH_EVENT) $(getenv TASKWATCH_PREV_STATE) $(getenv TASKWATCH_TASK_ID) $(getenv TASKWATCH_WATCH) $(getenv TASKWATCH_SEVERITY) $(getenv TASKWATCH_MISSED)" = "transition RUNNING $A dds-test critical false"
check "stdin is the event document" test "$(jq -r .id <"$inf")" = "$(getenv TASKWATCH_EVENT_ID)"
check "stdin carries the exact reason" test "$(jq -j .task.reason <"$inf")" = "$REASON"
check "stdin carries the exact type and name" test "$(jq -j '.task.type + "|" + .task.cluster_name' <"$inf")" = "$TYPE|$NAME"
# The rule that routed it (the third, unnamed: rule-3), the task's start
# and the summary, one line although the reason has newlines and a tab.
check "TASKWATCH_RULE names the routing rule" \
    test "$(getenv TASKWATCH_RULE)|$(jq -j .rule <"$inf")" = "rule-3|rule-3"
check "TASKWATCH_STARTED_AT is the task's start" \
    test -n "$(getenv TASKWATCH_STARTED_AT)" -a \
    "$(getenv TASKWATCH_STARTED_AT)" = "$(jq -j .task.started_at <"$inf")"
check "TASKWATCH_SUMMARY is the document's summary" \
    test "$(getenv TASKWATCH_SUMMARY)" = "$(jq -j .summary <"$inf" | tr '\n\t' '  ')"
check "TASKWATCH_SUMMARY is one line" \
    test "$(getenv TASKWATCH_SUMMARY | tr -d '\n\t' | wc -c)" -eq "$(getenv TASKWATCH_SUMMARY | wc -c)"
check "nothing in the cloud text was executed" test ! -e "$PWNED"

# --- timeout: the hook and its TERM-ignoring child are killed
sim PATCH "/_sim/tasks/$S" '{"status":"Failed","fail_reason":"sleep"}' >/dev/null
wait_for 10 test -s "$OUT/child.pid" -a -s "$OUT/leader.pid"
check "sleeping hook started" test -s "$OUT/child.pid" -a -s "$OUT/leader.pid"
leader=$(cat "$OUT/leader.pid" 2>/dev/null)
child=$(cat "$OUT/child.pid" 2>/dev/null)
# Dead: gone, or a zombie waiting for its new parent.
dead() { local st; [ -n "$1" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]; }
t0=$(now_ms)
wait_for 10 dead "$leader"
wait_for 5 dead "$child"
t1=$(now_ms)
check "hook killed at its timeout" dead "$leader"
check "its child (ignoring TERM) killed too" dead "$child"
check "killed within the timeout + 2 s ($((t1 - t0)) ms)" test $((t1 - t0)) -le $((3000 * SLOW))
wait_for 5 grep -q 'timed out; its process group was killed' "$TMP/daemon.log"
check "timeout logged" grep -q 'timed out; its process group was killed' "$TMP/daemon.log"

# --- ten events, max_concurrent: 2
for id in "${C[@]}"; do
	sim PATCH "/_sim/tasks/$id" '{"status":"Failed","fail_reason":"conc"}' >/dev/null
done
conc_done() { local n; n=$(grep -c . "$OUT/conc.log" 2>/dev/null); test "${n:-0}" -ge 20; }
wait_for 20 conc_done
check "ten hooks ran" conc_done
max=$(awk '/^\+/ { n++; if (n > m) m = n } /^-/ { n-- } END { print m + 0 }' "$OUT/conc.log" 2>/dev/null)
check "never more than two at once (max $max)" test "$max" -le 2
check "and two did run at once" test "$max" -eq 2
check "no hostile file appeared" test ! -e "$PWNED"

stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
rm -f "$PWNED"
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 60 "$TMP/daemon.log"
fi
finish
