"""The current tenant and actor, and the tenant-scoped base model.

Every tenant-owned table inherits ``TenantModel``. Its default manager filters by the tenant of
the current context and raises ``TenantContextMissing`` when there is none, so no code path can
forget the tenant: a request gets its context from ``TenantMiddleware`` (session now, API key
later), a command or a task enters one with ``tenant_context(tenant)``. Code that really means
"every tenant" (the superuser admin, the audit verifier, migrations) says so with
``all_tenants()`` or uses the ``unscoped`` manager explicitly.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import F, Lookup

from dinghuo.core.errors import TenantContextMissing

if TYPE_CHECKING:
    from dinghuo.accounts.models import Membership, User
    from dinghuo.tenancy.models import Tenant

_ALL = object()  # sentinel: an explicit "every tenant" context
_tenant: contextvars.ContextVar[Any] = contextvars.ContextVar("dinghuo_tenant", default=None)
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("dinghuo_actor", default=None)


@dataclass(frozen=True)
class Actor:
    """Who is acting: resolved once per request (or task) and passed to services.

    ``kind`` is "staff", "dealer" or "system"; ``role`` is a ``Role`` value; ``dealer_id`` is set
    for dealer users (and confines them to their dealer); ``via`` records the channel
    (web, api, import, system) for audit and order records.
    """

    tenant_id: int | None
    user_id: int | None
    role: str
    kind: str
    dealer_id: int | None = None
    membership_id: int | None = None
    label: str = ""
    via: str = "web"
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_dealer(self) -> bool:
        return self.kind == "dealer"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @classmethod
    def system(cls, tenant_id: int | None, label: str = "system") -> Actor:
        return cls(tenant_id=tenant_id, user_id=None, role="system", kind="system", label=label, via="system")

    @classmethod
    def for_membership(cls, membership: Membership, *, via: str = "web") -> Actor:
        user: User = membership.user
        return cls(
            tenant_id=membership.tenant_id,
            user_id=user.pk,
            role=membership.role,
            kind="dealer" if membership.dealer_id else "staff",
            dealer_id=membership.dealer_id,
            membership_id=membership.pk,
            label=user.get_full_name() or user.get_username(),
            via=via,
        )


def current_tenant_id() -> int | None:
    value = _tenant.get()
    return None if value is _ALL else value


def current_actor() -> Actor | None:
    return _actor.get()


def in_all_tenants() -> bool:
    return _tenant.get() is _ALL


@contextmanager
def tenant_context(tenant: Tenant | int, actor: Actor | None = None) -> Iterator[None]:
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if tenant_id is None:
        raise TenantContextMissing("tenant_context() needs a saved tenant")
    t1 = _tenant.set(tenant_id)
    t2 = _actor.set(actor or Actor.system(tenant_id))
    try:
        yield
    finally:
        _actor.reset(t2)
        _tenant.reset(t1)


@contextmanager
def all_tenants() -> Iterator[None]:
    """Explicitly lift tenant scoping (superuser admin, audit verify, demo loader)."""
    t1 = _tenant.set(_ALL)
    t2 = _actor.set(Actor.system(None))
    try:
        yield
    finally:
        _actor.reset(t2)
        _tenant.reset(t1)


def set_request_context(tenant_id: Any, actor: Actor | None) -> tuple:
    return _tenant.set(tenant_id), _actor.set(actor)


def reset_request_context(tokens: tuple) -> None:
    _actor.reset(tokens[1])
    _tenant.reset(tokens[0])


ALL_TENANTS = _ALL


def in_current_tenant_sql(column: str, what: str) -> tuple[str, list]:
    """``<column> = <the current tenant>`` as SQL and params (a tautology inside ``all_tenants()``);
    without a context, ``TenantContextMissing`` naming ``what`` was queried. For SQL written by hand."""
    value = _tenant.get()
    if value is None:
        raise TenantContextMissing(
            f"{what} queried outside a tenant context; use tenant_context(tenant) or all_tenants()"
        )
    if value is _ALL:
        return f"{column} IS NOT NULL", []
    return f"{column} = %s", [value]


class InCurrentTenant(Lookup):
    """``<tenant_id column> = <the current tenant>``, read when the SQL is compiled.

    Attached by ``TenantManager`` to every queryset when it is created, and resolved at execution:
    a queryset built at import time (a form field's choices) or in one request and run in another
    always filters by the tenant of the context it runs in. Without a context it refuses to
    compile; inside ``all_tenants()`` it compiles to a tautology.
    """

    lookup_name = "in_current_tenant"
    prepare_rhs = False
    can_use_none_as_rhs = True

    def __init__(self, lhs: Any) -> None:
        super().__init__(lhs, None)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        model = getattr(getattr(self.lhs, "target", None), "model", None)
        lhs_sql, params = compiler.compile(self.lhs)
        sql, value = in_current_tenant_sql(lhs_sql, getattr(model, "__name__", "a tenant-scoped model"))
        return sql, [*params, *value]

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list]:
        return "%s", []


class TenantManager(models.Manager):
    """Every queryset carries ``InCurrentTenant``: no query of a tenant's rows can forget the tenant."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(InCurrentTenant(F("tenant_id")))


class TenantModel(models.Model):
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, editable=False, related_name="+")

    objects = TenantManager()
    unscoped = models.Manager()  # noqa: DJ012 (the explicit way around tenant scoping)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        value = _tenant.get()
        if self.tenant_id is None:
            if value is None or value is _ALL:
                raise TenantContextMissing(f"{type(self).__name__} saved without a tenant")
            self.tenant_id = value
        elif value is not None and value is not _ALL and value != self.tenant_id:
            raise TenantContextMissing(
                f"{type(self).__name__} of tenant {self.tenant_id} saved in tenant {value}'s context"
            )
        super().save(*args, **kwargs)


def stamp_tenant(objs: list[TenantModel]) -> list[TenantModel]:
    """Set the current tenant on objects about to be bulk-created (bulk_create skips save())."""
    value = _tenant.get()
    for obj in objs:
        if obj.tenant_id is None:
            if value is None or value is _ALL:
                raise TenantContextMissing(f"{type(obj).__name__} bulk-created without a tenant")
            obj.tenant_id = value
    return objs
