#!/usr/bin/env bash
# clusters: all.  A DWS watch discovers its clusters through DWS
# ListClusters and an E-HPC 1.0 watch through E-HPC ListClusters (paged,
# per region), both against the simulator.  A cluster added later is
# found (its appear line, a baseline, then its failure pages); a cluster
# left out of one answer forgets nothing and its failure meanwhile still
# pages; a deleted cluster is forgotten only after two discoveries;
# cluster_names filters by name; a discovery failing before its first
# success fails the watch, after it keeps the last list and shows on
# /healthz.  discover_interval is 1s, its lower bound, so that the test
# sees re-discoveries in seconds.
. "$(dirname "$0")/lib.sh"

start_sim
HPORT=$("$TOP/tests/bin/twtool" free-port)
PROJ=0549b4a43100d4f32f51c01c2fe4acdb
sim POST /_sim/clusters '{"kind":"dws","id":"d1","name":"orders-eu"}' >/dev/null
sim POST /_sim/clusters '{"kind":"dws","id":"d2","name":"orders-us"}' >/dev/null
sim POST /_sim/clusters '{"kind":"dws","id":"d9","name":"bi-lab"}' >/dev/null
sim POST /_sim/clusters '{"kind":"ehpc","id":"e1","name":"render","region":"cn-hangzhou"}' >/dev/null
sim POST /_sim/clusters '{"kind":"ehpc","id":"e2","name":"sim","region":"cn-hangzhou"}' >/dev/null
sim POST /_sim/clusters '{"kind":"ehpc","id":"e3","name":"far","region":"cn-beijing"}' >/dev/null
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
logical() { mk "{\"service\":\"dws.logical\",\"instance_id\":\"$1\",\"name\":\"$2\",\"logical_cluster\":\"lc1\",\"status\":\"running\"}"; }
L1=$(logical d1 expand)
L2=$(logical d2 expand)
L9=$(logical d9 expand)
H1=$(mk '{"service":"ehpc","instance_id":"e1","name":"AddComputes","status":"Processing"}')
H2=$(mk '{"service":"ehpc","instance_id":"e2","name":"AddComputes","status":"Processing"}')

cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: 127.0.0.1:$HPORT
  control_socket: ""
  shutdown_timeout: 2s
accounts:
  - name: hw
    cloud: huawei
    region: sim-1
    project_id: $PROJ
    endpoints: { dws: $SIM }
  - name: ali
    cloud: alibaba
    region: cn-hangzhou
    endpoints: { ehpc: $SIM }
watches:
  - { name: orders, account: hw, api: dws.logical_tasks, clusters: all, cluster_names: ["orders-*"], discover_interval: 1s, interval: 300ms, fail_after: 3 }
  - { name: hpc, account: ali, api: ehpc.tasks, clusters: all, discover_interval: 1s, interval: 300ms, fail_after: 2 }
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
YAML
start_daemon "$TMP/taskwatchd.yaml"
log() { grep -c "$1" "$TMP/daemon.log"; }
has() { grep -q "$1" "$TMP/daemon.log"; }

check "dws: both orders-* clusters appear" \
    wait_for 10 eval 'has "watch orders: cluster d1 (orders-eu) appeared; its tasks get a baseline" && has "watch orders: cluster d2 (orders-us) appeared"'
check "dws: cluster_names leaves bi-lab out" test "$(log 'cluster d9')" -eq 0
check "ehpc: the two clusters of the region appear" \
    wait_for 10 eval 'has "watch hpc: cluster e1 (render) appeared" && has "watch hpc: cluster e2 (sim) appeared"'
check "ehpc: the cluster of another region is not polled" test "$(log 'cluster e3')" -eq 0
check "both watches baselined their tasks" \
    wait_for 10 eval 'has "watch orders: baseline of 2 tasks" && has "watch hpc: baseline of 2 tasks"'
check "the simulator served both list-clusters calls" \
    test "$(sim_count dws.clusters)" -ge 1 -a "$(sim_count ehpc.ListClusters)" -ge 1

