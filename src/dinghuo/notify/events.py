"""The event types the outbox carries and tenants may subscribe webhooks to.

Every topic written to the outbox (``outbox_add``/``outbox_event``) is listed here, so that a
subscriber can name it; tests/api/test_api_webhooks.py checks the source for topics missing here.
"""

from django.utils.translation import gettext_lazy as _

EVENT_TYPES = {
    "order.created": _("An order was placed (through any channel)"),
    "order.status_changed": _("An order moved to another status: approved, shipped, cancelled …"),
    "shipment.created": _("Goods of an order were shipped, with carrier and tracking number"),
    "stock.low": _("A stock row fell to its safety stock"),
    "credit.overdue": _("A dealer's receivables became overdue"),
    "credit.due_soon": _("A dealer's receivables fall due within the reminder days"),
    "payment.confirmed": _("A dealer's payment was confirmed"),
    "payment.refunded": _("A payment was refunded to the dealer"),
    "statement.disputed": _("A dealer disputed a statement"),
    "invoice.requested": _("A dealer requested an invoice"),
}
ALL = "*"
