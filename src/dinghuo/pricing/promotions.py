"""Promotions: who they apply to, which lines they touch, what each kind gives, and how they stack.

Pure computation over lines the engine has already priced (no queries here; the engine loads the
promotions, the SKUs and the dealer's flash-sale usage up front).

Eligibility
    A promotion is considered when it is active, ``valid_from ≤ at < valid_to``, its ``tiers`` (dealer
    tier codes) is empty or holds the dealer's tier, and its ``regions`` is empty or one of them
    contains the dealer's home region (a province contains its cities and districts). Promotions a
    dealer is not eligible for are never mentioned in explanations (a dealer does not learn what
    other tiers get).

Scope
    ``scope = {"skus": [...], "categories": [...], "brands": [...]}``; a line is in scope when any
    given list matches it (SKU id, the product's category or any of its ancestors, the product's
    brand). No list, or only empty ones, means every line. A flash sale's scope is its ``rules.sku``.
    Gift lines are never in any scope.

Amounts a promotion works on
    Promotions apply one after another; each sees the lines' *current* amounts (quantity × unit
    price minus the discounts of the promotions applied before it). So a 满减 threshold counts what
    the dealer pays after a flash price or a percentage, not the list value.

Kinds (``rules``)
    threshold 满减  {"threshold": "500.00", "off": "50.00", "repeat": false}
        in-scope amount ≥ threshold → ``off`` (× floor(amount / threshold) when repeating), never
        more than the amount; allocated to the lines pro rata (see ``allocate``).
    gift 满赠/搭赠  {"buy_qty": "10", "buy_unit": "箱"?, "gift_sku": 12?, "gift_qty": "1",
                     "gift_unit": "瓶"?, "repeat": false}  or  {"threshold": "1000.00", "gift_sku": 12, "gift_qty": "2"}
        buy form: count the in-scope quantity (base units, or ``buy_unit`` when given; SKUs without
        that unit do not count); every ``buy_qty`` earns ``gift_qty`` (once unless repeating). With
        ``gift_sku`` the whole scope counts together and the gift is that SKU; without it, each SKU
        counts on its own and the gift is the same SKU (搭赠). Spend form: the in-scope amount
        reaches ``threshold``. The gift quantity is in ``gift_unit``, else the gift SKU's default
        order unit, else its base unit. A gift is a separate zero-priced line (it still needs stock);
        its benefit, for comparing exclusive promotions, is its value at the SKU's list price.
    percent 折扣  {"percent": "8"}
        8 % off each in-scope line's current amount, rounded per line.
    flash 秒杀  {"sku": 7, "price": "19.90"} with ``total_cap`` and/or ``per_dealer_cap`` (base units)
        ``price`` is per base unit. The flash-priced quantity is capped at what is left
        (total_cap − sold_qty, per_dealer_cap − the dealer's usage); the rest of the quantity keeps
        its normal price, and the explanation says so. It applies only when it is below the
        dealer's own price, and a line gets at most one flash price. The discount is
        (dealer's price − flash price) × quantity whatever other promotions did, so a flash sale
        that should not add to them is made non-stackable (or given its own exclusive group).
        The engine returns the quantity as a ``FlashClaim`` for the order.

Stacking (the exact rule)
    1. Promotions are taken in order of ``priority`` (highest first), then code, then id.
    2. Exclusive groups: when the first promotion of a non-empty ``exclusive_group`` comes up, every
       eligible member of the group is evaluated against the cart as it stands at that point, and
       only the one with the largest benefit for this cart applies (a tie goes to the earlier one
       in the order); the others are explained as outdone by it.
    3. A promotion *touches* the lines it discounts or that counted towards its condition.
    4. A non-stackable promotion works only on in-scope lines that no promotion has touched before
       it (its threshold or quantity is counted on those lines only), and the lines it touches are
       then closed: no later promotion touches them.
    5. A stackable promotion works on every in-scope line that no non-stackable promotion closed.
    Discounts never make a line negative: each promotion gives at most a line's current amount.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from dinghuo.core import regions
from dinghuo.core.money import ZERO, quantize
from dinghuo.pricing.models import Promotion

if TYPE_CHECKING:
    from dinghuo.catalog.models import Sku
    from dinghuo.pricing.prices import ResolvedPrice

HUNDRED = Decimal(100)


def dec(value: Any, default: Decimal | None = None) -> Decimal | None:
    """A rules value as Decimal (rules store amounts as strings; ints are accepted, floats are not)."""
    if value is None or value == "":
        return default
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        return default
    try:
        result = Decimal(str(value).strip())
    except ArithmeticError:
        return default
    return result if result.is_finite() else default


def fmt_qty(value: Decimal) -> str:
    """A quantity without trailing zeros: 48, 1.5 (never an exponent)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Unit:
    """A SKU's unit as the engine needs it (loaded as plain values, not model instances)."""

    name: str
    factor: Decimal
    is_default: bool = False
    is_whole: bool = True


