"""Querysets compiled to SQL once, then run many times with new values: the order hot path's reads.

Building a queryset (``filter`` → ``build_filter``) and compiling it (``as_sql``) cost Django about
a third of the CPU of placing an order, and the order path asks the same eight questions every time
with different ids. A ``Prepared`` query is written as an ordinary function from typed arguments to
a queryset::

    @prepared
    def _dealer(dealer_id: int) -> QuerySet:
        return Dealer.objects.select_related("tier", "account").filter(pk=dealer_id)[:1]

    dealer = _dealer.first(dealer_id=7)

On PostgreSQL, the first call in a process builds and compiles the queryset twice, with two sets of
stand-in values for the arguments and for the current tenant, and keeps the SQL with a map from each
parameter to the argument (or tenant, or constant) it came from. Later calls only bind values and
execute: rows come back through Django's own iterables and converters, so the results are the same
model instances, tuples or dicts the queryset would give. Elsewhere (SQLite, where ``__any`` expands
to one placeholder per value), and for a tenant-scoped query run outside a tenant context or inside
``all_tenants()``, the function simply builds the queryset with the real values and runs it (and
so refuses, or reads every tenant, exactly as the queryset does). A query of ``unscoped`` rows (an
API key found by its hash) runs prepared in any context.

The two compilations must agree: the same SQL text, and every parameter either the same in both
(a constant) or the stand-in of one argument. A value the function computes itself (``now()``, a
setting read per call) differs between them, and preparing fails loudly instead of freezing it.
Arguments must already have their column's type (an ``int`` for a key, a ``list[int]`` for
``__any``, an aware ``datetime``), because the ORM's conversions ran once, on the stand-ins.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from dinghuo.core import tenancy

_TENANT = "\x00tenant"  # the slot of the current tenant's id
# Stand-in integers fit every integer column (Django turns an out-of-range value into "no rows");
# one that happens to equal a constant of the query is caught, as it no longer does in round two.
_BASE = 30_000
_EPOCH = dt.datetime(1901, 1, 1, tzinfo=dt.UTC)


def _stand_in(kind: Any, round_: int, index: int) -> Any:
    number = _BASE + 100 * round_ + index
    if kind is int:
        return number
    if kind is str:
        return f"\x00prepared:{round_}:{index}"
    if kind is dt.datetime:
        return _EPOCH + dt.timedelta(seconds=1000 * round_ + index)
    if typing.get_origin(kind) is list and typing.get_args(kind) in ((int,), (str,)):
        return [_stand_in(typing.get_args(kind)[0], round_, index)]
    raise ImproperlyConfigured(
        f"a prepared query's argument must be int, str, datetime, list[int] or list[str], not {kind!r}"
    )


def _key(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", *(_key(v) for v in value))
    for kind in (int, str, dt.datetime):  # subclasses too: Django sends a small int as psycopg's Int2
        if isinstance(value, kind) and not isinstance(value, bool):
            return (kind.__name__, kind(value) if kind is not dt.datetime else value)
    return None


def _cast(value: Any) -> type | None:
    """The wrapper Django put around a stand-in (``Int2``), to put around the real value too."""
    kind = type(value)
    return None if kind in (int, str, list, dt.datetime) else kind


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: Any
    sql: str
    binding: tuple  # per parameter: ("arg", name, cast) | ("tenant", _TENANT, None) | ("const", value, None)
    uses_tenant: bool


def _bound(kind: str, ref: Any, cast: type | None, values: dict, tenant: int) -> Any:
    if kind == "arg":
        return values[ref] if cast is None else cast(values[ref])
    return tenant if kind == "tenant" else ref


class Prepared:
    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        hints = typing.get_type_hints(build)
        self.kinds = {name: hints[name] for name in inspect.signature(build).parameters}
        if len(self.kinds) > 90:  # stand-in numbers are _BASE + 100 × round + index; 99 is the tenant's
            raise ImproperlyConfigured(f"{self!r} takes too many arguments")
        self._compiled: dict[str, _Compiled] = {}

    def __repr__(self) -> str:
        return f"<Prepared {self.build.__module__}.{self.build.__qualname__}>"

    def queryset(self, **values: Any) -> QuerySet:
        """The query with these values, ready to iterate (only iterate it: it is already compiled)."""
        conn = connections[DEFAULT_DB_ALIAS]
        if conn.vendor != "postgresql":
            return self.build(**values)
        compiled = self._compiled.get(conn.alias) or self._compile(conn.alias)
        tenant = tenancy._tenant.get()
        if compiled.uses_tenant and type(tenant) is not int:  # no context (refuse) or all_tenants(): as built
            return self.build(**values)
        params = [_bound(kind, ref, cast, values, tenant) for kind, ref, cast in compiled.binding]
        sql = compiled.sql
        compiler = copy.copy(compiled.compiler)
        compiler.connection = conn
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        qs = compiled.queryset._chain()
        qs.query.get_compiler = lambda *args, **kwargs: compiler
        return qs

    def list(self, **values: Any) -> list:
        return list(self.queryset(**values))

    def first(self, **values: Any) -> Any:
        """The first row, or None (slice the queryset ``[:1]`` in the function when one row is meant)."""
        return next(iter(self.queryset(**values)), None)

    def _attempt(self, alias: str, round_: int) -> tuple[QuerySet, Any, str, list, dict]:
        stand_ins = {name: _stand_in(kind, round_, i) for i, (name, kind) in enumerate(self.kinds.items())}
        slots = {_key(value): name for name, value in stand_ins.items()}
        tenant_stand_in = _BASE + 100 * round_ + 99
        slots[_key(tenant_stand_in)] = _TENANT
        token = tenancy._tenant.set(tenant_stand_in)
        try:
            qs = self.build(**stand_ins)
            if qs.db != alias:
                raise ImproperlyConfigured(f"{self!r} reads database {qs.db!r}; prepared queries run on {alias!r}")
            compiler = qs.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
        finally:
            tenancy._tenant.reset(token)
        return qs, compiler, sql, list(params), slots

    def _compile(self, alias: str) -> _Compiled:
        qs, compiler, sql, params, slots = self._attempt(alias, 0)
        _, _, sql2, params2, slots2 = self._attempt(alias, 1)
        if sql != sql2 or len(params) != len(params2):
            raise ImproperlyConfigured(f"{self!r} compiles to different SQL for different arguments")
        binding = []
        for i, (a, b) in enumerate(zip(params, params2, strict=True)):
            slot_a, slot_b = slots.get(_key(a)), slots2.get(_key(b))
            if slot_a is not None and slot_a == slot_b:
                binding.append(("arg", slot_a, _cast(a)) if slot_a is not _TENANT else ("tenant", _TENANT, None))
            elif slot_a is None and slot_b is None and a == b:
                binding.append(("const", a, None))
            else:
                raise ImproperlyConfigured(f"parameter {i} of {self!r} is neither a constant nor one of its arguments")
        compiled = _Compiled(qs, compiler, sql, tuple(binding), any(kind == "tenant" for kind, *_ in binding))
        self._compiled[alias] = compiled
        return compiled


def prepared(build: Callable[..., QuerySet]) -> Prepared:
    return Prepared(build)
