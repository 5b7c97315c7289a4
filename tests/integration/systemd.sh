#!/usr/bin/env bash
# The systemd unit as shipped: `systemd-analyze security --offline=yes`
# must rate it at most 2.0, and `systemd-analyze verify` must be clean.
# verify wants the ExecStart= binary and the Documentation= man pages to
# exist, so it runs on a copy that points at bin/taskwatchd, with MANPATH
# on a man tree made from man/.
. "$(dirname "$0")/lib.sh"
UNIT=$TOP/systemd/taskwatchd.service
MAX_EXPOSURE=2.0

if ! command -v systemd-analyze >/dev/null; then
	notok "systemd-analyze is installed (make deps installs systemd)"
	finish
fi
check "unit file exists" test -f "$UNIT"

# security: the "Overall exposure level" line, e.g. "... 1.2 OK".
out=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1)
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	notok "systemd-analyze security rates the unit"
	printf '%s\n' "$out" | tail -n 5
else
	check "exposure $level <= $MAX_EXPOSURE (systemd-analyze security --offline=yes)" \
	    awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }'
fi
check "Type=notify" grep -q '^Type=notify$' "$UNIT"
check "WatchdogSec= set" grep -q '^WatchdogSec=' "$UNIT"
check "ExecReload= checks the config, then sends HUP" \
    test "$(grep '^ExecReload=' "$UNIT" | tr '\n' ' ')" = \
    'ExecReload=/usr/sbin/taskwatchd -n -f /etc/taskwatchd/taskwatchd.yaml ExecReload=/bin/kill -HUP $MAINPID '
check "StateDirectory=taskwatchd" grep -qx 'StateDirectory=taskwatchd' "$UNIT"
check "ConfigurationDirectory=taskwatchd" \
    grep -qx 'ConfigurationDirectory=taskwatchd' "$UNIT"
check "a dedicated user" grep -qx 'User=taskwatch' "$UNIT"
check "LoadCredential= examples" grep -q '^#LoadCredential=' "$UNIT"
check "ExecStart= logs to the journal (no -d)" \
    grep -q '^ExecStart=/usr/sbin/taskwatchd -f /etc/taskwatchd/taskwatchd.yaml$' "$UNIT"

# verify: on a copy whose binary exists, with the man pages findable.
mkdir -p "$TMP/man/man1" "$TMP/man/man5" "$TMP/man/man8"
for m in "$TOP"/man/*.[158]; do cp "$m" "$TMP/man/man${m##*.}/"; done
sed "s|/usr/sbin/taskwatchd|$TOP/bin/taskwatchd|g" "$UNIT" >"$TMP/taskwatchd.service"
vout=$(MANPATH=$TMP/man systemd-analyze verify "$TMP/taskwatchd.service" 2>&1)
vrc=$?
check "systemd-analyze verify is clean" test $vrc -eq 0 -a -z "$vout"
[ -z "$vout" ] || printf '# %s\n' "$vout"

# The sysusers.d entry names the unit's user.
user=$(sed -n 's/^User=//p' "$UNIT")
check "sysusers.d entry for User=$user" \
    grep -q "^u $user " "$TOP/systemd/taskwatchd.sysusers"
finish
