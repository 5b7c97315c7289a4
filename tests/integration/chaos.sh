#!/usr/bin/env bash
# The chaos test (tests/chaos/chaos.py) for 2 minutes with a fixed seed:
# seeded random lifecycles on all five APIs in the simulator, random
# SIGKILLs, SIGTERMs and reloads of taskwatchd, a failing webhook, an
# Alertmanager restart, a failing exec hook; then the oracle: every
# failure reached every notifier (same id), nothing false, no duplicate
# without a kill.  `make chaos SEED=... MINUTES=...` runs it longer.
# TW_SLOW stretches the settle time, not the run; about 170 s in all.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SEED=${CHAOS_SEED:-1}
MIN=${CHAOS_MINUTES:-2}
if [ ! -x /usr/bin/prometheus-alertmanager ]; then
	echo "ok - chaos # SKIP prometheus-alertmanager not installed (make deps)"
	exit 0
fi
out=$(python3 "$TOP/tests/chaos/chaos.py" --seed "$SEED" --minutes "$MIN" \
    --settle 20 2>&1)
rc=$?
sum=$(printf '%s\n' "$out" | grep '^# chaos: seed=' | tail -n1)
kv() { printf '%s\n' "$sum" | grep -o " $1=[^ ]*" | cut -d= -f2; }
name="chaos seed $SEED, $MIN min: $(kv kills) kills, $(kv reloads) reloads, $(kv events_checked) failures checked, $(kv lost) lost, $(kv false) false, $(kv dups) duplicates"
if [ "$rc" -eq 0 ]; then
	echo "ok - $name"
else
	echo "not ok - $name"
	printf '%s\n' "$out" | grep -v '^ok\|^not ok' | head -n 40 | sed 's/^/# /'
fi
exit "$rc"
