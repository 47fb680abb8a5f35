"""Profile catalog searches through the whole Django stack in-process, kind by kind: the app's CPU,
the time spent waiting on PostgreSQL and the statements of each kind of search in the bench mix.

    DATABASE_URL=postgres://…/dinghuo_bench python bench/profile_search.py --info var/bench/dataset.json \
        [--rounds 3] [--profile]

The mix is ``search.py``'s (words, pinyin, initials, codes, typos, barcodes, category browsing with a
price band, in-stock and sales sorts), each search priced for another dealer (``dealer=<id>``), as
``bench/run.py``'s search step sends them. Run on a quiet machine: the SQL time is wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import re
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
os.environ.setdefault("DINGHUO_DB_POOL", "0")

import django  # noqa: E402

django.setup()

import search as bench_search  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from dinghuo.core.tenancy import tenant_context  # noqa: E402
from dinghuo.tenancy.models import Tenant  # noqa: E402


class SqlTimer:
    """Wall time and count of the statements run while it is installed, by statement shape."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self.by_shape: dict[str, list[float]] = defaultdict(list)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.seconds += spent
            self.count += 1
            self.by_shape[re.sub(r"\s+", " ", sql)[:160]].append(spent)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--info", required=True)
    p.add_argument("--rounds", type=int, default=3, help="passes over the 600-search mix")
    p.add_argument("--profile", action="store_true", help="also print the hottest functions (cProfile, CPU time)")
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    info = json.loads(Path(args.info).read_text())
    rng = random.Random(7)
    with tenant_context(Tenant.objects.get(pk=info["tenant"])):
        found = bench_search.discover_local(rng)
    mix = bench_search.build_mix(found, rng)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {info['token']}", HTTP_HOST="127.0.0.1")

    def one(params: dict) -> None:
        query = urllib.parse.urlencode({**params, "dealer": rng.choice(info["dealers"])})
        r = client.get(f"/api/v1/catalog/search?{query}")
        assert r.status_code == 200, r.content[:300]

    for _kind, params in mix[:50]:  # warm: connections, caches
        one(params)
    cpu: dict[str, float] = defaultdict(float)
    sql: dict[str, float] = defaultdict(float)
    statements: dict[str, int] = defaultdict(int)
    runs: dict[str, int] = defaultdict(int)
    timer = SqlTimer()
    prof = cProfile.Profile(time.process_time) if args.profile else None
    with connection.execute_wrapper(timer):
        for _ in range(args.rounds):
            for kind, params in mix:
                seconds, count = timer.seconds, timer.count
                started = time.process_time()
                if prof:
                    prof.enable()
                one(params)
                if prof:
                    prof.disable()
                cpu[kind] += time.process_time() - started
                sql[kind] += timer.seconds - seconds
                statements[kind] += timer.count - count
                runs[kind] += 1
    n = sum(runs.values())
    print(f"{n} searches; per search: app CPU {1000 * sum(cpu.values()) / n:.1f} ms, "
          f"PostgreSQL wait {1000 * sum(sql.values()) / n:.1f} ms, {timer.count / n:.1f} statements")  # fmt: skip
    print(f"\n{'kind':28} {'share':>6} {'CPU ms':>7} {'SQL ms':>7} {'stmts':>6}")
    for kind in sorted(runs, key=lambda k: -(cpu[k] + sql[k])):
        r = runs[kind]
        print(f"{kind:28} {100 * r / n:5.0f}% {1000 * cpu[kind] / r:7.1f} {1000 * sql[kind] / r:7.1f} {statements[kind] / r:6.1f}")
    print("\nstatements by total time (ms per search, calls per search, mean ms):")
    for shape, times in sorted(timer.by_shape.items(), key=lambda kv: -sum(kv[1]))[:15]:
        print(f"  {1000 * sum(times) / n:6.2f} {len(times) / n:5.2f} {1000 * sum(times) / len(times):7.2f}  {shape}")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
