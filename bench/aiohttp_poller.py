#!/usr/bin/python3
# What a user might write instead of taskwatchd: an asyncio + aiohttp poller
# (Debian's python3-aiohttp) doing the same fetch-parse-diff as one
# taskwatchd dds.jobs watch, for N watches at once over one persistent
# session with the same connection cap.  Each watch pages through the DDS
# listing of the last lookback (offset/limit, total_count), keeps every
# job's state, and diffs each complete listing against the previous one
# (appeared, changed, vanished).  Prints one JSON line with the polls made
# and the CPU used during the measured window.
#
# Usage: aiohttp_poller.py --base URL --watches N --connections C
#            [--lookback S] [--warmup S] [--seconds S]
import argparse
import asyncio
import json
import resource
import time
from urllib.parse import quote

import aiohttp
from yarl import URL

LIMIT = 100


def cpu_seconds():
    """User + system CPU time of this process."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def dds_time(t):
    """DDS time as the API wants it: yyyy-mm-ddThh:mm:ss+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


class Stats:
    """What the watches count, and whether the window is open."""

    def __init__(self):
        self.measuring = False
        self.stop = False
        self.polls = 0
        self.pages = 0
        self.events = 0
        self.errors = 0


async def poll_once(session, base, lookback, st):
    """One complete listing: every page, parsed into {id: state}."""
    now = time.time()
    window = ("start_time=" + quote(dds_time(now - lookback), safe="")
              + "&end_time=" + quote(dds_time(now), safe=""))
    tasks, offset = {}, 0
    while True:
        url = URL("%s?%s&offset=%d&limit=%d" % (base, window, offset, LIMIT),
                  encoded=True)
        async with session.get(url) as r:
            if r.status != 200:
                raise RuntimeError("HTTP %d" % r.status)
            doc = json.loads(await r.read())
        if st.measuring:
            st.pages += 1
        jobs = doc["jobs"]
        for j in jobs:
            tasks[j["id"]] = (j["status"], j["progress"], j["ended_at"],
                              j["fail_reason"])
        offset += len(jobs)
        if not jobs or offset >= doc.get("total_count", 0):
            return tasks


async def watch(session, base, lookback, st):
    """Poll back to back, diffing each listing against the last."""
    prev = None
    while not st.stop:
        try:
            tasks = await poll_once(session, base, lookback, st)
        except (aiohttp.ClientError, RuntimeError, ValueError, KeyError):
            st.errors += 1
            await asyncio.sleep(0.1)
            continue
        if prev is not None:
            ev = 0
            for tid, rec in tasks.items():
                old = prev.get(tid)
                if old is None or old != rec:
                    ev += 1
            ev += sum(1 for tid in prev if tid not in tasks)
            st.events += ev
        prev = tasks
        if st.measuring:
            st.polls += 1


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--watches", type=int, default=64)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--lookback", type=float, default=7 * 86400)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()

    st = Stats()
    conn = aiohttp.TCPConnector(limit=a.connections,
                                limit_per_host=a.connections)
    async with aiohttp.ClientSession(connector=conn) as session:
        ws = [asyncio.create_task(watch(session, a.base, a.lookback, st))
              for _ in range(a.watches)]
        await asyncio.sleep(a.warmup)
        st.measuring = True
        c0, t0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(a.seconds)
        st.measuring = False
        c1, t1 = cpu_seconds(), time.monotonic()
        st.stop = True
        await asyncio.gather(*ws, return_exceptions=True)
    print(json.dumps({"polls": st.polls, "pages": st.pages,
                      "seconds": round(t1 - t0, 3),
                      "cpu_s": round(c1 - c0, 3), "events": st.events,
                      "errors": st.errors}))


asyncio.run(main())
