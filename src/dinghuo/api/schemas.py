"""Request and response bodies of the REST API (orders, shipments, stock, dealers, finance, webhooks).

Request bodies refuse unknown fields (``extra="forbid"``): a client sending ``tenant_id``,
``status``, ``price`` or ``credit_limit`` gets 422 naming the field, never a silent write. Money
and quantities travel as decimal strings ("12.50"), never as JSON floats.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema, model_validator

from dinghuo.pricing.engine import MAX_LINES


def _not_float(value: Any) -> Any:
    if isinstance(value, bool | float):
        raise ValueError('send amounts and quantities as strings, e.g. "12.50"')
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_not_float),
    Field(ge=0, max_digits=16, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,14}(\.\d{1,2})?$", "examples": ["100.00"]}),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_not_float),
    Field(gt=0, max_digits=14, decimal_places=3),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,11}(\.\d{1,3})?$", "examples": ["24"]}),
]
SignedQuantity = Annotated[
    Decimal,
    BeforeValidator(_not_float),
    Field(max_digits=14, decimal_places=3),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,11}(\.\d{1,3})?$", "examples": ["120", "-6"]}),
]
# Output only: a decimal rendered as a string.
Dec = Annotated[Decimal, WithJsonSchema({"type": "string", "examples": ["12.50"]})]
Id = Annotated[int, Field(gt=0, lt=2**63)]


class In(BaseModel):
    """Every request body: unknown fields are an error. A plain pydantic model, not ninja's Schema:
    a body is JSON, never an ORM object, so it needs none of Schema's attribute-reading wrapper, which
    cost a 10-line order about a millisecond of validation."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str = Field(..., description="A stable code, e.g. order_blocked, idempotency_key_reused")
    message: str = Field(..., description="Human-readable, in the request's language (zh-hans or en)")
    detail: Any = Field(None, description="Which field, line or rule is at fault")


# --- orders ---------------------------------------------------------------------------------------


class OrderLineIn(In):
    sku_id: Id | None = Field(None, description="The SKU's id; or give sku_code")
    sku_code: str | None = Field(None, min_length=1, max_length=40, description="The SKU's code (规格编码)")
    qty: Quantity = Field(..., description='Quantity in `unit`, a decimal string, e.g. "2"')
    unit: str | None = Field(None, max_length=10, description="Unit name (箱, 瓶 …); omitted: the default order unit")

    @model_validator(mode="after")
    def _one_sku(self) -> OrderLineIn:
        if (self.sku_id is None) == (self.sku_code is None):
            raise ValueError("give exactly one of sku_id and sku_code")
        return self


class ShipToIn(In):
    name: str = Field(..., min_length=1, max_length=60)
    phone: str = Field(..., min_length=1, max_length=30)
    region_code: str = Field(..., pattern=r"^\d{6}$", description="Province, city or district code (GB/T 2260)")
    address: str = Field(..., min_length=1, max_length=240)


class OrderIn(In):
    dealer_id: Id | None = Field(None, description="Required for staff keys; a dealer key orders for its own dealer")
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=MAX_LINES)
    address_id: Id | None = Field(None, description="One of the dealer's ship-to addresses (default: its default)")
    ship_to: ShipToIn | None = Field(None, description="A one-off ship-to instead of a saved address")
    pay_prepaid: Money = Field(Decimal("0"), description="Part paid from the prepaid balance")
    pay_rebate: Money = Field(Decimal("0"), description="Part paid from the rebate balance")
    note: str = Field("", max_length=500)
    requested_date: dt.date | None = None
    from_parent: bool = Field(False, description="Buy from the parent dealer's warehouses instead of the brand")


class Out(BaseModel):
    """A response the endpoint builds as a dict (api/endpoints/render.py): validated as plain pydantic,
    without ninja Schema's attribute-reading wrapper around every nested object (the hot order path)."""


class DealerRef(Out):
    id: int
    code: str
    name: str


class ShipToOut(Out):
    name: str
    phone: str
    region_code: str
    address: str


class OrderLineOut(Out):
    id: int
    line_no: int
    sku_id: int
    sku_code: str
    name: str
    unit: str
    unit_factor: Dec
    qty: Dec
    qty_base: Dec
    unit_price: Dec
    list_price: Dec
    discount: Dec
    amount: Dec
    tax_rate: Dec
    tax: Dec
    is_gift: bool
    promotion_id: int | None
    shipped_base: Dec
    backordered_base: Dec
    explanation: dict


class OrderEventOut(Out):
    kind: str
    from_status: str
    to_status: str
    actor: str
    reason: str
    at: dt.datetime


class OrderSummaryOut(Out):
    id: int
    number: str
    dealer: DealerRef
    supplier_dealer_id: int | None
    status: str
    status_label: str
    channel: str
    on_behalf: bool
    subtotal: Dec
    discount: Dec
    total: Dec
    tax: Dec
    pay_credit: Dec
    pay_prepaid: Dec
    pay_rebate: Dec
    created_at: dt.datetime
    updated_at: dt.datetime


class OrderOut(OrderSummaryOut):
    ship_to: ShipToOut
    requested_date: dt.date | None
    note: str
    checks: list[dict]
    promotions: list[dict]
    lines: list[OrderLineOut]
    events: list[OrderEventOut]
    shipment_ids: list[int]


