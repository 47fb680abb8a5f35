"""The order state machine: which transitions exist, and who may make them.

submitted ─┬─> approved ──> picking ──> partially shipped ──> shipped ──> delivered ──> completed
           └─> pending review ─┬─> approved
                               └─> rejected
cancelled: by the dealer before picking; by staff any time before the first shipment.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dinghuo.orders.models import Order

S = Order.Status

# (from, to) → the permission the actor needs; dealer-side cancels are narrowed in services.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.SUBMITTED, S.APPROVED): "orders.place",
    (S.SUBMITTED, S.PENDING_REVIEW): "orders.place",
    (S.PENDING_REVIEW, S.APPROVED): "orders.review",
    (S.PENDING_REVIEW, S.REJECTED): "orders.review",
    (S.APPROVED, S.PICKING): "orders.fulfil",
    (S.PICKING, S.PARTIALLY_SHIPPED): "orders.fulfil",
    (S.PICKING, S.SHIPPED): "orders.fulfil",
    (S.APPROVED, S.PARTIALLY_SHIPPED): "orders.fulfil",
    (S.APPROVED, S.SHIPPED): "orders.fulfil",
    (S.PARTIALLY_SHIPPED, S.PARTIALLY_SHIPPED): "orders.fulfil",
    (S.PARTIALLY_SHIPPED, S.SHIPPED): "orders.fulfil",
    (S.SHIPPED, S.DELIVERED): "orders.fulfil",
    (S.DELIVERED, S.COMPLETED): "orders.fulfil",
    (S.SUBMITTED, S.CANCELLED): "orders.cancel",
    (S.PENDING_REVIEW, S.CANCELLED): "orders.cancel",
    (S.APPROVED, S.CANCELLED): "orders.cancel",
    (S.PICKING, S.CANCELLED): "orders.cancel",
}

DEALER_CANCELLABLE = frozenset({S.SUBMITTED, S.PENDING_REVIEW, S.APPROVED})
STAFF_CANCELLABLE = frozenset({S.SUBMITTED, S.PENDING_REVIEW, S.APPROVED, S.PICKING})
OPEN = frozenset({S.SUBMITTED, S.PENDING_REVIEW, S.APPROVED, S.PICKING, S.PARTIALLY_SHIPPED})
SHIPPABLE = frozenset({S.APPROVED, S.PICKING, S.PARTIALLY_SHIPPED})
HOLDS_STOCK = frozenset({S.SUBMITTED, S.PENDING_REVIEW, S.APPROVED, S.PICKING, S.PARTIALLY_SHIPPED})

ACTION_LABELS = {
    S.APPROVED: _("approved"),
    S.REJECTED: _("rejected"),
    S.PICKING: _("picked"),
    S.PARTIALLY_SHIPPED: _("shipped"),
    S.SHIPPED: _("shipped"),
    S.DELIVERED: _("marked delivered"),
    S.COMPLETED: _("completed"),
    S.CANCELLED: _("cancelled"),
    S.PENDING_REVIEW: _("sent to review"),
}


def permission_for(from_status: str, to_status: str) -> str | None:
    return TRANSITIONS.get((from_status, to_status))
