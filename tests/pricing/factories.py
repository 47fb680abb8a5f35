"""Builders for pricing tests: catalog rows (the catalog has no services yet, so these write the
models directly and keep Category.path right), price lists and promotions (through the services)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from dinghuo.catalog.models import Brand, Category, Product, Sku, SkuUnit
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.dealers.models import DealerTier, PriceGroup
from dinghuo.dealers.services import dealer_tier_create, price_group_create
from dinghuo.pricing.models import PriceList, Promotion
from dinghuo.pricing.services import price_item_set, price_list_create, promotion_create
from dinghuo.tenancy.models import Tenant

_seq = itertools.count(1)
D = Decimal


def system(tenant: Tenant | int) -> Actor:
    return Actor.system(tenant if isinstance(tenant, int) else tenant.pk, "tests")


def make_category(tenant: Tenant, name: str = "饮料", parent: Category | None = None) -> Category:
    with tenant_context(tenant):
        cat = Category.objects.create(code=f"C{next(_seq)}", name=name, parent=parent)
        cat.path = f"{parent.path if parent else '/'}{cat.pk}/"
        cat.depth = (parent.depth + 1) if parent else 0
        cat.save(update_fields=["path", "depth"])
        return cat


def make_brand(tenant: Tenant, name: str = "清泉") -> Brand:
    with tenant_context(tenant):
        return Brand.objects.create(code=f"B{next(_seq)}", name=name)


def make_sku(
    tenant: Tenant,
    *,
    list_price: str = "10.00",
    vat_rate: str = "0.13",
    base_unit: str = "瓶",
    units: list[tuple] | None = None,
    category: Category | None = None,
    brand: Brand | None = None,
    name: str = "500ml",
    product_name: str = "矿泉水",
    code: str | None = None,
    is_active: bool = True,
    status: str = Product.Status.ON_SALE,
) -> Sku:
    """A SKU with its own product. ``units``: [(name, factor, is_default, is_whole)], e.g. [("箱", 24, True, True)]."""
    with tenant_context(tenant):
        category = category or Category.objects.filter(code="DEFAULT").first()
        if category is None:
            category = Category.objects.create(code="DEFAULT", name="默认")
            category.path = f"/{category.pk}/"
            category.save(update_fields=["path"])
        n = next(_seq)
        product = Product.objects.create(code=f"P{n}", name=product_name, category=category, brand=brand, status=status)
        sku = Sku.objects.create(
            product=product,
            code=code or f"SKU{n}",
            name=name,
            base_unit=base_unit,
            list_price=D(list_price),
            vat_rate=D(vat_rate),
            is_active=is_active,
        )
        SkuUnit.objects.create(sku=sku, name=base_unit, factor=D(1), is_default=False, is_whole=True)
        for uname, factor, *flags in units or []:
            is_default = flags[0] if flags else False
            is_whole = flags[1] if len(flags) > 1 else True
            SkuUnit.objects.create(sku=sku, name=uname, factor=D(factor), is_default=is_default, is_whole=is_whole)
        return Sku.objects.select_related("product").get(pk=sku.pk)


def make_tier(tenant: Tenant, code: str, name: str | None = None, rank: int = 1) -> DealerTier:
    with tenant_context(tenant):
        return DealerTier.objects.filter(code=code).first() or dealer_tier_create(
            actor=system(tenant), code=code, name=name or code, rank=rank
        )


def make_group(tenant: Tenant, code: str = "KA") -> PriceGroup:
    with tenant_context(tenant):
        return price_group_create(actor=system(tenant), code=code, name=code)


def make_price_list(
    tenant: Tenant,
    kind: str = PriceList.Kind.LIST,
    prices: dict | None = None,
    *,
    code: str | None = None,
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
    is_active: bool = True,
    **target,
) -> PriceList:
    """``prices``: {sku: "9.50"} or {sku: [(min_qty, price), …]}."""
    with tenant_context(tenant):
        pl = price_list_create(
            actor=system(tenant),
            code=code or f"PL{next(_seq)}",
            name=f"{kind} list",
            kind=kind,
            valid_from=valid_from,
            valid_to=valid_to,
            is_active=is_active,
            **target,
        )
        for sku, price in (prices or {}).items():
            if isinstance(price, list):
                price_item_set(actor=system(tenant), price_list=pl, sku=sku, tiers=price)
            else:
                price_item_set(actor=system(tenant), price_list=pl, sku=sku, price=price)
        return pl


def make_promotion(
    tenant: Tenant,
    kind: str,
    rules: dict,
    *,
    code: str | None = None,
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
    **fields,
) -> Promotion:
    now = timezone.now()
    with tenant_context(tenant):
        return promotion_create(
            actor=system(tenant),
            code=code or f"PR{next(_seq)}",
            name=fields.pop("name", f"{kind} promotion"),
            kind=kind,
            rules=rules,
            valid_from=valid_from or now - dt.timedelta(days=1),
            valid_to=valid_to or now + dt.timedelta(days=1),
            **fields,
        )
