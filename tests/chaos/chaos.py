#!/usr/bin/env python3
"""Jepsen-style chaos test of taskwatchd (make chaos; issue 15).

Starts, on 127.0.0.1 with ports of its own, taskwatch-sim playing seeded
random lifecycles on all five APIs (--lifecycles SEED), the real
Alertmanager, a webhook receiver of its own, an exec hook and taskwatchd,
then injects seeded random faults for MINUTES: SIGKILL (at random, in the
first 100 ms of a run, during a poll, while the save child writes, during
a delivery), clean SIGTERM restarts, SIGHUP with random tuning and scope
changes, a webhook answering 503 or hanging, Alertmanager stopped and
started, the exec hook slow or failing.  Then everything runs healthy for
a bounded time and an oracle compares what the notifiers got with the
simulator's change log (GET /_sim/changes).  Exit 0 only with 0 lost and
0 false events.  Standard library only.
"""

import argparse
import bisect
import calendar
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SLOW = float(os.environ.get("TW_SLOW", "1") or 1)
AM_BIN = os.environ.get("AM_BIN", "/usr/bin/prometheus-alertmanager")
LOG_PREFIX = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z [a-z]+: ")
PROJECT = "0549b4a43100d4f32f51c01c2fe4acdb"
# The credentials the integration tests (auth.sh) give the simulator.
HW_AK, HW_SK = "HWAKTESTQTWAOYTTINDU", "hwSecretKey-4f1c9a7e-do-not-log"
ALI_ID, ALI_SECRET = "LTAI5tAuthTest", "aliSecret-9b2d-do-not-log"


def base_type(t):
    """The action a task type is the failure of (taskwatchd.yaml(5))."""
    if t == "RESIZE_FAILURE":
        return "GROWING"
    if t is not None and t.endswith("_FAILED"):
        return t[:-len("_FAILED")]
    return t


# Watch name of each API.
WATCH_OF = {"dws.actions": "dws-act", "dws.logical_tasks": "dws-lc",
            "dds.jobs": "dds", "gaussdb.tasks": "gauss", "ehpc.tasks": "hpc"}
API_OF = {w: a for a, w in WATCH_OF.items()}
BAD_STATES = ("FAILED", "PARTIAL")
SCOPE_GRACE_MS = 10000   # a change in a cluster removed sooner is not owed


def die_with_us(sig):
    """A preexec_fn: the child gets sig when this harness dies, so that
    nothing outlives a harness that was itself killed."""
    def set_pdeathsig():
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    return set_pdeathsig


