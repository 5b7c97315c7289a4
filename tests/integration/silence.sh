#!/usr/bin/env bash
# Silences (issue 20), end to end through taskwatchctl and the control
# socket.  A silence added during a storm of failures: nothing it matches
# reaches a notifier without send_silenced, no exec hook runs for it, the
# audit webhook (send_silenced: true) gets each one marked "silenced", the
# task table and /metrics record them; a failure it does not match pages
# as usual.  The silence survives kill -9.  Expiring it sends one
# silence_ended event listing what it silenced, and raises again each task
# still FAILED (after_silence), not one that ended well nor one acked
# meanwhile; the hook runs for those.  A watch failing under a silence
# is raised again if it still fails when the silence ends.  A silence
# also ends on time by itself, and one that ended while the daemon was
# down is reported at the next start.  A peer outside the allowed uid/gid
# cannot add one.
. "$(dirname "$0")/lib.sh"

start_sim
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT
SOCK=$TMP/ctl.sock
cat >"$TMP/hook.sh" <<'SH'
#!/bin/sh
echo "$TASKWATCH_EVENT $TASKWATCH_CLUSTER_ID" >>"$1/hook.log"
SH
chmod 755 "$TMP/hook.sh"
export DDS_LISTEN=127.0.0.1:$HPORT DDS_SOCK=$SOCK
{ dds_config; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: page
    type: webhook
    url: $SIM/_sink/page
  - name: audit
    type: webhook
    url: $SIM/_sink/audit
    send_silenced: true
  - name: hook
    type: exec
    command: [$TMP/hook.sh, $TMP]
    allow_root: true
YAML
ctl() { "$TOP/bin/taskwatchctl" "$@"; }
mk() { sim POST /_sim/tasks "{\"service\":\"dds\",\"name\":\"RestartInstance\",\"instance_id\":\"$1\",\"instance_name\":\"$1\",\"status\":\"Running\",\"progress\":10}" | jq -r .id; }
fail() { sim PATCH "/_sim/tasks/$1" '{"status":"Failed","fail_reason":"node down"}' >/dev/null; }
done_ok() { sim PATCH "/_sim/tasks/$1" '{"status":"Completed","progress":100}' >/dev/null; }
page() { sink_count page "$1"; }
audit() { sink_count audit "$1"; }
hooks() { cat "$TMP/hook.log" 2>/dev/null | grep -c "$1"; }

start_daemon "$TMP/taskwatchd.yaml"
polled() { grep -q "watch dds-test: baseline" "$TMP/daemon.log"; }
wait_for 60 polled
check "the baseline is taken" polled

# The silence, from a user the socket allows (root).
ID=$(ctl silence add -c "$SOCK" --match watch=dds-test --match 'cluster=orders-*' \
    --for 10m --comment "resize drill" 2>"$TMP/add.err")
check "silence add prints the id ($ID)" grep -qE '^[0-9a-f]{16}$' <<<"$ID"
check "and says until when" grep -q "silence $ID added, until" "$TMP/add.err"
check "the change is logged with the peer's uid and gid" \
    grep -q "silence $ID added by uid 0 gid 0 pid [0-9]*: watch=dds-test cluster=orders-\* until .*: resize drill" "$TMP/daemon.log"
check "it is listed as active" sh -c "'$TOP/bin/taskwatchctl' silence list -c '$SOCK' | grep '^$ID  active' | grep -q 'watch=dds-test cluster=orders-\*'"
check "with its comment" sh -c "'$TOP/bin/taskwatchctl' silence list -c '$SOCK' | grep -q '# resize drill'"

# A storm: five failures and one success under the silence, one failure
# outside it.
for i in 1 2 3 4 5 6; do eval "T$i=\$(mk orders-$i)"; done
B=$(mk billing-1)
sleep 0.8
for i in 1 2 3 4 5; do eval "fail \$T$i"; done
done_ok "$T6"
fail "$B"
stormed() { [ "$(audit '.task.state=="FAILED" and .silenced != null')" -ge 5 ] && [ "$(page '.task.cluster_id=="billing-1" and .task.state=="FAILED"')" -ge 1 ]; }
wait_for 20 stormed
check "the audit notifier gets the five silenced failures" test "$(audit ".task.state==\"FAILED\" and .silenced==\"$ID\"")" -eq 5
check "the failure outside the silence pages" test "$(page '.task.cluster_id=="billing-1" and .task.state=="FAILED"')" -eq 1
hooked1() { [ "$(hooks 'transition billing-1')" -ge 1 ]; }
wait_for 10 hooked1
check "and runs the hook" hooked1
sleep 1
check "nothing silenced reaches the notifier without send_silenced" test "$(page '.task.cluster_id | startswith("orders-")')" -eq 0
check "no hook runs for a silenced event" test "$(hooks orders-)" -eq 0
check "the task table records them" test "$(curl -s "$HTTP/api/v1/tasks" | jq '[.tasks[] | select(.task.state=="FAILED" and (.task.cluster_id | startswith("orders-")))] | length' 2>/dev/null || curl -s "$HTTP/api/v1/tasks" | grep -o '"FAILED"' | wc -l)" -ge 5
check "taskwatch_events_silenced_total counts them" \
    sh -c "curl -s '$HTTP/metrics' | grep -qE '^taskwatch_events_silenced_total\\{watch=\"dds-test\",event=\"transition\"\\} (1[0-9]|[6-9])'"

