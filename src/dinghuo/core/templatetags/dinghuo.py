from decimal import Decimal

from django import template

from dinghuo.accounts.permissions import can as _can
from dinghuo.core import money, regions

register = template.Library()


@register.filter
def can(actor, perm: str) -> bool:
    """{% if actor|can:"orders.review" %} — the same check the API and services use."""
    return _can(actor, perm)


@register.filter
def cny(value: Decimal | None) -> str:
    return money.fmt(value)


@register.filter
def region(code: str) -> str:
    return regions.display_name(code) if code and regions.get(code) else (code or "")


@register.filter
def bs(field):
    """Render a form field with Bootstrap's classes, marked invalid when it has errors."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", "") or ""
    if widget.__class__.__name__ in {"Select", "SelectMultiple"}:
        css = "form-select"
    elif kind in {"checkbox", "radio"}:
        css = "form-check-input"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    attrs = {"class": f"{widget.attrs.get('class', '')} {css}".strip()}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}_errors"
    return field.as_widget(attrs=attrs)
