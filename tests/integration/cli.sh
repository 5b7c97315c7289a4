#!/usr/bin/env bash
# The command lines themselves: --help on all three programs (exit 0, one
# line per option), -d logs at info and -v adds debug, and every stderr line
# starts with the UTC time and the level.
. "$(dirname "$0")/lib.sh"

D="$TOP/bin/taskwatchd"; C="$TOP/bin/taskwatchctl"; S="$TOP/bin/taskwatch-sim"

# --help: exit 0 on stdout; every option of the usage line has its line.
for p in "$D" "$S" "$C"; do
	out=$("$p" --help 2>/dev/null); rc=$?
	check "${p##*/} --help: exit 0 on stdout" test $rc -eq 0 -a -n "$out"
done
out=$("$D" --help)
for o in -d -f -n -v --once --version --help; do
	check "taskwatchd --help has a line for $o" grep -qE "^  $o( |$)" <<<"$out"
done
out=$("$S" --help)
for o in $(sed -n 's/^\.It Fl Fl \([a-z-]*\).*/--\1/p' "$TOP/man/taskwatch-sim.1" | sort -u); do
	check "taskwatch-sim --help has a line for $o" grep -qE "^  $o( |$)" <<<"$out"
done
out=$("$C" --help)
for c in check status watches tasks sign; do
	check "taskwatchctl --help has a line for $c" grep -qE "^  $c " <<<"$out"
done
for c in test-event; do
	check "taskwatchctl --help has a line for $c" grep -qE "^  $c " <<<"$out"
done
"$C" bogus >/dev/null 2>&1; rc=$?
check "taskwatchctl with an unknown command: exit 64" test $rc -eq 64

# test-event: the rules and notifiers an event would reach, hook argv too.
EX="$TOP/conf/taskwatchd.yaml.example"
out=$("$C" test-event --watch dds-otc --type RestartInstance --to FAILED -f "$EX"); rc=$?
check "test-event: exit 0" test $rc -eq 0
check "test-event: the rule that matches" grep -q '^rule page-on-failure (line [0-9]*): matches$' <<<"$out"
check "test-event: the rule that does not" grep -q '^rule retry-failed-snapshots (line [0-9]*): does not match$' <<<"$out"
check "test-event: its notifiers with the rule's severity" \
    test "$(grep -c '^  -> \(oncall\|am\|log\) ([a-z]*), severity critical, by page-on-failure$' <<<"$out")" -eq 3
out=$("$C" test-event --watch dws-prod-actions --kind appeared --type SNAPSHOTTING_FAILED --to FAILED -f "$EX")
check "test-event: an exec notifier shows the command it would run" \
    grep -q "^  -> retry-snapshot (exec), .*would run '/usr/local/libexec/retry-snapshot' '--reason-from-env'$" <<<"$out"
out=$("$C" test-event --watch dds-otc --type RestartInstance --to SUCCEEDED -f "$EX")
check "test-event: an event no rule routes reaches only alertmanager, to resolve" \
    test "$(grep '^  -> ' <<<"$out")" = "  -> am (alertmanager), for resolution only: it may resolve an alert, never open one"
out=$("$C" test-event --watch dws-prod-actions --type RESIZE_FAILURE --to SUCCEEDED -f "$EX")
check "test-event: no notifier for an event no rule routes" grep -q '^  none: no notifier would get this event$' <<<"$out"
check "test-event --json: the event document first" \
    test "$("$C" test-event --json --watch dds-otc --type X --to FAILED -f "$EX" | head -n1 | jq -r '.event + " " + .task.state')" = "transition FAILED"
check "test-event --kind watch_flapping: no task type needed, cycles and window" \
    test "$("$C" test-event --json --kind watch_flapping --watch dds-otc -f "$EX" | head -n1 | jq -r '[.event, .severity, .flap_cycles, .flap_window_seconds, .error.class] | join(" ")')" = "watch_flapping warning 3 1800 test"
"$C" test-event --watch nope --type X -f "$EX" >/dev/null 2>"$TMP/te.err"; rc=$?
check "test-event: an unknown watch is exit 1 with the reason" test $rc -eq 1 -a -n "$(grep 'no watch named nope' "$TMP/te.err")"

# -d: info and up, each line stamped; -v adds debug.
start_sim
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: ""
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: p1
    endpoints: { dds: $SIM }
watches:
  - name: w
    account: sim
    api: dds.jobs
    interval: 200ms
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/cli
YAML
run_for() { # run_for LOG ARGS...: taskwatchd ARGS for a second, then stop it
	local log=$1; shift
	"$D" "$@" -f "$TMP/taskwatchd.yaml" 2>"$log" &
	local pid=$!
	sleep 1.5
	kill -TERM "$pid"; wait "$pid" 2>/dev/null
}
run_for "$TMP/info.log" -d
run_for "$TMP/debug.log" -dv
check "-d logs at info" grep -q ' info: ' "$TMP/info.log"
check "-d logs no debug line" test "$(grep -c ' debug: ' "$TMP/info.log")" -eq 0
check "-dv logs debug lines" grep -q ' debug: ' "$TMP/debug.log"
stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (crit|error|warning|notice|info|debug): '
check "every stderr line starts with the UTC time and the level" \
    test "$(grep -vEc "$stamp" "$TMP/debug.log")" -eq 0
finish
