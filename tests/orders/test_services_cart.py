from decimal import Decimal

import pytest

from dinghuo.core.errors import ValidationError
from dinghuo.core.tenancy import tenant_context
from dinghuo.orders import cart as carts
from dinghuo.orders.errors import QuickOrderInvalid
from dinghuo.orders.placement import order_place

D = Decimal


def test_the_cart_persists_merges_and_prices(shop):
    buyer = shop.buyer()
    with tenant_context(shop.tenant):
        cart = carts.cart_for(actor=buyer)
        carts.cart_add(actor=buyer, cart=cart, sku_id=shop.skus["COLA"].pk, qty=D(1))
        carts.cart_add(actor=buyer, cart=cart, sku_id=shop.skus["COLA"].pk, qty=D(2))  # same default unit 箱
        carts.cart_add(actor=buyer, cart=cart, sku_id=shop.skus["WATER"].pk, qty=D(48), unit="瓶")
        # a second visit finds the same cart
        again = carts.cart_for(actor=buyer)
        assert again.pk == cart.pk
        lines = sorted((line.sku.code, line.unit, line.qty) for line in again.lines.select_related("sku"))
        assert lines == [("COLA", "箱", D(3)), ("WATER", "瓶", D(48))]
        priced = carts.cart_price(cart=again)
        assert priced.total == D("312.00")
        with pytest.raises(ValidationError):
            carts.cart_add(actor=buyer, cart=cart, sku_id=shop.skus["COLA"].pk, qty=D(0))


def test_reorder_puts_a_past_orders_lines_back(shop):
    buyer = shop.buyer()
    with tenant_context(shop.tenant):
        order = order_place(actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 2, "箱")]).order
        cart = carts.cart_for(actor=buyer)
        assert carts.reorder(actor=buyer, cart=cart, order_id=order.pk) == 1
        assert [(line.unit, line.qty) for line in cart.lines.all()] == [("箱", D(2))]


def test_quick_order_understands_codes_barcodes_and_units(shop):
    from dinghuo.catalog.models import SkuUnit

    with tenant_context(shop.tenant):
        SkuUnit.objects.filter(sku=shop.skus["WATER"], name="箱").update(barcode="16901234567895")
        text = "COLA 2箱\n\n16901234567895 x 3\ncola, 24, 瓶\nNOPE 1\nWATER zero"
        result = carts.quick_parse(text)
        good = [(q.line, q.item.sku_id, q.item.qty, q.item.unit) for q in result.lines if q.item]
        assert good == [
            (1, shop.skus["COLA"].pk, D(2), "箱"),
            (3, shop.skus["WATER"].pk, D(3), "箱"),  # a case barcode orders cases
            (4, shop.skus["COLA"].pk, D(24), "瓶"),
        ]
        assert [(q.line, bool(q.error)) for q in result.errors] == [(5, True), (6, True)]
        cart = carts.cart_for(actor=shop.buyer())
        with pytest.raises(QuickOrderInvalid) as info:
            carts.quick_add_to_cart(actor=shop.buyer(), cart=cart, text=text)
        assert [e["line"] for e in info.value.detail["lines"]] == [5, 6]
        assert cart.lines.count() == 0  # nothing added when any line is wrong
