#!/usr/bin/env bash
# Receiver outage: the webhook receiver (a second simulator, used only as
# the sink) answers 503 for a while, then is stopped so connections are
# refused, and taskwatchd is restarted in the middle of it; once the
# receiver is back every event arrives, each task's in order, the pending
# ones kept in the outbox across the restart.  Then a 400 goes to dead/
# with a LOG_CRIT line, and a 429 with Retry-After: 2 is honoured.
. "$(dirname "$0")/lib.sh"

SINK_PID=
SINK_PORT=0
trap '[ -n "$SINK_PID" ] && kill -TERM "$SINK_PID" 2>/dev/null; cleanup' EXIT

# start_sink: the receiver, on SINK_PORT (0 the first time: a free one).
start_sink() {
	rm -f "$TMP/sink.port"
	"$TOP/bin/taskwatch-sim" --port "$SINK_PORT" --port-file "$TMP/sink.port" \
	    --exit-after 300s >>"$TMP/sink.log" 2>&1 &
	SINK_PID=$!
	wait_for 5 test -s "$TMP/sink.port" || { echo "sink did not start"; exit 1; }
	SINK_PORT=$(cat "$TMP/sink.port")
	SINK="http://127.0.0.1:$SINK_PORT"
}
stop_sink() { kill -TERM "$SINK_PID"; wait "$SINK_PID" 2>/dev/null; SINK_PID=; }
ctl() { curl -sS -m 5 -X "$1" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$SINK$2"; }
received() { ctl GET /_sink/hook | jq -c '.[] | .body | fromjson'; }

start_sim
start_sink
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
    endpoints: { dds: $SIM }
watches:
  - name: dds-test
    account: sim
    api: dds.jobs
    interval: 300ms
    timeout: 2s
    lookback: 1d
notifiers:
  - name: hook
    type: webhook
    url: $SINK/_sink/hook
    timeout: 2s
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
YAML

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
st() { sim PATCH "/_sim/tasks/$1" "{\"status\":\"$2\"}" >/dev/null; }
# detected N: wait until the daemon logged N events in all.
detected() { grep -a -c ' id=[0-9a-f]*:' "$TMP/all.log"; }
wait_detected() { local n=$1; wait_for 10 eval 'test "$(detected)" -ge '"$n"; }
run_daemon() {
	"$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd.yaml" 2>>"$TMP/all.log" &
	DAEMON_PID=$!
}

T1=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"i-1","instance_name":"dds-1","status":"Running","progress":10}')
T2=$(mk '{"service":"dds","name":"SwitchPrimary","instance_id":"i-2","instance_name":"dds-2","status":"Running","progress":10}')
run_daemon
wait_for 10 test "$(sim_count dds.jobs)" -ge 2

# 503 for a while: T1 goes through three states, T3 appears and fails.
ctl POST /_sim/faults '{"endpoint":"sink","status":503}' >/dev/null
st "$T1" Paused;    wait_detected 1
st "$T1" Running;   wait_detected 2
T3=$(mk '{"service":"dds","name":"CreateMongoDB","instance_id":"i-3","instance_name":"dds-3","status":"Running"}')
wait_detected 3
st "$T1" Completed; wait_detected 4
st "$T3" Failed;    wait_detected 5
sleep $(( SLOW * 1 ))
check "503: deliveries were attempted" \
    test "$(ctl GET /_sim/faults | jq '(.faults // .)[0].used')" -ge 5
check "503: nothing recorded yet" test "$(received | wc -l)" -eq 0
check "503: every event waits in the outbox" \
    test "$(find "$TMP/state/outbox/hook" -name '*.json' | wc -l)" -eq 5

# Then connections refused; a restart in the middle keeps everything.
stop_sink
st "$T2" Failed; wait_detected 6
T4=$(mk '{"service":"dds","name":"MongodbSnapshotBackup","instance_id":"i-4","instance_name":"dds-4","status":"Running"}')
wait_detected 7
stop_daemon
check "stop during the outage: exit 0 after shutdown_timeout" test "$DAEMON_RC" -eq 0
check "stop during the outage: 7 entries left in the outbox" \
    test "$(find "$TMP/state/outbox/hook" -name '*.json' | wc -l)" -eq 7
