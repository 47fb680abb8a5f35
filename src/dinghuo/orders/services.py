"""Order life after placement: review, approval, rejection, edits, cancellation, picking,
shipments in parts, delivery and completion.

Every transition goes through ``_transition``: it checks the state machine and the actor's
permission, records a timeline event (who, when, why), an outbox event and an audit row, all in
the transaction that changes the order. Money and stock move with their ledgers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import ValidationError
from dinghuo.core.money import ZERO, quantize
from dinghuo.core.numbering import next_numbers
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.finance.models import CreditOverride, DealerAccount, Invoice, InvoiceLine, Receivable
from dinghuo.finance.services import Funds, cents, funds_return, funds_take, hold_to_receivable, insert_entries
from dinghuo.inventory import services as stock_services
from dinghuo.inventory.allocation import Need, allocation_policy
from dinghuo.inventory.models import Stock, StockMovement, Warehouse
from dinghuo.notify.outbox import outbox_add_many, outbox_event
from dinghuo.orders import states
from dinghuo.orders.errors import OrderInvoiced, OrderNotFound, ShipmentInvalid, TransitionNotAllowed
from dinghuo.orders.locks import lock_order
from dinghuo.orders.models import Allocation, Order, OrderEvent, OrderLine, Shipment, ShipmentLine
from dinghuo.pricing.engine import CartItem, FlashClaim, price_cart, release_flash_sales

S = Order.Status


def _visible(actor: Actor, order: Order) -> None:
    """Dealer users act only on their own orders; sales reps on their dealers' orders."""
    if actor.is_system:
        return
    if actor.is_dealer and order.dealer_id != actor.dealer_id:
        raise OrderNotFound()
    if not actor.is_dealer and not scope_dealers(actor, Order.objects.filter(pk=order.pk), "dealer").exists():
        raise OrderNotFound()


def _transition(
    *, actor: Actor, order: Order, to: str, reason: str = "", data: dict | None = None, kind: str = "status"
) -> None:
    perm = states.permission_for(order.status, to)
    if perm is None:
        raise TransitionNotAllowed(status=order.get_status_display(), action=states.ACTION_LABELS.get(to, to))
    require(actor, perm)
    before = order.status
    order.status = to
    order.updated_at = timezone.now()
    order.save(update_fields=["status", "updated_at", "funds_taken", "credit_override"])
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        from_status=before,
        to_status=to,
        actor_id=actor.user_id,
        actor_label=actor.label,
        reason=reason[:500],
        data=data or {},
    )
    outbox_add_many(
        [
            outbox_event(
                topic="order.status_changed",
                aggregate=("order", order.pk),
                payload={
                    "order_id": order.pk,
                    "number": order.number,
                    "dealer_id": order.dealer_id,
                    "from": before,
                    "to": to,
                    "reason": reason,
                },
            )
        ]
    )
    audit_write(
        actor=actor,
        events=[
            AuditEvent.of(
                f"order.{to}", order, before={"status": before}, after={"status": to, **(data or {})}, reason=reason
            )
        ],
    )


def _open_allocations(order: Order) -> list[Allocation]:
    return list(
        Allocation.objects.filter(line__order=order).select_related("line", "stock__sku").order_by("stock_id", "id")
    )


def _release_everything(*, actor: Actor, order: Order) -> None:
    """Give back the stock, flash-sale quantities and money an open order holds (no shipment yet)."""
    ref = ("order", str(order.pk))
    changes, touched = [], []
    for a in _open_allocations(order):
        left = a.open_base
        if left > 0:
            changes.append(stock_services.StockChange(a.stock_id, left))
            a.released_base += left
            touched.append(a)
    movements = stock_services.release(changes=changes, ref=ref, actor_id=actor.user_id) if changes else []
    StockMovement.objects.bulk_create(stamp_tenant(movements))
    if touched:
        Allocation.objects.bulk_update(touched, ["released_base"])
    claims = _flash_claims(order)
    if claims:
        release_flash_sales(dealer_id=order.dealer_id, claims=claims)
    if order.funds_taken:
        account = DealerAccount.objects.get(dealer_id=order.dealer_id)
        entries = funds_return(
            account_id=account.pk,
            funds=Funds(credit=order.pay_credit, prepaid=order.pay_prepaid, rebate=order.pay_rebate),
            ref=ref,
            actor_id=actor.user_id,
        )
        insert_entries(entries)
        order.funds_taken = False


