from django import template

from dinghuo.finance.statements import category_label

register = template.Library()


@register.filter
def category(value: str) -> str:
    """A statement line's category, in the reader's language."""
    return category_label(value)


@register.filter
def percent(rate) -> str:
    """0.13 → 13%."""
    try:
        return f"{(rate * 100).normalize():f}%"
    except (TypeError, ArithmeticError):
        return ""
