"""Invoices (发票): a dealer requests one for shipped goods, finance issues it, sends it, or voids it
with a red-letter reversal (红字发票).

A shipment line is on at most one live invoice: a partial unique index (``InvoiceLine.active``)
backs the check, so two requests racing for the same lines cannot both win. The tax is split per
rate from the order lines' ``tax_rate`` (``finance/taxes.py``): lines, rates and totals add up to the
cent. The tax authority's e-invoice service is an adapter (``finance/einvoice.py``), called outside
any transaction; the default one only keeps internal records and says so on the invoice.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.money import ZERO
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.dealers.models import Address, Dealer
from dinghuo.finance.einvoice import adapter_for
from dinghuo.finance.errors import AlreadyInvoiced, InvoiceInvalid, InvoiceNotFound, InvoiceStateInvalid
from dinghuo.finance.locks import lock_invoice
from dinghuo.finance.models import Invoice, InvoiceLine
from dinghuo.finance.notices import notify_dealer
from dinghuo.finance.numbering import next_number
from dinghuo.finance.policy import tenant_settings
from dinghuo.finance.taxes import split_lines
from dinghuo.notify.outbox import outbox_add

IS = Invoice.Status
MAX_SHIPMENTS = 200


def buyer_details(dealer: Dealer) -> dict:
    address = Address.objects.filter(dealer=dealer).order_by("-is_default", "id").first()
    place = f"{address.region_name}{address.detail}" if address else ""
    return {
        "title": (dealer.invoice_title or dealer.name)[:120],
        "tax_id": dealer.tax_id,
        "address_phone": f"{place} {dealer.contact_phone}".strip()[:200],
        "bank_account": f"{dealer.bank_name} {dealer.bank_account}".strip()[:200],
    }


def invoiceable_lines(dealer_id: int, shipment_ids: list[int] | None = None, *, limit: int = 2000):
    """Shipment lines of the dealer's shipments not on a live invoice (ShipmentLine rows, with their order line)."""
    from django.db.models import Exists, OuterRef

    from dinghuo.orders.models import ShipmentLine

    live = InvoiceLine.objects.filter(shipment_line_id=OuterRef("pk"), active=True)
    qs = (
        ShipmentLine.objects.filter(shipment__order__dealer_id=dealer_id, amount__gt=0)
        .filter(~Exists(live))
        .select_related("line", "shipment", "shipment__order")
        .order_by("shipment__shipped_at", "shipment_id", "id")
    )
    if shipment_ids is not None:
        qs = qs.filter(shipment_id__in=shipment_ids)
    return list(qs[:limit])


def statement_shipment_ids(statement) -> list[int]:
    """The shipments a statement's lines trace to (goods shipped on credit, and shipments of the orders
    it lists), in the order shipped: what "invoice this statement" proposes."""
    from django.db.models import Q

    from dinghuo.orders.models import Shipment

    shipments, orders = set(), set()
    for doc_type, doc_id in statement.lines.values_list("doc_type", "doc_id"):
        if doc_id.isdigit() and doc_type in ("shipment", "order"):
            (shipments if doc_type == "shipment" else orders).add(int(doc_id))
    if not shipments and not orders:
        return []
    return list(
        Shipment.objects.filter(Q(pk__in=shipments) | Q(order_id__in=orders), order__dealer_id=statement.dealer_id)
        .order_by("shipped_at", "pk")
        .values_list("pk", flat=True)
    )


