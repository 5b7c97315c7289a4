#!/usr/bin/env bash
# The manuals against the code, both ways, read mechanically from the
# sources: `mandoc -Tlint -Wwarning` is clean on every page; every config
# key the parser accepts is in taskwatchd.yaml.5 and the example config,
# and every key the manual lists exists; every metric, endpoint, flag,
# taskwatchctl command and option, simulator option and state_dir file
# the code has is documented, and everything of those kinds the manuals
# and the README name exists in the code.
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

CONFSRC=$(ls "$TOP"/src/config*.c)
# table NAME-REGEX: the strings of the matching string tables of the
# configuration's sources.
table() {
	cat $CONFSRC | awk "/^(static )?const char \\*const config_($1)\\[\\] = \\{/,/NULL \\};/" |
	    grep -o '"[^"]*"' | tr -d '"' | sort -u
}
# rows: the rows of the key tables (struct config_key) and of the endpoint
# services (struct config_service_row), one a line.
rows() {
	cat $CONFSRC | awk '/^(static )?const struct config_(key|service_row) config_[a-z_]+\[[A-Z_]*\] = \{/,/^\};/' |
	    tr '\n\t' '  ' | grep -oE '\{ \.name = "[a-z_]+"[^}]*\}'
}
rowname() { grep -oE '^\{ \.name = "[a-z_]+"' | grep -oE '"[a-z_]+"' | tr -d '"'; }
keys=$( (table '[a-z_]*_keys'; rows | rowname) | sort -u)
inline=$( (table '[a-z_]*_inline'; rows | grep CONFIG_T_INLINE | rowname) | sort -u)
check "config key tables found ($(wc -w <<<"$keys") keys)" test "$(wc -w <<<"$keys")" -ge 50
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
    'Ss Control socket' /run/taskwatchd/control.sock /var/lib/taskwatchd/lock \
    paused_until paused_reason \
    taskwatch_dead_letters taskwatch_outbox_oldest_pending_age_seconds \
    taskwatch_state_write_failures_total \
    taskwatch_config_last_reload_successful \
    taskwatch_config_last_reload_success_timestamp_seconds \
    taskwatch_account_paused taskwatch_iam_token_expiry_timestamp_seconds \
    taskwatch_watch_failed process_start_time_seconds \
    taskwatch_hook_runs_total taskwatch_audit_write_errors_total \
    /var/lib/taskwatchd/audit.jsonl; do
	grep -qF -- "$w" "$MAN/taskwatchd.8" || missing="$missing $w"
done
check "taskwatchd.8 has the flags, signals, endpoints and metrics${missing:+ (missing:$missing)}" test -z "$missing"

# taskwatchctl.8: the commands and their options.
missing=
for w in 'Cm check' 'Cm status' 'Cm watches' 'Cm tasks' 'Cm dead list' \
    'Fl Fl json' 'Fl Fl state' 'Fl Fl watch' 'Fl Fl notifier' 'Fl s' \
    'Cm poll' 'Fl c'; do
	grep -qF -- "$w" "$MAN/taskwatchctl.8" || missing="$missing $w"
done
check "taskwatchctl.8 has every command and option${missing:+ (missing:$missing)}" test -z "$missing"

# --- Both ways, from the sources ------------------------------------------
SRC="$TOP/src/*.c $TOP/include/*.h"
# both WHAT CODE-LIST DOC-LIST: every code item documented, every
# documented item in the code.
both() {
	local what=$1 code=$2 doc=$3 undoc unreal
	check "$(wc -w <<<"$code") of kind \"$what\" read from the code" test -n "$code"
	undoc=$(comm -23 <(sort -u <<<"$code") <(sort -u <<<"$doc") | tr '\n' ' ')
	unreal=$(comm -13 <(sort -u <<<"$code") <(sort -u <<<"$doc") | tr '\n' ' ')
	check "every $what of the code is documented${undoc:+ (missing: $undoc)}" test -z "${undoc// /}"
	check "every $what documented exists in the code${unreal:+ (not in the code: $unreal)}" test -z "${unreal// /}"
}

