#!/usr/bin/env bash
# Standard Webhooks, as receivers verify it (issue 19): every delivery of a
# webhook whose secret holds two whsec_ keys (a rotation) verifies with the
# official library (npm standardwebhooks, installed by make deps into
# tests/node) under each key on its own; a changed body, a timestamp
# outside the tolerance and a stranger's key are refused.  A whsec_ key
# that does not decode is an error at the key naming the secret, from
# taskwatchd -n, that never shows the secret; a key without the prefix
# signs with its bytes, as the library's "raw" format expects.
. "$(dirname "$0")/lib.sh"
VERIFY="node $TOP/tests/node/verify-webhooks.js"
if [ ! -f "$TOP/tests/node/node_modules/standardwebhooks/package.json" ]; then
	notok "the npm package standardwebhooks is installed (make deps)"
	finish
fi

start_sim
key() { printf 'whsec_%s' "$(head -c 24 /dev/urandom | base64)"; }
K1=$(key)
K2=$(key)
printf '%s\n%s\n' "$K1" "$K2" >"$TMP/hook.secret"
printf 'raw-TOPSECRET-key\n' >"$TMP/raw.secret"
printf 'whsec_TOPSECRET*notbase64\n' >"$TMP/bad.secret"
chmod 600 "$TMP"/*.secret
write_config() {
	{ dds_config; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    secret_file: $1
    retry: { initial: 100ms, max: 1s, give_up_after: 10m }
  - name: raw
    type: webhook
    url: $SIM/_sink/raw
    secret_file: $TMP/raw.secret
YAML
}

# -n: the undecodable key is reported at the key, without the secret.
write_config "$TMP/bad.secret"
"$TOP/bin/taskwatchd" -n -f "$TMP/taskwatchd.yaml" >"$TMP/n.out" 2>&1
check "-n fails on a whsec_ key that is not base64" test $? -ne 0
check "-n names the key and why" grep -qF "$TMP/taskwatchd.yaml:22:5: notifiers[0].secret_file: key 1: a whsec_ key must be followed by standard base64 of at least one byte" "$TMP/n.out"
check "-n shows no secret" sh -c "! grep -q TOPSECRET '$TMP/n.out'"

write_config "$TMP/hook.secret"
check "-n accepts two whsec_ keys" sh -c "\"$TOP/bin/taskwatchd\" -n -f \"$TMP/taskwatchd.yaml\" >/dev/null 2>&1"
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
start_daemon "$TMP/taskwatchd.yaml"
polled() { grep -q "watch dds-test: baseline" "$TMP/daemon.log"; }
# Under the load of a full check the first poll can take a while: the
# tasks made below must come after the baseline, or they are part of it.
wait_for 60 polled
check "the baseline is taken before the tasks are made" polled
for i in 1 2 3 4 5 6 7; do
	id=$(mk "{\"service\":\"dds\",\"name\":\"RestartInstance\",\"instance_id\":\"inst-$i\",\"instance_name\":\"dds-$i\",\"status\":\"Running\",\"progress\":10}")
	sleep 0.5
	sim PATCH "/_sim/tasks/$id" '{"status":"Failed","fail_reason":"disk full \u00e9\u2713 \"quoted\""}' >/dev/null
	sleep 0.4
done
n() { sim GET /_sink/hook | jq length; }
enough() { test "$(n)" -ge 14; }
wait_for 20 enough
check "deliveries arrived" enough
sim GET /_sink/hook >"$TMP/hook.json"
sim GET /_sink/raw >"$TMP/raw.json"
check "one v1 signature per key" test "$(jq -r '.[0].headers["webhook-signature"]' "$TMP/hook.json" | awk '{print NF}')" = 2
$VERIFY "$TMP/hook.json" "$K1" "$K2" >"$TMP/verify.out" 2>&1
rc=$?
check "every delivery verifies under each key with standardwebhooks: $(tail -1 "$TMP/verify.out")" test $rc = 0
$VERIFY "$TMP/hook.json" "$K2" >/dev/null 2>&1
check "the new key alone verifies" test $? = 0
$VERIFY "$TMP/raw.json" "raw-TOPSECRET-key" >"$TMP/raw.out" 2>&1
rc=$?
check "a key without whsec_ verifies as the library's raw format: $(tail -1 "$TMP/raw.out")" test $rc = 0
check "no secret in the log" sh -c "! grep -q 'TOPSECRET\|$K1' '$TMP/daemon.log'"
stop_daemon
check "daemon exits 0" test "$DAEMON_RC" = 0
finish
