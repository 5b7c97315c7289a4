#!/usr/bin/env bash
# Flap damping end to end: the simulator answers the DDS listing 503 and
# 200 by turns (a fault with every: 2) while taskwatchd polls it every
# second with fail_after 1, flap_threshold 3 and flap_window 8s.  The
# webhook sink (and PagerDuty, as one incident) gets the first
# watch_failed/watch_recovered pairs, then one watch_flapping in place of
# the third recovery and nothing more while the alternation goes on; /api/v1/watches, taskwatchctl watches and the
# metrics show the flapping.  Once the fault is gone and no poll failed for
# the window: exactly one watch_recovered, and the watch is up again.
. "$(dirname "$0")/lib.sh"

CTL=$TOP/bin/taskwatchctl
HPORT=$("$TOP/tests/bin/twtool" free-port)
HTTP=http://127.0.0.1:$HPORT

start_sim
sim POST /_sim/tasks '{"service":"dds","name":"RestartInstance","instance_id":"i-1","instance_name":"dds-1","status":"Running","progress":10}' >/dev/null
DDS_LISTEN=127.0.0.1:$HPORT dds_config "lookback: 1d" "fail_after: 1" \
    "stall_after: 0" "flap_window: 8s" "flap_threshold: 3" |
    sed -e 's/^    interval: 300ms$/    interval: 1s/' >"$TMP/taskwatchd.yaml"
cat >>"$TMP/taskwatchd.yaml" <<YAML
notifiers:
  - name: hook
    type: webhook
    url: $SIM/_sink/hook
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
  - name: pd
    type: pagerduty
    url: $SIM/v2/enqueue
    routing_key_file: $TMP/pd.key
    retry: { initial: 100ms, max: 500ms, give_up_after: 10m }
rules:
  - match: { event: [watch_failed, watch_recovered, watch_flapping] }
    notify: [hook, pd]
YAML
printf '%s\n' 0123456789abcdef0123456789abcdef >"$TMP/pd.key"
chmod 600 "$TMP/pd.key"
# pd: the PagerDuty requests, "action dedup_key" a line.
pd() { sim GET /_sink/pagerduty | jq -r '.[] | .body | fromjson | .event_action + " " + .dedup_key'; }

n() { sink_count hook ".event==\"$1\""; }
get() { curl -sS -m 5 "$HTTP$1"; }
flapping() { get /api/v1/watches | jq -r '.[0].flapping'; }

start_daemon "$TMP/taskwatchd.yaml"
# at_least N CMD...: the number CMD prints is N or more.
at_least() { local want=$1; shift; test "$("$@")" -ge "$want"; }
wait_for 10 at_least 1 sim_count dds.jobs
check "baseline: no events" test "$(sink_events hook | wc -l)" -eq 0

# 503, 200, 503, 200, ... on every poll.
sim POST /_sim/faults '{"endpoint":"dds.jobs","status":503,"every":2}' >/dev/null
wait_for 20 at_least 1 n watch_flapping
check "one watch_flapping" test "$(n watch_flapping)" -eq 1
check "before it, the first two pairs and the third failure" \
    test "$(n watch_failed) $(n watch_recovered)" = "3 2"
ev=$(sink_events hook | jq -c 'select(.event=="watch_flapping")')
check "watch_flapping: warning, 3 cycles in 8 s" \
    test "$(jq -r '[.severity, .flap_cycles, .flap_window_seconds] | join(" ")' <<<"$ev")" = "warning 3 8"
check "watch_flapping: the last error" test "$(jq -r .error.class <<<"$ev")" = http
check "watch_flapping: since the first cycle" \
    test "$(jq -r .since <<<"$ev")" = "$(sink_events hook | jq -r 'select(.event=="watch_failed") | .since' | head -n1)"

# It goes on flapping: no more events.
polls=$(sim_count dds.jobs)
wait_for 10 at_least $((polls + 4)) sim_count dds.jobs
check "still alternating ($(( $(sim_count dds.jobs) - polls )) polls), no more events" \
    test "$(n watch_failed) $(n watch_recovered) $(n watch_flapping)" = "3 2 1"
check "/api/v1/watches: flapping" test "$(flapping)" = true
check "/api/v1/watches: flapping_since" test "$(get /api/v1/watches | jq -r '.[0].flapping_since')" = "$(jq -r .since <<<"$ev")"
check "taskwatchctl watches: state flapping" \
    test "$("$CTL" watches -s "127.0.0.1:$HPORT" | awk 'NR==2 { print $5 }')" = flapping
check "metrics: taskwatch_watch_flapping 1" \
    grep -q '^taskwatch_watch_flapping{watch="dds-test"} 1$' <<<"$(get /metrics)"

# The API settles: one watch_recovered once no poll failed for 8 s.
sim DELETE /_sim/faults >/dev/null
t0=$(now_ms)
wait_for 20 at_least 3 n watch_recovered
t1=$(now_ms)
# The last failed poll was at most two polls before the fault ended.
check "one closing watch_recovered ($((t1 - t0)) ms after the fault ended)" \
    test "$(n watch_recovered)" -eq 3 -a $((t1 - t0)) -ge 4000
rec=$(sink_events hook | jq -c 'select(.event=="watch_recovered")' | tail -n1)
check "closing watch_recovered: since the flapping began" \
    test "$(jq -r '[.since, .flap_cycles] | join(" ")' <<<"$rec")" = "$(jq -r .since <<<"$ev") 3"
check "event ids unique" \
    test "$(sink_events hook | jq -r .id | sort -u | wc -l)" -eq "$(sink_events hook | wc -l)"
check "/api/v1/watches: no longer flapping" test "$(flapping)" = false
check "PagerDuty: one incident, triggered by each watch_failed and the watch_flapping" \
    test "$(pd | grep -c '^trigger ') $(pd | awk '{print $2}' | sort -u | wc -l)" = "4 1"
wait_for 5 at_least 3 eval "pd | grep -c '^resolve '"
check "PagerDuty: resolved by each recovery, the closing one last" \
    test "$(pd | grep -c '^resolve ') $(pd | tail -n1 | cut -d' ' -f1)" = "3 resolve"
sleep $(( SLOW * 2 ))
check "nothing after it" test "$(n watch_failed) $(n watch_recovered) $(n watch_flapping)" = "3 3 1"
check "metrics: taskwatch_watch_flapping 0" \
    grep -q '^taskwatch_watch_flapping{watch="dds-test"} 0$' <<<"$(get /metrics)"
stop_daemon
check "SIGTERM exits 0" test "$DAEMON_RC" -eq 0
[ "$FAILS" -gt 0 ] && { cat "$TMP/taskwatchd.yaml"; tail -20 "$TMP/daemon.log"; } >&2
finish
