"""Delivery rounds (notify/dispatch.py): fan-out, signed delivery, backoff, order per aggregate, SSRF refusal."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify import dispatch, http
from dinghuo.notify.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from dinghuo.notify.outbox import outbox_add
from dinghuo.notify.services import webhook_create, webhook_rotate_secret
from dinghuo.notify.verify import ReplayCache, verify_signature
from tests.api.conftest import make_key
from tests.api.receiver import Receiver

D = WebhookDelivery.Status


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOKS_CONCURRENCY = 1  # one connection: the test's transaction is not visible to others
    settings.WEBHOOKS_TIMEOUT = 3
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    settings.WEBHOOKS_BACKOFF_BASE = 10


def subscribe(world, url, events=("*",)):
    with tenant_context(world.tenant):
        return webhook_create(actor=world.actor(Role.OWNER), url=url, events=list(events))


def event(world, topic, aggregate, **payload):
    with tenant_context(world.tenant):
        return outbox_add(topic=topic, aggregate=aggregate, payload=payload)


def run_until_idle(rounds=20):
    for _ in range(rounds):
        if not (dispatch.fan_out() + dispatch.deliver_due()):
            return
    raise AssertionError("the dispatcher never went idle")


def fast_forward():
    """Make every retry due now (instead of sleeping through the backoff)."""
    WebhookDelivery.unscoped.filter(status=D.RETRYING).update(next_attempt_at=timezone.now())


def test_api_events_reach_the_subscriber_signed_and_in_order(api, world, shop):
    with Receiver() as receiver:
        # given a subscription and an order placed then cancelled through the API
        sub = subscribe(world, receiver.url)
        buyer = make_key(world.dealer_users[Role.BUYER])
        order = api.post("/orders", {"lines": [{"sku_code": "COLA", "qty": "1"}]}, key=buyer).json()
        api.post(f"/orders/{order['id']}/cancel", {"reason": "test"}, key=buyer)
        # when the dispatcher runs
        run_until_idle()
    # then the three events arrived in order, each signed with the subscription's secret
    got = [(r["body"]["type"], r["body"]["data"].get("to")) for r in receiver.received]
    assert got == [("order.created", None), ("order.status_changed", "approved"), ("order.status_changed", "cancelled")]
    for r in receiver.received:
        assert verify_signature(r["headers"]["Dinghuo-Signature"], r["raw"], [sub.secret], replay_cache=ReplayCache())
        assert r["headers"]["Dinghuo-Event-Id"] == r["body"]["id"] and r["headers"]["Dinghuo-Attempt"] == "1"
        assert r["body"]["tenant"] == world.tenant.code and r["body"]["aggregate"] == {
            "type": "order",
            "id": str(order["id"]),
        }
    assert receiver.received[0]["body"]["data"]["total"] == "72.00"  # money stays a string
    with tenant_context(world.tenant):
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {D.SUCCEEDED}
        assert WebhookAttempt.objects.filter(response_code=200).count() == 3


def test_only_subscribed_events_of_the_own_tenant_are_delivered(world, world_b):
    with Receiver() as receiver:
        subscribe(world, receiver.url, events=["stock.low"])
        event(world, "order.created", ("order", 1))
        event(world, "stock.low", ("stock", 7), available="3")
        event(world_b, "stock.low", ("stock", 8), available="1")
        run_until_idle()
    assert [r["body"]["data"] for r in receiver.received] == [{"available": "3"}]


def test_a_new_subscription_receives_no_event_from_before_it_existed(world):
    with Receiver() as receiver:
        # given events written before the subscription was made (e.g. the demo's), not yet fanned out
        before = event(world, "order.created", ("order", 1), n=1)
        sub = subscribe(world, receiver.url)
        at_once = event(world, "order.created", ("order", 2), n=2)
        OutboxEvent.unscoped.filter(pk=at_once.pk).update(created_at=sub.created_at)  # the same instant
        after = event(world, "order.created", ("order", 3), n=3)
        assert before.created_at < sub.created_at < after.created_at
        # when the dispatcher runs
        run_until_idle()
    # then only the events created at or after the subscription reached it; the old one is dispatched
    assert [r["body"]["data"]["n"] for r in receiver.received] == [2, 3]
    assert not OutboxEvent.unscoped.filter(dispatched_at__isnull=True).exists()


def test_a_failing_receiver_is_retried_with_backoff_then_abandoned(world):
    with Receiver(status=500) as receiver:
        # given a receiver that always fails
        subscribe(world, receiver.url)
        event(world, "order.created", ("order", 1))
        dispatch.fan_out()
        delays = []
        # when the dispatcher keeps trying
        for _ in range(3):
            before = timezone.now()
            assert dispatch.deliver_due() == 1
            delivery = WebhookDelivery.unscoped.get()
            if delivery.next_attempt_at:
                delays.append((delivery.next_attempt_at - before).total_seconds())
            fast_forward()
    # then each pause doubles (10 s, 20 s, ±10 %), and after 3 attempts it is abandoned
    assert len(delays) == 2 and 8.9 <= delays[0] <= 11.1 and 17.9 <= delays[1] <= 22.1
    assert (delivery.status, delivery.attempts, delivery.response_code) == (D.ABANDONED, 3, 500)
    assert len(receiver.received) == 3
    assert list(WebhookAttempt.unscoped.order_by("number").values_list("number", "response_code")) == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]


def test_a_later_event_of_an_order_waits_for_the_earlier_one(world):
    failures = {"left": 2}

    def flaky(doc, headers):
        if doc["data"].get("n") == 1 and failures["left"]:
            failures["left"] -= 1
            return 503
        return 200

    with Receiver(status=flaky) as receiver:
        # given two events of order 1 and one of order 2; the first of order 1 fails twice
        subscribe(world, receiver.url)
        event(world, "order.created", ("order", 1), n=1)
        event(world, "order.status_changed", ("order", 1), n=2)
        event(world, "order.created", ("order", 2), n=3)
        # when the dispatcher runs, and the retries come due
        run_until_idle()
        assert [r["body"]["data"]["n"] for r in receiver.received] == [1, 3]  # order 1's n=2 waits
        fast_forward()
        run_until_idle()
        assert [r["body"]["data"]["n"] for r in receiver.received] == [1, 3, 1]
        fast_forward()
        run_until_idle()
    # then order 1's events arrived in order, order 2 was never held up
    assert [r["body"]["data"]["n"] for r in receiver.received] == [1, 3, 1, 1, 2]


def test_an_abandoned_event_no_longer_holds_up_the_next(world, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    with Receiver(status=lambda doc, h: 500 if doc["data"]["n"] == 1 else 200) as receiver:
        subscribe(world, receiver.url)
        event(world, "order.created", ("order", 1), n=1)
        event(world, "order.status_changed", ("order", 1), n=2)
        run_until_idle()
    assert [r["body"]["data"]["n"] for r in receiver.received] == [1, 2]
    assert list(WebhookDelivery.unscoped.order_by("event_id").values_list("status", flat=True)) == [
        D.ABANDONED,
        D.SUCCEEDED,
    ]


def test_a_delivery_whose_worker_died_is_sent_again_when_its_lease_ends(world):
    with Receiver() as receiver:
        # given a delivery claimed by a worker that then died (no outcome recorded)
        subscribe(world, receiver.url)
        event(world, "order.created", ("order", 1))
        dispatch.fan_out()
        config = dispatch.Config.load()
        (pk,) = dispatch.due_ids()
        assert dispatch.claim(pk, config=config) == 1
        # then nobody sends it while the lease lasts
        assert dispatch.deliver_due() == 0
        # when the lease has run out
        WebhookDelivery.unscoped.filter(pk=pk).update(leased_until=timezone.now() - dt.timedelta(seconds=1))
        run_until_idle()
    # then it is delivered (attempt 2), and nothing was lost
    delivery = WebhookDelivery.unscoped.get(pk=pk)
    assert (delivery.status, delivery.attempts) == (D.SUCCEEDED, 2)
    assert receiver.event_ids() == [delivery.event_id]


def test_a_stale_worker_cannot_overwrite_the_outcome_of_a_newer_attempt(world):
    subscribe(world, "https://hooks.example.com/x")
    event(world, "order.created", ("order", 1))
    dispatch.fan_out()
    config = dispatch.Config.load()
    (pk,) = dispatch.due_ids()
    dispatch.claim(pk, config=config)
    WebhookDelivery.unscoped.filter(pk=pk).update(leased_until=timezone.now() - dt.timedelta(seconds=1))
    assert dispatch.claim(pk, config=config) == 2  # another worker took it over
    delivery = WebhookDelivery.unscoped.get(pk=pk)
    late = dispatch.record(
        delivery, attempt=1, started_at=timezone.now(), result=http.PostResult(status=200, ms=5), config=config
    )
    assert late is None and WebhookDelivery.unscoped.get(pk=pk).status == D.DELIVERING


def test_manual_redelivery_sends_the_event_again(world):
    from dinghuo.notify.services import webhook_redeliver

    with Receiver() as receiver:
        subscribe(world, receiver.url)
        event(world, "order.created", ("order", 1))
        run_until_idle()
        with tenant_context(world.tenant):
            again = webhook_redeliver(actor=world.actor(Role.OWNER), delivery_id=WebhookDelivery.objects.get().pk)
        run_until_idle()
    assert again.manual and len(receiver.received) == 2
    assert receiver.received[0]["body"] == receiver.received[1]["body"]
    assert receiver.received[0]["headers"]["Dinghuo-Delivery"] != receiver.received[1]["headers"]["Dinghuo-Delivery"]


def test_during_secret_rotation_deliveries_carry_both_signatures(world):
    with Receiver() as receiver:
        sub = subscribe(world, receiver.url)
        old = sub.secret
        with tenant_context(world.tenant):
            new = webhook_rotate_secret(actor=world.actor(Role.OWNER), subscription_id=sub.pk).secret
        event(world, "order.created", ("order", 1))
        run_until_idle()
    header, raw = receiver.received[0]["headers"]["Dinghuo-Signature"], receiver.received[0]["raw"]
    assert header.count("v1=") == 2
    assert verify_signature(header, raw, [old], replay_cache=ReplayCache())
    assert verify_signature(header, raw, [new], replay_cache=ReplayCache())


def test_private_addresses_are_refused_unless_allowed(world, settings):
    # given the default: private addresses not allowed
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with Receiver() as receiver:
        settings.WEBHOOKS_ALLOW_PRIVATE = True
        subscribe(world, receiver.url)  # made while allowed (a developer's setting), then switched off
        settings.WEBHOOKS_ALLOW_PRIVATE = False
        event(world, "order.created", ("order", 1))
        run_until_idle()
    # then nothing reached the address and the log says why
    assert receiver.received == []
    delivery = WebhookDelivery.unscoped.get()
    assert delivery.status == D.RETRYING and delivery.error.startswith("refused:") and "127.0.0.1" in delivery.error


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_address_classification(address, public, settings):
    assert http.is_public(address) is public


def test_names_resolving_to_private_addresses_are_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(http.UnsafeDestination):
        http.resolve("localhost", 80)
    for url in ["http://localhost/x", "http://10.0.0.1/x", "ftp://a.example.com/", "http://u:p@a.example.com/"]:
        result = http.post(url, b"{}", {})
        assert result.status is None and result.error.startswith("refused"), url


def test_redirects_are_not_followed(world, settings):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = http.post(f"http://127.0.0.1:{server.server_address[1]}/", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()
    assert result.status == 302 and not result.ok and "redirect" in result.error


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_during_the_http_call(world, monkeypatch, settings):
    seen = []

    def post(url, body, headers, timeout):
        seen.append(connection.in_atomic_block)
        return http.PostResult(status=200, ms=1)

    monkeypatch.setattr(http, "post", post)
    subscribe(world, "https://hooks.example.com/x")
    event(world, "order.created", ("order", 1))
    run_until_idle()
    assert seen == [False]
    assert json.loads(dispatch.event_body(WebhookDelivery.unscoped.get().event, world.tenant.code))["type"] == (
        "order.created"
    )
