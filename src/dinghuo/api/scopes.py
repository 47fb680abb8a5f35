"""API key scopes: permission prefixes (accounts/permissions.py) a key may use.

A key can do what its membership's role may do AND what one of its scopes names: ``orders``
allows every ``orders.*`` permission, ``orders.place`` only placing. ``can()`` applies the
narrowing; this module lists the choices offered when a key is made.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.permissions import PERMISSIONS

SCOPES: dict[str, object] = {
    "catalog": _("Read the catalog: search, products, parameter matching; quote own prices"),
    "prices": _("Read and quote any dealer's prices (staff)"),
    "orders": _("Everything on orders the role may do"),
    "orders.view": _("Read orders and shipments"),
    "orders.place": _("Place orders as a dealer"),
    "orders.place_on_behalf": _("Place orders for dealers (staff)"),
    "orders.cancel": _("Cancel orders"),
    "orders.fulfil": _("Ship orders (warehouse)"),
    "inventory": _("Read stock and push WMS stock syncs"),
    "inventory.view": _("Read stock"),
    "dealers.view": _("Read dealers (staff)"),
    "finance.view": _("Read credit and balances"),
    "webhooks.manage": _("Manage webhook subscriptions"),
}


def permissions_of(scope: str) -> list[str]:
    return [p for p in PERMISSIONS if p == scope or p.startswith(scope + ".")]


def scopes_for_role(role: str) -> list[str]:
    """The scopes that grant the role at least one permission (the others would be useless)."""
    return [s for s in SCOPES if any(role in PERMISSIONS[p] for p in permissions_of(s))]


def scope_choices(role: str | None = None) -> list[tuple[str, str]]:
    names = scopes_for_role(role) if role else list(SCOPES)
    return [(s, f"{s} — {SCOPES[s]}") for s in names]
