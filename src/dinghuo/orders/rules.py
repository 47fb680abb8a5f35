"""The automatic order check: a policy object a tenant can swap, with per-rule outcomes.

Each rule yields a result: passed, or failed with the outcome the tenant chose for it —
"block" (the order is refused with the reasons), "review" (it waits for a reviewer), or
"allow" (noted on the order, nothing more). Tenants set outcomes in
``tenant.settings["rules"]`` (e.g. {"credit": "review", "stock": "block"}); some rules cannot be
allowed (a discontinued SKU, credit over the limit).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from dinghuo.core import regions
from dinghuo.core.money import fmt

PASS, BLOCK, REVIEW, ALLOW = "pass", "block", "review", "allow"

DEFAULT_OUTCOMES = {
    "sellable": BLOCK,  # discontinued / draft product, inactive SKU
    "moq": BLOCK,  # minimum order quantity and order multiple
    "region": BLOCK,  # ship-to outside the dealer's authorised regions, or a SKU not sold there
    "stock": BLOCK,  # not enough available stock (SKUs allowing backorders pass)
    "credit": REVIEW,  # credit limit
    "overdue": BLOCK,  # overdue receivables beyond the grace period, for credit orders
    "min_amount": BLOCK,  # minimum order amount
}
# Rules a tenant may not set to "allow".
NEVER_ALLOW = {"sellable", "credit", "overdue"}


@dataclass
class RuleResult:
    rule: str
    outcome: str  # pass | block | review | allow
    message: str
    lines: list[int] = field(default_factory=list)  # 1-based line numbers concerned
    data: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.outcome != PASS

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckInput:
    """Everything the rules look at, loaded by the placement beforehand (rules never query)."""

    lines: list  # PricedLine (with .sku.product loaded), gift lines included
    total: Decimal
    pay_credit: Decimal
    ship_to_region: str
    authorised_regions: list[str]
    credit_limit: Decimal
    exposure: Decimal
    oldest_due_date: dt.date | None
    today: dt.date
    short: dict[int, Decimal]  # line index → base quantity that cannot be reserved
    tenant_settings: dict


def outcomes(tenant_settings: dict | None) -> dict[str, str]:
    chosen = dict(DEFAULT_OUTCOMES)
    for rule, outcome in ((tenant_settings or {}).get("rules") or {}).items():
        if rule in chosen and outcome in (BLOCK, REVIEW, ALLOW) and not (outcome == ALLOW and rule in NEVER_ALLOW):
            chosen[rule] = outcome
    return chosen


def _num(d: Decimal) -> str:
    return f"{d.normalize():f}"


class StandardRules:
    def check(self, data: CheckInput) -> list[RuleResult]:
        chosen = outcomes(data.tenant_settings)
        results = [
            self.sellable(data),
            self.moq(data),
            self.region(data),
            self.stock(data),
            self.credit(data),
            self.overdue(data),
            self.min_amount(data),
        ]
        for r in results:
            if r.outcome != PASS:
                r.outcome = chosen[r.rule]
        return results

    def sellable(self, data: CheckInput) -> RuleResult:
        bad, names = [], []
        for i, line in enumerate(data.lines, start=1):
            product = line.sku.product
            if not line.sku.is_active or product.status != "on_sale":
                bad.append(i)
                names.append(line.sku_code)
        if not bad:
            return RuleResult("sellable", PASS, _("All items are on sale."))
        return RuleResult(
            "sellable",
            BLOCK,
            _("Not on sale (discontinued or not yet released): %(skus)s") % {"skus": "、".join(names)},
            bad,
        )

    def moq(self, data: CheckInput) -> RuleResult:
        totals: dict[int, Decimal] = {}
        first: dict[int, int] = {}
        for i, line in enumerate(data.lines, start=1):
            if line.is_gift:
                continue
            totals[line.sku_id] = totals.get(line.sku_id, Decimal(0)) + line.qty_base
            first.setdefault(line.sku_id, i)
        problems, lines = [], []
        by_id = {line.sku_id: line for line in data.lines}
        for sku_id, qty in totals.items():
            sku = by_id[sku_id].sku
            if sku.moq and qty < sku.moq:
                problems.append(
                    _("%(sku)s: at least %(moq)s %(unit)s (ordered %(qty)s)")
                    % {"sku": sku.code, "moq": _num(sku.moq), "unit": sku.base_unit, "qty": _num(qty)}
                )
                lines.append(first[sku_id])
            elif sku.order_multiple and sku.order_multiple > 0 and qty % sku.order_multiple != 0:
                problems.append(
                    _("%(sku)s: in multiples of %(multiple)s %(unit)s (ordered %(qty)s)")
                    % {"sku": sku.code, "multiple": _num(sku.order_multiple), "unit": sku.base_unit, "qty": _num(qty)}
                )
                lines.append(first[sku_id])
        if not problems:
            return RuleResult("moq", PASS, _("Minimum quantities and multiples are met."))
        return RuleResult("moq", BLOCK, "；".join(problems), sorted(lines))

    def region(self, data: CheckInput) -> RuleResult:
        ship_to = data.ship_to_region
        authorised = any(_within(ship_to, code) for code in data.authorised_regions)
        not_sold = [
            (i, line.sku_code)
            for i, line in enumerate(data.lines, start=1)
            if line.sku.product.sale_regions and not any(_within(ship_to, c) for c in line.sku.product.sale_regions)
        ]
        name = regions.display_name(ship_to) if regions.get(ship_to) else ship_to
        if authorised and not not_sold:
            return RuleResult("region", PASS, _("The ship-to address is within the authorised regions."))
        parts = []
        if not authorised:
            parts.append(
                _("the ship-to address (%(region)s) is outside the dealer's authorised regions") % {"region": name}
            )
        if not_sold:
            parts.append(
                _("not sold in %(region)s: %(skus)s")
                % {"region": name, "skus": "、".join(code for _i, code in not_sold)}
            )
        return RuleResult(
            "region",
            BLOCK,
            "；".join(parts),
            [i for i, _c in not_sold],
            {"ship_to": ship_to, "authorised": data.authorised_regions},
        )

    def stock(self, data: CheckInput) -> RuleResult:
        if not data.short:
            return RuleResult("stock", PASS, _("Stock is available for every line."))
        parts = [
            _("%(sku)s short by %(qty)s %(unit)s")
            % {"sku": data.lines[i].sku_code, "qty": _num(q), "unit": data.lines[i].sku.base_unit}
            for i, q in sorted(data.short.items())
        ]
        return RuleResult(
            "stock",
            BLOCK,
            _("Not enough stock: %(lines)s") % {"lines": "；".join(parts)},
            [i + 1 for i in sorted(data.short)],
            {"short": {str(i + 1): str(q) for i, q in data.short.items()}},
        )

    def credit(self, data: CheckInput) -> RuleResult:
        available = data.credit_limit - data.exposure
        if data.pay_credit <= 0 or data.pay_credit <= available:
            return RuleResult("credit", PASS, _("Within the credit limit."))
        return RuleResult(
            "credit",
            REVIEW,
            _("Needs %(needed)s on credit but only %(available)s of the %(limit)s limit is free.")
            % {
                "needed": fmt(data.pay_credit),
                "available": fmt(max(available, Decimal(0))),
                "limit": fmt(data.credit_limit),
            },
            data={"needed": str(data.pay_credit), "available": str(available), "limit": str(data.credit_limit)},
        )

    def overdue(self, data: CheckInput) -> RuleResult:
        grace = int((data.tenant_settings or {}).get("overdue_grace_days", 7))
        due = data.oldest_due_date
        if data.pay_credit <= 0 or due is None or (data.today - due).days <= grace:
            return RuleResult("overdue", PASS, _("No overdue debt beyond the grace period."))
        return RuleResult(
            "overdue",
            BLOCK,
            _("Payment overdue since %(date)s (more than %(days)s days' grace).")
            % {"date": due.isoformat(), "days": grace},
            data={"oldest_due_date": due.isoformat(), "grace_days": grace},
        )

    def min_amount(self, data: CheckInput) -> RuleResult:
        minimum = Decimal(str((data.tenant_settings or {}).get("min_order_amount", "0")))
        if data.total >= minimum:
            return RuleResult("min_amount", PASS, _("The minimum order amount is met."))
        return RuleResult(
            "min_amount",
            BLOCK,
            _("The order total %(total)s is below the minimum of %(minimum)s.")
            % {"total": fmt(data.total), "minimum": fmt(minimum)},
        )


def _within(code: str, area: str) -> bool:
    region = regions.get(area)
    return region.contains(code) if region else code == area


def rules_policy(tenant_settings: dict | None):
    path = (tenant_settings or {}).get("rules_policy")
    if not path:
        return StandardRules()
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()
