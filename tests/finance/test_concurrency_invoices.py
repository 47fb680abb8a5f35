"""Invoice requests under real concurrency (PostgreSQL, one connection per thread): requests racing for
the same goods — by payment, by shipment, or one of each — let exactly one through; the others get
the translated AlreadyInvoiced error and write nothing; a void racing new requests frees lines once."""

from decimal import Decimal

import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import invoices as inv
from dinghuo.finance.models import Invoice, InvoiceLine
from tests.factories import make_world
from tests.finance.conftest import prepaid_order, ship
from tests.orders.conftest import assert_invariants
from tests.orders.factories import make_shop
from tests.orders.test_concurrency import run_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def shop():
    shop = make_shop(make_world("race-inv"))
    yield shop
    assert_invariants(shop.tenant)
    with tenant_context(shop.tenant):
        assert inv.invoicing_mismatches() == []


def request(shop, actor, **kwargs):
    with tenant_context(shop.tenant, actor):
        return inv.invoice_request(actor=actor, dealer_id=shop.dealer.pk, kind="ordinary", **kwargs).number


def test_racing_requests_for_the_same_paid_order_make_one_invoice(shop):
    # given a prepaid order not shipped, and the dealer and finance both asking for its invoice at once
    order = prepaid_order(shop, [("COLA", 2), ("WATER", 2)])
    actors = [shop.world.actor(Role.DEALER_FINANCE), shop.staff(Role.FINANCE)]
    results = run_all(12, lambda i: request(shop, actors[i % 2], order_ids=[order.pk]), workers=12)
    # then exactly one invoice exists, the others were told the lines are already invoiced
    assert not [r for r in results if r[0] == "crash"], results
    assert sum(1 for r in results if r[0] == "ok") == 1
    assert {r[1] for r in results if r[0] == "error"} == {"already_invoiced"}
    with tenant_context(shop.tenant):
        assert Invoice.objects.count() == 1
        assert InvoiceLine.objects.filter(active=True).count() == 2


def test_racing_requests_by_payment_and_by_shipment_for_the_same_goods_make_one_invoice(shop):
    # given a prepaid order, shipped in full, on no invoice: invoiceable whole or by its shipments
    order = prepaid_order(shop, [("COLA", 2)])
    shipments = [s.pk for s in ship(shop, order)]
    finance = shop.staff(Role.FINANCE)

    def act(i):
        if i % 2:
            return request(shop, finance, order_ids=[order.pk])
        return request(shop, finance, shipment_ids=shipments)

    # when both routes race
    results = run_all(16, act, workers=16)
    # then one wins; its goods are invoiced once
    assert not [r for r in results if r[0] == "crash"], results
    assert sum(1 for r in results if r[0] == "ok") == 1
    assert {r[1] for r in results if r[0] == "error"} == {"already_invoiced"}
    with tenant_context(shop.tenant):
        assert Invoice.objects.count() == 1
        assert sum(ln.gross for ln in InvoiceLine.objects.filter(active=True)) == order.total


def test_a_void_racing_new_requests_frees_the_lines_once(shop):
    # given a prepaid order invoiced by payment and issued
    order = prepaid_order(shop, [("COLA", 1)])
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        issued = inv.invoice_issue(
            actor=finance, invoice_id=inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                                          order_ids=[order.pk]).pk)  # fmt: skip

    def act(i):
        if i == 0:
            with tenant_context(shop.tenant, finance):
                return inv.invoice_void(actor=finance, invoice_id=issued.pk, reason="开错").number
        return request(shop, finance, order_ids=[order.pk])

    # when finance voids it while new requests for the order keep coming
    results = run_all(10, act, workers=10)
    assert not [r for r in results if r[0] == "crash"], results
    assert results[0][0] == "ok"
    # then at most one new request got through, and the order is on exactly that many live invoices
    new = [r for r in results[1:] if r[0] == "ok"]
    assert len(new) <= 1
    assert {r[1] for r in results[1:] if r[0] == "error"} <= {"already_invoiced"}
    with tenant_context(shop.tenant):
        live = InvoiceLine.objects.filter(active=True, order_line__order=order).count()
    assert live == len(new)
