"""/shipments: list (with filters and cursor) and read."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from dinghuo.api import selectors
from dinghuo.api.endpoints.orders import _aware
from dinghuo.api.endpoints.render import shipment_out
from dinghuo.api.pagination import paginate
from dinghuo.api.schemas import Id, ShipmentOut, ShipmentPage

router = Router(tags=["shipments"])


class ShipmentListParams(Schema):
    order_id: Id | None = None
    since: dt.datetime | None = Field(None, description="Shipped at or after")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


@router.get("", response=ShipmentPage, summary="List shipments", description="Newest first; create them on an order.")
def shipments_list(request: HttpRequest, params: Query[ShipmentListParams]) -> dict:
    qs = selectors.shipments(actor=request.actor, order_id=params.order_id, since=_aware(params.since))
    rows, cursor = paginate(qs, cursor=params.cursor, limit=params.limit, fields=("shipped_at", "id"))
    return {"items": [shipment_out(s) for s in rows], "next_cursor": cursor}


@router.get("/{shipment_id}", response=ShipmentOut, summary="Get a shipment")
def shipments_get(request: HttpRequest, shipment_id: Id) -> dict:
    return shipment_out(selectors.shipment_get(actor=request.actor, pk=shipment_id))
