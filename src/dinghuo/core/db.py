"""Transaction helpers, and the portable SQL pieces our queries share."""

from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Aggregate, CharField, Field, ForeignObject, Lookup


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


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any=[…]``: membership in a list, as ``= ANY(%s)`` with ONE array parameter on
    PostgreSQL and ``IN (%s, …)`` elsewhere.

    Use it where lists are long (the lines of a big order, a file's SKU codes): the statement's text
    and parameter count then stay the same whatever the length, so psycopg parses it once and
    caches it, instead of splitting a new text of hundreds of placeholders every time.
    """

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        field = self.lhs.output_field
        return [field.get_prep_value(v) for v in self.rhs if v is not None]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs]
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


ForeignObject.register_lookup(AnyOf)  # relations keep lookups of their own: sku_id__any, sku__any
