"""Webhook delivery runs as Django tasks on the database backend: a committed event enqueues a round,
a failed delivery enqueues its retry for the backoff time, and the worker's safety net picks up the rest."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify import dispatch
from dinghuo.notify.models import WebhookDelivery
from dinghuo.notify.outbox import outbox_add
from dinghuo.notify.services import webhook_create
from dinghuo.notify.tasks import deliver_webhooks
from tests.api.receiver import Receiver

D = WebhookDelivery.Status
READY = TaskResultStatus.READY


@pytest.fixture(autouse=True)
def _database_tasks(settings):
    """As deployed: tasks are rows of the database backend, run by the task worker (not inline)."""
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOKS_CONCURRENCY = 1
    settings.WEBHOOKS_TIMEOUT = 3
    settings.WEBHOOKS_BACKOFF_BASE = 10


def rounds():
    return DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path)


@pytest.fixture(autouse=True)
def _keep_the_tests_connection(monkeypatch):
    """The worker closes connections it thinks stale: one inside the test's transaction, on PostgreSQL."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_task_worker() -> None:
    """django-tasks-db's worker (what `dinghuo worker` runs), on the webhooks queue, until nothing is ready."""
    db_worker.Worker(
        queue_names=["webhooks"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def subscribe(world, url):
    with tenant_context(world.tenant):
        return webhook_create(actor=world.actor(Role.OWNER), url=url, events=["*"])


def event(world, aggregate, **payload):
    with tenant_context(world.tenant):
        return outbox_add(topic="order.status_changed", aggregate=aggregate, payload=payload)


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_enqueues_one_round_that_the_task_worker_delivers(world):
    with Receiver() as receiver:
        subscribe(world, receiver.url)
        # given a transaction that wrote an event and rolled back: nothing is enqueued
        with pytest.raises(RuntimeError), transaction.atomic():
            event(world, ("order", 1), n=0)
            raise RuntimeError("rolled back")
        assert not rounds().exists()
        # when one transaction writes two events, and another one more
        with transaction.atomic():
            event(world, ("order", 1), n=1)
            event(world, ("order", 1), n=2)
            assert not rounds().exists()  # not before the commit
        event(world, ("order", 1), n=3)
        # then one round waits on the webhooks queue (rounds coalesce), and nothing was sent inline
        (queued,) = rounds()
        assert (queued.status, queued.queue_name) == (READY, "webhooks") and receiver.received == []
        # when the task worker runs
        run_task_worker()
    # then the events arrived, in order, and the round finished
    assert [r["body"]["data"]["n"] for r in receiver.received] == [1, 2, 3]
    assert list(rounds().values_list("status", flat=True)) == [TaskResultStatus.SUCCESSFUL]
    assert set(WebhookDelivery.unscoped.values_list("status", flat=True)) == {D.SUCCEEDED}


def test_a_failed_delivery_enqueues_its_retry_round_for_the_backoff_time(world, django_capture_on_commit_callbacks):
    failures = {"left": 1}

    def flaky(doc, headers):
        if failures["left"]:
            failures["left"] -= 1
            return 500
        return 200

    with Receiver(status=flaky) as receiver:
        # given a delivery whose first attempt fails
        subscribe(world, receiver.url)
        event(world, ("order", 1), n=1)
        dispatch.fan_out()
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.deliver_due()
        delivery = WebhookDelivery.unscoped.get()
        assert delivery.status == D.RETRYING
        # then a round is queued for the retry's time (rounded up to the second), and no earlier
        (retry,) = rounds()
        assert retry.status == READY and retry.queue_name == "webhooks"
        assert delivery.next_attempt_at <= retry.run_after < delivery.next_attempt_at + dt.timedelta(seconds=1)
        run_task_worker()
        assert len(receiver.received) == 1  # not due yet: the worker leaves it
        # when that time comes, the task worker runs the round
        now = timezone.now()
        WebhookDelivery.unscoped.update(next_attempt_at=now)
        rounds().update(run_after=now)
        run_task_worker()
    # then the second attempt delivered it
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.received)) == (D.SUCCEEDED, 2, 2)


