#!/usr/bin/env bash
# Operating the daemon: SIGHUP adds, removes and changes watches while an
# unchanged watch keeps its task state and every queued notification
# survives; a broken config is refused with file:line:col; SIGUSR1 logs a
# summary; SIGTERM drains a slow delivery up to shutdown_timeout and exits
# 0; a missing config, an unreadable secret and an unwritable state_dir
# fail the start at once with one line and exit 78 or 1.
. "$(dirname "$0")/lib.sh"

start_sim
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT
# watch NAME INTERVAL [LOOKBACK]: one dds.jobs watch of the simulator.
watch() {
	printf '  - { name: %s, account: sim, api: dds.jobs, interval: %s, lookback: %s, timeout: 2s }\n' \
	    "$1" "$2" "${3:-1d}"
}
# config TIMEOUT WATCH-LINES: write the config.
config() {
	cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $STATE
  listen: 127.0.0.1:$HPORT
  shutdown_timeout: $1
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dds: $SIM }
watches:
$2
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    timeout: 10s
    retry: { initial: 100ms, max: 300ms, give_up_after: 10m }
YAML
}
STATE=$TMP/state
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
get() { curl -s -m 5 "$HTTP$1"; }
tasks_of() { get "/api/v1/tasks?watch=$1" | jq -c '[.[] | .task.id + "=" + .task.state] | sort'; }
logcount() { grep -c -- "$1" "$TMP/daemon.log"; }

A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"SwitchPrimary","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":50}')
C=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-c","instance_name":"dds-c","status":"Running","progress":5}')
# w-change polls once, then every hour: what changes before the reload
# is only seen by its next poll, after the reload.
config 5s "$(watch w-keep 300ms; watch w-change 1h; watch w-remove 300ms)"
start_daemon "$TMP/taskwatchd.yaml"
baselined() { test "$(logcount 'baseline of 3 tasks')" -eq 3; }
wait_for 10 baselined
check "three watches baselined" baselined
keep_before=$(tasks_of w-keep)
check "w-keep has the three tasks" test "$keep_before" = "$(jq -cn --arg a "$A" --arg b "$B" --arg c "$C" '[$a + "=RUNNING", $b + "=RUNNING", $c + "=RUNNING"] | sort')"
wait_for 5 grep -q 'watch w-change: baseline saved' "$TMP/daemon.log"
check "the baseline is saved before the watch polls again" \
    grep -q 'watch w-change: baseline saved' "$TMP/daemon.log"

# --- A failure and a success just before a SIGHUP that only tunes
# w-change (interval, timeout, lookback), removes w-remove and adds w-new
# (one poll now, then every hour): w-change keeps its tasks and reports
# both changes; only w-new starts from a baseline.
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"before reload"}' >/dev/null
sim PATCH "/_sim/tasks/$B" '{"status":"Completed"}' >/dev/null
tune() {
	printf '  - { name: w-change, account: sim, api: dds.jobs, interval: 300ms, lookback: 2d, timeout: 3s }\n'
}
config 5s "$(watch w-keep 300ms; tune; watch w-new 1h)"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'reloaded:' "$TMP/daemon.log"
check "reload: 2 kept, 1 new or changed, 1 stopped" \
    grep -q 'reloaded: 3 watches (2 kept, 1 new or changed, 1 stopped)' "$TMP/daemon.log"
rebaselined() { test "$(logcount 'baseline of 3 tasks')" -eq 4; }
wait_for 5 rebaselined
check "only the new watch starts from a baseline" rebaselined
check "the tuned watch is not baselined again" \
    test "$(grep -c 'watch w-change: baseline of' "$TMP/daemon.log")" -eq 1
check "the kept watch is not baselined again" \
    test "$(grep -c 'watch w-keep: baseline of' "$TMP/daemon.log")" -eq 1
check "the removed watch's tasks are gone" \
    test "$(get /api/v1/tasks | jq '[.[] | select(.watch == "w-remove")] | length')" -eq 0
check "watches after reload: w-keep, w-change, w-new" \
    test "$(get /api/v1/watches | jq -r '[.[].name] | join(" ")')" = "w-keep w-change w-new"
tuned() {
	test "$(sink_count hook ".watch==\"w-change\" and .event==\"transition\" and ((.task.id==\"$A\" and .task.state==\"FAILED\") or (.task.id==\"$B\" and .task.state==\"SUCCEEDED\"))")" -eq 2
}
wait_for 5 tuned
check "a tuning reload loses neither the failure nor the success before it" tuned
check "the kept watch reports them as transitions from RUNNING" \
    test "$(sink_events hook | jq -r "select(.watch==\"w-keep\" and .task.id==\"$A\") | .event + \" \" + .previous.state")" = "transition RUNNING"