# Config keys the manual describes (.It Ic key) exist in the key tables.
doc=$(grep -oE '^\.It Ic [a-z_]+' "$CONF5" | awk '{ print $3 }' | sort -u)
unreal=$(comm -13 <(sort -u <<<"$keys") <(sort -u <<<"$doc") | tr '\n' ' ')
check "every key taskwatchd.yaml.5 describes exists${unreal:+ (not in the code: $unreal)}" test -z "${unreal// /}"

# The API table of taskwatchd.yaml.5 (api, clouds, clusters, actions,
# lookback) against the rows of src/api.c, both ways.
code=$(tr '\n\t' '  ' <"$TOP/src/api.c" | grep -oE '\[CONFIG_API_[A-Z_]+\] = \{[^}]*\}' |
    awk -F'"' '{ c = $3; clouds = "";
	n = split("HUAWEI OTC ALIBABA", cl, " ");
	for (i = 1; i <= n; i++) if (index(c, "CONFIG_CLOUD_" cl[i] ")")) clouds = clouds (clouds == "" ? "" : ",") tolower(cl[i]);
	r = $5; split(r, f, ",");
	gsub(/ /, "", f[2]); gsub(/ /, "", f[3]); gsub(/ /, "", f[4]);
	print $2, clouds, (f[2] == "API_SCOPE_CLUSTERS" ? "required" : "-"),
	    (f[4] == "1" ? "optional" : "-"), (f[3] == "API_WINDOW_LOOKBACK" ? "optional" : "-") }')
doc=$(grep -E '^\.It Cm [a-z_]+\.[a-z_]+ Ta ' "$CONF5" | sed 's/\\(em/-/g; s/^\.It Cm //' |
    awk -F' Ta ' '{ gsub(/, /, ",", $2); print $1, $2, $3, $4, $5 }')
both "API row" "$code" "$doc"

# Metrics: the names the code defines; those taskwatchd.8 and the README
# name (histogram series suffixes folded into their family).
code=$(cat $SRC | grep -ohE '"(taskwatch|process)_[a-z_]+"' | tr -d '"' | sort -u)
doc=$(cat "$MAN/taskwatchd.8" | grep -ohE '(taskwatch|process)_[a-z_]+' | sort -u)
readme=$(grep -ohE '(taskwatch|process)_[a-z_]+' "$TOP/README" | sort -u)
both "metric (taskwatchd.8)" "$code" "$doc"
fold() { sed -E 's/_(bucket|sum|count)$//' | sort -u; }
unreal=$(comm -13 <(fold <<<"$code") <(fold <<<"$readme") | tr '\n' ' ')
check "every metric the README names exists${unreal:+ (not in the code: $unreal)}" test -z "${unreal// /}"

# Status endpoints: the paths status.c answers; those the manuals and the
# README name.
code=$(grep -ohE 'strcmp\(path, "/[a-z0-9/]*"\)' "$TOP/src/status.c" | grep -oE '"/[a-z0-9/]+"' | tr -d '"' | sort -u)
doc=$(grep -ohE '/(api/v1/[a-z]+|healthz|livez|readyz|metrics)\b' "$MAN/taskwatchd.8" | sort -u)
both "status endpoint (taskwatchd.8)" "$code" "$doc"
readme=$(grep -ohE '/(api/v1/[a-z]+|healthz|livez|readyz|metrics)\b' "$TOP/README" "$MAN/taskwatchctl.8" | sort -u)
unreal=$(comm -13 <(sort -u <<<"$code") <(sort -u <<<"$readme") | tr '\n' ' ')
check "every endpoint the README and taskwatchctl.8 name exists${unreal:+ (not in the code: $unreal)}" test -z "${unreal// /}"

