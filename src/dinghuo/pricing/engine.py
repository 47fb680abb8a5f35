"""The price engine: a cart in, every line priced and explained out.

    cart = price_cart(dealer=dealer, items=[CartItem(sku_id=7, qty=Decimal(2), unit="箱")])
    cart.lines[0].unit_price, cart.lines[0].explanation, cart.total, cart.flash_claims

``price_cart`` runs in the current tenant context, never writes, and issues five queries whatever
the number of lines: the dealer's tier and tenant settings; the promotions in force (with the
dealer's flash-sale usage); the SKUs with products and categories (cart and gift SKUs); their
units; their price-list prices (``prices.resolve_prices``). It then computes without the database.

What it does, in order (``StandardPricing``):

1. Validate the lines: known SKU (another tenant's id is unknown), known unit (None = the SKU's
   default order unit, else its base unit; the base unit is always allowed, with factor 1), a
   quantity > 0 with at most 3 decimals, whole in a unit with ``is_whole`` (the base unit without a
   SkuUnit row counts as whole). MOQ, multiples, sale status, regions and stock are the order rule
   check's business: inactive or discontinued SKUs are priced like any other.
2. Base prices (``prices.py``): the applicable price list of highest precedence for the dealer
   (contract > group > city > province > tier > list by default; ``settings["price_precedence"]``
   reorders them), then the volume tier reached by the SKU's base quantity summed over all the
   cart's lines of that SKU (a quantity exactly at an edge gets that tier); else ``Sku.list_price``.
   Prices are per base unit: ``unit_price = quantize(price × unit_factor)``,
   ``gross = quantize(qty × unit_price)``.
3. Promotions (``promotions.py``, whose docstring holds the stacking rule).
4. Totals: ``amount = gross − discount``, ``tax = split_tax(amount, rate)[1]`` (prices include
   tax); the cart's figures are sums of the lines', so they add up to the cent. Decimal only.

A tenant swaps the whole policy with ``settings["pricing_policy"] = "<dotted path>"`` (a subclass
of ``StandardPricing``). Because the path comes from tenant data, it must also be listed in the
Django setting ``DINGHUO_PRICING_POLICIES`` (the default policy always is).

``claim_flash_sales`` / ``release_flash_sales`` run inside the order's transaction: the flash-sale
quantities are claimed with guarded updates (rows locked in primary-key order first), so two
orders can never sell past ``total_cap`` or a dealer's ``per_dealer_cap``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection
from django.db.models import F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from dinghuo.catalog.models import Sku, SkuUnit
from dinghuo.core.money import ZERO, QuantityField, quantize, split_tax
from dinghuo.core.prepared import prepared
from dinghuo.core.tenancy import current_tenant_id
from dinghuo.dealers.errors import DealerNotFound
from dinghuo.dealers.models import Dealer
from dinghuo.pricing import errors
from dinghuo.pricing.models import Promotion, PromotionUsage
from dinghuo.pricing.prices import DealerKey, ResolvedPrice, resolve_prices
from dinghuo.pricing.promotions import Outcome, PromotionRun, Unit, WorkLine, fmt_qty

DEFAULT_POLICY = "dinghuo.pricing.engine.StandardPricing"
MAX_LINES = 1000
QTY_STEP = Decimal("0.001")
MAX_QTY = Decimal("99999999999.999")  # what a QuantityField holds
MAX_AMOUNT = Decimal("99999999999999.99")  # what a MoneyField holds


@dataclass(frozen=True)
class CartItem:
    sku_id: int
    qty: Decimal  # in `unit`
    unit: str | None = None  # SkuUnit.name; None = the SKU's default order unit (is_default, else base unit)


@dataclass
class PricedLine:
    sku: Sku  # loaded with .product (and product.category / brand ids) for the caller's rule checks
    sku_id: int
    sku_code: str
    name: str  # product name + " " + sku.name
    unit: str
    unit_factor: Decimal  # base units per unit
    qty: Decimal  # in unit
    qty_base: Decimal
    unit_price: Decimal  # tax-inclusive, per unit, after price list and volume tier, before promotions
    list_price: Decimal  # per unit, from Sku.list_price
    discount: Decimal  # this line's share of every promotion
    amount: Decimal  # quantize(qty * unit_price) - discount
    tax_rate: Decimal
    tax: Decimal  # split_tax(amount, rate)[1]
    is_gift: bool
    promotion_id: int | None  # for gift lines and flash-sale lines
    explanation: dict  # JSON-able (amounts as strings)


@dataclass(frozen=True)
class FlashClaim:
    promotion_id: int
    sku_id: int
    qty_base: Decimal
    per_dealer_cap: Decimal | None
    total_cap: Decimal | None


@dataclass
class PricedCart:
    lines: list[PricedLine]  # the input lines in input order, then gift lines
    subtotal: Decimal  # Σ quantize(qty * unit_price) of non-gift lines
    discount: Decimal  # Σ line.discount
    total: Decimal  # Σ line.amount (== subtotal - discount)
    tax: Decimal  # Σ line.tax
    promotions: list[dict]  # applied: id, code, name, kind, amount, lines, gifts … (JSON-able)
    flash_claims: list[FlashClaim] = field(default_factory=list)


@dataclass
class Catalog:
    """The SKUs (cart and gift SKUs) and their units, as loaded for one cart — or, passed to
    ``price_cart`` by a caller pricing many carts, a cache that grows with what they need."""

    skus: dict[int, Sku] = field(default_factory=dict)
    units: dict[int, list[Unit]] = field(default_factory=dict)


@dataclass
class PricingContext:
    dealer: Dealer
    key: DealerKey
    tier_code: str
    at: dt.datetime
    tenant_settings: dict


# --- the entry point --------------------------------------------------------------------------------


def price_cart(
    *,
    dealer: Dealer,
    items: list[CartItem],
    at: dt.datetime | None = None,
    tenant_settings: dict | None = None,
    tier_code: str | None = None,
    catalog: Catalog | None = None,
) -> PricedCart:
    """Price a cart for a dealer of the current tenant (read-only, 5 queries; 4 when the caller, such
    as order placement, already read the tenant's settings and the dealer's tier).

    ``catalog``: a cache of SKUs and units kept by a caller pricing many carts, such as an import;
    what a cart needs and the cache lacks is read and added to it."""
    if tenant_settings is None or tier_code is None:
        row = Dealer.objects.filter(pk=dealer.pk).values_list("tenant__settings", "tier__code").first()
        if row is None:
            raise DealerNotFound(detail={"dealer": dealer.pk})
        tenant_settings, tier_code = row[0] or {}, row[1] or ""
    policy = policy_for(tenant_settings)
    return policy.price_cart(dealer=dealer, items=items, at=at or timezone.now(), tier_code=tier_code, catalog=catalog)


def policy_for(tenant_settings: dict | None) -> StandardPricing:
    tenant_settings = tenant_settings or {}
    return _policy_class(str(tenant_settings.get("pricing_policy") or DEFAULT_POLICY))(tenant_settings)


@lru_cache(maxsize=64)
def _policy_class(path: str) -> type[StandardPricing]:
    allowed = {DEFAULT_POLICY, *getattr(settings, "DINGHUO_PRICING_POLICIES", ())}
    if path not in allowed:
        raise ImproperlyConfigured(f"pricing policy {path!r} is not listed in DINGHUO_PRICING_POLICIES")
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, StandardPricing)):
        raise ImproperlyConfigured(f"pricing policy {path!r} is not a StandardPricing subclass")
    return cls


# --- the policy -----------------------------------------------------------------------------------


# --- the reads a priced cart makes, compiled once per process (core/prepared.py) ----------------------


@prepared
def _promotions(dealer_id: int, at: dt.datetime) -> QuerySet:
    used = PromotionUsage.objects.filter(promotion_id=OuterRef("pk"), dealer_id=dealer_id).values("qty")[:1]
    return (
        Promotion.objects.filter(is_active=True, valid_from__lte=at, valid_to__gt=at)
        .annotate(dealer_used=Coalesce(Subquery(used), Value(ZERO), output_field=QuantityField()))
        .order_by("-priority", "code", "id")
    )


@prepared
def _skus(sku_ids: list[int]) -> QuerySet:
    return (
        Sku.objects.filter(pk__any=sku_ids)
        .select_related("product")
        .defer("product__description", "product__search_text")
        .annotate(category_path=F("product__category__path"))
    )


@prepared
def _units(sku_ids: list[int]) -> QuerySet:
    return (
        SkuUnit.objects.filter(sku_id__any=sku_ids)
        .order_by("sku_id", "factor", "id")
        .values_list("sku_id", "name", "factor", "is_default", "is_whole")
    )


class StandardPricing:
    """The default pricing policy. Subclass and override a step to change how a tenant prices."""

    max_lines = MAX_LINES

    def __init__(self, tenant_settings: dict | None = None):
        self.tenant_settings = tenant_settings or {}

    def price_cart(
        self, *, dealer: Dealer, items: list[CartItem], at: dt.datetime, tier_code: str, catalog: Catalog | None = None
    ) -> PricedCart:
        if not items:
            raise errors.CartEmpty()
        if len(items) > self.max_lines:
            raise errors.CartTooLarge(max=self.max_lines, detail={"lines": len(items)})
        ctx = PricingContext(
            dealer=dealer,
            key=DealerKey.of(dealer, self.tenant_settings),
            tier_code=tier_code,
            at=at,
            tenant_settings=self.tenant_settings,
        )
        promotions = [
            p
            for p in self.load_promotions(ctx)
            if PromotionRun.eligible(p, tier_code=tier_code, region_code=dealer.region_code)
        ]
        sku_ids = {_sku_id(item.sku_id) for item in items} - {None}
        wanted = sku_ids | self.gift_sku_ids(promotions)
        if catalog is None:
            catalog = self.load_catalog(wanted)
        elif missing := wanted - catalog.skus.keys():
            more = self.load_catalog(missing)
            catalog.skus.update(more.skus)
            catalog.units.update(more.units)
        lines = self.build_lines(items, catalog)
        quantities: dict[int, Decimal] = defaultdict(Decimal)
        for line in lines:
            quantities[line.sku.pk] += line.qty_base
        resolved = self.resolve(ctx, dict(quantities), {line.sku.pk: line.sku.list_price for line in lines})
        return self.compute(ctx, lines, resolved, promotions, catalog)

    # --- loading (the only queries) ---------------------------------------------------------------

    def load_promotions(self, ctx: PricingContext) -> list[Promotion]:
        return _promotions.list(dealer_id=ctx.dealer.pk, at=ctx.at)

    @staticmethod
    def gift_sku_ids(promotions: list[Promotion]) -> set[int]:
        out = set()
        for p in promotions:
            if p.kind == Promotion.Kind.GIFT:
                sku_id = _sku_id((p.rules or {}).get("gift_sku"))
                if sku_id is not None:
                    out.add(sku_id)
        return out

    def load_catalog(self, sku_ids: set[int]) -> Catalog:
        skus = {s.pk: s for s in _skus.queryset(sku_ids=sorted(sku_ids))}
        units: dict[int, list[Unit]] = defaultdict(list)
        if skus:
            for sku_id, name, factor, is_default, is_whole in _units.queryset(sku_ids=sorted(skus)):
                units[sku_id].append(Unit(name, factor, is_default, is_whole))
        return Catalog(skus=skus, units=dict(units))

    def resolve(
        self, ctx: PricingContext, quantities: dict[int, Decimal], list_prices: dict[int, Decimal]
    ) -> dict[int, ResolvedPrice]:
        return resolve_prices(ctx.key, quantities, list_prices, ctx.at)

    # --- validation -------------------------------------------------------------------------------

    def build_lines(self, items: list[CartItem], catalog: Catalog) -> list[WorkLine]:
        lines = []
        for index, item in enumerate(items):
            sku_id = _sku_id(item.sku_id)
            sku = catalog.skus.get(sku_id) if sku_id is not None else None
            if sku is None:
                raise errors.SkuUnknown(
                    line=index + 1, sku=item.sku_id, detail={"line": index, "sku": str(item.sku_id)}
                )
            units = catalog.units.get(sku.pk, [])
            unit_name, factor, whole = _unit_of(sku, units, item.unit)
            if factor is None:
                raise errors.UnitUnknown(
                    line=index + 1,
                    sku=sku.code,
                    unit=item.unit,
                    detail={"line": index, "sku": sku.pk, "unit": item.unit},
                )
            qty = _qty(item.qty)
            detail = {"line": index, "sku": sku.pk, "qty": str(item.qty)}
            if qty is None:
                raise errors.QuantityInvalid(line=index + 1, detail=detail)
            if qty > MAX_QTY:
                raise errors.QuantityTooLarge(line=index + 1, detail=detail)
            qty_base = qty * factor
            if qty_base > MAX_QTY:
                raise errors.QuantityTooLarge(line=index + 1, detail=detail)
            if qty_base != qty_base.quantize(QTY_STEP):  # base quantities are stored (and reserved) to 0.001
                raise errors.QuantityInvalid(line=index + 1, detail=detail)
            qty_base = qty_base.quantize(QTY_STEP)
            if whole and qty != qty.to_integral_value():
                raise errors.QuantityNotWhole(line=index + 1, sku=sku.code, unit=unit_name, detail=detail)
            lines.append(
                WorkLine(index=index, sku=sku, unit=unit_name, factor=factor, qty=qty, qty_base=qty_base, units=units)
            )
        return lines

    # --- computing (no queries) -------------------------------------------------------------------

    def compute(
        self,
        ctx: PricingContext,
        lines: list[WorkLine],
        resolved: dict[int, ResolvedPrice],
        promotions: list[Promotion],
        catalog: Catalog,
    ) -> PricedCart:
        for line in lines:
            self.set_base_price(line, resolved[line.sku.pk])
        run = PromotionRun(lines=lines, promotions=promotions, skus=catalog.skus, units=catalog.units)
        applied = self.apply_promotions(run)
        return self.finish(lines, applied)

    def set_base_price(self, line: WorkLine, price: ResolvedPrice) -> None:
        line.resolved = price
        line.base_price = price.price
        line.unit_price = quantize(price.price * line.factor)
        line.list_price = quantize(line.sku.list_price * line.factor)
        line.gross = quantize(line.qty * line.unit_price)
        if line.gross > MAX_AMOUNT:
            raise errors.QuantityTooLarge(line=line.index + 1, detail={"line": line.index, "sku": line.sku.pk})

    def apply_promotions(self, run: PromotionRun) -> list[Outcome]:
        return run.run()

    def finish(self, lines: list[WorkLine], applied: list[Outcome]) -> PricedCart:
        priced = [self.priced_line(line) for line in lines]
        summaries, claims = [], []
        for outcome in applied:
            promotion = outcome.promotion
            gifts = []
            for gift in outcome.gifts:
                gifts.append(
                    {
                        "line": len(priced),
                        "sku_id": gift.sku.pk,
                        "sku_code": gift.sku.code,
                        "qty": fmt_qty(gift.qty),
                        "unit": gift.unit,
                        "value": str(gift.value),
                    }
                )
                priced.append(self.gift_line(gift, promotion))
            summaries.append(
                {
                    "id": promotion.pk,
                    "code": promotion.code,
                    "name": promotion.name,
                    "kind": promotion.kind,
                    "amount": str(outcome.amount),
                    "benefit": str(outcome.benefit),
                    "lines": sorted(set(outcome.discounts) | set(outcome.touched)),
                    "gifts": gifts,
                    "stackable": promotion.stackable,
                    "exclusive_group": promotion.exclusive_group,
                    "rules": outcome.info,
                }
            )
            for sku_id, qty_base in outcome.flash:
                if qty_base > 0:
                    claims.append(
                        FlashClaim(
                            promotion_id=promotion.pk,
                            sku_id=sku_id,
                            qty_base=qty_base,
                            per_dealer_cap=promotion.per_dealer_cap,
                            total_cap=promotion.total_cap,
                        )
                    )
        return PricedCart(
            lines=priced,
            subtotal=sum((line.gross for line in lines), ZERO),
            discount=sum((p.discount for p in priced), ZERO),
            total=sum((p.amount for p in priced), ZERO),
            tax=sum((p.tax for p in priced), ZERO),
            promotions=summaries,
            flash_claims=claims,
        )

    def priced_line(self, line: WorkLine) -> PricedLine:
        sku = line.sku
        amount = line.gross - line.discount
        rate = sku.vat_rate
        return PricedLine(
            sku=sku,
            sku_id=sku.pk,
            sku_code=sku.code,
            name=f"{sku.product.name} {sku.name}".strip(),
            unit=line.unit,
            unit_factor=line.factor,
            qty=line.qty,
            qty_base=line.qty_base,
            unit_price=line.unit_price,
            list_price=line.list_price,
            discount=line.discount,
            amount=amount,
            tax_rate=rate,
            tax=split_tax(amount, rate)[1],
            is_gift=False,
            promotion_id=line.flash_promotion_id,
            explanation=self.explain(line),
        )

    def gift_line(self, gift, promotion: Promotion) -> PricedLine:
        sku = gift.sku
        return PricedLine(
            sku=sku,
            sku_id=sku.pk,
            sku_code=sku.code,
            name=f"{sku.product.name} {sku.name}".strip(),
            unit=gift.unit,
            unit_factor=gift.factor,
            qty=gift.qty,
            qty_base=(gift.qty * gift.factor).quantize(QTY_STEP),
            unit_price=ZERO,
            list_price=quantize(sku.list_price * gift.factor),
            discount=ZERO,
            amount=ZERO,
            tax_rate=sku.vat_rate,
            tax=ZERO,
            is_gift=True,
            promotion_id=promotion.pk,
            explanation={
                "gift": {
                    "promotion": {"id": promotion.pk, "code": promotion.code, "name": promotion.name},
                    "value_at_list_price": str(gift.value),
                }
            },
        )

    def explain(self, line: WorkLine) -> dict:
        r = line.resolved
        assert r is not None
        price: dict = {
            "source": r.source,
            "price_list": (
                {"id": r.price_list_id, "code": r.price_list_code, "name": r.price_list_name}
                if r.price_list_id
                else None
            ),
            "base_price": str(r.price),
            "base_unit": line.sku.base_unit,
            "unit_factor": fmt_qty(line.factor),
            "unit_price": str(line.unit_price),
            "qty_base_counted": fmt_qty(r.qty),
        }
        if r.tiers:
            price["tier"] = {"min_qty": fmt_qty(r.min_qty), "price": str(r.price)}
            price["tiers"] = [{"min_qty": fmt_qty(q), "price": str(p)} for q, p in r.tiers]
            nxt = r.next_tier
            price["next_tier"] = (
                {"min_qty": fmt_qty(nxt[0]), "price": str(nxt[1]), "missing": fmt_qty(nxt[0] - r.qty)} if nxt else None
            )
        price["outranked"] = [{"code": c, "source": k, "price": p} for c, k, p in r.outranked]
        out = {
            "price": price,
            "list_price": str(line.list_price),
            "gross": str(line.gross),
            "promotions": line.applied,
            "not_applied": line.not_applied,
        }
        out.update(line.notes)
        return out


# --- flash sales: claimed and released inside the order's transaction --------------------------------


def claim_flash_sales(*, dealer_id: int, claims: list[FlashClaim]) -> None:
    """Claim flash-sale quantities for an order, in the caller's transaction.

    Locks the promotions in primary-key order, raises FlashSaleEnded / FlashSaleDealerLimit /
    FlashSaleSoldOut (so the caller's transaction rolls back) when a claim no longer fits, then
    adds the quantities with a guarded UPDATE (``sold_qty + q <= total_cap``) and adds the
    dealer's usage with a guarded upsert (``qty + q <= per_dealer_cap``; a CHECK is the last
    defence). The caps are read from the locked rows, not from the claims. Three statements on
    PostgreSQL whatever the number of claims; a few per claim on SQLite (whose writers are
    serialised by ``BEGIN IMMEDIATE`` anyway).
    """
    wanted, sku_of = _merge(claims)
    if not wanted:
        return
    _require_transaction()
    from dinghuo.pricing.locks import lock_promotions

    promos = lock_promotions(list(wanted))
    now = timezone.now()
    for pid in sorted(wanted):
        p = promos.get(pid)
        detail = {"promotion": pid, "sku": sku_of[pid], "qty_base": str(wanted[pid])}
        if p is None or p.kind != Promotion.Kind.FLASH or not p.is_active or not (p.valid_from <= now < p.valid_to):
            raise errors.FlashSaleEnded(promotion=getattr(p, "code", pid), detail=detail)
        if p.per_dealer_cap is not None and wanted[pid] > p.per_dealer_cap:
            raise errors.FlashSaleDealerLimit(promotion=p.code, sku=sku_of[pid], detail=detail)
        if p.total_cap is not None and p.sold_qty + wanted[pid] > p.total_cap:
            raise errors.FlashSaleSoldOut(promotion=p.code, sku=sku_of[pid], detail=detail)
    tenant_id = current_tenant_id()
    if connection.vendor == "postgresql":
        _claim_pg(tenant_id, dealer_id, wanted, sku_of, promos)
    else:
        _claim_portable(tenant_id, dealer_id, wanted, sku_of, promos)


def release_flash_sales(*, dealer_id: int, claims: list[FlashClaim]) -> None:
    """Give claimed quantities back (an order cancelled), in the caller's transaction. Never below 0."""
    wanted, _sku_of = _merge(claims)
    if not wanted:
        return
    _require_transaction()
    from dinghuo.pricing.locks import lock_promotions

    promos = lock_promotions(list(wanted))
    ids = [pid for pid in sorted(wanted) if pid in promos]
    if not ids:
        return
    tenant_id = current_tenant_id()
    if connection.vendor == "postgresql":
        promo_t, usage_t = Promotion._meta.db_table, PromotionUsage._meta.db_table
        values, params = _values(ids, wanted)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {promo_t} AS p SET sold_qty = GREATEST(p.sold_qty - v.q, 0) "
                f"FROM (VALUES {values}) AS v(id, q) WHERE p.id = v.id AND p.tenant_id = %s",
                [*params, tenant_id],
            )
            cursor.execute(
                f"UPDATE {usage_t} AS u SET qty = GREATEST(u.qty - v.q, 0) "
                f"FROM (VALUES {values}) AS v(id, q) "
                "WHERE u.promotion_id = v.id AND u.dealer_id = %s AND u.tenant_id = %s",
                [*params, dealer_id, tenant_id],
            )
        return
    usages = {u.promotion_id: u for u in PromotionUsage.objects.filter(promotion_id__in=ids, dealer_id=dealer_id)}
    for pid in ids:
        p = promos[pid]
        Promotion.objects.filter(pk=pid, sold_qty=p.sold_qty).update(sold_qty=max(p.sold_qty - wanted[pid], ZERO))
        usage = usages.get(pid)
        if usage is not None:
            PromotionUsage.objects.filter(pk=usage.pk, qty=usage.qty).update(qty=max(usage.qty - wanted[pid], ZERO))


