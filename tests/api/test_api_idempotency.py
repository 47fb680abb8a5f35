"""Idempotency-Key semantics not covered by the order tests: a twin still running (409) and retention."""

import datetime as dt
import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.api.models import ApiKey
from dinghuo.core.idempotency import IdempotencyKey, idempotency_claim
from dinghuo.core.models import IdempotencyRecord
from dinghuo.core.tenancy import all_tenants, tenant_context
from dinghuo.notify.dispatch import housekeeping
from dinghuo.notify.models import WebhookSubscription
from tests.api.conftest import API, make_key
from tests.factories import make_world

HOOK = {"url": "https://erp.example.com/dinghuo", "events": ["order.created"]}


def test_a_key_kept_past_its_time_is_free_again_and_purged(api, world):
    # given a webhook made with an Idempotency-Key whose record has outlived its retention
    key = make_key(world.staff[Role.OWNER])
    headers = {"Idempotency-Key": "hook-ttl"}
    assert api.post("/webhooks", HOOK, key=key, headers=headers).status_code == 201
    with tenant_context(world.tenant):
        IdempotencyRecord.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    # when the key is used again, even with another body
    again = api.post("/webhooks", {**HOOK, "description": "next day"}, key=key, headers=headers)
    # then it is a new request (not 422 idempotency_key_reused): a second subscription
    assert again.status_code == 201, again.content
    with tenant_context(world.tenant):
        assert WebhookSubscription.objects.count() == 2
        # and the worker's housekeeping deletes records past their time, keeping the others
        IdempotencyRecord.objects.create(
            scope="key:0", key="old", request_hash="x", expires_at=timezone.now() - dt.timedelta(hours=1)
        )
    housekeeping()
    with all_tenants():
        assert list(IdempotencyRecord.unscoped.values_list("key", flat=True)) == ["hook-ttl"]


def test_records_are_kept_for_the_documented_time(api, world, settings):
    # given the documented retention (24 h by default, DINGHUO_IDEMPOTENCY_TTL_HOURS)
    assert settings.IDEMPOTENCY_TTL_HOURS == 24
    key = make_key(world.staff[Role.OWNER])
    before = timezone.now()
    api.post("/webhooks", HOOK, key=key, headers={"Idempotency-Key": "hook-kept"})
    with tenant_context(world.tenant):
        expires = IdempotencyRecord.objects.get(key="hook-kept").expires_at
    assert dt.timedelta(hours=24) <= expires - before < dt.timedelta(hours=24, minutes=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_still_runs_is_409():
    # given a request with key "slow-1" that is still running (its transaction holds the key)
    world = make_world("twin409")
    secret = make_key(world.staff[Role.OWNER])
    with tenant_context(world.tenant):
        api_key = ApiKey.objects.get()
    claimed, release = threading.Event(), threading.Event()

    def first_request():
        try:
            with tenant_context(world.tenant), transaction.atomic():
                idempotency_claim(IdempotencyKey.of(scope=f"key:{api_key.pk}", key="slow-1", body={}))
                claimed.set()
                release.wait(30)
        finally:
            connections.close_all()

    running = threading.Thread(target=first_request)
    running.start()
    try:
        assert claimed.wait(30)
        # when the client retries with the same key
        retry = Client().post(f"{API}/webhooks", HOOK, content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_IDEMPOTENCY_KEY="slow-1")  # fmt: skip
        # then it is told to retry later, with the error body, and did nothing
        assert retry.status_code == 409, retry.content
        assert retry.json()["code"] == "idempotency_in_progress"
        with tenant_context(world.tenant):
            assert not WebhookSubscription.objects.exists()
        # and another key of the same caller is not held up
        other = Client().post(f"{API}/webhooks", HOOK, content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_IDEMPOTENCY_KEY="slow-2")  # fmt: skip
        assert other.status_code == 201
    finally:
        release.set()
        running.join(30)
