"""Request and response bodies of the pricing API. Amounts and quantities are decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from dinghuo.pricing.engine import MAX_LINES


class QuoteLineIn(Schema):
    sku_id: int = Field(..., gt=0, lt=2**63, description="SKU id")
    qty: Decimal = Field(..., description='Quantity in `unit`, e.g. "2" or "1.5"')
    unit: str | None = Field(None, max_length=10, description="Unit name (箱, 瓶 …); omitted: the default order unit")


class QuoteIn(Schema):
    lines: list[QuoteLineIn] = Field(..., max_length=MAX_LINES)
    at: dt.datetime | None = Field(None, description="Price at this time (staff only; dealers always get now)")


class QuoteLineOut(Schema):
    sku_id: int
    sku_code: str
    name: str
    unit: str
    unit_factor: Decimal
    qty: Decimal
    qty_base: Decimal
    unit_price: Decimal
    list_price: Decimal
    discount: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax: Decimal
    is_gift: bool
    promotion_id: int | None
    explanation: dict


class FlashClaimOut(Schema):
    promotion_id: int
    sku_id: int
    qty_base: Decimal


class QuoteOut(Schema):
    dealer_id: int
    at: dt.datetime
    lines: list[QuoteLineOut]
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    tax: Decimal
    promotions: list[dict]
    flash: list[FlashClaimOut]
