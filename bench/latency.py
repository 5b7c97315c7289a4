#!/usr/bin/python3
# Change-to-webhook latency: match each transition the webhook sink received
# to the simulator's recorded status change of that task (same id, same
# vendor status, the latest one made before the delivery) and print the
# distribution as JSON.  Usage: latency.py SINK.json CHANGES.json
import bisect
import json
import sys
from datetime import datetime, timezone


def ms(rfc3339):
    """Milliseconds since the epoch of the sink's received_at."""
    t = datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(t.replace(tzinfo=timezone.utc).timestamp() * 1000 + 0.5)


def pct(v, p):
    """Nearest-rank percentile of a sorted list."""
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def main():
    with open(sys.argv[1]) as f:
        sink = json.load(f)
    with open(sys.argv[2]) as f:
        changes = json.load(f)["changes"]
    # The change log also lists appearances and progress: only status
    # changes start a transition's latency.
    changes = [c for c in changes if c.get("what", "state") == "state"]
    by = {}
    for c in changes:
        by.setdefault((c["id"], c["status"]), []).append(c["at_ms"])
    lat, unmatched, other = [], 0, 0
    for r in sink:
        ev = json.loads(r["body"])
        if ev.get("event") != "transition":
            other += 1
            continue
        t = ev["task"]
        at = by.get((t["id"], t["raw_status"]))
        got = ms(r["received_at"])
        if not at:
            unmatched += 1
            continue
        i = bisect.bisect_right(at, got) - 1
        if i < 0:
            unmatched += 1
            continue
        lat.append(got - at[i])
    lat.sort()
    print(json.dumps({
        "events": len(lat), "unmatched": unmatched, "other": other,
        "changes": len(changes),
        "p50_ms": pct(lat, 50), "p90_ms": pct(lat, 90),
        "p99_ms": pct(lat, 99), "max_ms": lat[-1] if lat else None,
        "min_ms": lat[0] if lat else None,
    }))


main()
