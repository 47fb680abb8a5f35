"""Invoices (发票): a dealer asks for one — for goods shipped, or for orders it has paid — finance issues
it, sends it, or voids it with a red-letter reversal (红字发票). Finance may make the request for it.

Two routes lead to an invoice line:

- by shipment: the lines of the dealer's shipments, each for what it shipped;
- by payment: the whole lines of the dealer's *paid* orders, shipped or not yet. An order counts as
  paid when the brand holds all of its money: it was approved (not waiting for review, cancelled or
  rejected), its funds were taken, and nothing of it is owed — either nothing went on credit (paid
  in full from the prepaid balance, where online payments and transfers made for orders land, and
  from rebates), or it is fully shipped and every receivable its shipments raised is paid (the
  same "fully paid" rebates use). An order partly on credit and not fully shipped still owes its
  unshipped part: it is invoiced shipment by shipment.

An order line is invoiced one way at a time — whole, or shipment by shipment — never both. Once it
is on a live invoice by payment, none of its shipment lines (shipped then or later) is invoiceable.
A line of which some shipment is already on a live invoice is left out of the paid route (its
other shipments are invoiced as they ship): a "rest of the line" would match neither the order nor
a shipment, which makes reconciling it and reversing it error-prone. Voiding an invoice (red
letter) or refusing a request frees its lines for either route again.

The database holds the rule: a shipment line, and a whole order line, are each on at most one live
invoice (partial unique indexes on ``InvoiceLine``), and ``OrderLineInvoicing`` counts per order
line its live whole (0 or 1) and shipment (n) invoice lines under a CHECK that one of them is zero.
A request claims its lines with guarded UPDATEs on those counters, locked in order-line order
(after the paid orders it bills, locked by pk, so a cancellation cannot slip in between); of two
racing requests for the same goods one wins, the other gets ``AlreadyInvoiced`` and nothing of it
is written. An order on an issued invoice cannot be cancelled until that invoice is voided
(``orders.services.order_cancel``); one cancelled while its request was not yet issued is named on
the invoice page, for finance to refuse the request.

The tax is split per rate from the order lines' ``tax_rate`` (``finance/taxes.py``): lines, rates
and totals add up to the cent. The seller's tax details (the tenant's, ``policy.Seller``) are
copied onto the invoice when it is issued; a VAT special invoice needs the seller's taxpayer id.
The tax authority's e-invoice service is an adapter (``finance/einvoice.py``), called outside any
transaction; the default one only keeps internal records and says so on the invoice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.money import ZERO
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.dealers.models import Address, Dealer
from dinghuo.finance.einvoice import adapter_for
from dinghuo.finance.errors import (
    AlreadyInvoiced,
    InvoiceInvalid,
    InvoiceNotFound,
    InvoiceStateInvalid,
    SellerDetailsMissing,
)
from dinghuo.finance.locks import lock_invoice, lock_line_invoicing, lock_orders
from dinghuo.finance.models import Invoice, InvoiceLine, OrderLineInvoicing, Receivable
from dinghuo.finance.notices import notify_dealer
from dinghuo.finance.numbering import next_number
from dinghuo.finance.policy import Seller, seller_details, tenant_settings
from dinghuo.finance.taxes import split_lines
from dinghuo.notify.outbox import outbox_add

IS = Invoice.Status
MAX_DOCUMENTS = 200  # shipments and orders on one invoice


def buyer_details(dealer: Dealer) -> dict:
    address = Address.objects.filter(dealer=dealer).order_by("-is_default", "id").first()
    place = f"{address.region_name}{address.detail}" if address else ""
    return {
        "title": (dealer.invoice_title or dealer.name)[:120],
        "tax_id": dealer.tax_id,
        "address_phone": f"{place} {dealer.contact_phone}".strip()[:200],
        "bank_account": f"{dealer.bank_name} {dealer.bank_account}".strip()[:200],
    }


def seller_of(invoice: Invoice) -> Seller:
    """The seller an invoice shows: its copy once issued; before that (or on invoices issued before
    sellers were recorded) the tenant's current details."""
    if invoice.seller_name:
        return Seller(name=invoice.seller_name, tax_id=invoice.seller_tax_id,
                      address_phone=invoice.seller_address_phone, bank_account=invoice.seller_bank_account)  # fmt: skip
    return seller_details(invoice.tenant_id)


