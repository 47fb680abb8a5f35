"""Money: Decimal only, two places, rounded half up (四舍五入)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: object) -> Decimal:
    """Accept Decimal, int or a numeric string; refuse floats (they cannot hold cents exactly)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"money must not be {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}")
    raise TypeError(f"not an amount: {value!r}")


def quantize(value: object) -> Decimal:
    """Round to the cent, half up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split_tax(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Split a tax-inclusive amount into (net, tax) that add up to ``gross`` exactly."""
    gross = quantize(gross)
    net = quantize(gross / (Decimal(1) + rate))
    return net, gross - net


def fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"¥{quantize(value):,}"


class MoneyField(models.DecimalField):
    """Amounts in CNY: 16 digits, 2 places."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "dinghuo.core.money.MoneyField", args, kwargs


class QuantityField(models.DecimalField):
    """Quantities in a SKU's base unit; three places so that weights and lengths fit too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "dinghuo.core.money.QuantityField", args, kwargs
