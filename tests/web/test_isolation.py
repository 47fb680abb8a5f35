"""Invariant 1 through every page: tenant A's users can neither read nor change tenant B's rows.

The URL configuration is walked, so a page added later is covered the day it is added: every
route that takes an object id is called, as GET and as POST, with ids of tenant B's real rows.
"""

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import TenantModel, all_tenants

ID_PARAM = re.compile(r"<(?:int|str|slug|uuid):(\w+)>")
PAGE_PREFIXES = ("bo/", "portal/", "accounts/")


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def id_routes():
    return sorted({r for r in walk(get_resolver().url_patterns) if r.startswith(PAGE_PREFIXES) and ID_PARAM.search(r)})


def tenant_rows(tenant) -> dict[str, list[int]]:
    """One row id per tenant-scoped model (first and last), for id guessing."""
    out = {}
    with all_tenants():
        for model in apps.get_models():
            if issubclass(model, TenantModel):
                ids = list(model.unscoped.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))
                if ids:
                    out[model._meta.label] = sorted({ids[0], ids[-1]})
    return out


def fingerprint(tenant) -> dict:
    with all_tenants():
        return {
            model._meta.label: sorted(map(str, model.unscoped.filter(tenant=tenant).values_list()))
            for model in apps.get_models()
            if issubclass(model, TenantModel)
        }


def url_for(route: str, value: int) -> str:
    return "/" + ID_PARAM.sub(str(value), route)


def test_the_walk_finds_the_object_pages():
    routes = id_routes()
    assert "bo/dealers/<int:pk>/" in routes
    assert "portal/account/users/<int:pk>/disable/" in routes


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.FINANCE, Role.SALES_REP])
def test_staff_of_a_cannot_read_or_change_any_object_of_b(world, world_b, login, role):
    # given a signed-in staff member of tenant A and the ids of every kind of row tenant B owns
    client = login(world.user(role), Client())
    targets = tenant_rows(world_b.tenant)
    before = fingerprint(world_b.tenant)
    # when they request every object page with B's ids, reading and posting
    seen = []
    for route in id_routes():
        for ids in targets.values():
            for pk in ids:
                url = url_for(route, pk)
                for method in ("get", "post"):
                    response = getattr(client, method)(
                        url, {"status": "suspended", "role": "owner", "regions": "110000"}
                    )
                    seen.append((method, url, response.status_code))
                    # then nothing is shown or done: not found, forbidden or method not allowed
                    assert response.status_code in {403, 404, 405}, (method, url, response.status_code)
                    if response.status_code != 405:
                        assert world_b.dealer.code.encode() not in response.content
    assert fingerprint(world_b.tenant) == before
    assert len(seen) > 50


def test_lists_of_a_never_show_rows_of_b(world, world_b, login):
    client = login(world.user(Role.OWNER), Client())
    for path in ["/bo/dealers/", f"/bo/dealers/?q={world_b.dealer.code}", "/bo/users/", "/bo/audit/", "/bo/"]:
        body = client.get(path).content.decode()
        # (a searched-for code is echoed in the search box, so look for it as shown content)
        assert f">{world_b.dealer.code}<" not in body, path
        assert world_b.staff[Role.FINANCE].user.username not in body, path


def test_dealer_users_are_confined_to_their_own_dealer(world, login):
    # given a buyer of dealer X and a dealer admin of X
    buyer = login(world.user(Role.BUYER), Client())
    admin = login(world.user(Role.DEALER_ADMIN), Client())
    # then the back office is closed to them
    for path in ["/bo/", "/bo/dealers/", f"/bo/dealers/{world.dealer.pk}/", "/bo/users/", "/bo/audit/"]:
        assert buyer.get(path).status_code == 403, path
    # and the portal shows only their dealer
    body = buyer.get("/portal/account/").content.decode()
    assert world.dealer.code in body and world.other_dealer.code not in body
    # and a dealer admin cannot disable a user of another dealer by guessing its id
    victim = world.other_dealer_user
    assert admin.post(f"/portal/account/users/{victim.pk}/disable/").status_code == 404
    victim.refresh_from_db()
    assert victim.is_active
    # and a buyer cannot manage sub-users at all
    assert buyer.post("/portal/account/users/", {"username": "x"}).status_code == 403


def test_role_permissions_hold_on_pages(world, login):
    warehouse = login(world.user(Role.WAREHOUSE), Client())
    assert warehouse.get("/bo/users/").status_code == 403
    assert warehouse.get("/bo/audit/").status_code == 403
    assert warehouse.get(f"/bo/dealers/{world.dealer.pk}/edit/").status_code == 403
    rep = login(world.user(Role.SALES_REP), Client())
    assert rep.get("/bo/dealers/").status_code == 200
    # a sales rep sees only their own dealers
    assert rep.get(f"/bo/dealers/{world.other_dealer.pk}/").status_code == 404
    assert rep.post(f"/bo/dealers/{world.dealer.pk}/status/", {"status": "suspended"}).status_code == 403
    world.dealer.refresh_from_db()
    assert world.dealer.status == "active"


def test_dealer_list_queries_are_bounded(world, login, django_assert_max_num_queries):
    from tests.factories import make_dealer

    for _ in range(30):
        make_dealer(world.tenant, sales_rep=world.user(Role.SALES_REP), parent=world.dealer)
    client = login(world.user(Role.OWNER), Client())
    with django_assert_max_num_queries(12):
        response = client.get("/bo/dealers/")
    assert response.status_code == 200
