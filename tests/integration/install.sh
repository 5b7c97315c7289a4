#!/usr/bin/env bash
# make install into a temporary DESTDIR: exactly the expected files with
# the expected modes, the unit pointing at the installed binary, a live
# config never overwritten; then make uninstall removes exactly that.
. "$(dirname "$0")/lib.sh"
DEST=$TMP/root
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
UNITDIR=${UNITDIR:-/lib/systemd/system}
SYSUSERSDIR=$(pkg-config --variable=sysusersdir systemd 2>/dev/null)
SYSUSERSDIR=${SYSUSERSDIR:-/usr/lib/sysusers.d}

# The expected list: "mode path", sorted by path.
{
	echo "755 /usr/bin/taskwatch-sim"
	echo "755 /usr/sbin/taskwatchctl"
	echo "755 /usr/sbin/taskwatchd"
	for m in "$TOP"/man/*.[158]; do
		echo "644 /usr/share/man/man${m##*.}/${m##*/}"
	done
	echo "644 /etc/taskwatchd/taskwatchd.yaml.example"
	echo "644 $UNITDIR/taskwatchd.service"
	echo "644 $SYSUSERSDIR/taskwatchd.conf"
	for r in "$TOP"/systemd/recipes/*; do
		echo "644 /usr/share/doc/taskwatch/recipes/${r##*/}"
	done
} | sort -k2 >"$TMP/want"
# listing: every file and link under DEST as "mode path".
listing() {
	(cd "$DEST" && find . \( -type f -o -type l \) -printf '%m /%P\n' | sort -k2)
}

out=$(make -s -C "$TOP" install PREFIX=/usr DESTDIR="$DEST" 2>&1)
check "make install PREFIX=/usr DESTDIR=... succeeds" test $? -eq 0
[ -z "$out" ] || printf '# %s\n' "$out" | head -n 20
listing >"$TMP/got"
check "installed files and modes are as expected" cmp -s "$TMP/want" "$TMP/got"
cmp -s "$TMP/want" "$TMP/got" || diff "$TMP/want" "$TMP/got" | sed 's/^/# /'
quiet() { "$@" >/dev/null 2>&1; }
check "the installed daemon runs" quiet "$DEST/usr/sbin/taskwatchd" --version
check "the unit starts the installed path" \
    grep -qx 'ExecStart=/usr/sbin/taskwatchd -f /etc/taskwatchd/taskwatchd.yaml' \
    "$DEST$UNITDIR/taskwatchd.service"
check "the installed example passes -n" \
    quiet "$DEST/usr/sbin/taskwatchd" -n -f "$DEST/etc/taskwatchd/taskwatchd.yaml.example"

# Another prefix: the unit follows SBINDIR.
out=$(make -s -C "$TOP" install PREFIX=/opt/tw DESTDIR="$TMP/opt" 2>&1)
check "PREFIX=/opt/tw: the unit runs /opt/tw/sbin/taskwatchd" \
    grep -qx 'ExecStart=/opt/tw/sbin/taskwatchd -f /etc/taskwatchd/taskwatchd.yaml' \
    "$TMP/opt$UNITDIR/taskwatchd.service"

# A live config is never touched: install again over one.
echo "# mine" >"$DEST/etc/taskwatchd/taskwatchd.yaml"
make -s -C "$TOP" install PREFIX=/usr DESTDIR="$DEST" >/dev/null 2>&1
check "a second install keeps the live config" \
    test "$(cat "$DEST/etc/taskwatchd/taskwatchd.yaml")" = "# mine"

# uninstall: exactly what was installed goes; the live config stays.
out=$(make -s -C "$TOP" uninstall PREFIX=/usr DESTDIR="$DEST" 2>&1)
check "make uninstall succeeds" test $? -eq 0
[ -z "$out" ] || printf '# %s\n' "$out" | head -n 20
check "uninstall leaves only the live config" \
    test "$(listing)" = "644 /etc/taskwatchd/taskwatchd.yaml"
rm -f "$DEST/etc/taskwatchd/taskwatchd.yaml"
make -s -C "$TOP" install PREFIX=/usr DESTDIR="$DEST" >/dev/null 2>&1
make -s -C "$TOP" uninstall PREFIX=/usr DESTDIR="$DEST" >/dev/null 2>&1
check "install + uninstall leaves no file behind" test -z "$(listing)"
check "and removes /etc/taskwatchd when empty" test ! -e "$DEST/etc/taskwatchd"
finish
