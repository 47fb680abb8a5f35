"""Invariant 1 through every page, against a tenant B that owns rows of every app.

tests/web/test_isolation.py walks every object page with ids of the rows the foundation fixture
makes (dealers, users, addresses …). Here tenant B also has a catalog, warehouses and stock, an
order, a credit account with its ledger, a statement, a payment, a webhook and an API key, so the
id guessing reaches the order, catalog, inventory, finance and integration pages too — and it is
done both as tenant A's owner and as tenant A's dealer admin.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from dinghuo.accounts.permissions import PERMISSIONS
from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.finance.payments import payment_record
from dinghuo.finance.statements import statement_generate
from dinghuo.notify.services import webhook_create
from dinghuo.orders.placement import order_place
from dinghuo.pricing.engine import CartItem
from tests.api.conftest import make_key
from tests.orders.factories import make_shop
from tests.web.test_isolation import fingerprint, id_routes, tenant_rows, url_for


@pytest.fixture
def rich_b(world_b):
    shop = make_shop(world_b)
    system = Actor.system(world_b.tenant.pk, "tests")
    with tenant_context(world_b.tenant, system):
        order_place(
            actor=system,
            dealer_id=shop.dealer.pk,
            items=[CartItem(sku_id=shop.skus["COLA"].pk, qty=Decimal(2), unit="箱")],
        )
        today = timezone.localdate()
        statement_generate(actor=system, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today)
        payment_record(
            actor=system,
            dealer_id=shop.dealer.pk,
            method="transfer",
            amount=Decimal("10.00"),
            paid_on=today - dt.timedelta(days=1),
        )
        webhook_create(actor=system, url="https://erp.example.com/hook", events=["order.created"])
    make_key(world_b.staff[Role.OWNER])
    make_key(world_b.dealer_users[Role.DEALER_ADMIN])
    return world_b


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
    kinds = tenant_rows(rich_b.tenant)
    for label in ("catalog.Sku", "inventory.Stock", "orders.Order", "finance.Statement", "finance.Payment",
                  "notify.WebhookSubscription", "api.ApiKey"):  # fmt: skip
        assert label in kinds, label
    client = login(world.user(role), Client())
    before = fingerprint(rich_b.tenant)
    # when A's user requests every object page with B's ids, reading and posting
    requests = 0
    for route in id_routes():
        for pk in guessable_ids(rich_b.tenant):
            url = url_for(route, pk)
            for method in ("get", "post"):
                response = getattr(client, method)(
                    url, {"status": "suspended", "role": "owner", "regions": "110000", "amount": "1", "reason": "x"}
                )
                requests += 1
                # then nothing is shown or done: not found, forbidden or method not allowed
                assert response.status_code in {403, 404, 405}, (method, url, response.status_code)
                if response.status_code != 405:
                    assert rich_b.dealer.code.encode() not in response.content, url
    # and not one of B's rows changed
    assert fingerprint(rich_b.tenant) == before
    assert requests > 100
