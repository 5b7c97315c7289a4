#!/usr/bin/env bash
# Guardrails of exec hooks (issue 21), end to end.  Budget: a storm of
# failures on one cluster with max_runs: 3 per 1h per cluster runs the
# hook exactly three times and sends exactly one hook_suppressed; another
# cluster's failures still run; after kill -9 the budget is still spent.
# Breaker: a hook that always exits 1 with break_after: 2 runs twice, one
# hook_circuit_open follows, nothing runs while it is open, `taskwatchctl
# hooks` shows it open, `taskwatchctl hooks reset` closes it and the next
# event runs; after break_for a failed trial opens it again.  A hook
# routed hook_* events makes no hook_* events about itself (loop guard).  Cooldown per
# cluster: two tasks of one cluster run cooldown apart, another cluster's
# at once.  The hook_* events reach a second exec notifier by rules.
. "$(dirname "$0")/lib.sh"

start_sim
SOCK=$TMP/ctl.sock
OUT=$TMP/out
mkdir -p "$OUT"
cat >"$TMP/run.sh" <<'SH'
#!/bin/sh
# $1: log; $2: exit status.  One line per run: cluster, task type, ms.
echo "$TASKWATCH_CLUSTER_ID $TASKWATCH_TASK_TYPE $(($(date +%s%N) / 1000000))" >>"$1"
exit "$2"
SH
cat >"$TMP/events.sh" <<'SH'
#!/bin/sh
echo "$TASKWATCH_EVENT $TASKWATCH_CLUSTER_ID" >>"$1"
cat >"$1.$TASKWATCH_EVENT_ID.json"
SH
chmod 755 "$TMP/run.sh" "$TMP/events.sh"
HPORT=$("$TOP/tests/bin/twtool" free-port)
export DDS_SOCK=$SOCK DDS_LISTEN=127.0.0.1:$HPORT
{ dds_config; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: remedy
    type: exec
    command: [$TMP/run.sh, $OUT/remedy.log, "0"]
    max_runs: 3
    per_window: 1h
    per: cluster
    allow_root: true
  - name: breaky
    type: exec
    command: [$TMP/run.sh, $OUT/breaky.log, "1"]
    break_after: 2
    break_for: 4s
    allow_root: true
  - name: cool
    type: exec
    command: [$TMP/run.sh, $OUT/cool.log, "0"]
    cooldown: 2s
    cooldown_per: cluster
    allow_root: true
  - name: events
    type: exec
    command: [$TMP/events.sh, $OUT/events.log]
    allow_root: true
  - name: meta
    type: exec
    command: [$TMP/run.sh, $OUT/meta.log, "0"]
    max_runs: 1
    per: notifier
    allow_root: true
rules:
  - match: { event: [hook_suppressed, hook_circuit_open, hook_failed] }
    notify: [events]
    continue: true
  - match: { event: [hook_suppressed, hook_circuit_open, hook_failed] }
    notify: [meta]
  - match: { event: [transition], task_type: ["Fix*"] }
    notify: [remedy]
  - match: { event: [transition], task_type: ["Break*"] }
    notify: [breaky]
  - match: { event: [transition], task_type: ["Cool*"] }
    notify: [cool]
YAML
ctl() { "$TOP/bin/taskwatchctl" "$@"; }
mk() { sim POST /_sim/tasks "{\"service\":\"dds\",\"name\":\"$2\",\"instance_id\":\"$1\",\"instance_name\":\"$1\",\"status\":\"Running\",\"progress\":10}" | jq -r .id; }
fail() { sim PATCH "/_sim/tasks/$1" '{"status":"Failed","fail_reason":"node down"}' >/dev/null; }
runs() { local n; n=$(grep -c "^$2 " "$OUT/$1.log" 2>/dev/null); echo "${n:-0}"; }
evts() { local n; n=$(grep -c "^$1 $2\$" "$OUT/events.log" 2>/dev/null); echo "${n:-0}"; }
# at_least N CMD...: CMD prints a number >= N (for wait_for).
at_least() { local n=$1; shift; test "$("$@")" -ge "$n"; }
breaker() { ctl hooks --json -c "$SOCK" | jq -r '.hooks[] | select(.notifier == "breaky") | .guard.state'; }

A=(); B=(); K=(); C=()
for i in 1 2 3 4 5 6; do A+=("$(mk inst-a "FixInstance$i")"); done
for i in 1 2; do B+=("$(mk inst-b "FixInstance$i")"); done
for i in 1 2 3 4 5 6; do K+=("$(mk inst-k "BreakInstance$i")"); done
C+=("$(mk inst-c "CoolInstance1")" "$(mk inst-c "CoolInstance2")" "$(mk inst-d "CoolInstance3")")
check "simulator created the jobs" test "${#A[@]}${#B[@]}${#K[@]}${#C[@]}" = 6263

start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test -S "$SOCK"
wait_for 10 at_least 2 sim_count dds.jobs

# --- budget: five failures on inst-a, two on inst-b
for id in "${A[@]:0:5}" "${B[@]}"; do fail "$id"; done
wait_for 15 at_least 1 evts hook_suppressed inst-a
wait_for 10 at_least 2 runs remedy inst-b
sleep 1.5
check "storm on inst-a ran the hook exactly 3 times ($(runs remedy inst-a))" test "$(runs remedy inst-a)" -eq 3
check "exactly one hook_suppressed for inst-a ($(evts hook_suppressed inst-a))" test "$(evts hook_suppressed inst-a)" -eq 1
check "inst-b's failures still ran ($(runs remedy inst-b))" test "$(runs remedy inst-b)" -eq 2
check "no hook_suppressed for inst-b" test "$(evts hook_suppressed inst-b)" -eq 0
doc=$(grep -l '"hook_suppressed"' "$OUT"/events.log.*.json 2>/dev/null | head -n1)
check "hook_suppressed names the notifier and budget key" sh -c "jq -e '.hook.notifier == \"remedy\" and .hook.budget_key == \"dds-test/inst-a\" and .hook.max_runs == 3 and .hook.event_kind == \"transition\" and (.hook.reason | length > 0)' '$doc' >/dev/null"
check "suppressed runs logged" grep -q 'notifier remedy: .*not run: 3 runs' "$TMP/daemon.log"
check "suppressed items count as delivered, not dead letters" test -z "$(ls "$TMP/state/dead/remedy" 2>/dev/null)"
check "hooks-remedy.json kept in state_dir" test -s "$TMP/state/hooks-remedy.json"
metric() { curl -sS -m 5 "http://127.0.0.1:$HPORT/metrics" | grep -F "$1" | awk '{ print $2 }'; }
check "metric counts the suppressed runs" test "$(metric 'taskwatch_hook_runs_suppressed_total{notifier="remedy",reason="budget"}')" = 2
check "audit.jsonl: three runs and two held back for remedy" \
    test "$(jq -r 'select(.notifier=="remedy") | .outcome' "$TMP/state/audit.jsonl" | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" = "ok=5 suppressed_budget=2 "

# --- kill -9: the budget is still spent
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; rm -f "$SOCK"
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test -S "$SOCK"
fail "${A[5]}"
wait_for 10 grep -q "notifier remedy: .*${A[5]}.*not run" "$TMP/daemon.log"
sleep 1
check "after kill -9 inst-a's budget is still spent ($(runs remedy inst-a))" test "$(runs remedy inst-a)" -eq 3
check "and no second hook_suppressed" test "$(evts hook_suppressed inst-a)" -eq 1
check "taskwatchctl hooks lists the budget key" sh -c "'$TOP/bin/taskwatchctl' hooks -c '$SOCK' | grep -q 'dds-test/inst-a .*runs 3'"

# --- breaker: always exits 1, break_after 2
fail "${K[0]}"; wait_for 10 at_least 1 runs breaky inst-k
fail "${K[1]}"; wait_for 10 at_least 1 evts hook_circuit_open inst-k
check "two failed runs" test "$(runs breaky inst-k)" -eq 2
check "one hook_circuit_open" test "$(evts hook_circuit_open inst-k)" -eq 1
doc=$(grep -l '"hook_circuit_open"' "$OUT"/events.log.*.json 2>/dev/null | head -n1)
check "hook_circuit_open says failures, outcome, until" sh -c "jq -e '.hook.notifier == \"breaky\" and .hook.consecutive_failures == 2 and (.hook.last_outcome | test(\"status 1\")) and (.hook.until | length > 0)' '$doc' >/dev/null"
check "taskwatchctl hooks shows it open" test "$(breaker)" = open
check "the gauge says open" test "$(metric 'taskwatch_hook_circuit_open{notifier="breaky"}')" = 1
check "the table too" sh -c "'$TOP/bin/taskwatchctl' hooks -c '$SOCK' | grep -q '^breaky .* open '"
fail "${K[2]}"
wait_for 10 grep -q "notifier breaky: .*${K[2]}.*circuit open" "$TMP/daemon.log"
check "no run while open" test "$(runs breaky inst-k)" -eq 2
check "audit.jsonl: the run held back by the open breaker" \
    test "$(jq -r 'select(.notifier=="breaky" and .outcome=="suppressed_circuit_open") | .event_kind' "$TMP/state/audit.jsonl" | head -n1)" = transition
check "hooks reset closes it" ctl hooks reset breaky -c "$SOCK"
check "reset logged with the peer" grep -q 'notifier breaky: circuit breaker closed by uid' "$TMP/daemon.log"
check "now closed" test "$(breaker)" = closed
fail "${K[3]}"; wait_for 10 at_least 3 runs breaky inst-k
check "the next event runs" test "$(runs breaky inst-k)" -eq 3
fail "${K[4]}"; wait_for 10 at_least 2 evts hook_circuit_open inst-k
check "two failures after the reset open it again" test "$(evts hook_circuit_open inst-k)" -eq 2
# after break_for the next run is a trial; it fails: open again
sleep 4.2
check "after break_for: half open" test "$(breaker)" = half_open
fail "${K[5]}"; wait_for 10 at_least 3 evts hook_circuit_open inst-k
check "the trial ran ($(runs breaky inst-k))" test "$(runs breaky inst-k)" -eq 5
check "its failure opened it again" test "$(evts hook_circuit_open inst-k)" -eq 3
# meta (one run per hour) refused hook_* events: logged, no event
check "a hook for hook_* events ran once ($(runs meta inst-a)+$(runs meta inst-k))" test "$(($(runs meta inst-a) + $(runs meta inst-k)))" -eq 1
check "its refusals made no hook_suppressed (loop guard)" test "$(grep -c '^hook_suppressed' "$OUT/events.log")" -eq 1
check "but were logged" grep -q 'notifier meta: .*no hook_suppressed event about a hook run for a hook_[a-z_]* event' "$TMP/daemon.log"
check "reset of an unknown notifier fails" sh -c "! '$TOP/bin/taskwatchctl' hooks reset nosuch -c '$SOCK' 2>/dev/null"

# --- cooldown per cluster
for id in "${C[@]}"; do fail "$id"; done
wait_for 10 at_least 2 runs cool inst-c
wait_for 5 at_least 1 runs cool inst-d
t1=$(awk '$1 == "inst-c" { print $3 }' "$OUT/cool.log" | sed -n 1p)
t2=$(awk '$1 == "inst-c" { print $3 }' "$OUT/cool.log" | sed -n 2p)
t3=$(awk '$1 == "inst-d" { print $3 }' "$OUT/cool.log" | sed -n 1p)
check "two tasks of one cluster ran the cooldown apart ($((t2 - t1)) ms)" test "$((t2 - t1))" -ge 1900
check "another cluster's ran at once ($((t3 - t1)) ms)" test "$((t3 - t1))" -lt 1500

# a corrupt state file: one log line, a clean start
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; rm -f "$SOCK"
echo '{"state": "ajar"' >"$TMP/state/hooks-remedy.json"
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test -S "$SOCK"
wait_for 10 grep -q 'hooks-remedy.json: .*ignored' "$TMP/daemon.log"
check "a corrupt hooks file is logged once" test "$(grep -c 'hooks-remedy.json: .*ignored, starting with fresh budgets' "$TMP/daemon.log")" -eq 1
check "and the daemon runs on" daemon_alive
keys() { ctl hooks --json -c "$SOCK" | jq '.hooks[] | select(.notifier == "remedy") | .guard.budget_keys'; }
wait_for 5 test -n "$(keys)"
check "with a fresh budget ($(keys))" test "$(keys)" = 0

stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 80 "$TMP/daemon.log"
fi
finish
