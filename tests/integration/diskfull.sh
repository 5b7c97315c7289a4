#!/usr/bin/env bash
# Disk full: state_dir is a tiny tmpfs, filled up while taskwatchd runs.
# Delivery goes on from memory, the outbox write is retried, the task table
# is not saved ahead of the outbox, and once space is back everything is
# written; a kill -9 then loses nothing.  Needs root to mount the tmpfs;
# otherwise skipped (test_outbox covers ENOSPC through its write seam).
. "$(dirname "$0")/lib.sh"

MNT="$TMP/state"
mkdir -p "$MNT"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=512k,mode=0750 tmpfs "$MNT" 2>/dev/null; then
	ok "# SKIP disk full: cannot mount a tmpfs here (ENOSPC is covered by test_outbox)"
	finish
fi
trap '[ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; umount "$MNT"; cleanup' EXIT

start_sim
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $MNT
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
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
YAML
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
st() { sim PATCH "/_sim/tasks/$1" "{\"status\":\"$2\"}" >/dev/null; }
detected() { grep -a -c ' id=[0-9a-f]*:' "$TMP/all.log"; }
wait_detected() { local n=$1; wait_for 10 eval 'test "$(detected)" -ge '"$n"; }
run_daemon() {
	"$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd.yaml" 2>>"$TMP/all.log" &
	DAEMON_PID=$!
}

T1=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"i-1","instance_name":"dds-1","status":"Running","progress":10}')
T2=$(mk '{"service":"dds","name":"SwitchPrimary","instance_id":"i-2","instance_name":"dds-2","status":"Running","progress":10}')
run_daemon
wait_for 10 test -s "$MNT/tasks.jsonl"

# Fill the disk.
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
check "the state directory is full" \
    test "$(df --output=avail -k "$MNT" | tail -n1 | tr -d ' ')" -eq 0

# A job appears: delivered all the same, from memory.
T5=$(mk '{"service":"dds","name":"CreateMongoDB","instance_id":"i-5","instance_name":"dds-5","status":"Running"}')
wait_detected 1
got() { test "$(sink_count hook ".task.id==\"$1\"")" -ge 1; }
wait_for 10 got "$T5"
check "disk full: delivery does not wait for the disk" got "$T5"
check "disk full: logged loudly" grep -q 'outbox: cannot write .*No space left on device.*kept in memory only' "$TMP/all.log"

# The receiver is down too: three events wait in memory only.
sim POST /_sim/faults '{"endpoint":"sink","status":503}' >/dev/null
st "$T1" Failed
st "$T2" Failed
T4=$(mk '{"service":"dds","name":"MongodbSnapshotBackup","instance_id":"i-4","instance_name":"dds-4","status":"Running"}')
wait_detected 4
polls=$(sim_count dds.jobs)
sleep $(( SLOW * 2 ))
check "disk full: still polling" test "$(sim_count dds.jobs)" -gt "$polls"
check "disk full: daemon alive" daemon_alive
check "disk full: the events are in memory only" \
    test "$(find "$MNT/outbox" -name '*.json' | wc -l)" -eq 0
check "disk full: the task table is not saved ahead of the outbox" \
    test -z "$(grep -F "$T4" "$MNT/tasks.jsonl")"
check "disk full: one complaint, not one per event" \
    test "$(grep -c 'kept in memory only' "$TMP/all.log")" -eq 1

# Space again: the writes are retried, then the table is saved.
rm -f "$MNT/filler"
wait_for 20 grep -q 'outbox: writing to .* again' "$TMP/all.log"
check "space back: the outbox is written" grep -q 'outbox: writing to .* again' "$TMP/all.log"
check "space back: the three waiting events are on disk" \
    test "$(find "$MNT/outbox" -name '*.json' | wc -l)" -eq 3
wait_for 5 grep -q -F "$T4" "$MNT/tasks.jsonl"
check "space back: the task table is saved" grep -q -F "$T4" "$MNT/tasks.jsonl"

# Crash, receiver back, restart: the three arrive with their ids.
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
sim DELETE /_sim/faults >/dev/null
run_daemon
all_there() { got "$T1" && got "$T2" && got "$T4"; }
wait_for 10 all_there
check "after the crash: nothing lost" all_there
check "after the crash: the ids that were logged" \
    test "$(comm -23 <(grep -a -o -E 'id=[0-9a-f]{32}:' "$TMP/all.log" | cut -c4-35 | sort -u) <(sink_events hook | jq -r .id | sort -u) | wc -l)" -eq 0
check "after the crash: no duplicates" \
    test "$(sink_events hook | jq -r .id | sort | uniq -d | wc -l)" -eq 0

# A watch added while the disk is full: its baseline cannot be saved, so
# it says so at LOG_CRIT and polls on rather than waiting blind for space.
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
T7=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"i-7","instance_name":"dds-7","status":"Running"}')
wait_for 10 got "$T7"
sed -e 's/^notifiers:/  - { name: dds-new, account: sim, api: dds.jobs, interval: 300ms, timeout: 2s, lookback: 1d }\nnotifiers:/' \
    "$TMP/taskwatchd.yaml" >"$TMP/new.yaml" && mv "$TMP/new.yaml" "$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 10 grep -q 'watch dds-new: its baseline cannot be saved; polling on' "$TMP/all.log"
check "disk full: a baseline that cannot be saved is logged" \
    grep -q 'watch dds-new: its baseline cannot be saved; polling on' "$TMP/all.log"
T8=$(mk '{"service":"dds","name":"SwitchPrimary","instance_id":"i-8","instance_name":"dds-8","status":"Running"}')
new_got() { test "$(sink_count hook ".watch==\"dds-new\" and .task.id==\"$T8\"")" -ge 1; }
wait_for 10 new_got
check "disk full: the new watch polls on and reports" new_got
rm -f "$MNT/filler"
stop_daemon
check "SIGTERM exits 0" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- daemon log"; grep -v 'Z debug: http:' "$TMP/all.log" | tail -n 40
fi
finish
