"""Write events to the transactional outbox, in the caller's transaction.

The dispatcher (notify/dispatch.py, run by ``dinghuo worker``) reads undispatched events in id order
and delivers them after commit; an event rolled back with its transaction never leaves. Every topic
written here is listed in notify/events.py.
"""

from __future__ import annotations

from typing import Any

from dinghuo.core.audit import jsonable
from dinghuo.core.tenancy import stamp_tenant
from dinghuo.notify.models import OutboxEvent


def outbox_event(*, topic: str, aggregate: tuple[str, Any], payload: dict) -> OutboxEvent:
    """An unsaved event, for callers that bulk-insert their rows together."""
    return OutboxEvent(
        topic=topic, aggregate_type=aggregate[0], aggregate_id=str(aggregate[1]), payload=jsonable(payload)
    )


def outbox_add(*, topic: str, aggregate: tuple[str, Any], payload: dict) -> OutboxEvent:
    event = outbox_event(topic=topic, aggregate=aggregate, payload=payload)
    event.save()
    return event


def outbox_add_many(events: list[OutboxEvent]) -> None:
    if events:
        OutboxEvent.objects.bulk_create(stamp_tenant(events))