# A failure on each discovered cluster pages.
sim PATCH "/_sim/tasks/$L1" '{"status":"failed","fail_reason":"disk full"}' >/dev/null
sim PATCH "/_sim/tasks/$H2" '{"status":"Failed"}' >/dev/null
fails() { test "$(sink_count hook ".event==\"transition\" and .task.state==\"FAILED\" and .watch==\"$1\"")" -ge "$2"; }
check "dws: a failure on a discovered cluster pages" wait_for 10 fails orders 1
check "ehpc: a failure on a discovered cluster pages" wait_for 10 fails hpc 1
check "the bi-lab task was never polled" \
    test "$(sink_count hook ".task.cluster_id==\"d9\"")" -eq 0

# A cluster added in the simulator is discovered: baselined, then it pages.
sim POST /_sim/clusters '{"kind":"dws","id":"d3","name":"orders-ap"}' >/dev/null
L3=$(logical d3 expand)
check "a new cluster appears with one line" \
    wait_for 10 has "watch orders: cluster d3 (orders-ap) appeared; its tasks get a baseline"
check "its task is baselined (no appeared event)" \
    wait_for 10 has "watch orders: baseline of 1 tasks in new scopes"
check "no appeared event for it" test "$(sink_count hook '.event=="appeared"')" -eq 0
sim PATCH "/_sim/tasks/$L3" '{"status":"failed","fail_reason":"node lost"}' >/dev/null
check "then its failure pages" wait_for 10 fails orders 2

# Hidden from one answer: nothing forgotten, its failure meanwhile pages,
# no second baseline.
n0=$(sim_count dws.clusters)
sim POST /_sim/clusters/dws/d2/hide '{"answers":1}' >/dev/null
check "a cluster left out of one answer is noticed" \
    wait_for 10 eval 'has "cluster d2 (orders-us) is not in the cluster list" || has "cluster d2 (orders-us) is gone"'
sim PATCH "/_sim/tasks/$L2" '{"status":"failed","fail_reason":"hidden but failing"}' >/dev/null
check "it is still polled meanwhile" \
    has "watch orders: cluster d2 (orders-us) is not in the cluster list; still polled"
check "the next discovery (at the next poll) lists it again" \
    wait_for 10 has "watch orders: cluster d2 (orders-us) is listed again"
check "its failure while hidden pages" wait_for 10 fails orders 3
check "nothing of it was forgotten" test "$(log 'cluster d2 (orders-us) is gone')" -eq 0
check "it was not baselined again" test "$(log 'cluster d2 (orders-us) appeared')" -eq 1
check "the confirming discovery came at the next poll, not 1s later" \
    test "$(sim_count dws.clusters)" -ge $((n0 + 2))

# Deleted: forgotten only after two discoveries lack it.
sim DELETE /_sim/clusters/dws/d1 >/dev/null
check "a deleted cluster is noticed" \
    wait_for 10 has "watch orders: cluster d1 (orders-eu) is not in the cluster list"
check "and forgotten after the confirming discovery, with its tasks" \
    wait_for 10 has "watch orders: cluster d1 (orders-eu) is gone; 1 tasks forgotten"
check "no vanished event for its task" test "$(sink_count hook '.event=="vanished"')" -eq 0
check "its failing listings until then did not fail the watch (fail_after 3)" \
    test "$(sink_count hook '.event=="watch_failed"')" -eq 0

# A failed re-discovery keeps the last list and shows on /healthz.
sim POST /_sim/faults '{"endpoint":"ehpc.ListClusters","status":500}' >/dev/null
check "a failed re-discovery is logged" \
    wait_for 10 has "watch hpc: cluster discovery (E-HPC ListClusters): HTTP 500"
healthz() { curl -s -m 5 "http://127.0.0.1:$HPORT/healthz" | grep -q "watch hpc: cluster discovery (E-HPC ListClusters).*polling the 2 clusters found before"; }
check "/healthz shows it (degraded)" wait_for 5 healthz
api() { curl -s -m 5 "http://127.0.0.1:$HPORT/api/v1/watches" | jq -r ".[] | select(.name==\"$1\") | $2"; }
check "/api/v1/watches: the discovered clusters" test "$(api hpc '.clusters | join(",")')" = "e1,e2"
check "/api/v1/watches: the discovery error" \
    eval 'api hpc .discover_error | grep -q "^cluster discovery (E-HPC ListClusters): HTTP 500"'
