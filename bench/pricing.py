"""Price engine benchmark: 50-line carts priced per second on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres dinghuo_bench_pricing
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dinghuo_bench_pricing .venv/bin/python bench/pricing.py
    # options: --lines 50 --carts 2000 --threads 1,4,8 --skus 2000

The first run migrates the database and generates the "bench-pricing" tenant (2,000 SKUs with a
pack unit, a list-price list with three volume tiers for every SKU, a tier list, a contract list for
one dealer covering 10 % of the SKUs, and six promotions in force: 满减 (repeating), a percentage
on one category, a gift, a spend-X gift, a flash sale and an exclusive pair); later runs reuse it.

Each cart is 50 random lines (a third of them in the pack unit, some SKUs twice) for the contract
dealer, priced with ``price_cart`` (five queries, no writes). With several threads each has its own
database connection. Timings are printed, never asserted: carts/s, lines/s, p50/p95/p99 per cart,
and the Python CPU time per cart (the part that does not depend on how busy the machine is).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
os.environ.setdefault("DINGHUO_DB_POOL", "0")  # one connection per thread

TENANT = "bench-pricing"


def _setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(n_skus: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from dinghuo.catalog.models import Category, Product, Sku, SkuUnit
    from dinghuo.core.tenancy import Actor, stamp_tenant, tenant_context
    from dinghuo.dealers.models import DealerTier
    from dinghuo.dealers.services import dealer_create, dealer_tier_create
    from dinghuo.pricing.models import PriceList, PriceListItem
    from dinghuo.pricing.services import price_list_create, promotion_create
    from dinghuo.tenancy.models import Tenant
    from dinghuo.tenancy.services import tenant_create

    if Tenant.objects.filter(code=TENANT).exists():
        return
    print(f"building tenant {TENANT} with {n_skus} SKUs …", flush=True)
    tenant = tenant_create(code=TENANT, name="价格引擎压测")
    actor = Actor.system(tenant.pk, "bench")
    rng = random.Random(1)
    with tenant_context(tenant, actor):
        gold = dealer_tier_create(actor=actor, code="gold", name="金牌", rank=3)
        dealer_tier_create(actor=actor, code="std", name="普通", rank=1)
        dealer = dealer_create(actor=actor, code="BD01", name="压测经销商", tier=gold, region_code="440305")
        for i in range(2, 11):
            dealer_create(
                actor=actor,
                code=f"BD{i:02d}",
                name=f"经销商{i}",
                tier=DealerTier.objects.get(code="std"),
                region_code="330106",
            )
        cats = []
        for i in range(20):
            c = Category.objects.create(code=f"C{i}", name=f"分类{i}")
            c.path = f"/{c.pk}/"
            c.save(update_fields=["path"])
            cats.append(c)
        products = Product.objects.bulk_create(
            stamp_tenant(
                [
                    Product(code=f"P{i:05d}", name=f"商品{i}", category=cats[i % 20], status=Product.Status.ON_SALE)
                    for i in range(n_skus)
                ]
            )
        )
        skus = Sku.objects.bulk_create(
            stamp_tenant(
                [
                    Sku(
                        product=p,
                        code=f"S{i:05d}",
                        name="500ml×24",
                        base_unit="瓶",
                        list_price=Decimal(rng.randint(100, 5000)) / 100,
                        vat_rate=Decimal("0.13"),
                    )
                    for i, p in enumerate(products)
                ]
            )
        )
        SkuUnit.objects.bulk_create(
            stamp_tenant(
                [SkuUnit(sku=s, name="瓶", factor=Decimal(1)) for s in skus]
                + [SkuUnit(sku=s, name="箱", factor=Decimal(24), is_default=True) for s in skus]
            )
        )
        lists = {
            "list": price_list_create(actor=actor, code="LIST", name="统一价", kind=PriceList.Kind.LIST),
            "tier": price_list_create(actor=actor, code="GOLD", name="金牌价", kind=PriceList.Kind.TIER, tier=gold),
            "contract": price_list_create(
                actor=actor, code="HT-BD01", name="合同价", kind=PriceList.Kind.CONTRACT, dealer=dealer
            ),
        }
        items = []
        for s in skus:
            p = s.list_price
            items += [
                PriceListItem(price_list=lists["list"], sku=s, min_qty=Decimal(1), price=p),
                PriceListItem(
                    price_list=lists["list"],
                    sku=s,
                    min_qty=Decimal(48),
                    price=(p * Decimal("0.95")).quantize(Decimal("0.01")),
                ),
                PriceListItem(
                    price_list=lists["list"],
                    sku=s,
                    min_qty=Decimal(240),
                    price=(p * Decimal("0.9")).quantize(Decimal("0.01")),
                ),
                PriceListItem(
                    price_list=lists["tier"],
                    sku=s,
                    min_qty=Decimal(1),
                    price=(p * Decimal("0.92")).quantize(Decimal("0.01")),
                ),
            ]
        for s in skus[: n_skus // 10]:
            items.append(
                PriceListItem(
                    price_list=lists["contract"],
                    sku=s,
                    min_qty=Decimal(1),
                    price=(s.list_price * Decimal("0.85")).quantize(Decimal("0.01")),
                )
            )
        PriceListItem.objects.bulk_create(stamp_tenant(items), batch_size=5000)
        now = timezone.now()
        window = {"valid_from": now - dt.timedelta(days=1), "valid_to": now + dt.timedelta(days=3650)}
        promotion_create(
            actor=actor,
            code="M500",
            name="满500减30",
            kind="threshold",
            rules={"threshold": "500", "off": "30", "repeat": True},
            **window,
        )
        promotion_create(
            actor=actor,
            code="CAT5",
            name="分类5九五折",
            kind="percent",
            rules={"percent": "5"},
            scope={"categories": [cats[5].pk]},
            **window,
        )
        promotion_create(
            actor=actor,
            code="GIFT",
            name="买10箱送1瓶",
            kind="gift",
            rules={"buy_qty": "10", "buy_unit": "箱", "gift_sku": skus[0].pk, "gift_qty": "1", "repeat": True},
            scope={"categories": [cats[3].pk]},
            **window,
        )
        promotion_create(
            actor=actor,
            code="SPEND",
            name="满5000赠",
            kind="gift",
            rules={"threshold": "5000", "gift_sku": skus[1].pk, "gift_qty": "2"},
            exclusive_group="big",
            **window,
        )
        promotion_create(
            actor=actor,
            code="SPEND2",
            name="满5000减100",
            kind="threshold",
            rules={"threshold": "5000", "off": "100"},
            exclusive_group="big",
            **window,
        )
        promotion_create(
            actor=actor,
            code="FLASH",
            name="秒杀",
            kind="flash",
            rules={"sku": skus[2].pk, "price": "0.99"},
            total_cap=Decimal(100000),
            per_dealer_cap=Decimal(1000),
            priority=10,
            **window,
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh bulk-loaded tables have no statistics yet
    print("built", flush=True)


def _carts(n: int, lines: int, sku_ids: list[int], seed: int) -> list[list]:
    from dinghuo.pricing.engine import CartItem

    rng = random.Random(seed)
    carts = []
    for _ in range(n):
        picked = rng.sample(sku_ids, lines - 5) + rng.sample(sku_ids[:50], 5)
        carts.append(
            [
                CartItem(sku_id=s, qty=Decimal(rng.randint(1, 20)), unit="箱" if i % 3 == 0 else "瓶")
                for i, s in enumerate(picked)
            ]
        )
    return carts


def _run(threads: int, carts: list[list]) -> tuple[float, list[float]]:
    from django.db import connection

    from dinghuo.core.tenancy import tenant_context
    from dinghuo.dealers.models import Dealer
    from dinghuo.pricing.engine import price_cart
    from dinghuo.tenancy.models import Tenant

    tenant = Tenant.objects.get(code=TENANT)
    with tenant_context(tenant):
        dealer = Dealer.objects.get(code="BD01")
    timings: list[float] = []
    cpu: list[float] = []
    lock = threading.Lock()
    chunks = [carts[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def worker(chunk: list[list]) -> None:
        mine: list[float] = []
        used = 0.0
        try:
            with tenant_context(tenant):
                price_cart(dealer=dealer, items=chunk[0])  # warm the connection
                barrier.wait()
                c0 = time.thread_time()
                for items in chunk:
                    t0 = time.perf_counter()
                    price_cart(dealer=dealer, items=items)
                    mine.append(time.perf_counter() - t0)
                used = time.thread_time() - c0
        finally:
            with lock:
                timings.extend(mine)
                cpu.append(used)
            connection.close()

    pool = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - start, timings, sum(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--carts", type=int, default=2000)
    parser.add_argument("--threads", default="1,4,8")
    parser.add_argument("--skus", type=int, default=2000)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL — figures are not comparable", file=sys.stderr)
    _build(args.skus)
    from dinghuo.catalog.models import Sku
    from dinghuo.core.tenancy import tenant_context
    from dinghuo.tenancy.models import Tenant

    with tenant_context(Tenant.objects.get(code=TENANT)):
        sku_ids = list(Sku.objects.order_by("pk").values_list("pk", flat=True))
    carts = _carts(args.carts, args.lines, sku_ids, seed=7)
    print(f"{args.carts} carts of {args.lines} lines, {len(sku_ids)} SKUs, database {connection.vendor}")
    for threads in (int(t) for t in args.threads.split(",")):
        elapsed, timings, cpu = _run(threads, carts)
        timings.sort()
        q = statistics.quantiles(timings, n=100)
        print(
            f"threads={threads:>2}  {len(timings) / elapsed:8.1f} carts/s  {len(timings) * args.lines / elapsed:9.0f} lines/s"
            f"  p50 {q[49] * 1000:6.1f} ms  p95 {q[94] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms"
            f"  max {timings[-1] * 1000:6.1f} ms  python cpu {cpu / len(timings) * 1000:5.1f} ms/cart",
            flush=True,
        )


if __name__ == "__main__":
    main()
