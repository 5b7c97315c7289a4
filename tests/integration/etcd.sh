#!/usr/bin/env bash
# etcd.c and ha.c against a real three-member etcd cluster on loopback
# ports of its own (never 2379/2380: a Debian etcd service may run there):
# every call once (with a dead endpoint first, and with authentication),
# a create race, then two election participants (tests/bin/ha-driver)
# through a paused leader, a killed leader, one etcd member lost and
# quorum lost.  Every process is stopped by its pid; bounded by 90 s.
. "$(dirname "$0")/lib.sh"

DRV=$TOP/tests/bin/ha-driver
TTL_MS=3000
ETCD_PIDS=()
DRV_PIDS=()
my_cleanup() {
	local p
	for p in "${DRV_PIDS[@]}" "${ETCD_PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	cleanup
}
trap my_cleanup EXIT
# The whole script within 90 s, whatever hangs.
# The sleep must not hold the runner's output pipe open after the end.
( sleep $((90 * SLOW)) >/dev/null 2>&1; echo "not ok - etcd: over 90 s"; kill -TERM $$ ) &
WATCHDOG=$!
DRV_PIDS+=("$WATCHDOG")

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
	notok "etcd: etcd and etcdctl installed (make deps)"
	finish
fi

free_port() { "$TOP/tests/bin/twtool" free-port; }
start_etcd3
ETCD_PIDS=("${ETCD_PID[@]}")
EPS=$ETCD_EPS
healthy() { ectl endpoint health >/dev/null 2>&1; }
if ! wait_for 30 healthy; then
	notok "etcd: a three-member cluster starts"
	tail -n 20 "$TMP/etcd0.log"
	finish
fi
ok "etcd: a three-member cluster starts"

# Every call of etcd.h once, through a dead endpoint first.
DEAD="http://127.0.0.1:$(free_port)"
timeout 20 "$DRV" kv "$DEAD,$EPS" /kv >"$TMP/kv.out" 2>&1
expect_kv() { grep -qxF -- "$1" "$TMP/kv.out" || { echo "missing: $1"; cat "$TMP/kv.out"; return 1; }; }
check "etcd: lease grant and keepalive" expect_kv "step 1: status 0 ttl 30 succeeded 0 deleted 0"
check "etcd: create of a new key succeeds" expect_kv "step 3: status 0 ttl 0 succeeded 1 deleted 0"
check "etcd: create of an existing key fails with its pair" \
    expect_kv "step 4: status 0 ttl 0 succeeded 0 deleted 0 [/kv/b=2 lease other]"
check "etcd: prefix range" \
    expect_kv "step 5: status 0 ttl 0 succeeded 0 deleted 0 [/kv/a=1 lease ours] [/kv/b=2 lease other]"
check "etcd: revoke deletes the lease's keys" \
    expect_kv "step 7: status 0 ttl 0 succeeded 0 deleted 0 [/kv/b=2 lease other]"
check "etcd: keepalive of a revoked lease says ttl 0" \
    expect_kv "step 8: status 0 ttl 0 succeeded 0 deleted 0"
check "etcd: prefix delete" expect_kv "step 9: status 0 ttl 0 succeeded 0 deleted 1"
check "etcd: an unknown lease is a clear ETCD_ENOTFOUND" \
    grep -q '^step 10: status 2 (etcd: http://127.0.0.1:[0-9]*/v3/kv/put: etcdserver: requested lease not found (HTTP 404))$' "$TMP/kv.out"
check "etcd: the endpoint that answered is kept" \
    sh -c "! grep -q '^endpoint $DEAD\$' '$TMP/kv.out' && grep -q '^endpoint http://127.0.0.1:' '$TMP/kv.out'"