def _flash_claims(order: Order) -> list[FlashClaim]:
    return [
        FlashClaim(promotion_id=p, sku_id=k, qty_base=Decimal(q), per_dealer_cap=None, total_cap=None)
        for p, k, q in (order.flash_claims or [])
    ]


# --- review ---------------------------------------------------------------------------------------


def order_approve(*, actor: Actor, order_id: int, reason: str = "", override_credit: bool = False) -> Order:
    """Approve an order waiting for review, re-checking stock and credit.

    Lines not fully reserved at placement are reserved now (or the approval fails naming them);
    the credit hold and balance spending happen now and must fit the limit, unless the reviewer
    holds ``orders.override_credit`` and asks to override — recorded as a CreditOverride.
    """
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        if order.status != S.PENDING_REVIEW:
            raise TransitionNotAllowed(status=order.get_status_display(), action=states.ACTION_LABELS[S.APPROVED])
        require(actor, "orders.review")
        if override_credit:
            require(actor, "orders.override_credit")
        _reserve_missing(actor=actor, order=order)
        account = DealerAccount.objects.get(dealer_id=order.dealer_id)
        over = max(ZERO, account.exposure + order.pay_credit - account.credit_limit) if order.pay_credit else ZERO
        if over and override_credit:
            if not reason.strip():
                raise ValidationError(detail={"reason": _("Say why the credit limit is overridden.")})
            CreditOverride.objects.create(
                dealer_id=order.dealer_id, order=order, amount=over, approved_by_id=actor.user_id, reason=reason[:300]
            )
            order.credit_override = True
        entries = funds_take(
            account=account,
            funds=Funds(credit=order.pay_credit, prepaid=order.pay_prepaid, rebate=order.pay_rebate),
            allow_over_limit=override_credit,
            ref=("order", str(order.pk)),
            actor_id=actor.user_id,
        )
        insert_entries(entries)
        order.funds_taken = True
        _transition(
            actor=actor,
            order=order,
            to=S.APPROVED,
            reason=reason,
            data={"credit_override": str(over)} if order.credit_override else {},
        )
    return order


def _reserve_missing(*, actor: Actor, order: Order) -> None:
    lines = list(order.lines.select_related("sku").order_by("line_no"))
    reserved: dict[int, Decimal] = defaultdict(Decimal)
    for a in Allocation.objects.filter(line__order=order):
        reserved[a.line_id] += a.qty_base - a.released_base
    needs = [
        Need(
            index=i,
            sku_id=line.sku_id,
            qty_base=line.qty_base - reserved[line.pk],
            allow_backorder=line.sku.allow_backorder,
        )
        for i, line in enumerate(lines)
        if line.qty_base - reserved[line.pk] > 0
    ]
    if not needs:
        return
    supplier = order.supplier_dealer
    options = [
        stock_services_option(s)
        for s in Stock.objects.filter(
            sku_id__in={n.sku_id for n in needs}, warehouse__is_active=True, warehouse__owner_dealer=supplier
        ).select_related("warehouse")
    ]
    plan = allocation_policy({}).plan(needs=needs, options=options, ship_to_region=order.ship_to_region)
    if plan.short:
        from dinghuo.inventory.errors import OutOfStock

        codes = sorted({lines[i].sku_code for i in plan.short})
        raise OutOfStock(skus="、".join(codes), detail={"skus": codes})
    movements = stock_services.reserve(
        changes=[stock_services.StockChange(o.stock_id, q) for _i, o, q in plan.picks],
        ref=("order", str(order.pk)),
        actor_id=actor.user_id,
        skus={o.stock_id: lines[i].sku_code for i, o, _q in plan.picks},
    )
    StockMovement.objects.bulk_create(stamp_tenant(movements))
    Allocation.objects.bulk_create(
        stamp_tenant(
            [
                Allocation(line=lines[i], stock_id=o.stock_id, warehouse_id_snapshot=o.warehouse_id, qty_base=q)
                for i, o, q in plan.picks
            ]
        )
    )


