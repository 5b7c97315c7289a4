#!/usr/bin/env bash
# Overdue from learned durations, end to end with the simulator's DDS task
# center: twenty backups of a normal length (240 to 264 s, run before the
# daemon polls them end) are learned when they complete; then one backup
# that hangs (running for 20 min, past 3 x p95) gives exactly one overdue
# event, a normal one running for 2 min none; a RestoreInstance past the
# watch's max_duration {"Restore*": 1h} gives one with source
# max_duration.  /api/v1/tasks and taskwatchctl tasks show each running
# task's expected end; taskwatchctl durations prints the learned table.
# After kill -9 and a restart, the table is still there and the hung
# backup is not reported again.
. "$(dirname "$0")/lib.sh"

CTL=$TOP/bin/taskwatchctl
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT
get() { curl -sS -m 5 "$HTTP$1"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
n() { sink_count hook ".event==\"$1\""; }
at_least() { local want=$1; shift; test "$("$@")" -ge "$want"; }

start_sim
now=$(date +%s)
for i in $(seq 1 20); do
	sim POST /_sim/tasks "{\"service\":\"dds\",\"id\":\"bk-$i\",\"name\":\"Backup\",\"instance_id\":\"i-1\",\"instance_name\":\"dds-1\",\"status\":\"Running\",\"created\":\"$(iso $((now - 300)))\"}" >/dev/null
done
SOCK=$TMP/control.sock
DDS_SOCK=$SOCK DDS_LISTEN=127.0.0.1:$HPORT dds_config "lookback: 1d" "stall_after: 0" \
    'max_duration: {"Restore*": 1h}' >"$TMP/taskwatchd.yaml"
cat >>"$TMP/taskwatchd.yaml" <<YAML
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
rules:
  - match: { event: [transition, overdue, appeared] }
    notify: [hook]
YAML

start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 at_least 1 sim_count dds.jobs
wait_for 10 grep -q "baseline" "$TMP/daemon.log"
check "baseline: twenty running backups, no events" \
    test "$(get '/api/v1/tasks?state=RUNNING' | jq length) $(sink_events hook | wc -l)" = "20 0"
check "nothing learned yet: durations empty" test "$(get /api/v1/durations | jq length)" -eq 0

# They complete after 240 to 264 s each.
for i in $(seq 1 20); do
	sim PATCH "/_sim/tasks/bk-$i" "{\"status\":\"Completed\",\"ended\":\"$(iso $((now - 300 + 240 + (i % 5) * 6)))\"}" >/dev/null
done
wait_for 10 at_least 20 n transition
check "twenty transitions to SUCCEEDED" \
    test "$(sink_count hook '.event=="transition" and .task.state=="SUCCEEDED"')" -eq 20
d=$(get '/api/v1/durations')
check "durations: Backup learned per type and per cluster, 20 each" \
    test "$(jq -c '[.[] | [.type, .cluster_id, .count]] | sort' <<<"$d")" = '[["Backup",null,20],["Backup","i-1",20]]'
p50=$(jq '.[] | select(.cluster_id == null) | .p50_seconds' <<<"$d")
p95=$(jq '.[] | select(.cluster_id == null) | .p95_seconds' <<<"$d")
check "p50 ($p50 s) and p95 ($p95 s) within a bucket of the truth (252, 264)" \
    test "$p50" -ge 240 -a "$p50" -le 264 -a "$p95" -ge 252 -a "$p95" -le 276
check "max is exact" test "$(jq '.[0].max_seconds' <<<"$d")" -eq 264

# One that hangs (20 min), one normal (2 min), one restore past max_duration.
now=$(date +%s)
sim POST /_sim/tasks "{\"service\":\"dds\",\"id\":\"bk-hang\",\"name\":\"Backup\",\"instance_id\":\"i-1\",\"instance_name\":\"dds-1\",\"status\":\"Running\",\"created\":\"$(iso $((now - 1200)))\"}" >/dev/null
sim POST /_sim/tasks "{\"service\":\"dds\",\"id\":\"bk-ok\",\"name\":\"Backup\",\"instance_id\":\"i-1\",\"instance_name\":\"dds-1\",\"status\":\"Running\",\"created\":\"$(iso $((now - 120)))\"}" >/dev/null
sim POST /_sim/tasks "{\"service\":\"dds\",\"id\":\"rs-1\",\"name\":\"RestoreInstance\",\"instance_id\":\"i-1\",\"instance_name\":\"dds-1\",\"status\":\"Running\",\"created\":\"$(iso $((now - 7200)))\"}" >/dev/null
wait_for 10 at_least 2 n overdue
polls=$(sim_count dds.jobs)
wait_for 10 at_least $((polls + 5)) sim_count dds.jobs
check "exactly two overdue events" test "$(n overdue)" -eq 2
ev=$(sink_events hook | jq -c 'select(.event=="overdue" and .task.id=="bk-hang")')
check "the hung backup is overdue: learned, warning, 20 samples" \
    test "$(jq -r '[.severity, .overdue.source, .overdue.samples] | join(" ")' <<<"$ev")" = "warning learned 20"
check "its limit is 3 x p95" test "$(jq -r .overdue.limit_seconds <<<"$ev")" -eq $(( (p95 * 300 + 99) / 100 ))
check "its summary says by how much" grep -q "is overdue: running 20 min" <<<"$(jq -r .summary <<<"$ev")"
ev=$(sink_events hook | jq -c 'select(.event=="overdue" and .task.id=="rs-1")')
check "the restore is overdue by its max_duration (1 h)" \
    test "$(jq -r '[.overdue.source, .overdue.limit_seconds] | join(" ")' <<<"$ev")" = "max_duration 3600"
check "no overdue for the normal backups" test "$(sink_count hook '.event=="overdue" and (.task.id | startswith("bk-")) and .task.id != "bk-hang"')" -eq 0

t=$(get '/api/v1/tasks?state=RUNNING')
check "/api/v1/tasks: bk-ok expected to end at start + p50" \
    test "$(jq -r '.[] | select(.task.id=="bk-ok") | .expected.end' <<<"$t")" = "$(iso $((now - 120 + p50)))"
check "/api/v1/tasks: bk-ok not past p95" \
    test "$(jq -r '.[] | select(.task.id=="bk-ok") | [.expected.past_p95_seconds, .expected.overdue] | join(" ")' <<<"$t")" = "0 false"
check "/api/v1/tasks: bk-hang past p95 and overdue" \
    test "$(jq -r '.[] | select(.task.id=="bk-hang") | (.expected.past_p95_seconds > 900) and .expected.overdue' <<<"$t")" = true
check "/api/v1/tasks: nothing learned for RestoreInstance: expected null" \
    test "$(jq -r '.[] | select(.task.id=="rs-1") | .expected' <<<"$t")" = null
check "taskwatchctl tasks: bk-hang's expected end says overdue" \
    grep -q "bk-hang .*past p95, overdue" <<<"$("$CTL" tasks -s 127.0.0.1:$HPORT)"
out=$("$CTL" durations -s 127.0.0.1:$HPORT)
check "taskwatchctl durations: a header and two rows" test "$(wc -l <<<"$out")" -eq 3
check "taskwatchctl durations: Backup (all) 20" grep -Eq '^sim +dds.jobs +Backup +\(all\) +20 ' <<<"$out"
check "taskwatchctl durations --api dds.jobs: the same" \
    test "$("$CTL" durations -s 127.0.0.1:$HPORT --api dds.jobs)" = "$out"
check "taskwatchctl durations --watch dds-test --json: two keys" \
    test "$("$CTL" durations -s 127.0.0.1:$HPORT --watch dds-test --json | jq length)" -eq 2
check "taskwatchctl durations --api dws.actions: none" \
    test "$("$CTL" durations -s 127.0.0.1:$HPORT --api dws.actions --json | jq length)" -eq 0
check "taskwatchctl durations --watch nosuch: an error" \
    sh -c "! '$CTL' durations -s 127.0.0.1:$HPORT --watch nosuch 2>/dev/null"

# kill -9 once the table (with the learned durations and the overdue
# marks) is saved; the restart keeps both.
saved() { head -n1 "$TMP/state/tasks.jsonl" | jq -e '.durations.keys | length == 2' >/dev/null &&
	grep -q '"id":"bk-hang".*"overdue":true' "$TMP/state/tasks.jsonl"; }
wait_for 10 saved
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
rm -f "$SOCK"
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 grep -q "restored the learned durations of 2 task kinds" "$TMP/daemon.log"
check "restart: the learned durations restored" grep -q "restored the learned durations of 2 task kinds" "$TMP/daemon.log"
polls=$(sim_count dds.jobs)
wait_for 10 at_least $((polls + 5)) sim_count dds.jobs
check "restart: the table still has 20 samples" \
    test "$(get '/api/v1/durations' | jq -c '[.[] | .count]')" = "[20,20]"
check "restart: no second overdue" test "$(n overdue)" -eq 2

# Under a silence, a third backup hangs: its overdue is held back, and
# raised again when the silence ends, as it still runs.
wait_for 10 test -S "$SOCK"
"$CTL" silence add -c "$SOCK" --match task_type=Backup --for 3s --comment "backup window" >/dev/null
now=$(date +%s)
sim POST /_sim/tasks "{\"service\":\"dds\",\"id\":\"bk-hang2\",\"name\":\"Backup\",\"instance_id\":\"i-1\",\"instance_name\":\"dds-1\",\"status\":\"Running\",\"created\":\"$(iso $((now - 1500)))\"}" >/dev/null
silenced() { get /metrics | grep -q '^taskwatch_events_silenced_total{watch="dds-test",event="overdue"} 1$'; }
wait_for 10 silenced
check "the overdue is counted as silenced" silenced
check "under the silence: no overdue delivered for bk-hang2" \
    test "$(sink_count hook '.event=="overdue" and .task.id=="bk-hang2"')" -eq 0
again() { test "$(sink_count hook '.event=="overdue" and .task.id=="bk-hang2" and .after_silence != null')" -eq 1; }
wait_for 15 again
check "when the silence ends, the still-running overdue backup is raised again" again
check "and only that once" test "$(sink_count hook '.event=="overdue" and .task.id=="bk-hang2"')" -eq 1

# The hung backup completes: learned too (21), and it ends its alert.
sim PATCH /_sim/tasks/bk-hang "{\"status\":\"Completed\",\"ended\":\"$(iso $(date +%s))\"}" >/dev/null
counts() { get '/api/v1/durations' | jq -c '[.[] | .count]'; }
learned21() { test "$(counts)" = "[21,21]"; }
wait_for 10 learned21
check "a completed run is learned (21)" learned21

stop_daemon
check "the daemon exits cleanly" test "$DAEMON_RC" -eq 0
finish
