"""Write events to the transactional outbox, in the caller's transaction.

When that transaction commits, a delivery round is enqueued (notify/tasks.py) and run by the task
worker (``dinghuo worker``): it reads undispatched events in id order and delivers them; an event
rolled back with its transaction never leaves. Every topic written here is listed in notify/events.py.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dinghuo.core.audit import jsonable
from dinghuo.core.tenancy import stamp_tenant
from dinghuo.notify.models import OutboxEvent
from dinghuo.notify.tasks import enqueue_round_on_commit


def outbox_event(*, topic: str, aggregate: tuple[str, Any], payload: dict) -> OutboxEvent:
    """An unsaved event, for callers that bulk-insert their rows together (inside their transaction:
    its commit enqueues the delivery round; outside one, ``outbox_add_many`` does)."""
    if transaction.get_connection().in_atomic_block:
        enqueue_round_on_commit()
    return OutboxEvent(
        topic=topic, aggregate_type=aggregate[0], aggregate_id=str(aggregate[1]), payload=jsonable(payload)
    )


def outbox_add(*, topic: str, aggregate: tuple[str, Any], payload: dict) -> OutboxEvent:
    event = outbox_event(topic=topic, aggregate=aggregate, payload=payload)
    event.save()
    enqueue_round_on_commit()
    return event


def outbox_add_many(events: list[OutboxEvent]) -> None:
    if events:
        OutboxEvent.objects.bulk_create(stamp_tenant(events))
        enqueue_round_on_commit()
