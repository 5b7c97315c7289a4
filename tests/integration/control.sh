#!/usr/bin/env bash
# The control socket and the authentication hold: a wrong secret pauses
# its account (paused_until in /api/v1/watches and taskwatchctl watches);
# a reload with the same secret keeps the pause, one with the fixed secret
# lifts it and polls at once, and /healthz is clean after that poll; a
# reload with a secret file readable by others fails as a reload; one
# that turns 0644 after the reload is a local error that pauses nothing,
# and chmod 600 + HUP polls at once.  taskwatchctl poll asks for a poll
# through the socket (the simulator sees it), lifts a pause, names an
# unknown watch, refuses a user that is not allowed, and says "is
# taskwatchd running?" with exit 69 when nothing listens.  A second
# daemon on the same state_dir exits 1 naming the first one's pid.
. "$(dirname "$0")/lib.sh"

AK=HWAKCONTROLTESTKEY01
SK=hwControlSecret-5e1a-do-not-log
BAD_SK=wrongControlSecret-77aa-do-not-log
cat >"$TMP/scenario.yaml" <<YAML
accounts:
  - { name: hw, cloud: huawei, auth: [aksk], ak: $AK, sk: $SK,
      project_id: 0549b4a43100d4f32f51c01c2fe4acdb }
YAML
start_sim --scenario "$TMP/scenario.yaml"
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT
SOCK=$TMP/ctl.sock
printf '%s\n' "$BAD_SK" >"$TMP/sk"
chmod 600 "$TMP/sk"
export TW_AK=$AK TW_SK=$SK
cat >"$TMP/taskwatchd.yaml" <<YAML
daemon:
  state_dir: $TMP/state
  listen: 127.0.0.1:$HPORT
  control_socket: $SOCK
  shutdown_timeout: 5s
accounts:
  - name: filed
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    auth: { method: aksk, access_key_env: TW_AK, secret_key_file: $TMP/sk }
    endpoints: { dds: $SIM }
  - name: good
    cloud: huawei
    region: cn-north-4
    project_id: 0549b4a43100d4f32f51c01c2fe4acdb
    auth: { method: aksk, access_key_env: TW_AK, secret_key_env: TW_SK }
    endpoints: { dds: $SIM }
watches:
  - { name: filed-dds, account: filed, api: dds.jobs, interval: 1h, timeout: 2s }
  - { name: good-dds, account: good, api: dds.jobs, interval: 1h, timeout: 2s }
notifiers:
  - { name: hook, type: webhook, url: $SIM/_sink/ctl }
YAML
CTL=$TOP/bin/taskwatchctl
get() { curl -s -m 5 "$HTTP$1"; }
refused() { sim GET /_sim/requests | jq -r '.auth_fail["APIG.0301"] // 0'; }
logcount() { grep -c -- "$1" "$TMP/daemon.log"; }
paused_until() { get /api/v1/watches | jq -r ".[] | select(.name==\"$1\") | .paused_until"; }
paused_reason() { get /api/v1/watches | jq -r ".[] | select(.name==\"$1\") | .paused_reason"; }
hup() { kill -HUP "$DAEMON_PID"; }

start_daemon "$TMP/taskwatchd.yaml"
wait_for 10 test -S "$SOCK"
check "the control socket is made, mode 0660" test "$(stat -c %a "$SOCK")" = 660
held() { grep -q "account filed: authentication failed" "$TMP/daemon.log"; }
wait_for 10 held
check "wrong secret: the account is held" held
has_pause() { [ "$(paused_until filed-dds)" != null ] && [ -n "$(paused_until filed-dds)" ]; }
wait_for 5 has_pause
check "/api/v1/watches: paused_until is set ($(paused_until filed-dds))" has_pause
check "/api/v1/watches: paused_reason says why" \
    grep -q '^authentication failed: ' <<<"$(paused_reason filed-dds)"
check "/api/v1/watches: the other account is not paused" test "$(paused_until good-dds)" = null
metric() { get /metrics | sed -n "s/^$1 //p"; }
check "taskwatch_account_paused{reason=auth} is 1 for the held account" \
    test "$(metric 'taskwatch_account_paused{account="filed",reason="auth"}')" = 1
check "taskwatch_account_paused{reason=throttled} is 0 for it" \
    test "$(metric 'taskwatch_account_paused{account="filed",reason="throttled"}')" = 0
out=$("$CTL" watches -s 127.0.0.1:$HPORT)
check "taskwatchctl watches: paused until HH:MM:SS (authentication failed: ...)" \
    grep -Eq '^filed-dds: paused until [0-9]{2}:[0-9]{2}:[0-9]{2} \(authentication failed: ' <<<"$out"

# The same wrong secret again: still held, nothing sent.
before=$(refused)
hup
unchanged() { grep -q "account filed: credentials unchanged; still paused until [0-9:]*$" "$TMP/daemon.log"; }
wait_for 5 unchanged
check "reload, secret unchanged: still paused, logged once" test "$(logcount 'account filed: credentials unchanged')" -eq 1
sleep $((1 * SLOW))
check "reload, secret unchanged: no request sent ($before -> $(refused))" test "$(refused)" -eq "$before"
check "reload, secret unchanged: still paused in /api/v1/watches" has_pause

