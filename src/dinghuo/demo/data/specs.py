"""What the demo catalog step creates, as plain specs the writer (``demo/catalog.py``) turns into rows.

Money helpers for list prices live here too: Decimal only, rounded half up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dinghuo.demo.images import Picture

ONE = Decimal(1)
HUNDRED = Decimal(100)


def round_to(value: Decimal, step: str) -> Decimal:
    """Round to a multiple of ``step`` (0.05, 0.10 …), half up, never below one step; two places."""
    s = Decimal(step)
    return max(s, (value / s).quantize(ONE, rounding=ROUND_HALF_UP) * s).quantize(Decimal("0.01"))


def jitter(rng: random.Random, spread: int = 3) -> Decimal:
    """A factor of 1 ± ``spread`` %, as a Decimal (never a float)."""
    return Decimal(100 + rng.randint(-spread, spread)) / HUNDRED


@dataclass
class SkuSpec:
    code: str
    name: str
    base_unit: str
    list_price: Decimal
    packs: list[tuple[str, int, bool]]  # (unit, base units per unit, is the default order unit)
    spec: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # attribute code → value, for this SKU only
    vat_rate: Decimal = Decimal("0.13")
    moq: int = 1
    multiple: int = 1
    weight_kg: Decimal | None = None
    is_active: bool = True


@dataclass
class ProductSpec:
    code: str
    name: str
    category: str
    brand: str
    picture: Picture
    skus: list[SkuSpec]
    subtitle: str = ""
    description: str = ""
    status: str = "on_sale"  # Product.Status
    shelf_life_days: int | None = None
    expiry_sensitive: bool = False
    sale_regions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # attribute code → value, for every SKU