check "the stop said they are kept" \
    grep -q '7 undelivered notifications kept in the outbox' "$TMP/all.log"
st "$T4" Completed
run_daemon
wait_for 10 grep -q '7 undelivered notifications from .* queued again' "$TMP/all.log"
check "restart: the 7 entries queued again" \
    grep -q '7 undelivered notifications from .* queued again' "$TMP/all.log"
wait_detected 8
sleep $(( SLOW * 2 ))
check "refused: daemon alive, still polling" daemon_alive

# The receiver comes back on the same port: everything arrives.
start_sink
all_in() { test "$(received | wc -l)" -ge 8; }
wait_for 15 all_in
check "all 8 events arrived after the outage" test "$(received | wc -l)" -eq 8
ids_logged=$(grep -a -o -E 'id=[0-9a-f]{32}:' "$TMP/all.log" | sort -u | wc -l)
check "every logged id delivered, none twice" \
    test "$(received | jq -r .id | sort -u | wc -l)" -eq "$ids_logged"
# In order per task: each event starts where the task's previous one ended.
in_order() {
	received | jq -rs 'group_by(.task.id)[] | [.[0].event == "appeared" or .[0].event == "transition"] + [range(1; length) as $i | .[$i].previous.state == .[$i - 1].task.state] | all' |
	    grep -qv true && return 1
	return 0
}
check "each task's events in order" in_order
check "T1: RUNNING>UNKNOWN>RUNNING>SUCCEEDED" \
    test "$(received | jq -r "select(.task.id==\"$T1\") | .task.state" | tr '\n' ' ')" = "UNKNOWN RUNNING SUCCEEDED "
check "outbox empty once delivered" \
    test "$(find "$TMP/state/outbox/hook" -name '*.json' | wc -l)" -eq 0

# A 400 is final: dead letter, LOG_CRIT line.
ctl POST /_sim/faults '{"endpoint":"sink","status":400,"count":1}' >/dev/null
T5=$(mk '{"service":"dds","name":"ResizeMongoDBInstance","instance_id":"i-5","instance_name":"dds-5","status":"Running"}')
dead_file() { find "$TMP/state/dead/hook" -name '*.json' 2>/dev/null | head -n1; }
wait_for 10 test -n "$(dead_file)"
df=$(dead_file)
check "400: dead letter written" test -n "$df"
check "400: the dead letter holds the event and why" \
    test "$(jq -r '.event.task.id + " " + .reason + " " + (.attempts|tostring)' "$df" 2>/dev/null)" = "$T5 HTTP 400 (not retried) 1"
check "400: given up loudly, with the file" \
    grep -q "notifier hook: giving up on appeared event .*HTTP 400 (not retried); kept in $df" "$TMP/all.log"
check "400: not delivered, not retried" \
    test "$(received | jq -r "select(.task.id==\"$T5\")" | wc -l)" -eq 0

# 429 with Retry-After: 2 is honoured (the backoff alone would be 100 ms).
ctl POST /_sim/faults '{"endpoint":"sink","status":429,"retry_after":2,"count":1}' >/dev/null
T6=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"i-6","instance_name":"dds-6","status":"Running"}')
t429=
tok=
end=$(( $(now_ms) + 10000 * SLOW ))
while [ "$(now_ms)" -lt "$end" ]; do
	if [ -z "$t429" ] && [ "$(ctl GET /_sim/faults | jq '[(.faults // .)[] | select(.status==429)][0].used')" = 1 ]; then
		t429=$(now_ms)
	fi
	if [ -n "$t429" ] && [ "$(received | jq -r "select(.task.id==\"$T6\")" | wc -l)" -ge 1 ]; then
		tok=$(now_ms)
		break
	fi
	sleep 0.05
done
gap=$(( ${tok:-0} - ${t429:-0} ))
echo "# 429 Retry-After: 2 -> retried after about $gap ms"
check "429: delivered after the retry" test -n "$tok"
check "429: Retry-After: 2 honoured (gap $gap ms)" test "$gap" -ge 1800 -a "$gap" -le 4000

stop_daemon
check "SIGTERM exits 0" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; tail -n 40 "$TMP/all.log"
	received
fi
finish