def _put_seller(invoice: Invoice, seller: Seller) -> None:
    invoice.seller_name, invoice.seller_tax_id = seller.name, seller.tax_id
    invoice.seller_address_phone, invoice.seller_bank_account = seller.address_phone, seller.bank_account


SELLER_FIELDS = ["seller_name", "seller_tax_id", "seller_address_phone", "seller_bank_account"]


# --- what can be invoiced ------------------------------------------------------------------------------

PAID_STATUSES = ("approved", "picking", "partially_shipped", "shipped", "delivered", "completed")
FULLY_SHIPPED = ("shipped", "delivered", "completed")


def paid_orders(dealer_id: int) -> QuerySet:
    """The dealer's paid orders (module docstring): all their money is with the brand."""
    from dinghuo.orders.models import Order

    owed = Receivable.objects.filter(order_id=OuterRef("pk"), status=Receivable.Status.OPEN)
    return Order.objects.filter(dealer_id=dealer_id, funds_taken=True, status__in=PAID_STATUSES).filter(
        Q(pay_credit__lt=Decimal("0.005")) | (Q(status__in=FULLY_SHIPPED) & ~Exists(owed))
    )


def invoiceable_lines(dealer_id: int, shipment_ids: list[int] | None = None, *, limit: int = 2000):
    """Shipment lines of the dealer's shipments not on a live invoice, and whose order line is not
    invoiced whole by payment (ShipmentLine rows, with their order line)."""
    from dinghuo.orders.models import ShipmentLine

    live = InvoiceLine.objects.filter(shipment_line_id=OuterRef("pk"), active=True)
    whole = InvoiceLine.objects.filter(order_line_id=OuterRef("line_id"), active=True, shipment_line__isnull=True)
    qs = (
        ShipmentLine.objects.filter(shipment__order__dealer_id=dealer_id, amount__gt=0)
        .filter(~Exists(live), ~Exists(whole))
        .select_related("line", "shipment", "shipment__order")
        .order_by("shipment__shipped_at", "shipment_id", "id")
    )
    if shipment_ids is not None:
        qs = qs.filter(shipment_id__in=shipment_ids)
    return list(qs[:limit])


def invoiceable_order_lines(dealer_id: int, order_ids: list[int] | None = None, *, limit: int = 2000):
    """Lines of the dealer's paid orders that are on no live invoice by either route (OrderLine rows,
    with their order), oldest order first."""
    from dinghuo.orders.models import OrderLine

    live = InvoiceLine.objects.filter(order_line_id=OuterRef("pk"), active=True)
    qs = (
        OrderLine.objects.filter(order_id__in=paid_orders(dealer_id).values("pk"), amount__gt=0)
        .filter(~Exists(live))
        .select_related("order")
        .order_by("order__created_at", "order_id", "line_no")
    )
    if order_ids is not None:
        qs = qs.filter(order_id__in=order_ids)
    return list(qs[:limit])


def invoiceable_orders(dealer_id: int, *, limit: int = 100) -> list[dict]:
    """The dealer's paid orders with lines on no live invoice, newest first (what the request form lists):
    {"order", "amount", "lines"} of those lines. Two queries."""
    from django.db.models import Count, Sum

    from dinghuo.finance.services import cents
    from dinghuo.orders.models import Order, OrderLine

    live = InvoiceLine.objects.filter(order_line_id=OuterRef("pk"), active=True)
    rows = list(
        OrderLine.objects.filter(order_id__in=paid_orders(dealer_id).values("pk"), amount__gt=0)
        .filter(~Exists(live))
        .values("order_id")
        .annotate(amount=Sum("amount"), lines=Count("id"))
        .order_by("-order_id")[:limit]
    )
    orders = Order.objects.in_bulk([r["order_id"] for r in rows])
    out = [{"order": orders[r["order_id"]], "amount": cents(r["amount"]), "lines": r["lines"]} for r in rows]
    return sorted(out, key=lambda r: (r["order"].created_at, r["order"].pk), reverse=True)


