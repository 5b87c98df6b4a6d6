"""Resident memory of server processes (VmRSS now, VmHWM peak) from /proc/<pid>/status.

usage: python -m bench.procs --group NAME rasa=PID actions=PID ...   (adds to results/memory.json)
"""

from __future__ import annotations

import argparse

from bench.common import descendants, parse_pids, proc_status, read_result, write_result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", required=True)
    ap.add_argument("--tree", action="store_true", help="sum each process with its descendants (PostgreSQL)")
    ap.add_argument("pids", nargs="+")
    a = ap.parse_args()
    memory = read_result("memory") or {}
    group = memory.setdefault(a.group, {})
    for name, pid in parse_pids(a.pids).items():
        pids = descendants(pid) if a.tree else [pid]
        values = [proc_status(p) for p in pids]
        group[name] = {"pid": pid, "processes": len([v for v in values if v]),
                       "rss": sum(v.get("VmRSS", 0) for v in values), "hwm": sum(v.get("VmHWM", 0) for v in values)}
        print(f"{a.group}/{name}: RSS {group[name]['rss'] / 2**20:.0f} MiB, peak {group[name]['hwm'] / 2**20:.0f} MiB")
    write_result("memory", memory)


if __name__ == "__main__":
    main()
