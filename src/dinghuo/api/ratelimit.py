"""Rate limits per API key (and per signed-in user): a fixed window counted in the database.

Each caller has one counter row per window (``RateCounter``), bumped by a single statement::

    INSERT INTO api_ratecounter … VALUES (…, 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = hits + 1 WHERE hits < :limit
    RETURNING hits

No row back means the window is full: 429 with ``Retry-After`` = the seconds left in it. The
statement is atomic on PostgreSQL and SQLite, so the limit holds across every process and server
(a per-process store would let N processes allow N × the limit). A fixed window can let up to
2 × the limit through around a window boundary; that is the documented trade-off for one
statement per request. The first hit of a window deletes the caller's older windows.

Limits: ``DINGHUO_API_RATE_LIMIT`` requests (default 600) per ``DINGHUO_API_RATE_WINDOW`` seconds
(default 60), or the key's own ``rate_limit``; settings ``API_RATE_LIMIT`` / ``API_RATE_WINDOW``
override the environment (tests use that).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from dinghuo.api.models import RateCounter
from dinghuo.core.errors import RateLimited


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends


def default_limit() -> int:
    return int(getattr(settings, "API_RATE_LIMIT", None) or os.environ.get("DINGHUO_API_RATE_LIMIT") or 600)


def window_seconds() -> int:
    return int(getattr(settings, "API_RATE_WINDOW", None) or os.environ.get("DINGHUO_API_RATE_WINDOW") or 60)


def rate_limit_hit(*, tenant_id: int, bucket: str, limit: int | None = None, now: float | None = None) -> Quota:
    """Count one request of ``bucket``; raise RateLimited when its window is full."""
    limit = limit or default_limit()
    window = window_seconds()
    now = time.time() if now is None else now
    start = int(now) - int(now) % window
    reset = max(1, math.ceil(start + window - now))
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, bucket, window_start, hits) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (bucket, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            f"WHERE {table}.hits < %s RETURNING hits",
            [tenant_id, bucket, start, limit],
        )
        row = cursor.fetchone()
        if row is not None and row[0] == 1:
            cursor.execute(f"DELETE FROM {table} WHERE bucket = %s AND window_start < %s", [bucket, start])
    if row is None:
        raise RateLimited(retry_after=reset, detail={"limit": limit, "window": window})
    return Quota(limit=limit, remaining=max(0, limit - row[0]), reset=reset)