def now_ms():
    """Wall-clock milliseconds (CLOCK_REALTIME, as the simulator's log)."""
    return time.time_ns() // 1000000


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, timeout=5.0):
    """GET url and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def slim(ev):
    """The parts of an event document the oracle reads (a long run
    receives a hundred thousand)."""
    t = ev.get("task") or {}
    out = {k: ev.get(k) for k in ("id", "event", "watch", "api", "missed",
                                  "occurred_at", "observed_at")}
    if t:
        out["task"] = {k: t.get(k) for k in ("id", "cluster_id", "state",
                                             "type", "progress")}
    if ev.get("previous"):
        out["previous"] = {"state": ev["previous"].get("state")}
    return out


class Receiver:
    """The webhook receiver: records every delivery with its time and
    answer; answers 503 or hangs while a fault span is on."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries = []      # (recv_ms, status, event dict)
        self.inflight = 0
        self.arrived = threading.Event()
        self.mode = "ok"          # ok | 503 | hang
        self.mode_until = 0
        self.rng = random.Random(0)
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                t = now_ms()
                with rec.lock:
                    rec.inflight += 1
                    mode = rec.mode if t < rec.mode_until else "ok"
                    until = rec.mode_until
                    delay = rec.rng.uniform(0, 0.03)
                rec.arrived.set()
                try:
                    if mode == "hang":
                        # Hang to the end of the span (at most 8 s), then
                        # refuse: a 2xx is only ever answered at once.
                        time.sleep(min(8.0, max(0, until - now_ms()) / 1e3))
                        status = 503
                    elif mode == "503":
                        status = 503
                    else:
                        time.sleep(delay)
                        status = 200
                    try:
                        ev = slim(json.loads(body))
                    except (ValueError, AttributeError):
                        ev = {"id": self.headers.get("webhook-id"),
                              "event": "?"}
                    out = b'{"ok":true}' if status == 200 else b'{"no":1}'
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                    with rec.lock:
                        rec.deliveries.append((now_ms(), status, ev))
                except OSError:
                    pass
                finally:
                    with rec.lock:
                        rec.inflight -= 1

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass    # a client killed mid-request: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def fault(self, mode, span_ms):
        """Answer 503 or hang for span_ms."""
        with self.lock:
            self.mode = mode
            self.mode_until = now_ms() + span_ms

    def heal(self):
        """Answer 200 again."""
        with self.lock:
            self.mode_until = 0

    def stop(self):
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class Chaos:
    """One run: the processes, the fault schedule and the oracle."""

    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.rng = random.Random(args.seed)
        self.tmp = tempfile.mkdtemp(prefix="taskwatch-chaos.")
        self.sim = self.am = self.daemon = None
        self.am_port = None
        self.am_down = False
        self.log = []              # (ms, line) of every daemon run
        self.log_lock = threading.Lock()
        self.faults = []           # (ms, kind, detail)
        self.kills = []            # ms of every SIGKILL
        self.nkills = self.nreloads = self.nterms = 0
        self.changes = []
        self.change_last = 0
        self.config_history = []   # (ms, {watch: clusters}, tuning)
        self.daemon_exits = []     # (ms, rc, how)
        self.receiver = Receiver()
        self.stop_poller = threading.Event()

    # -- bookkeeping -----------------------------------------------------

    def note(self, kind, detail=""):
        """Record a fault (or harness step) in the schedule."""
        t = now_ms()
        self.faults.append((t, kind, detail))
        if self.args.verbose:
            print("# %d %s %s" % (t, kind, detail), flush=True)

    def sim_url(self, path):
        return "http://127.0.0.1:%d%s" % (self.sim_port, path)

    # -- the simulator ---------------------------------------------------

    def start_sim(self):
        """taskwatch-sim with the lifecycles of the seed and signed
        accounts."""
        scen = os.path.join(self.tmp, "scenario.yaml")
        with open(scen, "w") as f:
            f.write("project_id: %s\naccounts:\n" % PROJECT)
            f.write("  - { name: hw, cloud: huawei, auth: [aksk], ak: %s, "
                    "sk: %s, project_id: %s }\n" % (HW_AK, HW_SK, PROJECT))
            f.write("  - { name: ali, cloud: alibaba, auth: [v2, v3], "
                    "access_key_id: %s, access_key_secret: %s }\n"
                    % (ALI_ID, ALI_SECRET))
        pf = os.path.join(self.tmp, "sim.port")
        life = self.args.minutes * 60 + 900 * SLOW
        self.sim = subprocess.Popen(
            [os.path.join(TOP, "bin/taskwatch-sim"), "--port", "0",
             "--port-file", pf, "--scenario", scen,
             "--lifecycles", str(self.seed % (2 ** 63)),
             "--lifecycle-tasks", str(self.args.tasks),
             "--exit-after", "%ds" % life],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "sim.log"), "w"),
            preexec_fn=die_with_us(signal.SIGTERM))
        deadline = time.time() + 10 * SLOW
        while not os.path.exists(pf) or os.path.getsize(pf) == 0:
            if time.time() > deadline or self.sim.poll() is not None:
                raise RuntimeError("taskwatch-sim did not start")
            time.sleep(0.05)
        self.sim_port = int(open(pf).read())
        self.sim_start = now_ms()
        cl = http_json(self.sim_url("/_sim/clusters"))["clusters"]
        self.dws = [c["id"] for c in cl if c["kind"] == "dws"]
        self.ehpc = [c["id"] for c in cl if c["kind"] == "ehpc"]
        threading.Thread(target=self.poll_changes, daemon=True).start()

    def fetch_changes(self):
        """Append the simulator's new changes to self.changes."""
        while True:
            d = http_json(self.sim_url("/_sim/changes?after=%d&limit=20000"
                                       % self.change_last), timeout=20)
            if d["dropped"] and not self.changes:
                pass
            for c in d["changes"]:
                if c["seq"] != self.change_last + 1 and self.change_last:
                    raise RuntimeError("change log lost entries (%d after %d)"
                                       % (c["seq"], self.change_last))
                self.changes.append(c)
                self.change_last = c["seq"]
            if len(d["changes"]) < 20000:
                return

    def poll_changes(self):
        """Thread: read the change log every second."""
        while not self.stop_poller.wait(1.0):
            try:
                self.fetch_changes()
            except Exception as e:          # the final fetch reports it
                print("# change log: %s" % e, flush=True)

    # -- Alertmanager ----------------------------------------------------

    def start_am(self):
        """The real Alertmanager on its port (the same one after a
        restart: the daemon's config names it)."""
        cfg = os.path.join(self.tmp, "am.yml")
        with open(cfg, "w") as f:
            f.write('route:\n  receiver: "null"\nreceivers:\n'
                    '  - name: "null"\n')
        for _ in range(10):
            if self.am_port is None:
                self.am_port = free_port()
            self.am = subprocess.Popen(
                [AM_BIN, "--config.file=" + cfg,
                 "--storage.path=" + os.path.join(self.tmp, "am-data"),
                 "--web.listen-address=127.0.0.1:%d" % self.am_port,
                 "--cluster.listen-address=", "--log.level=warn"],
                preexec_fn=die_with_us(signal.SIGTERM),
                stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.tmp, "am.log"), "a"))
            deadline = time.time() + 15 * SLOW
            while time.time() < deadline and self.am.poll() is None:
                try:
                    urllib.request.urlopen(
                        "http://127.0.0.1:%d/-/ready" % self.am_port,
                        timeout=1).read()
                    self.am_down = False
                    return
                except OSError:
                    time.sleep(0.1)
            self.stop_am()
            time.sleep(0.5)
        raise RuntimeError("alertmanager did not start")

    def stop_am(self):
        """SIGTERM Alertmanager by its pid and wait."""
        if self.am is not None:
            self.am.terminate()
            try:
                self.am.wait(10 * SLOW)
            except subprocess.TimeoutExpired:
                self.am.kill()
                self.am.wait()
            self.am = None
        self.am_down = True

    def am_alerts(self):
        """Alertmanager's active alerts."""
        return http_json("http://127.0.0.1:%d/api/v2/alerts?active=true"
                         "&silenced=true&inhibited=true" % self.am_port,
                         timeout=10)

    # -- the exec hook ---------------------------------------------------

    def write_hook(self):
        """A hook that notes its event id first, then obeys a control
        file: slow, fail (exit 1) or retry (exit 75)."""
        self.exec_log = os.path.join(self.tmp, "exec.log")
        self.exec_ctl = os.path.join(self.tmp, "exec.ctl")
        hook = os.path.join(self.tmp, "hook.sh")
        with open(hook, "w") as f:
            f.write('#!/bin/sh\n'
                    'echo "$TASKWATCH_EVENT_ID $TASKWATCH_WATCH '
                    '$TASKWATCH_CLUSTER_ID $TASKWATCH_TASK_ID '
                    '$TASKWATCH_STATE" >>%s\n'
                    'cat >/dev/null\n'
                    'case "$(cat %s 2>/dev/null)" in\n'
                    'slow) sleep 3 ;;\n'
                    'fail) exit 1 ;;\n'
                    'retry) exit 75 ;;\n'
                    'esac\nexit 0\n' % (self.exec_log, self.exec_ctl))
        os.chmod(hook, 0o755)
        self.hook = hook

    def exec_mode(self, mode):
        """Set the hook's behaviour ("" for normal)."""
        tmp = self.exec_ctl + ".tmp"
        with open(tmp, "w") as f:
            f.write(mode)
        os.rename(tmp, self.exec_ctl)

    # -- the daemon's config ---------------------------------------------

    def initial_config(self):
        """All clusters, short intervals."""
        self.scope = {"dws-act": list(self.dws), "dws-lc": list(self.dws),
                      "hpc": list(self.ehpc)}
        self.tuning = {w: {"interval": "500ms", "timeout": "3s",
                           "stall_after": "4s", "fail_after": 3,
                           "lookback": "2d"} for w in API_OF}

    def write_config(self):
        """Write the config (atomically) and note it in the history."""
        sd = os.path.join(self.tmp, "state")
        L = []
        L.append("daemon: { state_dir: %s, listen: \"\", "
                 "control_socket: \"\", shutdown_timeout: 3s }" % sd)
        sim = "http://127.0.0.1:%d" % self.sim_port
        L.append("accounts:")
        L.append("  - { name: hw, cloud: huawei, region: cn-north-4, "
                 "project_id: %s, auth: { method: aksk, access_key_env: "
                 "TW_AK, secret_key_env: TW_SK }, endpoints: { dws: %s, "
                 "dds: %s, gaussdb: %s } }" % (PROJECT, sim, sim, sim))
        L.append("  - { name: ali, cloud: alibaba, region: cn-hangzhou, "
                 "auth: { method: v3, access_key_id_env: TW_ALI_ID, "
                 "access_key_secret_env: TW_ALI_SECRET }, "
                 "endpoints: { ehpc: %s } }" % sim)
        L.append("watches:")
        for w in sorted(API_OF):
            t = self.tuning[w]
            extra = ""
            if w in self.scope:
                extra += ", clusters: [%s]" % ", ".join(self.scope[w])
            if API_OF[w] in ("dds.jobs", "gaussdb.tasks"):
                extra += ", lookback: %s" % t["lookback"]
            L.append("  - { name: %s, account: %s, api: %s, interval: %s, "
                     "timeout: %s, stall_after: %s, fail_after: %d%s }"
                     % (w, "ali" if w == "hpc" else "hw", API_OF[w],
                        t["interval"], t["timeout"], t["stall_after"],
                        t["fail_after"], extra))
        am = "http://127.0.0.1:%d" % self.am_port
        rt = "retry: { initial: 100ms, max: 1s, give_up_after: 1h }"
        L.append("notifiers:")
        L.append("  - { name: hook, type: webhook, url: http://127.0.0.1:%d"
                 "/hook, timeout: 5s, %s }" % (self.receiver.port, rt))
        L.append("  - { name: am, type: alertmanager, urls: [%s], "
                 "resolve_after: 24h, repeat: 2s, timeout: 5s, %s }"
                 % (am, rt))
        L.append("  - { name: run, type: exec, command: [%s], timeout: 10s, "
                 "max_concurrent: 4, cooldown: 0s, allow_root: true }"
                 % self.hook)
        L.append("rules:")
        L.append("  - name: failures")
        L.append("    match: { event: [transition, appeared], "
                 "to: [FAILED, PARTIAL] }")
        L.append("    notify: [hook, am, run]")
        L.append("  - name: everything")
        L.append("    notify: [hook]")
        self.conf = os.path.join(self.tmp, "taskwatchd.yaml")
        with open(self.conf + ".tmp", "w") as f:
            f.write("\n".join(L) + "\n")
        os.rename(self.conf + ".tmp", self.conf)
        self.config_history.append(
            (now_ms(), {w: list(c) for w, c in self.scope.items()},
             json.dumps(self.tuning, sort_keys=True)))

    # -- the daemon ------------------------------------------------------

    def start_daemon(self):
        """taskwatchd -d; its stderr read by a thread, each line stamped
        with the wall clock when read."""
        env = dict(os.environ, TW_AK=HW_AK, TW_SK=HW_SK, TW_ALI_ID=ALI_ID,
                   TW_ALI_SECRET=ALI_SECRET)
        p = subprocess.Popen([os.path.join(TOP, "bin/taskwatchd"), "-dv",
                              "-f", self.conf], env=env,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE,
                             preexec_fn=die_with_us(signal.SIGKILL))
        self.daemon = p
        self.daemon_start = now_ms()
        with self.log_lock:
            self.log.append((self.daemon_start, "#chaos: start pid %d"
                             % p.pid))
        th = threading.Thread(target=self.read_log, args=(p,), daemon=True)
        th.start()
        self.daemon_reader = th

    def read_log(self, p):
        """Thread: stamp and keep each line of a run's stderr."""
        for raw in p.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            # "TIME level: " starts each stderr line: the daemon's own
            # clock stamps it (reading lags under load), then it goes.
            ms = now_ms()
            m = LOG_PREFIX.match(line)
            if m:
                ms = calendar.timegm(time.strptime(
                    m.group(1), "%Y-%m-%dT%H:%M:%S")) * 1000 + \
                    int(m.group(2))
                line = line[m.end():]
            if line.startswith("http: "):
                continue    # request traces: too many to keep
            with self.log_lock:
                self.log.append((ms, line))

    def reap(self, how):
        """Wait for the daemon that was just signalled."""
        p = self.daemon
        try:
            rc = p.wait(15 * SLOW)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            self.kills.append(now_ms())
            how += "+kill"
        self.daemon_reader.join(5)
        self.daemon_exits.append((now_ms(), rc, how, p.pid))
        self.daemon = None
        return rc

    def kill_daemon(self, why):
        """SIGKILL the daemon and note it."""
        if self.daemon is None:
            return
        if self.daemon.poll() is not None:
            self.note("exited", "rc %s before a kill" % self.daemon.returncode)
        else:
            self.daemon.send_signal(signal.SIGKILL)
            self.kills.append(now_ms())
            self.nkills += 1
            self.note("kill", why)
        self.reap("kill")

    def term_daemon(self):
        """SIGTERM: a clean stop."""
        if self.daemon is None:
            return None
        if not self.wait_started(5 * SLOW):
            # Before its handlers are in place TERM would kill it by
            # default: not the clean stop this fault is about.
            self.kill_daemon("term-before-start")
            return None
        self.note("term")
        self.daemon.send_signal(signal.SIGTERM)
        self.nterms += 1
        rc = self.reap("term")
        self.note("term-exit", "rc %d" % rc)
        return rc

    def ensure_daemon(self):
        """Start the daemon if it is not running."""
        if self.daemon is None or self.daemon.poll() is not None:
            if self.daemon is not None:
                self.note("exited", "rc %s on its own" % self.daemon.returncode)
                self.reap("own")
            self.start_daemon()
            self.note("start", "pid %d" % self.daemon.pid)

    # -- faults ----------------------------------------------------------

    def wait_started(self, limit_s):
        """Until the running daemon has logged that it started (its
        signal handlers are in place)."""
        end = time.time() + limit_s
        while time.time() < end:
            if self.daemon is None or self.daemon.poll() is not None:
                return False
            with self.log_lock:
                for ms, line in reversed(self.log):
                    if line.startswith("#chaos: start"):
                        break
                    if " started: " in line:
                        return True
            time.sleep(0.01)
        return False

    def wait_save_child(self, limit_s):
        """Until the daemon has a child that is itself (the save child)."""
        exe = os.path.realpath(os.path.join(TOP, "bin/taskwatchd"))
        pid = self.daemon.pid
        end = time.time() + limit_s
        while time.time() < end:
            try:
                kids = open("/proc/%d/task/%d/children" % (pid, pid)).read()
            except OSError:
                return False
            for k in kids.split():
                try:
                    if os.path.realpath("/proc/%s/exe" % k) == exe:
                        return True
                except OSError:
                    pass
            time.sleep(0.003)
        return False

    def wait_poll(self, limit_s):
        """Until the simulator serves another API request."""
        def total():
            return http_json(self.sim_url("/_sim/requests"))["total"]
        t0 = total()
        end = time.time() + limit_s
        while time.time() < end:
            if total() != t0:
                return True
            time.sleep(0.005)
        return False

    def wait_delivery(self, limit_s):
        """Until a webhook delivery is in flight."""
        self.receiver.arrived.clear()
        return self.receiver.arrived.wait(limit_s)

    def fault_kill(self):
        """One SIGKILL at a moment of a random kind, then a restart."""
        r = self.rng.random()
        if r < 0.3:
            self.kill_daemon("random")
            self.start_daemon()
            self.note("start", "pid %d" % self.daemon.pid)
            time.sleep(self.rng.uniform(0, 0.1))
            self.kill_daemon("first-100ms")
        elif r < 0.45:
            self.kill_daemon("poll" if self.wait_poll(2) else "poll-timeout")
        elif r < 0.6:
            self.kill_daemon("save-child" if self.wait_save_child(3)
                             else "save-timeout")
        elif r < 0.75:
            self.kill_daemon("delivery" if self.wait_delivery(3)
                             else "delivery-timeout")
        else:
            self.kill_daemon("random")
        time.sleep(self.rng.uniform(0, 0.2))
        self.ensure_daemon()

    def fault_reload(self):
        """Random tuning and/or scope changes, written, then SIGHUP."""
        what = []
        if self.rng.random() < 0.6:
            for w in self.rng.sample(sorted(API_OF), self.rng.randint(1, 2)):
                t = self.tuning[w]
                k = self.rng.choice(["interval", "timeout", "stall_after",
                                     "fail_after", "lookback"])
                t[k] = self.rng.choice({
                    "interval": ["300ms", "500ms", "700ms", "1s"],
                    "timeout": ["2s", "3s", "5s"],
                    "stall_after": ["0s", "3s", "4s", "8s"],
                    "fail_after": [2, 3, 5],
                    "lookback": ["1d", "2d", "7d"]}[k])
                what.append("%s.%s=%s" % (w, k, t[k]))
        if not what or self.rng.random() < 0.5:
            w = self.rng.choice(sorted(self.scope))
            pool = self.ehpc if w == "hpc" else self.dws
            have = self.scope[w]
            missing = [c for c in pool if c not in have]
            if missing and (len(have) == 1 or self.rng.random() < 0.5):
                c = self.rng.choice(missing)
                have.append(c)
                what.append("%s+%s" % (w, c))
            else:
                c = self.rng.choice(have)
                have.remove(c)
                what.append("%s-%s" % (w, c))
        self.write_config()
        if self.wait_started(2 * SLOW):
            self.daemon.send_signal(signal.SIGHUP)
            self.note("reload", " ".join(what))
            self.nreloads += 1
        else:
            # Not up yet: a kill makes sure the next run reads it.
            self.note("config", " ".join(what) + " (written, no HUP)")
            self.kill_daemon("config-before-start")
            self.ensure_daemon()

    def run_faults(self, seconds):
        """The fault schedule: every kind on its own random clock."""
        rng = self.rng
        per_kill = self.args.kill_every
        t = time.time()
        end = t + seconds
        nxt = {"kill": t + rng.expovariate(1 / per_kill),
               "reload": t + rng.expovariate(1 / self.args.reload_every),
               "term": t + rng.uniform(20, 40),
               "webhook": t + rng.uniform(5, 20),
               "am": t + rng.uniform(10, 40),
               "exec": t + rng.uniform(5, 20)}
        am_up_at = exec_off_at = None
        while True:
            now = time.time()
            if now >= end:
                break
            if am_up_at is not None and now >= am_up_at:
                self.start_am()
                self.note("am-start")
                am_up_at = None
            if exec_off_at is not None and now >= exec_off_at:
                self.exec_mode("")
                self.note("exec", "normal")
                exec_off_at = None
            kind = min(nxt, key=nxt.get)
            if nxt[kind] > now:
                time.sleep(min(nxt[kind] - now, 0.05))
                continue
            self.ensure_daemon()
            if kind == "kill":
                self.fault_kill()
                nxt[kind] = time.time() + rng.expovariate(1 / per_kill)
            elif kind == "reload":
                self.fault_reload()
                nxt[kind] = time.time() + rng.expovariate(
                    1 / self.args.reload_every)
            elif kind == "term":
                self.term_daemon()
                time.sleep(rng.uniform(0, 0.2))
                self.ensure_daemon()
                nxt[kind] = time.time() + rng.uniform(20, 60)
            elif kind == "webhook":
                mode = rng.choice(["503", "hang"])
                span = int(rng.uniform(1000, 8000))
                self.receiver.fault(mode, span)
                self.note("webhook", "%s %d ms" % (mode, span))
                nxt[kind] = time.time() + span / 1e3 + rng.uniform(5, 20)
            elif kind == "am":
                if am_up_at is None:
                    self.stop_am()
                    down = rng.uniform(2, 10)
                    self.note("am-stop", "%.1f s" % down)
                    am_up_at = time.time() + down
                nxt[kind] = time.time() + rng.uniform(20, 60)
            elif kind == "exec":
                mode = rng.choice(["slow", "fail", "retry"])
                span = rng.uniform(2, 10)
                self.exec_mode(mode)
                self.note("exec", "%s %.1f s" % (mode, span))
                exec_off_at = time.time() + span
                nxt[kind] = exec_off_at + rng.uniform(5, 20)
        if am_up_at is not None:
            self.start_am()
            self.note("am-start")
        self.exec_mode("")
        self.receiver.heal()
        self.ensure_daemon()

    # -- the run ---------------------------------------------------------

    def run(self):
        """Set up, run the faults, settle, stop, judge."""
        self.write_hook()
        self.exec_mode("")
        self.start_sim()
        self.start_am()
        self.initial_config()
        self.write_config()
        self.start_daemon()
        self.note("start", "pid %d" % self.daemon.pid)
        # The first run lives long enough to poll once: the faults begin
        # at a random moment of the first two seconds.
        time.sleep(self.rng.uniform(0, 2))
        self.run_faults(self.args.minutes * 60)
        self.faults_end = now_ms()
        self.note("faults-end")
        settle = self.args.settle * SLOW
        time.sleep(settle)
        self.alerts = self.am_alerts()
        self.settled = now_ms()
        self.note("settled")
        rc = self.term_daemon()
        self.final_rc = rc
        self.stop_poller.set()
        self.fetch_changes()
        with self.receiver.lock:
            self.deliveries = list(self.receiver.deliveries)
        return Oracle(self).judge()

    def cleanup(self):
        """Stop what we started, by pid; remove the temp dir."""
        self.stop_poller.set()
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        if self.am is not None:
            self.stop_am()
        if self.sim is not None and self.sim.poll() is None:
            self.sim.terminate()
            try:
                self.sim.wait(10)
            except subprocess.TimeoutExpired:
                self.sim.kill()
                self.sim.wait()
        self.receiver.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Replay:
    """A finished run read back from the files keep() wrote (--judge DIR),
    to judge it again without running it."""

    def __init__(self, d, args):
        self.args = args
        self.changes = [json.loads(x) for x in open(os.path.join(
            d, "changes.jsonl"))]
        self.deliveries = []
        for x in open(os.path.join(d, "deliveries.jsonl")):
            r = json.loads(x)
            self.deliveries.append((r["recv_ms"], r["status"], r["event"]))
        self.log = []
        for x in open(os.path.join(d, "daemon.log"), errors="replace"):
            ms, _, rest = x.rstrip("\n").partition(" ")
            self.log.append((int(ms), rest))
        self.alerts = json.load(open(os.path.join(d, "alerts.json")))
        self.exec_log = os.path.join(d, "exec.log")
        faults = []
        for x in open(os.path.join(d, "faults.tsv")):
            if not x.startswith("#"):
                t, k, det = (x.rstrip("\n").split("\t") + [""])[:3]
                faults.append((int(t), k, det))
        self.faults = faults
        mp = os.path.join(d, "meta.json")
        if os.path.exists(mp):
            m = json.load(open(mp))
            for k, v in m.items():
                setattr(self, k, v)
            self.config_history = [tuple(h) for h in self.config_history]
            return
        # Older files: rebuild the scopes from the schedule.
        self.seed, self.nkills = args.seed or 0, 0
        self.kills = [t for t, k, _ in faults if k == "kill"]
        self.nkills = len(self.kills)
        self.nreloads = sum(1 for _, k, _ in faults if k == "reload")
        self.nterms = sum(1 for _, k, _ in faults if k == "term")
        self.faults_end = [t for t, k, _ in faults if k == "faults-end"][0]
        self.daemon_exits = []
        dws = sorted({c["cluster"] for c in self.changes
                      if c["api"].startswith("dws")})
        ehpc = sorted({c["cluster"] for c in self.changes
                       if c["api"] == "ehpc.tasks"})
        scope = {"dws-act": list(dws), "dws-lc": list(dws),
                 "hpc": list(ehpc)}
        self.config_history = [(faults[0][0] - 1, json.loads(
            json.dumps(scope)), "")]
        for t, k, det in faults:
            if k not in ("reload", "config"):
                continue
            for tok in det.split():
                m = re.match(r"(dws-act|dws-lc|hpc)([+-])(.+)$", tok)
                if m and m.group(2) == "+":
                    scope[m.group(1)].append(m.group(3))
                elif m:
                    scope[m.group(1)].remove(m.group(3))
            self.config_history.append((t, json.loads(json.dumps(scope)),
                                        ""))


