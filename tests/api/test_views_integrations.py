import pytest

from dinghuo.accounts.roles import Role
from dinghuo.api.models import ApiKey
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from dinghuo.notify.outbox import outbox_add
from tests.api.conftest import API

pytestmark = pytest.mark.urls("tests.api.urls")


def test_an_admin_makes_a_key_and_sees_its_secret_once(world, login, client):
    # given the tenant's admin in the back office
    login(world.user(Role.ADMIN))
    warehouse = world.staff[Role.WAREHOUSE]
    # when they make a key acting as the warehouse user, scoped to stock
    response = client.post(
        "/bo/integrations/keys/", {"name": "WMS", "membership": warehouse.pk, "scopes": ["inventory"]}
    )
    # then the page shows the secret, uncached, and only its hash is stored
    assert response.status_code == 200, response.content[:2000]
    secret = response.context["secret"]
    assert secret.startswith("dh_live_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    with tenant_context(world.tenant):
        key = ApiKey.objects.get()
    assert key.secret_hash != secret and secret not in str(key.__dict__)
    assert (key.membership_id, key.scopes) == (warehouse.pk, ["inventory"])
    # and the list shows the prefix, never the secret
    listing = client.get("/bo/integrations/keys/").content.decode()
    assert key.prefix in listing and secret not in listing
    # and the key works for stock, not for orders
    assert client.get(f"{API}/stock", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert client.get(f"{API}/orders", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 403


def test_an_admin_cannot_make_a_key_acting_as_the_owner(world, login, client):
    # given an admin (not the owner)
    login(world.user(Role.ADMIN))
    owner = world.staff[Role.OWNER]
    # when they try to make a key acting as the owner
    response = client.post("/bo/integrations/keys/", {"name": "x", "membership": owner.pk, "scopes": ["orders"]})
    # then the form refuses it and no key exists
    assert response.status_code == 200
    with tenant_context(world.tenant):
        assert not ApiKey.objects.exists()


def test_revoking_a_key_from_the_back_office_stops_it(world, login, client):
    # given a key made in the back office
    login(world.user(Role.OWNER))
    response = client.post(
        "/bo/integrations/keys/", {"name": "ERP", "membership": world.staff[Role.OWNER].pk, "scopes": ["orders"]}
    )
    secret = response.context["secret"]
    with tenant_context(world.tenant):
        key = ApiKey.objects.get()
    # when it is revoked
    assert client.post(f"/bo/integrations/keys/{key.pk}/revoke/").status_code == 302
    # then it is refused with its own code
    refused = client.get(f"{API}/orders", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert refused.status_code == 401 and refused.json()["code"] == "api_key_revoked"


def test_staff_without_the_permission_cannot_open_the_pages(world, login, client):
    # given a sales rep
    login(world.user(Role.SALES_REP))
    # when they open the integration pages
    # then both are forbidden
    assert client.get("/bo/integrations/keys/").status_code == 403
    assert client.get("/bo/integrations/webhooks/").status_code == 403


def test_a_dealer_admin_manages_keys_of_its_own_dealer_only(world, login, client):
    # given a dealer admin in the portal
    login(world.user(Role.DEALER_ADMIN))
    page = client.get("/portal/integrations/keys/")
    assert page.status_code == 200
    with tenant_context(world.tenant):
        choices = {m.pk for m in page.context["form"].fields["membership"].queryset}
    # then only its own dealer's users can be chosen
    assert choices == {m.pk for m in world.dealer_users.values()}
    # when it makes a key for its buyer
    buyer = world.dealer_users[Role.BUYER]
    made = client.post("/portal/integrations/keys/", {"name": "ERP", "membership": buyer.pk, "scopes": ["orders"]})
    assert made.status_code == 200 and made.context["secret"]
    # and cannot pick the other dealer's user
    other = client.post(
        "/portal/integrations/keys/", {"name": "x", "membership": world.other_dealer_user.pk, "scopes": ["orders"]}
    )
    assert other.status_code == 200
    with tenant_context(world.tenant):
        assert list(ApiKey.objects.values_list("dealer_id", flat=True)) == [world.dealer.pk]


def test_a_webhook_is_made_shown_once_and_its_deliveries_can_be_resent(world, login, client):
    # given the owner subscribes a URL
    login(world.user(Role.OWNER))
    response = client.post(
        "/bo/integrations/webhooks/",
        {"url": "https://erp.example.com/hooks", "events": ["order.created"], "description": "ERP", "is_active": "on"},
    )
    assert response.status_code == 200, response.content[:1000]
    sub = response.context["sub"]
    assert sub.secret.startswith("whsec_") and sub.secret in response.content.decode()
    # and an event was delivered (here: queued for it)
    from dinghuo.notify.dispatch import fan_out

    with tenant_context(world.tenant):
        outbox_add(topic="order.created", aggregate=("order", 1), payload={"order_id": 1})
    fan_out()
    with tenant_context(world.tenant):
        delivery = WebhookDelivery.objects.get()
    # when the detail page is opened and the delivery resent
    detail = client.get(f"/bo/integrations/webhooks/{sub.pk}/")
    assert detail.status_code == 200 and "order.created" in detail.content.decode()
    assert sub.secret not in detail.content.decode()
    assert client.post(f"/bo/integrations/deliveries/{delivery.pk}/redeliver/").status_code == 302
    # then a manual delivery of the same event is queued
    with tenant_context(world.tenant):
        assert WebhookDelivery.objects.filter(manual=True, event_id=delivery.event_id).count() == 1
        assert OutboxEvent.objects.count() == 1
    # and rotating shows the new secret; deleting removes the subscription
    rotated = client.post(f"/bo/integrations/webhooks/{sub.pk}/rotate/")
    assert rotated.status_code == 200 and rotated.context["sub"].secret != sub.secret
    assert client.post(f"/bo/integrations/webhooks/{sub.pk}/delete/").status_code == 302
    with tenant_context(world.tenant):
        assert not WebhookSubscription.objects.exists()


def test_a_webhook_url_to_a_private_address_is_refused(world, login, client, settings):
    # given private addresses are not allowed (the default)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    login(world.user(Role.OWNER))
    # when the owner subscribes an internal address
    response = client.post("/bo/integrations/webhooks/", {"url": "http://127.0.0.1:8080/x", "events": ["*"]})
    # then the form says why and nothing is made
    assert response.status_code == 200
    with tenant_context(world.tenant):
        assert not WebhookSubscription.objects.exists()


def test_the_product_itself_serves_the_integration_pages():
    # given the product's own URL configuration (not this directory's tests.api.urls)
    from django.urls import Resolver404, resolve

    # then the back office's key and webhook pages and the portal's key page resolve in it
    missing = []
    for path in ("/bo/integrations/keys/", "/bo/integrations/webhooks/", "/portal/integrations/keys/"):
        try:
            resolve(path, urlconf="dinghuo.config.urls")
        except Resolver404:
            missing.append(path)
    assert not missing, missing