# Authentication: the token is fetched, a bad password is a clear
# error, and with http debug tracing on, no secret reaches the log.
ectl user add root:Sekr1tPw >/dev/null 2>&1 && ectl user grant-role root root >/dev/null 2>&1
ectl auth enable >/dev/null 2>&1
HA_DRIVER_DEBUG=1 timeout 20 "$DRV" kv "$EPS" /auth root Sekr1tPw >"$TMP/auth.out" 2>&1
timeout 20 "$DRV" kv "$EPS" /auth root wrong >"$TMP/authbad.out" 2>&1
ectl --user root:Sekr1tPw auth disable >/dev/null 2>&1
check "etcd: calls with user and password" grep -q '^step 5: status 0 .*\[/auth/a=1 lease ours\]' "$TMP/auth.out"
check "etcd: a wrong password is ETCD_EAUTH" \
    grep -q '^step 0: status 3 (etcd: .*/v3/auth/authenticate: etcdserver: authentication failed' "$TMP/authbad.out"
check "etcd: neither password nor token in the debug log" \
    sh -c "! grep -qi -e Sekr1tPw -e 'Authorization: [A-Za-z]*\\.[0-9]' '$TMP/auth.out'"

# TLS with client certificates: one more member-less cluster of one, on
# https, that refuses a client without a certificate of its CA.
tls_certs() {
	local d=$TMP/tls n
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 1 \
	    -subj /CN=tw-test-ca 2>/dev/null || return 1
	for n in server client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$d/$n.key" -out "$d/$n.csr" \
		    -subj "/CN=$n" 2>/dev/null || return 1
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/$n.ext"
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" \
		    -CAkey "$d/ca.key" -CAcreateserial -out "$d/$n.pem" \
		    -days 1 -extfile "$d/$n.ext" 2>/dev/null || return 1
	done
}
check "etcd: test certificates made" tls_certs
TPORT=$(free_port) TPEER=$(free_port)
etcd --name t0 --data-dir "$TMP/etcdt" \
    --listen-client-urls "https://127.0.0.1:$TPORT" \
    --advertise-client-urls "https://127.0.0.1:$TPORT" \
    --listen-peer-urls "http://127.0.0.1:$TPEER" \
    --initial-advertise-peer-urls "http://127.0.0.1:$TPEER" \
    --initial-cluster "t0=http://127.0.0.1:$TPEER" \
    --cert-file "$TMP/tls/server.pem" --key-file "$TMP/tls/server.key" \
    --client-cert-auth --trusted-ca-file "$TMP/tls/ca.pem" \
    >"$TMP/etcdt.log" 2>&1 &
TLS_PID=$!
ETCD_PIDS+=("$TLS_PID")
tls_kv() {
	HA_DRIVER_CA=$TMP/tls/ca.pem HA_DRIVER_CERT=$TMP/tls/client.pem \
	    HA_DRIVER_KEY=$TMP/tls/client.key \
	    timeout 20 "$DRV" kv "https://127.0.0.1:$TPORT" /tls >"$TMP/tls.out" 2>&1 &&
	    grep -q '^step 5: status 0 .*\[/tls/a=1 lease ours\]' "$TMP/tls.out"
}
check "etcd: https with a CA file and a client certificate" wait_for 10 tls_kv
HA_DRIVER_CA=$TMP/tls/ca.pem timeout 20 "$DRV" kv "https://127.0.0.1:$TPORT" /tls >"$TMP/tlsbad.out" 2>&1
check "etcd: no client certificate, a clear error" \
    grep -q '^step 0: status 1 (etcd: no endpoint answered (1 tried; last: https://127.0.0.1:[0-9]*: .\+)$' "$TMP/tlsbad.out"
kill -KILL "$TLS_PID"
wait "$TLS_PID" 2>/dev/null

# A create race at one agreed moment: exactly one of two wins.
for n in 1 2 3; do
	at=$(( $(now_ms) + 700 ))
	"$DRV" create "$EPS" "/race/$n" one "$at" >"$TMP/race1.$n" 2>&1 &
	p1=$!
	"$DRV" create "$EPS" "/race/$n" two "$at" >"$TMP/race2.$n" 2>&1 &
	p2=$!
	wait "$p1" "$p2"
done
race_ok() {
	local n w t
	for n in 1 2 3; do
		w=$(cat "$TMP/race1.$n" "$TMP/race2.$n" | grep -c ' won$')
		t=$(cat "$TMP/race1.$n" "$TMP/race2.$n" | grep -c ' taken \(one\|two\)$')
		[ "$w" -eq 1 ] && [ "$t" -eq 1 ] || { cat "$TMP"/race*."$n"; return 1; }
	done
}
check "etcd: a create race is won by exactly one of two" race_ok

