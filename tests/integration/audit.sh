#!/usr/bin/env bash
# End to end for the hook audit log and hook_failed: a hook that writes to
# stderr and exits 3 makes exactly one hook_failed event, delivered to a
# webhook with its stderr tail and never back to the failing notifier
# (no loop); state_dir/audit.jsonl has one line per run with its fields; a
# dry_run notifier writes its line (argv, environment, stdin) and runs
# nothing; after a reload to audit_max_size 8192 the file rotates to
# audit.jsonl.1.
. "$(dirname "$0")/lib.sh"

OUT=$TMP/out
mkdir -p "$OUT"
AUDIT=$TMP/state/audit.jsonl

cat >"$TMP/fail.sh" <<'SH'
#!/bin/sh
echo run >>"$1/fail.count"
echo "starting remediation of $TASKWATCH_TASK_ID"
# More than the 4 KiB logged: the tail still has the error.
head -c 6000 /dev/zero | tr '\0' y
echo
echo "remediation broke: disk quota exceeded" >&2
exit 3
SH
cat >"$TMP/marker.sh" <<'SH'
#!/bin/sh
touch "$1"
SH
chmod 755 "$TMP/fail.sh" "$TMP/marker.sh"

start_sim
conf() {
	dds_config
	cat <<YAML
notifiers:
  - name: failing
    type: exec
    command: [$TMP/fail.sh, $OUT]
    timeout: 10s
    allow_root: true
  - name: dry
    type: exec
    command: [$TMP/marker.sh, $OUT/dry.marker]
    dry_run: true
    allow_root: true
  - name: hooks
    type: webhook
    url: $SIM/_sink/hooks
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
rules:
  - match: { event: [transition], task_type: ["Fix*"] }
    notify: [failing, dry]
  - match: { event: [hook_failed] }
    notify: [hooks, failing]
YAML
}
conf >"$TMP/taskwatchd.yaml"

# Conditions for wait_for, evaluated at each try.
polled() { test "$(sim_count dds.jobs)" -ge "$1"; }
failed_events() { test "$(sink_count hooks '.event == "hook_failed"')" -ge "$1"; }
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
task() { mk "{\"service\":\"dds\",\"name\":\"Fix$1\",\"instance_id\":\"inst-$1\",\"instance_name\":\"dds-$1\",\"status\":\"Running\"}"; }
A=$(task a)
check "simulator created the job" test -n "$A"
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 polled 2
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"disk"}' >/dev/null

# --- hook_failed delivered, with the stderr tail
wait_for 15 failed_events 1
ev=$(sink_events hooks | jq -c 'select(.event == "hook_failed")' | head -n1)
check "hook_failed delivered to the webhook" test -n "$ev"
check "about notifier failing, exit status 3, attempt 1" test \
    "$(jq -r '[.hook.notifier, .hook.exit_status, .hook.timed_out, .hook.attempt] | join(" ")' <<<"$ev")" = "failing 3 false 1"
check "with the stderr tail" grep -q 'remediation broke: disk quota exceeded' <<<"$(jq -r .hook.stderr_tail <<<"$ev")"
check "copies the task of the source event" test "$(jq -r '.task.id + " " + .watch' <<<"$ev")" = "$A dds-test"
check "summary says what failed" grep -q 'dds-test: hook failing: exited with status 3 for transition event' <<<"$(jq -r .summary <<<"$ev")"
check "severity warning" test "$(jq -r .severity <<<"$ev")" = warning
src=$(jq -r .hook.event_id <<<"$ev")

# --- no loop: the hook_failed about failing is not run by failing
sleep $((SLOW * 2))
check "the failing hook ran once (no loop through its own hook_failed)" test "$(grep -c . "$OUT/fail.count")" -eq 1
check "one hook_failed in all" test "$(sink_count hooks '.event == "hook_failed"')" -eq 1
check "routing to the failing notifier was refused" grep -q "notifier failing: event $(jq -r .id <<<"$ev") is about it" "$TMP/daemon.log"

# --- the audit log: one line per run
check "audit.jsonl has two lines (a run, a dry run)" test "$(grep -c . "$AUDIT" 2>/dev/null)" -eq 2
run=$(jq -c 'select(.notifier == "failing")' "$AUDIT" 2>/dev/null)
check "run line: event, argv, outcome, exit status" test \
    "$(jq -r '[.event_id, .event_kind, .argv[0], .outcome, .exit_status, .dry_run, .attempt] | join(" ")' <<<"$run")" = \
    "$src transition $TMP/fail.sh failed 3 false 1"
check "run line: start and duration" jq -e '.start_ms > 1700000000000 and .duration_ms >= 0 and (.time | type) == "string"' <<<"$run"
check "run line: the output tail" grep -q 'remediation broke' <<<"$(jq -r .stderr_tail <<<"$run")"
check "run line: the last 4 KiB of 6 KiB and more" jq -e '.output_bytes > 6000 and (.stderr_tail | length) == 4096' <<<"$run"

# --- dry run: recorded, not run
dry=$(jq -c 'select(.notifier == "dry")' "$AUDIT" 2>/dev/null)
check "dry run line: dry_run true, outcome dry_run, argv" test \
    "$(jq -r '[.dry_run, .outcome, .argv[0], .argv[1]] | join(" ")' <<<"$dry")" = "true dry_run $TMP/marker.sh $OUT/dry.marker"
check "dry run line: the environment the hook would get" jq -e '.env | index("TASKWATCH_EVENT=transition") != null and index("PATH=/usr/bin:/bin") != null' <<<"$dry"
check "dry run line: stdin is the event document" test "$(jq -r .stdin <<<"$dry" | jq -r .id)" = "$src"
check "the dry-run hook did not run" test ! -e "$OUT/dry.marker"
check "the dry run logged at info" grep -q "notifier dry: .*dry run: would run $TMP/marker.sh" "$TMP/daemon.log"

# --- rotation at a small audit_max_size (taken at a reload)
sed -i 's/^  shutdown_timeout: 2s$/  shutdown_timeout: 2s\n  audit_max_size: 8192/' "$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'info: reloaded: ' "$TMP/daemon.log"
B=$(task b)
C=$(task c)
n=$(sim_count dds.jobs)
wait_for 10 polled $((n + 2))
sim PATCH "/_sim/tasks/$B" '{"status":"Failed","fail_reason":"disk"}' >/dev/null
sim PATCH "/_sim/tasks/$C" '{"status":"Failed","fail_reason":"disk"}' >/dev/null
wait_for 15 failed_events 3
wait_for 5 test -e "$AUDIT.1"
check "rotated to audit.jsonl.1" test -e "$AUDIT.1"
check "the current file stays under 8 KiB" test "$(stat -c %s "$AUDIT")" -le 8192
check "every line of both files is JSON" jq -e -s 'length >= 1' "$AUDIT" "$AUDIT.1"
check "the reload took" grep -q "info: reloaded: " "$TMP/daemon.log"
check "three hook_failed for three failed tasks" test "$(sink_count hooks '.event == "hook_failed"')" -eq 3

stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 60 "$TMP/daemon.log"
	echo "--- audit"; cat "$AUDIT" "$AUDIT.1" 2>/dev/null | cut -c1-300
fi
finish
