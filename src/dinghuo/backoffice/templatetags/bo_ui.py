"""Presentation helpers of the back office's templates (no queries, no business rules)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

register = template.Library()

STATUS_CLASSES = {
    "submitted": "secondary",
    "pending_review": "warning",
    "approved": "blue",
    "picking": "cyan",
    "partially_shipped": "indigo",
    "shipped": "teal",
    "delivered": "success",
    "completed": "done",
    "cancelled": "secondary",
    "rejected": "danger",
    # jobs
    "queued": "secondary",
    "running": "cyan",
    "done": "success",
    "failed": "danger",
    # products
    "draft": "secondary",
    "on_sale": "success",
    "discontinued": "dark",
    # dealers
    "active": "success",
    "suspended": "secondary",
}
OUTCOMES = {
    "pass": ("check-circle-fill", "success"),
    "allow": ("info-circle-fill", "info"),
    "review": ("hourglass-split", "warning"),
    "block": ("x-octagon-fill", "danger"),
}
PROMOTION_ICONS = {"threshold": "tag", "gift": "gift", "percent": "percent", "flash": "lightning-charge"}
MOVEMENT_CLASSES = {
    "receipt": "success",
    "adjustment": "warning",
    "reservation": "blue",
    "release": "secondary",
    "shipment": "teal",
    "return": "success",
    "transfer_in": "cyan",
    "transfer_out": "cyan",
    "sync": "indigo",
}


def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros and with thousands separators: 1,200 · 1.5."""
    d = _dec(value)
    if d is None:
        return "" if value in (None, "") else str(value)
    text = f"{d.normalize():,f}"
    return "0" if text in ("-0", "0E-3") else text


@register.filter
def in_unit(base_qty, factor) -> str:
    """Base units shown in a pack unit: 360 瓶 at 24 per 箱 → 15."""
    q, f = _dec(base_qty), _dec(factor)
    if q is None:
        return ""
    if not f:
        return qty(q)
    return qty((q / f).quantize(Decimal("0.001")))


@register.filter
def status_class(status: str) -> str:
    """The badge classes of a status (orders, jobs, products, dealers): soft colours, see backoffice.css."""
    return f"bo-st bo-st-{STATUS_CLASSES.get(str(status), 'secondary')}"


@register.filter
def outcome_icon(outcome: str) -> str:
    return OUTCOMES.get(outcome, ("circle", "secondary"))[0]


@register.filter
def outcome_class(outcome: str) -> str:
    return OUTCOMES.get(outcome, ("circle", "secondary"))[1]


@register.filter
def outcome_label(outcome: str) -> str:
    return {
        "pass": _("Passed"),
        "allow": _("Noted"),
        "review": _("Needs review"),
        "block": _("Blocks"),
    }.get(outcome, outcome)


@register.filter
def rule_label(rule: str) -> str:
    return {
        "sellable": _("On sale"),
        "moq": _("Minimum quantities"),
        "region": _("Sales region"),
        "stock": _("Stock"),
        "credit": _("Credit limit"),
        "overdue": _("Overdue debt"),
        "min_amount": _("Minimum amount"),
    }.get(rule, rule)


@register.filter
def promo_icon(kind: str) -> str:
    return PROMOTION_ICONS.get(kind, "tag")


@register.filter
def movement_class(kind: str) -> str:
    return f"bo-st bo-st-{MOVEMENT_CLASSES.get(kind, 'secondary')}"


@register.filter
def signed(value) -> str:
    d = _dec(value)
    if d is None:
        return ""
    if d == 0:
        return "0"
    return ("+" if d > 0 else "−") + qty(abs(d))


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def pretty_json(value) -> str:
    """An audit row's before/after as short ``key: value`` text."""
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, dict):
        return "；".join(f"{k}: {_short(v)}" for k, v in value.items())
    return _short(value)


def _short(value) -> str:
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = "—" if value is None else str(value)
    return text if len(text) <= 160 else text[:157] + "…"


@register.filter
def yuan(value) -> str:
    """An amount without the currency sign, for dense tables whose header says 元: 12,345.67."""
    from dinghuo.core.money import quantize

    d = _dec(value)
    return f"{quantize(d):,}" if d is not None else ""


@register.filter
def percent_of(value, total) -> int:
    v, t = _dec(value), _dec(total)
    if not v or not t:
        return 0
    return max(0, min(100, int(v * 100 / t)))


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters changed (None or "" removes); ``page`` is dropped."""
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


@register.simple_tag(takes_context=True)
def page_url(context, number, param: str = "page") -> str:
    """This page's URL at another page number (``param`` names it when a page has two pagers)."""
    request = context["request"]
    params = request.GET.copy()
    params[param or "page"] = str(number)
    return f"?{params.urlencode()}"


@register.filter
def status_label(status: str) -> str:
    from dinghuo.orders.models import Order

    try:
        return str(Order.Status(status).label)
    except ValueError:
        return status or ""


