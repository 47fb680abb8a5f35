import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify.dispatch import fan_out
from dinghuo.notify.models import WebhookDelivery
from dinghuo.notify.outbox import outbox_add
from tests.api.conftest import make_key

HOOK = {"url": "https://erp.example.com/dinghuo", "events": ["order.created", "order.status_changed"]}


def test_webhooks_are_managed_through_the_api(api, world, keys):
    key = keys["owner"]
    # when a subscription is made
    made = api.post("/webhooks", HOOK, key=key)
    # then its secret is in that response only
    assert made.status_code == 201, made.content
    sub = made.json()
    assert sub["secret"].startswith("whsec_") and sub["events"] == sorted(HOOK["events"])
    got = api.get(f"/webhooks/{sub['id']}", key=key).json()
    assert "secret" not in got and got["url"] == HOOK["url"]
    assert [s["id"] for s in api.get("/webhooks", key=key).json()["items"]] == [sub["id"]]
    # and it can be changed, paused, rotated and deleted
    changed = api.call("PATCH", f"/webhooks/{sub['id']}", {"events": ["*"], "is_active": False}, key=key).json()
    assert (changed["events"], changed["is_active"]) == (["*"], False)
    rotated = api.post(f"/webhooks/{sub['id']}/rotate-secret", key=key).json()
    assert rotated["secret"] != sub["secret"] and rotated["rotating_until"]
    assert api.call("DELETE", f"/webhooks/{sub['id']}", key=key).status_code == 204
    assert api.get(f"/webhooks/{sub['id']}", key=key).status_code == 404


def test_unknown_event_types_and_bad_urls_are_refused(api, keys, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    bad_event = api.post("/webhooks", {**HOOK, "events": ["order.eaten"]}, key=keys["owner"])
    assert bad_event.status_code == 400 and bad_event.json()["code"] == "event_type_unknown"
    for url in ["ftp://erp.example.com/x", "http://169.254.169.254/latest", "http://localhost:8000/x", "notaurl"]:
        refused = api.post("/webhooks", {**HOOK, "url": url}, key=keys["owner"])
        assert refused.status_code in (400, 422), (url, refused.content)
    types = {t["type"] for t in api.get("/webhooks/event-types", key=keys["owner"]).json()}
    assert {"order.created", "order.status_changed", "shipment.created", "stock.low", "credit.overdue"} <= types


def test_the_delivery_log_and_redelivery(api, world, keys):
    key = keys["owner"]
    sub = api.post("/webhooks", HOOK, key=key).json()
    with tenant_context(world.tenant):
        outbox_add(topic="order.created", aggregate=("order", 5), payload={"order_id": 5})
    fan_out()
    log = api.get(f"/webhooks/{sub['id']}/deliveries", key=key).json()["items"]
    assert [(d["event"], d["status"], d["aggregate"]) for d in log] == [("order.created", "pending", "order:5")]
    headers = {"Idempotency-Key": "again-1"}
    again = api.post(f"/webhooks/deliveries/{log[0]['id']}/redeliver", key=key, headers=headers)
    replay = api.post(f"/webhooks/deliveries/{log[0]['id']}/redeliver", key=key, headers=headers)
    assert again.status_code == 202 and again.json()["manual"] is True and replay.json() == again.json()
    with tenant_context(world.tenant):
        assert WebhookDelivery.objects.filter(manual=True).count() == 1


def test_creating_a_webhook_is_idempotent(api, keys):
    headers = {"Idempotency-Key": "hook-1"}
    first = api.post("/webhooks", HOOK, key=keys["owner"], headers=headers)
    second = api.post("/webhooks", HOOK, key=keys["owner"], headers=headers)
    assert (first.status_code, second.status_code) == (201, 201) and first.json() == second.json()
    assert len(api.get("/webhooks", key=keys["owner"]).json()["items"]) == 1
    conflict = api.post("/webhooks", {**HOOK, "description": "other"}, key=keys["owner"], headers=headers)
    assert conflict.status_code == 422 and conflict.json()["code"] == "idempotency_key_reused"


def test_only_owners_and_admins_manage_webhooks(api, world, keys):
    assert api.get("/webhooks", key=keys["buyer"]).status_code == 403
    assert api.get("/webhooks", key=make_key(world.staff[Role.SALES_REP])).status_code == 403
    assert api.get("/webhooks", key=make_key(world.staff[Role.ADMIN])).status_code == 200


def test_a_retried_rotation_rotates_once_and_keeps_the_secret_receivers_hold(api, world, keys):
    # given a subscription whose receivers hold its first secret
    key = keys["owner"]
    sub = api.post("/webhooks", HOOK, key=key).json()
    headers = {"Idempotency-Key": "rotate-1"}
    # when a rotation is sent twice with one Idempotency-Key (the first answer was lost)
    first = api.post(f"/webhooks/{sub['id']}/rotate-secret", key=key, headers=headers)
    again = api.post(f"/webhooks/{sub['id']}/rotate-secret", key=key, headers=headers)
    # then the secret was rotated once: the retry shows the same new secret, and the first still signs
    assert (first.status_code, again.status_code) == (200, 200) and again.json() == first.json()
    from dinghuo.notify.models import WebhookSubscription

    with tenant_context(world.tenant):
        stored = WebhookSubscription.objects.get(pk=sub["id"])
    assert (stored.secret, stored.previous_secret) == (first.json()["secret"], sub["secret"])


def test_every_topic_the_code_writes_to_the_outbox_can_be_subscribed_to(api, keys):
    # given every topic written to the outbox anywhere in the source (literal, or credit.<kind>)
    import re
    from pathlib import Path

    from dinghuo.notify.events import EVENT_TYPES

    src = Path(__file__).resolve().parents[2] / "src" / "dinghuo"
    written = {m for p in src.rglob("*.py") for m in re.findall(r'topic="([a-z_]+\.[a-z_]+)"', p.read_text())}
    written |= {"credit.overdue", "credit.due_soon"}  # finance/receivables.py: topic=f"credit.{kind}"
    assert {"order.created", "stock.low", "statement.disputed"} <= written
    # then each is a known event type, offered by the API and accepted in a subscription
    assert written <= set(EVENT_TYPES), written - set(EVENT_TYPES)
    offered = {t["type"] for t in api.get("/webhooks/event-types", key=keys["owner"]).json()}
    assert offered == set(EVENT_TYPES)
    made = api.post("/webhooks", {**HOOK, "events": sorted(written)}, key=keys["owner"])
    assert made.status_code == 201 and made.json()["events"] == sorted(written)


def test_every_row_lock_of_webhooks_and_the_api_is_taken_in_a_locks_module():
    from pathlib import Path

    import dinghuo

    root = Path(dinghuo.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for app in ("notify", "api")
        for path in (root / app).rglob("*.py")
        if path.name != "locks.py" and "select_for_update" in path.read_text()
    ]
    assert offenders == []


def test_a_subscription_is_locked_only_within_its_tenant(world, world_b):
    from dinghuo.notify.errors import WebhookNotFound
    from dinghuo.notify.locks import lock_subscription
    from dinghuo.notify.services import webhook_create

    with tenant_context(world_b.tenant):
        other = webhook_create(actor=world_b.actor(Role.OWNER), url=HOOK["url"], events=["*"])
    with tenant_context(world.tenant):
        mine = webhook_create(actor=world.actor(Role.OWNER), url=HOOK["url"], events=["*"])
        assert lock_subscription(subscription_id=mine.pk) == mine
        with pytest.raises(WebhookNotFound):
            lock_subscription(subscription_id=other.pk)
