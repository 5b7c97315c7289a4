#!/usr/bin/env bash
# Signed end to end: every watch runs signed against the simulator (Huawei
# AK/SK, IAM token, Alibaba V2 and V3), which checks each signature.  An
# IAM token that expires mid-run is renewed with no failed poll and no
# missed event; a wrong secret gives one watch_failed (class auth) and at
# most one further attempt in the lock-out window; no nonce is ever
# reused; no secret appears in any log.
. "$(dirname "$0")/lib.sh"

CL=9f76c502-fc9c-4a52-8656-65d0da6e3d57
HPC=ehpc-hz-auth01
AK=HWAKTESTQTWAOYTTINDU
SK=hwSecretKey-4f1c9a7e-do-not-log
PW=IamPassw0rd-7d3e-do-not-log
ALI_ID=LTAI5tAuthTest
ALI_SECRET=aliSecret-9b2d-do-not-log
BAD_SK=wrongSecret-c0ffee-do-not-log
cat >"$TMP/scenario.yaml" <<YAML
accounts:
  - { name: hw, cloud: huawei, auth: [aksk, token], ak: $AK, sk: $SK,
      user: ops, password: $PW, domain: opsdomain,
      project_id: 0549b4a43100d4f32f51c01c2fe4acdb, token_lifetime: 3s }
  - { name: ali, cloud: alibaba, auth: [v2, v3], access_key_id: $ALI_ID,
      access_key_secret: $ALI_SECRET }
dws:
  clusters:
    - { id: $CL, name: dws-prod }
ehpc:
  clusters:
    - { id: $HPC, name: hpc, region: cn-hangzhou }
YAML
start_sim --scenario "$TMP/scenario.yaml"
printf '%s\n' "$PW" >"$TMP/iam.pw"
chmod 600 "$TMP/iam.pw"
export TW_AK=$AK TW_SK=$SK TW_ALI_ID=$ALI_ID TW_ALI_SECRET=$ALI_SECRET TW_BAD_SK=$BAD_SK
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon: { state_dir: $TMP/state, listen: "", shutdown_timeout: 5s }
accounts:
  - name: hw-aksk
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    auth: { method: aksk, access_key_env: TW_AK, secret_key_env: TW_SK }
    endpoints: { dds: $SIM, dws: $SIM, gaussdb: $SIM }
  - name: hw-token
    cloud: huawei
    region: cn-north-4
    auth: { method: token, user: ops, domain: opsdomain, password_file: $TMP/iam.pw }
    endpoints: { dds: $SIM, iam: $SIM }
  - name: ali-v2
    cloud: alibaba
    region: cn-hangzhou
    auth: { method: v2, access_key_id_env: TW_ALI_ID, access_key_secret_env: TW_ALI_SECRET }
    endpoints: { ehpc: $SIM }
  - name: ali-v3
    cloud: alibaba
    region: cn-hangzhou
    auth: { method: v3, access_key_id_env: TW_ALI_ID, access_key_secret_env: TW_ALI_SECRET }
    endpoints: { ehpc: $SIM }
  - name: hw-bad
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    auth: { method: aksk, access_key_env: TW_AK, secret_key_env: TW_BAD_SK }
    endpoints: { dds: $SIM }
watches:
  - { name: aksk-dds, account: hw-aksk, api: dds.jobs, interval: 500ms, timeout: 2s }
  - { name: aksk-dws, account: hw-aksk, api: dws.actions, clusters: [$CL], actions: [SNAPSHOTTING], interval: 500ms, timeout: 2s }
  - { name: aksk-gauss, account: hw-aksk, api: gaussdb.tasks, interval: 500ms, timeout: 2s }
  - { name: tok-dds, account: hw-token, api: dds.jobs, interval: 500ms, timeout: 2s }
  - { name: v2-hpc, account: ali-v2, api: ehpc.tasks, clusters: [$HPC], interval: 500ms, timeout: 2s }
  - { name: v3-hpc, account: ali-v3, api: ehpc.tasks, clusters: [$HPC], interval: 500ms, timeout: 2s }
  - { name: bad-dds, account: hw-bad, api: dds.jobs, interval: 300ms, timeout: 2s }
notifiers:
  - { name: hook, type: webhook, url: $SIM/_sink/auth, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }
YAML
J=$(sim POST /_sim/tasks '{"service":"dds","name":"RestartInstance","instance_id":"d-1","instance_name":"dds-1","status":"Running","progress":10}' | jq -r .id)
start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test "$(sim_count ehpc.ListTasks)" -ge 6
ev() { sink_events auth | jq -c "select($1)"; }
# Let the 3 s token expire at least twice while a job changes state.
sleep $((4 * SLOW))
sim PATCH "/_sim/tasks/$J" '{"status":"Failed","fail_reason":"node lost"}' >/dev/null
sleep $((4 * SLOW))

check "IAM tokens were issued more than once (renewed: $(sim_count iam.tokens))" test "$(sim_count iam.tokens)" -ge 3
for w in aksk-dds aksk-dws aksk-gauss tok-dds v2-hpc v3-hpc; do
	check "$w: polls signed and accepted, none failed" \
	    test "$(grep -c "watch $w: poll failed" "$TMP/daemon.log")" -eq 0
done
check "token renewal: the job's failure reported once on the token watch" \
    test "$(ev ".watch==\"tok-dds\" and .event==\"transition\" and .task.id==\"$J\"" | wc -l)" -eq 1
check "aksk watch saw the same failure" \
    test "$(ev ".watch==\"aksk-dds\" and .event==\"transition\" and .task.id==\"$J\"" | wc -l)" -eq 1
check "wrong secret: exactly one watch_failed" test "$(ev '.event=="watch_failed"' | wc -l)" -eq 1
check "wrong secret: class auth on the bad watch" \
    test "$(ev '.event=="watch_failed"' | jq -r '.watch + " " + .error.class')" = "bad-dds auth"
fails=$(sim GET /_sim/requests | jq -r '.auth_fail["APIG.0301"] // 0')
check "wrong secret: no further attempt in the lock-out ($fails refused)" test "$fails" -le 2
check "the log names the account and the server's answer" \
    grep -q "account hw-bad: authentication failed (HTTP 401 APIG.0301" "$TMP/daemon.log"
check "no Alibaba nonce was ever reused" \
    test "$(sim GET /_sim/requests | jq -r '.auth_fail.SignatureNonceUsed // 0')" -eq 0
check "no signature refused for the good accounts" \
    test "$(sim GET /_sim/requests | jq -r '[.auth_fail | to_entries[] | select(.key != "APIG.0301") | .value] | add // 0')" -eq 0
stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
leaks=0
for s in "$SK" "$PW" "$ALI_SECRET" "$BAD_SK"; do
	grep -qF -- "$s" "$TMP/daemon.log" "$TMP/daemon.out" "$TMP/sim.log" && leaks=$((leaks + 1))
done
check "no secret in any log (debug tracing on)" test "$leaks" -eq 0
check "debug tracing redacted the Authorization header" grep -q 'Authorization: REDACTED' "$TMP/daemon.log"
[ "$FAILS" -eq 0 ] || { grep -E "poll failed|authentication|token" "$TMP/daemon.log" | head -20; sim GET /_sim/requests; }
finish