# kill -9: the silence is still there, and still holds.
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon "$TMP/taskwatchd.yaml"
up() { ctl silence list -c "$SOCK" >/dev/null 2>&1; }
wait_for 30 up
check "after kill -9 the silence is listed" sh -c "'$TOP/bin/taskwatchctl' silence list -c '$SOCK' | grep -q '^$ID  active'"
T7=$(mk orders-7)
sleep 0.8
fail "$T7"
silenced7() { [ "$(audit ".task.id==\"$T7\" and .task.state==\"FAILED\" and .silenced==\"$ID\"")" -ge 1 ]; }
wait_for 10 silenced7
check "and still silences" silenced7
check "the new failure does not page" test "$(page ".task.id==\"$T7\"")" -eq 0

# One failed task is acknowledged meanwhile: it is not raised again.
ctl ack "$T5" -c "$SOCK" --comment "known" >/dev/null 2>&1
check "taskwatchctl ack of a silenced task works" test $? -eq 0

# Expire it: one silence_ended, then each task still FAILED again.
ctl silence expire "$ID" -c "$SOCK" 2>"$TMP/exp.err"
check "silence expire works" test $? -eq 0
check "the expiry is logged with the peer" grep -q "silence $ID expired by uid 0 gid 0" "$TMP/daemon.log"
ended() { [ "$(page '.event=="silence_ended"')" -ge 1 ]; }
wait_for 10 ended
E=$(sink_events page | jq -c 'select(.event=="silence_ended")' | head -1)
check "one silence_ended event" test "$(page '.event=="silence_ended"')" -eq 1
check "it names the silence" test "$(jq -r .silence.id <<<"$E")" = "$ID"
check "it counts the tasks silenced (7)" test "$(jq -r .silence.tasks_total <<<"$E")" -eq 7
check "it lists them" test "$(jq '[.silence.tasks[].cluster_id] | sort | join(",")' <<<"$E")" = '"orders-1,orders-2,orders-3,orders-4,orders-5,orders-6,orders-7"'
check "five are raised again" test "$(jq -r .silence.raised_again <<<"$E")" -eq 5
check "the acknowledged one is listed as acked" test "$(jq -r ".silence.tasks[] | select(.task_id==\"$T5\") | [.acked, .raised_again] | @csv" <<<"$E")" = "true,false"
check "its summary says so" grep -q "silence $ID ended: .* silenced on 7 tasks, 5 raised again" <<<"$(jq -r .summary <<<"$E")"
again() { [ "$(page ".after_silence==\"$ID\"")" -ge 5 ]; }
wait_for 10 again
check "each failed task is raised again" test "$(page ".after_silence==\"$ID\" and .task.state==\"FAILED\"")" -eq 5
check "the one that succeeded is not" test "$(page ".after_silence==\"$ID\" and .task.id==\"$T6\"")" -eq 0
check "the acknowledged one is not" test "$(page ".after_silence==\"$ID\" and .task.id==\"$T5\"")" -eq 0
check "raised again with ids of their own" test "$(sink_events page | jq -r "select(.after_silence==\"$ID\") | .id" | sort -u | wc -l)" -eq 5
hooked() { [ "$(hooks 'transition orders-')" -ge 5 ]; }
wait_for 10 hooked
check "the hook runs for each raised again" test "$(hooks 'transition orders-')" -eq 5
check "the silence is listed as ended" sh -c "'$TOP/bin/taskwatchctl' silence list -c '$SOCK' | grep -q '^$ID  ended'"
check "expiring it again is an error" sh -c "! '$TOP/bin/taskwatchctl' silence expire '$ID' -c '$SOCK' 2>/dev/null"

