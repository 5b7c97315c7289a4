#!/usr/bin/env bash
# The Debian packages (issue 23), as root: `make deb` builds them clean of
# lintian errors and warnings with hardened flags; apt installs them with
# the expected files, modes and conffile, the taskwatch user, a unit that
# is enabled but waits for the config; remove keeps the state, purge
# leaves nothing of the package but the user (Debian keeps system users).
# Without systemd as PID 1 "enabled" is the wants/ symlink and
# `systemctl is-enabled`, and the condition is evaluated by
# `systemd-analyze condition`.  About 20 s, half of it the build.
. "$(dirname "$0")/lib.sh"
START=$(date +%s)
skip() { echo "ok - deb # SKIP $*"; exit 0; }
[ "${SANITIZE:-}" != 1 ] || skip "in the SANITIZE=1 pass (the package is built with Debian's flags; it ran in the plain pass)"
[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get install, purge)"
command -v dpkg-buildpackage >/dev/null || skip "no dpkg-buildpackage (make deps)"
command -v apt-get >/dev/null || skip "no apt-get"

VERSION=$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")
ARCH=$(dpkg --print-architecture)
DIST=$TOP/dist
UNIT=/lib/systemd/system/taskwatchd.service
WANTS=/etc/systemd/system/multi-user.target.wants/taskwatchd.service
export DEBIAN_FRONTEND=noninteractive
# Every step is bounded: T SECONDS CMD...
T() { local s=$1; shift; timeout -k 5 "$s" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
fails() { ! "$@"; }
# known PKG: dpkg has it in any state but "not installed" (config files too).
known() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qv '^not-installed$'; }

# A taskwatchd installed by `make install` would be overwritten, then
# purged, by this test: leave such a machine alone.
if ! known taskwatch && { [ -e /usr/sbin/taskwatchd ] ||
    [ -e /etc/taskwatchd ] || [ -e /var/lib/taskwatchd ]; }; then
	skip "a taskwatchd not from the package is installed here"
fi
# A previous run's packages go first.
for p in taskwatch-sim taskwatch; do
	known "$p" && T 120 apt-get -o DPkg::Lock::Timeout=60 purge -y -q "$p" >/dev/null 2>&1
done
user_before=$(getent passwd taskwatch)

# --- build and lint
out=$(T 240 make -s -C "$TOP" deb 2>&1)
check "make deb succeeds" test $? -eq 0
[ -f "$DIST/taskwatch_${VERSION}_$ARCH.deb" ] || printf '# %s\n' "$out" | tail -n 20
for f in "taskwatch_${VERSION}_$ARCH.deb" "taskwatch-sim_${VERSION}_$ARCH.deb" \
    "taskwatch_${VERSION}_$ARCH.changes"; do
	check "dist/$f built" test -f "$DIST/$f"
done
check "debian/changelog is at the Makefile's version $VERSION" \
    test "$(cd "$TOP" && dpkg-parsechangelog -S Version)" = "$VERSION"
lout=$(T 180 lintian --fail-on error,warning "$DIST/taskwatch_${VERSION}_$ARCH.changes" 2>&1)
check "lintian: no error, no warning (the .changes and both .debs)" test $? -eq 0
printf '%s\n' "$lout" | grep -v '^running with root' | sed 's/^/# /' | head -n 20
true
if command -v blhc >/dev/null; then
	bout=$(T 60 blhc --debian --all "$DIST/taskwatch_${VERSION}_$ARCH.build" 2>&1)
	check "blhc: every compile and link had the hardening flags" test $? -eq 0
	[ -z "$bout" ] || printf '%s\n' "$bout" | cut -c1-200 | sed 's/^/# /' | head -n 5
fi
# dh_auto_test would run `make check` (the suite needs etcd, ...).
check "the build ran no test suite" \
    fails grep -Eq '^[[:space:]]*make .*(check|test)( |$)' \
    "$DIST/taskwatch_${VERSION}_$ARCH.build"