def stock_services_option(stock: Stock):
    from dinghuo.inventory.allocation import StockOption

    return StockOption(
        stock.pk, stock.sku_id, stock.warehouse_id, stock.warehouse.region_code, stock.available, stock.backorder_ok
    )


def order_reject(*, actor: Actor, order_id: int, reason: str) -> Order:
    if not reason.strip():
        raise ValidationError(detail={"reason": _("Say why the order is rejected.")})
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        if order.status != S.PENDING_REVIEW:
            raise TransitionNotAllowed(status=order.get_status_display(), action=states.ACTION_LABELS[S.REJECTED])
        require(actor, "orders.review")
        _release_everything(actor=actor, order=order)
        _transition(actor=actor, order=order, to=S.REJECTED, reason=reason)
    return order


def order_cancel(*, actor: Actor, order_id: int, reason: str = "") -> Order:
    """Cancel: a dealer before picking, staff any time before the first shipment."""
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        allowed = states.DEALER_CANCELLABLE if actor.is_dealer else states.STAFF_CANCELLABLE
        if order.status not in allowed or order.shipments.exists():
            raise TransitionNotAllowed(status=order.get_status_display(), action=states.ACTION_LABELS[S.CANCELLED])
        issued = InvoiceLine.objects.filter(
            order_line__order=order, active=True, invoice__status__in=[Invoice.Status.ISSUED, Invoice.Status.SENT]
        )
        invoices = sorted(set(issued.values_list("invoice__number", flat=True)))
        if invoices:  # a paid order invoiced before shipping: the invoice goes first, by red letter
            raise OrderInvoiced(number=order.number, invoices="、".join(invoices), detail={"invoices": invoices})
        # (a request not yet issued stays, flagged on finance's invoice page for refusal)
        _release_everything(actor=actor, order=order)
        _transition(actor=actor, order=order, to=S.CANCELLED, reason=reason or _("Cancelled"))
    return order


@dataclass(frozen=True)
class LineEdit:
    line_no: int
    qty: Decimal  # in the line's unit; 0 removes the line


def order_edit_quantities(*, actor: Actor, order_id: int, edits: list[LineEdit], reason: str = "") -> Order:
    """A reviewer changes quantities of an order waiting for review; it is re-priced as of its
    placement time (same price lists and promotions), and its reservations follow."""
    require(actor, "orders.review")
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        if order.status != S.PENDING_REVIEW:
            raise TransitionNotAllowed(status=order.get_status_display(), action=_("edited"))
        old_lines = list(order.lines.filter(is_gift=False).order_by("line_no"))
        by_no = {line.line_no: line for line in old_lines}
        unknown = [e.line_no for e in edits if e.line_no not in by_no]
        if unknown or any(e.qty < 0 for e in edits):
            raise ValidationError(detail={"lines": unknown or [e.line_no for e in edits if e.qty < 0]})
        new_qty = {line.line_no: line.qty for line in old_lines} | {e.line_no: e.qty for e in edits}
        items = [CartItem(sku_id=by_no[n].sku_id, qty=q, unit=by_no[n].unit) for n, q in new_qty.items() if q > 0]
        if not items:
            raise ValidationError(detail={"lines": _("Reject the order instead of removing every line.")})
        before = {str(n): str(by_no[n].qty) for n in by_no}
        _release_everything(actor=actor, order=order)
        priced = price_cart(dealer=order.dealer, items=items, at=order.created_at)
        Allocation.objects.filter(line__order=order).delete()
        order.lines.all().delete()
        lines = [
            OrderLine(
                order=order,
                line_no=i,
                sku_id=p.sku_id,
                sku_code=p.sku_code,
                name=p.name[:240],
                unit=p.unit,
                unit_factor=p.unit_factor,
                qty=p.qty,
                qty_base=p.qty_base,
                unit_price=p.unit_price,
                list_price=p.list_price,
                discount=p.discount,
                amount=p.amount,
                tax_rate=p.tax_rate,
                tax=p.tax,
                is_gift=p.is_gift,
                promotion_id=p.promotion_id,
                explanation=p.explanation,
            )
            for i, p in enumerate(priced.lines, start=1)
        ]
        OrderLine.objects.bulk_create(stamp_tenant(lines))
        if priced.flash_claims:
            from dinghuo.pricing.engine import claim_flash_sales

            claim_flash_sales(dealer_id=order.dealer_id, claims=priced.flash_claims)
        order.flash_claims = [[c.promotion_id, c.sku_id, str(c.qty_base)] for c in priced.flash_claims]
        # keep the payment mix within the new total: prepaid and rebate first, the rest on credit
        prepaid = min(order.pay_prepaid, priced.total)
        rebate = min(order.pay_rebate, priced.total - prepaid)
        order.subtotal, order.discount, order.total, order.tax = (
            priced.subtotal,
            priced.discount,
            priced.total,
            priced.tax,
        )
        order.pay_prepaid, order.pay_rebate, order.pay_credit = prepaid, rebate, priced.total - prepaid - rebate
        order.promotions = priced.promotions
        order.save(
            update_fields=[
                "subtotal",
                "discount",
                "total",
                "tax",
                "pay_prepaid",
                "pay_rebate",
                "pay_credit",
                "promotions",
                "flash_claims",
                "funds_taken",
                "updated_at",
            ]
        )
        _reserve_missing(actor=actor, order=order)
        after = {str(line.line_no): str(line.qty) for line in lines if not line.is_gift}
        OrderEvent.objects.create(
            order=order,
            kind="edited",
            from_status=order.status,
            to_status=order.status,
            actor_id=actor.user_id,
            actor_label=actor.label,
            reason=reason[:500],
            data={"before": before, "after": after, "total": str(order.total)},
        )
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "order.edited",
                    order,
                    before={"qty": before},
                    after={"qty": after, "total": order.total},
                    reason=reason,
                )
            ],
        )
    return order