def logical_id(c):
    """The daemon's derived id of a DWS logical task (dws_logical.c)."""
    st = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(c["created"]))
    h = hashlib.sha256(("%s\0%s\0%s\0" % (c.get("logical_cluster", ""),
                                          c["type"], st)).encode())
    return "lc-" + h.hexdigest()[:16]


def action_key(c):
    """The daemon's key of a DWS action (dws_actions.c): BASE@submit."""
    st = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(c["created"]))
    return "%s@%s" % (base_type(c["type"]), st)


def daemon_id(c):
    """The id the daemon gives the task of change c."""
    if c["api"] == "dws.logical_tasks":
        return logical_id(c)
    if c["api"] == "dws.actions":
        return action_key(c)
    return c["id"]


class Oracle:
    """What should have been reported, against what was."""

    def __init__(self, ch):
        self.ch = ch
        self.lost = []
        self.false = []
        self.dups = []
        self.tasks = {}        # (api, cluster, daemon id) -> [changes]
        for c in ch.changes:
            did = daemon_id(c)
            self.tasks.setdefault((c["api"], c["cluster"], did), []).append(c)
        self.saved_mode = self.has_baseline_saved()
        # Stamps of the baseline lines of each watch, in order.
        pat = re.compile(r"watch (\S+): baseline %s" % (
            "saved" if self.saved_mode else "of \\d+"))
        self.baselines = {}
        for ms, line in ch.log:
            m = pat.search(line)
            if m:
                self.baselines.setdefault(m.group(1), []).append(ms)
        self.hist_at = [at for at, _, _ in ch.config_history]
        self.added_cache = {}

    def has_baseline_saved(self):
        """Whether this daemon logs "baseline saved" (newer daemons)."""
        with open(os.path.join(TOP, "bin/taskwatchd"), "rb") as f:
            return b"baseline saved" in f.read()

    def configured(self, watch, cluster, t):
        """Whether cluster was in watch's config at time t (always for
        the project-wide APIs)."""
        if watch not in ("dws-act", "dws-lc", "hpc"):
            return True
        i = bisect.bisect_right(self.hist_at, t)
        if i == 0:
            return False
        return cluster in self.ch.config_history[i - 1][1][watch]

    def added_times(self, watch, cluster):
        """Times the cluster was (re)added to the watch's config."""
        key = (watch, cluster)
        if key not in self.added_cache:
            self.added_cache[key] = self.find_added(watch, cluster)
        return self.added_cache[key]

    def find_added(self, watch, cluster):
        """added_times, computed."""
        out, was = [], False
        for at, scope, _ in self.ch.config_history:
            now = watch not in scope or cluster in scope[watch]
            if now and not was:
                out.append(at)
            was = now
        return out

    def baseline_after(self, watch, t):
        """Stamp of the first baseline line of watch after time t."""
        v = self.baselines.get(watch, [])
        i = bisect.bisect_right(v, t)
        return v[i] if i < len(v) else None

    def owed_since(self, watch, cluster, t):
        """The baseline in force at time t for the cluster, or None when
        a change at t is not owed."""
        adds = [a for a in self.added_times(watch, cluster) if a <= t]
        if not adds:
            return None
        return self.baseline_after(watch, adds[-1])

    def judge(self):
        ch = self.ch
        deliveries = ch.deliveries
        # Webhook deliveries by (watch, cluster, task id, state).
        acked, ids_of = {}, {}
        by_id_acks = {}
        for recv, status, ev in deliveries:
            t = ev.get("task") or {}
            key = (ev.get("watch"), t.get("cluster_id"), t.get("id"),
                   t.get("state"))
            if ev.get("event") in ("transition", "appeared") and \
                    t.get("state") in BAD_STATES:
                ids_of.setdefault(key, set()).add(ev.get("id"))
                if status == 200:
                    acked.setdefault(key, recv)
            if status == 200:
                by_id_acks.setdefault(ev.get("id"), []).append((recv, ev))
        execs = {}
        try:
            with open(ch.exec_log) as f:
                for line in f:
                    p = line.split()
                    if len(p) == 5:
                        k = (p[1], p[2], p[3], p[4])
                        execs.setdefault(k, set()).add(p[0])
        except OSError:
            pass
        active = set()
        for a in ch.alerts:
            lb = a.get("labels", {})
            if a.get("status", {}).get("state") == "active":
                active.add((lb.get("watch"), lb.get("cluster_id"),
                            lb.get("task_id"), lb.get("state")))
        # Successes per (watch, cluster, base type), for early resolution:
        # a DWS X_FAILED (RESIZE_FAILURE) is resolved by X's (GROWING's).
        succ = {}
        for (api, cl, did), cs in self.tasks.items():
            for c in cs:
                if c["state"] == "SUCCEEDED" and c["what"] in ("appear",
                                                                "state"):
                    succ.setdefault((WATCH_OF[api], cl,
                                     base_type(c["type"])),
                                    []).append(c["at_ms"])
        recovered = {}
        for recv, status, ev in deliveries:
            t = ev.get("task") or {}
            if ev.get("event") in ("transition", "appeared") and \
                    t.get("state") == "SUCCEEDED":
                # occurred_at of a success seen late may be later than
                # the change: count it at the delivery's time too.
                succ.setdefault((ev.get("watch"), t.get("cluster_id"),
                                 base_type(t.get("type"))),
                                []).append(recv)
            # watch_flapping is sent in place of a recovery (flap
            # damping): not a task failure, and judged as one.
            if ev.get("event") in ("watch_recovered", "watch_flapping"):
                recovered.setdefault(ev.get("watch"), []).append(recv)

        # 1. Every change to FAILED/PARTIAL after the baseline is owed.
        self.checked = 0
        self.am_checked = 0
        for (api, cl, did), cs in self.tasks.items():
            watch = WATCH_OF[api]
            prev = None
            for i, c in enumerate(cs):
                st = c["state"]
                bad = st in BAD_STATES and (c["what"] == "appear" or
                                            (c["what"] == "state" and
                                             prev != st))
                prev = st if c["what"] != "vanish" else prev
                if not bad:
                    continue
                t = c["at_ms"]
                if t >= ch.faults_end:
                    continue
                base = self.owed_since(watch, cl, t)
                if base is None or t <= base:
                    continue
                # The cluster must stay in the config a while after it.
                if not all(self.configured(watch, cl, x)
                           for x in (t, t + SCOPE_GRACE_MS)) or \
                        any(not self.configured(watch, cl, at)
                            for at, _, _ in ch.config_history
                            if t <= at <= t + SCOPE_GRACE_MS):
                    continue
                self.checked += 1
                key = (watch, cl, did, st)
                what = "%s %s %s %s -> %s at %d (%s)" % (
                    watch, cl, did, c["type"], st, t, c["what"])
                missing = []
                if key not in acked:
                    missing.append("webhook")
                if key not in execs:
                    missing.append("exec")
                ids = ids_of.get(key, set()) | execs.get(key, set())
                if len(ids) > 1:
                    self.false.append(("two ids", what, sorted(ids)))
                # Alertmanager: only where the alert is unambiguously
                # still due: no success of its kind after it (nor just
                # before, within the clocks' seconds), no recovery of
                # its watch after it, and the task never left the state.
                later = cs[i + 1:]
                moved = any(x["what"] == "state" for x in later)
                s = [x for x in succ.get((watch, cl, base_type(c["type"])),
                                         [])
                     if x >= t - 3000]
                r = [x for x in recovered.get(watch, []) if x >= t - 3000]
                if not moved and not s and not r:
                    self.am_checked += 1
                    if key not in active:
                        missing.append("alertmanager")
                if missing:
                    self.lost.append((what, missing, c))

        # 2. No event for a change that did not happen.
        self.events = 0
        for recv, status, ev in deliveries:
            t = ev.get("task")
            kind = ev.get("event")
            if not t or kind not in ("appeared", "transition", "vanished",
                                     "stalled"):
                continue
            self.events += 1
            api = ev.get("api")
            cs = self.tasks.get((api, t.get("cluster_id"), t.get("id")))
            desc = "%s %s %s %s %s at %d (id %s)" % (
                kind, ev.get("watch"), t.get("cluster_id"), t.get("id"),
                t.get("state"), recv, ev.get("id"))
            if not cs:
                self.false.append(("no such task", desc, None))
                continue
            seen = [c for c in cs if c["at_ms"] <= recv]
            states = {c["state"] for c in seen if c["what"] != "vanish"}
            if not seen:
                self.false.append(("before the task existed", desc, None))
            elif kind == "vanished":
                gone = [c for c in cs if c["what"] == "vanish"]
                if not gone or gone[0]["at_ms"] > recv:
                    self.false.append(("vanished but exists", desc, None))
                elif not any(self.configured(ev.get("watch"),
                                             t.get("cluster_id"), x)
                             for x in (gone[0]["at_ms"],
                                       gone[0]["at_ms"] - 3000)):
                    self.false.append(("vanished in a removed cluster",
                                       desc, None))
            elif kind == "stalled":
                if "RUNNING" not in states:
                    self.false.append(("stalled but never running", desc,
                                       None))
            elif t.get("state") not in states:
                self.false.append(("state it never had", desc, None))
            elif kind == "transition" and \
                    (ev.get("previous") or {}).get("state") not in states:
                self.false.append(("from a state it never had", desc, None))

        # 3. One notifier gets a task's events in the order of its changes:
        # by first 2xx, each event's state was reached (last reached
        # before that delivery) no earlier than the previous event's.
        self.check_order(deliveries)
        # 4. missed is set only on what a run found before its watch's
        # first complete listing; occurred_at of a transition to an end
        # state is the task's end time when the event carries one.
        self.check_missed(deliveries)

        # 5. No second 2xx of one id without a SIGKILL in between.
        # A stop whose shutdown_timeout ended with deliveries in flight
        # (it logs so) leaves them in the outbox like a kill does.
        kills = sorted(list(ch.kills) + [
            ms for ms, line in ch.log
            if line.startswith("shutdown: ") and
            "still undelivered after shutdown_timeout" in line])
        for eid, acks in by_id_acks.items():
            acks.sort(key=lambda x: x[0])
            for (t1, ev), (t2, _) in zip(acks, acks[1:]):
                if not any(t1 - 100 <= k <= t2 for k in kills):
                    self.dups.append((eid, t1, t2, ev.get("event"),
                                      (ev.get("task") or {}).get("id")))
        return self

    def check_order(self, deliveries):
        """Rule 3: per task, first deliveries in the order of changes."""
        first = {}
        for recv, status, ev in deliveries:
            t = ev.get("task") or {}
            if status != 200 or ev.get("event") not in ("appeared",
                                                         "transition"):
                continue
            key = (ev.get("watch"), t.get("cluster_id"), t.get("id"))
            first.setdefault(key, {}).setdefault(ev.get("id"), (recv, ev))
        for key, byid in first.items():
            cs = self.tasks.get((API_OF.get(key[0]), key[1], key[2]))
            if not cs:
                continue
            last = None
            for recv, ev in sorted(byid.values(), key=lambda x: x[0]):
                st = ev["task"].get("state")
                reached = [c["at_ms"] for c in cs if c["state"] == st and
                           c["what"] in ("appear", "state") and
                           c["at_ms"] <= recv]
                if not reached:
                    continue
                at = reached[-1]
                if last is not None and at < last[0]:
                    self.false.append((
                        "out of order", "%s %s %s: %s (reached %d) after "
                        "%s (reached %d)" % (key + (st, at, last[1], last[0])),
                        ev.get("id")))
                last = (at, st)

    def check_missed(self, deliveries):
        """Rule 4: missed only before a run's first complete listing."""
        starts, firsts = [], {}
        for ms, line in self.ch.log:
            if " started: " in line and line.startswith("taskwatchd "):
                starts.append(ms)
            m = re.match(r"watch (\S+): first poll since the restart", line)
            if m:
                firsts.setdefault(m.group(1), []).append(ms)
        seen = set()
        for recv, status, ev in deliveries:
            if ev.get("id") in seen:
                continue
            seen.add(ev.get("id"))
            t = ev.get("task") or {}
            desc = "%s %s %s %s (id %s)" % (ev.get("event"), ev.get("watch"),
                                            t.get("id"), t.get("state"),
                                            ev.get("id"))
            if ev.get("event") == "transition" and t.get("ended_at") and \
                    t.get("state") in ("SUCCEEDED", "FAILED", "PARTIAL",
                                       "ROLLED_BACK", "CANCELLED") and \
                    ev.get("occurred_at") != t.get("ended_at"):
                self.false.append(("occurred_at is not ended_at", desc,
                                   ev.get("occurred_at")))
            if not ev.get("missed"):
                continue
            obs = self.stamp(ev.get("observed_at"))
            if obs is None:
                continue
            i = bisect.bisect_right(starts, obs + 999)
            if i == 0:
                self.false.append(("missed before any restart", desc, None))
                continue
            run_start = starts[i - 1]
            run_end = starts[i] if i < len(starts) else float("inf")
            f = [x for x in firsts.get(ev.get("watch"), [])
                 if run_start <= x < run_end]
            if f and obs > f[0] + 1000:
                self.false.append(("missed after the first complete "
                                   "listing of its run", desc, None))

    @staticmethod
    def stamp(rfc3339):
        """Milliseconds of an RFC 3339 UTC time, or None."""
        try:
            return int(time.mktime(time.strptime(
                rfc3339, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone) * 1000
        except (TypeError, ValueError):
            return None

    def report(self, out):
        """Print counts, then what is needed to reproduce a failure."""
        ch = self.ch
        ok = not self.lost and not self.false and not self.dups
        print("# chaos: seed=%d minutes=%g kills=%d reloads=%d terms=%d "
              "changes=%d deliveries=%d events_checked=%d am_checked=%d "
              "false_checked=%d lost=%d false=%d dups=%d baseline=%s"
              % (ch.seed, ch.args.minutes, ch.nkills, ch.nreloads, ch.nterms,
                 len(ch.changes), len(ch.deliveries), self.checked,
                 self.am_checked, self.events, len(self.lost),
                 len(self.false), len(self.dups),
                 "saved" if self.saved_mode else "of"), file=out)
        bad_exits = [e for e in ch.daemon_exits
                     if e[2] == "own" or (e[2] == "term" and e[1] != 0)]
        for e in bad_exits:
            print("# daemon pid %d exited rc %s (%s) at %d"
                  % (e[3], e[1], e[2], e[0]), file=out)
        if ok and not bad_exits:
            return True
        kinds = {}
        for why, _, _ in self.false:
            kinds[why] = kinds.get(why, 0) + 1
        if kinds:
            print("# chaos: false events by kind: %s" % ", ".join(
                "%s %d" % kv for kv in sorted(kinds.items())), file=out)
        for what, missing, c in self.lost[:40]:
            print("LOST %s: not at %s" % (what, ", ".join(missing)),
                  file=out)
        for why, desc, extra in self.false[:40]:
            print("FALSE %s: %s%s" % (why, desc,
                                      " %s" % extra if extra else ""),
                  file=out)
        for d in self.dups[:20]:
            print("DUP id %s acked at %d and %d, no kill between (%s %s)"
                  % d, file=out)
        return False

    def lines_for(self, needle, limit=12):
        """Daemon log lines mentioning needle."""
        return [(ms, l) for ms, l in self.ch.log if needle in l][:limit]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--tasks", type=int, default=60,
                    help="tasks per cluster scope (--lifecycle-tasks)")
    ap.add_argument("--kill-every", type=float, default=1.5,
                    help="mean seconds between kills")
    ap.add_argument("--reload-every", type=float, default=6.0,
                    help="mean seconds between reloads")
    ap.add_argument("--settle", type=float, default=25.0,
                    help="healthy seconds before judging (x TW_SLOW)")
    ap.add_argument("--artifacts", default=None,
                    help="where to keep the schedule and logs on failure")
    ap.add_argument("--judge", default=None, metavar="DIR",
                    help="judge again the files a failed run kept")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.judge:
        return 0 if Oracle(Replay(args.judge, args)).judge().report(
            sys.stdout) else 1
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2 ** 31)
    for b in ("bin/taskwatchd", "bin/taskwatch-sim"):
        if not os.access(os.path.join(TOP, b), os.X_OK):
            print("chaos: %s not built (make)" % b)
            return 2
    if not os.access(AM_BIN, os.X_OK):
        print("chaos: %s not installed (make deps)" % AM_BIN)
        return 2
    print("# chaos: seed %d, %g minutes (TW_SLOW=%g)" % (args.seed,
                                                        args.minutes, SLOW),
          flush=True)
    # A hard bound on the whole run, whatever happens.
    limit = int(args.minutes * 60 + 300 * SLOW + args.settle * SLOW)
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        TimeoutError("chaos: over its time bound of %d s" % limit)))
    signal.alarm(limit)
    ch = Chaos(args)
    ok = False
    try:
        judged = ch.run()
        ok = judged.report(sys.stdout)
        if not ok:
            keep(ch, judged, args)
    except BaseException as e:
        print("chaos: %s: %s" % (type(e).__name__, e))
        try:
            keep(ch, None, args)
        except Exception:
            pass
        ok = False
    finally:
        signal.alarm(0)
        ch.cleanup()
    print("# chaos: %s (seed %d)" % ("PASS" if ok else "FAIL", args.seed))
    return 0 if ok else 1