B=$C

# --- A queued notification survives a reload.
sim POST /_sim/faults '{"endpoint":"sink","mode":"status","status":503}' >/dev/null
sim PATCH "/_sim/tasks/$B" '{"status":"Completed"}' >/dev/null
pending() { test "$(get /metrics | sed -n 's/^taskwatch_outbox_pending{notifier="hook"} //p')" -ge 1 2>/dev/null; }
wait_for 5 pending
check "the delivery is queued while the sink fails" pending
kill -HUP "$DAEMON_PID"
wait_for 5 test "$(logcount 'reloaded:')" -ge 2
check "reload with a notification queued" test "$(logcount 'reloaded:')" -ge 2
sim DELETE /_sim/faults >/dev/null
got_b() { test "$(sink_count hook ".task.id==\"$B\" and .task.state==\"SUCCEEDED\"")" -ge 1; }
wait_for 5 got_b
check "the queued notification is delivered after the reload" got_b

# --- A broken config is refused and the old one runs on.
cp "$TMP/taskwatchd.yaml" "$TMP/good.yaml"
printf 'daemon:\n  shutdown_timeout: forever\n' >"$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'reload failed' "$TMP/daemon.log"
check "the broken config is refused with file:line:col" \
    grep -q "reload failed: $TMP/taskwatchd.yaml:2:[0-9]*: " "$TMP/daemon.log"
check "the old config keeps running" \
    test "$(get /api/v1/watches | jq -r '[.[].name] | join(" ")')" = "w-keep w-change w-new"
cp "$TMP/good.yaml" "$TMP/taskwatchd.yaml"

# --- SIGUSR1: one line for the daemon, one per watch and notifier.
kill -USR1 "$DAEMON_PID"
# The notifier lines come last: once they are there, all are.
wait_for 5 grep -q ': notifier hook (webhook): ' "$TMP/daemon.log"
check "SIGUSR1: daemon summary" grep -q ': summary: 3 watches, [0-9]* tasks, [0-9]* notifications pending' "$TMP/daemon.log"
for w in w-keep w-change w-new; do
	check "SIGUSR1: line for $w" grep -q ": watch $w: api=dds.jobs up polls_ok=" "$TMP/daemon.log"
done
# (its figures are the moment's: deliveries may still be pending under load)
check "SIGUSR1: line for the notifier" grep -qE ': notifier hook \(webhook\): pending [0-9]+, in flight [0-9]+, delivered [0-9]+' "$TMP/daemon.log"

# --- SIGTERM drains a slow delivery within shutdown_timeout (5s).
sim POST /_sim/faults '{"endpoint":"sink","mode":"latency","latency_ms":1500}' >/dev/null
C=$(mk '{"service":"dds","name":"MongodbSnapshotBackup","instance_id":"inst-c","instance_name":"dds-c","status":"Running","progress":1}')
sim PATCH "/_sim/tasks/$A" '{"status":"Running"}' >/dev/null
# Both events (C appeared, A's transition) detected and in flight before
# the stop, or the stop could come before A's change was even seen.
# Under load two older events may be pending before A's change is seen:
# wait for the task table to show it (its event is queued in the same
# turn of the loop).
pending2() { test "$(get /metrics | sed -n 's/^taskwatch_outbox_pending{notifier="hook"} //p')" -ge 2 2>/dev/null; }
a_seen() { test "$(tasks_of w-keep | jq -r --arg a "$A=RUNNING" 'index($a) != null')" = true; }
wait_for 10 a_seen
wait_for 5 pending2
check "a slow delivery is in flight" pending2
t0=$(now_ms)
stop_daemon
t1=$(now_ms)
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
check "it waited for the delivery ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 300
check "the slow delivery arrived before the exit" \
    test "$(sink_count hook ".task.id==\"$A\" and .task.state==\"RUNNING\"")" -ge 1
check "nothing left undelivered" test "$(grep -c 'still undelivered' "$TMP/daemon.log")" -eq 0