def statement_targets(statement) -> tuple[list[int], list[int]]:
    """What "invoice this statement" proposes: (shipment ids, order ids).

    A statement lists goods shipped on credit (shipments) and orders paid from the prepaid balance.
    A listed order that is paid and on no invoice yet is proposed whole, by payment (its statement
    line is the order's value), shipped or not; any other listed order by its shipments, as are
    the shipments listed. Shipments in the order shipped, orders in the order placed."""
    from dinghuo.orders.models import Shipment

    shipments, orders = set(), set()
    for doc_type, doc_id in statement.lines.values_list("doc_type", "doc_id"):
        if doc_id.isdigit() and doc_type in ("shipment", "order"):
            (shipments if doc_type == "shipment" else orders).add(int(doc_id))
    if not shipments and not orders:
        return [], []
    live = InvoiceLine.objects.filter(order_line__order_id=OuterRef("pk"), active=True)
    whole = list(
        paid_orders(statement.dealer_id).filter(pk__in=orders).filter(~Exists(live))
        .order_by("created_at", "pk").values_list("pk", flat=True)
    )  # fmt: skip
    by_shipment = orders - set(whole)
    ship_ids = list(
        Shipment.objects.filter(Q(pk__in=shipments) | Q(order_id__in=by_shipment), order__dealer_id=statement.dealer_id)
        .exclude(order_id__in=whole)
        .order_by("shipped_at", "pk")
        .values_list("pk", flat=True)
    )
    return ship_ids, whole


# --- claiming lines: the guard against invoicing the same goods twice -----------------------------------


def _taken(*, order_line_ids=(), shipment_ids=()) -> list[tuple[str, str, str]]:
    """(document, SKU, invoice request number) of live invoice lines in the way: on these order lines
    (either route), on these shipments, or invoicing whole the order lines these shipments ship."""
    cond = Q()
    if order_line_ids:
        cond |= Q(order_line_id__in=list(order_line_ids))
    if shipment_ids:
        cond |= Q(shipment_line__shipment_id__in=list(shipment_ids))
        cond |= Q(shipment_line__isnull=True, order_line__shipment_lines__shipment_id__in=list(shipment_ids))
    if not cond:
        return []
    rows = (
        InvoiceLine.objects.filter(cond, active=True)
        .order_by("invoice_id", "id")
        .values_list("shipment_number", "order_number", "sku_code", "invoice__number")
        .distinct()[:20]
    )
    return [(shipment or order, sku, number) for shipment, order, sku, number in rows]


def _already(taken: list[tuple[str, str, str]], **detail) -> AlreadyInvoiced:
    return AlreadyInvoiced(lines="；".join(f"{doc} {sku} ({number})" for doc, sku, number in taken) or "—",
                           detail={**detail, "invoices": sorted({n for _d, _s, n in taken})})  # fmt: skip


def _by_count(counts: Counter) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for key, n in sorted(counts.items()):
        groups[n].append(key)
    return groups


def _claim(*, whole: list[int], parts: Counter) -> None:
    """Record that these order lines are now invoiced whole (``whole``) or by that many more shipment
    lines (``parts``); in the caller's transaction. A line already invoiced the other way (or whole
    already) makes the guarded UPDATE miss it: then AlreadyInvoiced, and the caller's transaction rolls
    back. The CHECK on OrderLineInvoicing refuses it again should a path forget the guard."""
    ids = sorted(set(whole) | set(parts))
    if not ids:
        return
    OrderLineInvoicing.objects.bulk_create(
        stamp_tenant([OrderLineInvoicing(order_line_id=i) for i in ids]), ignore_conflicts=True
    )
    lock_line_invoicing(order_line_ids=ids)
    taken_whole = (
        OrderLineInvoicing.objects.filter(order_line_id__in=whole, whole=0, parts=0).update(whole=1) if whole else 0
    )
    if taken_whole != len(set(whole)):
        raise _already(_taken(order_line_ids=whole), order_lines=sorted(whole))
    for n, group in _by_count(parts).items():
        added = OrderLineInvoicing.objects.filter(order_line_id__in=group, whole=0).update(parts=F("parts") + n)
        if added != len(group):
            raise _already(_taken(order_line_ids=group), order_lines=group)