def keep(ch, judged, args):
    """Keep the fault schedule, the daemon log, the config and the
    report where the run can be replayed from."""
    d = args.artifacts or os.path.join(
        tempfile.gettempdir(), "taskwatch-chaos-%d-%d" % (args.seed,
                                                          os.getpid()))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "faults.tsv"), "w") as f:
        f.write("# ms since epoch\tfault\tdetail (sim started at %s)\n"
                % getattr(ch, "sim_start", "?"))
        for t, k, det in ch.faults:
            f.write("%d\t%s\t%s\n" % (t, k, det))
    with open(os.path.join(d, "daemon.log"), "w") as f:
        for t, line in ch.log:
            f.write("%d %s\n" % (t, line))
    with open(os.path.join(d, "changes.jsonl"), "w") as f:
        for c in ch.changes:
            f.write(json.dumps(c) + "\n")
    with open(os.path.join(d, "deliveries.jsonl"), "w") as f:
        for t, s, ev in getattr(ch, "deliveries", []):
            f.write(json.dumps({"recv_ms": t, "status": s, "event": ev})
                    + "\n")
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({k: getattr(ch, k, None) for k in (
            "seed", "nkills", "nreloads", "nterms", "kills", "faults_end",
            "daemon_exits", "config_history")}, f)
    with open(os.path.join(d, "alerts.json"), "w") as f:
        json.dump(getattr(ch, "alerts", []), f)
    for name in ("taskwatchd.yaml", "exec.log", "sim.log", "am.log"):
        try:
            shutil.copy(os.path.join(ch.tmp, name), d)
        except OSError:
            pass
    if judged is not None:
        with open(os.path.join(d, "report.txt"), "w") as f:
            judged.report(f)
            for what, missing, c in judged.lost[:40]:
                f.write("\n--- daemon log for LOST %s\n" % what)
                for ms, l in judged.lines_for(what.split()[2]):
                    f.write("%d %s\n" % (ms, l))
            for why, desc, extra in judged.false[:40]:
                f.write("\n--- daemon log for FALSE %s: %s\n" % (why, desc))
                tid = desc.split()[2 if why == "two ids" else 3]
                for ms, l in judged.lines_for(tid):
                    f.write("%d %s\n" % (ms, l))
    print("# chaos: reproduce with: make chaos SEED=%d MINUTES=%g; "
          "schedule, logs and report kept in %s" % (args.seed, args.minutes,
                                                     d))


if __name__ == "__main__":
    sys.exit(main())