def invoice_request(
    *, actor: Actor, dealer_id: int, kind: str, shipment_ids: list[int], email: str = "", note: str = "",
    statement_id: int | None = None,
) -> Invoice:  # fmt: skip
    """A dealer asks for an invoice for some of its shipments (finance may make the request for it)."""
    from dinghuo.orders.models import Shipment, ShipmentLine

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
    try:
        wanted = sorted({int(i) for i in shipment_ids or []})
    except (TypeError, ValueError):
        raise InvoiceInvalid(reason=_("choose shipments to invoice"), detail={"shipments": ""})
    if not wanted:
        raise InvoiceInvalid(reason=_("choose shipments to invoice"), detail={"shipments": ""})
    if len(wanted) > MAX_SHIPMENTS:
        raise InvoiceInvalid(reason=_("at most %(n)s shipments on one invoice") % {"n": MAX_SHIPMENTS})
    found = set(Shipment.objects.filter(pk__in=wanted, order__dealer_id=dealer_id).values_list("pk", flat=True))
    if len(found) != len(wanted):
        raise InvoiceInvalid(
            reason=_("some shipments are not yours"), detail={"shipments": sorted(set(wanted) - found)}
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
    taken = list(
        InvoiceLine.objects.filter(shipment_line__shipment_id__in=wanted, active=True)
        .select_related("invoice")
        .values_list("shipment_number", "sku_code", "invoice__number")[:20]
    )
    if taken:
        raise AlreadyInvoiced(
            lines="；".join(f"{s} {k} ({n})" for s, k, n in taken), detail={"shipments": [s for s, _k, _n in taken]}
        )
    lines = [sl for sl in invoiceable_lines(dealer_id, wanted) if sl.amount > 0]
    if not lines:
        raise InvoiceInvalid(reason=_("nothing left to invoice on these shipments"), detail={"shipments": wanted})
    per_line, rates = split_lines([(sl.pk, sl.amount, sl.line.tax_rate) for sl in lines])
    total = sum((sl.amount for sl in lines), ZERO)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                number=next_number("invoice"), dealer=dealer, kind=kind, email=(email or "").strip()[:254],
                note=(note or "").strip()[:300], total=total, net=sum((r.net for r in rates), ZERO),
                tax=sum((r.tax for r in rates), ZERO), tax_breakdown=[r.as_dict() for r in rates],
                statement_id=statement_id, requested_by_id=actor.user_id, **buyer,
            )  # fmt: skip
            InvoiceLine.objects.bulk_create(
                stamp_tenant(
                    [
                        InvoiceLine(invoice=invoice, shipment_line=sl, order_number=sl.shipment.order.number,
                                    shipment_number=sl.shipment.number, sku_code=sl.line.sku_code,
                                    name=sl.line.name[:240], unit=sl.line.unit,
                                    qty=(sl.qty_base / sl.line.unit_factor).quantize(Decimal("0.001")),
                                    gross=sl.amount, tax_rate=sl.line.tax_rate, net=per_line[sl.pk][0],
                                    tax=per_line[sl.pk][1])
                        for sl in lines
                    ]
                )
            )  # fmt: skip
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of("invoice.requested", invoice,
                                  after={"dealer": dealer_id, "kind": kind, "total": total, "shipments": wanted})
                ],
            )  # fmt: skip
            outbox_add(
                topic="invoice.requested",
                aggregate=("invoice", invoice.pk),
                payload={"invoice_id": invoice.pk, "number": invoice.number, "dealer_id": dealer_id, "total": total},
            )
    except IntegrityError:  # a concurrent request took some of these lines first
        raise AlreadyInvoiced(lines=", ".join(str(s) for s in ShipmentLine.objects.filter(
            shipment_id__in=wanted).values_list("shipment__number", flat=True).distinct()[:20]))  # fmt: skip
    return invoice


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
    adapter = adapter_for(tenant_settings(actor.tenant_id))
    issued = adapter.issue(invoice)  # idempotent on invoice.number (einvoice.py)
    with transaction.atomic():
        invoice = _get(actor, invoice_id)
        if invoice.status != IS.REQUESTED:
            raise _state(invoice, _("only a requested invoice can be issued"))
        invoice.status, invoice.issued_at, invoice.issued_by_id = IS.ISSUED, timezone.now(), actor.user_id
        invoice.invoice_code, invoice.invoice_no = issued.code[:20], issued.number[:40]
        invoice.adapter, invoice.adapter_note = adapter.code, issued.note[:200]
        invoice.save(update_fields=["status", "issued_at", "issued_by", "invoice_code", "invoice_no", "adapter",
                                    "adapter_note"])  # fmt: skip
        audit_write(
            actor=actor,
            events=[AuditEvent.of("invoice.issued", invoice, before={"status": IS.REQUESTED},
                                  after={"status": IS.ISSUED, "invoice_no": invoice.invoice_no, "total": invoice.total})],
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
        invoice.status, invoice.void_reason = IS.REFUSED, reason[:300]
        invoice.save(update_fields=["status", "void_reason"])
        invoice.lines.update(active=False)
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
    red = Invoice.objects.create(
        number=next_number("invoice"), dealer_id=original.dealer_id, kind=original.kind, is_red=True,
        reversal_of=original, title=original.title, tax_id=original.tax_id,
        address_phone=original.address_phone, bank_account=original.bank_account, email=original.email,
        total=-original.total, net=-original.net, tax=-original.tax,
        tax_breakdown=[{k: (v if k == "rate" else str(-Decimal(v))) for k, v in r.items()}
                       for r in original.tax_breakdown],
        note=reason[:300], requested_by_id=actor.user_id,
    )  # fmt: skip
    InvoiceLine.objects.bulk_create(
        stamp_tenant(
            [
                InvoiceLine(invoice=red, shipment_line_id=ln.shipment_line_id, order_number=ln.order_number,
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
        original.status, original.voided_at, original.void_reason = IS.VOIDED, now, reason[:300]
        original.save(update_fields=["status", "voided_at", "void_reason"])
        original.lines.update(active=False)
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
