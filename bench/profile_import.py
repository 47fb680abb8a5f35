"""Profile the 10,000-line Excel order import in-process: time per phase and the hottest functions.

    DATABASE_URL=postgres://…/dinghuo_bench python bench/profile_import.py --info var/bench/dataset.json

Builds the same workbook as ``bench/run.py`` (100 orders × 100 lines, quantities written as "3箱"),
times reading it alone, then the whole import twice (once under cProfile). The import places real
orders, so each run consumes stock and credit of the dataset.
"""

from __future__ import annotations

import argparse
import cProfile
import io
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

import openpyxl  # noqa: E402

from dinghuo.accounts.models import Membership  # noqa: E402
from dinghuo.catalog.models import Sku  # noqa: E402
from dinghuo.core import xlsx  # noqa: E402
from dinghuo.core.tenancy import Actor, tenant_context  # noqa: E402
from dinghuo.dealers.models import Dealer  # noqa: E402
from dinghuo.orders.importers import COLUMNS, import_orders  # noqa: E402
from dinghuo.tenancy.models import Tenant  # noqa: E402


def workbook(lines: int, per_order: int, seed: int) -> bytes:
    codes = list(Sku.objects.order_by("id").values_list("code", flat=True)[:5000])
    dealers = list(Dealer.objects.order_by("id").values_list("code", flat=True)[:100])
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["订单分组", "经销商编码", "SKU编码", "数量", "单位", "备注"])
    rng = random.Random(seed)
    for i in range(lines):
        g = i // per_order
        ws.append([f"G{g}", dealers[g % len(dealers)], rng.choice(codes), f"{rng.randint(1, 5)}箱", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--info", required=True)
    p.add_argument("--lines", type=int, default=10_000)
    p.add_argument("--per-order", type=int, default=100)
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    info = json.loads(Path(args.info).read_text())
    tenant = Tenant.objects.get(pk=info["tenant"])
    with tenant_context(tenant):
        owner = Actor.for_membership(Membership.objects.select_related("user").get(user__username=info["owner"]))
        with tenant_context(tenant, owner):
            data = workbook(args.lines, args.per_order, seed=3)
            started = time.perf_counter()
            table = xlsx.read_table(data, COLUMNS)
            print(f"read {len(table.rows)} rows: {time.perf_counter() - started:.2f} s")
            for label, seed in (("unprofiled", 4), ("profiled", 5)):
                data = workbook(args.lines, args.per_order, seed=seed)
                prof = cProfile.Profile(time.process_time) if label == "profiled" else None
                cpu0, wall0 = time.process_time(), time.perf_counter()
                if prof:
                    prof.enable()
                result, _table = import_orders(actor=owner, data=data)
                if prof:
                    prof.disable()
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                print(f"import ({label}): {wall:.2f} s wall, {cpu:.2f} s CPU in this process; "
                      f"{len(result.placed)} orders placed, {len(result.failed)} refused")  # fmt: skip
                if result.failed:
                    print("  first refusal:", result.failed[0].error)
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)
            pstats.Stats(prof).sort_stats("cumtime").print_stats(args.top)


if __name__ == "__main__":
    main()
