"""/stock: read stock and warehouses; the WMS pushes counts with POST /stock/sync."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from dinghuo.accounts.permissions import require
from dinghuo.api import idempotency, selectors
from dinghuo.api.endpoints.render import stock_out, sync_out, warehouse_out
from dinghuo.api.pagination import paginate
from dinghuo.api.schemas import StockPage, StockSyncIn, StockSyncOut, WarehouseOut
from dinghuo.inventory.services import SyncLine, stock_sync

router = Router(tags=["stock"])


class StockListParams(Schema):
    warehouse: str = Field("", max_length=30, description="A warehouse code")
    sku: str = Field("", max_length=40, description="A SKU code")
    low: bool = Field(False, description="Only rows at or below their safety stock")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(100, ge=1, le=200)


@router.get("", response=StockPage, summary="Stock per SKU and warehouse (base units)")
def stock_list(request: HttpRequest, params: Query[StockListParams]) -> dict:
    qs = selectors.stock(actor=request.actor, warehouse=params.warehouse, sku=params.sku, low=params.low)
    rows, cursor = paginate(qs, cursor=params.cursor, limit=params.limit, fields=("id",), descending=False)
    return {"items": [stock_out(s) for s in rows], "next_cursor": cursor}


@router.get("/warehouses", response=list[WarehouseOut], summary="Warehouses")
def warehouses_list(request: HttpRequest) -> list:
    return [warehouse_out(w) for w in selectors.warehouses(actor=request.actor)]


@router.post(
    "/sync",
    response={200: StockSyncOut},
    summary="Push stock from a WMS",
    description=(
        "`snapshot`: the counted quantity on hand per SKU; `delta`: changes. Applied once per `sync_id`: a retry "
        "with the same id and lines returns the first result, the same id with other lines is 422. A count below "
        "what open orders reserve keeps on hand at the reserved quantity and is listed in `short`."
    ),
)
def stock_sync_push(
    request: HttpRequest,
    payload: StockSyncIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status:
    actor = request.actor
    require(actor, "inventory.manage")

    def work():
        warehouse = selectors.warehouse_by_code(code=payload.warehouse)
        sync = stock_sync(
            actor=actor,
            warehouse=warehouse,
            sync_id=payload.sync_id,
            mode=payload.mode,
            lines=[SyncLine(sku_code=line.sku_code, qty=line.qty) for line in payload.lines],
        )
        return 200, sync_out(sync, warehouse), ("stock_sync", sync.pk)

    return idempotency.run(request, body=payload.model_dump(mode="json"), work=work, given=idempotency_key)
