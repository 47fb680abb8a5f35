"""Finance tests: the ordering shop (catalog, stock, a dealer with credit) plus helpers that ship goods
on credit, so there are receivables to pay. Every test ends with the ledger invariants checked."""

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance.models import Receivable
from dinghuo.orders import services as svc
from dinghuo.orders.placement import order_place
from tests.orders.conftest import assert_invariants
from tests.orders.factories import make_shop

D = Decimal


def ship_on_credit(shop, cases: int = 1, sku: str = "COLA", *, dealer=None, pay_prepaid="0", pay_rebate="0"):
    """Place an order of ``cases`` boxes and ship it all; returns (order, [receivables])."""
    dealer = dealer or shop.dealer
    buyer = shop.buyer() if dealer == shop.dealer else shop.staff(Role.OWNER)
    staff = shop.staff(Role.OWNER)
    with tenant_context(shop.tenant, buyer):
        order = order_place(
            actor=buyer, dealer_id=dealer.pk, items=[shop.item(sku, cases, "箱")], tenant_settings={},
            pay_prepaid=D(pay_prepaid), pay_rebate=D(pay_rebate),
        ).order  # fmt: skip
    ship(shop, order)
    with tenant_context(shop.tenant, staff):
        return order, list(Receivable.objects.filter(order=order).order_by("pk"))


def ship(shop, order, *, base: Decimal | None = None) -> list:
    """Ship what is reserved of every line of ``order`` (at most ``base`` base units per line); returns
    the shipments made."""
    staff = shop.staff(Role.OWNER)
    made = []
    with tenant_context(shop.tenant, staff):
        for line in order.lines.order_by("line_no"):
            by_wh = {}
            left = base if base is not None else line.qty_base
            for a in line.allocations.select_related("stock").order_by("pk"):
                take = min(a.open_base, left)
                if take > 0:
                    by_wh.setdefault(a.stock.warehouse_id, []).append(svc.ShipItem(line.pk, take))
                    left -= take
            for wh, items in by_wh.items():
                made.append(svc.shipment_create(actor=staff, order_id=order.pk, warehouse_id=wh, items=items,
                                                carrier="顺丰", tracking_no="SF1"))  # fmt: skip
    return made


def prepaid_order(shop, items: list[tuple[str, int]] = (("COLA", 2),), *, dealer=None, rebate: str = "0"):
    """An order paid in full before shipping: the dealer tops up its prepaid balance by a confirmed
    transfer and pays the whole order from it (less ``rebate`` paid from rebates). Approved, not shipped."""
    from dinghuo.finance import payments as pay
    from dinghuo.finance.services import balance_credit
    from dinghuo.pricing.engine import price_cart

    dealer = dealer or shop.dealer
    buyer = shop.buyer() if dealer == shop.dealer else shop.staff(Role.OWNER)
    finance = shop.staff(Role.FINANCE)
    cart = [shop.item(sku, n, "箱") for sku, n in items]
    with tenant_context(shop.tenant, finance):
        total = price_cart(dealer=dealer, items=cart, tenant_settings={}, tier_code=dealer.tier.code).total
        if D(rebate):
            balance_credit(actor=finance, dealer=dealer, bucket="rebate", amount=D(rebate), kind="rebate_accrual")
        pay.payment_record(actor=finance, dealer_id=dealer.pk, method="transfer", purpose="topup",
                           amount=total - D(rebate), confirm=True)  # fmt: skip
    with tenant_context(shop.tenant, buyer):
        order = order_place(actor=buyer, dealer_id=dealer.pk, items=cart, tenant_settings={},
                            pay_prepaid=total - D(rebate), pay_rebate=D(rebate)).order  # fmt: skip
    assert order.status == "approved" and order.pay_credit == 0, (order.status, order.pay_credit)
    return order


def pdf_text(pdf: bytes) -> str:
    """The text of every page of a PDF, read back with pypdf (whitespace runs folded to one space)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture
def shop(world):
    shop = make_shop(world)
    yield shop
    assert_invariants(shop.tenant)