def _release(invoice: Invoice) -> None:
    """Free the live lines of a refused or voided invoice (in the caller's transaction, invoice locked)."""
    rows = list(invoice.lines.filter(active=True).values_list("order_line_id", "shipment_line_id"))
    if not rows:
        return
    whole = sorted({ol for ol, sl in rows if sl is None})
    parts = Counter(ol for ol, sl in rows if sl is not None)
    lock_line_invoicing(order_line_ids=[ol for ol, _sl in rows])
    changed = OrderLineInvoicing.objects.filter(order_line_id__in=whole, whole=1).update(whole=0) if whole else 0
    for n, group in _by_count(parts).items():
        changed += OrderLineInvoicing.objects.filter(order_line_id__in=group, parts__gte=n).update(
            parts=F("parts") - n
        ) * n  # fmt: skip
    if changed != len(whole) + sum(parts.values()):
        raise RuntimeError(f"invoice {invoice.pk}: the order lines' invoicing counters are inconsistent")
    invoice.lines.update(active=False)


def invoicing_mismatches() -> list[dict]:
    """Order lines whose invoicing counters differ from their live invoice lines (should be none)."""
    live: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for order_line_id, shipment_line_id in InvoiceLine.objects.filter(active=True).values_list(
        "order_line_id", "shipment_line_id"
    ):
        live[order_line_id][0 if shipment_line_id is None else 1] += 1
    out = []
    counters = {ol: [w, p] for ol, w, p in OrderLineInvoicing.objects.values_list("order_line_id", "whole", "parts")}
    for order_line_id in set(live) | set(counters):
        want, have = live.get(order_line_id, [0, 0]), counters.get(order_line_id, [0, 0])
        if want != have:
            out.append({"order_line": order_line_id, "live": want, "counters": have})
    return out


# --- requests ------------------------------------------------------------------------------------------


def _ids(values, what: str) -> list[int]:
    try:
        return sorted({int(i) for i in values or []})
    except (TypeError, ValueError):
        raise InvoiceInvalid(reason=_("choose shipments or paid orders to invoice"), detail={what: ""})


