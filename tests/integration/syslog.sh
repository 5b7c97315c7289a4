#!/usr/bin/env bash
# End to end for the syslog notifier: what actually reaches the syslog
# socket.  syslog(3) writes to /dev/log, so the daemon runs in its own
# mount namespace (unshare --mount) where /dev is a test directory whose
# "log" is a datagram socket read by `twtool notify-listen`.  Checks the
# <PRI> (facility local3: crit = <154>, info = <158>), the logfmt line,
# and that a reason with "\nevent=forged" arrives as one line.  Where
# namespaces or mounts are not allowed, the test says SKIP.
. "$(dirname "$0")/lib.sh"

TWTOOL=$TOP/tests/bin/twtool
LISTEN_PID=
skip() { echo "ok - syslog socket # SKIP $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
command -v unshare >/dev/null || skip "no unshare(1)"
unshare --mount true 2>/dev/null || skip "unshare --mount not permitted"
[ -x "$TWTOOL" ] || skip "tests/bin/twtool not built"

# The /dev of the daemon: the few devices it may open, and the socket.
DEV=$TMP/dev
mkdir -p "$DEV"
for n in null zero random urandom; do : >"$DEV/$n"; done
ln -s /proc/self/fd "$DEV/fd"
"$TWTOOL" notify-listen "$DEV/log" "$TMP/syslog.out" 120 &
LISTEN_PID=$!
trap '[ -n "$LISTEN_PID" ] && kill "$LISTEN_PID" 2>/dev/null; cleanup' EXIT
wait_for 5 grep -q LISTENING "$TMP/syslog.out" || skip "cannot bind $DEV/log"

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
  - name: log
    type: syslog
    facility: local3
YAML

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds a","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"Backup","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":10}')

# The daemon in its own mount namespace; the marker says the mounts worked.
# unshare and sh exec, so $! is the daemon's pid.
unshare --mount -- /bin/sh -c '
	dev=$1; shift
	for n in null zero random urandom; do
		mount --bind "/dev/$n" "$dev/$n" || exit 99
	done
	mount --rbind "$dev" /dev || exit 99
	: >"$dev/../ns-ok"
	exec "$@"' sh "$DEV" "$TOP/bin/taskwatchd" -dv -f "$TMP/taskwatchd.yaml" \
    >"$TMP/daemon.out" 2>"$TMP/daemon.log" &
DAEMON_PID=$!
wait_for 5 test -e "$TMP/ns-ok" || { wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; skip "cannot mount in a namespace"; }
wait_for 10 test "$(sim_count dds.jobs)" -ge 2
check "daemon running in its namespace" daemon_alive

sim PATCH "/_sim/tasks/$A" "$(jq -nc '{status:"Failed",fail_reason:"disk full\nevent=forged severity=info \"quoted\""}')" >/dev/null
sim PATCH "/_sim/tasks/$B" '{"status":"Completed"}' >/dev/null
got() { grep -q "task=$A" "$TMP/syslog.out" && grep -q "task=$B" "$TMP/syslog.out"; }
wait_for 10 got
check "both lines reached the socket" got

# Lines of the listener are "<ms> <datagram line>".
la=$(grep "task=$A" "$TMP/syslog.out" | head -n1 | cut -d' ' -f2-)
lb=$(grep "task=$B" "$TMP/syslog.out" | head -n1 | cut -d' ' -f2-)
check "local3.crit is <154>" test "${la:0:5}" = "<154>"
check "local3.info is <158>" test "${lb:0:5}" = "<158>"
msg=${la#*taskwatchd: }
check "the logfmt line" test "$msg" = "event=transition watch=dds-test api=dds.jobs task=$A type=RestartInstance cluster=\"dds a\" from=RUNNING to=FAILED raw=Failed missed=false reason=\"disk full\\nevent=forged severity=info \\\"quoted\\\"\" id=${msg##* id=}"
check "severity is the last field" test "${msg##* severity=}" = critical
check "the forged newline arrives escaped, in one datagram" test "$(grep -c 'event=forged' "$TMP/syslog.out")" -eq 1
# A raw newline would have made a line that does not start with <PRI>.
check "every line received starts with <PRI>" test "$(cut -d' ' -f2- "$TMP/syslog.out" | grep -v '^LISTENING$' | grep -vc '^<[0-9]*>')" -eq 0
check "two events, two datagrams" test "$(grep -vc LISTENING "$TMP/syslog.out")" -eq 2

stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- received"; cat "$TMP/syslog.out"
	echo "--- daemon log"; tail -n 40 "$TMP/daemon.log"
fi
finish
