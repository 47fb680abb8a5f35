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

import datetime as dt
import functools
import json
from collections.abc import Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState

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
    """Per concrete field: (field, attname, fills itself (auto_now), how its values are written
    into an array literal, the SQL array type its column is sent as)."""
    plan = []
    for f in model._meta.concrete_fields:
        auto = bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        target = f.target_field if f.is_relation else f
        if isinstance(f, models.JSONField):
            prep, array = "json", "jsonb[]"
        elif isinstance(target, models.DecimalField):
            prep, array = "plain", "numeric[]"
        elif isinstance(target, models.BooleanField):
            prep, array = "bool", "boolean[]"
        elif isinstance(target, models.AutoField | models.BigAutoField | models.IntegerField):
            prep, array = "int", "bigint[]"
        elif isinstance(target, models.CharField | models.TextField):
            prep, array = "str", "text[]"
        elif isinstance(target, models.DateTimeField):
            prep, array = "iso", "timestamptz[]"
        elif isinstance(target, models.DateField):
            prep, array = "iso", "date[]"
        else:
            prep, array = "django", f"{f.db_type(connection)}[]"  # Django prepares it, as text
        plan.append((f, f.attname, auto, prep, array))
    return tuple(plan)


def _quoted(text: str) -> str:
    if "\\" in text or '"' in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text + '"'


def _literal(f: models.Field, prep: str, values: list) -> str:
    """One column as a PostgreSQL array literal ('{1,NULL,"a \\"b\\""}'), built with str methods:
    a single text parameter is far cheaper to send than an array psycopg dumps element by element."""
    if prep == "int":
        items = ["NULL" if v is None else str(int(v)) for v in values]
    elif prep == "plain":  # Decimal (PostgreSQL reads its exponent notation too)
        items = ["NULL" if v is None else str(v) for v in values]
    elif prep == "bool":
        items = ["NULL" if v is None else ("t" if v else "f") for v in values]
    elif prep == "iso":  # dates and datetimes; naive or odd values made aware and prepared as Django would
        items = [
            "NULL" if v is None
            else _quoted(v.isoformat()) if type(v) is dt.datetime and v.tzinfo is not None
            else _quoted(f.get_db_prep_save(v, connection).isoformat())
            for v in values
        ]  # fmt: skip
    elif prep == "str":
        items = ["NULL" if v is None else _quoted(str(v)) for v in values]
    elif prep == "json":
        items = ["NULL" if v is None else _quoted(json.dumps(v, cls=f.encoder)) for v in values]
    else:
        items = ["NULL" if v is None else _quoted(str(f.get_db_prep_save(v, connection))) for v in values]
    return "{" + ",".join(items) + "}"


def _unnest_sql(objs: Sequence[models.Model], params: list) -> str:
    """``INSERT … SELECT FROM unnest(<an array per column>)``: the text depends on the table only,
    not on the number of rows, and each column travels as one array literal parameter."""
    model = type(objs[0])
    plan = [p for p in _plan(model) if not (p[0].primary_key and getattr(objs[0], p[1]) is None)]
    for f, attname, auto, prep, _array in plan:
        values = list(map(attrgetter(attname), objs))
        if auto:  # auto_now(_add) fills what the caller left empty
            values = [f.pre_save(obj, True) if v is None else v for obj, v in zip(objs, values, strict=True)]
        params.append(_literal(f, prep, values))
    names = ", ".join(connection.ops.quote_name(f.column) for f, *_ in plan)
    arrays = ", ".join(f"%s::{array}" for *_, array in plan)
    return f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) SELECT * FROM unnest({arrays})"


@functools.cache
def _layout(model: type[models.Model]) -> tuple:
    return tuple((f.attname, f.name if f.is_relation else None, f) for f in model._meta.concrete_fields)


def build(model: type[models.Model], /, **values: Any) -> models.Model:
    """An unsaved instance for a bulk insert, as ``model(**values)`` would make it — several times
    cheaper, for the hundreds of rows a big order writes.

    Values are given by attribute name (``order_id``) or, for a relation, as the related instance
    (``order=order``: its id is taken, and the instance is cached on the new one as Django would).
    Fields not given get their defaults. The instance's attributes are filled directly, so no
    ``pre_init``/``post_init`` signal is sent: use it for plain rows (no image or generic fields).
    """
    defaults, made, relations = _template(model)
    data = defaults.copy()  # every field, at its default: a plain one computed once, per model
    instance = model.__new__(model)
    instance._state = state = ModelState()
    for key, value in values.items():
        if key in defaults:
            data[key] = value
        elif key in relations:
            data[relations[key]] = None if value is None else value.pk
            state.fields_cache[key] = value
        else:
            raise TypeError(f"{model.__name__} has no field {key!r}")
    for attname, name, f in made:  # a default made per row (a callable: dict, list, now) unless given
        if attname not in values and name not in values:
            data[attname] = f.get_default()
    instance.__dict__.update(data)
    return instance


@functools.cache
def _template(model: type[models.Model]) -> tuple[dict[str, Any], tuple, dict[str, str]]:
    """(attname → default for every field, the fields whose default is made per row, relation
    name → attname)."""
    defaults: dict[str, Any] = {}
    made = []
    for attname, name, f in _layout(model):
        per_row = f.has_default() and callable(f.default)
        defaults[attname] = None if per_row else f.get_default()
        if per_row:
            made.append((attname, name, f))
    relations = {name: attname for attname, name, _f in _layout(model) if name is not None}
    return defaults, tuple(made), relations


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
    for attname, exp in _decimal_scales(type(objs[0])):
        for obj in objs:
            values = obj.__dict__  # plain attributes: no descriptor stands in the way
            value = values.get(attname)
            if type(value) is Decimal:
                values[attname] = value.quantize(exp)


@functools.cache
def _decimal_scales(model: type[models.Model]) -> tuple[tuple[str, Decimal], ...]:
    return tuple(
        (f.attname, Decimal(1).scaleb(-f.decimal_places))
        for f in model._meta.concrete_fields
        if isinstance(f, models.DecimalField)
    )
