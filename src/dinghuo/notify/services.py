"""Webhook subscriptions: create, change, delete, rotate the secret, redeliver. Audited."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.errors import REQUIRED, ValidationError
from dinghuo.core.tenancy import Actor
from dinghuo.notify.errors import DeliveryNotFound, EventTypeUnknown, WebhookUrlInvalid
from dinghuo.notify.events import ALL, EVENT_TYPES
from dinghuo.notify.http import UnsafeDestination, check_url
from dinghuo.notify.locks import lock_subscription
from dinghuo.notify.models import WebhookDelivery, WebhookSubscription
from dinghuo.notify.tasks import enqueue_round

ROTATION_OVERLAP = dt.timedelta(hours=24)


def _secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError(detail={"url": REQUIRED})
    if len(url) > 500:
        raise WebhookUrlInvalid(reason="too long", detail={"url": url[:100]})
    try:
        check_url(url)  # scheme, host, no credentials, no literal private address; DNS is checked at delivery
    except UnsafeDestination as exc:
        raise WebhookUrlInvalid(reason=str(exc), detail={"url": url})
    return url


def _events(events: list[str]) -> list[str]:
    wanted = sorted({e.strip() for e in events or [] if e and e.strip()})
    if not wanted:
        raise ValidationError(detail={"events": REQUIRED})
    unknown = [e for e in wanted if e != ALL and e not in EVENT_TYPES]
    if unknown:
        raise EventTypeUnknown(events=", ".join(unknown)[:200], detail={"events": unknown[:20]})
    return [ALL] if ALL in wanted else wanted


def _locked(actor: Actor, subscription_id: int) -> WebhookSubscription:
    """The actor's subscription, locked for the change (notify/locks.py)."""
    require(actor, "webhooks.manage")
    return lock_subscription(subscription_id=subscription_id)


def webhook_create(
    *, actor: Actor, url: str, events: list[str], description: str = "", is_active: bool = True
) -> WebhookSubscription:
    """A new subscription; its ``secret`` is shown to the caller once."""
    require(actor, "webhooks.manage")
    url, events = _url(url), _events(events)
    with transaction.atomic():
        sub = WebhookSubscription.objects.create(
            url=url,
            events=events,
            description=description.strip()[:200],
            secret=_secret(),
            is_active=is_active,
            created_by_id=actor.user_id,
        )
        audit_write(
            actor=actor,
            events=[AuditEvent.of("webhook.created", sub, after={"url": url, "events": events, "active": is_active})],
        )
    return sub


def webhook_update(
    *,
    actor: Actor,
    subscription_id: int,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    with transaction.atomic():
        sub = _locked(actor, subscription_id)
        before = {"url": sub.url, "events": sub.events, "active": sub.is_active}
        if is_active and not sub.is_active:  # switched on again: its waiting retries are due
            transaction.on_commit(enqueue_round, robust=True)
        if url is not None:
            sub.url = _url(url)
        if events is not None:
            sub.events = _events(events)
        if description is not None:
            sub.description = description.strip()[:200]
        if is_active is not None:
            sub.is_active = is_active
        sub.save(update_fields=["url", "events", "description", "is_active", "updated_at"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "webhook.changed",
                    sub,
                    before=before,
                    after={"url": sub.url, "events": sub.events, "active": sub.is_active},
                )
            ],
        )
    return sub


def webhook_delete(*, actor: Actor, subscription_id: int) -> None:
    """Delete the subscription with its delivery log; undelivered events for it are dropped."""
    with transaction.atomic():
        sub = _locked(actor, subscription_id)
        audit_write(actor=actor, events=[AuditEvent.of("webhook.deleted", sub, before={"url": sub.url})])
        sub.delete()


def webhook_rotate_secret(
    *, actor: Actor, subscription_id: int, overlap: dt.timedelta = ROTATION_OVERLAP
) -> WebhookSubscription:
    """A new secret signs from now on; the old one also signs for ``overlap`` (24 h by default)."""
    with transaction.atomic():
        sub = _locked(actor, subscription_id)
        sub.previous_secret = sub.secret
        sub.previous_secret_expires_at = timezone.now() + overlap
        sub.secret = _secret()
        sub.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("webhook.secret_rotated", sub, after={"previous_until": sub.previous_secret_expires_at})
            ],
        )
    return sub


def webhook_redeliver(*, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's event again, now (a new delivery marked manual, outside the per-order ordering)."""
    require(actor, "webhooks.manage")
    with transaction.atomic():
        original = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
        if original is None:
            raise DeliveryNotFound()
        again = WebhookDelivery.objects.create(
            subscription_id=original.subscription_id,
            event_id=original.event_id,
            topic=original.topic,
            aggregate_type=original.aggregate_type,
            aggregate_id=original.aggregate_id,
            manual=True,
            next_attempt_at=timezone.now(),
        )
        audit_write(
            actor=actor,
            events=[AuditEvent.of("webhook.redelivered", original.subscription, after={"delivery": again.pk})],
        )
        transaction.on_commit(enqueue_round, robust=True)
    return again