# The election: two participants.
start_part() {
	"$DRV" elect "$EPS" /tw "$1" "$TTL_MS" 1000 >"$TMP/$1.out" 2>"$TMP/$1.err" &
	eval "PID_$1=$!"
	DRV_PIDS+=($!)
}
leader_of() { # the participant whose last change line says leader
	local p
	for p in "$@"; do
		[ "$(grep -E '^[0-9]+ (leader|standby) ' "$TMP/$p.out" | tail -n 1 | cut -d' ' -f2)" = leader ] && echo "$p"
	done
}
one_leader() { [ "$(leader_of "$@" | wc -l)" -eq 1 ]; }
start_part A
start_part B
check "etcd: one of two participants leads" wait_for 10 one_leader A B
L=$(leader_of A B); S=$([ "$L" = A ] && echo B || echo A)
eval "LPID=\$PID_$L"

# Pause the leader past its TTL: the other takes over; the old one,
# resumed, steps down before it acts again.
T_STOP=$(now_ms)
kill -STOP "$LPID"
sleep $(( (TTL_MS + 1500) / 1000 )).5
check "etcd: the standby took over from a paused leader" one_leader "$S"
T_CONT=$(now_ms)
kill -CONT "$LPID"
stepped() { [ "$(leader_of "$L")" = "" ] && grep -q "^[0-9]* standby" "$TMP/$L.out"; }
check "etcd: the resumed leader steps down" wait_for 3 stepped
acted_after() { # participant, ms: any act line after
	awk -v t="$2" '$2 == "act" && $1 > t { n++ } END { exit n > 0 ? 0 : 1 }' "$TMP/$1.out"
}
check "etcd: the resumed leader never acts after the pause" \
    sh -c "! awk -v t=$T_CONT '\$2 == \"act\" && \$1 > t { n++ } END { exit n > 0 ? 0 : 1 }' '$TMP/$L.out'"
sleep 1
check "etcd: after the pause, one leader" one_leader A B

# A clean stop (SIGTERM resigns and revokes the lease): the other takes
# over at its next cycle, within ttl/3 + 0.5 s, not after the TTL.
L=$(leader_of A B); S=$([ "$L" = A ] && echo B || echo A)
eval "LPID=\$PID_$L"
T_TERM=$(now_ms)
kill -TERM "$LPID"
wait_for 4 one_leader "$S"
T_TOOK=$(grep -E '^[0-9]+ leader ' "$TMP/$S.out" | tail -n 1 | cut -d' ' -f1)
check "etcd: a resigning leader steps down at once" grep -q '^[0-9]* standby resigned$' "$TMP/$L.out"
check "etcd: takeover after a clean stop within ttl/3 + 0.5 s ($(( ${T_TOOK:-0} - T_TERM )) ms)" \
    test $(( ${T_TOOK:-0} - T_TERM )) -gt 0 -a $(( ${T_TOOK:-0} - T_TERM )) -le $(( TTL_MS / 3 + 500 ))
wait "$LPID" 2>/dev/null
start_part C
wait_for 3 grep -q . "$TMP/C.out"
sleep 1
check "etcd: a new participant stands by" one_leader "$S" C

# kill -9 the leader: the other takes over within ttl + a cycle + 1 s.
eval "LPID=\$PID_$S"
T_KILL=$(now_ms)
kill -KILL "$LPID"
wait "$LPID" 2>/dev/null
wait_for 8 one_leader C
T_TOOK=$(grep -E '^[0-9]+ leader ' "$TMP/C.out" | tail -n 1 | cut -d' ' -f1)
FAILOVER_MS=$(( ${T_TOOK:-0} - T_KILL ))
echo "# failover after kill -9: ${FAILOVER_MS} ms (ttl ${TTL_MS} ms)"
check "etcd: takeover after kill -9 within ttl + ttl/3 + 1 s (${FAILOVER_MS} ms)" \
    test "$FAILOVER_MS" -gt 0 -a "$FAILOVER_MS" -le $(( TTL_MS + TTL_MS / 3 + 1000 ))
