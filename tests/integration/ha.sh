#!/usr/bin/env bash
# High availability: a real three-member etcd cluster on loopback ports of
# its own, two taskwatchd replicas A and B of one config (daemon.ha), and
# an unsharded reference without HA, all polling the simulator's DDS task
# center.  Failures come in storms while the leader is killed (-9),
# paused past its lease (SIGSTOP, SIGCONT), and while etcd loses one
# member, then two (no quorum), then gets them back.  The oracle: every
# failure the reference saw reached the replicas' sink with the same
# event id (none lost), no exec hook ran twice for one event (claims),
# each ran once; the takeover times; and the cloud API calls of the pair
# against the reference's over a quiet window (the standby polls at a
# twentieth of the rate).  At the end: the PagerDuty incidents the
# storm opened are resolved by whichever replica leads by then, and a
# third replica C, whose API is unreachable, takes over before its first
# listing and says what that baseline cannot see.  Every process is
# stopped by its pid; bounded.
. "$(dirname "$0")/lib.sh"

TTL=3
PIDS=()
my_cleanup() {
	local p
	for p in "${PIDS[@]}" "${ETCD_PID[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	cleanup # stops the simulator, then waits for every child
}
trap my_cleanup EXIT
# The sleep must not hold the runner's output pipe open after the end.
( sleep $((240 * SLOW)) >/dev/null 2>&1; echo "not ok - ha: over 240 s"; kill -TERM $$ ) &
PIDS+=($!)
WATCHDOG=$!

if ! start_etcd3; then
	notok "ha: etcd and etcdctl installed (make deps)"
	finish
fi
healthy() { ectl endpoint health >/dev/null 2>&1; }
if ! wait_for 30 healthy; then
	notok "ha: a three-member etcd cluster starts"
	tail -n 20 "$TMP/etcd0.log"
	finish
fi
start_sim

cat >"$TMP/slow.sh" <<'SH'
#!/bin/sh
# A remediation that takes a while: killed with its replica mid-run.
echo "$TASKWATCH_EVENT_ID $1 start" >>"$2"
sleep 6
echo "$TASKWATCH_EVENT_ID $1 end" >>"$2"
SH
cat >"$TMP/hook.sh" <<'SH'
#!/bin/sh
# One line per run: the event id and the replica that ran it.
echo "$TASKWATCH_EVENT_ID $1" >>"$2"
SH
chmod 755 "$TMP/hook.sh" "$TMP/slow.sh"
printf '%s\n' 0123456789abcdef0123456789abcdef >"$TMP/pd.key"
chmod 600 "$TMP/pd.key"

declare -A API PID
# conf NAME PORT HA-BLOCK SINK [DDS-ENDPOINT]: the replicas (sink ha) also
# page PagerDuty, the simulator's; the reference does not.
conf() {
	local pd=""
	[ "$4" = ha ] && pd=", pd"
	cat <<YAML
daemon:
  state_dir: $TMP/state-$1
  listen: 127.0.0.1:$2
  control_socket: $TMP/ctl-$1.sock
  shutdown_timeout: 2s
$3
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dds: ${5:-$SIM} }
watches:
  - { name: dds, account: sim, api: dds.jobs, interval: 500ms, timeout: 2s }
