"""The event types the outbox carries and tenants may subscribe webhooks to."""

from django.utils.translation import gettext_lazy as _

EVENT_TYPES = {
    "order.created": _("An order was placed (through any channel)"),
    "order.status_changed": _("An order moved to another status: approved, shipped, cancelled …"),
    "shipment.created": _("Goods of an order were shipped, with carrier and tracking number"),
    "stock.low": _("A stock row fell to its safety stock"),
    "credit.overdue": _("A dealer's receivables became overdue"),
    "payment.confirmed": _("A dealer's payment was confirmed"),
    "payment.refunded": _("A payment was refunded to the dealer"),
}
ALL = "*"
