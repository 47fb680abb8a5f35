"""Which role may do what: the one permission matrix, checked by one helper.

Pages, the API and services all call ``require(actor, "<perm>")`` (or ``can``). Data scope —
which rows a permitted actor may see — is the second half and lives in ``scope_dealers``: a
dealer user sees its own dealer (and, as a parent, its sub-dealers), a sales rep sees the
dealers assigned to them, the other staff roles see the whole tenant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import PermissionDenied

if TYPE_CHECKING:
    from dinghuo.core.tenancy import Actor

OWN, A, S, R, W, F = Role.OWNER, Role.ADMIN, Role.SALES_REP, Role.REVIEWER, Role.WAREHOUSE, Role.FINANCE
DA, B, DF = Role.DEALER_ADMIN, Role.BUYER, Role.DEALER_FINANCE
STAFF = {OWN, A, S, R, W, F}
DEALER = {DA, B, DF}

PERMISSIONS: dict[str, frozenset[str]] = {
    k: frozenset(v)
    for k, v in {
        # tenant and people
        "tenant.settings.manage": {OWN, A},
        "staff.manage": {OWN, A},
        "dealer_users.manage": {OWN, A, DA},
        "api_keys.manage": {OWN, A, DA},
        "webhooks.manage": {OWN, A},
        "audit.view": {OWN, A},
        "audit.verify": {OWN, A},
        # dealers
        "dealers.view": STAFF,
        "dealers.manage": {OWN, A},
        "dealers.credit.manage": {OWN, F},
        "dealers.service.log": {OWN, A, S},
        # catalog and prices
        "catalog.view": STAFF | DEALER,
        "catalog.manage": {OWN, A},
        "prices.view_all": STAFF,
        "prices.manage": {OWN, A},
        "promotions.manage": {OWN, A},
        # inventory
        "inventory.view": {OWN, A, S, R, W},
        "inventory.manage": {OWN, A, W},
        # orders
        "orders.view": STAFF | DEALER,
        "orders.place": {OWN, A, S, DA, B},
        "orders.place_on_behalf": {OWN, A, S},
        "orders.review": {OWN, A, R},
        "orders.override_credit": {OWN, F},
        "orders.cancel": {OWN, A, R, DA, B},
        "orders.fulfil": {OWN, A, W},
        "orders.import": {OWN, A, S, DA, B},
        # finance
        "finance.view": {OWN, A, F, DA, DF},
        "finance.manage": {OWN, F},
        "finance.pay": {DA, DF},
        "invoices.request": {DA, DF},
        "invoices.issue": {OWN, F},
        "statements.confirm": {DA, DF},
        # analytics
        "reports.view": {OWN, A, S, F},
    }.items()
}


def can(actor: Actor | None, perm: str) -> bool:
    if actor is None:
        return False
    if actor.is_system:
        return True
    try:
        roles = PERMISSIONS[perm]
    except KeyError:
        raise KeyError(f"unknown permission {perm!r}; add it to accounts/permissions.py")
    if actor.role not in roles:
        return False
    # An API key narrows what its user may do to the key's scopes.
    return actor.api_key_id is None or _scope_allows(actor.scopes, perm)


def require(actor: Actor | None, perm: str) -> None:
    if not can(actor, perm):
        raise PermissionDenied(detail={"permission": perm})


def _scope_allows(scopes: frozenset[str], perm: str) -> bool:
    # API key scopes are permission prefixes: "orders" allows orders.*, "orders.place" allows it only.
    return any(perm == s or perm.startswith(s + ".") for s in scopes)


def roles_with(perm: str) -> frozenset[str]:
    return PERMISSIONS[perm]


def scope_dealers(actor: Actor, qs: QuerySet, field: str = "", *, include_children: bool = False) -> QuerySet:
    """Restrict a queryset of dealers (or of rows with a dealer FK at ``field``) to the actor.

    ``field`` is the path to the dealer from the queryset's model ("" when it is Dealer itself,
    "dealer" for orders, "order__dealer" for lines …). ``include_children`` lets a parent dealer
    see its sub-dealers' rows too (its own network); otherwise a dealer sees only itself.
    """
    prefix = f"{field}__" if field else ""
    pk = f"{field}_id" if field else "pk"
    if sees_every_dealer(actor):
        return qs
    if actor.is_dealer:
        if include_children:
            return qs.filter(Q(**{pk: actor.dealer_id}) | Q(**{f"{prefix}parent_id": actor.dealer_id}))
        return qs.filter(**{pk: actor.dealer_id})
    return qs.filter(**{f"{prefix}sales_rep_id": actor.user_id})


def sees_every_dealer(actor: Actor) -> bool:
    """Whether ``scope_dealers`` leaves the actor's querysets as they are (system and brand staff
    other than sales reps, who see only their own dealers)."""
    return actor.is_system or (not actor.is_dealer and actor.role != Role.SALES_REP)
