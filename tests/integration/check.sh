#!/usr/bin/env bash
# The config check reads every secret: taskwatchd -n and taskwatchctl check
# list every unreadable secret at once (file:line:col of the key naming
# it), note a systemd credential they cannot see, and print the warnings a
# start logs; a start refuses with the same list.  A reload whose new
# secrets cannot be read fails as a reload: the old config keeps polling.
# A webhook header value from a secret file reaches the receiver and never
# the log.  No request leaves 127.0.0.1: the account in an unknown region
# is only checked, never polled.
. "$(dirname "$0")/lib.sh"

start_sim
unset CREDENTIALS_DIRECTORY TW_CHECK_HOOK_SECRET
STATE=$TMP/state
printf 'ak-TOPSECRET-1\n' >"$TMP/ak"
chmod 600 "$TMP/ak"
printf 'sk-TOPSECRET-2\n' >"$TMP/sk"
chmod 644 "$TMP/sk"
# bad_config: four problems, a credential only systemd has, and two
# warnings (an unknown region with a default endpoint; as root, an exec
# notifier without user:).
cat >"$TMP/bad.yaml" <<YAML
daemon:
  state_dir: $STATE
  listen: ""
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: p1
    auth:
      method: aksk
      access_key_file: $TMP/ak
      secret_key_file: $TMP/sk
    endpoints: { dds: $SIM }
  - name: far
    cloud: huawei
    region: xx-foo-9
    project_id: p1
    auth:
      method: aksk
      access_key_env: TW_CHECK_UNSET_AK
      secret_key_credential: far.sk
watches:
  - { name: w, account: sim, api: dds.jobs, interval: 300ms }
  - { name: far-dds, account: far, api: dds.jobs }
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    headers:
      X-Api-Key: { value_file: $TMP/missing.key }
    secret_env: TW_CHECK_HOOK_SECRET
  - name: fix
    type: exec
    command: [/bin/true]
rules:
  - notify: [hook]
YAML
"$TOP/bin/taskwatchd" -n -f "$TMP/bad.yaml" >"$TMP/n.out" 2>&1
RC=$?
has() { grep -qF -- "$1" "$TMP/n.out"; }
check "-n: exit 78 (got $RC)" test $RC -eq 78
check "-n: the 0644 secret file, at its key" \
    has "$TMP/bad.yaml:12:7: accounts[0].auth.secret_key_file: $TMP/sk: mode 0644, must not be readable by group or others (chmod 600 $TMP/sk)"
check "-n: the unset variable" \
    has "$TMP/bad.yaml:20:7: accounts[1].auth.access_key_env: environment variable TW_CHECK_UNSET_AK is not set"
check "-n: the missing header value file" \
    has "$TMP/bad.yaml:30:20: notifiers[0].headers.X-Api-Key.value_file: $TMP/missing.key: No such file or directory"
check "-n: the unset webhook secret" \
    has "$TMP/bad.yaml:31:5: notifiers[0].secret_env: environment variable TW_CHECK_HOOK_SECRET is not set"
check "-n: a credential only systemd provides is a note" \
    has "$TMP/bad.yaml:21:7: note: accounts[1].auth.secret_key_credential: credential far.sk cannot be checked here: only systemd provides it"
check "-n: the unknown region is a warning" \
    has "$TMP/bad.yaml:14:5: warning: account far: region xx-foo-9 is not known for huawei; the endpoint https://dds.xx-foo-9.myhuaweicloud.com is guessed"
if [ "$(id -u)" -eq 0 ]; then
	check "-n: as root, the exec notifier's start warning" \
	    has "$TMP/bad.yaml:32:5: warning: notifier fix: taskwatchd runs as root and the notifier has neither user: nor allow_root: true; its hooks will not run"
fi
check "-n: not OK" test -z "$(grep 'configuration OK' "$TMP/n.out")"
check "-n: no secret shown" test -z "$(grep TOPSECRET "$TMP/n.out")"
"$TOP/bin/taskwatchctl" check -f "$TMP/bad.yaml" >"$TMP/ctl.out" 2>&1
RC=$?
check "taskwatchctl check: exit 78 and the same output" \
    test $RC -eq 78 -a "$(cat "$TMP/ctl.out")" = "$(cat "$TMP/n.out")"