# A watch that fails under a silence and is still failing when it ends
# is raised again; its recovery then pages as usual.
ID4=$(ctl silence add -c "$SOCK" --match watch=dds-test --match event=watch_failed --for 10m 2>/dev/null)
sim POST /_sim/faults '{"endpoint":"dds.jobs","status":503}' >/dev/null
wheld() { [ "$(audit ".event==\"watch_failed\" and .silenced==\"$ID4\"")" -ge 1 ]; }
wait_for 20 wheld
check "a watch_failed under a silence goes to send_silenced only" wheld
check "and does not page" test "$(page '.event=="watch_failed"')" -eq 0
ctl silence expire "$ID4" -c "$SOCK" 2>/dev/null
wagain() { [ "$(page ".event==\"watch_failed\" and .after_silence==\"$ID4\"")" -ge 1 ]; }
wait_for 10 wagain
check "the watch still failing is raised again when it ends" wagain
sim DELETE /_sim/faults >/dev/null
wrec() { [ "$(page '.event=="watch_recovered"')" -ge 1 ]; }
wait_for 20 wrec
check "its recovery pages" wrec

# A silence ends on time by itself.
ID2=$(ctl silence add -c "$SOCK" --match cluster=late-1 --for 3s 2>/dev/null)
ended2() { [ "$(page ".event==\"silence_ended\" and .silence.id==\"$ID2\"")" -ge 1 ]; }
wait_for 10 ended2
check "a silence ends on time by itself" ended2

# One that ends while the daemon is down is reported at the next start.
ID3=$(ctl silence add -c "$SOCK" --match cluster=down-1 --for 2s 2>/dev/null)
check "a third silence is added" grep -qE '^[0-9a-f]{16}$' <<<"$ID3"
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
sleep 3
start_daemon "$TMP/taskwatchd.yaml"
ended3() { [ "$(page ".event==\"silence_ended\" and .silence.id==\"$ID3\"")" -ge 1 ]; }
wait_for 20 ended3
check "a silence that ended during the downtime is reported at start" ended3

# Refused: bad input, and a peer outside the allowed uid/gid.
check "a matcher on an unknown field is refused" sh -c "! '$TOP/bin/taskwatchctl' silence add -c '$SOCK' --match colour=red --for 1h 2>/dev/null"
check "--for and --until together are a usage error" sh -c "'$TOP/bin/taskwatchctl' silence add -c '$SOCK' --match watch=x --for 1h --until 10:00 2>/dev/null; test \$? -eq 64"
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	n=$(ctl silence list -c "$SOCK" --json | jq '.silences | length')
	# Past the file modes, so that SO_PEERCRED decides.
	chmod 711 "$TMP"
	chmod 666 "$SOCK"
	ans=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$TOP/bin/taskwatchctl" silence add -c "$SOCK" --match watch=dds-test --for 1h 2>&1)
	rc=$?
	chmod 660 "$SOCK"
	chmod 700 "$TMP"
	check "uid 65534 cannot add a silence (exit $rc: $ans)" test "$rc" -eq 1
	check "the refusal says why" grep -q "permission denied" <<<"$ans"
	check "nothing was added" test "$(ctl silence list -c "$SOCK" --json | jq '.silences | length')" -eq "$n"
	check "the refusal is logged with the peer" grep -q "control: refused uid 65534" "$TMP/daemon.log"
else
	ok "# SKIP peer refusal: needs root and setpriv"
fi
stop_daemon
check "the daemon exits cleanly" test "$DAEMON_RC" -eq 0
finish
