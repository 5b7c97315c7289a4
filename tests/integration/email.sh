#!/usr/bin/env bash
# The email notifier (issue 19) against a real SMTP server on 127.0.0.1
# (Debian's python3-aiosmtpd, tests/tools/smtpd.py): a message per event
# over STARTTLS with AUTH, checked with Python's email parser (From, To,
# an RFC 2047 Subject, Message-ID from the event id, a quoted-printable
# body with the facts and the event document); a 451 is retried and then
# delivered; a 550 leaves a dead letter; a server that offers no STARTTLS
# gets nothing while starttls is required (and the log says why), and gets
# the message in clear with starttls: optional; group_window sends one
# message for the events of the window.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	notok "python3-aiosmtpd is installed (make deps)"
	finish
fi
SMTPD_PIDS=
start_smtpd() {	# start_smtpd NAME ARGS...: sets PORT_NAME
	local name=$1; shift
	mkdir -p "$TMP/$name"
	$PY "$TOP/tests/tools/smtpd.py" --dir "$TMP/$name" \
	    --port-file "$TMP/$name.port" --exit-after 300 "$@" \
	    >"$TMP/$name.log" 2>&1 &
	SMTPD_PIDS="$SMTPD_PIDS $!"
	wait_for 10 test -s "$TMP/$name.port" || { notok "smtpd $name starts"; cat "$TMP/$name.log"; finish; }
	eval "PORT_$name=$(cat "$TMP/$name.port")"
}
trap 'for p in $SMTPD_PIDS; do kill -TERM $p 2>/dev/null; done; cleanup' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" \
    -out "$TMP/cert.pem" >/dev/null 2>&1
start_sim
start_smtpd tls --starttls "$TMP/cert.pem" "$TMP/key.pem" --auth "taskwatch:TOPSECRET-smtp"
start_smtpd plain
printf 'TOPSECRET-smtp\n' >"$TMP/smtp.pw"
chmod 600 "$TMP/smtp.pw"
{ dds_config; cat <<YAML; } >"$TMP/taskwatchd.yaml"
notifiers:
  - name: mail
    type: email
    url: smtp://127.0.0.1:$PORT_tls
    tls_ca_file: $TMP/cert.pem
    from: taskwatch@example.com
    to: [oncall@example.com, dba@example.com]
    user: taskwatch
    password_file: $TMP/smtp.pw
    retry: { initial: 200ms, max: 1s, give_up_after: 10m }
  - name: cleartext
    type: email
    url: smtp://127.0.0.1:$PORT_plain
    from: taskwatch@example.com
    to: [required@example.com]
    retry: { initial: 200ms, max: 1s, give_up_after: 10m }
  - name: optional
    type: email
    url: smtp://127.0.0.1:$PORT_plain
    starttls: optional
    from: taskwatch@example.com
    to: [optional@example.com]
  - name: bounce
    type: email
    url: smtp://127.0.0.1:$PORT_plain
    starttls: off
    from: taskwatch@example.com
    to: [nobody@example.com]
  - name: digest
    type: email
    url: smtp://127.0.0.1:$PORT_plain
    starttls: off
    from: taskwatch@example.com
    to: [digest@example.com]
    group_window: 3s
YAML
check "-n accepts the email notifiers" sh -c "\"$TOP/bin/taskwatchd\" -n -f \"$TMP/taskwatchd.yaml\" >/dev/null 2>&1"
echo 1 >"$TMP/tls/tempfail-data"
echo nobody@example.com >"$TMP/plain/reject-rcpt"
start_daemon "$TMP/taskwatchd.yaml"
polled() { grep -q "watch dds-test: baseline" "$TMP/daemon.log"; }
# Under the load of a full check the first poll can take a while: the
# tasks made below must come after the baseline, or they are part of it.
wait_for 60 polled
check "the baseline is taken before the tasks are made" polled
mk() { sim POST /_sim/tasks "$1" | jq -r .id; }
A=$(mk '{"service":"dds","name":"RestartInstance","instance_id":"inst-a","instance_name":"dds-ä","status":"Running","progress":10}')
B=$(mk '{"service":"dds","name":"ResizeInstance","instance_id":"inst-b","instance_name":"dds-b","status":"Running","progress":10}')
sleep 0.6
sim PATCH "/_sim/tasks/$A" '{"status":"Failed","fail_reason":"node down\r\nBcc: evil@example.com"}' >/dev/null
sim PATCH "/_sim/tasks/$B" '{"status":"Failed","fail_reason":"disk full"}' >/dev/null

