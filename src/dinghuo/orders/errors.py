from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, DomainError, NotFound, ValidationError


class OrderNotFound(NotFound):
    code = "order_not_found"
    message_template = _("Order not found.")


class OrderBlocked(DomainError):
    """A rule with the outcome "block" failed. ``detail["checks"]`` lists every rule's result."""

    code = "order_blocked"
    status = 422
    message_template = _("The order cannot be placed: %(reasons)s")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    message_template = _("An order that is %(status)s cannot be %(action)s.")


class OrderInvoiced(Conflict):
    code = "order_invoiced"
    message_template = _(
        "Order %(number)s is on invoice %(invoices)s. Void the invoice (red-letter reversal) before cancelling the order."
    )


class EmptyOrder(ValidationError):
    code = "order_empty"
    message_template = _("The order has no lines.")


class ShipToInvalid(ValidationError):
    code = "ship_to_invalid"
    message_template = _("Choose a ship-to address of this dealer.")


class ShipmentInvalid(ValidationError):
    code = "shipment_invalid"
    message_template = _("The shipment is not valid: %(reason)s")


class QuickOrderInvalid(ValidationError):
    code = "quick_order_invalid"
    message_template = _("Some lines could not be understood.")