notifiers:
  - { name: sink, type: webhook, url: $SIM/_sink/$4, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
  - { name: fix, type: exec, command: [$TMP/hook.sh, $1, $TMP/hooks-$4.log], allow_root: true }
  - { name: slow, type: exec, command: [$TMP/slow.sh, $1, $TMP/slow-$4.log], allow_root: true, timeout: 30s }
  - { name: pd, type: pagerduty, url: $SIM/v2/enqueue, routing_key_file: $TMP/pd.key, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
rules:
  - { name: slow, match: { to: [FAILED], task_type: ["Slow*"] }, notify: [sink, slow] }
  - { name: failed, match: { to: [FAILED] }, notify: [sink, fix$pd] }
  - { name: all, notify: [sink] }
YAML
}
HA="  ha:
    etcd: [${ETCD_URL[0]}, ${ETCD_URL[1]}, ${ETCD_URL[2]}]
    prefix: /tw-$$
    ttl: ${TTL}s"
# start NAME [DDS-ENDPOINT]: start (or restart on its state) a daemon.
start() {
	local name=$1 port
	port=$("$TOP/tests/bin/twtool" free-port)
	API[$name]=http://127.0.0.1:$port
	if [ "$name" = ref ]; then
		conf ref "$port" "" ref >"$TMP/ref.yaml"
	else
		conf "$name" "$port" "$HA" ha "${2:-}" >"$TMP/$name.yaml"
	fi
	"$TOP/bin/taskwatchd" -dv -f "$TMP/$name.yaml" >>"$TMP/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=($!)
}
metric() { curl -sf -m 2 "${API[$1]}/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
leads() { [ "$(metric "$1" 'taskwatch_ha_leader{shard="0"}')" = 1 ]; }
leader() { local n; for n in A B; do kill -0 "${PID[$n]}" 2>/dev/null && leads "$n" && echo "$n"; done; }
one_leader() { [ "$(leader | wc -l)" -eq 1 ]; }
polls() { curl -sf -m 2 "${API[$1]}/metrics" | awk '$1 ~ /^taskwatch_polls_total\{/ { s += $2 } END { print s + 0 }'; }

start ref
start A
check "ha: A leads alone" wait_for 15 leads A
start B
polled() { [ "$(polls "$1")" -ge 1 ]; }
check "ha: B polled its baseline" wait_for 10 polled B
sleep 1
check "ha: one leader of two" one_leader
check "ha: B stands by" test "$(leader)" = A
check "ha: the log says so" grep -q 'ha: shard 0: standby until the election' "$TMP/B.log"
# The election in /api/v1/status (absent without daemon.ha) and in
# taskwatchctl status, on the leader and on the standby.
ha_st() { curl -sf -m 2 "${API[$1]}/api/v1/status" | jq -c --arg eps "$ETCD_EPS" --arg n "$1" \
	'.ha | [.state, .shard, (.id | endswith("/state-" + $n)), (.etcd as $e | $eps | split(",") | index($e) != null), (.held >= 0), (.since | test("^20[0-9-]+T"))]'; }
check "ha: status of A: leader of shard 0, its id, an etcd endpoint" test "$(ha_st A)" = '["leader",0,true,true,true,true]'
check "ha: status of B: standby" test "$(ha_st B)" = '["standby",0,true,true,true,true]'
check "ha: no ha in the status without daemon.ha" test "$(curl -sf -m 2 "${API[ref]}/api/v1/status" | jq 'has("ha")')" = false
ha_ctl() { "$TOP/bin/taskwatchctl" status -s "${API[$1]#http://}" | grep '^ha: '; }
HA_LINE='since 20[0-9-]+ [0-9:]+ \(etcd http://127\.0\.0\.1:[0-9]+; [0-9]+ held\)$'
check "ha: taskwatchctl status on A: $(ha_ctl A)" grep -qE "^ha: leader of shard 0 $HA_LINE" <<<"$(ha_ctl A)"
check "ha: taskwatchctl status on B: $(ha_ctl B)" grep -qE "^ha: STANDBY for shard 0 $HA_LINE" <<<"$(ha_ctl B)"
check "ha: taskwatchctl status --json has the ha object" \
    test "$("$TOP/bin/taskwatchctl" status --json -s "${API[B]#http://}" | jq -r .ha.state)" = standby

# Jobs of the DDS task center: make N running ones, fail them later.
mk() { sim POST /_sim/tasks "{\"service\":\"dds\",\"name\":\"Fix$1\",\"instance_id\":\"inst-$1\",\"instance_name\":\"dds-$1\",\"status\":\"Running\",\"progress\":10}" | jq -r .id; }
fail() { sim PATCH "/_sim/tasks/$1" '{"status":"Failed","fail_reason":"disk full"}' >/dev/null; }
# A task that failed while no replica polled is first seen failed (event
# "appeared"): the same id as the transition the reference saw.
# (Cluster inst-z is the silence's, below: the replicas page it later.)
NOT_Z='(.task.cluster_id // "" | startswith("inst-z") | not)'
ref_failed() { sink_events ref | jq -r "select(.task.state == \"FAILED\" and $NOT_Z) | .id" | sort -u; }
ha_failed() { sink_events ha | jq -r "select(.task.state == \"FAILED\" and $NOT_Z) | .id" | sort -u; }
delivered_all() { [ -n "$(ref_failed)" ] && [ "$(ha_failed)" = "$(ref_failed)" ]; }
hooks_once() { [ -z "$(cut -d' ' -f1 "$TMP/hooks-ha.log" 2>/dev/null | sort | uniq -d)" ]; }
ref_fix() { sink_events ref | jq -r "select(.task.state == \"FAILED\" and .task.type != \"SlowFix\" and $NOT_Z) | .id" | sort -u; }
hooked_all() { [ "$(cut -d' ' -f1 "$TMP/hooks-ha.log" 2>/dev/null | sort -u)" = "$(ref_fix)" ]; }
oracle() { # STEP: nothing lost, hooks once
	check "ha: $1: every failure the reference saw reached the sink, same ids ($(ref_failed | wc -l))" wait_for 20 delivered_all
	check "ha: $1: no hook ran twice" hooks_once
	check "ha: $1: every failure's hook ran" wait_for 10 hooked_all
}

# 0. A silence added on the standby holds on the leader; expired on the
# leader, it ends on the standby too; its end is paged once.
ctl() { "$TOP/bin/taskwatchctl" "$@"; }
SID=$(ctl silence add -c "$TMP/ctl-B.sock" --match watch=dds --match 'cluster=inst-z*' --for 10m --comment drill 2>/dev/null)
check "ha: silence: added on the standby ($SID)" grep -qE '^[0-9a-f]{16}$' <<<"$SID"
check "ha: silence: the leader takes it from etcd" \
    wait_for 10 grep -q "silence $SID added on another replica: watch=dds cluster=inst-z\\* until .*: drill" "$TMP/A.log"
check "ha: silence: listed on the leader" sh -c "'$TOP/bin/taskwatchctl' silence list -c '$TMP/ctl-A.sock' | grep -q '^$SID  active'"
Z=$(mk z1)
sleep 1.5
fail "$Z"
ref_z() { [ "$(sink_events ref | jq -c "select(.task.id == \"$Z\" and .task.state == \"FAILED\")" | wc -l)" -ge 1 ]; }
wait_for 10 ref_z
sleep 1
check "ha: silence: the failure pages without HA" ref_z
check "ha: silence: the leader does not page it" \
    test "$(sink_events ha | jq -c "select(.task.id == \"$Z\" and .task.state == \"FAILED\")" | wc -l)" -eq 0
check "ha: silence: no hook runs for it" test "$(cat "$TMP/hooks-ha.log" 2>/dev/null | wc -l)" -eq 0
ctl silence expire "$SID" -c "$TMP/ctl-A.sock" >/dev/null 2>&1
check "ha: silence: expired on the leader, it ends on the standby" \
    wait_for 10 grep -q "silence $SID expired on another replica" "$TMP/B.log"
check "ha: silence: listed as ended on the standby" sh -c "'$TOP/bin/taskwatchctl' silence list -c '$TMP/ctl-B.sock' | grep '^$SID' | grep -qv active"
again_z() { [ "$(sink_events ha | jq -c "select(.task.id == \"$Z\" and .after_silence == \"$SID\")" | wc -l)" -ge 1 ]; }
check "ha: silence: the failure is raised again when it ends" wait_for 10 again_z
sleep 2
check "ha: silence: one silence_ended ($(sink_events ha | jq -c 'select(.event == "silence_ended")' | wc -l))" \
    test "$(sink_events ha | jq -c 'select(.event == "silence_ended")' | wc -l)" -eq 1
check "ha: silence: raised once" test "$(sink_events ha | jq -c "select(.task.id == \"$Z\" and .after_silence == \"$SID\")" | wc -l)" -eq 1
# Its hook ran for the raise; the storms' checks below count only theirs.
ZID=$(sink_events ha | jq -r "select(.task.id == \"$Z\" and .after_silence == \"$SID\") | .id" | head -n 1)
check "ha: silence: the raise runs the hook" wait_for 10 grep -q "^$ZID " "$TMP/hooks-ha.log"
grep -v "^$ZID " "$TMP/hooks-ha.log" >"$TMP/hooks.tmp"; mv "$TMP/hooks.tmp" "$TMP/hooks-ha.log"

# 1. kill -9 the leader in a storm of failures.
J=()
for i in 1 2 3 4 5 6 7 8; do J+=("$(mk "k$i")"); done
sleep 1.5
for i in 0 1 2 3; do fail "${J[$i]}"; done
# Killed once it has run the hooks of the storm's first half, so that both
# replicas run some (checked at the end) whatever the timing; the second
# half fails in the gap.
a_ran() { [ "$(grep -c ' A$' "$TMP/hooks-ha.log" 2>/dev/null)" -ge 4 ]; }
check "ha: kill -9: A ran the first hooks of the storm" wait_for 5 a_ran
sleep 0.2
T_KILL=$(now_ms)
kill -KILL "${PID[A]}"
wait "${PID[A]}" 2>/dev/null
for i in 4 5 6 7; do fail "${J[$i]}"; done
check "ha: kill -9: B takes over" wait_for $((TTL + 5)) leads B
T_TOOK=$(now_ms)
check "ha: kill -9: B's status says leader since the takeover" \
    test "$(curl -sf -m 2 "${API[B]}/api/v1/status" | jq -r '(.ha.state) + " " + ((.ha.since | fromdateiso8601) >= ('"$T_KILL"' / 1000 | floor) | tostring)')" = "leader true"
TAKE_MS=$((T_TOOK - T_KILL))
echo "# takeover after kill -9: ${TAKE_MS} ms (ttl ${TTL} s, interval 500 ms)"
check "ha: kill -9: takeover within ttl + interval + 1.5 s (${TAKE_MS} ms)" \
    test "$TAKE_MS" -le $((TTL * 1000 + 500 + 1500))
# The new leader polls at once: the gap's failures arrive right after.
wait_for 20 delivered_all
GAP_MS=$(( $(now_ms) - T_KILL ))
echo "# every failure of the storm delivered ${GAP_MS} ms after kill -9"
check "ha: kill -9: the gap's failures delivered within ttl + 3 s (${GAP_MS} ms)" \
    test "$GAP_MS" -le $((TTL * 1000 + 3000))
oracle "kill -9"
start A
check "ha: A restarted stands by" wait_for 10 polled A
sleep 1
check "ha: one leader after the restart" one_leader

# 1b. kill -9 the leader while its hook runs: the successor finds the run
# claimed and never ended.  It cannot know whether the hook did its work:
# it does not run it again, and says so with a dead letter (never
# silently dropped).
L=$(leader); S=$([ "$L" = A ] && echo B || echo A)
SJ=$(sim POST /_sim/tasks '{"service":"dds","name":"SlowFix","instance_id":"inst-s","instance_name":"dds-s","status":"Running","progress":10}' | jq -r .id)
sleep 1.5
fail "$SJ"
started() { grep -q " $L start" "$TMP/slow-ha.log" 2>/dev/null; }
check "ha: hook in flight: the slow hook started on $L" wait_for 10 started
kill -KILL "${PID[$L]}"
wait "${PID[$L]}" 2>/dev/null
check "ha: hook in flight: $S takes over" wait_for $((TTL + 5)) leads "$S"
dead_slow() { curl -sf -m 2 "${API[$S]}/api/v1/dead" | jq -e '[.[] | select(.notifier == "slow" and (.reason | test("may or may not have run")))] | length == 1' >/dev/null; }
check "ha: hook in flight: $S keeps a dead letter saying the run is unknown" wait_for 10 dead_slow
check "ha: hook in flight: the hook did not run again" test "$(grep -c start "$TMP/slow-ha.log")" -eq 1
check "ha: hook in flight: the failure reached the sink" wait_for 10 delivered_all
start "$L"
check "ha: hook in flight: $L restarted stands by" wait_for 10 polled "$L"

# 2. SIGSTOP the leader past its lease, fail jobs meanwhile, SIGCONT.
L=$(leader); S=$([ "$L" = A ] && echo B || echo A)
J=()
for i in 1 2 3 4; do J+=("$(mk "p$i")"); done
sleep 1.5
kill -STOP "${PID[$L]}"
for i in 0 1 2 3; do fail "${J[$i]}"; done
check "ha: SIGSTOP: $S takes over from the paused leader" wait_for $((TTL + 5)) leads "$S"
kill -CONT "${PID[$L]}"
stepped() { grep -q 'ha: shard 0: leader -> standby (lease deadline passed)' "$TMP/$L.log" ||
	grep -q 'ha: shard 0: leader -> standby' "$TMP/$L.log"; }
check "ha: SIGCONT: the old leader steps down" wait_for 5 stepped
sleep 1
check "ha: SIGCONT: one leader" one_leader
check "ha: SIGCONT: it is $S" test "$(leader)" = "$S"
oracle "SIGSTOP"

# 3. One etcd member lost (the first endpoint): nothing changes.
changes() { cat "$TMP/A.log" "$TMP/B.log" | grep -c 'ha: shard 0: .* -> '; }
BEFORE=$(changes)
L=$(leader)
kill -KILL "${ETCD_PID[0]}"
wait "${ETCD_PID[0]}" 2>/dev/null
J=("$(mk m1)" "$(mk m2)")
sleep 1.5
fail "${J[0]}"; fail "${J[1]}"
sleep $((2 * TTL))
check "ha: one etcd member lost: no leadership change" test "$(changes)" -eq "$BEFORE"
check "ha: one etcd member lost: still $L" test "$(leader)" = "$L"
oracle "one member lost"

# 4. A second member lost: no quorum.  The leader steps down within its
# lease; nobody delivers or runs a hook; a clear log line.  Failures
# meanwhile are delivered once quorum is back.
T_Q=$(now_ms)
kill -KILL "${ETCD_PID[1]}"
wait "${ETCD_PID[1]}" 2>/dev/null
nobody() { [ -z "$(leader)" ]; }
check "ha: quorum lost: the leader steps down" wait_for $((TTL + 3)) nobody
echo "# step-down after quorum loss: $(( $(now_ms) - T_Q )) ms"
check "ha: quorum lost: a clear log line" \
    wait_for 8 grep -q 'warning: ha: shard 0: etcd: no endpoint answered' "$TMP/$L.log"
# A silence added meanwhile holds where it was added and is shared later.
SID2=$(ctl silence add -c "$TMP/ctl-$L.sock" --match watch=dds --match cluster=inst-none --for 10m 2>/dev/null)
check "ha: quorum lost: a silence is still added ($SID2)" grep -qE '^[0-9a-f]{16}$' <<<"$SID2"
J=("$(mk q1)" "$(mk q2)")
sleep 1.5
fail "${J[0]}"; fail "${J[1]}"
sleep 2
N_REF=$(ref_failed | wc -l)
check "ha: quorum lost: the reference saw the failures" test "$N_REF" -ge 17
check "ha: quorum lost: nothing delivered meanwhile" test "$(ha_failed | wc -l)" -lt "$N_REF"
check "ha: quorum lost: no hook run meanwhile" test "$(cut -d' ' -f1 "$TMP/hooks-ha.log" | sort -u | wc -l)" -lt "$(ref_fix | wc -l)"
check "ha: quorum lost: the silence could not be shared, and it says so" \
    wait_for 15 grep -q 'warning: ha: cannot share a silence in etcd' "$TMP/$L.log"
etcd_member 0
etcd_member 1
check "ha: quorum back: a leader again" wait_for 20 one_leader
O=$([ "$L" = A ] && echo B || echo A)
check "ha: quorum back: the silence reaches the other replica" \
    wait_for 15 grep -q "silence $SID2 added on another replica" "$TMP/$O.log"
oracle "quorum back"

# 5. A watch outage carried across a failover: the new leader takes the
# old one's failure state from etcd, so the outage is one watch_failed
# and one watch_recovered with the same since, not a second page.
L=$(leader); S=$([ "$L" = A ] && echo B || echo A)
wev() { sink_events ha | jq -c "select(.event == \"$1\")"; }
since_of() { jq -r '[.. | objects | .since? // empty][0]'; }
sim POST /_sim/faults '{"endpoint":"dds.jobs","status":500}' >/dev/null
has_failed() { [ "$(wev watch_failed | wc -l)" -ge 1 ]; }
check "ha: outage: the leader sends watch_failed" wait_for 15 has_failed
kill -KILL "${PID[$L]}"
wait "${PID[$L]}" 2>/dev/null
check "ha: outage: $S takes over" wait_for $((TTL + 5)) leads "$S"
sleep 2
sim DELETE /_sim/faults >/dev/null
has_recovered() { [ "$(wev watch_recovered | wc -l)" -ge 1 ]; }
check "ha: outage: watch_recovered after the failover" wait_for 15 has_recovered
check "ha: outage: one watch_failed across the failover ($(wev watch_failed | wc -l))" \
    test "$(wev watch_failed | wc -l)" -eq 1
F_SINCE=$(wev watch_failed | since_of)
R_SINCE=$(wev watch_recovered | head -n 1 | since_of)
check "ha: outage: the recovery closes the same streak ($F_SINCE, $R_SINCE)" \
    test -n "$F_SINCE" -a "$F_SINCE" = "$R_SINCE"
start "$L"
check "ha: outage: $L restarted stands by" wait_for 10 polled "$L"

# 6. The cloud API calls of the pair against the reference's, over a
# quiet window.
ref_recovered() { [ "$(sink_events ref | jq -c 'select(.event == "watch_recovered")' | wc -l)" -ge 1 ]; }
wait_for 15 ref_recovered # out of its backoff
sleep 2
P0=$(( $(polls A) + $(polls B) )) R0=$(polls ref)
sleep 20
P1=$(( $(polls A) + $(polls B) )) R1=$(polls ref)
echo "# polls in 20 s: pair $((P1 - P0)), reference $((R1 - R0))"
check "ha: the pair polls at most 1.1 x the reference ($((P1 - P0)) / $((R1 - R0)))" \
    test $(( (P1 - P0) * 10 )) -le $(( (R1 - R0) * 11 ))

# Every id from whichever replica is one the reference sent for the same
# change (a state that came and went while no replica polled at full
# rate, as during the quorum loss, is not seen; failures all are, above).
same_ids() {
	local a b
	# watch_* events are each instance's own polls (ids differ).
	# The silence's are checked where it ends.
	a=$(sink_events ha | jq -r "select((.event | startswith(\"watch_\") or . == \"silence_ended\" | not) and $NOT_Z) | .id" | sort -u)
	b=$(sink_events ref | jq -r 'select(.event | startswith("watch_") | not) | .id' | sort -u)
	comm -23 <(echo "$a") <(echo "$b") >"$TMP/missing"
	[ ! -s "$TMP/missing" ] && [ "$(echo "$a" | wc -l)" -ge 30 ]
}
check "ha: every event id the pair sent is the reference's for the same change" wait_for 10 same_ids
DUPS=$(sink_events ha | jq -r .id | sort | uniq -d | wc -l)
echo "# event ids delivered more than once (in flight at a failover): $DUPS"
check "ha: no event sent twice but those in flight at the kill -9 ($DUPS)" test "$DUPS" -le 4
check "ha: both replicas delivered some" \
    test "$(grep -c ' A$' "$TMP/hooks-ha.log")" -ge 1 -a "$(grep -c ' B$' "$TMP/hooks-ha.log")" -ge 1

# PagerDuty across the failovers: a success of each storm job's type on its
# instance resolves the incident its failure opened, whichever replica
# triggered it (the other took it into its state while the gate skipped).
pd() { sim GET /_sink/pagerduty | jq -c '.[] | .body | fromjson'; }
pd_keys() { pd | jq -r --arg a "$1" 'select(.event_action == $a and (.payload.source // "dds-k" | startswith("dds-k"))) | .dedup_key' | sort -u; }
for i in 1 2 3 4 5 6 7 8; do
	J[$i]=$(sim POST /_sim/tasks "{\"service\":\"dds\",\"name\":\"Fixk$i\",\"instance_id\":\"inst-k$i\",\"instance_name\":\"dds-k$i\",\"status\":\"Running\",\"progress\":10}" | jq -r .id)
done
sleep 1.5
for i in 1 2 3 4 5 6 7 8; do sim PATCH "/_sim/tasks/${J[$i]}" '{"status":"Completed","progress":100}' >/dev/null; done
# (A resolve carries no source: watch_recovered's, of the watch's own
# incident, is always sent and is left out by the comparison.)
pd_resolved() { [ -z "$(comm -23 <(pd_keys trigger) <(pd_keys resolve))" ]; }
check "ha: PagerDuty: the storm opened 8 incidents ($(pd_keys trigger | wc -l))" \
    test "$(pd_keys trigger | wc -l)" -eq 8
check "ha: PagerDuty: every incident resolved after the failovers" wait_for 15 pd_resolved

# A clean stop of the leader: the standby takes over at once.
L=$(leader); S=$([ "$L" = A ] && echo B || echo A)
T_TERM=$(now_ms)
kill -TERM "${PID[$L]}"
check "ha: SIGTERM: the leader resigns" wait_for 5 grep -q 'ha: shard 0: leader -> standby (resigned)' "$TMP/$L.log"
check "ha: SIGTERM: $S takes over" wait_for 5 leads "$S"
echo "# takeover after SIGTERM: $(( $(now_ms) - T_TERM )) ms"
check "ha: SIGTERM: the leader exits 0" wait "${PID[$L]}"

# A replica that takes over before its first listing (its API unreachable
# until then) has no baseline: it says what that listing cannot report.
start C http://127.0.0.1:$("$TOP/tests/bin/twtool" free-port)
c_failed() { grep -q 'watch dds: poll failed' "$TMP/C.log"; }
wait_for 10 c_failed
# A watch state in etcd the daemon could not compute with is set aside.
ectl put "/tw-$$/shard/0/watches/dds" '{"failed":true,"streak_start":-9223372036854775807,"flapping_since":0}' >/dev/null
kill -KILL "${PID[$S]}"
wait "${PID[$S]}" 2>/dev/null
check "ha: no first listing: C takes over" wait_for $((TTL + 5)) leads C
check "ha: no first listing: C logs what its baseline cannot see" \
    wait_for 5 grep -q 'warning: ha: watch dds took over before its first listing' "$TMP/C.log"
check "ha: a kept watch state out of range is ignored, and logged" \
    grep -q 'warning: ha: the state kept for watch dds is not readable: ignored' "$TMP/C.log"

if [ "$FAILS" -ne 0 ] || [ -n "${HA_SH_VERBOSE:-}" ]; then
	for n in A B C; do echo "--- $n"; grep -E 'ha:|error|warn|crit' "$TMP/$n.log" | tail -n 30; done
	echo "--- hooks"; cat "$TMP/hooks-ha.log"
	echo "--- pagerduty"; pd | jq -c '[.event_action, .dedup_key, .payload.source]'
	for id in $(cat "$TMP/missing" 2>/dev/null); do
		echo "--- $id"; grep -h "$id" "$TMP/A.log" "$TMP/B.log" "$TMP/ref.log" | cut -c1-200
	done
fi
kill "$WATCHDOG" 2>/dev/null
finish
