"""Reads that compose the portal's pages from the domain's selectors.

Each function issues a fixed number of queries whatever the number of rows it returns, and hands
the templates plain view objects, so that templates never query and never compute prices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import can, require
from dinghuo.catalog.models import Product, Sku, SkuUnit, Tag
from dinghuo.core.errors import DomainError, NotFound
from dinghuo.core.models import Job
from dinghuo.core.money import ZERO, quantize
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Address, Dealer
from dinghuo.finance.models import DealerAccount, LedgerEntry
from dinghuo.notify.models import Notification
from dinghuo.orders.models import Cart, CartLine, Order
from dinghuo.pricing.engine import CartItem, PricedCart, PricedLine, price_cart
from dinghuo.pricing.models import Promotion
from dinghuo.pricing.promotions import PromotionRun, fmt_qty, parse_scope, scope_matches

IMPORT_KIND = "orders.import"
IMPORT_HANDLER = "dinghuo.orders.importers:run_order_import"

SOURCE_LABELS = {
    "contract": gettext_lazy("your contract price"),
    "group": gettext_lazy("your price group's price"),
    "city": gettext_lazy("your city's price"),
    "province": gettext_lazy("your province's price"),
    "tier": gettext_lazy("your tier's price"),
    "list": gettext_lazy("the list price"),
    "sku_list_price": gettext_lazy("the list price"),
}


def qty_text(value: Decimal | None) -> str:
    return fmt_qty(Decimal(value or 0))


# --- the dealer ---------------------------------------------------------------------------------


def portal_dealer(actor: Actor) -> Dealer:
    """The signed-in user's dealer, with what every portal page shows (one query)."""
    if not actor.is_dealer:
        from dinghuo.core.errors import PermissionDenied

        raise PermissionDenied()
    dealer = (
        Dealer.objects.select_related("tier", "sales_rep", "tenant", "account", "parent")
        .filter(pk=actor.dealer_id)
        .first()
    )
    if dealer is None:
        raise NotFound()
    return dealer


def account_of(dealer: Dealer) -> DealerAccount | None:
    try:
        return dealer.account
    except DealerAccount.DoesNotExist:
        return None


def cart_count(actor: Actor) -> int:
    """Lines in the user's cart, for the badge on the cart tab (one query)."""
    if not can(actor, "orders.place"):
        return 0
    return CartLine.objects.filter(cart__user_id=actor.user_id, cart__dealer_id=actor.dealer_id).count()


def addresses(dealer: Dealer) -> list[Address]:
    return list(Address.objects.filter(dealer=dealer).order_by("-is_default", "id"))


# --- promotions ---------------------------------------------------------------------------------


def promotions_for(dealer: Dealer, *, at: dt.datetime | None = None) -> list[Promotion]:
    """Promotions in force that this dealer is eligible for (its tier and region), best first."""
    at = at or timezone.now()
    rows = Promotion.objects.filter(is_active=True, valid_from__lte=at, valid_to__gt=at).order_by(
        "-priority", "valid_to", "code"
    )
    tier_code = dealer.tier.code if dealer.tier_id else ""
    out = []
    for promotion in rows:
        if not PromotionRun.eligible(promotion, tier_code=tier_code, region_code=dealer.region_code):
            continue
        promotion.left = None
        if promotion.kind == Promotion.Kind.FLASH and promotion.total_cap is not None:
            promotion.left = max(promotion.total_cap - promotion.sold_qty, ZERO)
        out.append(promotion)
    return out


def promotion_badges(promotions: list[Promotion], skus: list[Sku]) -> dict[int, list[Promotion]]:
    """Which promotions each SKU is in scope of (no queries: SKUs come with product and category)."""
    parsed = {p.pk: parse_scope(p) for p in promotions}
    # promotions aimed at some items first: they say more about an item than the store-wide ones
    ordered = sorted(promotions, key=lambda p: parsed[p.pk] is None)
    out: dict[int, list[Promotion]] = {}
    for sku in skus:
        out[sku.pk] = [p for p in ordered if scope_matches(p, sku, parsed[p.pk])]
    return out


def promotion_summary(promotion: Promotion) -> str:
    """What a promotion gives, in plain words (for badges and the home page)."""
    rules = promotion.rules or {}
    kind = promotion.kind
    if kind == Promotion.Kind.THRESHOLD:
        text = _("Spend %(threshold)s, save %(off)s") % {
            "threshold": _money(rules.get("threshold")),
            "off": _money(rules.get("off")),
        }
        return text + (_(" (repeats)") if rules.get("repeat") else "")
    if kind == Promotion.Kind.PERCENT:
        return _("%(percent)s%% off") % {"percent": rules.get("percent", "")}
    if kind == Promotion.Kind.GIFT:
        if rules.get("threshold"):
            return _("Free gift when you spend %(threshold)s") % {"threshold": _money(rules.get("threshold"))}
        return _("Buy %(qty)s %(unit)s, get %(gift)s %(gift_unit)s free") % {
            "qty": rules.get("buy_qty", ""),
            "unit": rules.get("buy_unit", ""),
            "gift": rules.get("gift_qty", ""),
            "gift_unit": rules.get("gift_unit", ""),
        }
    if kind == Promotion.Kind.FLASH:
        return _("Flash-sale price while stocks last")
    return promotion.get_kind_display()


