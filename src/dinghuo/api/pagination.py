"""Cursor pagination: opaque, stable under inserts, one query per page.

A cursor is the URL-safe base64 of the JSON list of the last row's ordering values (for example
``["2026-03-01T08:00:00+00:00", 4182]`` for ``(created_at, id)``). The next page is the rows
strictly after it in that order (a keyset condition, so no OFFSET and no row is skipped or repeated
when rows are added meanwhile). A cursor that does not decode is ``cursor_invalid`` (400).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from dinghuo.api.errors import CursorInvalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, model: type[models.Model], fields: tuple[str, ...]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise CursorInvalid(detail={"cursor": cursor[:200]})
    if not isinstance(values, list) or len(values) != len(fields):
        raise CursorInvalid(detail={"cursor": cursor[:200]})
    out = []
    for name, value in zip(fields, values, strict=True):
        field = model._meta.get_field(name)
        try:
            if isinstance(field, models.DateTimeField):
                parsed = dt.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError("naive")
                out.append(parsed)
            elif isinstance(field, models.IntegerField | models.AutoField | models.BigAutoField):
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
                    raise ValueError("id")
                out.append(value)
            else:
                if not isinstance(value, str):
                    raise ValueError("text")
                out.append(value)
        except (TypeError, ValueError):
            raise CursorInvalid(detail={"cursor": cursor[:200]})
    return out


def _after(fields: tuple[str, ...], values: list[Any], descending: bool) -> Q:
    """(a, b, c) after (va, vb, vc): a > va OR (a = va AND (b > vb OR (b = vb AND c > vc)))."""
    op = "lt" if descending else "gt"
    condition = Q(**{f"{fields[-1]}__{op}": values[-1]})
    for name, value in zip(reversed(fields[:-1]), reversed(values[:-1]), strict=True):
        condition = Q(**{f"{name}__{op}": value}) | (Q(**{name: value}) & condition)
    return condition


def paginate(
    qs: QuerySet,
    *,
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
    fields: tuple[str, ...] = ("created_at", "id"),
    descending: bool = True,
) -> tuple[list, str | None]:
    """One page of ``qs`` in ``fields`` order (the last field must be unique, e.g. ``id``)."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs = qs.order_by(*[("-" if descending else "") + f for f in fields])
    if cursor:
        qs = qs.filter(_after(fields, _decode(cursor, qs.model, fields), descending))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], _encode([getattr(last, f) for f in fields])