def _money(value) -> str:
    from dinghuo.core.money import fmt

    d = _dec(value)
    return fmt(d) if d is not None else str(value or "")


@register.filter
def explain(line) -> list[tuple[str, str]]:
    """Why an order line has its price, in plain words: [(css class, text)]."""
    e = getattr(line, "explanation", None) or {}
    out: list[tuple[str, str]] = []
    if not isinstance(e, dict):
        return out
    if isinstance(e.get("gift"), dict):
        g = e["gift"] or {}
        promo = (g.get("promotion") or {}).get("name", "")
        out.append(("text-success", _("Gift of “%(promotion)s”, worth %(value)s at list price")
                    % {"promotion": promo, "value": _money(g.get("value_at_list_price"))}))  # fmt: skip
        return out
    p = e.get("price") or {}
    if not isinstance(p, dict):  # an older or imported line: a plain price and its source
        out.append(("", _("%(price)s per %(unit)s (%(source)s)")
                    % {"price": _money(p), "unit": line.unit, "source": e.get("source", "—")}))  # fmt: skip
        p = {}
    if p:
        source = {
            "contract": _("dealer contract price list"),
            "group": _("price group price list"),
            "city": _("city price list"),
            "province": _("province price list"),
            "tier": _("dealer tier price list"),
            "list": _("general price list"),
            "sku_list_price": _("SKU list price"),
        }.get(p.get("source"), p.get("source") or "")
        pl = p.get("price_list") or {}
        where = f"{source} {pl.get('code', '')} {pl.get('name', '')}".strip()
        out.append(("", _("%(price)s per %(unit)s from the %(source)s")
                    % {"price": _money(p.get("base_price")), "unit": p.get("base_unit", ""), "source": where}))  # fmt: skip
        if p.get("unit_factor") not in (None, "1"):
            out.append(("", _("1 %(unit)s = %(factor)s %(base)s, so %(price)s per %(unit)s")
                        % {"unit": line.unit, "factor": p["unit_factor"], "base": p.get("base_unit", ""),
                           "price": _money(p.get("unit_price"))}))  # fmt: skip
        tier = p.get("tier")
        if tier and len(p.get("tiers") or []) > 1:
            out.append(("", _("Volume tier from %(qty)s %(base)s (%(counted)s ordered)")
                        % {"qty": tier.get("min_qty"), "base": p.get("base_unit", ""),
                           "counted": p.get("qty_base_counted")}))  # fmt: skip
        nxt = p.get("next_tier")
        if nxt:
            out.append(("text-secondary", _("%(missing)s %(base)s more would reach %(price)s")
                        % {"missing": nxt.get("missing"), "base": p.get("base_unit", ""),
                           "price": _money(nxt.get("price"))}))  # fmt: skip
        for o in [o for o in p.get("outranked") or [] if isinstance(o, dict)]:
            out.append(("text-secondary", _("Also priced by %(code)s at %(price)s, which ranks lower")
                        % {"code": o.get("code"), "price": _money(o.get("price"))}))  # fmt: skip
    for a in [a for a in e.get("promotions") or [] if isinstance(a, dict)]:
        amount = _dec(a.get("amount"))
        if amount:
            out.append(("text-success", _("%(name)s: −%(amount)s") % {"name": a.get("name"), "amount": _money(amount)}))
        else:
            out.append(("text-success", _("%(name)s: counts towards it") % {"name": a.get("name")}))
    for a in [a for a in e.get("not_applied") or [] if isinstance(a, dict)]:
        out.append(("text-secondary", _("%(name)s does not apply: %(reason)s")
                    % {"name": a.get("name"), "reason": a.get("reason", "")}))  # fmt: skip
    return out


@register.filter
def minus(value, other):
    a, b = _dec(value), _dec(other)
    if a is None or b is None:
        return ""
    return a - b


@register.filter
def person(user) -> str:
    """A user's name as people read it (their display name, else the username), or a dash."""
    if user is None or user == "":
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def failed_checks(checks) -> list[dict]:
    """The rule results that did not pass (blocks first, then reviews, then notes)."""
    order = {"block": 0, "review": 1, "allow": 2}
    rows = [c for c in checks or [] if isinstance(c, dict) and c.get("outcome") != "pass"]
    return sorted(rows, key=lambda c: order.get(c.get("outcome"), 3))


@register.filter
def passed_rules(checks) -> str:
    return "、".join(
        str(rule_label(c.get("rule"))) for c in checks or [] if isinstance(c, dict) and c.get("outcome") == "pass"
    )


@register.filter
def base_unit(line) -> str:
    """An order line's base unit, from its price explanation (瓶, 罐 …), else the words "base units"."""
    e = getattr(line, "explanation", None)
    price = e.get("price") if isinstance(e, dict) else None
    if isinstance(price, dict) and price.get("base_unit"):
        return price["base_unit"]
    return _("base units")
