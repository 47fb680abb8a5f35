"""The dealer × month × category report reads the sales facts; it must equal the order lines."""

from collections import defaultdict
from decimal import Decimal

from django.db.models.functions import TruncMonth

from dinghuo.analytics.selectors import sales_by_dealer_month_category
from dinghuo.analytics.services import refresh_facts
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.orders.models import OrderLine
from dinghuo.orders.placement import order_place
from tests.orders.factories import make_shop


def test_the_report_equals_the_order_lines_cell_by_cell(world):
    # given a dealer's orders of two products
    shop = make_shop(world)
    with tenant_context(shop.tenant):
        for items in ([shop.item("COLA", 2, "箱")], [shop.item("COLA", 1, "箱"), shop.item("WATER", 48, "瓶")]):
            order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=items)
        # when the facts are refreshed and the report read
        refresh_facts(full=True)
        rows = list(sales_by_dealer_month_category(actor=Actor.system(shop.tenant.pk)))
        # then each cell is the sum of its order lines, once
        expected = defaultdict(lambda: [Decimal(0), Decimal(0)])
        lines = OrderLine.objects.annotate(m=TruncMonth("order__created_at")).values_list(
            "order__dealer_id", "m", "sku__product__category_id", "amount", "qty_base"
        )
        for dealer_id, month, category_id, amount, qty in lines:
            cell = expected[(dealer_id, month.date() if hasattr(month, "date") else month, category_id)]
            cell[0] += amount
            cell[1] += qty
        got = {(r["dealer_id"], r["month"], r["category_id"]): [r["amount"], r["qty"]] for r in rows}
        assert got == dict(expected)
        assert {r["dealer__code"] for r in rows} == {shop.dealer.code}
        assert sum(r["orders"] for r in rows) >= 2
