"""CPU per order through the real HTTP API: starts `dinghuo serve`, drives it with the load driver,
and divides the CPU time its worker processes used by the orders they placed — and likewise the
CPU of every PostgreSQL process on the machine (backends, WAL writer, checkpointer: run it with
nothing else using the database) and of the load driver.

    DATABASE_URL=postgres://…/dinghuo_bench python bench/cpu_per_order.py --info var/bench/dataset.json

CPU per order, unlike orders/s, stays meaningful on a machine that is busy with other work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import OrderMaker, run_closed
from run import env_for, start_server


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that are still alive (the server's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    pids, todo = [], [pid]
    while todo:  # the server and all its descendants (gunicorn's master and workers)
        p = todo.pop()
        pids.append(p)
        todo += children.get(p, [])
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_cpu_seconds() -> float:
    """User + system CPU of every process named ``postgres`` (the server, its backends and helpers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--info", required=True)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    args = p.parse_args()
    info = json.loads(Path(args.info).read_text())
    data_dir = Path(os.environ.get("DINGHUO_DATA_DIR", "var/bench"))
    env = env_for(os.environ["DATABASE_URL"], data_dir)
    proc, url = start_server(env, args.workers, args.threads)
    try:
        api = f"{url}/api/v1/orders"
        maker = OrderMaker(dealers=info["dealers"], skus=info["skus"][1:], lines=10)
        run_closed(api, info["token"], maker, clients=4, seconds=3)  # warm-up
        before, db_before = cpu_seconds(proc.pid), postgres_cpu_seconds()
        started = time.process_time()
        result = run_closed(api, info["token"], maker, clients=args.clients, seconds=args.seconds)
        driver = time.process_time() - started
        used, db = cpu_seconds(proc.pid) - before, postgres_cpu_seconds() - db_before
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ok = max(result["ok"], 1)
    per_order = {
        "server_cpu_ms_per_order": 1000 * used / ok,
        "postgres_cpu_ms_per_order": 1000 * db / ok,
        "driver_cpu_ms_per_order": 1000 * driver / ok,
    }
    print(json.dumps({**result, **per_order}))


if __name__ == "__main__":
    main()
