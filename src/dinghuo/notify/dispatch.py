"""Webhook delivery: fan events out to subscriptions and deliver them, signed — in *rounds* that run
as Django tasks on the task worker (``dinghuo worker``; notify/tasks.py says when a round is enqueued).

A round (``run_round``) repeats, until nothing is left:

1. **fan out** — outbox events not yet dispatched, in id order, become one ``WebhookDelivery`` per
   matching active subscription that existed when the event was created, and the events are marked
   dispatched, in one transaction (a PostgreSQL advisory lock lets only one round fan out at a time,
   which keeps the deliveries of one order in event order);
2. **deliver** — due deliveries are claimed with a guarded UPDATE (``delivering`` + a lease),
   posted with no transaction open, and their outcome recorded in a short transaction: delivered,
   or retried with exponential backoff (base × 2^(attempt−1), capped, ±10 % jitter) — a round is
   enqueued for the retry's time — until abandoned after ``max_attempts``. Only the oldest unfinished
   delivery of a (subscription, aggregate) is ever due, so event N+1 of an order never leaves before N
   was delivered or abandoned.

At least once: a worker killed mid-delivery leaves the row ``delivering``; when its lease ends the
worker's safety net (``sweep``, run every ``SWEEP_INTERVAL`` seconds by ``dinghuo worker``) finds it
due and enqueues a round, which sends it again. Receivers deduplicate on the event id.

Settings (environment, or Django settings of the same name without ``DINGHUO_``):
``DINGHUO_WEBHOOKS_TIMEOUT`` (10 s), ``…_MAX_ATTEMPTS`` (12), ``…_BACKOFF_BASE`` (30 s),
``…_BACKOFF_CAP`` (6 h), ``…_CONCURRENCY`` (4 parallel posts), ``…_ALLOW_PRIVATE`` (off),
``…_SWEEP_INTERVAL`` (15 s).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django_tasks import TaskResultStatus

from dinghuo.core.tenancy import all_tenants
from dinghuo.notify import http
from dinghuo.notify.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from dinghuo.notify.tasks import deliver_webhooks, enqueue_retry_on_commit, enqueue_round
from dinghuo.notify.verify import HEADER, signature_header

log = logging.getLogger(__name__)
D = WebhookDelivery.Status
UNFINISHED = [D.PENDING, D.DELIVERING, D.RETRYING]
FANOUT_LOCK = 0x6468_6F62_6F78  # "dhobox": one fan-out at a time (PostgreSQL advisory lock)
USER_AGENT = "Dinghuo-Webhooks/1.0"
ROUND_BUDGET = 60.0  # seconds a round keeps going before it hands over to a fresh round (other tasks get a turn)


def _setting(name: str, default: float) -> float:
    value = getattr(settings, f"WEBHOOKS_{name}", None)
    if value is None:
        value = os.environ.get(f"DINGHUO_WEBHOOKS_{name}") or default
    return float(value)


@dataclass(frozen=True)
class Config:
    timeout: float
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    concurrency: int

    @property
    def lease(self) -> dt.timedelta:
        # longer than any one attempt can take (connect + send + read), so a live attempt keeps its row
        return dt.timedelta(seconds=self.timeout * 2 + 5)

    @classmethod
    def load(cls) -> Config:
        return cls(
            timeout=_setting("TIMEOUT", 10),
            max_attempts=int(_setting("MAX_ATTEMPTS", 12)),
            backoff_base=_setting("BACKOFF_BASE", 30),
            backoff_cap=_setting("BACKOFF_CAP", 6 * 3600),
            concurrency=max(1, int(_setting("CONCURRENCY", 4))),
        )


def backoff(attempt: int, config: Config) -> dt.timedelta:
    seconds = min(config.backoff_cap, config.backoff_base * 2 ** max(0, attempt - 1))
    return dt.timedelta(seconds=seconds * random.uniform(0.9, 1.1))


# --- 1. fan out -----------------------------------------------------------------------------------


def fan_out(*, limit: int = 500) -> int:
    """Turn undispatched outbox events into deliveries; returns the number of events handled."""
    now = timezone.now()
    with all_tenants(), transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FANOUT_LOCK])
                if not cursor.fetchone()[0]:
                    return 0
        events = list(OutboxEvent.unscoped.filter(dispatched_at__isnull=True).order_by("id")[:limit])
        if not events:
            return 0
        subs: dict[int, list[WebhookSubscription]] = {}
        for sub in WebhookSubscription.unscoped.filter(
            tenant_id__in={e.tenant_id for e in events}, is_active=True
        ).order_by("id"):
            subs.setdefault(sub.tenant_id, []).append(sub)
        deliveries = [
            WebhookDelivery(
                tenant_id=event.tenant_id,
                subscription=sub,
                event=event,
                topic=event.topic,
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                next_attempt_at=now,
            )
            for event in events
            for sub in subs.get(event.tenant_id, [])
            if sub.receives(event)
        ]
        WebhookDelivery.unscoped.bulk_create(deliveries)
        OutboxEvent.unscoped.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
    return len(events)


# --- 2. deliver -----------------------------------------------------------------------------------


def _due(now: dt.datetime) -> Q:
    return Q(status__in=[D.PENDING, D.RETRYING], next_attempt_at__lte=now) | Q(
        status=D.DELIVERING, leased_until__lt=now
    )


def due_ids(*, now: dt.datetime | None = None, limit: int = 50) -> list[int]:
    """Deliveries that may go now: due, subscription active, and first in line for their aggregate."""
    now = now or timezone.now()
    earlier = WebhookDelivery.unscoped.filter(
        subscription_id=OuterRef("subscription_id"),
        aggregate_type=OuterRef("aggregate_type"),
        aggregate_id=OuterRef("aggregate_id"),
        event_id__lt=OuterRef("event_id"),
        manual=False,
        status__in=UNFINISHED,
    )
    return list(
        WebhookDelivery.unscoped.filter(_due(now), subscription__is_active=True)
        .filter(Q(manual=True) | ~Exists(earlier))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def claim(delivery_id: int, *, config: Config, now: dt.datetime | None = None) -> int | None:
    """Take a due delivery for one attempt (guarded UPDATE); the attempt number, or None if taken."""
    now = now or timezone.now()
    claimed = WebhookDelivery.unscoped.filter(_due(now), pk=delivery_id).update(
        status=D.DELIVERING, leased_until=now + config.lease, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        return None
    return WebhookDelivery.unscoped.values_list("attempts", flat=True).get(pk=delivery_id)


def event_body(event: OutboxEvent, tenant_code: str) -> bytes:
    """The JSON every delivery of this event carries (the same bytes on every attempt)."""
    document = {
        "id": f"evt_{event.pk}",
        "type": event.topic,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "tenant": tenant_code,
        "aggregate": {"type": event.aggregate_type, "id": event.aggregate_id},
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signing_secrets(sub: WebhookSubscription, now: dt.datetime) -> list[str]:
    keys = [sub.secret]
    if sub.previous_secret and sub.previous_secret_expires_at and sub.previous_secret_expires_at > now:
        keys.append(sub.previous_secret)
    return keys


def send(delivery_id: int, *, config: Config) -> str | None:
    """Claim, post and record one delivery; the new status, or None if someone else had it."""
    attempt = claim(delivery_id, config=config)
    if attempt is None:
        return None
    delivery = WebhookDelivery.unscoped.select_related("subscription", "event", "tenant").get(pk=delivery_id)
    now = timezone.now()
    body = event_body(delivery.event, delivery.tenant.code)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Dinghuo-Event": delivery.topic,
        "Dinghuo-Event-Id": f"evt_{delivery.event_id}",
        "Dinghuo-Delivery": f"dlv_{delivery.pk}",
        "Dinghuo-Attempt": str(attempt),
        HEADER: signature_header(body, signing_secrets(delivery.subscription, now)),
    }
    result = http.post(delivery.subscription.url, body, headers, timeout=config.timeout)  # no transaction open
    return record(delivery, attempt=attempt, started_at=now, result=result, config=config)


def record(
    delivery: WebhookDelivery, *, attempt: int, started_at: dt.datetime, result: http.PostResult, config: Config
) -> str | None:
    now = timezone.now()
    if result.ok:
        status, next_at, delivered = D.SUCCEEDED, None, now
    elif attempt >= config.max_attempts:
        status, next_at, delivered = D.ABANDONED, None, None
    else:
        status, next_at, delivered = D.RETRYING, now + backoff(attempt, config), None
    with transaction.atomic():
        # Only the holder of this attempt records it (a worker whose lease ran out may not).
        updated = WebhookDelivery.unscoped.filter(pk=delivery.pk, status=D.DELIVERING, attempts=attempt).update(
            status=status,
            next_attempt_at=next_at,
            leased_until=None,
            response_code=result.status,
            response_ms=result.ms,
            error=result.error[:300],
            delivered_at=delivered,
        )
        if updated and status == D.RETRYING:
            enqueue_retry_on_commit(next_at)  # the retry's round
        WebhookAttempt.unscoped.create(
            tenant_id=delivery.tenant_id,
            delivery_id=delivery.pk,
            number=attempt,
            started_at=started_at,
            response_code=result.status,
            response_ms=result.ms,
            error=result.error[:300],
            response_excerpt=result.excerpt[:300],
        )
    if not result.ok:
        log.info("webhook delivery %s attempt %s failed: %s", delivery.pk, attempt, result.error)
    return status if updated else None


def deliver_due(*, config: Config | None = None, limit: int = 50) -> int:
    """Send every delivery due now (up to ``limit``), ``config.concurrency`` at a time."""
    config = config or Config.load()
    ids = due_ids(limit=limit)
    if not ids:
        return 0
    if config.concurrency == 1 or len(ids) == 1:
        for pk in ids:
            send(pk, config=config)
        return len(ids)

    def one(pk: int) -> None:
        try:
            send(pk, config=config)
        except Exception:
            log.exception("webhook delivery %s failed to run", pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        list(pool.map(one, ids))
    return len(ids)


# --- rounds, the safety net, housekeeping --------------------------------------------------------


def run_round(*, config: Config | None = None, budget: float = ROUND_BUDGET) -> int:
    """Fan out and deliver until nothing is left to do now (the body of the ``deliver_webhooks`` task).

    After ``budget`` seconds of steady work it enqueues a fresh round and returns. The number of
    events fanned out and deliveries sent."""
    config = config or Config.load()
    deadline, handled = time.monotonic() + budget, 0
    while busy := fan_out() + deliver_due(config=config):
        handled += busy
        if time.monotonic() > deadline:
            enqueue_round()
            break
    return handled


def has_work(*, now: dt.datetime | None = None) -> bool:
    """Events not fanned out yet, or a delivery due now (a retry, or a lease that ran out)."""
    return OutboxEvent.unscoped.filter(dispatched_at__isnull=True).exists() or bool(due_ids(now=now, limit=1))


def sweep() -> bool:
    """The safety net: enqueue a round when something waits and no round is queued; True if enqueued.

    It picks up what no round was enqueued for: events committed while no worker ran (or whose
    enqueue failed), and deliveries whose worker was killed, once their lease ends."""
    return has_work() and enqueue_round()


def prune_rounds(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete the task results of rounds finished (or, a killed worker's, started) longer ago than
    ``older_than``: the delivery log, not the task queue, is the record."""
    from django_tasks_db.models import DBTaskResult

    before = timezone.now() - older_than
    stale = Q(finished_at__lt=before) | Q(status=TaskResultStatus.RUNNING, started_at__lt=before)
    return DBTaskResult.objects.filter(stale, task_path=deliver_webhooks.module_path).delete()[0]


def housekeeping() -> None:
    from dinghuo.core.idempotency import purge_expired

    with all_tenants():
        purge_expired()
    prune_rounds()


def run_safety_net(*, stop: threading.Event, interval: float | None = None) -> None:
    """Sweep every ``interval`` seconds (``DINGHUO_WEBHOOKS_SWEEP_INTERVAL``, 15) until ``stop``; housekeeping hourly."""
    interval = interval if interval is not None else _setting("SWEEP_INTERVAL", 15)
    next_housekeeping = 0.0
    while True:
        try:
            sweep()
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + 3600
                housekeeping()
        except Exception:
            log.exception("webhook safety net: sweep failed; trying again")
        finally:
            connection.close()  # hold no connection while waiting
        if stop.wait(interval):
            return


def start_safety_net() -> threading.Thread:
    """Run the safety net in a daemon thread of this process (``dinghuo worker``, next to the task worker)."""
    thread = threading.Thread(
        target=run_safety_net, kwargs={"stop": threading.Event()}, name="webhooks-safety-net", daemon=True
    )
    thread.start()
    return thread
