"""Webhook delivery as Django tasks: a *delivery round* (notify/dispatch.py ``run_round``) runs on the
task worker (``dinghuo worker``), queue ``webhooks``.

A round is enqueued

- when a transaction that wrote outbox events commits (``enqueue_round_on_commit``, once per
  transaction, and only while some subscription is active);
- by a delivery that failed, for the time of its retry (``run_after``: exponential backoff);
- by a manual redelivery, and when a paused subscription is switched on again;
- by the worker's safety net (``dispatch.sweep``) when something is due and no round is queued: events
  committed while no worker ran, a delivery whose worker was killed (once its lease ends).

Rounds coalesce: a round is not enqueued when one is already waiting to run at that time (on the
database backend). A round that runs twice does no harm: deliveries are claimed with a guarded
UPDATE, and fan-out takes each event once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task

log = logging.getLogger(__name__)


@task(queue_name="webhooks")
def deliver_webhooks() -> int:
    """One delivery round: fan new events out, send what is due; the number of events and deliveries handled."""
    from dinghuo.notify.dispatch import run_round

    return run_round()


def _queued(backend, at: dt.datetime | None) -> bool:
    """A round is already waiting to run now (``at`` None) or at ``at`` (database backend only)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(backend, DatabaseBackend):
        return False
    rounds = DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path, backend_name=backend.alias)
    if at is None:
        return rounds.ready().exists()
    return rounds.filter(status=TaskResultStatus.READY, run_after=at).exists()


def enqueue_round(*, at: dt.datetime | None = None) -> bool:
    """Have a delivery round run now, or not before ``at``; False when one is already queued for then.

    ``at`` is rounded up to the whole second, so that retries falling due within one second share a
    round. A backend that cannot defer (the immediate backend under tests) skips deferred rounds: the
    retry goes with the next round or the worker's safety net.
    """
    backend = deliver_webhooks.get_backend()
    if at is not None:
        if not backend.supports_defer:
            return False
        if at.microsecond:
            at = at.replace(microsecond=0) + dt.timedelta(seconds=1)
        if at <= timezone.now():
            at = None
    if _queued(backend, at):
        return False
    (deliver_webhooks if at is None else deliver_webhooks.using(run_after=at)).enqueue()
    return True


# Whether any subscription is active, as last read by this process, and until when that reading holds:
# every order's commit asks, and a query per commit would cost more than the answer changes. Saving or
# deleting a subscription forgets it at once in this process (signals, notify/apps.py); another process
# sees the change within SUBSCRIBED_TTL seconds, and the worker's safety net covers that gap.
SUBSCRIBED_TTL = 2.0
_subscribed: tuple[float, bool] = (0.0, False)


def _any_subscription() -> bool:
    global _subscribed
    now = time.monotonic()
    if now >= _subscribed[0]:
        from dinghuo.notify.models import WebhookSubscription

        _subscribed = (now + SUBSCRIBED_TTL, WebhookSubscription.unscoped.filter(is_active=True).exists())
    return _subscribed[1]


def forget_subscriptions(**_kwargs) -> None:
    global _subscribed
    _subscribed = (0.0, False)


def _kick() -> None:
    # No active subscription, nothing to deliver: the safety net still marks the events dispatched.
    if _any_subscription():
        enqueue_round()


def enqueue_round_on_commit() -> None:
    """After the current transaction commits, enqueue a round (once per transaction, however many events).

    A failure to enqueue never fails the caller (the transaction has committed): it is logged, and the
    worker's safety net picks the events up.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(fn is _kick for _sids, fn, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_kick, robust=True)


def enqueue_retry_on_commit(at: dt.datetime) -> None:
    """After the current transaction commits, enqueue a round for ``at`` (a retry's time)."""
    transaction.on_commit(lambda: enqueue_round(at=at), robust=True)
