#!/usr/bin/env bash
# The manuals against the code: `mandoc -Tlint -Wwarning` is clean on every
# page, and every key the config parser accepts (the key tables of
# src/config.c, read mechanically) is documented in taskwatchd.yaml.5 and
# shown in conf/taskwatchd.yaml.example.  Also: every event kind, flag,
# signal, taskwatchctl command and metric name appears where it belongs.
. "$(dirname "$0")/lib.sh"
MAN=$TOP/man
CONF5=$MAN/taskwatchd.yaml.5
EXAMPLE=$TOP/conf/taskwatchd.yaml.example

# mandoc
if command -v mandoc >/dev/null; then
	for page in "$MAN"/*.[158]; do
		out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
		check "mandoc -Tlint -Wwarning ${page##*/}" test $? -eq 0 -a -z "$out"
		[ -z "$out" ] || printf '# %s\n' "$out"
	done
else
	notok "mandoc is installed (make deps)"
fi
for page in taskwatchd.8 taskwatchd.yaml.5 taskwatchctl.8 taskwatch-sim.1; do
	check "man/$page exists" test -s "$MAN/$page"
done

# table NAME-REGEX: the strings of the matching static tables of config.c.
table() {
	awk "/^static const char \\*const config_($1)\\[\\] = \\{/,/NULL \\};/" \
	    "$TOP/src/config.c" | grep -o '"[^"]*"' | tr -d '"' | sort -u
}
keys=$(table '[a-z_]*_keys|services')
inline=$(table '[a-z_]*_inline')
check "config.c key tables found ($(wc -w <<<"$keys") keys)" test "$(wc -w <<<"$keys")" -ge 50
missing5=
missingex=
for k in $keys; do
	# Inline secrets are recognised only to be refused.
	grep -qx "$k" <<<"$inline" && continue
	# In the manual: as a word on a line that marks up keys (Ic).
	grep -E '(^|[ .])Ic ' "$CONF5" | grep -qE "(^|[^A-Za-z0-9_])$k([^A-Za-z0-9_]|\$)" ||
	    missing5="$missing5 $k"
	# In the example: as a YAML key, commented out or not.
	grep -qE "(^|[^A-Za-z0-9_])$k:" "$EXAMPLE" || missingex="$missingex $k"
done
check "every config key is in taskwatchd.yaml.5${missing5:+ (missing:$missing5)}" test -z "$missing5"
check "every config key is in taskwatchd.yaml.example${missingex:+ (missing:$missingex)}" test -z "$missingex"

# Event kinds and canonical states: in the manual.
missing=
for e in $(table 'event_names') $(table 'state_names'); do
	grep -qE "(Cm|Dv|Sy|Li) $e([^A-Za-z0-9_]|\$)" "$CONF5" || missing="$missing $e"
done
check "every event kind and state is in taskwatchd.yaml.5${missing:+ (missing:$missing)}" test -z "$missing"

# The exec notifier's environment, as notify_exec.c builds it.
if [ -f "$TOP/src/notify_exec.c" ]; then
	missing=
	for v in $(grep -o '"TASKWATCH_[A-Z_]*' "$TOP/src/notify_exec.c" | tr -d '"' | sort -u); do
		grep -qE "(^|[ ,])$v([ ,]|\$)" "$CONF5" || missing="$missing $v"
	done
	check "every exec environment variable is in taskwatchd.yaml.5${missing:+ (missing:$missing)}" test -z "$missing"
fi

# taskwatchd.8: flags, signals, the status endpoint and its metrics.
missing=
for w in 'Fl d' 'Fl f' 'Fl n' 'Fl v' 'Fl Fl once' 'Fl Fl version' \
    SIGTERM SIGHUP SIGUSR1 SIGUSR2 /metrics /healthz /api/v1/watches \
    /api/v1/tasks /livez /api/v1/status /api/v1/dead \
    NOTIFY_SOCKET WATCHDOG_USEC \
    taskwatch_polls_total taskwatch_poll_duration_seconds taskwatch_tasks \
    taskwatch_events_total taskwatch_notifications_total \
    taskwatch_outbox_pending taskwatch_watch_up \
    taskwatch_last_success_timestamp_seconds taskwatch_build_info \
    taskwatch_http_requests_total taskwatch_http_connections_reused_total \
    taskwatch_dead_letters taskwatch_outbox_oldest_pending_age_seconds \
    taskwatch_state_write_failures_total \
    taskwatch_config_last_reload_successful \
    taskwatch_config_last_reload_success_timestamp_seconds \
    taskwatch_account_paused taskwatch_iam_token_expiry_timestamp_seconds \
    taskwatch_watch_failed process_start_time_seconds; do
	grep -qF -- "$w" "$MAN/taskwatchd.8" || missing="$missing $w"
done
check "taskwatchd.8 has the flags, signals, endpoints and metrics${missing:+ (missing:$missing)}" test -z "$missing"

# taskwatchctl.8: the commands and their options.
missing=
for w in 'Cm check' 'Cm status' 'Cm watches' 'Cm tasks' 'Cm dead list' \
    'Fl Fl json' 'Fl Fl state' 'Fl Fl watch' 'Fl Fl notifier' 'Fl s'; do
	grep -qF -- "$w" "$MAN/taskwatchctl.8" || missing="$missing $w"
done
check "taskwatchctl.8 has every command and option${missing:+ (missing:$missing)}" test -z "$missing"
finish