# --- ... but no longer than shutdown_timeout.
sim DELETE /_sim/faults >/dev/null
STATE=$TMP/state2
config 1s "$(watch w-keep 300ms)"
start_daemon "$TMP/taskwatchd.yaml"
up() { test "$(get /api/v1/watches | jq '.[0].polls_ok' 2>/dev/null)" -ge 1 2>/dev/null; }
wait_for 10 up
check "restarted with shutdown_timeout 1s" up
sim POST /_sim/faults '{"endpoint":"sink","mode":"latency","latency_ms":8000}' >/dev/null
sim PATCH "/_sim/tasks/$C" '{"status":"Failed"}' >/dev/null
wait_for 5 pending
t0=$(now_ms)
stop_daemon
t1=$(now_ms)
sim DELETE /_sim/faults >/dev/null
check "shutdown_timeout 1s: exit 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
check "after about 1 s ($((t1 - t0)) ms)" test $((t1 - t0)) -ge 900 -a $((t1 - t0)) -le $((4000 * SLOW))
check "the undelivered notification is logged" grep -q 'still undelivered after shutdown_timeout' "$TMP/daemon.log"

# --- Start failures: one line, the right exit status, nothing started.
# start_fail CONFIG: run the daemon, which must exit by itself.
start_fail() {
	timeout 10 "$TOP/bin/taskwatchd" -dv -f "$1" >/dev/null 2>"$TMP/fail.err"
	RC=$?
	LINES=$(wc -l <"$TMP/fail.err")
}
start_fail "$TMP/does-not-exist.yaml"
check "missing config: exit 78 (got $RC)" test $RC -eq 78
check "missing config: one line naming the file" test "$LINES" -eq 1 -a -n "$(grep -F "$TMP/does-not-exist.yaml" "$TMP/fail.err")"

config 5s "$(watch w-keep 300ms)"
echo "topsecret" >"$TMP/webhook.secret"
chmod 644 "$TMP/webhook.secret"
sed -i "s|    timeout: 10s|    secret_file: $TMP/webhook.secret\n    timeout: 10s|" "$TMP/taskwatchd.yaml"
start_fail "$TMP/taskwatchd.yaml"
check "group-readable secret file: exit 78 (got $RC)" test $RC -eq 78
check "one line saying why ($(cat "$TMP/fail.err"))" test "$LINES" -eq 1 -a -n "$(grep 'taskwatchd.yaml:[0-9]*:[0-9]*: notifiers\[0\].secret_file: .*: mode 0644, must not be readable by group or others' "$TMP/fail.err")"
check "the secret itself is not shown" test -z "$(grep topsecret "$TMP/fail.err")"
rm -f "$TMP/webhook.secret"
start_fail "$TMP/taskwatchd.yaml"
check "missing secret file: exit 78 (got $RC), one line" test $RC -eq 78 -a "$LINES" -eq 1
echo "topsecret" >"$TMP/webhook.secret"
chmod 600 "$TMP/webhook.secret"

# An unwritable state directory: a path under a regular file ...
touch "$TMP/file"
sed -i "s|  state_dir: .*|  state_dir: $TMP/file/state|" "$TMP/taskwatchd.yaml"
start_fail "$TMP/taskwatchd.yaml"
check "state_dir under a file: exit 1 (got $RC)" test $RC -eq 1
check "one line saying why ($(cat "$TMP/fail.err"))" test "$LINES" -eq 1 -a -n "$(grep "cannot create state_dir $TMP/file/state" "$TMP/fail.err")"
# ... and a directory without write permission (as nobody when root).
PUB=$(mktemp -d "${TMPDIR:-/tmp}/taskwatch-pub.XXXXXX")
chmod 755 "$PUB"
mkdir -m 555 "$PUB/state"
sed "s|  state_dir: .*|  state_dir: $PUB/state|; s|    secret_file: .*||" "$TMP/taskwatchd.yaml" >"$PUB/taskwatchd.yaml"
chmod 644 "$PUB/taskwatchd.yaml"
if [ "$(id -u)" = 0 ]; then
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$TOP/bin/taskwatchd" -dv -f "$PUB/taskwatchd.yaml" >/dev/null 2>"$TMP/fail.err"
	RC=$?
else
	timeout 10 "$TOP/bin/taskwatchd" -dv -f "$PUB/taskwatchd.yaml" >/dev/null 2>"$TMP/fail.err"
	RC=$?
fi
LINES=$(wc -l <"$TMP/fail.err")
check "read-only state_dir: exit 1 (got $RC)" test $RC -eq 1
check "one line saying why ($(cat "$TMP/fail.err"))" test "$LINES" -eq 1 -a -n "$(grep "state_dir $PUB/state is not writable: Permission denied" "$TMP/fail.err")"
rm -rf "$PUB"
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 40 "$TMP/daemon.log"
fi
finish