def _merge(claims: list[FlashClaim]) -> tuple[dict[int, Decimal], dict[int, int]]:
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    sku_of: dict[int, int] = {}
    for claim in claims:
        if not isinstance(claim.qty_base, Decimal) or not claim.qty_base.is_finite() or claim.qty_base < 0:
            raise ValueError(f"flash claim quantity must be a Decimal ≥ 0: {claim!r}")
        if claim.qty_base == 0:
            continue
        wanted[int(claim.promotion_id)] += claim.qty_base
        sku_of.setdefault(int(claim.promotion_id), claim.sku_id)
    return dict(wanted), sku_of


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("flash sales are claimed and released inside the order's transaction")


def _values(ids: list[int], wanted: dict[int, Decimal]) -> tuple[str, list]:
    values = ", ".join(["(%s::bigint, %s::numeric)"] * len(ids))
    params: list = []
    for pid in ids:
        params += [pid, wanted[pid]]
    return values, params


def _claim_pg(tenant_id, dealer_id: int, wanted: dict, sku_of: dict, promos: dict) -> None:
    ids = sorted(wanted)
    promo_t, usage_t = Promotion._meta.db_table, PromotionUsage._meta.db_table
    values, params = _values(ids, wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {promo_t} AS p SET sold_qty = p.sold_qty + v.q "
            f"FROM (VALUES {values}) AS v(id, q) "
            "WHERE p.id = v.id AND p.tenant_id = %s AND (p.total_cap IS NULL OR p.sold_qty + v.q <= p.total_cap) "
            "RETURNING p.id",
            [*params, tenant_id],
        )
        done = {row[0] for row in cursor.fetchall()}
        for pid in ids:
            if pid not in done:
                raise errors.FlashSaleSoldOut(
                    promotion=promos[pid].code, sku=sku_of[pid], detail={"promotion": pid, "sku": sku_of[pid]}
                )
        rows = ", ".join(["(%s, %s, %s, %s::numeric, %s::numeric)"] * len(ids))
        uparams: list = []
        for pid in ids:
            uparams += [tenant_id, pid, dealer_id, wanted[pid], promos[pid].per_dealer_cap]
        try:
            cursor.execute(
                f"INSERT INTO {usage_t} AS u (tenant_id, promotion_id, dealer_id, qty, cap) VALUES {rows} "
                "ON CONFLICT (promotion_id, dealer_id) DO UPDATE SET qty = u.qty + EXCLUDED.qty, cap = EXCLUDED.cap "
                "WHERE EXCLUDED.cap IS NULL OR u.qty + EXCLUDED.qty <= EXCLUDED.cap "
                "RETURNING promotion_id",
                uparams,
            )
        except IntegrityError:  # the CHECK, should the guard above ever be wrong
            raise errors.FlashSaleDealerLimit(promotion=",".join(promos[p].code for p in ids), sku="", detail={})
        done = {row[0] for row in cursor.fetchall()}
    for pid in ids:
        if pid not in done:
            raise errors.FlashSaleDealerLimit(
                promotion=promos[pid].code, sku=sku_of[pid], detail={"promotion": pid, "sku": sku_of[pid]}
            )


