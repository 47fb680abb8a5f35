"""Small presentation helpers of the portal's templates (no queries, no business rules)."""

from decimal import Decimal

from django import template

from dinghuo.portal.selectors import promotion_summary, qty_text

register = template.Library()

STATUS_CLASSES = {
    "submitted": "secondary",
    "pending_review": "warning",
    "approved": "primary",
    "picking": "info",
    "partially_shipped": "info",
    "shipped": "primary",
    "delivered": "success",
    "completed": "success",
    "cancelled": "secondary",
    "rejected": "danger",
}
OUTCOME_ICONS = {
    "pass": ("check-circle-fill", "success"),
    "allow": ("info-circle-fill", "info"),
    "review": ("hourglass-split", "warning"),
    "block": ("x-octagon-fill", "danger"),
}
PROMOTION_ICONS = {"threshold": "tag", "gift": "gift", "percent": "percent", "flash": "lightning-charge"}


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros: 2, 1.5."""
    if value in (None, ""):
        return ""
    try:
        return qty_text(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "secondary")


@register.filter
def outcome_icon(outcome: str) -> str:
    return OUTCOME_ICONS.get(outcome, ("circle", "secondary"))[0]


@register.filter
def outcome_class(outcome: str) -> str:
    return OUTCOME_ICONS.get(outcome, ("circle", "secondary"))[1]


@register.filter
def promo_icon(kind: str) -> str:
    return PROMOTION_ICONS.get(kind, "tag")


@register.filter
def promo_text(promotion) -> str:
    return promotion_summary(promotion)


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def in_unit(base_qty, factor) -> str:
    """Base units shown in the line's unit: 360 瓶 at 24 per 箱 → 15."""
    try:
        factor = Decimal(str(factor))
        return qty_text(Decimal(str(base_qty)) / factor) if factor else qty_text(Decimal(str(base_qty)))
    except ArithmeticError:
        return str(base_qty)


@register.filter
def signed(amount) -> str:
    """A ledger amount with its sign in front of the currency: +¥10.00, −¥10.00."""
    from dinghuo.core.money import fmt

    if amount in (None, ""):
        return ""
    value = Decimal(str(amount))
    return ("−" if value < 0 else "+" if value > 0 else "") + fmt(abs(value))


@register.filter
def times(value, factor):
    try:
        return Decimal(str(value)) * Decimal(str(factor))
    except ArithmeticError:
        return None


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters changed (None removes); ``page`` is dropped."""
    request = context["request"]
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def status_label(status: str) -> str:
    from dinghuo.orders.models import Order

    try:
        return str(Order.Status(status).label)
    except ValueError:
        return status
