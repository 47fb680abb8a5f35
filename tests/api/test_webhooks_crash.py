"""`dinghuo worker` killed in the middle of a delivery loses no event (PostgreSQL: real processes).

The events' commit enqueues a delivery round on the database task backend, as the web server's would.
The worker is started as the docs say (`dinghuo worker`: the task worker, which runs the rounds, and
the safety net beside it), killed with SIGKILL — its whole process group, as a crash or an OOM kill of
the container would — while the receiver holds a delivery open, then started again: its safety net
finds the delivery whose lease ran out and enqueues the round that sends it again."""

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from django.db import connection

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify.models import WebhookDelivery
from dinghuo.notify.outbox import outbox_add
from dinghuo.notify.services import webhook_create
from tests.api.receiver import Receiver
from tests.factories import make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_worker(tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DINGHUO_DATA_DIR": str(tmp_path),
        "DINGHUO_ENV": "development",  # as deployed: tasks on the database backend, not inline as under tests
        "DINGHUO_WEBHOOKS_ALLOW_PRIVATE": "1",
        "DINGHUO_WEBHOOKS_TIMEOUT": "1",  # lease = 2 × 1 + 5 = 7 s
        "DINGHUO_WEBHOOKS_BACKOFF_BASE": "0.2",
        "DINGHUO_WEBHOOKS_CONCURRENCY": "2",
        "DINGHUO_WEBHOOKS_SWEEP_INTERVAL": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dinghuo.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb"),  # a file: a full pipe would block it
        start_new_session=True,  # its own process group: the kill takes all of it
    )


def logs(tmp_path) -> str:
    return "\n".join(p.read_text(errors="replace")[-1500:] for p in sorted(tmp_path.glob("worker-*.log")))


def kill(worker):
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def stop(worker):
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        kill(worker)


def test_a_worker_killed_mid_delivery_loses_no_event_and_keeps_order(tmp_path, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    # as deployed: committing events enqueues a round for the worker (not run inline, as under tests)
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    world = make_world("crash")
    with Receiver() as receiver:
        # given 3 orders with 4 events each, and a receiver that hangs on the first delivery
        with tenant_context(world.tenant):
            webhook_create(actor=world.actor(Role.OWNER), url=receiver.url, events=["*"])
            for n in range(4):
                for order in (1, 2, 3):
                    outbox_add(topic="order.status_changed", aggregate=("order", order), payload={"n": n})
        receiver.hold.set()
        # when the worker is killed (SIGKILL) while that delivery is in flight
        first = start_worker(tmp_path)
        assert receiver.holding.wait(90), logs(tmp_path)
        kill(first)
        receiver.released.set()
        in_flight = WebhookDelivery.unscoped.filter(status=WebhookDelivery.Status.DELIVERING).count()
        # and started again
        second = start_worker(tmp_path)
        try:
            deadline = time.monotonic() + 90
            while WebhookDelivery.unscoped.exclude(status=WebhookDelivery.Status.SUCCEEDED).exists():
                assert time.monotonic() < deadline, list(WebhookDelivery.unscoped.values("status", "attempts", "error"))
                assert second.poll() is None, logs(tmp_path)
                time.sleep(0.2)
        finally:
            stop(second)
    # then every event arrived at least once
    assert in_flight >= 1
    deliveries = list(WebhookDelivery.unscoped.values_list("event_id", "aggregate_id"))
    received = receiver.event_ids()
    assert len(deliveries) == 12 and {e for e, _a in deliveries} <= set(received)
    # and, per order, in event order (a redelivered event may repeat, never overtake)
    aggregate_of = dict(deliveries)
    per_order = defaultdict(list)
    for event_id in received:
        if not per_order[aggregate_of[event_id]] or per_order[aggregate_of[event_id]][-1] != event_id:
            per_order[aggregate_of[event_id]].append(event_id)
    for order, events in per_order.items():
        assert events == sorted(set(events)), (order, events)
    print(f"\nkilled mid-delivery: {len(received)} requests received for 12 events, none lost, order kept")
