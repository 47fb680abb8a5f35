"""Reads of pricing shared by the API and pages: price lists with counts, one dealer's price of a SKU."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Sku
from dinghuo.core.money import quantize
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.errors import DealerNotFound
from dinghuo.dealers.models import Dealer
from dinghuo.pricing.errors import PriceListNotFound, PromotionNotFound
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion
from dinghuo.pricing.prices import DealerKey, ResolvedPrice, resolve_prices


def price_list_list(*, actor: Actor, kind: str = "", q: str = "", active_at: dt.datetime | None = None) -> QuerySet:
    """Price lists with ``item_count`` (prices) and ``sku_count`` (SKUs priced), targets joined."""
    require(actor, "prices.view_all")
    qs = PriceList.objects.select_related("dealer", "price_group", "tier").annotate(
        item_count=Count("items"), sku_count=Count("items__sku", distinct=True)
    )
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if active_at is not None:
        qs = qs.filter(
            Q(is_active=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=active_at),
            Q(valid_to__isnull=True) | Q(valid_to__gt=active_at),
        )
    return qs.order_by("kind", "code")


def price_list_get(*, actor: Actor, pk: int | str) -> PriceList:
    require(actor, "prices.view_all")
    try:
        return PriceList.objects.select_related("dealer", "price_group", "tier").get(pk=int(pk))
    except (PriceList.DoesNotExist, ValueError, TypeError):
        raise PriceListNotFound(detail={"price_list": str(pk)})


def price_list_items(*, actor: Actor, price_list: PriceList) -> QuerySet:
    require(actor, "prices.view_all")
    return (
        PriceListItem.objects.filter(price_list=price_list)
        .select_related("sku__product")
        .order_by("sku__code", "min_qty")
    )


def promotion_list(*, actor: Actor, active_at: dt.datetime | None = None, kind: str = "") -> QuerySet:
    require(actor, "prices.view_all")
    qs = Promotion.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if active_at is not None:
        qs = qs.filter(is_active=True, valid_from__lte=active_at, valid_to__gt=active_at)
    return qs.order_by("-priority", "code")


def promotion_get(*, actor: Actor, pk: int | str) -> Promotion:
    require(actor, "prices.view_all")
    try:
        return Promotion.objects.get(pk=int(pk))
    except (Promotion.DoesNotExist, ValueError, TypeError):
        raise PromotionNotFound(detail={"promotion": str(pk)})


@dataclass
class DealerSkuPrice:
    """What a dealer pays for a SKU per base unit, by volume tier, and where the price comes from."""

    sku_id: int
    price: Decimal  # at the smallest tier (what a product page shows first)
    list_price: Decimal
    source: str
    price_list_code: str = ""
    price_list_name: str = ""
    tiers: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # [(min_qty, price)] of the winning list

    @property
    def saving(self) -> Decimal:
        return quantize(max(self.list_price - self.price, Decimal(0)))


def dealer_prices(
    *, actor: Actor, dealer: Dealer, skus: list[Sku], at: dt.datetime | None = None
) -> dict[int, DealerSkuPrice]:
    """The dealer's prices of many SKUs in one query (product pages and lists). A dealer user may
    only ask for its own dealer; staff need ``prices.view_all``."""
    if not (actor.is_dealer and actor.dealer_id == dealer.pk):
        require(actor, "prices.view_all")
    if dealer.tenant_id != actor.tenant_id and not actor.is_system:
        raise DealerNotFound(detail={"dealer": dealer.pk})
    tenant_settings = dealer.tenant.settings if "tenant" in dealer._state.fields_cache else None
    if tenant_settings is None:
        from dinghuo.tenancy.models import Tenant

        tenant_settings = Tenant.objects.filter(pk=dealer.tenant_id).values_list("settings", flat=True).first() or {}
    key = DealerKey.of(dealer, tenant_settings)
    resolved: dict[int, ResolvedPrice] = resolve_prices(
        key, {s.pk: Decimal(0) for s in skus}, {s.pk: s.list_price for s in skus}, at or timezone.now()
    )
    out = {}
    for sku in skus:
        r = resolved[sku.pk]
        tiers = list(r.tiers)
        out[sku.pk] = DealerSkuPrice(
            sku_id=sku.pk,
            price=tiers[0][1] if tiers else r.price,
            list_price=sku.list_price,
            source=r.source,
            price_list_code=r.price_list_code,
            price_list_name=r.price_list_name,
            tiers=tiers,
        )
    return out


def dealer_price(*, actor: Actor, dealer: Dealer, sku: Sku, at: dt.datetime | None = None) -> DealerSkuPrice:
    """One SKU's price for a dealer, with its volume tiers."""
    return dealer_prices(actor=actor, dealer=dealer, skus=[sku], at=at)[sku.pk]
