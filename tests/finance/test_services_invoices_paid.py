"""Invoices for paid orders (by payment): a prepaid order is invoiced before it ships, its shipments are
then not invoiceable; an order line is invoiced whole or shipment by shipment, never both; voiding or
refusing frees the lines for either route again; statements propose their paid orders."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import invoices as inv
from dinghuo.finance.errors import AlreadyInvoiced, InvoiceInvalid
from dinghuo.finance.models import Invoice, InvoiceLine, OrderLineInvoicing
from dinghuo.finance.statements import statement_generate
from dinghuo.orders import services as svc
from tests.finance.conftest import prepaid_order, ship, ship_on_credit

D = Decimal


@pytest.fixture
def actors(shop):
    return shop.world.actor(Role.DEALER_FINANCE), shop.staff(Role.FINANCE)


def consistent(shop):
    """The invoicing counters equal the live invoice lines, per order line."""
    with tenant_context(shop.tenant):
        assert inv.invoicing_mismatches() == []


def test_a_prepaid_order_is_invoiced_and_issued_before_it_ships(shop, actors):
    # given an order of cola and water paid in full from the prepaid balance, not shipped
    order = prepaid_order(shop, [("COLA", 3), ("WATER", 2)])
    dealer_fin, finance = actors
    with tenant_context(shop.tenant, dealer_fin):
        # it is offered by payment, whole
        offered = inv.invoiceable_order_lines(shop.dealer.pk)
        assert {ln.order_id for ln in offered} == {order.pk} and len(offered) == 2
        # when the dealer asks for an invoice for it
        invoice = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                      order_ids=[order.pk], note="预付款，请先开票")  # fmt: skip
        lines = list(invoice.lines.order_by("pk"))
        order_lines = list(order.lines.order_by("line_no"))
    # then it covers the order's lines in full, each tied to its order line and to no shipment
    assert invoice.status == "requested" and invoice.total == order.total
    assert [(ln.order_line_id, ln.shipment_line_id, ln.shipment_number) for ln in lines] == [
        (line.pk, None, "") for line in order_lines
    ]
    assert all(ln.order_number == order.number and ln.net + ln.tax == ln.gross for ln in lines)
    assert invoice.net + invoice.tax == invoice.total
    # and finance issues it
    with tenant_context(shop.tenant, finance):
        issued = inv.invoice_issue(actor=finance, invoice_id=invoice.pk)
        assert issued.status == "issued" and issued.invoice_no
        assert inv.invoiceable_order_lines(shop.dealer.pk) == []
    consistent(shop)


def test_shipping_an_order_invoiced_by_payment_leaves_nothing_to_invoice(shop, actors):
    # given a prepaid order invoiced by payment
    order = prepaid_order(shop, [("COLA", 2)])
    dealer_fin, _finance = actors
    with tenant_context(shop.tenant, dealer_fin):
        first = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
    # when it ships (in two parts)
    shipments = ship(shop, order, base=D(24)) + ship(shop, order)
    assert len(shipments) == 2
    with tenant_context(shop.tenant, dealer_fin):
        # then none of its shipments is invoiceable
        assert inv.invoiceable_lines(shop.dealer.pk) == []
        # and asking for them is refused, naming the invoice, with nothing written
        with pytest.raises(AlreadyInvoiced) as err:
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                shipment_ids=[s.pk for s in shipments])  # fmt: skip
        assert first.number in err.value.message and err.value.code == "already_invoiced"
        # asking for the order again too
        with pytest.raises(AlreadyInvoiced):
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
        assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 1
    consistent(shop)


def test_a_line_invoiced_by_shipment_is_left_out_of_the_paid_route(shop, actors):
    # given a prepaid order of two lines, the first partly shipped and that shipment invoiced
    order = prepaid_order(shop, [("COLA", 2), ("WATER", 2)])
    dealer_fin, _finance = actors
    (first_ship,) = _ship_line(shop, order, line_no=1, base=D(24))
    with tenant_context(shop.tenant, dealer_fin):
        cola, water = order.lines.order_by("line_no")
        by_shipment = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                          shipment_ids=[first_ship.pk])  # fmt: skip
        # the paid route now offers only the untouched line
        assert [ln.pk for ln in inv.invoiceable_order_lines(shop.dealer.pk)] == [water.pk]
        # when the dealer asks for the order, then only that line is invoiced (the cola follows its shipments)
        by_payment = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                         order_ids=[order.pk])  # fmt: skip
        assert [ln.order_line_id for ln in by_payment.lines.all()] == [water.pk]
        assert by_payment.total == water.amount
        # and the rest of the cola, once shipped, is invoiceable by shipment; the water's shipment is not
    rest = ship(shop, order)
    with tenant_context(shop.tenant, dealer_fin):
        offered = inv.invoiceable_lines(shop.dealer.pk)
        assert {sl.line_id for sl in offered} == {cola.pk}
        assert sum(sl.amount for sl in offered) + by_shipment.total == cola.amount
        # an order whose every line is taken is refused as already invoiced
        with pytest.raises(AlreadyInvoiced):
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
        last = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                   shipment_ids=[s.pk for s in rest if s.lines.filter(line=cola).exists()])  # fmt: skip
    # so every line of the order is invoiced exactly once, across the three invoices
    assert by_shipment.total + by_payment.total + last.total == order.total
    consistent(shop)


def _ship_line(shop, order, *, line_no: int, base: Decimal) -> list:
    staff = shop.staff(Role.OWNER)
    with tenant_context(shop.tenant, staff):
        line = order.lines.get(line_no=line_no)
        a = line.allocations.select_related("stock").order_by("pk").first()
        return [svc.shipment_create(actor=staff, order_id=order.pk, warehouse_id=a.stock.warehouse_id,
                                    items=[svc.ShipItem(line.pk, base)], carrier="顺丰", tracking_no="SF2")]  # fmt: skip


def test_an_order_and_its_own_shipment_cannot_be_asked_for_together(shop, actors):
    order = prepaid_order(shop, [("COLA", 2)])
    shipments = ship(shop, order, base=D(24))
    dealer_fin, _finance = actors
    with tenant_context(shop.tenant, dealer_fin):
        with pytest.raises(InvoiceInvalid) as err:
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk],
                                shipment_ids=[shipments[0].pk])  # fmt: skip
        assert order.number in err.value.message
        assert not Invoice.objects.exists() and not OrderLineInvoicing.objects.filter(whole=1).exists()
    consistent(shop)


def test_orders_not_paid_in_full_are_refused_by_the_paid_route(shop, actors):
    # given an order on credit (not shipped), one on credit fully shipped but not paid, another dealer's
    # paid order, and a cancelled prepaid order
    dealer_fin, finance = actors
    buyer = shop.buyer()
    from dinghuo.orders.placement import order_place

    with tenant_context(shop.tenant, buyer):
        on_credit = order_place(actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")],
                                tenant_settings={}).order  # fmt: skip
    shipped_unpaid, _receivables = ship_on_credit(shop, 1)
    theirs = prepaid_order(shop, [("COLA", 1)], dealer=shop.world.other_dealer)
    cancelled = prepaid_order(shop, [("COLA", 1)])
    with tenant_context(shop.tenant, buyer):
        svc.order_cancel(actor=buyer, order_id=cancelled.pk, reason="不要了")
    with tenant_context(shop.tenant, dealer_fin):
        assert inv.invoiceable_order_lines(shop.dealer.pk) == []
        for order in (on_credit, shipped_unpaid, cancelled):
            with pytest.raises(InvoiceInvalid) as err:
                inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
            assert order.number in err.value.message, err.value.message
        with pytest.raises(InvoiceInvalid):
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[theirs.pk])
        assert not Invoice.objects.exists()
    # when the shipped order's receivable is paid, it counts as paid
    from dinghuo.finance import payments as pay

    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=shipped_unpaid.total,
                           confirm=True)  # fmt: skip
        invoice = inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                      order_ids=[shipped_unpaid.pk])  # fmt: skip
    assert invoice.total == shipped_unpaid.total
    consistent(shop)


def test_an_order_paid_with_prepaid_and_rebates_counts_as_paid(shop, actors):
    order = prepaid_order(shop, [("COLA", 2)], rebate="20.00")
    dealer_fin, _finance = actors
    assert order.pay_rebate == D("20.00")
    with tenant_context(shop.tenant, dealer_fin):
        invoice = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
    # the invoice is for the goods: rebates are a way of paying, not a discount on the invoice
    assert invoice.total == order.total


def test_voiding_or_refusing_frees_the_lines_for_either_route(shop, actors):
    # given a prepaid order invoiced by payment, issued, then shipped
    order = prepaid_order(shop, [("COLA", 2)])
    _dealer_fin, finance = actors
    with tenant_context(shop.tenant, finance):
        issued = inv.invoice_issue(
            actor=finance,
            invoice_id=inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                           order_ids=[order.pk]).pk,
        )  # fmt: skip
    shipments = ship(shop, order)
    with tenant_context(shop.tenant, finance):
        assert inv.invoiceable_lines(shop.dealer.pk) == []
        # when it is voided with a red-letter reversal
        red = inv.invoice_void(actor=finance, invoice_id=issued.pk, reason="客户要求按发货开票")
        assert red.is_red and red.total == -issued.total
        assert [ln.order_line_id for ln in red.lines.all()] == [ln.order_line_id for ln in issued.lines.all()]
        # then both routes offer the goods again
        assert {sl.shipment_id for sl in inv.invoiceable_lines(shop.dealer.pk)} == {s.pk for s in shipments}
        assert {ln.order_id for ln in inv.invoiceable_order_lines(shop.dealer.pk)} == {order.pk}
        # and invoicing by shipment now works, after which the order is no longer offered
        by_shipment = inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                          shipment_ids=[s.pk for s in shipments])  # fmt: skip
        assert by_shipment.total == order.total
        assert inv.invoiceable_order_lines(shop.dealer.pk) == []
        # a refused request frees them too
        inv.invoice_refuse(actor=finance, invoice_id=by_shipment.pk, reason="合并开票")
        again = inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
        assert again.total == order.total
    consistent(shop)


def test_the_database_refuses_a_second_live_invoice_for_the_same_goods(shop, actors):
    # given an order line invoiced whole by payment
    order = prepaid_order(shop, [("COLA", 1)])
    dealer_fin, _finance = actors
    with tenant_context(shop.tenant, dealer_fin):
        invoice = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
        line = invoice.lines.get()
        # a second live whole line for it breaks the partial unique index
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceLine.objects.create(invoice=invoice, order_line_id=line.order_line_id, order_number="x", sku_code="x",
                                       name="x", unit="x", qty=1, gross=1, tax_rate=D("0.13"), net=1, tax=0)  # fmt: skip
        # and the counters refuse a shipment part next to the whole (the CHECK)
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLineInvoicing.objects.filter(order_line_id=line.order_line_id).update(parts=1)


def test_a_statement_proposes_its_paid_orders_by_payment(shop, actors):
    # given this month: a prepaid order not shipped, and goods shipped on credit
    order = prepaid_order(shop, [("COLA", 2)])
    ship_on_credit(shop, 1)
    dealer_fin, finance = actors
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        statement = statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today)
        shipments, orders = inv.statement_targets(statement)
    # then the prepaid order is proposed whole and the credit shipment by shipment
    assert orders == [order.pk] and len(shipments) == 1
    with tenant_context(shop.tenant, dealer_fin):
        invoice = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                      shipment_ids=shipments, order_ids=orders, statement_id=statement.pk)  # fmt: skip
        assert invoice.statement_id == statement.pk
        assert {(ln.order_number, ln.shipment_line_id is None) for ln in invoice.lines.all()} >= {(order.number, True)}
        # once invoiced, the statement proposes nothing more by payment
        assert inv.statement_targets(statement)[1] == []
    consistent(shop)


def test_an_order_cancelled_after_it_was_invoiced_is_flagged_for_finance(shop, actors):
    # given a prepaid order invoiced by payment, then cancelled by the dealer before it ships
    order = prepaid_order(shop, [("COLA", 1)])
    dealer_fin, finance = actors
    with tenant_context(shop.tenant, dealer_fin):
        invoice = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
    buyer = shop.buyer()
    with tenant_context(shop.tenant, buyer):
        svc.order_cancel(actor=buyer, order_id=order.pk, reason="改单")
    # then the invoice names the cancelled order, for finance to refuse it (or void it once issued)
    with tenant_context(shop.tenant, finance):
        assert inv.cancelled_orders(invoice) == [order.number]
        inv.invoice_refuse(actor=finance, invoice_id=invoice.pk, reason="订单已取消")
        assert inv.cancelled_orders(Invoice.objects.get(pk=invoice.pk)) == []
        # and the cancelled order is not offered again
        assert inv.invoiceable_order_lines(shop.dealer.pk) == []
    consistent(shop)


def test_an_issued_invoice_blocks_cancelling_its_order_until_it_is_voided(shop, actors):
    from dinghuo.orders.errors import OrderInvoiced
    from dinghuo.orders.models import Order

    # given a prepaid order invoiced by payment and issued, not shipped
    order = prepaid_order(shop, [("COLA", 1)])
    dealer_fin, finance = actors
    with tenant_context(shop.tenant, dealer_fin):
        invoice = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
    with tenant_context(shop.tenant, finance):
        inv.invoice_issue(actor=finance, invoice_id=invoice.pk)
    # when the dealer cancels it, then it is refused, naming the invoice, and nothing changes
    buyer = shop.buyer()
    with tenant_context(shop.tenant, buyer), pytest.raises(OrderInvoiced) as refused:
        svc.order_cancel(actor=buyer, order_id=order.pk, reason="改单")
    with tenant_context(shop.tenant):
        number = Invoice.objects.get(pk=invoice.pk).number
        assert Order.objects.get(pk=order.pk).status == "approved"
    assert number in refused.value.message and refused.value.detail == {"invoices": [number]}
    # once finance voids it with a red-letter reversal, the order can be cancelled
    with tenant_context(shop.tenant, finance):
        inv.invoice_void(actor=finance, invoice_id=invoice.pk, reason="订单取消")
    with tenant_context(shop.tenant, buyer):
        assert svc.order_cancel(actor=buyer, order_id=order.pk, reason="改单").status == "cancelled"
    consistent(shop)
