"""API test helpers: keys for any membership, a JSON client that sends them, a shop to order from."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass

import pytest
from django.test import Client

from dinghuo.accounts.models import Membership
from dinghuo.api.scopes import scopes_for_role
from dinghuo.api.services import api_key_create
from dinghuo.core.tenancy import Actor, tenant_context
from tests.orders.factories import make_shop

API = "/api/v1"


def make_key(membership: Membership, scopes: list[str] | None = None, **kwargs) -> str:
    """A key acting as ``membership`` (all the scopes its role can use unless given); returns the secret."""
    with tenant_context(membership.tenant_id):
        membership = Membership.objects.select_related("user").get(pk=membership.pk)
        new = api_key_create(
            actor=Actor.system(membership.tenant_id, "tests"),
            name=kwargs.pop("name", "test key"),
            membership=membership,
            scopes=scopes if scopes is not None else scopes_for_role(membership.role),
            **kwargs,
        )
    return new.secret


@dataclass
class Api:
    client: Client
    key: str | None = None

    def call(
        self,
        method: str,
        path: str,
        body=None,
        *,
        key: str | None = None,
        headers: dict | None = None,
        raw=None,
        content_length: str | None = None,
    ):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if content_length is not None:
            extra["CONTENT_LENGTH"] = content_length
        secret = key or self.key
        if secret:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        data = raw if raw is not None else (jsonlib.dumps(body) if body is not None else None)
        kwargs = {"content_type": "application/json"} if data is not None else {}
        if data is not None:
            kwargs["data"] = data
        return getattr(self.client, method.lower())(f"{API}{path}", **kwargs, **extra)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def shop(world):
    return make_shop(world)


@pytest.fixture
def keys(world, shop):
    """Keys of tenant A: owner (all scopes), warehouse, a dealer's buyer and admin, and the other dealer's admin."""
    from dinghuo.accounts.roles import Role

    return {
        "owner": make_key(world.staff[Role.OWNER]),
        "warehouse": make_key(world.staff[Role.WAREHOUSE]),
        "finance": make_key(world.staff[Role.FINANCE]),
        "buyer": make_key(world.dealer_users[Role.BUYER]),
        "dealer_admin": make_key(world.dealer_users[Role.DEALER_ADMIN]),
        "other_dealer": make_key(world.other_dealer_user),
    }