def _money(value) -> str:
    from dinghuo.core.money import fmt

    try:
        return fmt(Decimal(str(value)))
    except Exception:
        return str(value or "")


# --- catalog cards ------------------------------------------------------------------------------


@dataclass
class Card:
    """One SKU as a catalog list shows it."""

    sku: Sku
    product: Product
    price: Decimal  # per base unit
    unit: str  # the default order unit
    factor: Decimal
    unit_price: Decimal  # per default order unit
    stock_status: str
    stock_label: str
    image_url: str = ""
    tiers: list[tuple[str, Decimal]] = field(default_factory=list)  # ("from 48 瓶", price per base unit)
    badges: list[Promotion] = field(default_factory=list)
    units: list[SkuUnit] = field(default_factory=list)
    matched_on: str = ""
    moq_hint: str = ""


def default_unit(sku: Sku, units: list[SkuUnit] | None = None) -> tuple[str, Decimal]:
    """The SKU's usual order unit and its size; ``units`` when they were loaded apart from the SKU."""
    units = list(sku.units.all()) if units is None else units
    chosen = next((u for u in units if u.is_default), None)
    return (chosen.name, chosen.factor) if chosen else (sku.base_unit, Decimal(1))


def moq_hint(sku: Sku) -> str:
    parts = []
    if sku.moq and sku.moq > 1:
        parts.append(_("min. %(qty)s %(unit)s") % {"qty": qty_text(sku.moq), "unit": sku.base_unit})
    if sku.order_multiple and sku.order_multiple > 1:
        parts.append(
            _("in multiples of %(qty)s %(unit)s") % {"qty": qty_text(sku.order_multiple), "unit": sku.base_unit}
        )
    return "，".join(parts)


def cards(*, actor: Actor, dealer: Dealer, hits: list, promotions: list[Promotion]) -> list[Card]:
    """Search hits with volume-tier hints (one query) and promotion badges (none)."""
    from dinghuo.pricing.selectors import dealer_prices

    skus = [h.sku for h in hits]
    prices = dealer_prices(actor=actor, dealer=dealer, skus=skus) if skus else {}
    badges = promotion_badges(promotions, skus)
    out = []
    for hit in hits:
        sku = hit.sku
        units = _hit_units(hit)
        unit, factor = default_unit(sku, units)
        image = _hit_image(hit)
        tiers = prices.get(sku.pk).tiers if sku.pk in prices else []
        out.append(
            Card(
                sku=sku,
                product=sku.product,
                price=hit.price,
                unit=unit,
                factor=factor,
                unit_price=quantize(hit.price * factor),
                stock_status=hit.stock_status,
                stock_label=hit.stock_label,
                image_url=_thumb(image),
                tiers=[
                    (_("from %(qty)s %(unit)s") % {"qty": qty_text(q), "unit": sku.base_unit}, p) for q, p in tiers[1:]
                ],
                badges=badges.get(sku.pk, []),
                units=units,
                matched_on=hit.matched_on_label if hit.matched_on else "",
                moq_hint=moq_hint(sku),
            )
        )
    return out


def _hit_units(hit) -> list[SkuUnit]:
    """A search hit's units (loaded by search apart from the SKU; older hits had them prefetched)."""
    units = getattr(hit, "units", None)
    return list(units) if units is not None else list(hit.sku.units.all())


def _hit_image(hit):
    if hasattr(hit, "image"):
        return hit.image
    return next(iter(hit.sku.product.images.all()), None)


def _thumb(image) -> str:
    if image is None:
        return ""
    if image.thumbnail:
        return image.thumbnail.url
    return image.image.url if image.image else ""


# --- home -----------------------------------------------------------------------------------------


def new_tag() -> Tag | None:
    return Tag.objects.filter(Q(code__iexact="new") | Q(name="新品")).order_by("id").first()


def notifications_for(actor: Actor) -> QuerySet[Notification]:
    """The user's own notifications and those addressed to its whole dealer."""
    return Notification.objects.filter(
        Q(user_id=actor.user_id) | Q(user__isnull=True, dealer_id=actor.dealer_id)
    ).order_by("-created_at", "-id")