# A start refuses with the very same problems, the credential included.
timeout 10 "$TOP/bin/taskwatchd" -d -f "$TMP/bad.yaml" >/dev/null 2>"$TMP/start.err"
RC=$?
check "start: exit 78 (got $RC)" test $RC -eq 78
check "start: all five problems, one line each ($(wc -l <"$TMP/start.err"))" \
    test "$(grep -c "^$TMP/bad.yaml:[0-9]*:[0-9]*: " "$TMP/start.err")" -eq 5
check "start: the credential is an error there" \
    grep -qF "accounts[1].auth.secret_key_credential: credential far.sk: \$CREDENTIALS_DIRECTORY is not set" "$TMP/start.err"

# Fixed: OK, with the note and the warnings still printed.
chmod 600 "$TMP/sk"
printf 'key-TOPSECRET-3\n' >"$TMP/missing.key"
chmod 600 "$TMP/missing.key"
TW_CHECK_UNSET_AK=x TW_CHECK_HOOK_SECRET=hook-TOPSECRET-4 \
    "$TOP/bin/taskwatchd" -n -f "$TMP/bad.yaml" >"$TMP/n.out" 2>&1
RC=$?
check "-n fixed: exit 0 (got $RC)" test $RC -eq 0
check "-n fixed: configuration OK after the note and the warnings" \
    test "$(tail -n1 "$TMP/n.out")" = "configuration OK" -a \
    "$(grep -c ': note: \|: warning: ' "$TMP/n.out")" -ge 2

# --- Reload: a secret made group-readable fails the reload, listed with
# every other problem, and the old config keeps polling and delivering.
cat >"$TMP/good.yaml" <<YAML
daemon:
  state_dir: $STATE
  listen: ""
accounts:
  - name: sim
    cloud: huawei
    region: sim-1
    project_id: p1
    endpoints: { dds: $SIM }
watches:
  - { name: w, account: sim, api: dds.jobs, interval: 300ms, on_start: report }
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    headers:
      X-Api-Key: { value_file: $TMP/missing.key }
    secret_file: $TMP/ak
    retry: { initial: 100ms, max: 300ms }
rules:
  - notify: [hook]
YAML
A=$(sim POST /_sim/tasks '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-a","status":"Running","progress":10}' | jq -r .id)
start_daemon "$TMP/good.yaml"
delivered() { test "$(sim GET /_sink/hook | jq length)" -ge 1; }
wait_for 10 delivered
check "the appeared event is delivered" delivered
key_sent() {
	sim GET /_sink/hook | jq -r '.[0].headers | to_entries[] | select(.key | ascii_downcase == "x-api-key") | .value'
}
check "the header value from its secret file is sent" test "$(key_sent)" = "key-TOPSECRET-3"
chmod 644 "$TMP/ak"
sed -i "s|    retry: { initial: 100ms, max: 300ms }|    retry: { initial: 100ms, max: 300ms }\n  - { name: two, type: webhook, url: $SIM/_sink/two, secret_env: TW_CHECK_HOOK_SECRET }|" "$TMP/good.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q 'reload failed; still running with the old config' "$TMP/daemon.log"
check "reload: fails as a reload" grep -q 'reload failed; still running with the old config' "$TMP/daemon.log"
check "reload: the 0644 secret is named at its key" \
    grep -qF "reload failed: $TMP/good.yaml:18:5: notifiers[0].secret_file: $TMP/ak: mode 0644" "$TMP/daemon.log"
check "reload: and the other problem too" \
    grep -qF "reload failed: $TMP/good.yaml:20:72: notifiers[1].secret_env: environment variable TW_CHECK_HOOK_SECRET is not set" "$TMP/daemon.log"
check "reload: not reloaded" test -z "$(grep 'reloaded:' "$TMP/daemon.log")"
polls=$(sim_count dds.jobs)
more_polls() { test "$(sim_count dds.jobs)" -ge $((polls + 3)); }
wait_for 10 more_polls
check "the old config keeps polling ($(sim_count dds.jobs) > $polls)" more_polls
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"after the failed reload"}' >/dev/null
two() { test "$(sim GET /_sink/hook | jq length)" -ge 2; }
wait_for 10 two
check "and keeps delivering, signed" two
check "no poll error about secrets" test -z "$(grep -i 'cannot read' "$TMP/daemon.log")"
check "no secret in the log" test -z "$(grep TOPSECRET "$TMP/daemon.log")"
daemon_alive
check "the daemon runs on" daemon_alive
stop_daemon
check "exit 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
finish