def invoice_request(
    *, actor: Actor, dealer_id: int, kind: str, shipment_ids: list[int] | None = None,
    order_ids: list[int] | None = None, email: str = "", note: str = "", statement_id: int | None = None,
) -> Invoice:  # fmt: skip
    """A dealer asks for an invoice for some of its shipments and/or some of its paid orders (finance may
    make the request for it). All or nothing: lines already on a live invoice are refused with
    AlreadyInvoiced and nothing is written."""
    from dinghuo.orders.models import Order, Shipment

    if actor.is_dealer:
        require(actor, "invoices.request")
        if dealer_id != actor.dealer_id:
            raise PermissionDenied(detail={"dealer_id": dealer_id})
    else:
        require(actor, "invoices.issue")
    dealer = Dealer.objects.filter(pk=dealer_id).first()
    if dealer is None:
        raise InvoiceNotFound()
    if kind not in Invoice.Kind.values:
        raise InvoiceInvalid(reason=_("choose the invoice type"), detail={"kind": kind})
    wanted, orders_wanted = _ids(shipment_ids, "shipments"), _ids(order_ids, "orders")
    if not wanted and not orders_wanted:
        raise InvoiceInvalid(reason=_("choose shipments or paid orders to invoice"), detail={"shipments": ""})
    if len(wanted) + len(orders_wanted) > MAX_DOCUMENTS:
        raise InvoiceInvalid(reason=_("at most %(n)s shipments and orders on one invoice") % {"n": MAX_DOCUMENTS})
    found = set(Shipment.objects.filter(pk__in=wanted, order__dealer_id=dealer_id).values_list("pk", flat=True))
    if len(found) != len(wanted):
        raise InvoiceInvalid(
            reason=_("some shipments are not yours"), detail={"shipments": sorted(set(wanted) - found)}
        )
    numbers = dict(Order.objects.filter(pk__in=orders_wanted, dealer_id=dealer_id).values_list("pk", "number"))
    if len(numbers) != len(orders_wanted):
        raise InvoiceInvalid(
            reason=_("some orders are not yours"), detail={"orders": sorted(set(orders_wanted) - set(numbers))}
        )
    if statement_id is not None:
        from dinghuo.finance.models import Statement

        if not Statement.objects.filter(pk=statement_id, dealer_id=dealer_id).exists():
            raise InvoiceInvalid(reason=_("choose a statement of this dealer"), detail={"statement": statement_id})
    buyer = buyer_details(dealer)
    if kind == Invoice.Kind.SPECIAL and not (buyer["tax_id"] and dealer.bank_name and dealer.bank_account):
        raise InvoiceInvalid(
            reason=_("a VAT special invoice needs the taxpayer id, bank and account in the dealer's details"),
            detail={"kind": kind},
        )
    if wanted:
        taken = _taken(shipment_ids=wanted)
        if taken:
            raise _already(taken, shipments=wanted)
    ship_lines = invoiceable_lines(dealer_id, wanted) if wanted else []
    if wanted and not ship_lines:
        taken = _taken(shipment_ids=wanted)  # taken by a request that committed since the check above
        if taken:
            raise _already(taken, shipments=wanted)
        raise InvoiceInvalid(reason=_("nothing left to invoice on these shipments"), detail={"shipments": wanted})
    paid_lines: list = []
    try:
        with transaction.atomic():
            paid_lines = _paid_lines(dealer_id, orders_wanted, numbers) if orders_wanted else []
            both = {sl.line_id for sl in ship_lines} & {ln.pk for ln in paid_lines}
            if both:
                raise InvoiceInvalid(
                    reason=_("choose either an order or its shipments, not both: %(orders)s")
                    % {"orders": ", ".join(sorted({ln.order.number for ln in paid_lines if ln.pk in both}))},
                    detail={"orders": sorted({ln.order_id for ln in paid_lines if ln.pk in both})},
                )
            _claim(whole=[ln.pk for ln in paid_lines], parts=Counter(sl.line_id for sl in ship_lines))
            invoice = _create(actor=actor, dealer=dealer, kind=kind, email=email, note=note, buyer=buyer,
                              statement_id=statement_id, ship_lines=ship_lines, paid_lines=paid_lines)  # fmt: skip
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of("invoice.requested", invoice,
                                  after={"dealer": dealer_id, "kind": kind, "total": invoice.total,
                                         "shipments": wanted, "orders": orders_wanted})
                ],
            )  # fmt: skip
            outbox_add(
                topic="invoice.requested",
                aggregate=("invoice", invoice.pk),
                payload={"invoice_id": invoice.pk, "number": invoice.number, "dealer_id": dealer_id,
                         "total": invoice.total},
            )  # fmt: skip
    except IntegrityError:  # a concurrent request took some of these lines first (the database said so)
        raise _already(_taken(order_line_ids=[ln.pk for ln in paid_lines], shipment_ids=wanted), shipments=wanted,
                       orders=orders_wanted)  # fmt: skip
    return invoice


def _paid_lines(dealer_id: int, orders_wanted: list[int], numbers: dict[int, str]) -> list:
    """The invoiceable lines of these orders, checked paid with the orders locked (in the transaction)."""
    lock_orders(order_ids=orders_wanted)
    paid = set(paid_orders(dealer_id).filter(pk__in=orders_wanted).values_list("pk", flat=True))
    unpaid = [o for o in orders_wanted if o not in paid]
    if unpaid:
        raise InvoiceInvalid(
            reason=_(
                "order %(orders)s is not paid in full (it is on credit, waiting for review or cancelled): invoice its shipments as they ship"
            )
            % {"orders": ", ".join(numbers[o] for o in unpaid)},
            detail={"orders": unpaid},
        )
    lines = invoiceable_order_lines(dealer_id, orders_wanted)
    empty = sorted(set(orders_wanted) - {ln.order_id for ln in lines})
    if empty:
        from dinghuo.orders.models import OrderLine

        taken = _taken(order_line_ids=list(OrderLine.objects.filter(order_id__in=empty).values_list("pk", flat=True)))
        if taken:
            raise _already(taken, orders=empty)
        # nothing holds them now: a void committed between the two reads freed them, so read again
        lines = invoiceable_order_lines(dealer_id, orders_wanted)
        empty = sorted(set(orders_wanted) - {ln.order_id for ln in lines})
    if empty:
        raise InvoiceInvalid(
            reason=_("nothing left to invoice on order %(orders)s") % {"orders": ", ".join(numbers[o] for o in empty)},
            detail={"orders": empty},
        )
    return lines