# --- install
iout=$(T 180 apt-get -o DPkg::Lock::Timeout=60 install -y -q --no-install-recommends \
    "$DIST/taskwatch_${VERSION}_$ARCH.deb" \
    "$DIST/taskwatch-sim_${VERSION}_$ARCH.deb" 2>&1)
check "apt-get install ./dist/taskwatch_*.deb ./dist/taskwatch-sim_*.deb" test $? -eq 0
[ -n "$(dpkg-query -W -f='${Version}' taskwatch 2>/dev/null)" ] ||
    printf '# %s\n' "$iout" | tail -n 20
dpkg -L taskwatch taskwatch-sim >"$TMP/files" 2>/dev/null

# mode PATH: its octal mode.
mode() { stat -c %a "$1" 2>/dev/null; }
for b in /usr/sbin/taskwatchd /usr/sbin/taskwatchctl /usr/bin/taskwatch-sim; do
	check "$b is 0755" test "$(mode "$b")" = 755
done
check "taskwatch-sim is in its own package" \
    test "$(dpkg -S /usr/bin/taskwatch-sim 2>/dev/null)" = "taskwatch-sim: /usr/bin/taskwatch-sim"
for m in "$TOP"/man/*.[158]; do
	check "man page ${m##*/} installed" \
	    test -f "/usr/share/man/man${m##*.}/${m##*/}.gz"
done
for f in "$UNIT" /usr/lib/sysusers.d/taskwatchd.conf \
    /etc/taskwatchd/taskwatchd.yaml.example; do
	check "$f is 0644" test "$(mode "$f")" = 644
done
for r in "$TOP"/systemd/recipes/*; do
	check "recipe ${r##*/} in /usr/share/doc/taskwatch/recipes" \
	    cmp -s "$r" "/usr/share/doc/taskwatch/recipes/${r##*/}"
done
check "the example config is a conffile" \
    quiet grep -q '^ /etc/taskwatchd/taskwatchd.yaml.example ' \
    <<<"$(dpkg-query -W -f='${Conffiles}\n' taskwatch)"
check "no /etc/taskwatchd/taskwatchd.yaml is installed" \
    test ! -e /etc/taskwatchd/taskwatchd.yaml
check "taskwatchd --version says $VERSION" \
    quiet grep -qF "$VERSION" <<<"$(T 10 /usr/sbin/taskwatchd --version 2>&1)"
# Hardened: PIE, bind now, the stack protector and FORTIFY'd libc calls
# (__printf_chk@GLIBC..., not __stack_chk_fail) in each binary.
for b in /usr/sbin/taskwatchd /usr/sbin/taskwatchctl /usr/bin/taskwatch-sim; do
	check "$b: PIE, bind now, stack protector, fortified" eval \
	    "readelf -h $b | grep -q 'Type: *DYN' &&
	     readelf -d $b | grep -q 'FLAGS.*BIND_NOW' &&
	     readelf --dyn-syms -W $b | grep -q ' __stack_chk_fail@' &&
	     readelf --dyn-syms -W $b | grep -Eq ' __[a-z0-9_]+_chk@'"
done

# --- the user
u=$(getent passwd taskwatch)
check "user taskwatch exists${user_before:+ (it did before the install)}" test -n "$u"
uid=$(cut -d: -f3 <<<"$u")
check "taskwatch is a system user (uid $uid), home /var/lib/taskwatchd" \
    test -n "$uid" -a "${uid:-1000}" -lt 1000 -a "$(cut -d: -f6 <<<"$u")" = /var/lib/taskwatchd
check "group taskwatch exists" quiet getent group taskwatch

# --- the example config, as tests/run checks conf/'s
check "taskwatchd -n -f /etc/taskwatchd/taskwatchd.yaml.example" \
    quiet T 10 env -u CREDENTIALS_DIRECTORY /usr/sbin/taskwatchd -n \
    -f /etc/taskwatchd/taskwatchd.yaml.example

# --- the unit
check "the installed unit is the shipped one" cmp -s "$TOP/systemd/taskwatchd.service" "$UNIT"
vout=$(T 60 systemd-analyze verify "$UNIT" 2>&1)
check "systemd-analyze verify $UNIT is clean" test $? -eq 0 -a -z "$vout"
[ -z "$vout" ] || printf '# %s\n' "$vout" | head -n 5
check "enabled: $WANTS -> $UNIT" test "$(readlink "$WANTS")" = "$UNIT"
check "systemctl is-enabled taskwatchd: enabled" \
    test "$(T 20 systemctl is-enabled taskwatchd 2>/dev/null)" = enabled
cond=$(grep '^Condition' "$UNIT")
check "the unit waits for /etc/taskwatchd/taskwatchd.yaml" \
    test "$cond" = "ConditionPathExists=/etc/taskwatchd/taskwatchd.yaml"
if [ -d /run/systemd/system ]; then
	check "not started without a config" \
	    test "$(T 20 systemctl is-active taskwatchd)" = inactive
	check "its condition failed" test "$(T 20 systemctl show -P ConditionResult taskwatchd)" = no
else
	echo "# no systemd as PID 1: the condition is evaluated by systemd-analyze"
	check "systemd-analyze condition: fails without a config" \
	    quiet fails T 20 systemd-analyze condition "$cond"
	touch /etc/taskwatchd/taskwatchd.yaml
	check "systemd-analyze condition: holds with one" \
	    quiet T 20 systemd-analyze condition "$cond"
	rm -f /etc/taskwatchd/taskwatchd.yaml
fi

# --- remove keeps the state and the conffile; purge removes everything
# The state the daemon would have written (StateDirectory= makes it).
install -d -o taskwatch -g taskwatch -m 700 /var/lib/taskwatchd/outbox
echo '{}' >/var/lib/taskwatchd/tasks.jsonl
chown taskwatch:taskwatch /var/lib/taskwatchd/tasks.jsonl
T 120 apt-get -o DPkg::Lock::Timeout=60 remove -y -q taskwatch >/dev/null 2>&1
check "apt-get remove taskwatch: binaries gone" test ! -e /usr/sbin/taskwatchd
check "apt-get remove taskwatch: conffile and state kept" \
    test -f /etc/taskwatchd/taskwatchd.yaml.example -a -f /var/lib/taskwatchd/tasks.jsonl
# taskwatch is removed (config files left), taskwatch-sim still installed.
pout=$(T 120 apt-get -o DPkg::Lock::Timeout=60 purge -y -q taskwatch taskwatch-sim 2>&1)
check "apt-get purge -y taskwatch taskwatch-sim" test $? -eq 0
known taskwatch && printf '# %s\n' "$pout" | tail -n 10
check "apt-get purge: no package left" eval '! known taskwatch && ! known taskwatch-sim'
left=$(while read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] || [ -L "$f" ] && echo "$f"
done <"$TMP/files")
check "apt-get purge: no file of dpkg -L left" test -z "$left"
[ -z "$left" ] || printf '# left: %s\n' $left | head -n 10
for d in /etc/taskwatchd /var/lib/taskwatchd /usr/share/doc/taskwatch \
    /usr/share/doc/taskwatch-sim "$WANTS"; do
	check "apt-get purge: no $d" test ! -e "$d" -a ! -L "$d"
done
check "apt-get purge: user taskwatch stays (Debian keeps system users)" \
    quiet getent passwd taskwatch
# The user this run created goes, so the next run sees the install make it.
[ -n "$user_before" ] || { userdel taskwatch 2>/dev/null; groupdel taskwatch 2>/dev/null; }

echo "# deb.sh took $(($(date +%s) - START)) s"
finish
