"""A big import on PostgreSQL places its orders from several forked processes: each order is still
all or nothing, results come back in the file's order, and stock and money stay consistent."""

from decimal import Decimal

import pytest
from django.db import connection

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.orders import importers
from dinghuo.orders.models import Order
from tests.factories import make_world
from tests.orders.conftest import assert_invariants
from tests.orders.factories import make_shop
from tests.orders.test_importers import book

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def shop():
    shop = make_shop(make_world("imp"))
    yield shop
    assert_invariants(shop.tenant)


def test_orders_placed_by_forked_workers_match_the_file(shop, settings):
    settings.DINGHUO_IMPORT_WORKERS = 3
    code = shop.dealer.code
    rows = []
    for g in range(12):
        rows += [[f"G{g:02d}", code, "COLA", "1", "箱", f"第{g}单"], [f"G{g:02d}", code, "WATER", "48", "瓶", ""]]
    rows += [["BAD", code, "NOPE", "1", "", ""]]  # unknown SKU: refused before placing
    rows += [["ODD", code, "WATER", "25", "瓶", ""]]  # not a multiple of 24: the rule check blocks it
    seen = []
    with tenant_context(shop.tenant):
        staff = shop.staff(Role.SALES_REP)
        assert not connection.in_atomic_block and importers.import_workers(13) == 3
        result, _table = importers.import_orders(
            actor=staff, data=book(rows), progress=lambda done, total: seen.append((done, total))
        )
        assert [g.key for g in result.groups] == [*(f"G{g:02d}" for g in range(12)), "BAD", "ODD"]
        assert [g.key for g in result.failed] == ["BAD", "ODD"]
        assert list(result.failed[0].row_errors) == [26] and "NOPE" in result.failed[0].row_errors[26]
        assert 27 in result.failed[1].row_errors and result.failed[1].error
        orders = {o.number: o for o in Order.objects.prefetch_related("lines")}
        assert len(orders) == 12 and {g.order_number for g in result.placed} == set(orders)
        for g in result.placed:
            order = orders[g.order_number]
            assert (order.pk, order.status, order.channel) == (g.order_id, g.status, "import")
            assert order.note == f"第{int(g.key[1:])}单" and order.on_behalf
            assert sorted((line.sku_code, line.qty_base) for line in order.lines.all()) == [
                ("COLA", D(24)),
                ("WATER", D(48)),
            ]
    assert seen[-1] == (26, 26) and [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_a_file_that_sells_out_a_sku_oversells_nothing(shop, settings):
    """More boxes ordered than there are, from 3 processes at once: every box there is gets sold,
    never more. Orders that lost a race for the last units are checked again rather than refused,
    so the file ends as it would one order at a time: the rest are refused by the rule check."""
    from dinghuo.inventory.models import Stock

    settings.DINGHUO_IMPORT_WORKERS = 3
    with tenant_context(shop.tenant):
        on_hand = sum(s.on_hand for s in Stock.objects.filter(sku__code="COLA"))
        n = int(on_hand // 48) + 8
        rows = [[f"G{g:03d}", shop.dealer.code, "COLA", "2箱", "", ""] for g in range(n)]
        result, _table = importers.import_orders(actor=shop.staff(Role.SALES_REP), data=book(rows))
        assert len(result.placed) == on_hand // 48
        assert len(result.failed) == n - on_hand // 48
        assert all("COLA" in g.error and g.row_errors for g in result.failed)  # the rule check's words
        stock = list(Stock.objects.filter(sku__code="COLA"))
        assert sum(s.reserved for s in stock) == 48 * (on_hand // 48) and all(s.reserved <= s.on_hand for s in stock)