# longopts FILE...: the long option names of getopt_long tables.
longopts() { cat "$@" | grep -ohE '^[[:space:]]*\{ "[a-z-]+", (no|required|optional)_argument' | grep -oE '"[a-z-]+"' | tr -d '"' | sort -u; }
# taskwatchd: its flags (getopt string and long options) and the manual's.
code=$( (grep -oE 'getopt_long\(argc, argv, "[a-zA-Z:]+"' "$TOP/src/main.c" | sed -E 's/.*"([^"]*)"/\1/' | tr -d ':' | grep -o . | sed 's/^/-/'; longopts "$TOP/src/main.c" | sed 's/^/--/') | sort -u)
doc=$(grep -oE '^\.It Fl (Fl )?[a-zA-Z-]+' "$MAN/taskwatchd.8" | sed -E 's/^\.It Fl Fl /--/; s/^\.It Fl /-/' | sort -u)
both "taskwatchd flag" "$code" "$doc"
# taskwatch-sim.
code=$( (grep -oE 'getopt_long\(argc, argv, "[a-zA-Z:]+"' "$TOP/tools/sim/sim_main.c" | sed -E 's/.*"([^"]*)"/\1/' | tr -d ':' | grep -o . | sed 's/^/-/'; longopts "$TOP/tools/sim/sim_main.c" | sed 's/^/--/') | sort -u)
doc=$(sed -n '/^\.Sh DESCRIPTION/,/^\.El/p' "$MAN/taskwatch-sim.1" | grep -oE '^\.It Fl (Fl )?[a-z-]+' | sed -E 's/^\.It Fl Fl /--/; s/^\.It Fl /-/' | sort -u)
both "taskwatch-sim option" "$code" "$doc"

# taskwatchctl: the command table and the SYNOPSIS; the long options of its
# sources and those the manual names.
code=$(grep -oE '^[[:space:]]*\{ "[a-z-]+", ctl_[a-z_]+,' "$TOP/tools/taskwatchctl.c" | grep -oE '"[a-z-]+"' | tr -d '"' | sort -u)
doc=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$MAN/taskwatchctl.8" | awk '/^\.Nm taskwatchctl/ { getline; if ($1 == ".Cm") print $2 }' | sort -u)
check "taskwatchctl command table found ($(wc -w <<<"$code") commands)" test "$(wc -w <<<"$code")" -ge 5
both "taskwatchctl command" "$code" "$doc"
readme=$(grep -ohE '(^ +|`)taskwatchctl [a-z][a-z-]+' "$TOP/README" | awk '{ print $2 }' | sort -u)
unreal=$(comm -13 <(sort -u <<<"$code") <(sort -u <<<"$readme") | tr '\n' ' ')
check "every taskwatchctl command the README names exists${unreal:+ (not in the code: $unreal)}" test -z "${unreal// /}"
# (and of the control commands' option tables, struct ctl_control_opt)
code=$( (longopts "$TOP"/tools/*.c; grep -ohE '\{ \.name = "[a-z-]+"' "$TOP"/tools/ctl_*.c | grep -oE '"[a-z-]+"' | tr -d '"'; echo version; echo help) | sort -u)
doc=$(grep -v 'Nm taskwatchd' "$MAN/taskwatchctl.8" | grep -ohE 'Fl Fl [a-z-]+' | awk '{ print $3 }' | sort -u)
both "taskwatchctl long option" "$code" "$doc"

# Files under state_dir: those the code's comments name as
# {state_dir}/NAME (and the task table's file), and those FILES lists.
code=$( (cat $SRC | grep -ohE '\{state_dir\}/[a-z][a-z.-]*' | sed 's|{state_dir}/||'; \
    sed -n 's/^#define STATEFILE_NAME "\(.*\)"/\1/p' "$TOP/include/statefile.h") |
    sed -E 's/\.$//' | sort -u)
doc=$(sed -n '/^\.Sh FILES/,/^\.Sh /p' "$MAN/taskwatchd.8" | grep -oE '^\.It Pa /var/lib/taskwatchd/[a-z][a-z.-]*' | sed 's|.*/var/lib/taskwatchd/||' | sort -u)
undoc=$(comm -23 <(sort -u <<<"$code") <(sort -u <<<"$doc") | tr '\n' ' ')
check "every state_dir file of the code is in taskwatchd.8 FILES${undoc:+ (missing: $undoc)}" test -z "${undoc// /}"
unreal=
for f in $doc; do
	base=${f%.tmp}
	grep -qF -- "$base" $SRC || unreal="$unreal $f"
done
check "every state_dir file in taskwatchd.8 FILES exists in the code${unreal:+ (not in the code:$unreal)}" test -z "$unreal"
finish