check "/api/v1/watches: orders polls d2 and d3" test "$(api orders '.clusters | join(",")')" = "d2,d3"
check "taskwatchctl watches: the failing discovery, after the table" \
    sh -c "\"$TOP/bin/taskwatchctl\" watches -s 127.0.0.1:$HPORT | grep -q '^hpc: cluster discovery (E-HPC ListClusters): HTTP 500.*; polling the 2 clusters found before\$'"
t0=$(sim_count ehpc.ListTasks)
listed() { test "$(sim_count ehpc.ListTasks)" -ge $((t0 + 4)); }
check "the watch still polls its clusters" wait_for 5 listed
check "the watch did not fail" test "$(sink_count hook '.event=="watch_failed"')" -eq 0
sim DELETE /_sim/faults >/dev/null
check "it recovers with one line" wait_for 10 has "watch hpc: cluster discovery works again"
check "/healthz is healthy again" wait_for 5 eval '! healthz'

# A reload from clusters: all to a literal list and back: the cluster that
# stays keeps its tasks (no second appear line, no event), the others are
# dropped by the literal list and found again by the discovery.
e0=$(sink_events hook | wc -l)
sed -i 's/clusters: all, cluster_names: \["orders-\*"\], discover_interval: 1s/clusters: [d2]/' "$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
check "reload to a literal list: the other scope is dropped" \
    wait_for 10 has "watch orders: scope changed to 1 scope; 1 tasks of removed scopes forgotten"
sleep 1
sed -i 's/clusters: \[d2\]/clusters: all, cluster_names: ["orders-*"], discover_interval: 1s/' "$TMP/taskwatchd.yaml"
kill -HUP "$DAEMON_PID"
check "reload back to all: the dropped cluster is found again" \
    wait_for 10 eval 'test "$(log "cluster d3 (orders-ap) appeared")" -eq 2'
check "reload back to all: the kept cluster did not appear again" \
    test "$(log 'cluster d2 (orders-us) appeared')" -eq 1
check "both reloads kept the watch" test "$(log 'reloaded: 2 watches (2 kept')" -eq 2
sleep 1
check "no event from the two reloads" test "$(sink_events hook | wc -l)" -eq "$e0"
stop_daemon
check "daemon exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0

# A restart keeps the discovered clusters' tasks; a cluster deleted while
# the daemon was down is forgotten after two discoveries, the rest stay.
sim DELETE /_sim/clusters/dws/d3 >/dev/null
mv "$TMP/daemon.log" "$TMP/daemon1.log"
start_daemon "$TMP/taskwatchd.yaml"
check "restart: tasks restored, none dropped" \
    wait_for 10 eval 'grep -q "restored .* tasks" "$TMP/daemon.log" && ! grep -q "saved tasks dropped" "$TMP/daemon.log"'
check "restart: the cluster deleted meanwhile is forgotten after confirmation" \
    wait_for 10 has "watch orders: cluster d3 is gone; 1 tasks forgotten"
check "restart: no cluster appeared again" test "$(log 'appeared;')" -eq 0
stop_daemon

# Discovery failing before its first success fails the watch.
sim POST /_sim/faults '{"endpoint":"dws.clusters","status":500}' >/dev/null
cat >"$TMP/fresh.yaml" <<YAML
daemon:
  state_dir: $TMP/state2
  listen: ""
  control_socket: ""
  shutdown_timeout: 2s
accounts:
  - name: hw
    cloud: huawei
    region: sim-1
    project_id: $PROJ
    endpoints: { dws: $SIM }
watches:
  - { name: fresh, account: hw, api: dws.logical_tasks, clusters: all, interval: 200ms, fail_after: 2 }
notifiers:
  - name: hook2
    type: webhook
    url: $SIM/_sink/hook2
YAML
mv "$TMP/daemon.log" "$TMP/daemon2.log"
start_daemon "$TMP/fresh.yaml"
failed2() { test "$(sink_count hook2 '.event=="watch_failed" and .watch=="fresh"')" -eq 1; }
check "discovery failing before a success: watch_failed" wait_for 10 failed2
check "its error names the discovery" \
    test "$(sink_events hook2 | jq -r 'select(.event=="watch_failed") | .error.message' | grep -c '^cluster discovery (DWS ListClusters): HTTP 500')" -eq 1
check "logged with the discovery's error" \
    has "watch fresh: poll failed (http): cluster discovery (DWS ListClusters): HTTP 500"
