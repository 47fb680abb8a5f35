"""The authorization matrix, built from the URL configuration: every API route that takes an object
id, called with a key of another tenant and with a key of another dealer, finds nothing (404 — or
403 where the dealer's role may not use the endpoint at all) and changes nothing."""

import re

import pytest
from django.urls import URLResolver, get_resolver

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Product
from dinghuo.config.api import api as project_api
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify.dispatch import fan_out
from dinghuo.notify.models import WebhookDelivery, WebhookSubscription
from dinghuo.notify.outbox import outbox_add
from dinghuo.notify.services import webhook_create
from dinghuo.orders.models import Allocation, Order, Shipment
from tests.api.conftest import make_key

BODIES = {
    ("POST", "/orders/{order_id}/cancel"): {"reason": "not mine"},
    ("POST", "/orders/{order_id}/shipments"): {
        "warehouse_code": "GZ",
        "carrier": "x",
        "tracking_no": "y",
        "lines": [{"line_no": 1, "qty_base": "1"}],
    },
    ("PATCH", "/webhooks/{webhook_id}"): {"description": "taken over", "url": "https://evil.example.com/x"},
}
API_ROOT = "api/v1/"
# Not owned by one dealer: every dealer of the tenant may read the catalog.
SHARED_WITHIN_TENANT = {"product_id"}


def url_patterns(resolver=None, prefix: str = ""):
    """(route, pattern) of every URL the product serves, walking its root URL configuration."""
    resolver = resolver or get_resolver("dinghuo.config.urls")
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, route)
        else:
            yield route, entry


def id_routes() -> list[tuple[str, str]]:
    """(method, path) of every API operation whose URL takes an object id, from the URL configuration."""
    schema = project_api.get_openapi_schema(path_prefix="")
    routes = []
    for route, pattern in url_patterns():
        if not route.startswith(API_ROOT) or "<" not in route:
            continue
        if pattern.name == "docs-asset":  # the Swagger UI's files, not an operation
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.removeprefix(API_ROOT))
        methods = schema["paths"].get(path)
        assert methods, f"{path} has a URL but no operation"
        routes += [(m.upper(), path) for m in methods]
    return sorted(routes)


def test_the_matrix_covers_every_id_route():
    params = {p for _m, path in id_routes() for p in re.findall(r"{(\w+)}", path)}
    assert params == {"product_id", "order_id", "shipment_id", "dealer_id", "webhook_id", "delivery_id"}, params
    assert len(id_routes()) >= 13


@pytest.fixture
def objects(world, shop, api, settings):
    """One object of each kind in tenant A, belonging to A's first dealer."""
    buyer = make_key(world.dealer_users[Role.BUYER])
    order = api.post("/orders", {"lines": [{"sku_code": "COLA", "qty": "2"}]}, key=buyer).json()
    owner = make_key(world.staff[Role.OWNER])
    with tenant_context(world.tenant):
        warehouse = Allocation.objects.filter(line__order_id=order["id"]).first().warehouse_id_snapshot
    ship = {
        "warehouse_id": warehouse,
        "carrier": "顺丰",
        "tracking_no": "SF1",
        "lines": [{"line_no": 1, "qty_base": "1"}],
    }
    shipment = api.post(f"/orders/{order['id']}/shipments", ship, key=owner).json()
    with tenant_context(world.tenant):
        sub = webhook_create(actor=world.actor(Role.OWNER), url="https://hooks.example.com/a", events=["*"])
        outbox_add(topic="order.created", aggregate=("order", order["id"]), payload={})
    fan_out()
    with tenant_context(world.tenant):
        delivery = WebhookDelivery.objects.first()
        deliveries = WebhookDelivery.objects.count()
        product = Product.objects.first()
    return {
        "order_id": order["id"],
        "shipment_id": shipment["id"],
        "dealer_id": world.dealer.pk,
        "webhook_id": sub.pk,
        "delivery_id": delivery.pk,
        "product_id": product.pk,
        "_number": order["number"],
        "_secret": sub.secret,
        "_deliveries": deliveries,
    }


def call_all(api, key, objects, skip=()):
    out = []
    for method, path in id_routes():
        if set(re.findall(r"{(\w+)}", path)) & set(skip):
            continue
        url = path.format(**objects)
        response = api.call(method, url, BODIES.get((method, path)), key=key)
        out.append((method, path, response))
    return out


def assert_nothing_changed(world, objects):
    with tenant_context(world.tenant):
        order = Order.objects.get(pk=objects["order_id"])
        assert order.status == Order.Status.PARTIALLY_SHIPPED
        assert Shipment.objects.filter(order=order).count() == 1
        sub = WebhookSubscription.objects.get(pk=objects["webhook_id"])
        assert (sub.url, sub.description, sub.secret) == ("https://hooks.example.com/a", "", objects["_secret"])
        assert WebhookDelivery.objects.count() == objects["_deliveries"]


def test_another_tenants_key_finds_nothing(api, world, world_b, objects):
    # given the owner of tenant B with every scope
    other_tenant = make_key(world_b.staff[Role.OWNER])
    # when it calls every id route with tenant A's ids
    results = call_all(api, other_tenant, objects)
    # then every one is 404 with the error body and no data
    for method, path, response in results:
        assert response.status_code == 404, (method, path, response.status_code, response.content[:300])
        body = response.json()
        assert set(body) == {"code", "message", "detail"} and body["code"].endswith("not_found"), (method, path)
        assert objects["_number"] not in response.content.decode()
    assert_nothing_changed(world, objects)


def test_another_dealers_key_finds_nothing(api, world, objects):
    # given the admin of the tenant's other dealer with every scope its role allows
    other_dealer = make_key(world.other_dealer_user)
    # when it calls every id route with the first dealer's ids
    results = call_all(api, other_dealer, objects, skip=SHARED_WITHIN_TENANT)
    # then each is not found — or forbidden where a dealer may not use the endpoint at all — with no data
    for method, path, response in results:
        assert response.status_code in (403, 404), (method, path, response.status_code, response.content[:300])
        body = response.json()
        assert set(body) == {"code", "message", "detail"}
        assert objects["_number"] not in response.content.decode() and body["code"] != "ok"
    not_found = {path for _m, path, r in results if r.status_code == 404}
    assert {"/orders/{order_id}", "/orders/{order_id}/cancel", "/shipments/{shipment_id}"} <= not_found
    assert "/finance/accounts/{dealer_id}" in not_found
    assert_nothing_changed(world, objects)


def test_the_own_dealer_and_tenant_do_find_them(api, world, objects):
    # the same calls with the right keys succeed: the 404s above are about ownership, not the routes
    buyer = make_key(world.dealer_users[Role.DEALER_ADMIN])
    owner = make_key(world.staff[Role.OWNER])
    assert api.get(f"/orders/{objects['order_id']}", key=buyer).status_code == 200
    assert api.get(f"/shipments/{objects['shipment_id']}", key=buyer).status_code == 200
    assert api.get(f"/finance/accounts/{objects['dealer_id']}", key=buyer).status_code == 200
    assert api.get(f"/dealers/{objects['dealer_id']}", key=owner).status_code == 200
    assert api.get(f"/webhooks/{objects['webhook_id']}", key=owner).status_code == 200
    assert api.get(f"/catalog/products/{objects['product_id']}", key=buyer).status_code == 200