def _claim_portable(tenant_id, dealer_id: int, wanted: dict, sku_of: dict, promos: dict) -> None:
    usages = {
        u.promotion_id: u for u in PromotionUsage.objects.filter(promotion_id__in=list(wanted), dealer_id=dealer_id)
    }
    for pid in sorted(wanted):
        p, q = promos[pid], wanted[pid]
        detail = {"promotion": pid, "sku": sku_of[pid]}
        new = p.sold_qty + q
        # guarded on the value read under the lock (exact Decimal arithmetic, no SQLite REAL maths)
        if (p.total_cap is not None and new > p.total_cap) or not Promotion.objects.filter(
            pk=pid, sold_qty=p.sold_qty
        ).update(sold_qty=new):
            raise errors.FlashSaleSoldOut(promotion=p.code, sku=sku_of[pid], detail=detail)
        usage = usages.get(pid)
        mine = (usage.qty if usage else ZERO) + q
        if p.per_dealer_cap is not None and mine > p.per_dealer_cap:
            raise errors.FlashSaleDealerLimit(promotion=p.code, sku=sku_of[pid], detail=detail)
        if usage is None:
            PromotionUsage.objects.create(promotion_id=pid, dealer_id=dealer_id, qty=mine, cap=p.per_dealer_cap)
        elif not PromotionUsage.objects.filter(pk=usage.pk, qty=usage.qty).update(qty=mine, cap=p.per_dealer_cap):
            raise errors.FlashSaleDealerLimit(promotion=p.code, sku=sku_of[pid], detail=detail)


# --- helpers ----------------------------------------------------------------------------------------


def _sku_id(value) -> int | None:
    """A usable primary key (a positive 64-bit int), or None."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value < 2**63 else None


def _unit_of(sku: Sku, units: list[Unit], name: str | None) -> tuple[str, Decimal | None, bool]:
    """(unit name, base units per unit or None when unknown, whole units only)."""
    if name is None:
        default = next((u for u in units if u.is_default), None)
        if default is not None:
            return default.name, default.factor, default.is_whole
        name = sku.base_unit
    for unit in units:
        if unit.name == name:
            return unit.name, unit.factor, unit.is_whole
    if name == sku.base_unit:
        return name, Decimal(1), True
    return str(name), None, True


def _qty(value) -> Decimal | None:
    """A positive Decimal with at most 3 decimals, or None. Floats are refused (no float anywhere)."""
    if isinstance(value, bool | float) or value is None:
        return None
    try:
        qty = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not qty.is_finite() or qty <= 0 or qty.normalize().as_tuple().exponent < -3:
        return None
    return qty