def test_the_safety_net_enqueues_a_round_when_something_waits_and_none_is_queued(world):
    with Receiver() as receiver:
        subscribe(world, receiver.url)
        # given nothing to do: no round
        assert dispatch.sweep() is False and not rounds().exists()
        # when an event was committed without a round (no worker ran, or enqueueing failed)
        event(world, ("order", 1), n=1)
        # then the safety net enqueues one, once
        assert dispatch.sweep() is True and dispatch.sweep() is False
        assert rounds().count() == 1
        run_task_worker()
        assert len(receiver.received) == 1 and dispatch.sweep() is False
        # and when a worker was killed holding a delivery, the round comes once its lease has ended
        event(world, ("order", 2), n=2)
        dispatch.fan_out()
        config = dispatch.Config.load()
        (pk,) = dispatch.due_ids()
        assert dispatch.claim(pk, config=config) == 1
        assert dispatch.sweep() is False  # leased
        WebhookDelivery.unscoped.filter(pk=pk).update(leased_until=timezone.now() - dt.timedelta(seconds=1))
        assert dispatch.sweep() is True
        run_task_worker()
    assert [r["body"]["data"]["n"] for r in receiver.received] == [1, 2]
    assert WebhookDelivery.unscoped.get(pk=pk).attempts == 2


def test_manual_redelivery_enqueues_a_round(world, django_capture_on_commit_callbacks):
    from dinghuo.notify.services import webhook_redeliver

    with Receiver() as receiver:
        subscribe(world, receiver.url)
        event(world, ("order", 1), n=1)
        dispatch.run_round()
        with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
            webhook_redeliver(actor=world.actor(Role.OWNER), delivery_id=WebhookDelivery.objects.get().pk)
        assert rounds().filter(status=READY).count() == 1
        run_task_worker()
    assert len(receiver.received) == 2


def test_old_round_results_are_pruned_by_housekeeping(world):
    # given a round that finished two days ago, one a killed worker left running then, and a recent one
    long_ago = timezone.now() - dt.timedelta(days=2)
    finished, abandoned, recent = (deliver_webhooks.enqueue() for _ in range(3))
    rounds().filter(id=finished.id).update(
        status=TaskResultStatus.SUCCESSFUL, started_at=long_ago, finished_at=long_ago
    )
    rounds().filter(id=abandoned.id).update(status=TaskResultStatus.RUNNING, started_at=long_ago)
    # when the worker's housekeeping runs
    dispatch.housekeeping()
    # then only the recent round is left
    assert [str(pk) for pk in rounds().values_list("id", flat=True)] == [recent.id]


def test_dinghuo_worker_runs_the_task_worker_on_every_queue_with_the_safety_net(monkeypatch):
    import django.core.management

    from dinghuo import cli

    calls = []
    monkeypatch.setenv("DINGHUO_DB_POOL", "0")  # restored afterwards (the command sets it)
    monkeypatch.setenv("DINGHUO_SERVE_DB_POOL", "0")
    monkeypatch.setattr(cli, "_django_setup", lambda: None)  # set up already
    monkeypatch.setattr(dispatch, "start_safety_net", lambda: calls.append("safety net"))
    monkeypatch.setattr(django.core.management, "execute_from_command_line", lambda argv: calls.append(argv))
    cli.main(["worker", "--no-startup-delay"])
    assert calls == ["safety net", ["dinghuo", "db_worker", "--queue-name", "*", "--no-startup-delay"]]


@pytest.mark.django_db(transaction=True)
def test_without_subscriptions_commits_do_not_ask_every_time_and_a_new_one_counts_at_once(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dinghuo.notify.tasks import forget_subscriptions

    forget_subscriptions()
    # given no subscription: many committed events ask for subscriptions once, and queue nothing
    with CaptureQueriesContext(connection) as q:
        for n in range(5):
            with transaction.atomic():
                event(world, ("order", n), n=n)
    asked = [s for s in q.captured_queries if "notify_webhooksubscription" in s["sql"]]
    assert len(asked) == 1 and not rounds().exists()
    # when a subscription is made, the very next commit queues a round
    with Receiver() as receiver:
        subscribe(world, receiver.url)
        with transaction.atomic():
            event(world, ("order", 9), n=9)
        assert rounds().filter(status=READY).count() == 1
