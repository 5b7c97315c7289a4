#!/usr/bin/env bash
# Static sharding: one simulator with five DWS clusters and DDS, three
# taskwatchd shards (daemon.shard 0/3 in the file; -S 1/3; -S 2/3 over a
# file saying 0/3) and one unsharded reference, each with its own
# state_dir and webhook sink.  The watches: dws.actions over a literal
# list of the five clusters, dws.logical_tasks with clusters: all, and
# two DDS watches (project-wide).  The same failures reach all four; the
# union of the shards' event ids equals the reference's, event for event;
# every poll unit is polled by exactly one shard (read from each daemon's
# request log) and the shards own what /api/v1/watches says, which is
# what an independent MD5 (python3 hashlib) computes.  Then shard 0
# restarts as 1/3 on its state: the saved units of another shard are
# dropped (logged) and the newly owned ones get a silent baseline.
. "$(dirname "$0")/lib.sh"
TWTOOL=$TOP/tests/bin/twtool
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; cleanup' EXIT

start_sim
PROJ=0549b4a43100d4f32f51c01c2fe4acdb
CLS=()
for i in 0 1 2 3 4; do
	CLS+=("5e7c2a4d-1c7e-4b8e-9d3f-2a6b8c0d1e0$i")
	sim POST /_sim/clusters "{\"kind\":\"dws\",\"id\":\"${CLS[$i]}\",\"name\":\"dws-$i\"}" >/dev/null
done
LIST=$(IFS=,; echo "${CLS[*]}")