def _create(*, actor: Actor, dealer: Dealer, kind: str, email: str, note: str, buyer: dict,
            statement_id: int | None, ship_lines: list, paid_lines: list) -> Invoice:  # fmt: skip
    per_line, rates = split_lines(
        [(("s", sl.pk), sl.amount, sl.line.tax_rate) for sl in ship_lines]
        + [(("o", ln.pk), ln.amount, ln.tax_rate) for ln in paid_lines]
    )
    total = sum((sl.amount for sl in ship_lines), ZERO) + sum((ln.amount for ln in paid_lines), ZERO)
    invoice = Invoice.objects.create(
        number=next_number("invoice"), dealer=dealer, kind=kind, email=(email or "").strip()[:254],
        note=(note or "").strip()[:300], total=total, net=sum((r.net for r in rates), ZERO),
        tax=sum((r.tax for r in rates), ZERO), tax_breakdown=[r.as_dict() for r in rates],
        statement_id=statement_id, requested_by_id=actor.user_id, **buyer,
    )  # fmt: skip
    q3 = Decimal("0.001")
    rows = [
        InvoiceLine(invoice=invoice, order_line_id=sl.line_id, shipment_line=sl, order_number=sl.shipment.order.number,
                    shipment_number=sl.shipment.number, sku_code=sl.line.sku_code, name=sl.line.name[:240],
                    unit=sl.line.unit, qty=(sl.qty_base / sl.line.unit_factor).quantize(q3), gross=sl.amount,
                    tax_rate=sl.line.tax_rate, net=per_line[("s", sl.pk)][0], tax=per_line[("s", sl.pk)][1])
        for sl in ship_lines
    ] + [
        InvoiceLine(invoice=invoice, order_line=ln, shipment_line=None, order_number=ln.order.number,
                    shipment_number="", sku_code=ln.sku_code, name=ln.name[:240], unit=ln.unit,
                    qty=ln.qty.quantize(q3), gross=ln.amount, tax_rate=ln.tax_rate, net=per_line[("o", ln.pk)][0],
                    tax=per_line[("o", ln.pk)][1])
        for ln in paid_lines
    ]  # fmt: skip
    InvoiceLine.objects.bulk_create(stamp_tenant(rows))
    return invoice


def cancelled_orders(invoice: Invoice) -> list[str]:
    """Numbers of orders invoiced whole on this (live) invoice that were cancelled since: finance voids it."""
    if invoice.status not in (IS.REQUESTED, IS.ISSUED, IS.SENT) or invoice.is_red:
        return []
    return sorted(
        set(
            invoice.lines.filter(
                shipment_line__isnull=True, order_line__order__status__in=("cancelled", "rejected")
            ).values_list("order_number", flat=True)
        )
    )


def _get(actor: Actor, invoice_id: int) -> Invoice:
    invoice = lock_invoice(invoice_id=invoice_id)
    if invoice is None or (actor.is_dealer and invoice.dealer_id != actor.dealer_id):
        raise InvoiceNotFound()
    return invoice


def _state(invoice: Invoice, reason: str) -> InvoiceStateInvalid:
    return InvoiceStateInvalid(number=invoice.number, status=invoice.get_status_display(), reason=reason)