# A fresh participant in place of the killed one.
start_part D
wait_for 3 grep -q . "$TMP/D.out"
sleep 1
check "etcd: the new participant stands by" one_leader C D
S=C
# One lease per participant and one for the claims of each leader's term
# (not one per claim): well under 10 after four participants.
NLEASES=$(ectl lease list 2>/dev/null | sed -n 's/^found \([0-9]*\) leases$/\1/p')
check "etcd: claims share one lease per term (${NLEASES:-?} leases)" \
    test "${NLEASES:-99}" -le 9

# Lose one etcd member: nothing changes.
changes() { cat "$TMP/C.out" "$TMP/D.out" | grep -cE '^[0-9]+ (leader|standby) '; }
BEFORE=$(changes)
kill -KILL "${ETCD_PIDS[0]}"
wait "${ETCD_PIDS[0]}" 2>/dev/null
sleep $(( 2 * TTL_MS / 1000 ))
check "etcd: one member lost, no leadership change" test "$(changes)" -eq "$BEFORE"
check "etcd: one member lost, the leader still acts" \
    acted_after "$S" $(( $(now_ms) - 1000 ))

# Lose a second member (no quorum): the leader steps down within its
# lease, and nobody leads or acts.  etcd's raft leader keeps renewing
# leases (no consensus needed) until its election timeout (500 ms here)
# shows it alone: the bound is the TTL plus that, plus 0.5 s.
T_Q=$(now_ms)
kill -KILL "${ETCD_PIDS[1]}"
wait "${ETCD_PIDS[1]}" 2>/dev/null
down() { [ -z "$(leader_of C D)" ]; }
wait_for 6 down
T_DOWN=$(grep -E '^[0-9]+ standby ' "$TMP/$S.out" | tail -n 1 | cut -d' ' -f1)
check "etcd: quorum lost, the leader steps down within ttl + 1 s ($(( ${T_DOWN:-0} - T_Q )) ms)" \
    test -n "$T_DOWN" -a $(( ${T_DOWN:-0} - T_Q )) -le $(( TTL_MS + 1000 )) -a $(( ${T_DOWN:-0} - T_Q )) -gt 0
sleep 1
check "etcd: quorum lost, nobody acts" \
    sh -c "! cat '$TMP/C.out' '$TMP/D.out' | awk -v t=$(( $(now_ms) - 900 )) '\$2 == \"act\" && \$1 > t { n++ } END { exit n > 0 ? 0 : 1 }'"
check "etcd: quorum lost, a clear log line" grep -q 'ha: shard 0: etcd: ' "$TMP/$S.err"

# Claims: every event id won at most once across all participants, and
# some were won; a standby never wins one.
claims_ok() {
	local dup
	dup=$(cat "$TMP"/[ABCD].out | awk '$2 == "claim" && $4 == "won" { print $3 }' | sort | uniq -d)
	[ -z "$dup" ] || { echo "claimed twice: $dup"; return 1; }
	[ "$(cat "$TMP"/[ABCD].out | awk '$2 == "claim" && $4 == "won"' | wc -l)" -ge 3 ]
}
check "etcd: each event id claimed once, across failovers" claims_ok
# A new leader retried ids the old one had claimed: it found them taken.
taken_by_other() {
	local p
	for p in A B C D; do
		awk -v me="$p" '$2 == "claim" && $4 == "taken" && $5 != me { n++ } END { exit n > 0 ? 0 : 1 }' "$TMP/$p.out" && return 0
	done
	return 1
}
check "etcd: a new leader finds the old leader's claims taken" taken_by_other

if [ "$FAILS" -ne 0 ] || [ -n "${ETCD_SH_VERBOSE:-}" ]; then
	for p in A B C D; do echo "--- $p"; cat "$TMP/$p.out"; tail -n 5 "$TMP/$p.err"; done
fi
kill "$WATCHDOG" 2>/dev/null
finish