def frequent_items(*, actor: Actor, dealer: Dealer, limit: int = 8) -> list[dict]:
    """The dealer's usual items with a typical quantity to reorder in one tap (two queries)."""
    from dinghuo.orders.selectors import frequently_bought

    rows = frequently_bought(actor=actor, dealer_id=dealer.pk, limit=limit)
    sellable = set(
        Sku.objects.filter(pk__in=[r["sku_id"] for r in rows], is_active=True, product__status="on_sale").values_list(
            "pk", flat=True
        )
    )
    out = []
    for row in rows:
        times = row["times"] or 1
        usual = (Decimal(row["qty"] or 0) / times).quantize(Decimal(1)) or Decimal(1)
        out.append({**row, "usual": usual, "sellable": row["sku_id"] in sellable})
    return out


def recent_orders(actor: Actor, limit: int = 3) -> list[Order]:
    from dinghuo.orders.selectors import order_list

    return list(order_list(actor=actor)[:limit])


# --- cart -------------------------------------------------------------------------------------------


@dataclass
class LineView:
    """A cart line with its price and why it has that price, in words."""

    line: CartLine | None  # None for gift lines
    priced: PricedLine | None
    sku: Sku
    units: list[SkuUnit] = field(default_factory=list)
    source: str = ""
    price_list: str = ""
    tier: str = ""
    next_tier: str = ""
    applied: list[dict] = field(default_factory=list)
    not_applied: list[dict] = field(default_factory=list)
    flash: str = ""
    hints: list[str] = field(default_factory=list)
    gift_of: str = ""
    error: str = ""


@dataclass
class CartView:
    cart: Cart
    lines: list[LineView]
    gifts: list[LineView]
    priced: PricedCart | None
    error: str = ""
    hints: list[str] = field(default_factory=list)  # cart-wide MOQ/multiple hints

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def count(self) -> int:
        return len(self.lines)


def cart_view(*, actor: Actor, dealer: Dealer) -> CartView:
    """The cart with live prices (engine: five queries) — two more for the lines and their units."""
    from dinghuo.orders.cart import cart_for

    cart = cart_for(actor=actor)
    rows = list(
        CartLine.objects.filter(cart=cart)
        .select_related("sku__product__category")
        .prefetch_related(Prefetch("sku__units", queryset=SkuUnit.objects.order_by("factor", "id")))
        .order_by("added_at", "id")
    )
    view = CartView(cart=cart, lines=[], gifts=[], priced=None)
    if not rows:
        return view
    try:
        priced = price_cart(dealer=dealer, items=[CartItem(sku_id=r.sku_id, qty=r.qty, unit=r.unit) for r in rows])
    except DomainError as exc:
        view.error = exc.message
        view.lines = [LineView(line=r, priced=None, sku=r.sku, units=list(r.sku.units.all())) for r in rows]
        line = exc.detail.get("line") if isinstance(exc.detail, dict) else None
        if isinstance(line, int) and 0 <= line < len(view.lines):
            view.lines[line].error = exc.message
        return view
    view.priced = priced
    for i, row in enumerate(rows):
        view.lines.append(_explain(priced.lines[i], row))
    for gift in priced.lines[len(rows) :]:
        info = (gift.explanation or {}).get("gift", {})
        view.gifts.append(
            LineView(
                line=None,
                priced=gift,
                sku=gift.sku,
                gift_of=(info.get("promotion") or {}).get("name", ""),
            )
        )
    view.hints = _quantity_hints(view.lines)
    return view


def _explain(priced: PricedLine, row: CartLine) -> LineView:
    exp = priced.explanation or {}
    price = exp.get("price") or {}
    view = LineView(line=row, priced=priced, sku=row.sku, units=list(row.sku.units.all()))
    view.source = str(SOURCE_LABELS.get(price.get("source", ""), price.get("source", "")))
    if price.get("price_list"):
        view.price_list = price["price_list"].get("name") or price["price_list"].get("code", "")
    base_unit = price.get("base_unit") or row.sku.base_unit
    tier = price.get("tier")
    if price.get("tiers") and len(price["tiers"]) > 1 and tier and Decimal(str(tier["min_qty"])) > 1:
        view.tier = _("volume price %(price)s/%(unit)s from %(qty)s %(unit)s") % {
            "price": _money(tier["price"]),
            "unit": base_unit,
            "qty": tier["min_qty"],
        }
    nxt = price.get("next_tier")
    if nxt:
        # the hint speaks in the unit the line is ordered in: "add 90 cases", not "add 2160 bottles"
        factor = next((u.factor for u in view.units if u.name == row.unit), Decimal(1))
        missing = Decimal(str(nxt["missing"]))
        if row.unit != base_unit and factor > 1:
            view.next_tier = _("Add %(missing)s %(line_unit)s more to pay %(price)s/%(unit)s") % {
                "missing": fmt_qty((missing / factor).to_integral_value(rounding=ROUND_CEILING)),
                "line_unit": row.unit,
                "unit": base_unit,
                "price": _money(nxt["price"]),
            }
        else:
            view.next_tier = _("Add %(missing)s %(unit)s more to pay %(price)s/%(unit)s") % {
                "missing": nxt["missing"],
                "unit": base_unit,
                "price": _money(nxt["price"]),
            }
    view.applied = [
        {"name": a.get("name", ""), "code": a.get("code", ""), "amount": Decimal(a.get("amount") or 0)}
        for a in exp.get("promotions") or []
    ]
    view.not_applied = [
        {"name": a.get("name", ""), "code": a.get("code", ""), "reason": a.get("reason", "")}
        for a in exp.get("not_applied") or []
        if a.get("reason")
    ]
    flash = exp.get("flash")
    if flash:
        view.flash = flash.get("reason") or _("flash price %(price)s/%(unit)s for %(qty)s %(unit)s") % {
            "price": _money(flash.get("flash_price")),
            "qty": flash.get("qty_base_at_flash_price"),
            "unit": base_unit,
        }
    return view


