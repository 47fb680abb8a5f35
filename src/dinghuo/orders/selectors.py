"""Reads of orders shared by pages and the API: lists with filters, details, the review queue.

A dealer user sees its own dealer's orders and, as a parent dealer, the orders its sub-dealers
placed with it (``supplier_dealer``); a sales rep sees its dealers' orders; other staff the tenant's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.core.tenancy import Actor
from dinghuo.orders.errors import OrderNotFound
from dinghuo.orders.models import Allocation, Order, OrderEvent, OrderLine, Shipment, ShipmentLine


def visible_orders(actor: Actor) -> QuerySet[Order]:
    require(actor, "orders.view")
    qs = Order.objects.all()
    if actor.is_dealer:
        return qs.filter(Q(dealer_id=actor.dealer_id) | Q(supplier_dealer_id=actor.dealer_id))
    return scope_dealers(actor, qs, "dealer")


@dataclass(frozen=True)
class OrderFilter:
    q: str = ""  # order number, dealer code or name, SKU code
    status: str = ""
    dealer_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""


def order_list(*, actor: Actor, filters: OrderFilter | None = None) -> QuerySet[Order]:
    f = filters or OrderFilter()
    qs = visible_orders(actor).select_related("dealer", "dealer__tier", "placed_by")
    if f.status:
        statuses = [s for s in f.status.split(",") if s in Order.Status.values]
        qs = qs.filter(status__in=statuses)
    if f.dealer_id:
        qs = qs.filter(dealer_id=f.dealer_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    if f.q:
        term = f.q.strip()
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(dealer__code__iexact=term)
            | Q(dealer__name__icontains=term)
            | Q(pk__in=OrderLine.objects.filter(sku_code__iexact=term).values("order_id"))
        )
    return qs.order_by("-created_at", "-id")


def order_detail(*, actor: Actor, pk: int | str) -> Order:
    """One order with lines, allocations, shipments (with lines) and the timeline, in five queries."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise OrderNotFound()
    order = (
        visible_orders(actor)
        .select_related("dealer", "dealer__tier", "placed_by", "supplier_dealer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by("line_no").prefetch_related(
                    Prefetch("allocations", queryset=Allocation.objects.order_by("id"))
                ),
            ),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("warehouse").prefetch_related(
                    Prefetch("lines", queryset=ShipmentLine.objects.select_related("line"))
                ),
            ),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
        )
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise OrderNotFound()
    return order


def order_by_number(*, actor: Actor, number: str) -> Order:
    order = visible_orders(actor).filter(number=number).only("pk").first()
    if order is None:
        raise OrderNotFound()
    return order_detail(actor=actor, pk=order.pk)


def review_queue(*, actor: Actor) -> QuerySet[Order]:
    require(actor, "orders.review")
    return (
        visible_orders(actor)
        .filter(status=Order.Status.PENDING_REVIEW)
        .select_related("dealer", "dealer__tier", "dealer__account")
        .order_by("created_at", "id")
    )


def frequently_bought(*, actor: Actor, dealer_id: int, limit: int = 12) -> list[dict]:
    """The dealer's most ordered SKUs over the last 180 days (for one-tap reorder)."""
    from django.db.models import Count, Sum
    from django.utils import timezone

    since = timezone.now() - dt.timedelta(days=180)
    return list(
        OrderLine.objects.filter(order__dealer_id=dealer_id, order__created_at__gte=since, is_gift=False)
        .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.REJECTED])
        .values("sku_id", "sku_code", "name", "unit")
        .annotate(times=Count("order_id", distinct=True), qty=Sum("qty"))
        .order_by("-times", "-qty")[:limit]
    )
