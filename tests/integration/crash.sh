#!/usr/bin/env bash
# Crash test: the simulator plays a storm of DDS jobs appearing, making
# progress, failing and finishing, while taskwatchd is killed with SIGKILL
# at random moments CRASH_KILLS times (default 50; `make crashtest N=1000`
# runs more), each time restarted on the same state_dir.  Then it runs to
# the end of the storm.  Every event id a run logged ("event ... id=..." at
# debug level, written once the event is in the outbox) must reach the
# webhook sink at least once: 0 lost.  Duplicates may only come from
# deliveries in flight at a kill.  A clean SIGTERM and restart afterwards
# must send nothing again: 0 duplicates.
. "$(dirname "$0")/lib.sh"

KILLS=${CRASH_KILLS:-50}
# The storm lasts about as long as the kills take; a job count the sink can
# hold (it keeps its latest 10000 requests).
STORM_S=$(( KILLS * 6 / 10 + 10 ))
[ "$STORM_S" -lt 40 ] && STORM_S=40
JOBS=$(( KILLS * 4 + 100 ))
[ "$JOBS" -gt 2500 ] && JOBS=2500

# The scenario: JOBS jobs on 40 instances, each appearing at a random time
# in the first 85% of the storm (a third already there), running with a
# few progress steps, then Completed or (one in four) Failed.
awk -v jobs="$JOBS" -v span="$((STORM_S * 1000))" -v seed="${CRASH_SEED:-$$}" '
BEGIN {
	srand(seed)
	split("RestartInstance EnlargeMongoDBVolume MongodbSnapshotBackup " \
	    "SwitchPrimary ResizeMongoDBInstance", names, " ")
	print "project_id: 0549b4a43100d4f32f51c01c2fe4acdb"
	print "dds:"
	print "  jobs:"
	for (i = 0; i < jobs; i++) {
		appear = (i % 3 == 0) ? 0 : int(rand() * span * 0.85)
		end = appear + 500 + int(rand() * (span - appear - 500))
		if (end < 5000)
			end = 5000
		printf "    - id: crash-%05d\n", i
		printf "      name: %s\n", names[i % 5 + 1]
		printf "      instance_id: inst-%03d\n", i % 40
		printf "      instance_name: dds-%03d\n", i % 40
		printf "      status: Running\n"
		printf "      progress: 0\n"
		printf "      created: -1m\n"
		if (appear > 0)
			printf "      appear_after: %dms\n", appear
		printf "      at:\n"
		steps = 1 + int(rand() * 3)
		for (s = 1; s <= steps; s++)
			printf "        - { after: %dms, progress: %d }\n", \
			    appear + (end - appear) * s / (steps + 1), s * 20
		if (rand() < 0.25)
			printf "        - { after: %dms, status: Failed, " \
			    "fail_reason: \"crash test %d\" }\n", end, i
		else
			printf "        - { after: %dms, status: Completed }\n", end
	}
}' >"$TMP/storm.yaml"

start_sim --scenario "$TMP/storm.yaml" --exit-after "$((STORM_S + KILLS + 300))s"
T0=$(now_ms)
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
  - name: storm
    account: sim
    api: dds.jobs
    interval: 200ms
    timeout: 5s
    lookback: 1d
    stall_after: 0s
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    timeout: 5s
    retry: { initial: 100ms, max: 1s, give_up_after: 1h }
YAML

# run_daemon: start taskwatchd, its log appended to all.log.
run_daemon() {
	"$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd.yaml" \
	    >>"$TMP/daemon.out" 2>>"$TMP/all.log" &
	DAEMON_PID=$!
}

