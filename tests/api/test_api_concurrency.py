"""Real concurrency on PostgreSQL: many connections at once, committed data (transactional tests)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.orders.models import Order
from tests.api.conftest import API, make_key
from tests.factories import make_world
from tests.orders.factories import make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_50_identical_requests_at_once_place_exactly_one_order():
    # given a buyer's key and one order body with one Idempotency-Key
    shop = make_shop(make_world("idem"))
    key = make_key(shop.world.dealer_users[Role.BUYER])
    body = '{"lines": [{"sku_code": "COLA", "qty": "1", "unit": "箱"}], "note": "PO-9001"}'
    barrier = threading.Barrier(50)

    def send(_i):
        try:
            barrier.wait(timeout=30)
            response = Client().post(
                f"{API}/orders",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
                HTTP_IDEMPOTENCY_KEY="PO-9001",
            )
            return response.status_code, response.json()
        finally:
            connections.close_all()

    # when 50 threads send it at the same moment, each on its own connection
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(send, range(50)))
    # then there is exactly one order; the others replayed it or were told it is still running
    statuses = [s for s, _b in results]
    assert set(statuses) <= {201, 409}, [r for r in results if r[0] not in (201, 409)][:3]
    created = [b for s, b in results if s == 201]
    assert created and all(b == created[0] for b in created)
    assert {b["code"] for s, b in results if s == 409} <= {"idempotency_in_progress"}
    with tenant_context(shop.tenant):
        assert Order.objects.count() == 1
        assert Order.objects.get().number == created[0]["number"]
    # and a retry afterwards replays the same response
    again = Client().post(
        f"{API}/orders", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IDEMPOTENCY_KEY="PO-9001",
    )  # fmt: skip
    assert (again.status_code, again.json()) == (201, created[0])
    print(f"\n50 concurrent identical requests: {statuses.count(201)}×201, {statuses.count(409)}×409, 1 order")


def test_the_rate_limit_holds_across_connections(settings):
    # given a limit of 20 an hour and 40 simultaneous requests of one key, on 40 connections
    settings.API_RATE_LIMIT = 20
    settings.API_RATE_WINDOW = 3600
    world = make_world("rate")
    key = make_key(world.staff[Role.OWNER])
    if time.time() % 3600 > 3590:  # not across a window boundary
        time.sleep(3600 - time.time() % 3600 + 0.5)
    barrier = threading.Barrier(40)

    def send(_i):
        try:
            barrier.wait(timeout=30)
            return Client().get(f"{API}/dealers", HTTP_AUTHORIZATION=f"Bearer {key}").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(send, range(40)))
    # then exactly 20 pass and 20 are refused: one counter row, updated atomically
    assert (statuses.count(200), statuses.count(429)) == (20, 20)


def test_a_twin_that_commits_between_the_check_and_the_record_is_replayed():
    # given a request with an Idempotency-Key whose twin commits its record while this one works
    # (PostgreSQL's snapshot is taken before the advisory lock is granted: the twin's row is unseen)
    from django.test import RequestFactory

    from dinghuo.api import idempotency
    from dinghuo.api.services import api_key_authenticate
    from dinghuo.core.idempotency import idempotency_record
    from dinghuo.notify.models import WebhookSubscription
    from dinghuo.notify.services import webhook_create

    world = make_world("twin")
    secret = make_key(world.staff[Role.OWNER])
    request = RequestFactory().post(f"{API}/webhooks", HTTP_IDEMPOTENCY_KEY="W-1")
    _key, request.actor = api_key_authenticate(secret=secret)
    body = {"url": "https://hooks.example.com/a", "events": ["*"]}
    twin_answer = {"id": 0, "from": "the twin"}

    def twin_commits(key):
        try:
            with tenant_context(world.tenant):
                idempotency_record(key, resource=("webhook", 0), status=201, body=twin_answer).save()
        finally:
            connections.close_all()

    def work():
        with tenant_context(world.tenant):
            key = idempotency.key_for(request, body)
            sub = webhook_create(actor=request.actor, **body)
        if not work.raced:
            work.raced = True
            thread = threading.Thread(target=twin_commits, args=[key])
            thread.start()
            thread.join()
        return 201, {"id": sub.pk}, ("webhook", sub.pk)

    work.raced = False
    # when it finishes its work and records its answer
    with tenant_context(world.tenant):
        answer = idempotency.run(request, body=body, work=work)
        made = WebhookSubscription.objects.count()
    # then its own work is rolled back and the twin's answer is replayed: one effect, no 500
    assert (answer.status_code, answer.value) == (201, twin_answer)
    assert made == 0
