"""Finance document numbers: PM (payments), ST (statements), IV (invoice requests), RB (rebate accruals).

The same scheme as core.numbering: a database sequence on PostgreSQL (no row lock, no queue), a
counter row on SQLite; prefixed with the local date.
"""

from django.db import connection
from django.utils import timezone

from dinghuo.core.models import Counter

PREFIXES = {
    "payment": ("PM", "dinghuo_fin_payment"),
    "statement": ("ST", "dinghuo_fin_statement"),
    "invoice": ("IV", "dinghuo_fin_invoice"),
    "rebate": ("RB", "dinghuo_fin_rebate"),
}


def next_number(kind: str) -> str:
    prefix, sequence = PREFIXES[kind]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [sequence])
            value = cursor.fetchone()[0]
    else:
        Counter.objects.get_or_create(name=sequence)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Counter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value", [sequence]
            )
            value = cursor.fetchone()[0]
    return f"{prefix}{timezone.localdate().strftime('%y%m%d')}{value:07d}"
