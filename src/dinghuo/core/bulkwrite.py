"""Write many rows of many tables in as few statements as the database allows.

The order hot path inserts an order, its lines, allocations, stock movements, ledger entries,
timeline events, outbox events and an idempotency record. With Django's ``bulk_create`` that is a
statement per table. On PostgreSQL we do better:

- ``allocate_ids`` takes every primary key the rows will need — and document numbers — from the
  tables' sequences in ONE statement, so rows can reference each other before they exist;
- ``insert_all`` writes every table's rows in ONE statement of data-modifying CTEs (foreign keys are
  deferred to commit, so the order of the CTEs does not matter).

On other databases both fall back to plain ``bulk_create`` (SQLite serialises writers anyway).
Values are prepared exactly as Django's own INSERT compiler prepares them (``pre_save`` for
auto_now fields, ``get_db_prep_save`` for JSON, Decimal, datetimes).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models

from dinghuo.core.tenancy import stamp_tenant

MAX_PARAMS = 60_000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def allocate_ids(
    counts: dict[type[models.Model], int], *, sequences: dict[str, int] | None = None
) -> tuple[dict, dict]:
    """({Model: [ids]}, {sequence name: [values]}) from one statement (PostgreSQL only)."""
    parts, params, keys = [], [], []
    for model, n in counts.items():
        parts.append("ARRAY(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))")
        params += [model._meta.db_table, model._meta.pk.column, n]
        keys.append(("model", model))
    for name, n in (sequences or {}).items():
        parts.append("ARRAY(SELECT nextval(%s) FROM generate_series(1, %s))")
        params += [name, n]
        keys.append(("seq", name))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    ids: dict = {}
    seqs: dict = {}
    for (kind, key), values in zip(keys, row, strict=True):
        (ids if kind == "model" else seqs)[key] = list(values)
    return ids, seqs


@functools.cache
def _plan(model: type[models.Model]) -> tuple:
    """Per concrete field: (field, attname, fills itself (auto_now), how its values are prepared,
    the SQL array type its column is sent as)."""
    plan = []
    for f in model._meta.concrete_fields:
        auto = bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        target = f.target_field if f.is_relation else f
        if isinstance(f, models.JSONField):
            prep, array = "json", "text[]::jsonb[]"
        elif isinstance(target, models.DecimalField):
            prep, array = "decimal", "numeric[]"
        elif isinstance(target, models.BooleanField):
            prep, array = "bool", "boolean[]"
        elif isinstance(target, models.AutoField | models.BigAutoField | models.IntegerField):
            prep, array = "int", "bigint[]"
        elif isinstance(target, models.CharField | models.TextField):
            prep, array = "str", "text[]"
        elif isinstance(target, models.DateTimeField):
            prep, array = "", "timestamptz[]"
        elif isinstance(target, models.DateField):
            prep, array = "", "date[]"
        else:
            prep, array = "django", f"text[]::{f.db_type(connection)}[]"  # Django prepares it, as text
        plan.append((f, f.attname, auto, prep, array))
    return tuple(plan)


def _prepare(f: models.Field, prep: str, value: Any) -> Any:
    if prep == "json":
        return json.dumps(value, cls=f.encoder)
    if prep == "decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if prep == "int":
        return int(value)
    if prep == "str":
        return str(value)
    if prep == "bool":
        return bool(value)
    if prep == "django":
        return str(f.get_db_prep_save(value, connection))
    return value


def _unnest_sql(objs: Sequence[models.Model], params: list) -> str:
    """``INSERT … SELECT FROM unnest(<an array per column>)``: the text depends on the table only,
    not on the number of rows, and each column travels as one binary array parameter."""
    model = type(objs[0])
    plan = [p for p in _plan(model) if not (p[0].primary_key and getattr(objs[0], p[1]) is None)]
    columns: list[list] = [[] for _ in plan]
    for obj in objs:
        for k, (f, attname, auto, prep, _array) in enumerate(plan):
            value = getattr(obj, attname)
            if auto and value is None:  # auto_now(_add) fills what the caller left empty
                value = f.pre_save(obj, True)
            columns[k].append(None if value is None else _prepare(f, prep, value))
    params.extend(columns)
    names = ", ".join(connection.ops.quote_name(f.column) for f, *_ in plan)
    arrays = ", ".join(f"%b::{array}" for *_, array in plan)
    return f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) SELECT * FROM unnest({arrays})"


def _server_side_cursor():
    """A cursor with server-side binding (parameters sent apart from the text, arrays in binary),
    wrapped like every Django cursor so that query logging and counting see it."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def insert_all(groups: Sequence[Sequence[models.Model]], *, then: tuple[str, list] | None = None) -> None:
    """Insert every group of same-model objects. On PostgreSQL, in one statement — objects must
    then carry their primary keys (``allocate_ids``) — optionally followed by ``then`` (a final
    UPDATE/INSERT with its params) in the same statement."""
    groups = [stamp_tenant(list(g)) if hasattr(g[0], "tenant_id") else list(g) for g in groups if g]
    if not groups and then is None:
        return
    if not is_postgres():
        # large writes (imports): batched bulk_create, a statement per batch
        for objs in groups:
            fields = len(type(objs[0])._meta.concrete_fields)
            type(objs[0])._base_manager.bulk_create(objs, batch_size=max(1, min(2000, MAX_PARAMS // fields)))
        if then is not None:
            with connection.cursor() as cursor:
                cursor.execute(*then)
        return
    params: list = []
    statements = [_unnest_sql(objs, params) for objs in groups]
    if then is not None:
        statements.append(then[0])
        params += then[1]
    *ctes, last = statements
    sql = ""
    if ctes:
        sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, s in enumerate(ctes)) + " "
    with _server_side_cursor() as cursor:
        cursor.execute(sql + last, params)
    for objs in groups:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = connection.alias


def normalise_decimals(objs: Sequence[models.Model]) -> None:
    """Give unsaved objects' Decimal fields the scale the database will store (1 → 1.000), so that
    what is rendered from memory right after an insert equals what a later read returns."""
    if not objs:
        return
    for f in type(objs[0])._meta.concrete_fields:
        if isinstance(f, models.DecimalField):
            exp = Decimal(1).scaleb(-f.decimal_places)
            for obj in objs:
                value = getattr(obj, f.attname)
                if isinstance(value, Decimal):
                    setattr(obj, f.attname, value.quantize(exp))
