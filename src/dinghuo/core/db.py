"""Transaction helpers."""

from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Aggregate, CharField


def on_commit(fn: Callable[[], None]) -> None:
    """Run ``fn`` after the current transaction commits (immediately outside one).

    Bind loop variables before passing a closure (``lambda o=o: send(o)``): a late-bound closure in
    a loop of on_commit callbacks sends the last object N times.
    """
    transaction.on_commit(fn)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


class GroupConcat(Aggregate):
    """Comma-joined text of a column's values: string_agg on PostgreSQL, group_concat on SQLite."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s, ',')", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="%(function)s(%(expressions)s, ',')", **extra)
