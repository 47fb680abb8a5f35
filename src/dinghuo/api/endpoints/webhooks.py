"""/webhooks: subscriptions (CRUD, secret rotation), their delivery log and manual redelivery."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from dinghuo.api import idempotency
from dinghuo.api.endpoints.render import delivery_out, webhook_out
from dinghuo.api.pagination import paginate
from dinghuo.api.schemas import (
    DeliveryOut,
    DeliveryPage,
    EventTypeOut,
    Id,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
    WebhookWithSecretOut,
)
from dinghuo.notify import selectors, services
from dinghuo.notify.events import EVENT_TYPES

router = Router(tags=["webhooks"])


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class DeliveryParams(PageParams):
    status: str = Field(
        "",
        pattern="^(|pending|delivering|retrying|succeeded|abandoned)$",
        description="pending, delivering, retrying, succeeded or abandoned",
    )


@router.get("/event-types", response=list[EventTypeOut], summary="Event types a webhook can subscribe to")
def event_types(request: HttpRequest) -> list:
    return [{"type": k, "description": str(v)} for k, v in EVENT_TYPES.items()]


@router.get("", response=WebhookPage, summary="List webhook subscriptions")
def webhooks_list(request: HttpRequest, params: Query[PageParams]) -> dict:
    rows, cursor = paginate(selectors.subscriptions(actor=request.actor), cursor=params.cursor, limit=params.limit)
    return {"items": [webhook_out(s) for s in rows], "next_cursor": cursor}


@router.post(
    "",
    response={201: WebhookWithSecretOut},
    summary="Subscribe a URL to events",
    description="The response carries the signing secret, shown this once. See docs/webhooks.md to verify deliveries.",
)
def webhooks_create(
    request: HttpRequest,
    payload: WebhookIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status:
    def work():
        sub = services.webhook_create(actor=request.actor, **payload.model_dump())
        return 201, webhook_out(sub, with_secret=True), ("webhook", sub.pk)

    return idempotency.run(request, body=payload.model_dump(mode="json"), work=work, given=idempotency_key)


@router.get("/{webhook_id}", response=WebhookOut, summary="Get a webhook subscription")
def webhooks_get(request: HttpRequest, webhook_id: Id) -> dict:
    return webhook_out(selectors.subscription_get(actor=request.actor, pk=webhook_id))


@router.patch("/{webhook_id}", response=WebhookOut, summary="Change a webhook subscription")
def webhooks_update(request: HttpRequest, webhook_id: Id, payload: WebhookPatch) -> dict:
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return webhook_out(services.webhook_update(actor=request.actor, subscription_id=webhook_id, **changes))


@router.delete("/{webhook_id}", response={204: None}, summary="Delete a webhook subscription and its log")
def webhooks_delete(request: HttpRequest, webhook_id: Id) -> Status:
    services.webhook_delete(actor=request.actor, subscription_id=webhook_id)
    return Status(204, None)


@router.post(
    "/{webhook_id}/rotate-secret",
    response={200: WebhookWithSecretOut},
    summary="Rotate the signing secret",
    description=(
        "The new secret (shown once) signs from now on; the previous one keeps signing for 24 hours. Send an "
        "`Idempotency-Key`: a retry that rotated again would drop the secret your receivers still hold."
    ),
)
def webhooks_rotate(
    request: HttpRequest,
    webhook_id: Id,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status:
    def work():
        sub = services.webhook_rotate_secret(actor=request.actor, subscription_id=webhook_id)
        return 200, webhook_out(sub, with_secret=True), ("webhook", sub.pk)

    return idempotency.run(request, body={}, work=work, given=idempotency_key)


@router.get("/{webhook_id}/deliveries", response=DeliveryPage, summary="The delivery log, newest first")
def webhooks_deliveries(request: HttpRequest, webhook_id: Id, params: Query[DeliveryParams]) -> dict:
    qs = selectors.deliveries(actor=request.actor, subscription_id=webhook_id, status=params.status)
    rows, cursor = paginate(qs, cursor=params.cursor, limit=params.limit, fields=("id",))
    return {"items": [delivery_out(d) for d in rows], "next_cursor": cursor}


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut},
    summary="Send a delivery's event again",
    description="Queues a new (manual) delivery of the same event, sent within seconds by the worker.",
)
def webhooks_redeliver(
    request: HttpRequest,
    delivery_id: Id,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status:
    def work():
        delivery = services.webhook_redeliver(actor=request.actor, delivery_id=delivery_id)
        return 202, delivery_out(delivery), ("webhook_delivery", delivery.pk)

    return idempotency.run(request, body={}, work=work, given=idempotency_key)
