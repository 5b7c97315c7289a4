#!/usr/bin/env bash
# The remediation recipes of taskwatchd(8), systemd/recipes/: what can be
# tested without systemd as PID 1.  The unit with each drop-in passes
# `systemd-analyze verify` and has the exposure level the man page gives
# (read from its table, so the page cannot drift); the polkit rule,
# evaluated as polkitd would, allows exactly "taskwatch restarts
# foo.service"; the hooks, run with stub systemctl and aliyun on PATH,
# pass exactly the expected argv even when the task fields hold shell
# syntax, and run nothing of it.
. "$(dirname "$0")/lib.sh"
RECIPES=$TOP/systemd/recipes
UNIT=$TOP/systemd/taskwatchd.service
MAN=$TOP/man/taskwatchd.8
PWNED=/tmp/taskwatch-recipes-pwned-$$
rm -f "$PWNED"

if ! command -v systemd-analyze >/dev/null || ! command -v node >/dev/null; then
	notok "systemd-analyze and node are installed (make deps)"
	finish
fi

# --- the man page's table: "drop-in exposure" per row ("none": the unit alone)
rows=$(sed -n 's/^\.It \(.*\) Ta \(Pa \)\{0,1\}\([^ ]*\) Ta \([0-9][0-9.]*\)$/\3 \4 \1/p' "$MAN")
check "taskwatchd.8 has the recipes' exposure table" test -n "$rows"
for f in "$RECIPES"/*.conf; do
	check "drop-in ${f##*/} has a row in taskwatchd.8" \
	    grep -q "^${f##*/} " <<<"$rows"
done

# combo NAME DROPIN...: a copy of the unit (running bin/taskwatchd) with
# the drop-ins in its .d directory, as systemd would read them; prints
# the unit's path.
combo() {
	local d=$TMP/units/$1; shift
	rm -rf "$d" && mkdir -p "$d/taskwatchd.service.d"
	sed "s|/usr/sbin/taskwatchd|$TOP/bin/taskwatchd|g" "$UNIT" >"$d/taskwatchd.service"
	for f in "$@"; do cp "$f" "$d/taskwatchd.service.d/"; done
	echo "$d/taskwatchd.service"
}
# exposure UNIT: the "Overall exposure level" of systemd-analyze security.
exposure() {
	systemd-analyze security --offline=yes --no-pager "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
mkdir -p "$TMP/man/man1" "$TMP/man/man5" "$TMP/man/man8"
for m in "$TOP"/man/*.[158]; do cp "$m" "$TMP/man/man${m##*.}/"; done
# verify UNIT: systemd-analyze verify prints nothing and succeeds.
verify() {
	local out
	out=$(MANPATH=$TMP/man systemd-analyze verify "$1" 2>&1) && [ -z "$out" ] && return 0
	printf '# %s\n' "$out" | head -n 5
	return 1
}

# The test reads drop-ins: a probe that loosens the sandbox changes the
# level, and one with a bad key fails verify.  Otherwise every level
# below would equal the shipped unit's whether a drop-in was read or not.
base=$(exposure "$(combo base)")
printf '[Service]\nPrivateUsers=no\n' >"$TMP/probe.conf"
check "a drop-in next to the copy is read (exposure $base -> $(exposure "$(combo probe "$TMP/probe.conf")"))" \
    test "$(exposure "$(combo probe "$TMP/probe.conf")")" != "$base"
printf '[Service]\nLoadCredentail=x:/y\n' >"$TMP/typo.conf"
check "verify reports a bad key in a drop-in" \
    test -n "$(MANPATH=$TMP/man systemd-analyze verify "$(combo typo "$TMP/typo.conf")" 2>&1)"

while read -r dropin want name; do
	[ -n "$dropin" ] || continue
	if [ "$dropin" = none ]; then
		u=$(combo none)
	else
		check "drop-in $dropin exists" test -f "$RECIPES/$dropin"
		u=$(combo "$dropin" "$RECIPES/$dropin")
	fi
	check "$name: systemd-analyze verify: unit + $dropin" verify "$u"
	got=$(exposure "$u")
	check "$name: exposure of unit + $dropin is $want as documented (got $got)" \
	    test "$got" = "$want"
done <<<"$rows"

# --- the polkit rule
RULE=$RECIPES/50-taskwatch-restart-foo.rules
MU=org.freedesktop.systemd1.manage-units
# pk ACTION USER UNIT VERB: the result of the rule for that request.
pk() {
	node "$TOP/tests/node/polkit-eval.js" "$1" "$2" \
	    "$(jq -nc --arg u "$3" --arg v "$4" '{unit:$u,verb:$v}')" "$RULE"
}
check "polkit: taskwatch may restart foo.service" \
    test "$(pk $MU taskwatch foo.service restart)" = yes
for c in "$MU taskwatch foo.service stop" "$MU taskwatch foo.service start" \
    "$MU taskwatch foo.service try-restart" "$MU taskwatch foo.service reload-or-restart" \
    "$MU taskwatch bar.service restart" "$MU taskwatch foo.service.d restart" \
    "$MU taskwatch Foo.service restart" "$MU alice foo.service restart" \
    "$MU root foo.service restart" \
    "org.freedesktop.systemd1.manage-unit-files taskwatch foo.service restart" \
    "org.freedesktop.login1.reboot taskwatch foo.service restart"; do
	# shellcheck disable=SC2086
	check "polkit: not yes for $c" test "$(pk $c)" != yes
done
# polkitd (duktape) runs ECMAScript 5.1: no let/const/arrows/templates.
check "the rule is ECMAScript 5.1" \
    test -z "$(grep -v '^[[:space:]]*//' "$RULE" | grep -E '\blet |\bconst |=>|`')"

# --- the restart hook, with a stub systemctl (in $TMP: a hook that did
# run cloud text would write there, not in the source tree)
cd "$TMP" || exit 1
STUB=$TMP/stub
mkdir -p "$STUB"
cat >"$STUB/systemctl" <<'SH'
#!/bin/sh
# Record argv, NUL-separated; exit as told.
printf '%s\0' "$@" >"$STUB_OUT"
exit "${STUB_EXIT:-0}"
SH
cp "$STUB/systemctl" "$STUB/aliyun"
chmod 755 "$STUB/systemctl" "$STUB/aliyun"
EVIL='$(touch '"$PWNED"') `touch '"$PWNED"'`; touch '"$PWNED"' "q" '"'q'"$'\n-x --now'
# hook [NAME=VALUE...] SCRIPT ARGS...: run a hook with the environment
# taskwatchd gives (PATH, LANG, TASKWATCH_*; the stubs first on PATH),
# shell syntax in every cloud field but those given as NAME=VALUE.
hook() {
	env -i PATH="$STUB:/usr/bin:/bin" LANG=C.UTF-8 STUB_OUT="$TMP/argv" \
	    STUB_EXIT="${STUB_EXIT:-0}" TASKWATCH_EVENT=transition \
	    TASKWATCH_EVENT_ID=0123456789abcdef0123456789abcdef \
	    TASKWATCH_SEVERITY=critical TASKWATCH_WATCH="$EVIL" \
	    TASKWATCH_API=ehpc.tasks TASKWATCH_ACCOUNT="$EVIL" \
	    TASKWATCH_REGION=cn-hangzhou TASKWATCH_CLUSTER_ID=ehpc-hz-01 \
	    TASKWATCH_CLUSTER_NAME="$EVIL" TASKWATCH_TASK_ID="$EVIL" \
	    TASKWATCH_TASK_TYPE="$EVIL" TASKWATCH_STATE=FAILED \
	    TASKWATCH_PREV_STATE=RUNNING TASKWATCH_RAW_STATUS="$EVIL" \
	    TASKWATCH_PROGRESS=40 TASKWATCH_REASON="$EVIL" TASKWATCH_MISSED=false \
	    TASKWATCH_ERROR_CLASS= TASKWATCH_RULE="$EVIL" \
	    TASKWATCH_STARTED_AT=2026-05-19T09:00:00Z \
	    TASKWATCH_SUMMARY="$EVIL" "$@" >"$TMP/hook.out" 2>&1
}
# argv_is WORD...: the stub got exactly these arguments.
argv_is() { cmp -s "$TMP/argv" <(printf '%s\0' "$@"); }

rm -f "$TMP/argv"
hook "$RECIPES/restart-foo"
rc=$?
check "restart-foo succeeds with shell syntax in every task field" test $rc -eq 0
check "restart-foo runs exactly: systemctl --no-ask-password restart foo.service" \
    argv_is --no-ask-password restart foo.service
rm -f "$TMP/argv"
STUB_EXIT=3 hook "$RECIPES/restart-foo"
check "restart-foo fails as systemctl does (exit 3, a hook_failed)" test $? -eq 3
rm -f "$TMP/argv"
hook TASKWATCH_STATE=SUCCEEDED "$RECIPES/restart-foo"
check "restart-foo does nothing for a success" test $? -eq 0 -a ! -e "$TMP/argv"
rm -f "$TMP/argv"
hook TASKWATCH_EVENT=vanished "$RECIPES/restart-foo"
check "restart-foo does nothing for other events" test $? -eq 0 -a ! -e "$TMP/argv"

# --- the cloud CLI wrapper, on a copy that reads the credential and makes
# its HOME under $TMP instead of /run (the only two lines changed).
mkdir -p "$TMP/cred" "$TMP/run"
SECRET="sk-$$-$(date +%N)"
printf '{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"ak","access_key_secret":"%s"}]}\n' \
    "$SECRET" >"$TMP/cred/aliyun-hook.json"
sed -e "s|^credential=/run/credentials/taskwatchd.service/|credential=$TMP/cred/|" \
    -e "s|^rundir=/run/taskwatchd\$|rundir=$TMP/run|" \
    "$RECIPES/aliyun-hook" >"$TMP/aliyun-hook"
chmod 755 "$TMP/aliyun-hook"
check "the wrapper's copy differs in exactly two lines" \
    test "$(diff "$RECIPES/aliyun-hook" "$TMP/aliyun-hook" | grep -c '^>')" -eq 2
# The stub also keeps what it was given: HOME's mode and the profile.
cat >"$STUB/aliyun" <<'SH'
#!/bin/sh
printf '%s\0' "$@" >"$STUB_OUT"
stat -c %a "$HOME" >"$STUB_OUT.home"
cat "$2" >"$STUB_OUT.profile"
exit "${STUB_EXIT:-0}"
SH
rm -f "$TMP/argv"*
hook "$TMP/aliyun-hook" StartCluster
check "aliyun-hook succeeds with shell syntax in the other task fields" test $? -eq 0
cfg=$(tr '\0' '\n' <"$TMP/argv" 2>/dev/null | sed -n 2p)
home=${cfg%/.aliyun/config.json}
check "aliyun-hook runs exactly: aliyun --config-path HOME/.aliyun/config.json --region R ehpc StartCluster --ClusterId C" \
    argv_is --config-path "$home/.aliyun/config.json" --region cn-hangzhou ehpc StartCluster --ClusterId ehpc-hz-01
check "the CLI's HOME is a private directory (0700) under the runtime directory" \
    test "${home#"$TMP/run/aliyun-hook."}" != "$home" -a "$(cat "$TMP/argv.home" 2>/dev/null)" = 700
check "the CLI reads the credential's profile" \
    cmp -s "$TMP/cred/aliyun-hook.json" "$TMP/argv.profile"
check "the copy of the profile is gone when the hook ends" \
    test -z "$(ls -A "$TMP/run")"
check "the secret is in no argument and not in the hook's output" \
    test -z "$(grep -l -- "$SECRET" "$TMP/argv" "$TMP/hook.out")"
rm -f "$TMP/argv"*
STUB_EXIT=3 hook "$TMP/aliyun-hook" StartCluster
check "aliyun-hook fails as the CLI does (exit 3), and cleans up" \
    test $? -eq 3 -a -z "$(ls -A "$TMP/run")"
for bad in "$EVIL" "-x" "" "ehpc hz" "a/../b"; do
	rm -f "$TMP/argv"*
	hook "TASKWATCH_CLUSTER_ID=$bad" "$TMP/aliyun-hook" StartCluster
	rc=$?
	check "aliyun-hook refuses cluster id $(printf %q "$bad") (exit 65, CLI not run)" \
	    test $rc -eq 65 -a ! -e "$TMP/argv"
done
rm -f "$TMP/argv"*
hook TASKWATCH_REGION=-x "$TMP/aliyun-hook" StartCluster
check "aliyun-hook refuses an option as region (exit 65)" test $? -eq 65 -a ! -e "$TMP/argv"
for bad in "" "Start;id" "--region"; do
	rm -f "$TMP/argv"*
	hook "$TMP/aliyun-hook" "$bad"
	rc=$?
	check "aliyun-hook refuses action $(printf %q "$bad") (exit 64)" test $rc -eq 64 -a ! -e "$TMP/argv"
done
check "nothing in the task fields was executed" test ! -e "$PWNED"
finish
