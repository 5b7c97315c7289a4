#!/usr/bin/env bash
# DWS actions, a page-on-failure rule and the real Alertmanager (Debian's
# prometheus-alertmanager on a private 127.0.0.1 port, no clustering).
# The only rule is `to: [FAILED, PARTIAL]` -> [page, am] (critical); a
# second webhook gets every event.  A SNAPSHOTTING run fails and DWS shows
# SNAPSHOTTING_FAILED: two critical pages, two firing alerts.  A new
# SNAPSHOTTING starts and replaces the failed run: `replaced` (info), no
# page, no CloudTaskVanished.  It succeeds: no rule routes that to am, yet
# both alerts (the run's and SNAPSHOTTING_FAILED's, whose base action is
# SNAPSHOTTING) are resolved early.  All of it twice: DWS sending an
# action's id unchanged, and generating it anew for every answer
# (taskwatch-sim --fresh-action-ids).
if [ -z "${DWS_IDS:-}" ]; then
	DWS_IDS=stable bash "$0"; rc=$?
	DWS_IDS=fresh bash "$0" || rc=1
	exit $rc
fi
. "$(dirname "$0")/lib.sh"
PFX="$PFX$DWS_IDS ids: "

AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
TWTOOL=$TOP/tests/bin/twtool
AM_PID=
if [ ! -x "$AM_BIN" ]; then
	echo "ok - dws_alerts # SKIP $AM_BIN not installed (make deps)"
	exit 0
fi
trap '[ -n "$AM_PID" ] && kill -TERM "$AM_PID" 2>/dev/null; cleanup' EXIT

cat >"$TMP/am.yml" <<'YAML'
route:
  receiver: "null"
receivers:
  - name: "null"
YAML

# start_am: Alertmanager on a free port with empty storage; sets AM, AM_PID.
start_am() {
	local try port
	for try in 1 2 3 4 5; do
		if [ -x "$TWTOOL" ]; then port=$("$TWTOOL" free-port)
		else port=$((20000 + RANDOM % 20000)); fi
		"$AM_BIN" --config.file="$TMP/am.yml" \
		    --storage.path="$TMP/am-data" \
		    --web.listen-address="127.0.0.1:$port" \
		    --cluster.listen-address= --log.level=warn \
		    >>"$TMP/am.log" 2>&1 &
		AM_PID=$!
		AM=http://127.0.0.1:$port
		if wait_for 10 curl -sf -o /dev/null "$AM/-/ready"; then
			return 0
		fi
		kill -TERM "$AM_PID" 2>/dev/null; wait "$AM_PID" 2>/dev/null
		AM_PID=
	done
	echo "alertmanager did not start"; cat "$TMP/am.log"; exit 1
}

# Active alerts of Alertmanager matching a jq select(), and how many.
alerts() {
	curl -sf -m 5 "$AM/api/v2/alerts?active=true&silenced=false&inhibited=false" |
	    jq -c ".[] | select(.status.state==\"active\") | select($1)"
}
nalerts() { alerts "$1" | wc -l; }
firing() { test "$(nalerts ".labels.task_id==\"$1\"")" -ge 1; }
resolved() { test "$(nalerts ".labels.task_id==\"$1\"")" -eq 0; }

start_am
if [ "$DWS_IDS" = fresh ]; then start_sim --fresh-action-ids; else start_sim; fi
CL=5e7c2a4d-1c7e-4b8e-9d3f-2a6b8c0d1e2f
sim POST /_sim/clusters "{\"kind\":\"dws\",\"id\":\"$CL\",\"name\":\"dws-prod\"}" >/dev/null
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon: { state_dir: $TMP/state, listen: "", shutdown_timeout: 5s }
accounts:
  - name: hw
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    endpoints: { dws: $SIM }
watches:
  - { name: dws-act, account: hw, api: dws.actions, clusters: [$CL], interval: 300ms, timeout: 2s }