@dataclass
class WorkLine:
    """A cart line while the engine prices it."""

    index: int
    sku: Sku
    unit: str
    factor: Decimal
    qty: Decimal
    qty_base: Decimal
    units: list[Unit] = field(default_factory=list)
    resolved: ResolvedPrice | None = None
    base_price: Decimal = ZERO  # per base unit, after price list and volume tier
    unit_price: Decimal = ZERO
    list_price: Decimal = ZERO
    gross: Decimal = ZERO  # quantize(qty × unit_price)
    discount: Decimal = ZERO
    touched: list[int] = field(default_factory=list)  # ids of promotions that touched it
    closed_by: str = ""  # code of the non-stackable promotion that closed it
    flash_promotion_id: int | None = None
    applied: list[dict] = field(default_factory=list)
    not_applied: list[dict] = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    @property
    def current(self) -> Decimal:
        return self.gross - self.discount


@dataclass
class Gift:
    sku: Sku
    unit: str
    factor: Decimal
    qty: Decimal
    value: Decimal  # at the SKU's list price


@dataclass
class Outcome:
    """What one promotion would do to the cart as it stands (nothing is changed until ``apply``)."""

    promotion: Promotion
    scoped: list[int] = field(default_factory=list)  # every in-scope line, closed or not
    excluded: set[int] = field(default_factory=set)  # in scope but closed to it (already explained)
    discounts: dict[int, Decimal] = field(default_factory=dict)
    gifts: list[Gift] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    flash: list[tuple[int, Decimal]] = field(default_factory=list)  # (sku id, base qty at the flash price)
    notes: dict[int, dict] = field(default_factory=dict)  # line index → explanation added when it applies
    reason_code: str = ""
    reason: str = ""
    info: dict = field(default_factory=dict)

    @property
    def applies(self) -> bool:
        return not self.reason_code and (bool(self.discounts) or bool(self.gifts))

    @property
    def amount(self) -> Decimal:
        return sum(self.discounts.values(), ZERO)

    @property
    def benefit(self) -> Decimal:
        return self.amount + sum((g.value for g in self.gifts), ZERO)

    def refuse(self, code: str, reason: str) -> Outcome:
        self.reason_code, self.reason = code, reason
        self.discounts, self.gifts, self.touched, self.flash, self.notes = {}, [], [], [], {}
        return self


