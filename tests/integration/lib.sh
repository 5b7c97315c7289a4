# Shared helpers for the integration scripts: start and stop the simulator
# and the daemon on 127.0.0.1, poll for conditions with a deadline, read the
# webhook sink, and report "ok - name" / "not ok - name" lines.
# Every process started here is stopped by its pid on exit.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/taskwatch-it.XXXXXX")
SIM_PID=
DAEMON_PID=
FAILS=0
# Under valgrind everything is slower: stretch every deadline.
SLOW=${TW_SLOW:-1}
if [ -n "${TW_VALGRIND:-}" ]; then SLOW=$((SLOW * 4)); fi

PFX=${TW_VALGRIND:+valgrind: }
ok() { echo "ok - $PFX$*"; }
notok() { echo "not ok - $PFX$*"; FAILS=$((FAILS + 1)); }
# check NAME CMD...: ok when the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

cleanup() {
	[ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# wait_for SECONDS CMD...: run CMD every 100 ms until it succeeds or time is up.
wait_for() {
	local limit=$1; shift
	local end=$(( $(date +%s%N) / 1000000 + limit * 1000 * SLOW ))
	while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# Milliseconds now (wall clock).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_sim [ARGS...]: start taskwatch-sim on a free port; sets PORT, SIM.
start_sim() {
	# A simulator started before left its port here: not this one's.
	rm -f "$TMP/sim.port"
	"$TOP/bin/taskwatch-sim" --port 0 --port-file "$TMP/sim.port" \
	    --exit-after 600s "$@" >"$TMP/sim.log" 2>&1 &
	SIM_PID=$!
	wait_for 5 test -s "$TMP/sim.port" || { echo "simulator did not start"; cat "$TMP/sim.log"; exit 1; }
	PORT=$(cat "$TMP/sim.port")
	SIM="http://127.0.0.1:$PORT"
}

# sim METHOD PATH [JSON]: call the simulator's control API, print the body.
sim() {
	if [ $# -ge 3 ]; then
		curl -sS -m 5 -X "$1" -H 'Content-Type: application/json' \
		    --data-binary "$3" "$SIM$2"
	else
		curl -sS -m 5 -X "$1" "$SIM$2"
	fi
}

# sim_count ENDPOINT: API requests the simulator has served for an endpoint.
sim_count() { sim GET /_sim/requests | jq -r ".by_endpoint[\"$1\"] // 0"; }

# sink NAME: the event documents the sink received, one JSON per line.
sink_events() { sim GET "/_sink/$1" | jq -c '.[] | .body | fromjson'; }
# sink_count NAME JQ-FILTER: how many received events match a jq select().
sink_count() { sink_events "$1" | jq -c "select($2)" | wc -l; }

# start_daemon CONFIG [ARGS...]: start taskwatchd -d in the background.
start_daemon() {
	local conf=$1; shift
	if [ -n "${TW_VALGRIND:-}" ]; then
		valgrind -q --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite,indirect \
		    --show-leak-kinds=definite,indirect \
		    "$TOP/bin/taskwatchd" -dv -f "$conf" "$@" \
		    >"$TMP/daemon.out" 2>"$TMP/daemon.log" &
	else
		"$TOP/bin/taskwatchd" -dv -f "$conf" "$@" \
		    >"$TMP/daemon.out" 2>"$TMP/daemon.log" &
	fi
	DAEMON_PID=$!
}

# stop_daemon: SIGTERM and wait; sets DAEMON_RC.
stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	local i
	for i in $(seq 1 $((100 * SLOW))); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -KILL "$DAEMON_PID"; DAEMON_RC=137
	else
		wait "$DAEMON_PID"; DAEMON_RC=$?
	fi
	DAEMON_PID=
}

daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }

# dds_config [LINE...]: the daemon, account and watch part of a config
# that polls the simulator's DDS task center every 300 ms as watch
# "dds-test"; each LINE is one more key of the watch ("fail_after: 1").
# No status endpoint or control socket unless DDS_LISTEN (host:port) or
# DDS_SOCK (a path) say where: the defaults are shared by every test.
dds_config() {
	cat <<YAML
daemon:
  state_dir: $TMP/state
  listen: "${DDS_LISTEN:-}"
  control_socket: "${DDS_SOCK:-}"
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
YAML
	local l
	for l in "$@"; do printf '    %s\n' "$l"; done
}

# start_etcd3: a three-member etcd cluster on loopback ports of its own
# (never 2379/2380: a Debian etcd service may run there; not ours), data
# under $TMP/etcdI.  Sets ETCD_EPS (comma-separated client URLs),
# ETCD_URL[I] and ETCD_PID[I]; etcd_member I (re)starts member I on its
# data.  The caller stops the pids.  1 if etcd is not installed.
ETCD_PID=() ETCD_URL=() ETCD_PPORT=()
etcd_member() {
	local i=$1 cluster
	cluster="e0=http://127.0.0.1:${ETCD_PPORT[0]},e1=http://127.0.0.1:${ETCD_PPORT[1]},e2=http://127.0.0.1:${ETCD_PPORT[2]}"
	etcd --name "e$i" --data-dir "$TMP/etcd$i" \
	    --listen-client-urls "${ETCD_URL[$i]}" \
	    --advertise-client-urls "${ETCD_URL[$i]}" \
	    --listen-peer-urls "http://127.0.0.1:${ETCD_PPORT[$i]}" \
	    --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PPORT[$i]}" \
	    --initial-cluster "$cluster" --initial-cluster-state new \
	    --initial-cluster-token "tw-$$" \
	    --heartbeat-interval 50 --election-timeout 500 \
	    >>"$TMP/etcd$i.log" 2>&1 &
	ETCD_PID[$i]=$!
}
start_etcd3() {
	local i
	command -v etcd >/dev/null && command -v etcdctl >/dev/null || return 1
	for i in 0 1 2; do
		ETCD_URL[$i]=http://127.0.0.1:$("$TOP/tests/bin/twtool" free-port)
		ETCD_PPORT[$i]=$("$TOP/tests/bin/twtool" free-port)
	done
	ETCD_EPS="${ETCD_URL[0]},${ETCD_URL[1]},${ETCD_URL[2]}"
	for i in 0 1 2; do etcd_member "$i"; done
}
# ectl ARGS...: etcdctl against the cluster start_etcd3 made.
ectl() { ETCDCTL_API=3 etcdctl --endpoints "$ETCD_EPS" --command-timeout=2s "$@"; }

# finish: exit status for the runner.
finish() { [ "$FAILS" -eq 0 ]; exit $?; }
