"""Document numbers (SO…, SH…): a global database sequence, prefixed with the local date.

One statement for any count of numbers. PostgreSQL sequences take no row lock, so concurrent
placements never queue on a counter; on SQLite (whose writes are serialised anyway) a counter row
does the same job.
"""

from django.db import connection
from django.utils import timezone

from dinghuo.core.models import Counter

PREFIXES = {"order": ("SO", "dinghuo_order_number"), "shipment": ("SH", "dinghuo_shipment_number")}


def next_numbers(kind: str, count: int = 1) -> list[str]:
    sequence = PREFIXES[kind][1]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{sequence}') FROM generate_series(1, %s)", [count])
            values = [row[0] for row in cursor.fetchall()]
    else:
        Counter.objects.get_or_create(name=sequence)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Counter._meta.db_table} SET value = value + %s WHERE name = %s RETURNING value",
                [count, sequence],
            )
            last = cursor.fetchone()[0]
        values = list(range(last - count + 1, last + 1))
    return [format_number(kind, v) for v in values]


def format_number(kind: str, value: int) -> str:
    """SO2611220000123: prefix, local date, the sequence value."""
    return f"{PREFIXES[kind][0]}{timezone.localdate().strftime('%y%m%d')}{value:07d}"