# --- fulfilment -------------------------------------------------------------------------------------


def order_start_picking(*, actor: Actor, order_id: int) -> Order:
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        _transition(actor=actor, order=order, to=S.PICKING)
    return order


@dataclass(frozen=True)
class ShipItem:
    line_id: int
    qty_base: Decimal


def shipment_create(
    *, actor: Actor, order_id: int, warehouse_id: int, items: list[ShipItem], carrier: str, tracking_no: str
) -> Shipment:
    """Ship some or all of an order's reserved goods from one warehouse (orders may ship in parts).

    Reserved stock becomes a stock-out; the shipped value on credit becomes a receivable due after
    the dealer's payment terms.
    """
    require(actor, "orders.fulfil")
    if not carrier.strip() or not tracking_no.strip():
        raise ShipmentInvalid(
            reason=_("carrier and tracking number are required"),
            detail={"carrier": carrier, "tracking_no": tracking_no},
        )
    if not items or any(i.qty_base <= 0 for i in items):
        raise ShipmentInvalid(reason=_("ship a positive quantity of at least one line"), detail={"items": len(items)})
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        if order.status not in states.SHIPPABLE or not order.funds_taken:
            raise TransitionNotAllowed(status=order.get_status_display(), action=states.ACTION_LABELS[S.SHIPPED])
        warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
        if warehouse is None:
            raise ShipmentInvalid(reason=_("unknown warehouse"), detail={"warehouse_id": warehouse_id})
        lines = {line.pk: line for line in order.lines.all()}
        shipped_value: dict[int, Decimal] = defaultdict(Decimal)
        for line_id, value in ShipmentLine.objects.filter(line__order=order).values_list("line_id", "amount"):
            shipped_value[line_id] += value
        allocations = defaultdict(list)
        for a in Allocation.objects.filter(line__order=order, stock__warehouse=warehouse).order_by("id"):
            allocations[a.line_id].append(a)
        (number,) = next_numbers("shipment")
        shipment = Shipment.objects.create(
            order=order,
            number=number,
            warehouse=warehouse,
            carrier=carrier.strip()[:40],
            tracking_no=tracking_no.strip()[:60],
            created_by_id=actor.user_id,
        )
        ship_lines, changes, touched = [], [], []
        amount = ZERO
        for item in items:
            line = lines.get(item.line_id)
            if line is None:
                raise ShipmentInvalid(
                    reason=_("line %(line)s is not part of this order") % {"line": item.line_id},
                    detail={"line_id": item.line_id},
                )
            want = item.qty_base
            open_here = sum((a.open_base for a in allocations[line.pk]), ZERO)
            if want > open_here:
                raise ShipmentInvalid(
                    reason=_("line %(no)s (%(sku)s) has %(open)s reserved in this warehouse, not %(want)s")
                    % {"no": line.line_no, "sku": line.sku_code, "open": open_here, "want": want},
                    detail={"line_id": line.pk, "reserved": str(open_here)},
                )
            for a in allocations[line.pk]:
                take = min(want, a.open_base)
                if take <= 0:
                    continue
                a.shipped_base += take
                want -= take
                touched.append(a)
                changes.append(stock_services.StockChange(a.stock_id, take))
                line.shipped_base += take
                if line.shipped_base >= line.qty_base:  # the last part of a line takes what is left of its amount
                    value = line.amount - shipped_value[line.pk]
                else:
                    value = _share(line.amount, take, line.qty_base)
                shipped_value[line.pk] += value
                ship_lines.append(ShipmentLine(shipment=shipment, line=line, allocation=a, qty_base=take, amount=value))
                amount += value
        movements = stock_services.ship(changes=changes, ref=("shipment", str(shipment.pk)), actor_id=actor.user_id)
        StockMovement.objects.bulk_create(stamp_tenant(movements))
        Allocation.objects.bulk_update(touched, ["shipped_base"])
        OrderLine.objects.bulk_update(list(lines.values()), ["shipped_base"])
        ShipmentLine.objects.bulk_create(stamp_tenant(ship_lines))
        shipment.amount = amount
        shipment.save(update_fields=["amount"])
        fully = all(line.shipped_base >= line.qty_base for line in lines.values())
        # the credit share of this shipment becomes a receivable (the last shipment takes the rest)
        if order.pay_credit > 0:
            account = DealerAccount.objects.get(dealer_id=order.dealer_id)
            already = cents(Receivable.objects.filter(order=order).aggregate(a=Sum("amount"))["a"])
            left = order.pay_credit - already
            credit_now = left if fully else min(left, quantize(amount * order.pay_credit / order.total))
            insert_entries(
                hold_to_receivable(
                    account=account, order=order, shipment=shipment, amount=credit_now, actor_id=actor.user_id
                )
            )
        to = S.SHIPPED if fully else S.PARTIALLY_SHIPPED
        outbox_add_many(
            [
                outbox_event(
                    topic="shipment.created",
                    aggregate=("order", order.pk),
                    payload={
                        "order_id": order.pk,
                        "number": order.number,
                        "shipment": number,
                        "carrier": shipment.carrier,
                        "tracking_no": shipment.tracking_no,
                        "amount": amount,
                    },
                )
            ]
        )
        _transition(
            actor=actor,
            order=order,
            to=to,
            kind="shipped",
            reason=_("%(carrier)s %(tracking)s") % {"carrier": shipment.carrier, "tracking": shipment.tracking_no},
            data={"shipment": number, "warehouse": warehouse.code, "amount": str(amount)},
        )
    return shipment


def _share(amount: Decimal, qty: Decimal, total_qty: Decimal) -> Decimal:
    return quantize(amount * qty / total_qty) if total_qty else ZERO


def order_mark_delivered(*, actor: Actor, order_id: int, reason: str = "") -> Order:
    """Delivery confirmed, by the warehouse or by the dealer receiving the goods."""
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        if order.status != S.SHIPPED:
            raise TransitionNotAllowed(status=order.get_status_display(), action=states.ACTION_LABELS[S.DELIVERED])
        if actor.is_dealer:
            require(actor, "orders.place")
            staff_actor = Actor(
                tenant_id=actor.tenant_id,
                user_id=actor.user_id,
                role="system",
                kind="system",
                label=actor.label,
                via=actor.via,
            )
        else:
            staff_actor = actor
        order.shipments.filter(delivered_at__isnull=True).update(
            status=Shipment.Status.DELIVERED, delivered_at=timezone.now()
        )
        _transition(actor=staff_actor, order=order, to=S.DELIVERED, reason=reason or _("Delivery confirmed"))
    return order


def order_complete(*, actor: Actor, order_id: int) -> Order:
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        _visible(actor, order)
        _transition(actor=actor, order=order, to=S.COMPLETED)
    return order