def invoice_issue(*, actor: Actor, invoice_id: int) -> Invoice:
    """Issue a requested invoice through the tenant's e-invoice adapter (called outside the transaction)."""
    require(actor, "invoices.issue")
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        raise InvoiceNotFound()
    if invoice.status != IS.REQUESTED or invoice.is_red:
        raise _state(invoice, _("only a requested invoice can be issued"))
    seller = seller_details(actor.tenant_id)
    if invoice.kind == Invoice.Kind.SPECIAL and not seller.tax_id:
        raise SellerDetailsMissing(
            fields=gettext_lazy("taxpayer id (unified social credit code)"), detail={"seller_tax_id": ""}
        )
    _put_seller(invoice, seller)  # the adapter issues what the invoice will keep
    adapter = adapter_for(tenant_settings(actor.tenant_id))
    issued = adapter.issue(invoice)  # idempotent on invoice.number (einvoice.py)
    with transaction.atomic():
        invoice = _get(actor, invoice_id)
        if invoice.status != IS.REQUESTED:
            raise _state(invoice, _("only a requested invoice can be issued"))
        invoice.status, invoice.issued_at, invoice.issued_by_id = IS.ISSUED, timezone.now(), actor.user_id
        invoice.invoice_code, invoice.invoice_no = issued.code[:20], issued.number[:40]
        invoice.adapter, invoice.adapter_note = adapter.code, issued.note[:200]
        _put_seller(invoice, seller)
        invoice.save(update_fields=["status", "issued_at", "issued_by", "invoice_code", "invoice_no", "adapter",
                                    "adapter_note", *SELLER_FIELDS])  # fmt: skip
        audit_write(
            actor=actor,
            events=[AuditEvent.of("invoice.issued", invoice, before={"status": IS.REQUESTED},
                                  after={"status": IS.ISSUED, "invoice_no": invoice.invoice_no, "total": invoice.total,
                                         "seller": seller.name, "seller_tax_id": seller.tax_id})],
        )  # fmt: skip
        notify_dealer(
            dealer_id=invoice.dealer_id,
            title=_("Invoice %(no)s issued") % {"no": invoice.invoice_no},
            body=_("%(kind)s, %(total)s incl. tax") % {"kind": invoice.get_kind_display(), "total": invoice.total},
            link=f"/portal/finance/invoices/{invoice.pk}/",
        )
    return invoice


def invoice_mark_sent(*, actor: Actor, invoice_id: int) -> Invoice:
    require(actor, "invoices.issue")
    with transaction.atomic():
        invoice = _get(actor, invoice_id)
        if invoice.status != IS.ISSUED or invoice.is_red:
            raise _state(invoice, _("only an issued invoice can be marked as sent"))
        invoice.status, invoice.sent_at = IS.SENT, timezone.now()
        invoice.save(update_fields=["status", "sent_at"])
        audit_write(
            actor=actor,
            events=[AuditEvent.of("invoice.sent", invoice, before={"status": IS.ISSUED}, after={"status": IS.SENT})],
        )
    return invoice


def invoice_refuse(*, actor: Actor, invoice_id: int, reason: str) -> Invoice:
    require(actor, "invoices.issue")
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceInvalid(reason=_("give a reason"), detail={"reason": ""})
    with transaction.atomic():
        invoice = _get(actor, invoice_id)
        if invoice.status != IS.REQUESTED or invoice.is_red:
            raise _state(invoice, _("only a requested invoice can be refused"))
        _release(invoice)
        invoice.status, invoice.void_reason = IS.REFUSED, reason[:300]
        invoice.save(update_fields=["status", "void_reason"])
        audit_write(
            actor=actor,
            events=[AuditEvent.of("invoice.refused", invoice, before={"status": IS.REQUESTED},
                                  after={"status": IS.REFUSED}, reason=reason)],
        )  # fmt: skip
        notify_dealer(
            dealer_id=invoice.dealer_id,
            title=_("Invoice request %(number)s was refused") % {"number": invoice.number},
            body=reason,
            link=f"/portal/finance/invoices/{invoice.pk}/",
        )
    return invoice


