"""The 订货单 PDF: Chinese capital amounts, and a file any reader renders."""

from decimal import Decimal

import pytest

from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.orders.documents import order_pdf, rmb_upper
from dinghuo.orders.placement import order_place
from dinghuo.orders.selectors import order_detail
from dinghuo.pricing.engine import CartItem
from tests.orders.factories import make_shop


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("10", "壹拾元整"),
        ("100.05", "壹佰元零伍分"),
        ("1005", "壹仟零伍元整"),
        ("1585.17", "壹仟伍佰捌拾伍元壹角柒分"),
        ("10001", "壹万零壹元整"),
        ("20300", "贰万零叁佰元整"),
        ("1000001", "壹佰万零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ],
)
def test_amounts_in_chinese_capitals(amount, words):
    assert rmb_upper(Decimal(amount)) == words


def test_the_order_pdf_uses_the_cid_font_and_is_reproducible(world):
    # given a placed order with a gift-free line and a discount-free total
    shop = make_shop(world)
    with tenant_context(shop.tenant):
        system = Actor.system(shop.tenant.pk)
        placed = order_place(
            actor=system,
            dealer_id=shop.dealer.pk,
            items=[CartItem(sku_id=shop.skus["COLA"].pk, qty=Decimal(3), unit="箱")],
            note="周五前送达",
        )
        order = order_detail(actor=system, pk=placed.order.pk)
        # when it is printed twice
        first, second = order_pdf(order), order_pdf(order)
    # then it is a PDF naming the built-in Chinese font (no font file embedded), the same bytes each time
    assert first.startswith(b"%PDF") and b"/STSong-Light" in first and b"/FontFile" not in first
    assert first == second
