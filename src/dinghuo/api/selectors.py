"""Reads the API needs beyond the apps' own selectors: shipments, stock, warehouses, accounts.

Each applies the same permission and data scope as the pages (``require`` + ``scope_dealers``),
so another tenant's or another dealer's id is simply not found.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Prefetch, QuerySet

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.api.errors import AccountNotFound, ShipmentNotFound
from dinghuo.catalog.models import Sku
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer
from dinghuo.finance.models import DealerAccount, LedgerEntry
from dinghuo.inventory.errors import WarehouseNotFound
from dinghuo.inventory.models import Stock, Warehouse
from dinghuo.orders.errors import OrderNotFound
from dinghuo.orders.models import Order, OrderEvent, OrderLine, Shipment, ShipmentLine
from dinghuo.orders.selectors import OrderFilter, order_list, visible_orders


def orders(
    *, actor: Actor, filters: OrderFilter, number: str = "", updated_since: dt.datetime | None = None
) -> QuerySet[Order]:
    qs = order_list(actor=actor, filters=filters)
    if number:
        qs = qs.filter(number=number)
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


def order_as_created(*, pk: int) -> Order:
    """The order just written by this request (its permission was checked by the service)."""
    return (
        Order.objects.select_related("dealer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
            Prefetch("shipments", queryset=Shipment.objects.order_by("id").only("id", "order_id")),
        )
        .get(pk=pk)
    )


def order_line_ids(*, actor: Actor, order_id: int) -> dict[int, int]:
    """{line number: line id} of an order the actor may ship (another tenant's or dealer's: not found)."""
    require(actor, "orders.fulfil")
    order = scope_dealers(actor, Order.objects.filter(pk=order_id), "dealer").only("pk").first()
    if order is None:
        raise OrderNotFound()
    return dict(OrderLine.objects.filter(order=order).values_list("line_no", "pk"))


def sku_ids_by_code(codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(Sku.objects.filter(code__in=set(codes)).values_list("code", "pk"))


# --- shipments ------------------------------------------------------------------------------------


def _shipments(actor: Actor) -> QuerySet[Shipment]:
    return (
        Shipment.objects.filter(order__in=visible_orders(actor).values("pk"))
        .select_related("order", "warehouse")
        .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("line").order_by("id")))
    )


def shipments(*, actor: Actor, order_id: int | None = None, since: dt.datetime | None = None) -> QuerySet[Shipment]:
    qs = _shipments(actor)
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    if since is not None:
        qs = qs.filter(shipped_at__gte=since)
    return qs


def shipment_as_created(*, pk: int) -> Shipment:
    """The shipment just written by this request (its permission was checked by the service)."""
    return (
        Shipment.objects.select_related("order", "warehouse")
        .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("line").order_by("id")))
        .get(pk=pk)
    )


def shipment_get(*, actor: Actor, pk: int) -> Shipment:
    shipment = _shipments(actor).filter(pk=pk).first()
    if shipment is None:
        raise ShipmentNotFound()
    return shipment


# --- stock ----------------------------------------------------------------------------------------


def stock(*, actor: Actor, warehouse: str = "", sku: str = "", low: bool = False) -> QuerySet[Stock]:
    require(actor, "inventory.view")
    qs = Stock.objects.select_related("warehouse", "sku")
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if sku:
        qs = qs.filter(sku__code=sku)
    if low:
        qs = qs.filter(safety_stock__gt=0, on_hand__lte=F("reserved") + F("safety_stock"))
    return qs


def warehouses(*, actor: Actor) -> QuerySet[Warehouse]:
    require(actor, "inventory.view")
    return Warehouse.objects.order_by("code")


def warehouse_by_code(*, code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise WarehouseNotFound(detail={"warehouse": code})
    return warehouse


def warehouse_for_shipment(*, warehouse_id: int | None, code: str | None) -> Warehouse:
    qs = Warehouse.objects.filter(pk=warehouse_id) if warehouse_id is not None else Warehouse.objects.filter(code=code)
    warehouse = qs.first()
    if warehouse is None:
        raise WarehouseNotFound(detail={"warehouse": warehouse_id or code})
    return warehouse


# --- finance --------------------------------------------------------------------------------------


def _accounts(actor: Actor) -> QuerySet[DealerAccount]:
    require(actor, "finance.view")
    dealers = scope_dealers(actor, Dealer.objects.all())
    return DealerAccount.objects.filter(dealer__in=dealers.values("pk")).select_related("dealer")


def accounts(*, actor: Actor) -> QuerySet[DealerAccount]:
    return _accounts(actor)


def account_get(*, actor: Actor, dealer_id: int) -> DealerAccount:
    account = _accounts(actor).filter(dealer_id=dealer_id).first()
    if account is None:
        raise AccountNotFound()
    return account


def ledger_entries(*, actor: Actor, dealer_id: int, bucket: str = "") -> QuerySet[LedgerEntry]:
    account = account_get(actor=actor, dealer_id=dealer_id)
    qs = LedgerEntry.objects.filter(account=account)
    if bucket:
        qs = qs.filter(bucket=bucket)
    return qs
