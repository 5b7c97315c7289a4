#!/usr/bin/env bash
# taskwatchd and a fake service manager: tests/bin/twtool plays systemd's
# end of NOTIFY_SOCKET and logs every line with a timestamp.  Checks
# READY=1 at start, RELOADING=1 + MONOTONIC_USEC and READY=1 around a
# reload (a failed one too), WATCHDOG=1 at half of WATCHDOG_USEC, STATUS=,
# STOPPING=1 on SIGTERM, an abstract socket, and WATCHDOG_PID.
. "$(dirname "$0")/lib.sh"
TWTOOL=$TOP/tests/bin/twtool

start_sim
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
    interval: 500ms
YAML

LISTEN_PID=
# listen NAME OUT: start the fake service manager on socket NAME.
listen() {
	"$TWTOOL" notify-listen "$1" "$2" 120 &
	LISTEN_PID=$!
	wait_for 5 grep -q LISTENING "$2"
}
unlisten() { kill -TERM "$LISTEN_PID" 2>/dev/null; wait "$LISTEN_PID" 2>/dev/null; LISTEN_PID=; }
trap 'unlisten; cleanup' EXIT
# got OUT PATTERN [N]: at least N (1) lines of OUT match PATTERN.
got() { test "$(grep -c -E "$2" "$1")" -ge "${3:-1}"; }

OUT=$TMP/notify.out
listen "$TMP/notify.sock" "$OUT"
export NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=400000
start_daemon "$TMP/taskwatchd.yaml"
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_for 5 got "$OUT" ' READY=1$'
check "READY=1 at start" got "$OUT" ' READY=1$'
wait_for 5 got "$OUT" ' STATUS=1 watches, 1 tasks, 0 failing, 0 pending notifications$'
check "STATUS= one-line summary" got "$OUT" ' STATUS=1 watches, [0-9]+ tasks, 0 failing, 0 pending notifications$'

# Watchdog: half of 400 ms; count the pings over two seconds.
sleep 2
n=$(grep -c ' WATCHDOG=1$' "$OUT")
gap=$(grep ' WATCHDOG=1$' "$OUT" | awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 } END { print m + 0 }')
check "WATCHDOG=1 pings ($n, every ~200 ms)" test "$n" -ge 8
check "no watchdog gap reaches WATCHDOG_USEC (max $gap ms)" test "$gap" -lt 400

# Reload: RELOADING=1 with MONOTONIC_USEC, then READY=1 again.
kill -HUP "$DAEMON_PID"
wait_for 5 got "$OUT" ' READY=1$' 2
check "RELOADING=1 on SIGHUP" got "$OUT" ' RELOADING=1$'
check "MONOTONIC_USEC with it" got "$OUT" ' MONOTONIC_USEC=[0-9]+$'
check "READY=1 after the reload" got "$OUT" ' READY=1$' 2
order=$(grep -E ' (READY|RELOADING)=1$' "$OUT" | awk '{ print $2 }' | tr '\n' ' ')
check "order READY, RELOADING, READY ($order)" test "$order" = "READY=1 RELOADING=1 READY=1 "
# MONOTONIC_USEC is CLOCK_MONOTONIC in µs: the listener's ms clock agrees.
mono=$(grep -E ' MONOTONIC_USEC=' "$OUT" | tail -n1)
check "MONOTONIC_USEC is CLOCK_MONOTONIC" test $(( ${mono#* MONOTONIC_USEC=} / 1000 - ${mono%% *} )) -le 50 -a \
    $(( ${mono#* MONOTONIC_USEC=} / 1000 - ${mono%% *} )) -ge -50

# A failed reload still ends with READY=1 (the old config runs on).
cp "$TMP/taskwatchd.yaml" "$TMP/good.yaml"
printf 'watches: [\n' >"$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 got "$OUT" ' READY=1$' 3
check "READY=1 after a failed reload" got "$OUT" ' RELOADING=1$' 2
cp "$TMP/good.yaml" "$TMP/taskwatchd.yaml"

stop_daemon
check "STOPPING=1 on SIGTERM" got "$OUT" ' STOPPING=1$'
check "exit 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
unlisten

# An abstract socket, and a watchdog meant for another process.
OUT2=$TMP/notify2.out
listen "@taskwatch-test-$$" "$OUT2"
export NOTIFY_SOCKET=@taskwatch-test-$$ WATCHDOG_USEC=400000 WATCHDOG_PID=1
start_daemon "$TMP/taskwatchd.yaml"
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
wait_for 5 got "$OUT2" ' READY=1$'
check "READY=1 over an abstract socket" got "$OUT2" ' READY=1$'
sleep 1
check "no WATCHDOG=1 when WATCHDOG_PID is another process" test "$(grep -c WATCHDOG "$OUT2")" -eq 0
stop_daemon
check "STOPPING=1 over an abstract socket" got "$OUT2" ' STOPPING=1$'
unlisten

# No NOTIFY_SOCKET: nothing to say, and the daemon runs as before.
start_daemon "$TMP/taskwatchd.yaml"
sleep 1
check "runs without NOTIFY_SOCKET" daemon_alive
stop_daemon
check "and exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
if [ "$FAILS" -ne 0 ]; then
	echo "--- notify"; cat "$OUT"; echo "--- daemon log"; tail -n 30 "$TMP/daemon.log"
fi
finish