def invoice_void(*, actor: Actor, invoice_id: int, reason: str) -> Invoice:
    """Void an issued invoice with a red-letter reversal (negative amounts, same lines); its lines
    may be invoiced again. Returns the red invoice."""
    require(actor, "invoices.issue")
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceInvalid(reason=_("give a reason"), detail={"reason": ""})
    with transaction.atomic():
        original = _get(actor, invoice_id)
        if original.status not in (IS.ISSUED, IS.SENT) or original.is_red:
            raise _state(original, _("only an issued invoice can be voided"))
        red = Invoice.objects.filter(reversal_of=original).first()
        if red is not None and red.status != IS.REQUESTED:
            raise _state(original, _("it already has a red-letter reversal"))
        if red is None:  # else an earlier void stopped at the adapter: retry with the same red invoice
            red = _red_for(actor=actor, original=original, reason=reason)
    return _void_finish(actor=actor, invoice_id=invoice_id, red_id=red.pk, reason=reason)


def _red_for(*, actor: Actor, original: Invoice, reason: str) -> Invoice:
    """The red-letter reversal of ``original`` (negative amounts, same lines), still to be issued."""
    seller = seller_of(original)  # the red invoice mirrors the original, seller included
    red = Invoice.objects.create(
        number=next_number("invoice"), dealer_id=original.dealer_id, kind=original.kind, is_red=True,
        reversal_of=original, title=original.title, tax_id=original.tax_id,
        address_phone=original.address_phone, bank_account=original.bank_account, email=original.email,
        seller_name=seller.name, seller_tax_id=seller.tax_id, seller_address_phone=seller.address_phone,
        seller_bank_account=seller.bank_account,
        total=-original.total, net=-original.net, tax=-original.tax,
        tax_breakdown=[{k: (v if k == "rate" else str(-Decimal(v))) for k, v in r.items()}
                       for r in original.tax_breakdown],
        note=reason[:300], requested_by_id=actor.user_id,
    )  # fmt: skip
    InvoiceLine.objects.bulk_create(
        stamp_tenant(
            [
                InvoiceLine(invoice=red, order_line_id=ln.order_line_id, shipment_line_id=ln.shipment_line_id,
                            order_number=ln.order_number,
                            shipment_number=ln.shipment_number, sku_code=ln.sku_code, name=ln.name, unit=ln.unit,
                            qty=-ln.qty, gross=-ln.gross, tax_rate=ln.tax_rate, net=-ln.net, tax=-ln.tax,
                            active=False)
                for ln in original.lines.all()
            ]
        )
    )  # fmt: skip
    return red


def _void_finish(*, actor: Actor, invoice_id: int, red_id: int, reason: str) -> Invoice:
    """Have the adapter issue the red invoice (outside any transaction), then void the original."""
    original = Invoice.objects.get(pk=invoice_id)
    red = Invoice.objects.get(pk=red_id)
    adapter = adapter_for(tenant_settings(actor.tenant_id))
    issued = adapter.reverse(original, red)  # idempotent on red.number
    with transaction.atomic():
        original = _get(actor, invoice_id)
        red = lock_invoice(invoice_id=red_id)
        if red.status != IS.REQUESTED or original.status not in (IS.ISSUED, IS.SENT):
            raise _state(original, _("it already has a red-letter reversal"))
        before = original.status
        now = timezone.now()
        red.status, red.issued_at, red.issued_by_id = IS.ISSUED, now, actor.user_id
        red.invoice_code, red.invoice_no, red.adapter, red.adapter_note = (
            issued.code[:20], issued.number[:40], adapter.code, issued.note[:200])  # fmt: skip
        red.save(update_fields=["status", "issued_at", "issued_by", "invoice_code", "invoice_no", "adapter",
                                "adapter_note"])  # fmt: skip
        _release(original)
        original.status, original.voided_at, original.void_reason = IS.VOIDED, now, reason[:300]
        original.save(update_fields=["status", "voided_at", "void_reason"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("invoice.voided", original, before={"status": before},
                              after={"status": IS.VOIDED, "red": red.number}, reason=reason),
                AuditEvent.of("invoice.red_issued", red, after={"reverses": original.pk, "total": red.total,
                                                                "invoice_no": red.invoice_no}),
            ],
        )  # fmt: skip
        notify_dealer(
            dealer_id=original.dealer_id,
            title=_("Invoice %(no)s voided by red-letter invoice %(red)s")
            % {"no": original.invoice_no, "red": red.invoice_no},
            body=reason,
            link=f"/portal/finance/invoices/{red.pk}/",
        )
    return red