sim DELETE /_sim/faults >/dev/null
recovered2() { test "$(sink_count hook2 '.event=="watch_recovered"')" -eq 1; }
check "it recovers once the list can be read (after its backoff)" \
    wait_for 40 recovered2
stop_daemon

# Signed: the list-clusters requests are signed like the listings (AK/SK,
# an IAM token whose project the daemon learns from it, Alibaba V2 and
# V3), and the simulator checks every signature.
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; rm -f "$TMP/sim.port"
AK=HPUADISCOVERTEST01; SK=discoverSecret-do-not-log; PW=discoverPw-do-not-log
ALI_ID=LTAI5tDiscover; ALI_SECRET=aliDiscover-do-not-log
cat >"$TMP/scenario.yaml" <<YAML
accounts:
  - { name: hw, cloud: huawei, auth: [aksk, token], ak: $AK, sk: $SK,
      user: ops, password: $PW, domain: opsdomain, project_id: $PROJ }
  - { name: ali, cloud: alibaba, auth: [v2, v3], access_key_id: $ALI_ID,
      access_key_secret: $ALI_SECRET }
dws:
  clusters:
    - { id: s1, name: signed-dws }
ehpc:
  clusters:
    - { id: h1, name: signed-hpc, region: cn-hangzhou }
YAML
start_sim --scenario "$TMP/scenario.yaml"
printf '%s\n' "$PW" >"$TMP/iam.pw"
chmod 600 "$TMP/iam.pw"
export TW_AK=$AK TW_SK=$SK TW_ALI_ID=$ALI_ID TW_ALI_SECRET=$ALI_SECRET
cat >"$TMP/signed.yaml" <<YAML
daemon: { state_dir: $TMP/state3, listen: "", control_socket: "", shutdown_timeout: 2s }
accounts:
  - { name: aksk, cloud: huawei, region: cn-north-4, project_id: $PROJ,
      auth: { method: aksk, access_key_env: TW_AK, secret_key_env: TW_SK },
      endpoints: { dws: $SIM } }
  - { name: token, cloud: huawei, region: cn-north-4,
      auth: { method: token, user: ops, domain: opsdomain, password_file: $TMP/iam.pw },
      endpoints: { dws: $SIM, iam: $SIM } }
  - { name: v2, cloud: alibaba, region: cn-hangzhou,
      auth: { method: v2, access_key_id_env: TW_ALI_ID, access_key_secret_env: TW_ALI_SECRET },
      endpoints: { ehpc: $SIM } }
  - { name: v3, cloud: alibaba, region: cn-hangzhou,
      auth: { method: v3, access_key_id_env: TW_ALI_ID, access_key_secret_env: TW_ALI_SECRET },
      endpoints: { ehpc: $SIM } }
watches:
  - { name: s-aksk, account: aksk, api: dws.actions, clusters: all, actions: [SNAPSHOTTING], interval: 300ms }
  - { name: s-token, account: token, api: dws.logical_tasks, clusters: all, interval: 300ms }
  - { name: s-v2, account: v2, api: ehpc.tasks, clusters: all, interval: 300ms }
  - { name: s-v3, account: v3, api: ehpc.tasks, clusters: all, interval: 300ms }
YAML
mv "$TMP/daemon.log" "$TMP/daemon3.log"
start_daemon "$TMP/signed.yaml"
for w in s-aksk:s1 s-token:s1 s-v2:h1 s-v3:h1; do
	check "signed ${w%%:*}: its cluster is discovered" \
	    wait_for 10 has "watch ${w%%:*}: cluster ${w#*:} (signed-"
done
polled3() { test "$(sim_count dws.logical)" -ge 2 -a "$(sim_count ehpc.ListTasks)" -ge 4 -a "$(sim_count dws.actions)" -ge 2; }
check "signed: the discovered clusters are polled" wait_for 10 polled3
check "signed: no request was refused" \
    test "$(sim GET /_sim/requests | jq -r '.auth_fail | length')" -eq 0
check "signed: no poll failed" test "$(log 'poll failed')" -eq 0
check "signed: no secret in the log" \
    test "$(grep -c -e "$SK" -e "$PW" -e "$ALI_SECRET" "$TMP/daemon.log")" -eq 0
stop_daemon
finish
