"""The sales report's selector: totals over every matching fact, one page of dealers, scoped and
filtered, in a fixed number of queries; and the same figures from real orders through refresh_facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from dinghuo.accounts.roles import Role
from dinghuo.analytics.selectors import (
    SalesFilter,
    add_months,
    month_range,
    sales_by_dealer_month_category,
    sales_report_page,
)
from dinghuo.analytics.services import refresh_facts
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.orders.models import Order, OrderLine
from dinghuo.orders.placement import order_place
from tests.analytics.factories import make_fact, make_many_dealers, make_sales, this_month
from tests.orders.factories import make_shop
from tests.pricing.factories import make_category

D = Decimal


@pytest.fixture
def sales(world):
    return make_sales(world)


def _report(sales, role=Role.OWNER, **kwargs):
    filters = kwargs.pop("filters", None) or SalesFilter.last_months(12)
    with tenant_context(sales.world.tenant):
        return sales_report_page(actor=sales.world.actor(role), filters=filters, **kwargs)


def test_months_are_counted_across_years():
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2025, 11, 1), 14) == dt.date(2027, 1, 1)
    assert month_range(dt.date(2025, 11, 20), dt.date(2026, 2, 3)) == [
        dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    ]  # fmt: skip
    assert month_range(dt.date(2026, 2, 1), dt.date(2026, 1, 1)) == []
    last = SalesFilter.last_months(12, today=dt.date(2026, 11, 22))
    assert (last.month_from, last.month_to) == (dt.date(2025, 12, 1), dt.date(2026, 11, 1))


def test_the_totals_are_the_sums_of_every_matching_fact(sales, world):
    # when the owner reads the last 12 months
    report = _report(sales)
    # then the month totals, the grand total and the category totals are those of the table in factories.py
    assert len(report.months) == 12 and report.months[-1] == sales.m0
    by_month = dict(zip(report.months, report.month_totals, strict=True))
    assert by_month[sales.m0] == D("160.50") and by_month[sales.m1] == D("230.25")
    assert sum(report.month_totals) == report.total == D("390.75")
    assert [(c.name, c.amount, c.share) for c in report.categories] == [
        ("饮料", D("350.75"), 89),
        ("零食", D("40.00"), 10),
    ]
    # and the dealers come biggest first, each row its months and its total
    rows = list(report.page)
    assert [r.dealer_id for r in rows] == [world.other_dealer.pk, world.dealer.pk]
    assert rows[0].total == D("210.25") and rows[1].total == D("180.50")
    assert rows[1].cells[-1] == D("150.50") and rows[1].cells[-2] == D("30.00") and rows[1].cells[0] is None
    assert all(r.total == sum(c for c in r.cells if c is not None) for r in rows)
    assert report.dealers == 2 and report.refreshed_to is not None


def test_the_category_view_breaks_each_dealer_down_by_top_level_category(sales, world):
    report = _report(sales, by="category")
    assert [label for _key, label in report.columns] == ["饮料", "零食"]
    assert report.column_totals == [D("350.75"), D("40.00")]
    cells = {r.dealer_id: r.cells for r in report.page}
    assert cells[world.dealer.pk] == [D("150.50"), D("30.00")]
    assert cells[world.other_dealer.pk] == [D("200.25"), D("10.00")]


def test_filters_narrow_totals_and_rows_alike(sales, world):
    m = SalesFilter.last_months(12)
    # a province: the dealer's home region (浙江 holds other_dealer)
    zj = _report(sales, filters=SalesFilter(m.month_from, m.month_to, province="330000"))
    assert zj.total == D("210.25") and [r.dealer_id for r in zj.page] == [world.other_dealer.pk]
    # a top-level category: its subtree, broken down into its children
    snacks = _report(
        sales, filters=SalesFilter(m.month_from, m.month_to, category_id=sales.cats["零食"].pk), by="category"
    )
    assert snacks.total == D("40.00") and [(c.name, c.amount) for c in snacks.categories] == [("饼干", D("40.00"))]
    assert [label for _k, label in snacks.columns] == ["饼干"]
    drinks = _report(sales, filters=SalesFilter(m.month_from, m.month_to, category_id=sales.cats["饮料"].pk))
    assert [(c.name, c.amount) for c in drinks.categories] == [("碳酸饮料", D("300.25")), ("矿泉水", D("50.50"))]
    # a dealer code
    one = _report(sales, filters=SalesFilter(m.month_from, m.month_to, q=world.dealer.code.lower()))
    assert one.total == D("180.50") and [r.dealer_id for r in one.page] == [world.dealer.pk]
    # a month range: 13 months ago alone
    old = _report(sales, filters=SalesFilter(sales.m13, sales.m13))
    assert old.total == D("999.00") and old.month_totals == [D("999.00")]


def test_a_sales_rep_sees_only_their_dealers_and_a_warehouse_clerk_nothing(sales, world):
    report = _report(sales, role=Role.SALES_REP)
    assert report.total == D("180.50") and [r.dealer_id for r in report.page] == [world.dealer.pk]
    with pytest.raises(PermissionDenied):
        _report(sales, role=Role.WAREHOUSE)
    with pytest.raises(PermissionDenied):
        _report(sales, role=Role.DEALER_ADMIN)


def test_another_tenants_facts_never_count(sales, world, world_b):
    # given tenant B's dealer sold this month too
    make_fact(world_b.dealer, sales.m0, make_category(world_b.tenant, "饮料"), "5000.00")
    # then A's report is unchanged, and B's holds only B's
    assert _report(sales).total == D("390.75")
    with tenant_context(world_b.tenant):
        b = sales_report_page(actor=world_b.actor(Role.OWNER), filters=SalesFilter.last_months(12))
    assert b.total == D("5000.00") and [r.dealer_id for r in b.page] == [world_b.dealer.pk]


def test_pages_hold_the_next_dealers_while_the_totals_stay_whole(sales, world):
    make_many_dealers(world, 51, sales.m0, sales.cats["饼干"])
    first, second = _report(sales, page=1), _report(sales, page=2)
    assert first.dealers == second.dealers == 53 and first.page.paginator.num_pages == 2
    assert len(first.page) == 50 and len(second.page) == 3
    assert {r.dealer_id for r in first.page}.isdisjoint({r.dealer_id for r in second.page})
    assert first.total == second.total == D("441.75")
    assert [r.dealer_id for r in first.page][:2] == [world.other_dealer.pk, world.dealer.pk]
    # a page past the end shows the last page, not an error
    assert _report(sales, page="99").page.number == 2 and _report(sales, page="x").page.number == 1


def test_a_page_takes_six_queries_whatever_the_number_of_dealers(sales, world, django_assert_num_queries):
    make_many_dealers(world, 120, sales.m0, sales.cats["饼干"])
    for by in ("month", "category"):
        with django_assert_num_queries(6):
            report = _report(sales, by=by, page=2)
        assert len(report.page) == 50


def test_real_orders_reach_the_report_through_refresh_facts(world):
    # given a dealer's two orders, one cancelled
    shop = make_shop(world)
    with tenant_context(shop.tenant):
        kept = order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("COLA", 2, "箱")]).order
        gone = order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("WATER", 48, "瓶")]).order
        Order.objects.filter(pk=gone.pk).update(status=Order.Status.CANCELLED)
        # when the facts are refreshed
        refresh_facts(full=True)
        report = sales_report_page(actor=Actor.system(shop.tenant.pk), filters=SalesFilter.last_months(12))
        cells = list(sales_by_dealer_month_category(actor=Actor.system(shop.tenant.pk)))
    # then the report holds the kept order's lines, in this month, under their category
    with tenant_context(shop.tenant):
        expected = OrderLine.objects.filter(order=kept).aggregate(a=Sum("amount"))["a"]
    assert report.total == expected == sum(c["amount"] for c in cells) and expected > 0
    assert report.month_totals[-1] == report.total and this_month() == report.months[-1]
    assert [c.name for c in report.categories] == ["饮料"]
    assert [r.dealer_id for r in report.page] == [shop.dealer.pk]
