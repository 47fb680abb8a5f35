"""Writes the portal composes from the domain's services: checkout, notifications read."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dinghuo.accounts.permissions import require
from dinghuo.core.idempotency import IdempotencyInProgress, IdempotencyKey, idempotency_claim
from dinghuo.core.tenancy import Actor
from dinghuo.notify.models import Notification
from dinghuo.orders.cart import cart_clear, cart_items
from dinghuo.orders.errors import EmptyOrder
from dinghuo.orders.models import Cart, Order
from dinghuo.orders.placement import Placed, order_place

WAIT_FOR_TWIN_S = 5.0


def checkout_key(*, actor: Actor, token: str, body: dict) -> IdempotencyKey:
    """The Idempotency-Key of one rendered checkout form: its hidden token, scoped to the user.

    The body hashed is what the form says (address, payment mix, date, note); submitting the same
    form twice replays the first order, submitting it with other values is refused (422).
    """
    return IdempotencyKey.of(scope=f"user:{actor.user_id}", key=f"portal-checkout:{token}", body=body)


def checkout_place(
    *,
    actor: Actor,
    cart: Cart,
    token: str,
    address_id: int,
    pay_prepaid: Decimal,
    pay_rebate: Decimal,
    note: str = "",
    requested_date: dt.date | None = None,
) -> Placed:
    """Place the cart as an order and empty the cart, once per checkout form.

    The cart is read, the order placed and the cart cleared in one transaction; a second submission
    of the same form (a double tap, a retry after a timeout) finds the first one's idempotency record
    and gets the same order back (``created`` False), even though the cart is empty by then.
    """
    require(actor, "orders.place")
    body = {
        "address_id": address_id,
        "pay_prepaid": str(pay_prepaid),
        "pay_rebate": str(pay_rebate),
        "note": note,
        "requested_date": requested_date.isoformat() if requested_date else None,
    }
    key = checkout_key(actor=actor, token=token, body=body)
    # A double tap sends the same form twice at once: the second waits (a little) for the first to
    # commit and then gets its order back, rather than a "being placed" page.
    deadline = time.monotonic() + WAIT_FOR_TWIN_S
    while True:
        try:
            return _checkout_once(actor=actor, cart=cart, key=key, address_id=address_id, pay_prepaid=pay_prepaid,
                                  pay_rebate=pay_rebate, note=note, requested_date=requested_date)  # fmt: skip
        except IdempotencyInProgress:
            if time.monotonic() >= deadline or transaction.get_connection().in_atomic_block:
                raise
            time.sleep(0.05)


def _checkout_once(
    *,
    actor: Actor,
    cart: Cart,
    key: IdempotencyKey,
    address_id: int,
    pay_prepaid: Decimal,
    pay_rebate: Decimal,
    note: str,
    requested_date: dt.date | None,
) -> Placed:
    with transaction.atomic():
        items = cart_items(cart)
        if not items:
            replay = idempotency_claim(key)
            if replay is not None and replay.resource_type == "order":
                order = Order.objects.filter(pk=int(replay.resource_id)).first()
                if order is not None:
                    return Placed(order=order, created=False, checks=order.checks)
            raise EmptyOrder()
        placed = order_place(
            actor=actor,
            dealer_id=cart.dealer_id,
            items=items,
            address_id=address_id,
            pay_prepaid=pay_prepaid,
            pay_rebate=pay_rebate,
            note=note,
            requested_date=requested_date,
            channel=Order.Channel.WEB,
            idempotency=key,
        )
        if placed.created:
            cart_clear(cart=cart)
    return placed


def _mine(actor: Actor):
    return Notification.objects.filter(Q(user_id=actor.user_id) | Q(user__isnull=True, dealer_id=actor.dealer_id))


def notification_mark_read(*, actor: Actor, notification_id: int) -> int:
    """Mark one of the user's (or its dealer's) notifications read; returns how many changed (0 or 1)."""
    return _mine(actor).filter(pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())


def notifications_mark_all_read(*, actor: Actor) -> int:
    return _mine(actor).filter(read_at__isnull=True).update(read_at=timezone.now())
