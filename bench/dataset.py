"""Benchmark dataset: one tenant with 50,000 SKUs × 3 warehouses, 2,000 dealers with credit accounts
and balances, tier price lists, and 1,000,000 historical order lines — loaded with PostgreSQL COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dinghuo_bench python bench/dataset.py [--skus 50000 …]

Rows are built from the Django models' own field definitions (defaults, auto_now, JSON), so the
generator follows schema changes; ids are reserved from each table's sequence up front so rows can
point at each other. Writes go through COPY, not the ORM: minutes, not hours. Every stock row gets
the receipt movement its quantity came from and every balance its ledger entry, so the invariant
checks after a load run start from a consistent state.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
os.environ.setdefault("DINGHUO_DB_POOL", "0")

import django

django.setup()

from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

D = Decimal
CITIES = [
    "440100",
    "440300",
    "440600",
    "441900",
    "330100",
    "330200",
    "320100",
    "320500",
    "510100",
    "420100",
    "370100",
    "370200",
    "110000",
    "310000",
    "500000",
    "430100",
    "410100",
    "350100",
    "350200",
    "210100",
    "220100",
    "610100",
    "530100",
    "450100",
    "360100",
    "340100",
    "130100",
    "140100",
    "120000",
    "460100",
]
WAREHOUSES = [("BGZ", "广州仓", "440106"), ("BHZ", "杭州仓", "330106"), ("BCD", "成都仓", "510107")]
PASSWORD = "Bench#2026-pass"


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        seq = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [seq])
        start = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [seq, start + n - 1])
    return list(range(start, start + n))


def copy(model: type[models.Model], rows, *, count_hint: int = 0) -> int:
    """COPY dicts of attribute values into the model's table; missing fields take their defaults."""
    import itertools

    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    rows = itertools.chain([first], rows)
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in first)]
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    now = timezone.now()
    n = 0
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
        for row in rows:
            values = []
            for f in fields:
                if f.attname in row:
                    value = row[f.attname]
                elif isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                    value = now
                elif f.has_default():
                    value = f.get_default()
                elif f.null:
                    value = None
                else:
                    value = "" if isinstance(f, models.CharField | models.TextField) else None
                values.append(f.get_db_prep_save(value, connection))
            cp.write_row(values)
            n += 1
    return n