count() { ls "$TMP/$1"/*.eml 2>/dev/null | wc -l; }
tls_all() { test "$(count tls)" -ge 4; }
wait_for 20 tls_all
check "every event reached the server over STARTTLS: $(count tls) messages" tls_all
# The messages as the email package reads them.
$PY - "$TMP/tls" "$A" >"$TMP/tls.check" 2>&1 <<'PY'
import email, email.policy, glob, json, sys
d, task = sys.argv[1], sys.argv[2]
ok = []
for path in sorted(glob.glob(d + "/*.eml")):
    env = json.load(open(path[:-4] + ".json"))
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    body = m.get_content()
    doc = json.loads(body.split("The event document:\n", 1)[1])
    ok.append(all([
        env["tls"], env["auth"],
        env["mail_from"] == "taskwatch@example.com",
        env["rcpt_tos"] == ["oncall@example.com", "dba@example.com"],
        m["From"] == "taskwatchd <taskwatch@example.com>",
        m["To"] == "oncall@example.com, dba@example.com",
        m["Message-ID"] == "<%s@taskwatchd>" % doc["id"],
        m["Subject"].startswith("[taskwatch] dds-test"),
        "\n" not in m["Subject"], m["Bcc"] is None,
        doc["summary"] in body, m.get_content_charset() == "utf-8",
    ]))
    if doc["task"] and doc["task"]["id"] == task and doc["event"] == "transition":
        print("reason:", doc["task"]["reason"] == "node down\r\nBcc: evil@example.com")
        print("subject-utf8:", "dds-ä" in m["Subject"])
print("messages:", len(ok), "good:", sum(ok))
PY
check "messages parse: headers, Message-ID, body, document ($(tail -1 "$TMP/tls.check"))" sh -c "tail -1 '$TMP/tls.check' | awk '{exit !(\$2 >= 4 && \$2 == \$4)}'"
check "cloud text cannot add a header" grep -qx "reason: True" "$TMP/tls.check"
check "a non-ASCII subject is encoded (RFC 2047)" grep -qx "subject-utf8: True" "$TMP/tls.check"
check "the 451 was retried (logged)" grep -q "notifier mail.*SMTP 451" "$TMP/daemon.log"
optional() { grep -l optional@example.com "$TMP"/plain/*.json >/dev/null 2>&1; }
wait_for 10 optional
check "starttls optional: sent in clear to a server without it" optional
check "starttls required: nothing in clear" sh -c "! grep -l required@example.com '$TMP'/plain/*.json >/dev/null 2>&1"
check "starttls required: the log says why" grep -qi "notifier cleartext.*STARTTLS" "$TMP/daemon.log"
dead() { ls "$TMP/state/dead/bounce/" 2>/dev/null | grep -q .; }
wait_for 10 dead
check "550 leaves a dead letter" dead
check "the dead letter says 550" sh -c "cat '$TMP'/state/dead/bounce/* | grep -q 550"
digest() { test "$(grep -l digest@example.com "$TMP"/plain/*.json 2>/dev/null | wc -l)" -ge 2; }
wait_for 15 digest
D=$(grep -l digest@example.com "$TMP"/plain/*.json | head -1)
# The two tasks' first events share a window; each task's next event
# waits for its first to be delivered (per-task order), so it is in the
# next message.
subject() { $PY -c 'import email, email.policy, sys; print(email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)["Subject"])' "$1"; }
SUB=$(subject "${D%.json}.eml")
check "group_window: the window's events in one message ($SUB)" sh -c "echo '$SUB' | grep -q '^\[taskwatch\] 2 events: '"
check "group_window: 4 events in 2 messages" test "$(grep -l digest@example.com "$TMP"/plain/*.json | wc -l)" = 2
check "no password in the log" sh -c "! grep -q TOPSECRET '$TMP/daemon.log'"
stop_daemon
check "daemon exits 0" test "$DAEMON_RC" = 0
finish
