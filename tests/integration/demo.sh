#!/usr/bin/env bash
# `make demo` as a newcomer meets it: events printed, a FAILED event's
# document at the end; with DEMO_KEEP=1 the daemon and the simulator stay
# up with a status endpoint taskwatchctl reaches.
. "$(dirname "$0")/lib.sh"

out=$(cd "$TOP" && DEMO_KEEP=1 DEMO_SECONDS=$((16 * SLOW)) TMPDIR=$TMP timeout 120 tests/demo/run 2>&1); rc=$?
check "demo: exit 0" test $rc -eq 0
check "demo: prints events as they arrive" grep -qE '^[0-9:]{8}  [A-Z]+ +appeared' <<<"$out"
doc=$(sed -n '/^Each one is a JSON document/,/^DEMO_KEEP=1/p' <<<"$out" | sed '1,2d;$d')
check "demo: ends on a FAILED event's document" test "$(jq -r '.task.state' <<<"$doc" 2>/dev/null)" = FAILED
stop=$(grep '^Stop them: kill ' <<<"$out")
pids=$(sed -n 's/^Stop them: kill \([0-9]*\) \([0-9]*\);.*/\1 \2/p' <<<"$stop")
conf=$(sed -n 's/^  bin\/taskwatchctl status -f \(.*\)$/\1/p' <<<"$out")
check "DEMO_KEEP=1: says how to stop both" test "$(wc -w <<<"$pids")" -eq 2
alive=0
for p in $pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "DEMO_KEEP=1: daemon and simulator keep running" test $alive -eq 2
st=$("$TOP/bin/taskwatchctl" status -f "$conf" 2>&1)
check "DEMO_KEEP=1: taskwatchctl status reaches the daemon" grep -q '^watches: 5 ' <<<"$st"
for p in $pids; do kill -TERM "$p" 2>/dev/null; done
for p in $pids; do
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
finish
