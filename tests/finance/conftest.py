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
    with tenant_context(shop.tenant, staff):
        for line in order.lines.all():
            by_wh = {}
            for a in line.allocations.select_related("stock"):
                if a.open_base > 0:
                    by_wh.setdefault(a.stock.warehouse_id, []).append(svc.ShipItem(line.pk, a.open_base))
            for wh, items in by_wh.items():
                svc.shipment_create(actor=staff, order_id=order.pk, warehouse_id=wh, items=items, carrier="顺丰",
                                    tracking_no="SF1")  # fmt: skip
        return order, list(Receivable.objects.filter(order=order).order_by("pk"))


def pdf_text(pdf: bytes) -> str:
    """The text of every page of a PDF, read back with pypdf (whitespace runs folded to one space)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture
def shop(world):
    shop = make_shop(world)
    yield shop
    assert_invariants(shop.tenant)
