"""/orders: place (with Idempotency-Key), list with filters and cursor, read, cancel, ship."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status

from dinghuo.api import idempotency, selectors
from dinghuo.api.endpoints.render import order_full, order_summary, shipment_out
from dinghuo.api.errors import LineInvalid
from dinghuo.api.pagination import paginate
from dinghuo.api.schemas import CancelIn, Id, OrderIn, OrderOut, OrderPage, ShipmentIn, ShipmentOut
from dinghuo.core.audit import jsonable
from dinghuo.core.errors import REQUIRED, ValidationError
from dinghuo.core.idempotency import IdempotencyKey
from dinghuo.core.tenancy import Actor
from dinghuo.orders.models import Order
from dinghuo.orders.placement import ShipTo, order_place
from dinghuo.orders.selectors import OrderFilter, order_detail
from dinghuo.orders.services import ShipItem, order_cancel, shipment_create
from dinghuo.pricing.engine import CartItem

router = Router(tags=["orders"])
IDEMPOTENCY_DOC = "Any printable string up to 100 characters, unique per order (e.g. the ERP's order number)"


class OrderListParams(Schema):
    status: str = Field("", max_length=200, description="Comma-separated statuses, e.g. approved,shipped")
    dealer_id: Id | None = None
    channel: str = Field("", max_length=10, description="web, quick, import, api, on_behalf")
    q: str = Field("", max_length=100, description="Order number, dealer code or name, SKU code")
    number: str = Field("", max_length=32, description="Exactly this order number")
    date_from: dt.date | None = Field(None, description="Placed on or after (local date)")
    date_to: dt.date | None = Field(None, description="Placed on or before (local date)")
    updated_since: dt.datetime | None = Field(None, description="Changed at or after: poll statuses with this")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


@router.get(
    "",
    response=OrderPage,
    summary="List orders",
    description="Newest first. A dealer key sees its dealer's orders; staff what their role may see.",
)
def orders_list(request: HttpRequest, params: Query[OrderListParams]) -> dict:
    filters = OrderFilter(
        q=params.q,
        status=params.status,
        dealer_id=params.dealer_id,
        date_from=params.date_from,
        date_to=params.date_to,
        channel=params.channel,
    )
    qs = selectors.orders(
        actor=request.actor, filters=filters, number=params.number, updated_since=_aware(params.updated_since)
    )
    rows, cursor = paginate(qs, cursor=params.cursor, limit=params.limit)
    return {"items": [order_summary(o) for o in rows], "next_cursor": cursor}


@router.post(
    "",
    response={201: OrderOut},
    summary="Place an order",
    description=(
        "Prices, checks (credit, stock, MOQ, regions) and reserves in one transaction, exactly as the portal does. "
        "Send an `Idempotency-Key`: a retry with the same key and body returns the first response (201) and places "
        "nothing; the same key with another body is 422 `idempotency_key_reused`; a retry while the first is still "
        "running is 409 `idempotency_in_progress`. Keys are kept 24 hours. A refused order is 422 `order_blocked` "
        "with every rule's result in `detail.checks`."
    ),
)
def orders_create(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100, description=IDEMPOTENCY_DOC),
) -> Status:
    actor = request.actor
    dealer_id = payload.dealer_id or (actor.dealer_id if actor.is_dealer else None)
    if dealer_id is None:
        raise ValidationError(detail={"dealer_id": REQUIRED})
    ids = selectors.sku_ids_by_code([line.sku_code for line in payload.lines if line.sku_code])
    items = []
    for n, line in enumerate(payload.lines, start=1):
        sku_id = line.sku_id or ids.get(line.sku_code or "")
        if sku_id is None:
            raise LineInvalid(line=n, reason=_("no SKU has this code"), detail={"line": n, "sku_code": line.sku_code})
        items.append(CartItem(sku_id=sku_id, qty=line.qty, unit=line.unit))
    ship_to = ShipTo(**payload.ship_to.model_dump()) if payload.ship_to else None
    key = idempotency.key_for(request, payload.model_dump(mode="json"), idempotency_key)
    try:
        return _place(actor, dealer_id, items, ship_to, payload, key)
    except IntegrityError:
        if not idempotency.recorded(key):
            raise
        # A twin with this key committed in the instant after our check: replay its order.
        return _place(actor, dealer_id, items, ship_to, payload, key)


def _place(
    actor: Actor,
    dealer_id: int,
    items: list[CartItem],
    ship_to: ShipTo | None,
    payload: OrderIn,
    key: IdempotencyKey | None,
) -> Status:
    with transaction.atomic():
        placed = order_place(
            actor=actor,
            dealer_id=dealer_id,
            items=items,
            address_id=payload.address_id,
            ship_to=ship_to,
            pay_prepaid=Decimal(payload.pay_prepaid),
            pay_rebate=Decimal(payload.pay_rebate),
            note=payload.note,
            requested_date=payload.requested_date,
            channel=Order.Channel.API,
            from_parent=payload.from_parent,
            idempotency=key,
            render=order_full,  # the body comes from memory and is stored with the idempotency record
        )
        if placed.created:
            return Status(201, jsonable(placed.body))
        stored = None if key is None else idempotency.stored(key)
        if stored is not None and isinstance(stored[1], dict) and "lines" in stored[1]:
            return Status(stored[0], stored[1])
        body = order_full(selectors.order_as_created(pk=placed.order.pk))
        if key is not None:
            idempotency.store_body(key, body)
    return Status(201, jsonable(body))


@router.get("/{order_id}", response=OrderOut, summary="Get an order with lines, timeline and shipment ids")
def orders_get(request: HttpRequest, order_id: Id) -> dict:
    return order_full(order_detail(actor=request.actor, pk=order_id))


@router.post(
    "/{order_id}/cancel",
    response={200: OrderOut},
    summary="Cancel an order",
    description="A dealer may cancel before picking; staff before the first shipment (409 otherwise).",
)
def orders_cancel(
    request: HttpRequest,
    order_id: Id,
    payload: CancelIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status:
    def work():
        order = order_cancel(actor=request.actor, order_id=order_id, reason=payload.reason)
        return 200, order_full(selectors.order_as_created(pk=order.pk)), ("order", order.pk)

    return idempotency.run(request, body=payload.model_dump(mode="json"), work=work, given=idempotency_key)


@router.post(
    "/{order_id}/shipments",
    response={201: ShipmentOut},
    summary="Ship goods of an order",
    description=(
        "Ships the given quantities (base units) of order lines from one warehouse; orders may ship in parts. "
        "Accepts an `Idempotency-Key` like order placement."
    ),
)
def orders_ship(
    request: HttpRequest,
    order_id: Id,
    payload: ShipmentIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status:
    actor = request.actor

    def work():
        line_ids = selectors.order_line_ids(actor=actor, order_id=order_id)
        unknown = [line.line_no for line in payload.lines if line.line_no not in line_ids]
        if unknown:
            raise LineInvalid(line=unknown[0], reason=_("not a line of this order"), detail={"line_no": unknown})
        warehouse = selectors.warehouse_for_shipment(warehouse_id=payload.warehouse_id, code=payload.warehouse_code)
        shipment = shipment_create(
            actor=actor,
            order_id=order_id,
            warehouse_id=warehouse.pk,
            items=[ShipItem(line_id=line_ids[line.line_no], qty_base=line.qty_base) for line in payload.lines],
            carrier=payload.carrier,
            tracking_no=payload.tracking_no,
        )
        return 201, shipment_out(selectors.shipment_as_created(pk=shipment.pk)), ("shipment", shipment.pk)

    return idempotency.run(request, body=payload.model_dump(mode="json"), work=work, given=idempotency_key)
