"""Splitting tax-inclusive amounts into net and VAT per rate, to the cent.

Per rate, the group's gross is split once (``money.split_tax``, half up); the group's tax is then
shared over its lines in proportion to their gross, each share rounded down to the cent and the
left-over cents given to the lines with the largest remainders (ties to the earlier line). So each
line's net + tax equals its gross, the lines' taxes add up to their rate's tax exactly, and the
rates add up to the invoice's totals.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from dinghuo.core.money import CENT, ZERO, split_tax


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    gross: Decimal
    net: Decimal
    tax: Decimal

    def as_dict(self) -> dict:
        return {"rate": str(self.rate), "gross": str(self.gross), "net": str(self.net), "tax": str(self.tax)}


def share(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` (≥ 0, in cents) shared in proportion to non-negative ``weights``; the parts add up exactly."""
    whole = sum(weights, ZERO)
    if whole <= 0 or total == 0:
        return [ZERO for _ in weights]
    exact = [total * w / whole for w in weights]
    parts = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int(((total - sum(parts, ZERO)) / CENT).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += CENT
    return parts


def split_lines(lines: Sequence[tuple[Hashable, Decimal, Decimal]]) -> tuple[dict, list[RateTotal]]:
    """(key, gross, rate) lines → ({key: (net, tax)}, [RateTotal per rate, highest rate first]).

    Gross amounts must all have the same sign (an invoice, or its red-letter reversal).
    """
    sign = Decimal(-1) if lines and any(g < 0 for _k, g, _r in lines) else Decimal(1)
    groups: dict[Decimal, list[tuple[Hashable, Decimal]]] = {}
    for key, gross, rate in lines:
        groups.setdefault(Decimal(rate), []).append((key, gross * sign))
    per_line: dict = {}
    totals = []
    for rate in sorted(groups, reverse=True):
        items = groups[rate]
        gross = sum((g for _k, g in items), ZERO)
        net, tax = split_tax(gross, rate)
        taxes = share(tax, [g for _k, g in items])
        for (key, g), t in zip(items, taxes, strict=True):
            per_line[key] = ((g - t) * sign + ZERO, t * sign + ZERO)
        totals.append(RateTotal(rate=rate, gross=gross * sign + ZERO, net=net * sign + ZERO, tax=tax * sign + ZERO))
    return per_line, totals