class OrderPage(Out):
    items: list[OrderSummaryOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page; null on the last")


class CancelIn(In):
    reason: str = Field("", max_length=500)


# --- shipments ------------------------------------------------------------------------------------


class ShipLineIn(In):
    line_no: int = Field(..., ge=1, lt=100_000, description="The order line's number")
    qty_base: Quantity = Field(..., description="Quantity in the SKU's base unit")


class ShipmentIn(In):
    warehouse_id: Id | None = Field(None, description="Ship from this warehouse; or give warehouse_code")
    warehouse_code: str | None = Field(None, min_length=1, max_length=30)
    carrier: str = Field(..., min_length=1, max_length=40)
    tracking_no: str = Field(..., min_length=1, max_length=60)
    lines: list[ShipLineIn] = Field(..., min_length=1, max_length=MAX_LINES)

    @model_validator(mode="after")
    def _one_warehouse(self) -> ShipmentIn:
        if (self.warehouse_id is None) == (self.warehouse_code is None):
            raise ValueError("give exactly one of warehouse_id and warehouse_code")
        return self


class WarehouseRef(Schema):
    id: int
    code: str
    name: str


class ShipmentLineOut(Schema):
    line_no: int
    sku_code: str
    qty_base: Dec
    amount: Dec


class ShipmentOut(Schema):
    id: int
    number: str
    order_id: int
    order_number: str
    warehouse: WarehouseRef
    carrier: str
    tracking_no: str
    status: str
    amount: Dec
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    lines: list[ShipmentLineOut]


class ShipmentPage(Schema):
    items: list[ShipmentOut]
    next_cursor: str | None = None


# --- stock ----------------------------------------------------------------------------------------


class SkuRef(Schema):
    id: int
    code: str
    name: str


class StockLevelOut(Schema):
    id: int
    warehouse: WarehouseRef
    sku: SkuRef
    on_hand: Dec
    reserved: Dec
    available: Dec
    safety_stock: Dec
    backorder_ok: bool
    updated_at: dt.datetime


class StockPage(Schema):
    items: list[StockLevelOut]
    next_cursor: str | None = None


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    region_code: str
    owner_dealer_id: int | None
    is_active: bool


class SyncLineIn(In):
    sku_code: str = Field(..., min_length=1, max_length=40)
    qty: SignedQuantity = Field(..., description="snapshot: the count on hand; delta: the change (may be negative)")


class StockSyncIn(In):
    warehouse: str = Field(..., min_length=1, max_length=30, description="The warehouse's code")
    sync_id: str = Field(..., min_length=1, max_length=80, description="The WMS's id of this push; applied once")
    mode: str = Field("snapshot", pattern="^(snapshot|delta)$")
    lines: list[SyncLineIn] = Field(..., min_length=1, max_length=5000)


class StockSyncOut(Schema):
    sync_id: str
    mode: str
    warehouse: str
    lines: int
    changed: int
    short: list[dict] = Field(
        ..., description="Counts below what orders reserve: on hand was kept at the reserved quantity"
    )
    received_at: dt.datetime


# --- dealers --------------------------------------------------------------------------------------


class DealerOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    status: str
    tier: str
    tier_code: str
    price_group: str | None
    region_code: str
    region_name: str
    parent_id: int | None
    sales_rep: str | None
    contact_name: str
    contact_phone: str
    created_at: dt.datetime
    updated_at: dt.datetime


class DealerPage(Schema):
    items: list[DealerOut]
    next_cursor: str | None = None


# --- finance --------------------------------------------------------------------------------------


class AccountOut(Schema):
    dealer: DealerRef
    credit_limit: Dec
    terms_days: int
    credit_hold: Dec
    receivable: Dec
    exposure: Dec
    available_credit: Dec
    prepaid: Dec
    rebate: Dec
    oldest_due_date: dt.date | None
    overdue: bool
    updated_at: dt.datetime


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None = None


class LedgerEntryOut(Schema):
    id: int
    bucket: str
    kind: str
    amount: Dec
    ref_type: str
    ref_id: str
    memo: str
    created_at: dt.datetime


class LedgerPage(Schema):
    items: list[LedgerEntryOut]
    next_cursor: str | None = None


# --- webhooks -------------------------------------------------------------------------------------


class WebhookIn(In):
    url: str = Field(..., min_length=8, max_length=500, description="http(s) URL receiving POSTs")
    events: list[str] = Field(..., min_length=1, max_length=50, description='Event types, or ["*"] for all')
    description: str = Field("", max_length=200)
    is_active: bool = True


class WebhookPatch(In):
    url: str | None = Field(None, min_length=8, max_length=500)
    events: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    rotating_until: dt.datetime | None = Field(None, description="The previous secret also signs until then")
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookWithSecretOut(WebhookOut):
    secret: str = Field(..., description="Shown once: keep it to verify the Dinghuo-Signature header")


class WebhookPage(Schema):
    items: list[WebhookOut]
    next_cursor: str | None = None


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int
    event: str
    aggregate: str
    manual: bool
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    response_code: int | None
    response_ms: int | None
    error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class EventTypeOut(Schema):
    type: str
    description: str
