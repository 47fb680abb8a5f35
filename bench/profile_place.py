"""Profile order placement in-process (no HTTP): CPU per 10-line order, statements, the hottest functions.

    DATABASE_URL=postgres://…/dinghuo_bench python bench/profile_place.py --info var/bench/dataset.json [--orders 300]

Runs against a dataset built by bench/dataset.py. CPU time (process time) is reported beside wall
time because it stays meaningful on a busy machine.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
os.environ.setdefault("DINGHUO_DB_POOL", "0")

import django

django.setup()

from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from dinghuo.accounts.models import Membership  # noqa: E402
from dinghuo.core.tenancy import Actor, tenant_context  # noqa: E402
from dinghuo.orders.placement import order_place  # noqa: E402
from dinghuo.pricing.engine import CartItem  # noqa: E402
from dinghuo.tenancy.models import Tenant  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--info", required=True)
    p.add_argument("--orders", type=int, default=300)
    p.add_argument("--lines", type=int, default=10)
    p.add_argument("--top", type=int, default=35)
    args = p.parse_args()
    info = json.loads(Path(args.info).read_text())
    rng = random.Random(5)
    tenant = Tenant.objects.get(pk=info["tenant"])
    with tenant_context(tenant):
        owner = Actor.for_membership(Membership.objects.select_related("user").get(user__username=info["owner"]))
        with tenant_context(tenant, owner):

            def one():
                items = [CartItem(sku_id=s, qty=Decimal(rng.randint(1, 3)), unit="箱")
                         for s in rng.sample(info["skus"][1:], args.lines)]  # fmt: skip
                return order_place(actor=owner, dealer_id=rng.choice(info["dealers"]), items=items)

            for _ in range(20):  # warm caches
                one()
            with CaptureQueriesContext(connection) as q:
                one()
            print(f"statements per order: {len(q.captured_queries)}")
            if os.environ.get("SHOW_SQL"):
                for stmt in q.captured_queries:
                    print("  ", stmt["sql"][:300])
            cpu0, wall0 = time.process_time(), time.perf_counter()
            prof = cProfile.Profile(time.process_time)
            prof.enable()
            for _ in range(args.orders):
                one()
            prof.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            print(f"{args.orders} orders: {1000 * cpu / args.orders:.1f} ms CPU and {1000 * wall / args.orders:.1f} ms wall each (profiled)")
            in_sql = [0.0]

            def timed(execute, sql, params, many, context):  # wall time inside the statements
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    in_sql[0] += time.perf_counter() - started

            cpu0, wall0 = time.process_time(), time.perf_counter()
            with connection.execute_wrapper(timed):
                for _ in range(args.orders):
                    one()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            print(f"{args.orders} orders: {1000 * cpu / args.orders:.1f} ms CPU and {1000 * wall / args.orders:.1f} ms wall each (unprofiled), "
                  f"{1000 * in_sql[0] / args.orders:.1f} ms of it inside the statements")  # fmt: skip
            stats = pstats.Stats(prof)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats("dinghuo", args.top)  # where our code spends it
            if os.environ.get("CALLERS"):
                stats.print_callers(os.environ["CALLERS"])


if __name__ == "__main__":
    main()
