#!/usr/bin/env python3
"""The layer check of `make lint` and `make check`.

Reads every `#include "x.h"` of src/ and include/ and fails on an include
from a lower layer of HOUSE_STYLE.md to a higher one, one line per include:
`src/x.c: includes y.h (layer N > M)`.  A module is a file's name without
its extension (src/providers/*.c are the module "providers"); the table
below places every module, and a module missing from it is an error too:
a new file is placed here when it is added.
"""
import os
import re
import sys

# HOUSE_STYLE.md "Layers", as data: module -> layer.  A module includes
# only headers of its own layer or a lower one.
LAYERS = {
    # 1. base
    "log": 1, "xmalloc": 1, "buf": 1, "util": 1, "monotime": 1,
    "hashmap": 1, "metrics": 1,
    # 2. adapters: one library or one kind of I/O each
    "json": 2, "http": 2, "spawn": 2, "config": 2, "timer": 2,
    "durable": 2, "sdnotify": 2, "sign": 2, "sign_huawei": 2,
    "sign_alibaba": 2, "credentials": 2, "iam": 2, "whsec": 2,
    # etcd v3 over its JSON gateway (through http)
    "etcd": 2,
    # the config, split by concern, and the data tables it reads
    "config_impl": 2, "config_yaml": 2, "config_print": 2,
    "config_daemon": 2, "config_account": 2, "config_watch": 2,
    "config_notifier": 2, "config_rule": 2, "config_maintenance": 2, "api": 2, "notifier_kind": 2,
    # error answers, and requests authenticated and sent
    "apierr": 2, "auth": 2,
    # IANA time zones (TZif files), computed without the libc TZ state
    "tzfile": 2, "shard": 2,
    # 3. domain
    "task": 3, "taskstate": 3, "evt": 3, "rules": 3, "ratelimit": 3,
    "provider": 3, "provider_impl": 3, "providers": 3, "discover": 3,
    "notify": 3, "notify_impl": 3, "notify_webhook": 3,
    "notify_alertmanager": 3, "notify_syslog": 3, "notify_exec": 3,
    "notify_pagerduty": 3, "notify_format": 3, "notify_email": 3,
    "outbox": 3, "statefile": 3, "template": 3, "silence": 3,
    "durations": 3, "hookguard": 3, "notify_guard": 3,
    # the exec hooks' audit log (state_dir/audit.jsonl)
    "audit": 3,
    "maintenance": 3,
    # leader election and hook claims for one shard, through etcd
    "ha": 3,
    # 4. orchestration
    "watch": 4, "sched": 4, "status": 4, "control": 4, "check": 4,
    "persist": 4, "oncall": 4, "main": 4,
    # this instance as a replica of its shard: election + delivery gate
    "replica": 4,
}

# Known upward includes, each with the reason it is tolerated for now.
# Each is still printed ("allowed: ..."); remove its row with the include.
ALLOWED = set()

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(path):
    """The module a source or header file belongs to."""
    parts = path.split(os.sep)
    if len(parts) >= 3 and parts[0] == "src" and parts[1] == "providers":
        return "providers"
    return os.path.splitext(parts[-1])[0]


def sources(root):
    """The files checked: src/**/*.c and include/*.h, sorted."""
    out = []
    for top in ("src", "include"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def main():
    """Check the tree at argv[1] (default: .); exit 1 on any problem."""
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    problems = 0
    for path in sources(root):
        mod = module_of(path)
        if mod not in LAYERS:
            print(f"{path}: module {mod} has no layer "
                  "(add it to tests/tools/layers.py)")
            problems += 1
            continue
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for line in f:
                m = INCLUDE.match(line)
                if m is None:
                    continue
                header = m.group(1)
                hmod = module_of(header)
                if hmod not in LAYERS:
                    print(f"{path}: includes {header}, a module with no "
                          "layer (add it to tests/tools/layers.py)")
                    problems += 1
                    continue
                if LAYERS[hmod] <= LAYERS[mod]:
                    continue
                msg = (f"{path}: includes {header} "
                       f"(layer {LAYERS[hmod]} > {LAYERS[mod]})")
                if (path, header) in ALLOWED:
                    print(f"allowed: {msg}")
                else:
                    print(msg)
                    problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