notifiers:
  - { name: page, type: webhook, url: $SIM/_sink/page, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
  - { name: all, type: webhook, url: $SIM/_sink/all, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
  - name: am
    type: alertmanager
    urls: [$AM]
    resolve_after: 1h
    repeat: 1s
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
rules:
  - name: page-on-failure
    match: { to: [FAILED, PARTIAL] }
    severity: critical
    notify: [page, am]
    continue: true
  - name: everything
    notify: [all]
YAML
start_daemon "$TMP/taskwatchd.yaml"
# Every action scope has its baseline before anything happens.
wait_for 10 test "$(sim_count dws.actions)" -ge 24

mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
# dws_key SIM-ID: the task key of a SNAPSHOTTING run, BASE@submit-time.
dws_key() { sim GET "/_sim/tasks/$1" | jq -r '"SNAPSHOTTING@" + .created'; }
all() { sink_events all | jq -c "select($1)"; }
nall() { all "$1" | wc -l; }
has_all() { test "$(nall "$1")" -ge 1; }
npage() { sink_count page "$1"; }

# A snapshot runs and fails; DWS then shows SNAPSHOTTING_FAILED.
AID=$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\",\"progress\":20}")
A=$(dws_key "$AID")
wait_for 10 has_all ".task.id==\"$A\" and .event==\"appeared\""
sim PATCH "/_sim/tasks/$AID" '{"status":"FAILED","fail_reason":"OBS write failed"}' >/dev/null
# Shown as an action of its own: a later submit time (DWS times are whole
# seconds; one of the same second would be the run itself).
sleep 1.1
F=$(dws_key "$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"SNAPSHOTTING_FAILED\",\"status\":\"FAILED\",\"fail_reason\":\"OBS write failed\"}")")
wait_for 10 firing "$A"
wait_for 10 firing "$F"
check "failed SNAPSHOTTING is a firing alert" firing "$A"
check "SNAPSHOTTING_FAILED is a firing alert" firing "$F"
two_pages() { test "$(npage '.severity=="critical"')" -eq 2; }
wait_for 10 two_pages
check "two critical pages" two_pages
check "SNAPSHOTTING_FAILED carries its base action" test \
    "$(all ".task.id==\"$F\"" | jq -r .task.base_type | head -n1)" = SNAPSHOTTING

# A new SNAPSHOTTING starts: DWS shows it in place of the failed run.
sleep 1.1 # a later submit_time (DWS times are whole seconds)
BID=$(mk "{\"service\":\"dws.actions\",\"instance_id\":\"$CL\",\"name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\",\"progress\":5}")
B=$(dws_key "$BID")
wait_for 10 has_all ".task.id==\"$A\" and .event==\"replaced\""
check "the failed run is replaced, not vanished" test \
    "$(all ".task.id==\"$A\" and (.event==\"replaced\" or .event==\"vanished\")" | jq -r '.event + " " + .severity')" = "replaced info"
check "replaced summary" test \
    "$(all ".task.id==\"$A\" and .event==\"replaced\"" | jq -r .summary)" = \
    "dws-act: SNAPSHOTTING on dws-prod replaced by a newer SNAPSHOTTING (last FAILED)"
sleep 1
check "no second critical page" test "$(npage '.severity=="critical"')" -eq 2
check "nothing about the replaced run paged" test "$(npage ".task.id==\"$A\" and .event!=\"transition\"")" -eq 0
check "no CloudTaskVanished alert" test "$(nalerts '.labels.alertname=="CloudTaskVanished"')" -eq 0
check "the failure alert stays until a success" firing "$A"

# The new run succeeds: no rule routes that to am, yet it resolves both.
sim PATCH "/_sim/tasks/$BID" '{"status":"SUCCESS","progress":100}' >/dev/null
wait_for 10 has_all ".task.id==\"$B\" and .task.state==\"SUCCEEDED\""
wait_for 10 resolved "$A"
wait_for 10 resolved "$F"
check "the run's alert is resolved early" resolved "$A"
check "SNAPSHOTTING_FAILED's alert is resolved by SNAPSHOTTING's success" resolved "$F"
check "the success paged nobody" test "$(npage ".task.id==\"$B\"")" -eq 0

stop_daemon
check "daemon exits 0" test "$DAEMON_RC" -eq 0
finish
