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
"$C" bogus >/dev/null 2>&1; rc=$?
check "taskwatchctl with an unknown command: exit 64" test $rc -eq 64

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