# taskwatchctl poll: an extra listing, seen by the simulator.
n=$(sim_count dds.jobs)
ans=$("$CTL" poll good-dds -c "$SOCK")
rc=$?
check "taskwatchctl poll: exit 0 (got $rc)" test "$rc" -eq 0
check "taskwatchctl poll: answer ok, queued ($ans)" \
    test "$(jq -c '[.ok, .queued, .watch]' <<<"$ans")" = '[true,true,"good-dds"]'
more() { test "$(sim_count dds.jobs)" -gt "$n"; }
wait_for 5 more
check "taskwatchctl poll: the simulator saw the extra request" more
check "the request is logged with the peer's uid" grep -q "control: poll from uid 0 gid 0 pid" "$TMP/daemon.log"
# Through the config file instead of -c.
ans=$("$CTL" poll good-dds -f "$TMP/taskwatchd.yaml")
check "taskwatchctl poll -f: the socket from the config" test "$(jq -r .ok <<<"$ans")" = true
ans=$("$CTL" poll no-such-watch -c "$SOCK" 2>"$TMP/ctl.err")
rc=$?
check "taskwatchctl poll: unknown watch exits 1 (got $rc)" test "$rc" -eq 1
check "taskwatchctl poll: unknown watch named ($ans)" \
    test "$(jq -r .error <<<"$ans")" = 'no watch named "no-such-watch"'
"$CTL" poll good-dds -c "$TMP/nothing.sock" >/dev/null 2>"$TMP/ctl.err"
rc=$?
check "taskwatchctl poll: no daemon exits 69 (got $rc)" test "$rc" -eq 69
check "taskwatchctl poll: no daemon says where it looked" \
    grep -q "is taskwatchd running? (tried $TMP/nothing.sock; use -c or -f)" "$TMP/ctl.err"
# A raw request the table does not know.
ans=$(printf '{"cmd":"frobnicate"}\n' | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); print(s.makefile().readline().strip())' "$SOCK")
check "an unknown command is refused ($ans)" \
    test "$(jq -c '[.ok, .error]' <<<"$ans")" = '[false,"unknown command \"frobnicate\""]'

# A user that is not root, the daemon's user or in its group.
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	chmod 711 "$TMP"
	chmod 666 "$SOCK"
	ans=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CTL" poll good-dds -c "$SOCK" 2>/dev/null)
	rc=$?
	chmod 660 "$SOCK"
	chmod 700 "$TMP"
	check "uid 65534 is refused by SO_PEERCRED (exit $rc: $ans)" \
	    test "$rc" -eq 1 -a "$(jq -r .ok <<<"$ans")" = false
	check "the refusal says why" grep -q "permission denied" <<<"$ans"
	check "the refusal is logged" grep -q "control: refused uid 65534" "$TMP/daemon.log"
else
	ok "# SKIP peer credential check (needs root and setpriv)"
fi

# An operator's poll lifts the hold (one more try with the wrong secret).
before=$(refused)
ans=$("$CTL" poll filed-dds -c "$SOCK")
check "taskwatchctl poll on a held account: pause_cleared ($ans)" \
    test "$(jq -r .pause_cleared <<<"$ans")" = true
check "the lift is logged with the uid" \
    grep -q "account filed: pause cleared by taskwatchctl poll (uid 0)" "$TMP/daemon.log"
tried() { test "$(refused)" -gt "$before"; }
wait_for 5 tried
check "the held account was polled (refused $before -> $(refused))" tried
wait_for 5 has_pause
check "...and the wrong secret holds it again" has_pause

# The fixed secret and a HUP: the hold is lifted and it polls at once.
printf '%s\n' "$SK" >"$TMP/sk"
t0=$(now_ms)
hup
changed() { test "$(logcount 'account filed: credentials changed, polling now')" -ge 1; }
wait_for 5 changed
check "reload with the fixed secret: credentials changed, polling now" changed
recovered() { grep -q "watch filed-dds: polling recovered" "$TMP/daemon.log"; }
wait_for 5 recovered
check "a successful poll within seconds ($(($(now_ms) - t0)) ms)" recovered
check "no longer paused" test "$(paused_until filed-dds)" = null
check "/healthz is clean after it" test "$(get /healthz)" = ok

# A secret file readable by others, then a reload: the reload fails (the
# old config and its secrets keep running), and nothing is paused.
auth_lines=$(logcount 'account filed: authentication failed')
reloads=$(logcount 'reloaded: ')
chmod 644 "$TMP/sk"
hup
refused_reload() { grep -q "reload failed: .*secret_key_file: $TMP/sk: mode 0644" "$TMP/daemon.log"; }
wait_for 5 refused_reload
check "0644 secret + HUP: the reload fails, naming the file" refused_reload
check "...and keeps the old config" grep -q "reload failed; still running with the old config" "$TMP/daemon.log"
check "...visibly: taskwatch_config_last_reload_successful 0" \
    test "$(get /metrics | sed -n 's/^taskwatch_config_last_reload_successful //p')" = 0
