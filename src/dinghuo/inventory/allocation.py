"""Which warehouse ships which line: a policy object a tenant can swap.

``NearestWarehouse`` (the default): the nearest warehouse (great-circle distance from its region
to the ship-to region) that can ship the whole order; else each line from the nearest
warehouses that have it, split across them; else, where the SKU allows backorders, the remainder
is reserved in the nearest warehouse stocking the SKU (reserved may then exceed on hand).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal

from dinghuo.core import regions


@dataclass(frozen=True)
class StockOption:
    stock_id: int
    sku_id: int
    warehouse_id: int
    warehouse_region: str
    available: Decimal
    backorder_ok: bool


@dataclass(frozen=True)
class Need:
    index: int  # position of the order line
    sku_id: int
    qty_base: Decimal
    allow_backorder: bool


@dataclass
class Plan:
    # (line index, stock option, base quantity)
    picks: list[tuple[int, StockOption, Decimal]] = field(default_factory=list)
    backordered: dict[int, Decimal] = field(default_factory=dict)  # line index → base qty reserved beyond on hand
    short: dict[int, Decimal] = field(default_factory=dict)  # line index → base qty that cannot be reserved
    warehouses: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.short


class NearestWarehouse:
    def plan(self, *, needs: list[Need], options: list[StockOption], ship_to_region: str) -> Plan:
        distance = _distances({o.warehouse_region for o in options}, ship_to_region)
        by_wh: dict[int, dict[int, StockOption]] = {}
        for o in options:
            by_wh.setdefault(o.warehouse_id, {})[o.sku_id] = o
        order = sorted(by_wh, key=lambda w: (distance.get(next(iter(by_wh[w].values())).warehouse_region, 1e9), w))
        totals: dict[int, Decimal] = {}
        for n in needs:
            totals[n.sku_id] = totals.get(n.sku_id, Decimal(0)) + n.qty_base
        # 1. one warehouse for the whole order
        for wh in order:
            stock = by_wh[wh]
            if all(sku in stock and stock[sku].available >= qty for sku, qty in totals.items()):
                return Plan(picks=[(n.index, stock[n.sku_id], n.qty_base) for n in needs], warehouses=[wh])
        # 2. split across warehouses, nearest first, line by line
        left = {o.stock_id: o.available for o in options}
        plan = Plan()
        for n in needs:
            want = n.qty_base
            for wh in order:
                o = by_wh[wh].get(n.sku_id)
                if o is None or want <= 0:
                    continue
                take = min(want, max(left[o.stock_id], Decimal(0)))
                if take > 0:
                    plan.picks.append((n.index, o, take))
                    left[o.stock_id] -= take
                    want -= take
            if want > 0:
                # 3. backorder the rest in the nearest warehouse stocking it, where allowed
                nearest = next((by_wh[wh][n.sku_id] for wh in order if n.sku_id in by_wh[wh]), None)
                if n.allow_backorder and nearest is not None and nearest.backorder_ok:
                    plan.picks.append((n.index, nearest, want))
                    plan.backordered[n.index] = want
                else:
                    plan.short[n.index] = want
        plan.warehouses = sorted({o.warehouse_id for _i, o, _q in plan.picks})
        return plan


def _distances(region_codes: set[str], ship_to: str) -> dict[str, float]:
    out = {}
    target = ship_to if regions.get(ship_to) else None
    for code in region_codes:
        out[code] = regions.distance_km(code, target) if target and regions.get(code) else 1e6
    return out


def allocation_policy(tenant_settings: dict | None):
    path = (tenant_settings or {}).get("allocation_policy")
    if not path:
        return NearestWarehouse()
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()