# conf NAME SHARD-LINE: a config whose events go to the sink NAME.
conf() {
	cat <<YAML
daemon:
  state_dir: $TMP/state-$1
  listen: 127.0.0.1:$2
  control_socket: ""
  shutdown_timeout: 2s
$3
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: $PROJ
    endpoints: { dws: $SIM, dds: $SIM }
watches:
  - { name: dws, account: sim, api: dws.actions, clusters: [$LIST], actions: [SNAPSHOTTING, RESTORING], interval: 400ms, timeout: 2s }
  - { name: dwsl, account: sim, api: dws.logical_tasks, clusters: all, interval: 400ms, timeout: 2s }
  - { name: dds, account: sim, api: dds.jobs, interval: 400ms, timeout: 2s }
  - { name: dds-b, account: sim, api: dds.jobs, interval: 400ms, timeout: 2s }
notifiers:
  - { name: sink, type: webhook, url: $SIM/_sink/$1, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
rules:
  - { name: all, notify: [sink] }
YAML
}

declare -A API PID
# start NAME SHARD-LINE [ARGS...]: a daemon logging to $TMP/NAME.log.
start() {
	local name=$1 line=$2 port
	shift 2
	port=$("$TWTOOL" free-port)
	API[$name]=http://127.0.0.1:$port
	conf "$name" "$port" "$line" >"$TMP/$name.yaml"
	"$TOP/bin/taskwatchd" -dv -f "$TMP/$name.yaml" "$@" \
	    >>"$TMP/$name.log" 2>&1 &
	PID[$name]=$!
	PIDS+=($!)
}
# stop NAME: SIGTERM, wait for the exit.
stop() {
	kill -TERM "${PID[$1]}" 2>/dev/null
	wait_for 10 eval '! kill -0 '"${PID[$1]}"' 2>/dev/null'
	wait "${PID[$1]}" 2>/dev/null
}
SHARDS="s0 s1 s2"
start s0 '  shard: { index: 0, count: 3 }'
start s1 '' -S 1/3
start s2 '  shard: { index: 0, count: 3 }' -S 2/3
start ref ''

# watches NAME: the daemon's /api/v1/watches.
watches() { curl -sf -m 5 "${API[$1]}/api/v1/watches"; }
# ready NAME: the 12 units known (the clusters discovered), every watch
# with a unit polled twice (its baseline saved).
ready() {
	watches "$1" | jq -e '([.[] | (.units | length) + .units_other] | add == 12) and
	    all(.[] | select(.units | length > 0); .polls_ok >= 2)' >/dev/null
}
for n in $SHARDS ref; do wait_for 30 ready "$n"; done
for n in $SHARDS ref; do check "$n polled every unit it owns" ready "$n"; done

# The same failures for every instance: a run that fails on each cluster
# (an action and a logical-cluster task), and on DDS.
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
RUNS=() # ID:the vendor's failure word
for c in "${CLS[@]}"; do
	RUNS+=("$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$c\",\"name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\",\"progress\":10}"):FAILED")
	RUNS+=("$(mk "{\"service\":\"dws.logical\",\"instance_id\":\"$c\",\"logical_cluster\":\"lc1\",\"name\":\"Expand\",\"status\":\"running\"}"):failed")
done
RUNS+=("$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}'):Failed")
sleep 1.5
for f in "${RUNS[@]}"; do
	sim PATCH "/_sim/tasks/${f%%:*}" "{\"status\":\"${f#*:}\",\"fail_reason\":\"disk full\"}" >/dev/null
done

ids() { sink_events "$1" | jq -r .id | sort; }
union() { for n in $SHARDS; do ids "$n"; done | sort; }
# 11 runs appear and fail in the reference; the DDS one in two watches.
settled() {
	test "$(ids ref | wc -l)" -ge 24 && test "$(union)" == "$(ids ref)"
}
wait_for 40 settled
nref=$(ids ref | wc -l)
check "the reference got its events ($nref)" test "$nref" -ge 24
check "the union of the shards' event ids is the reference's, event for event" \
    test "$(union)" == "$(ids ref)"
check "no event is sent by two shards" test -z "$(union | uniq -d)"
for n in $SHARDS; do
	check "$n sent events of its own units" test "$(ids "$n" | wc -l)" -ge 1
done

# units NAME: the poll units the daemon's requests went to, from its log.
units() {
	sed -nE -e 's#.*http: > GET [^ ]*/clusters/([^/?]+)/actions/.*#dws/\1#p' \
	    -e 's#.*http: > GET [^ ]*/clusters/([^/?]+)/.*#dwsl/\1#p' \
	    -e 's#.*http: > GET [^ ]*/jobs.*#dds*#p' "$TMP/$1.log" | sort -u
}
# The DDS watches both list /jobs: tell them apart by what the API says.
owned() { watches "$1" | jq -r '.[] | .units[]' | sort; }
polled() { units "$1" | grep -v '^dds\*$'; }
python_owner() {
	python3 -c 'import hashlib,sys
print(int.from_bytes(hashlib.md5(sys.argv[1].encode()).digest()[8:], "big") % 3)' "$1"
}
all_units=$( (for c in "${CLS[@]}"; do echo "dws/$c"; echo "dwsl/$c"; done; echo dds; echo dds-b) | sort)
check "the reference polls every cluster unit" test "$(polled ref)" == "$(grep -v '^dds' <<<"$all_units")"
check "the reference owns every unit" test "$(owned ref)" == "$all_units"
ok_owner=1
for u in $all_units; do
	want=s$(python_owner "$u")
	for n in $SHARDS; do
		has=$(owned "$n" | grep -cx "$u")
		if [ "$n" = "$want" ] && [ "$has" -ne 1 ]; then ok_owner=0; echo "# $u: not owned by $n"; fi
		if [ "$n" != "$want" ] && [ "$has" -ne 0 ]; then ok_owner=0; echo "# $u: also owned by $n"; fi
	done
done
check "each unit is owned by the shard its MD5 hashmod names" test "$ok_owner" -eq 1
ok_poll=1
for n in $SHARDS; do
	if [ "$(polled "$n")" != "$(owned "$n" | grep -v '^dds')" ]; then
		ok_poll=0; echo "# $n polled:" $(polled "$n"); echo "# $n owns:" $(owned "$n")
	fi
done
check "each shard polled exactly the cluster units it owns" test "$ok_poll" -eq 1
check "no cluster unit is polled by two shards" test -z "$(for n in $SHARDS; do polled "$n"; done | sort | uniq -d)"
check "every cluster unit is polled by a shard" test \
    "$(for n in $SHARDS; do polled "$n"; done | sort)" == "$(polled ref)"
# DDS: "dds" hashes to 1, "dds-b" to 0; shard 2 asks DDS nothing.
check "shard 2 sends no DDS request" test -z "$(units s2 | grep '^dds')"
check "shard 2 shows dds as another shard's" test \
    "$(watches s2 | jq -c '.[] | select(.name=="dds") | [.units, .units_other, .shard]')" == '[[],1,{"index":2,"count":3}]'
check "shard 1 owns dds" test "$(watches s1 | jq -c '.[] | select(.name=="dds") | .units')" == '["dds"]'
check "the reference is unsharded" test "$(watches ref | jq -c '.[0].shard')" == null
check "units_other counts the clusters of the other shards" test \
    "$(watches s0 | jq '[.[] | (.units | length) + .units_other] | add')" -eq 12
check "taskwatch_shard on /metrics" grep -q '^taskwatch_shard{index="2",count="3"} 1' <(curl -sf "${API[s2]}/metrics")
check "-S is logged" grep -q 'shard 2 of 3 (from -S)' "$TMP/s2.log"
ctl=$("$TOP/bin/taskwatchctl" watches -s "${API[s2]#http://}")
sed 's/^/# /' <<<"$ctl"
check "taskwatchctl watches: a UNITS column" grep -qE '^WATCH .* UNITS$' <<<"$ctl"
check "taskwatchctl watches: dds is polled elsewhere" grep -qE '^dds +dds.jobs +sim +400ms +elsewhere ' <<<"$ctl"
check "taskwatchctl watches: dds is polled by another shard" grep -qx '  dds: nothing (1 unit on other shards)' <<<"$ctl"
check "taskwatchctl watches: the units shard 2 polls" grep -qx "  dws: dws/${CLS[4]} (4 units on other shards)" <<<"$ctl"
check "taskwatchctl watches: no UNITS unsharded" test -z "$("$TOP/bin/taskwatchctl" watches -s "${API[ref]#http://}" | grep -E 'UNITS|^shard')"

# Shard 0 restarts as 1/3 on its own state: 0's units are dropped, 1's
# get a baseline (their failed runs are no news: no event).
before=$(ids s0 | wc -l)
stop s0
start s0 '  shard: { index: 0, count: 3 }' -S 1/3
restarted() { ready s0 && test "$(owned s0)" == "$(owned s1)"; }
wait_for 20 restarted
check "the reshard drops the saved units of other shards (logged)" \
    grep -q 'saved scopes belong to other shards than 1 of 3' "$TMP/s0.log"
check "the reshard dropped dds-b's tasks (logged)" \
    grep -q 'watch dds-b: another shard than 1 of 3 owns it' "$TMP/s0.log"
check "it now owns shard 1's units" test "$(owned s0)" == "$(owned s1)"
sleep 1
check "newly owned units get a silent baseline" test "$(ids s0 | wc -l)" -eq "$before"

# A reload does not move units: the shard waits for the next start.
sed -i 's/^  shutdown_timeout: 2s$/&\n  shard: { index: 1, count: 2 }/' "$TMP/ref.yaml"
kill -HUP "${PID[ref]}"
reload_said() { grep -q 'reload: daemon.shard takes effect at the next start; still unsharded' "$TMP/ref.log"; }
wait_for 10 reload_said
check "a reload that changes daemon.shard says it waits for a restart" reload_said
check "and the reference still owns every unit" test "$(owned ref)" == "$all_units"
check "-S 3/3 is refused" test "$("$TOP/bin/taskwatchd" -n -S 3/3 -f "$TMP/ref.yaml" 2>&1 >/dev/null | head -n1)" == \
    "taskwatchd: -S 3/3: INDEX must be less than COUNT (0..COUNT-1)"

for n in $SHARDS ref; do stop "$n"; done
check "no daemon logged a warning about sharding but the reload" test -z "$(grep -h 'shard' "$TMP"/*.log | grep -iE 'warn|crit|err' | grep -v 'reload: daemon.shard')"
finish
