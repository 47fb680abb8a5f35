"""Invariant 1 through every page, against a tenant B that owns rows of every app.

tests/web/test_isolation.py walks every object page with ids of the rows the foundation fixture
makes (dealers, users, addresses …). Here tenant B also has a catalog, warehouses and stock, an
order, a credit account with its ledger, a statement, an invoice, payments, a webhook and an API
key, so the id guessing reaches the order, catalog, inventory, finance and integration pages too
(string slots get the values they really take: statement formats, invoice actions, B's payment
numbers) — and it is done both as tenant A's owner and as tenant A's dealer admin.
"""

import pytest
from django.test import Client

from dinghuo.accounts.permissions import PERMISSIONS
from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.notify.services import webhook_create
from tests.api.conftest import make_key
from tests.web.test_isolation import b_finance, fingerprint, id_routes, probe, tenant_rows


@pytest.fixture
def rich_b(world_b):
    b = b_finance(world_b)  # a catalog, stock, a paid order, its invoice, a statement, two payments
    system = Actor.system(world_b.tenant.pk, "tests")
    with tenant_context(world_b.tenant, system):
        webhook_create(actor=system, url="https://erp.example.com/hook", events=["order.created"])
    make_key(world_b.staff[Role.OWNER])
    make_key(world_b.dealer_users[Role.DEALER_ADMIN])
    return b


def guessable_ids(tenant) -> list[int]:
    """The first and last id of every kind of row B owns, once each (B's tables share an id range)."""
    return sorted({pk for ids in tenant_rows(tenant).values() for pk in ids})


@pytest.mark.parametrize("role", [Role.OWNER, Role.DEALER_ADMIN])
def test_a_user_of_a_cannot_read_or_change_any_object_of_b(world, rich_b, login, role):
    # given every dealer permission is the dealer admin's, and every staff permission the owner's
    # (so these two reach every page a role of their kind can)
    assert all(Role.DEALER_ADMIN in r for r in PERMISSIONS.values() if r & {Role.BUYER, Role.DEALER_FINANCE})
    assert all(
        Role.OWNER in r for r in PERMISSIONS.values() if r - {Role.DEALER_ADMIN, Role.BUYER, Role.DEALER_FINANCE}
    )
    # and B owns rows of every app
    tenant = rich_b.world.tenant
    kinds = tenant_rows(tenant)
    for label in ("catalog.Sku", "inventory.Stock", "orders.Order", "finance.Statement", "finance.Invoice",
                  "finance.Payment", "notify.WebhookSubscription", "api.ApiKey"):  # fmt: skip
        assert label in kinds, label
    client = login(world.user(role), Client())
    before = fingerprint(tenant)
    # when A's user requests every object page with B's ids (and, in string slots, the formats,
    # actions and B's payment numbers those pages take), reading and posting
    # then nothing is shown or done: not found, forbidden or method not allowed
    requested = probe(
        client,
        routes=id_routes(),
        pks=guessable_ids(tenant),
        data={"status": "suspended", "role": "owner", "regions": "110000", "amount": "1", "reason": "x"},
        hidden=[rich_b.world.dealer.code],
        words={"number": rich_b.payment_numbers},
    )
    # and not one of B's rows changed
    assert fingerprint(tenant) == before
    assert len(requested) > 100
