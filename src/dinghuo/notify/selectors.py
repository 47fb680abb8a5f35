"""Reads of webhook subscriptions and their delivery log (pages and the API)."""

from __future__ import annotations

from django.db.models import QuerySet

from dinghuo.accounts.permissions import require
from dinghuo.core.tenancy import Actor
from dinghuo.notify.errors import DeliveryNotFound, WebhookNotFound
from dinghuo.notify.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscriptions(*, actor: Actor) -> QuerySet[WebhookSubscription]:
    require(actor, "webhooks.manage")
    return WebhookSubscription.objects.all()


def subscription_get(*, actor: Actor, pk: int) -> WebhookSubscription:
    sub = subscriptions(actor=actor).filter(pk=pk).first()
    if sub is None:
        raise WebhookNotFound()
    return sub


def deliveries(*, actor: Actor, subscription_id: int, status: str = "") -> QuerySet[WebhookDelivery]:
    sub = subscription_get(actor=actor, pk=subscription_id)
    qs = WebhookDelivery.objects.filter(subscription=sub)
    if status:
        qs = qs.filter(status=status)
    return qs


def delivery_get(*, actor: Actor, pk: int) -> WebhookDelivery:
    require(actor, "webhooks.manage")
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=pk).first()
    if delivery is None:
        raise DeliveryNotFound()
    return delivery


def attempts(*, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    out: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    for attempt in WebhookAttempt.objects.filter(delivery_id__in=delivery_ids).order_by("delivery_id", "-number"):
        out[attempt.delivery_id].append(attempt)
    return out