check "0644 secret + HUP: not paused" test "$(paused_until filed-dds)" = null

# The same file turned 0644 after a good reload (secrets are read when
# first needed): the poll fails as a local error and pauses nothing.
chmod 600 "$TMP/sk"
hup
reloaded() { test "$(logcount 'reloaded: ')" -gt "$reloads"; }
wait_for 5 reloaded
chmod 644 "$TMP/sk"
"$CTL" poll filed-dds -c "$SOCK" >/dev/null 2>&1
local_err() { grep -q "watch filed-dds: poll failed (auth): local secret error, nothing sent: .*readable by group or others" "$TMP/daemon.log"; }
wait_for 5 local_err
check "0644 secret: the poll fails as a local secret error" local_err
check "0644 secret: no hold logged" test "$(logcount 'account filed: authentication failed')" -eq "$auth_lines"
check "0644 secret: not paused" test "$(paused_until filed-dds)" = null
check "0644 secret: /healthz names the local error" grep -q "local secret error" <<<"$(get /healthz)"
ok_before=$(get /api/v1/watches | jq -r '.[] | select(.name=="filed-dds") | .polls_ok')
chmod 600 "$TMP/sk"
hup
polled() { test "$(get /api/v1/watches | jq -r '.[] | select(.name=="filed-dds") | .polls_ok')" -gt "$ok_before"; }
wait_for 5 polled
check "chmod 600 + HUP: polled at once and succeeded" polled
check "chmod 600 + HUP: /healthz clean" test "$(get /healthz)" = ok

# test-event --send: the daemon delivers it, marked "test": true.
out=$("$CTL" test-event --watch good-dds --type RestartInstance --to FAILED --send -f "$TMP/taskwatchd.yaml" 2>&1); rc=$?
check "test-event --send: exit 0" test $rc -eq 0
check "test-event --send: shows the notifier first" grep -q '^  -> hook (webhook), severity critical' <<<"$out"
check "test-event --send: the daemon's answer names the event id" grep -Eq '^\{"ok":true,"id":"[0-9a-f]{32}"\}$' <<<"$out"
test_sent() { test "$(sink_count ctl '.test == true and .event == "transition" and .task.type == "RestartInstance" and .task.state == "FAILED"')" -ge 1; }
wait_for 5 test_sent
check "test-event --send: the receiver gets it with \"test\": true" test_sent
check "test-event --send: its summary says TEST" \
    test "$(sink_events ctl | jq -r 'select(.test == true) | .summary' | head -n1 | cut -c1-14)" = "TEST good-dds:"
check "test-event --send: logged with the caller" grep -q "test event [0-9a-f]* sent by uid [0-9]* pid [0-9]*: TEST good-dds: " "$TMP/daemon.log"
check "real events carry no test member" test "$(sink_events ctl | jq -c 'select(.test == null)' | wc -l)" -eq "$(sink_events ctl | jq -c 'select(.test != true)' | wc -l)"

# A bad edit of the config must not keep taskwatchctl from the socket.
{ cat "$TMP/taskwatchd.yaml"; echo "bogus_section: 1"; } >"$TMP/edited.yaml"
"$CTL" poll good-dds -f "$TMP/edited.yaml" >"$TMP/edited.out" 2>"$TMP/edited.err"; rc=$?
check "poll -f on a config that no longer loads: exit 0" test $rc -eq 0
check "...with a warning naming the problem" grep -q 'warning: .*bogus_section' "$TMP/edited.err"

# A second daemon on the same state directory (its own socket and no
# status endpoint: only the lock can stop it).
sed "s|  listen: .*|  listen: \"\"|; s|  control_socket: .*|  control_socket: $TMP/second.sock|" \
    "$TMP/taskwatchd.yaml" >"$TMP/second.yaml"
"$TOP/bin/taskwatchd" -d -f "$TMP/second.yaml" >"$TMP/second.out" 2>"$TMP/second.log" &
SECOND=$!
for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$SECOND" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SECOND" 2>/dev/null; then kill -KILL "$SECOND"; fi
wait "$SECOND"
rc=$?
check "a second daemon on the same state_dir exits 1 (got $rc)" test "$rc" -eq 1
check "...naming the first one's pid" \
    grep -q "taskwatchd: state_dir $TMP/state is in use by pid $DAEMON_PID\$" "$TMP/second.log"
check "the first one still serves" test -S "$SOCK" -a "$(get /healthz)" = ok

stop_daemon
check "SIGTERM exits 0 (got $DAEMON_RC)" test "$DAEMON_RC" -eq 0
check "the socket file is removed at exit" test ! -e "$SOCK"
leaks=0
for s in "$SK" "$BAD_SK"; do
	grep -qF -- "$s" "$TMP/daemon.log" "$TMP/daemon.out" && leaks=$((leaks + 1))
done
check "no secret in the log" test "$leaks" -eq 0
[ "$FAILS" -eq 0 ] || grep -E "account|control|filed|reload" "$TMP/daemon.log" | head -40
finish