def _quantity_hints(lines: list[LineView]) -> list[str]:
    """MOQ and order multiples, summed per SKU over its lines (the order check is authoritative)."""
    totals: dict[int, Decimal] = {}
    first: dict[int, LineView] = {}
    for view in lines:
        if view.priced is None:
            continue
        totals[view.sku.pk] = totals.get(view.sku.pk, ZERO) + view.priced.qty_base
        first.setdefault(view.sku.pk, view)
    out = []
    for sku_id, qty in totals.items():
        view = first[sku_id]
        sku = view.sku
        hint = ""
        if sku.moq and qty < sku.moq:
            hint = _("Minimum order is %(moq)s %(unit)s; the cart has %(qty)s.") % {
                "moq": qty_text(sku.moq),
                "unit": sku.base_unit,
                "qty": qty_text(qty),
            }
        elif sku.order_multiple and sku.order_multiple > 0 and qty % sku.order_multiple:
            up = (qty // sku.order_multiple + 1) * sku.order_multiple
            hint = _("Order in multiples of %(multiple)s %(unit)s: %(up)s would do.") % {
                "multiple": qty_text(sku.order_multiple),
                "unit": sku.base_unit,
                "up": qty_text(up),
            }
        if hint:
            view.hints.append(hint)
            out.append(f"{sku.code}：{hint}")
    return out


# --- account ----------------------------------------------------------------------------------------


def account_summary(*, actor: Actor, dealer: Dealer) -> dict:
    """Credit and balances (two queries: the overdue sum and the open receivables)."""
    require(actor, "finance.view")
    from dinghuo.finance.models import Receivable
    from dinghuo.finance.services import overdue_amount

    account = account_of(dealer)
    open_receivables = (
        Receivable.objects.filter(dealer=dealer, status=Receivable.Status.OPEN)
        .select_related("order")
        .order_by("due_date", "id")[:5]
    )
    used = 0
    if account is not None:
        if account.credit_limit > 0:
            used = min(100, int(account.exposure * 100 / account.credit_limit))
        elif account.exposure > 0:
            used = 100
    return {
        "account": account,
        "credit_used_pct": used,
        "overdue": overdue_amount(dealer.pk),
        "receivables": list(open_receivables),
        "today": timezone.localdate(),
    }


BUCKETS = [b for b, _label in LedgerEntry.Bucket.choices]


def ledger(*, actor: Actor, dealer: Dealer, bucket: str = "") -> QuerySet[LedgerEntry]:
    require(actor, "finance.view")
    qs = LedgerEntry.objects.filter(account__dealer_id=dealer.pk)
    if bucket in BUCKETS:
        qs = qs.filter(bucket=bucket)
    return qs.order_by("-created_at", "-id")


def ledger_refs(entries) -> dict[str, str]:
    """Order numbers of the orders a page of ledger entries refers to (one query)."""
    ids = {int(e.ref_id) for e in entries if e.ref_type == "order" and str(e.ref_id).isdigit()}
    if not ids:
        return {}
    return {str(pk): number for pk, number in Order.objects.filter(pk__in=ids).values_list("pk", "number")}


# --- import jobs ------------------------------------------------------------------------------------


def import_job(*, actor: Actor, pk: int | str) -> Job:
    """An import job of this user (in this tenant); anyone else's is not found."""
    require(actor, "orders.import")
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound()
    job = Job.objects.filter(pk=pk, kind=IMPORT_KIND, created_by_id=actor.user_id).first()
    if job is None:
        raise NotFound()
    return job


def recent_imports(actor: Actor, limit: int = 5) -> list[Job]:
    if not can(actor, "orders.import"):
        return []
    return list(
        Job.objects.filter(kind=IMPORT_KIND, created_by_id=actor.user_id)
        .defer("result")
        .order_by("-created_at", "-id")[:limit]
    )