def allocate(total: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split ``total`` over lines pro rata to ``weights`` (their current amounts), to the cent.

    Each share is rounded half up; what rounding leaves over (or takes too much) goes to the
    largest line, spilling to the next largest only when a line would go below zero or above its
    weight. So Σ shares == total exactly and 0 ≤ share ≤ weight for every line.
    """
    weights = {i: w for i, w in weights.items() if w > 0}
    base = sum(weights.values(), ZERO)
    if total <= 0 or base <= 0:
        return {}
    if total >= base:
        return dict(weights)
    shares = {i: quantize(total * w / base) for i, w in weights.items()}
    rest = total - sum(shares.values(), ZERO)
    for i in sorted(weights, key=lambda k: (-weights[k], k)):
        if rest == 0:
            break
        step = min(rest, weights[i] - shares[i]) if rest > 0 else -min(-rest, shares[i])
        shares[i] += step
        rest -= step
    return {i: s for i, s in shares.items() if s > 0}


class PromotionRun:
    """Applies the eligible promotions to priced lines, in the documented stacking order."""

    def __init__(
        self,
        *,
        lines: list[WorkLine],
        promotions: list[Promotion],
        skus: dict[int, Sku],
        units: dict[int, list[Unit]],
    ):
        self.lines = lines
        self.promotions = sorted(promotions, key=lambda p: (-p.priority, p.code, p.pk or 0))
        self.skus = skus
        self.units = units
        self.applied: list[Outcome] = []
        self._scope_cache: dict[tuple, bool] = {}
        self._scopes: dict[int, Any] = {}

    # --- eligibility and scope --------------------------------------------------------------------

    @staticmethod
    def eligible(promotion: Promotion, *, tier_code: str, region_code: str) -> bool:
        tiers = promotion.tiers or []
        if tiers and tier_code not in tiers:
            return False
        codes = promotion.regions or []
        return not codes or any(_region_contains(str(c), region_code) for c in codes)

    def in_scope(self, promotion: Promotion, line: WorkLine) -> bool:
        key = (id(promotion), line.index)
        hit = self._scope_cache.get(key)
        if hit is None:
            parsed = self._scopes.get(id(promotion), ...)
            if parsed is ...:
                parsed = self._scopes[id(promotion)] = parse_scope(promotion)
            hit = self._scope_cache[key] = scope_matches(promotion, line.sku, parsed)
        return hit

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> list[Outcome]:
        done_groups: set[str] = set()
        for promotion in self.promotions:
            group = promotion.exclusive_group
            if group:
                if group in done_groups:
                    continue
                done_groups.add(group)
                members = [p for p in self.promotions if p.exclusive_group == group]
                outcomes = [self.evaluate(p) for p in members]
                winner = max(
                    (o for o in outcomes if o.applies), key=lambda o: o.benefit, default=None
                )  # max keeps the first of equals
                for outcome in outcomes:
                    if outcome is winner:
                        self.apply(outcome)
                    elif outcome.applies:
                        self.explain_refusal(
                            outcome.refuse(
                                "exclusive",
                                _("only one promotion of group %(group)s applies: %(code)s gives more")
                                % {"group": group, "code": winner.promotion.code},
                            )
                        )
                    else:
                        self.explain_refusal(outcome)
                continue
            outcome = self.evaluate(promotion)
            if outcome.applies:
                self.apply(outcome)
            else:
                self.explain_refusal(outcome)
        return self.applied

    def open_lines(self, promotion: Promotion, outcome: Outcome) -> list[WorkLine]:
        """In-scope lines this promotion may work on (rule 4 and 5 of the stacking order)."""
        out = []
        for line in self.lines:
            if not self.in_scope(promotion, line):
                continue
            outcome.scoped.append(line.index)
            if line.closed_by or (not promotion.stackable and line.touched):
                outcome.excluded.add(line.index)
            if line.closed_by:
                line.not_applied.append(
                    _entry(
                        promotion,
                        "closed",
                        _("%(code)s, which does not stack, already applies to this line") % {"code": line.closed_by},
                    )
                )
            elif not promotion.stackable and line.touched:
                line.not_applied.append(
                    _entry(promotion, "not_stackable", _("does not stack with promotions already applied to this line"))
                )
            else:
                out.append(line)
        return out

    def evaluate(self, promotion: Promotion) -> Outcome:
        outcome = Outcome(promotion)
        lines = self.open_lines(promotion, outcome)
        if not outcome.scoped:
            return outcome.refuse("out_of_scope", "")
        if not lines:
            return outcome.refuse("no_open_lines", "")
        rules = promotion.rules or {}
        handler = getattr(self, f"evaluate_{promotion.kind}", None)
        if handler is None:
            return outcome.refuse("unknown_kind", _("unknown kind of promotion"))
        handler(promotion, rules, lines, outcome)
        # never more than a line's current amount
        for i, amount in list(outcome.discounts.items()):
            cap = self.lines[i].current
            outcome.discounts[i] = min(amount, cap)
            if outcome.discounts[i] <= 0:
                del outcome.discounts[i]
        if not outcome.reason_code and not outcome.discounts and not outcome.gifts:
            outcome.refuse("no_benefit", _("gives nothing on this cart"))
        return outcome

    # --- the kinds --------------------------------------------------------------------------------

    def evaluate_threshold(self, promotion: Promotion, rules: dict, lines: list[WorkLine], outcome: Outcome) -> None:
        threshold, off = dec(rules.get("threshold")), dec(rules.get("off"))
        if not threshold or threshold <= 0 or not off or off <= 0:
            outcome.refuse("misconfigured", _("its rules are incomplete"))
            return
        amount = sum((line.current for line in lines), ZERO)
        outcome.info = {"threshold": str(threshold), "off": str(off), "scope_amount": str(amount)}
        if amount < threshold:
            outcome.refuse(
                "threshold_not_reached",
                _("threshold %(threshold)s not reached: %(amount)s") % {"threshold": threshold, "amount": amount},
            )
            return
        times = int(amount // threshold) if rules.get("repeat") else 1
        total = min(off * times, amount)
        outcome.info["times"] = times
        outcome.discounts = allocate(total, {line.index: line.current for line in lines})
        outcome.touched = [line.index for line in lines]

    def evaluate_percent(self, promotion: Promotion, rules: dict, lines: list[WorkLine], outcome: Outcome) -> None:
        percent = dec(rules.get("percent"))
        if percent is None or percent <= 0 or percent > HUNDRED:
            outcome.refuse("misconfigured", _("its rules are incomplete"))
            return
        outcome.info = {"percent": str(percent)}
        outcome.discounts = {line.index: quantize(line.current * percent / HUNDRED) for line in lines}
        outcome.touched = [line.index for line in lines]

    def evaluate_gift(self, promotion: Promotion, rules: dict, lines: list[WorkLine], outcome: Outcome) -> None:
        gift_qty = dec(rules.get("gift_qty"))
        gift_sku_id = _int(rules.get("gift_sku"))
        threshold, buy_qty = dec(rules.get("threshold")), dec(rules.get("buy_qty"))
        repeat = bool(rules.get("repeat"))
        if not gift_qty or gift_qty <= 0 or not ((threshold and threshold > 0) or (buy_qty and buy_qty > 0)):
            outcome.refuse("misconfigured", _("its rules are incomplete"))
            return
        if threshold and threshold > 0:  # spend X get M
            if gift_sku_id is None:
                outcome.refuse("misconfigured", _("its rules are incomplete"))
                return
            amount = sum((line.current for line in lines), ZERO)
            outcome.info = {"threshold": str(threshold), "scope_amount": str(amount)}
            if amount < threshold:
                outcome.refuse(
                    "threshold_not_reached",
                    _("threshold %(threshold)s not reached: %(amount)s") % {"threshold": threshold, "amount": amount},
                )
                return
            times = int(amount // threshold) if repeat else 1
            self._give(outcome, gift_sku_id, rules.get("gift_unit"), gift_qty * times)
            outcome.touched = [line.index for line in lines]
            return
        buy_unit = rules.get("buy_unit") or None
        groups: dict[int | None, list[WorkLine]] = defaultdict(list)
        for line in lines:
            groups[gift_sku_id if gift_sku_id is not None else line.sku.pk].append(line)
        have_total = Fraction(0)
        for gift_target, members in groups.items():
            counted, have = [], Fraction(0)
            for line in members:
                factor = _factor(self.units.get(line.sku.pk, []), line.sku, buy_unit) if buy_unit else Decimal(1)
                if factor is None:
                    continue
                have += Fraction(line.qty_base) / Fraction(factor)
                counted.append(line)
            have_total += have
            times = math.floor(have / Fraction(buy_qty))
            if times <= 0:
                continue
            times = times if repeat else 1
            if gift_sku_id is None:  # 搭赠 of the same SKU: one that cannot be given is skipped
                target = self.skus.get(gift_target)
                unit = rules.get("gift_unit")
                if target is None or not target.is_active:
                    continue
                if unit and _factor(self.units.get(target.pk, []), target, unit) is None:
                    continue
            self._give(outcome, gift_target, rules.get("gift_unit"), gift_qty * times)
            if outcome.reason_code:
                return
            outcome.touched += [line.index for line in counted]
        outcome.info = {"buy_qty": str(buy_qty), "buy_unit": buy_unit or "", "counted": fmt_qty(_dec(have_total))}
        if not outcome.gifts:
            unit = buy_unit or lines[0].sku.base_unit
            outcome.refuse(
                "quantity_not_reached",
                _("buy %(need)s %(unit)s to qualify: %(have)s in the cart")
                % {"need": fmt_qty(buy_qty), "unit": unit, "have": fmt_qty(_dec(have_total))},
            )

    def _give(self, outcome: Outcome, sku_id: int | None, unit_name: str | None, qty: Decimal) -> None:
        sku = self.skus.get(sku_id) if sku_id is not None else None
        if sku is None or not sku.is_active:
            outcome.refuse("gift_unavailable", _("the gift SKU %(sku)s is not available") % {"sku": sku_id})
            return
        units = self.units.get(sku.pk, [])
        if unit_name:
            factor = _factor(units, sku, unit_name)
            if factor is None:
                outcome.refuse("gift_unavailable", _("the gift SKU %(sku)s is not available") % {"sku": sku.code})
                return
            unit = unit_name
        else:
            default = next((u for u in units if u.is_default), None)
            unit, factor = (default.name, default.factor) if default else (sku.base_unit, Decimal(1))
        value = quantize(qty * quantize(sku.list_price * factor))
        outcome.gifts.append(Gift(sku=sku, unit=unit, factor=factor, qty=qty, value=value))

    def evaluate_flash(self, promotion: Promotion, rules: dict, lines: list[WorkLine], outcome: Outcome) -> None:
        price = dec(rules.get("price"))
        if price is None or price < 0:
            outcome.refuse("misconfigured", _("its rules are incomplete"))
            return
        taken = [line for line in lines if line.flash_promotion_id is not None]
        for line in taken:
            outcome.excluded.add(line.index)
            line.not_applied.append(_entry(promotion, "flash_taken", _("this line already has a flash price")))
        lines = [line for line in lines if line.flash_promotion_id is None]
        if not lines:
            outcome.refuse("flash_taken", "")
            return
        own = lines[0].base_price
        if price >= own:
            outcome.refuse(
                "flash_not_lower",
                _("your price %(price)s is already at or below the flash price %(flash)s")
                % {"price": own, "flash": price},
            )
            return
        left: Decimal | None = None
        sold_out_reason = ("", "")
        if promotion.total_cap is not None:
            left = max(promotion.total_cap - promotion.sold_qty, ZERO)
            sold_out_reason = ("sold_out", _("sold out"))
        if promotion.per_dealer_cap is not None:
            used = getattr(promotion, "dealer_used", None) or ZERO
            mine = max(promotion.per_dealer_cap - used, ZERO)
            if left is None or mine < left:
                left = mine
                sold_out_reason = (
                    "dealer_limit",
                    _("your limit of %(cap)s is reached") % {"cap": fmt_qty(promotion.per_dealer_cap)},
                )
        if left is not None and left <= 0:
            outcome.refuse(*sold_out_reason)
            return
        wanted = sum((line.qty_base for line in lines), ZERO)
        at_flash = wanted if left is None else min(wanted, left)
        remaining = at_flash
        for line in lines:
            part = min(line.qty_base, remaining)
            remaining -= part
            note = {
                "promotion": promotion.code,
                "flash_price": str(price),
                "qty_base_at_flash_price": fmt_qty(part),
                "qty_base_at_normal_price": fmt_qty(line.qty_base - part),
            }
            outcome.notes[line.index] = {"flash": note}
            if part <= 0:
                note["reason"] = _("the flash-sale quantity left was used by earlier lines")
                continue
            outcome.discounts[line.index] = quantize(part * (own - price))
            outcome.touched.append(line.index)
            if part < line.qty_base:
                note["reason"] = _(
                    "flash price for %(part)s of %(qty)s %(unit)s (only %(left)s left); the rest at your price"
                ) % {
                    "part": fmt_qty(part),
                    "qty": fmt_qty(line.qty_base),
                    "unit": line.sku.base_unit,
                    "left": fmt_qty(at_flash),
                }
        outcome.flash = [(lines[0].sku.pk, at_flash)]
        outcome.info = {
            "flash_price": str(price),
            "qty_base_wanted": fmt_qty(wanted),
            "qty_base_at_flash_price": fmt_qty(at_flash),
            "left": None if left is None else fmt_qty(left),
        }

    # --- applying and explaining ------------------------------------------------------------------

    def apply(self, outcome: Outcome) -> None:
        promotion = outcome.promotion
        for i, note in outcome.notes.items():
            self.lines[i].notes.update(note)
        for i, amount in outcome.discounts.items():
            line = self.lines[i]
            line.discount += amount
            line.applied.append({**_entry(promotion), "amount": str(amount)})
            if promotion.kind == Promotion.Kind.FLASH:
                line.flash_promotion_id = promotion.pk
        for i in dict.fromkeys(outcome.touched):
            line = self.lines[i]
            line.touched.append(promotion.pk)
            if not promotion.stackable:
                line.closed_by = promotion.code
            if i not in outcome.discounts:
                line.applied.append({**_entry(promotion), "amount": "0.00"})
        self.applied.append(outcome)

    def explain_refusal(self, outcome: Outcome) -> None:
        if not outcome.reason:
            return
        for i in outcome.scoped:
            if i not in outcome.excluded:  # those were explained by open_lines
                self.lines[i].not_applied.append(_entry(outcome.promotion, outcome.reason_code, outcome.reason))


def parse_scope(promotion: Promotion) -> tuple[set[int], set[int], set[int]] | int | None:
    """A promotion's scope as id sets (skus, categories, brands); a flash sale's SKU id; None = everything."""
    if promotion.kind == Promotion.Kind.FLASH:
        return _int((promotion.rules or {}).get("sku")) or 0
    scope = promotion.scope or {}
    skus, categories, brands = (_ids(scope.get(k)) for k in ("skus", "categories", "brands"))
    return (skus, categories, brands) if (skus or categories or brands) else None


def scope_matches(promotion: Promotion, sku: Sku, parsed: Any = ...) -> bool:
    """Whether a SKU is in a promotion's scope (see the module docstring)."""
    parsed = parse_scope(promotion) if parsed is ... else parsed
    if parsed is None:
        return True
    if isinstance(parsed, int):
        return sku.pk == parsed
    skus, categories, brands = parsed
    if sku.pk in skus:
        return True
    product = sku.product
    if brands and product.brand_id in brands:
        return True
    if categories:
        path = getattr(sku, "category_path", None)  # annotated by the engine's loader
        if path is None:
            path = getattr(product.category, "path", "") or ""
        chain = {_int(p) for p in path.strip("/").split("/") if p} if path else {product.category_id}
        return bool(chain & categories)
    return False


def _entry(promotion: Promotion, reason_code: str = "", reason: str = "") -> dict:
    entry = {"id": promotion.pk, "code": promotion.code, "name": promotion.name, "kind": promotion.kind}
    if reason_code:
        entry["reason_code"] = reason_code
        entry["reason"] = str(reason)
    return entry


def _region_contains(code: str, dealer_region: str) -> bool:
    region = regions.get(code)
    if region is None:
        return code == dealer_region
    return region.contains(dealer_region)


def _factor(units: list[Unit], sku: Sku, name: str | None) -> Decimal | None:
    for unit in units:
        if unit.name == name:
            return unit.factor
    return Decimal(1) if name == sku.base_unit else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _ids(values: Any) -> set[int]:
    if not isinstance(values, list | tuple | set):
        return set()
    return {i for i in (_int(v) for v in values) if i is not None}


def _dec(value: Fraction) -> Decimal:
    """A count for display: exact when it is a decimal, else to 3 places."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.001"))