def build(*, skus: int, dealers: int, lines: int, seed: int, say=print) -> dict:
    from search import product_name

    from dinghuo.accounts.roles import Role
    from dinghuo.accounts.services import staff_create
    from dinghuo.catalog.models import Category, Product, Sku, SkuUnit
    from dinghuo.catalog.search_index import reindex_products
    from dinghuo.core.tenancy import Actor, tenant_context
    from dinghuo.dealers.models import Address, Dealer, DealerRegion
    from dinghuo.dealers.services import dealer_tier_create
    from dinghuo.finance.models import DealerAccount, LedgerEntry
    from dinghuo.inventory.models import Stock, StockMovement
    from dinghuo.inventory.services import warehouse_create
    from dinghuo.orders.models import Order, OrderLine
    from dinghuo.pricing.models import PriceList, PriceListItem
    from dinghuo.tenancy.models import Tenant
    from dinghuo.tenancy.services import tenant_create

    rng = random.Random(seed)
    started = time.monotonic()
    code = "bench"
    if Tenant.objects.filter(code=code).exists():
        raise SystemExit("the bench tenant exists already; use a fresh database (bench/run.py creates one)")
    tenant = tenant_create(code=code, name="压测品牌")
    actor = Actor.system(tenant.pk, "bench")
    t = tenant.pk
    with tenant_context(tenant, actor), transaction.atomic():
        owner = staff_create(
            actor=actor, username="bench-owner", role=Role.OWNER, password=PASSWORD, display_name="压测"
        )
        tiers = [
            dealer_tier_create(actor=actor, code=c, name=n, rank=r)
            for c, n, r in (("gold", "金牌", 3), ("silver", "银牌", 2), ("normal", "普通", 1))
        ]
        roots = [Category.objects.create(code=f"C{i:02d}", name=f"大类{i:02d}", path="/", depth=0) for i in range(10)]
        cats = []
        for r in roots:
            Category.objects.filter(pk=r.pk).update(path=f"/{r.pk}/")
            for j in range(5):
                c = Category.objects.create(code=f"{r.code}-{j}", name=f"{r.name}-{j}", parent=r, path="", depth=1)
                Category.objects.filter(pk=c.pk).update(path=f"/{r.pk}/{c.pk}/")
                cats.append(c.pk)
        whs = [warehouse_create(actor=actor, code=c, name=n, region_code=r) for c, n, r in WAREHOUSES]
        say(f"  setup {time.monotonic() - started:.1f}s")

        n_products = max(1, skus // 5)
        product_ids = reserve_ids(Product, n_products)
        names = [product_name(rng) for _ in product_ids]  # real words, so Chinese/pinyin search has work to do
        copy(
            Product,
            (
                {
                    "id": pid,
                    "tenant_id": t,
                    "code": f"BP{i:06d}",
                    "name": name,
                    "category_id": cats[i % len(cats)],
                    "status": "on_sale",
                    "search_text": "",  # built by reindex_products() once everything is loaded
                }
                for i, (pid, name) in enumerate(zip(product_ids, names, strict=True))
            ),
        )
        sku_ids = reserve_ids(Sku, skus)
        prices = {}

        def sku_rows():
            for i, sid in enumerate(sku_ids):
                price = D(rng.randrange(200, 5000)) / 100
                prices[sid] = price
                yield {
                    "id": sid,
                    "tenant_id": t,
                    "product_id": product_ids[i // 5],
                    "code": f"BS{i:06d}",
                    "barcode": f"69{i:011d}",
                    "name": f"规格{i % 5}",
                    "base_unit": "瓶",
                    "list_price": price,
                }

        copy(Sku, sku_rows())
        copy(
            SkuUnit,
            (
                row
                for sid in sku_ids
                for row in (
                    {"tenant_id": t, "sku_id": sid, "name": "瓶", "factor": D(1), "is_default": False},
                    {"tenant_id": t, "sku_id": sid, "name": "箱", "factor": D(12), "is_default": True},
                )
            ),
        )
        say(f"  {n_products} products, {skus} SKUs, {2 * skus} units {time.monotonic() - started:.1f}s")

        stock_ids = reserve_ids(Stock, skus * len(whs))
        on_hand = D(10_000_000)
        copy(
            Stock,
            (
                {
                    "id": stock_ids[k * skus + i],
                    "tenant_id": t,
                    "warehouse_id": wh.pk,
                    "sku_id": sid,
                    "on_hand": on_hand,
                }
                for k, wh in enumerate(whs)
                for i, sid in enumerate(sku_ids)
            ),
        )
        copy(
            StockMovement,
            (
                {"tenant_id": t, "stock_id": s, "kind": "receipt", "on_hand_delta": on_hand, "ref_type": "bench"}
                for s in stock_ids
            ),
        )
        say(f"  {len(stock_ids)} stock rows {time.monotonic() - started:.1f}s")

        dealer_ids = reserve_ids(Dealer, dealers)
        regions = [CITIES[i % len(CITIES)] for i in range(dealers)]
        copy(
            Dealer,
            (
                {
                    "id": did,
                    "tenant_id": t,
                    "code": f"BD{i:05d}",
                    "name": f"压测经销商{i:05d}",
                    "tier_id": tiers[i % 3].pk,
                    "region_code": regions[i],
                    "status": "active",
                }
                for i, did in enumerate(dealer_ids)
            ),
        )
        copy(
            DealerRegion,
            (
                {"tenant_id": t, "dealer_id": did, "region_code": regions[i][:2] + "0000"}
                for i, did in enumerate(dealer_ids)
            ),
        )
        copy(
            Address,
            (
                {
                    "tenant_id": t,
                    "dealer_id": did,
                    "receiver": "收货人",
                    "phone": "13800000000",
                    "province_code": regions[i][:2] + "0000",
                    "city_code": regions[i],
                    "detail": "压测路1号",
                    "is_default": True,
                }
                for i, did in enumerate(dealer_ids)
            ),
        )
        limit = D("100000000.00")
        account_ids = reserve_ids(DealerAccount, dealers)
        copy(
            DealerAccount,
            (
                {"id": aid, "tenant_id": t, "dealer_id": did, "credit_limit": limit, "prepaid": D("50000.00")}
                for aid, did in zip(account_ids, dealer_ids, strict=True)
            ),
        )
        copy(
            LedgerEntry,
            (
                {
                    "tenant_id": t,
                    "account_id": aid,
                    "bucket": "prepaid",
                    "kind": "opening",
                    "amount": D("50000.00"),
                    "memo": "bench",
                }
                for aid in account_ids
            ),
        )
        say(f"  {dealers} dealers with accounts {time.monotonic() - started:.1f}s")

        for k, tier in enumerate(tiers):
            pl = PriceList.objects.create(code=f"BT-{tier.code}", name=f"{tier.name}价", kind="tier", tier=tier)
            factor = D(["0.88", "0.92", "0.97"][k])
            copy(
                PriceListItem,
                (
                    {
                        "tenant_id": t,
                        "price_list_id": pl.pk,
                        "sku_id": sid,
                        "min_qty": D(1),
                        "price": (prices[sid] * factor).quantize(D("0.01")),
                    }
                    for sid in sku_ids
                ),
            )
        say(f"  {3 * skus} tier prices {time.monotonic() - started:.1f}s")

        n_orders = max(1, lines // 10)
        order_ids = reserve_ids(Order, n_orders)
        now = timezone.now()
        totals: list[Decimal] = [D(0)] * n_orders
        tax_rate, twelve, cent = D("0.13"), D(12), D("0.01")

        def history_lines():
            # lines first (streamed), summing each order's total; foreign keys are checked at commit
            for i, oid in enumerate(order_ids):
                total = D(0)
                for n in range(1, 11):
                    sid = sku_ids[rng.randrange(skus)]
                    qty = D(rng.randrange(1, 20))
                    unit_price = (prices[sid] * twelve).quantize(cent)
                    amount = (qty * unit_price).quantize(cent)
                    total += amount
                    yield {
                        "tenant_id": t,
                        "order_id": oid,
                        "line_no": n,
                        "sku_id": sid,
                        "sku_code": "",
                        "name": "",
                        "unit": "箱",
                        "unit_factor": twelve,
                        "qty": qty,
                        "qty_base": qty * twelve,
                        "unit_price": unit_price,
                        "list_price": unit_price,
                        "amount": amount,
                        "tax_rate": tax_rate,
                        "tax": (amount - amount / D("1.13")).quantize(cent),
                        "shipped_base": qty * twelve,
                        "explanation": {},
                    }
                totals[i] = total

        n_lines = copy(OrderLine, history_lines())

        def history_orders():
            for i, oid in enumerate(order_ids):
                at = now - dt.timedelta(days=rng.random() * 365)
                yield {
                    "id": oid,
                    "tenant_id": t,
                    "number": f"BH{i:09d}",
                    "dealer_id": dealer_ids[rng.randrange(dealers)],
                    "status": "completed",
                    "channel": "api",
                    "ship_to_name": "收货人",
                    "ship_to_phone": "1",
                    "ship_to_region": "440100",
                    "ship_to_address": "压测路1号",
                    "subtotal": totals[i],
                    "total": totals[i],
                    "tax": D(0),
                    "pay_credit": D(0),
                    "pay_prepaid": D(0),
                    "checks": [],
                    "promotions": [],
                    "flash_claims": [],
                    "created_at": at,
                    "updated_at": at,
                }

        copy(Order, history_orders())
        say(f"  {n_orders} orders, {n_lines} order lines {time.monotonic() - started:.1f}s")
    with tenant_context(tenant, actor):
        reindex_products()  # search text with segmented words, pinyin and initials
    say(f"  search index built {time.monotonic() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  analysed; dataset loaded in {time.monotonic() - started:.1f}s")
    from dinghuo.analytics.services import refresh_sku_sales

    with tenant_context(tenant, actor):  # what cron's refresh_facts keeps for the regional best-sellers
        cells = refresh_sku_sales()  # (after ANALYZE: with no statistics the planner loops over the lines)
    say(f"  {cells} SKU × province sales cells of the last 90 days {time.monotonic() - started:.1f}s")
    token = ""
    try:
        from dinghuo.api.services import api_key_create

        with tenant_context(tenant, actor):
            token = api_key_create(
                actor=actor,
                name="bench",
                membership=owner,
                scopes=["orders", "catalog", "inventory", "prices", "dealers.view"],
                rate_limit=100_000,
            ).secret
    except ImportError:
        pass
    return {
        "tenant": tenant.pk,
        "owner": owner.user.username,
        "token": token,
        "dealers": dealer_ids,
        "skus": sku_ids,
        "hot_sku": sku_ids[0],
        "warehouses": [w.pk for w in whs],
        "seconds": time.monotonic() - started,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--dealers", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", help="write what was built (ids, the API key) as JSON here")
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    info = build(skus=args.skus, dealers=args.dealers, lines=args.lines, seed=args.seed)
    if args.out:
        Path(args.out).write_text(json.dumps(info))


if __name__ == "__main__":
    main()