# Kill at random moments: mostly within the first second of a run (start,
# restore, replay, first polls), sometimes later.  The receiver answers
# after 200 ms, so that kills catch deliveries in flight.
sim POST /_sim/faults '{"endpoint":"sink","mode":"latency","latency_ms":200}' >/dev/null
# The first run lives until its baseline is saved: before that, a restart
# is a first start again, whose baseline rightly reports nothing.
run_daemon
wait_for 15 test -s "$TMP/state/tasks.jsonl"
bad_exit=0
for i in $(seq 1 "$KILLS"); do
	[ -n "$DAEMON_PID" ] || run_daemon
	if [ $((RANDOM % 4)) -eq 0 ]; then
		ms=$((RANDOM % 1500 + 300))
	else
		ms=$((RANDOM % 700 + 20))
	fi
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		bad_exit=$((bad_exit + 1))
	fi
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
done
check "daemon alive at every one of $KILLS kills" test "$bad_exit" -eq 0
check "no daemon crashed on its own" \
    test "$(grep -c -E 'fatal|Segmentation|AddressSanitizer' "$TMP/all.log")" -eq 0

# Run to the end of the storm, then until every logged id has arrived.
sim DELETE /_sim/faults >/dev/null
run_daemon
left=$(( STORM_S * 1000 - ($(now_ms) - T0) ))
[ "$left" -gt 0 ] && sleep $(( left / 1000 + 3 ))
logged() {
	grep -a -o -E 'event [a-z_]+ [a-z]+ id=[0-9a-f]{32}:' "$TMP/all.log" |
	    sed -E 's/.*id=([0-9a-f]{32}):/\1/' | sort -u
}
received_all() { sim GET /_sink/hook | jq -r '.[].headers | to_entries[] | select(.key|ascii_downcase=="webhook-id") | .value'; }
lost_ids() { comm -23 <(logged) <(received_all | sort -u); }
none_lost() { test -z "$(lost_ids)"; }
wait_for 60 none_lost
expected=$(logged | wc -l)
total=$(received_all | wc -l)
unique=$(received_all | sort -u | wc -l)
lost=$(lost_ids | wc -l)
dups=$((total - unique))
replayed=$(grep -a -o -E '[0-9]+ undelivered notifications? from .* queued again' "$TMP/all.log" | awk '{ n += $1 } END { print n + 0 }')
redetected=$(grep -a -c 'is already in its outbox' "$TMP/all.log")
echo "# crash: $KILLS kills, $JOBS jobs, $expected events logged, $unique received, $lost lost, $dups duplicates"
echo "# crash: $replayed outbox entries sent again after a kill, $redetected events detected again and not resent"
check "storm produced events ($expected)" test "$expected" -ge "$JOBS"
check "0 events lost over $KILLS kills ($lost)" test "$lost" -eq 0
# A duplicate can only be a delivery in flight at a kill: at most 16 per
# kill, and never one the daemon had seen succeed ("delivered event"
# is logged once the entry left the outbox).
check "duplicates only from deliveries in flight ($dups <= $((KILLS * 16)))" \
    test "$dups" -le $((KILLS * 16))
check "no delivery sent again once it had succeeded" \
    test -z "$(grep -a -o -E 'delivered event [0-9a-f]{32}' "$TMP/all.log" | sort | uniq -d)"
# Each job's end reported: a transition, or (started and ended while the
# daemon was down) an appeared already over.
check "every job's end was reported" \
    test "$(sim GET /_sink/hook | jq -r '.[].body | fromjson | select(.event=="transition" or .event=="appeared") | select(.task.state=="SUCCEEDED" or .task.state=="FAILED") | .task.id' | sort -u | wc -l)" -eq "$JOBS"

# A clean stop and start: nothing is sent again.
stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
check "nothing left in the outbox after a clean stop" \
    test "$(find "$TMP/state/outbox" -name '*.json' | wc -l)" -eq 0
before=$(received_all | wc -l)
: >"$TMP/clean.log"
"$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd.yaml" 2>"$TMP/clean.log" &
DAEMON_PID=$!
wait_for 10 grep -q 'first poll since the restart' "$TMP/clean.log"
sleep $(( SLOW * 2 ))
stop_daemon
check "clean restart: 0 duplicates ($(( $(received_all | wc -l) - before )))" \
    test "$(received_all | wc -l)" -eq "$before"
check "clean restart: no event detected again" \
    test "$(grep -c 'id=' "$TMP/clean.log")" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- lost:"; lost_ids | head
	echo "--- daemon log"; grep -v ' id=\|delivered event' "$TMP/all.log" | tail -n 40
fi
finish
