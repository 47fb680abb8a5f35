"""A small, known sales dataset: facts written directly (one row per dealer × month × category cell),
so every total a report shows can be computed by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from dinghuo.analytics.models import FactWatermark, SalesFact
from dinghuo.analytics.selectors import add_months
from dinghuo.catalog.models import Category
from dinghuo.core.tenancy import stamp_tenant, tenant_context
from dinghuo.dealers.models import Dealer, DealerTier
from tests.factories import World
from tests.pricing.factories import make_category

D = Decimal


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def make_fact(dealer: Dealer, month: dt.date, category: Category, amount: str, *, qty: str = "1",
              orders: int = 1, lines: int = 1) -> SalesFact:  # fmt: skip
    with tenant_context(dealer.tenant_id):
        return SalesFact.objects.create(dealer=dealer, month=month, category=category, amount=D(amount),
                                        qty_base=D(qty), orders=orders, lines=lines)  # fmt: skip


def mark_refreshed(tenant) -> None:
    with tenant_context(tenant):
        FactWatermark.objects.update_or_create(tenant_id=tenant.pk, defaults={"refreshed_to": timezone.now()})


@dataclass
class Sales:
    """world.dealer (广东, the sales rep's) and world.other_dealer (浙江) over two recent months and one
    older, in 饮料 (碳酸饮料, 矿泉水) and 零食 (饼干). The last 12 months hold:

    ============  ==================  ==================  =======
    dealer        this month (m0)     last month (m1)     total
    ============  ==================  ==================  =======
    dealer        碳酸 100.00,         饼干 30.00           180.50
                  矿泉水 50.50
    other_dealer  饼干 10.00           碳酸 200.25          210.25
    ============  ==================  ==================  =======

    and 13 months ago (outside the default range) the dealer's 碳酸 999.00.
    """

    world: World
    m0: dt.date
    m1: dt.date
    m13: dt.date
    cats: dict[str, Category] = field(default_factory=dict)


def make_sales(world: World) -> Sales:
    m0 = this_month()
    sales = Sales(world=world, m0=m0, m1=add_months(m0, -1), m13=add_months(m0, -13))
    t = world.tenant
    drinks = make_category(t, "饮料")
    snacks = make_category(t, "零食")
    sales.cats = {
        "饮料": drinks,
        "零食": snacks,
        "碳酸": make_category(t, "碳酸饮料", parent=drinks),
        "矿泉水": make_category(t, "矿泉水", parent=drinks),
        "饼干": make_category(t, "饼干", parent=snacks),
    }
    c = sales.cats
    make_fact(world.dealer, m0, c["碳酸"], "100.00", qty="24", orders=2, lines=2)
    make_fact(world.dealer, m0, c["矿泉水"], "50.50", qty="48", orders=1, lines=1)
    make_fact(world.dealer, sales.m1, c["饼干"], "30.00", qty="10", orders=1, lines=3)
    make_fact(world.dealer, sales.m13, c["碳酸"], "999.00", qty="300", orders=5, lines=5)
    make_fact(world.other_dealer, m0, c["饼干"], "10.00", qty="5", orders=1, lines=1)
    make_fact(world.other_dealer, sales.m1, c["碳酸"], "200.25", qty="60", orders=3, lines=4)
    mark_refreshed(t)
    return sales


def make_many_dealers(world: World, n: int, month: dt.date, category: Category, amount: str = "1.00") -> list[Dealer]:
    """``n`` more dealers (written in bulk) with one small fact each: enough for a second page."""
    with tenant_context(world.tenant):
        tier = DealerTier.objects.first()
        new = [Dealer(code=f"BULK{i:03d}", name=f"批量商贸{i:03d}", tier=tier, region_code="110105") for i in range(n)]
        dealers = Dealer.objects.bulk_create(stamp_tenant(new))
        facts = [
            SalesFact(dealer=d, month=month, category=category, amount=D(amount), orders=1, lines=1) for d in dealers
        ]
        SalesFact.objects.bulk_create(stamp_tenant(facts))
    return dealers
