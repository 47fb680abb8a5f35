"""Row locks and guarded multi-row updates of stock. Every stock lock is taken here, in primary-key order.

Reservation, release and shipment change many stock rows in ONE statement whatever the number of
lines: a guarded ``UPDATE … WHERE <enough available>`` whose ``RETURNING`` tells which rows took
the change. On PostgreSQL the rows are first locked by a ``SELECT … ORDER BY id FOR UPDATE`` in
the same statement, so two orders touching the same SKUs always lock them in the same order and
cannot deadlock. (SQLite serialises writers, so it needs no row locks.)
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.utils import timezone

from dinghuo.inventory.models import Stock

TABLE = Stock._meta.db_table


def _case(column: str, deltas: dict[int, Decimal], params: list) -> str:
    parts = []
    for stock_id, qty in deltas.items():
        parts.append("WHEN %s THEN CAST(%s AS NUMERIC)")
        params += [stock_id, str(qty)]
    return f"CASE {column} {' '.join(parts)} END"


def guarded_stock_update(
    *, tenant_id: int, deltas: dict[int, Decimal], on_hand_sign: int, reserved_sign: int, guard: str
) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """Apply ``on_hand += sign·q`` and ``reserved += sign·q`` to the rows whose guard holds.

    ``guard`` is one of "available" (on_hand − reserved ≥ q, or backorders allowed), "reserved"
    (reserved ≥ q) or "none". Returns {stock id: (on_hand, reserved, safety_stock)} for the rows
    changed; a row missing from the result failed its guard and was not changed.
    """
    if not deltas:
        return {}
    deltas = dict(sorted(deltas.items()))
    if connection.vendor == "postgresql":
        return _guarded_update_pg(tenant_id, deltas, on_hand_sign, reserved_sign, guard)
    params: list = []
    sets = []
    if on_hand_sign:
        sets.append(f"on_hand = on_hand {'+' if on_hand_sign > 0 else '-'} {_case('id', deltas, params)}")
    if reserved_sign:
        sets.append(f"reserved = reserved {'+' if reserved_sign > 0 else '-'} {_case('id', deltas, params)}")
    sets.append("updated_at = %s")
    params.append(timezone.now())
    guard_params: list = []
    if guard == "available":
        guard_sql = f"AND (backorder_ok OR on_hand - reserved >= {_case('id', deltas, guard_params)})"
    elif guard == "reserved":
        guard_sql = f"AND reserved >= {_case('id', deltas, guard_params)}"
    else:
        guard_sql = ""
    ids = list(deltas)
    sql = (
        f"UPDATE {TABLE} SET {', '.join(sets)} WHERE tenant_id = %s AND id IN ({', '.join(['%s'] * len(ids))}) "
        f"{guard_sql} RETURNING id, on_hand, reserved, safety_stock"
    )
    all_params = [*params, tenant_id, *ids, *guard_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        rows = cursor.fetchall()
    return {row[0]: (_dec(row[1]), _dec(row[2]), _dec(row[3])) for row in rows}


def _guarded_update_pg(
    tenant_id: int, deltas: dict[int, Decimal], on_hand_sign: int, reserved_sign: int, guard: str
) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """PostgreSQL: the changes travel as two array parameters, so the statement's text and its
    parameter count stay the same whatever the number of rows."""
    sets = [
        f"{column} = s.{column} {'+' if sign > 0 else '-'} d.q"
        for column, sign in (("on_hand", on_hand_sign), ("reserved", reserved_sign))
        if sign
    ]
    sets.append("updated_at = %s")
    guard_sql = {
        "available": "AND (s.backorder_ok OR s.on_hand - s.reserved >= d.q)",
        "reserved": "AND s.reserved >= d.q",
    }.get(guard, "")
    sql = (
        "WITH d AS (SELECT * FROM unnest(%s::bigint[], %s::numeric[]) AS d(id, q)), "
        f"locked AS (SELECT id FROM {TABLE} WHERE tenant_id = %s AND id IN (SELECT id FROM d) ORDER BY id FOR UPDATE) "
        f"UPDATE {TABLE} AS s SET {', '.join(sets)} FROM locked JOIN d ON d.id = locked.id "
        f"WHERE s.id = locked.id {guard_sql} RETURNING s.id, s.on_hand, s.reserved, s.safety_stock"
    )
    ids = "{" + ",".join(str(int(i)) for i in deltas) + "}"
    qtys = "{" + ",".join(str(q) for q in deltas.values()) + "}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, qtys, tenant_id, timezone.now()])
        rows = cursor.fetchall()
    return {row[0]: (_dec(row[1]), _dec(row[2]), _dec(row[3])) for row in rows}


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def lock_stocks(*, ids: list[int]) -> list[Stock]:
    """Lock stock rows in primary-key order (adjustments, WMS sync)."""
    return list(Stock.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
