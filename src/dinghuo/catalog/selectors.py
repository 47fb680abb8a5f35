"""Reads of the catalog shared by pages, the API, search and parameter matching.

What a dealer may see: products on sale with active SKUs, and not restricted by
``Product.sale_regions`` to regions outside the dealer's home region (``sellable_skus``). What a
dealer pays: its own price per base unit (``with_prices``, the price engine's SQL precedence); staff
without a dealer see list prices. Stock is a hint (``with_stock``): what the brand's active
warehouses (and the dealer's parent's, in a multi-level network) have available, or backorders.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Contains, Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.permissions import require
from dinghuo.analytics.models import SKU_SALES_WINDOW_DAYS, FactWatermark, SkuSales
from dinghuo.catalog.models import AttributeValue, Category, Product, ProductImage, RelatedProduct, Sku, Tag
from dinghuo.catalog.search_errors import ProductNotFound
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer
from dinghuo.dealers.selectors import dealer_get
from dinghuo.inventory.models import Stock
from dinghuo.orders.models import Order, OrderLine
from dinghuo.pricing.prices import DealerKey, annotate_dealer_price
from dinghuo.tenancy.models import Tenant

QTY = DecimalField(max_digits=14, decimal_places=3)
MONEY = DecimalField(max_digits=16, decimal_places=2)
IN_STOCK, BACKORDER, OUT_OF_STOCK = "in_stock", "backorder", "out_of_stock"
STOCK_LABELS = {IN_STOCK: _("In stock"), BACKORDER: _("Available on backorder"), OUT_OF_STOCK: _("Out of stock")}
SALES_WINDOW_DAYS = SKU_SALES_WINDOW_DAYS
SALES_FRESH = dt.timedelta(hours=1)  # how old the kept SkuSales window may be and still rank search


# --- who is buying ---------------------------------------------------------------------------


def pricing_dealer(*, actor: Actor, dealer_id: int | str | None = None) -> Dealer | None:
    """The dealer whose prices and rules a catalog read applies.

    A dealer user always gets its own dealer (``dealer_id`` is ignored); staff get the dealer they
    name (within their data scope, else ``DealerNotFound``) or none — list prices, no region rules.
    """
    require(actor, "catalog.view")
    if actor.is_dealer:
        return dealer_get(actor=actor, pk=actor.dealer_id)
    if dealer_id in (None, ""):
        return None
    return dealer_get(actor=actor, pk=dealer_id)


def check_dealer(actor: Actor, dealer: Dealer | None) -> None:
    """A dealer user reads the catalog only as its own dealer."""
    require(actor, "catalog.view")
    if actor.is_dealer and (dealer is None or dealer.pk != actor.dealer_id):
        raise PermissionDenied(detail={"dealer": dealer.pk if dealer else None})


# --- what a dealer may see -------------------------------------------------------------------


def regions_containing(region_code: str) -> list[str]:
    """The province, city and district codes a region lies in (itself included)."""
    code = (region_code or "").strip()
    if not re.fullmatch(r"\d{6}", code):
        return []
    return sorted({code[:2] + "0000", code[:4] + "00", code})


def region_visibility_q(dealer: Dealer | None, prefix: str = "") -> Q:
    """Products (at ``prefix``) a dealer's region may buy: unrestricted, or listing a region containing it.

    ``sale_regions`` is a JSON list of six-digit code strings. PostgreSQL tests it with jsonb
    operators (``= '[]'`` has column statistics, so plans stay right; ``?|`` any of the codes of the
    dealer's province, city and district); SQLite searches its text for those codes.
    """
    if dealer is None:
        return Q()
    codes = regions_containing(dealer.region_code)
    if connection.vendor == "postgresql":
        condition = Q(**{f"{prefix}sale_regions": []})
        return condition | Q(**{f"{prefix}sale_regions__has_any_keys": codes}) if codes else condition
    text = Cast(F(f"{prefix}sale_regions"), output_field=TextField())
    condition = Q(Exact(text, "[]"))
    for code in codes:
        condition |= Q(Contains(text, code))
    return condition


def product_visible(product: Product, dealer: Dealer | None) -> bool:
    if not product.sale_regions or dealer is None:
        return True
    mine = set(regions_containing(dealer.region_code))
    return any(str(code).strip() in mine for code in product.sale_regions)


def sellable_skus(dealer: Dealer | None) -> QuerySet[Sku]:
    """Active SKUs of products on sale that ``dealer`` may buy (its region); every SKU on sale for none."""
    return Sku.objects.filter(is_active=True, product__status=Product.Status.ON_SALE).filter(
        region_visibility_q(dealer, "product__")
    )


def sellable_products(dealer: Dealer | None) -> QuerySet[Product]:
    active = Sku.objects.filter(product_id=OuterRef("pk"), is_active=True)
    return Product.objects.filter(Exists(active), status=Product.Status.ON_SALE).filter(region_visibility_q(dealer))


# --- prices, stock and regional sales as annotations -------------------------------------------


def price_key(dealer: Dealer) -> DealerKey:
    """The dealer's price key with its tenant's price precedence (one query unless the tenant is loaded)."""
    if Dealer.tenant.is_cached(dealer):
        settings = dealer.tenant.settings
    else:
        settings = Tenant.objects.filter(pk=dealer.tenant_id).values_list("settings", flat=True).first()
    return DealerKey.of(dealer, settings or {})


def with_prices(
    qs: QuerySet, *, dealer: Dealer | None, key: DealerKey | None = None, at: dt.datetime | None = None
) -> QuerySet:
    """Annotate SKUs with ``dealer_price``: the dealer's price per base unit, or the list price for none."""
    if "dealer_price" in qs.query.annotations:
        return qs
    if dealer is None:
        return qs.annotate(dealer_price=F("list_price"))
    qs = annotate_dealer_price(qs, key or price_key(dealer), at or timezone.now())
    # Coalesce(price list price, list price) mixes DecimalField and MoneyField: name the result's type.
    qs.query.annotations["dealer_price"].output_field = MONEY
    return qs


def _stock_rows(dealer: Dealer | None) -> QuerySet[Stock]:
    owners = Q(warehouse__owner_dealer__isnull=True)
    if dealer is not None and dealer.parent_id:
        owners |= Q(warehouse__owner_dealer_id=dealer.parent_id)
    return Stock.objects.filter(owners, warehouse__is_active=True, on_hand__gt=F("reserved"))


def in_stock_q(dealer: Dealer | None) -> Q:
    """SKUs with stock available in an active warehouse the dealer is supplied from, or backorderable."""
    return Q(allow_backorder=True) | Q(Exists(_stock_rows(dealer).filter(sku_id=OuterRef("pk"))))


def with_stock(qs: QuerySet, *, dealer: Dealer | None) -> QuerySet:
    """Annotate SKUs with ``available``: base units on hand minus reserved, summed over those warehouses."""
    total = (
        _stock_rows(dealer)
        .filter(sku_id=OuterRef("pk"))
        .values("sku_id")
        .annotate(s=Sum(ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY)))
        .values("s")
    )
    return qs.annotate(available=Coalesce(Subquery(total, output_field=QTY), Value(Decimal(0)), output_field=QTY))


def quantity(value: Decimal | None) -> Decimal:
    """A quantity annotation as a Decimal of three places (SQLite hands annotations back as floats)."""
    return Decimal(value or 0).quantize(Decimal("0.001"))


def stock_status(available: Decimal | None, allow_backorder: bool) -> str:
    if available and available > 0:
        return IN_STOCK
    return BACKORDER if allow_backorder else OUT_OF_STOCK


def with_regional_sales(
    qs: QuerySet, *, dealer: Dealer | None, at: dt.datetime | None = None, days: int = SALES_WINDOW_DAYS
) -> QuerySet:
    """Annotate SKUs with ``region_sales``: base units ordered for the dealer's province in the last ``days``.

    Cancelled and rejected orders do not count; staff without a dealer rank by national sales.
    While the tenant's ``SkuSales`` window is fresh (rebuilt by ``refresh_facts`` within
    ``SALES_FRESH`` of ``at``) each SKU's figure is one index lookup there, as of that rebuild;
    otherwise (no rebuild yet, cron not running, another window) it is summed live from the order
    lines, one correlated aggregate per SKU. The choice is made inside the query (a one-time
    subplan on PostgreSQL), so it costs no statement of its own.
    """
    at = at or timezone.now()
    lines = OrderLine.objects.filter(sku_id=OuterRef("pk"), order__created_at__gte=at - dt.timedelta(days=days))
    lines = lines.exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.REJECTED])
    kept = SkuSales.objects.filter(sku_id=OuterRef("pk"))
    if dealer is not None and re.fullmatch(r"\d{6}", dealer.region_code or ""):
        lines = lines.filter(order__ship_to_region__startswith=dealer.region_code[:2])
        kept = kept.filter(province=dealer.region_code[:2])
    live = Coalesce(_total(lines, "qty_base"), Value(Decimal(0)), output_field=QTY)
    if days != SALES_WINDOW_DAYS:
        return qs.annotate(region_sales=live)
    fresh = Exists(FactWatermark.objects.filter(sku_sales_at__range=(at - SALES_FRESH, at + SALES_FRESH)))
    kept_total = Coalesce(_total(kept, "qty_base"), Value(Decimal(0)), output_field=QTY)
    return qs.annotate(region_sales=Case(When(fresh, then=kept_total), default=live, output_field=QTY))


def _total(rows: QuerySet, field: str) -> Subquery:
    return Subquery(rows.values("sku_id").annotate(s=Sum(field)).values("s"), output_field=QTY)


# --- the category tree -----------------------------------------------------------------------


@dataclass
class CategoryNode:
    id: int
    parent_id: int | None
    code: str
    name: str
    depth: int
    path: str
    product_count: int  # products on sale directly in this category
    total_count: int = 0  # … in its whole subtree
    children: list[CategoryNode] = field(default_factory=list)


def category_tree(*, dealer: Dealer | None = None) -> list[CategoryNode]:
    """The whole tree in one query: the roots, each with its children (by sort order, then name)."""
    on_sale = Q(products__status=Product.Status.ON_SALE) & region_visibility_q(dealer, "products__")
    rows = Category.objects.annotate(n=Count("products", filter=on_sale)).order_by("sort", "name", "pk")
    nodes = {c.pk: CategoryNode(c.pk, c.parent_id, c.code, c.name, c.depth, c.path, c.n, total_count=c.n) for c in rows}
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)

    def total(node: CategoryNode) -> int:
        node.total_count = node.product_count + sum(total(child) for child in node.children)
        return node.total_count

    for root in roots:
        total(root)
    return roots


def walk_tree(nodes: list[CategoryNode]) -> list[CategoryNode]:
    """The tree in pre-order (parents before their children), for flat lists."""
    out: list[CategoryNode] = []
    for node in nodes:
        out.append(node)
        out.extend(walk_tree(node.children))
    return out


def category_ancestors(category: Category) -> list[Category]:
    """The chain from the root down to ``category`` (itself included), from its ``path``."""
    ids = [int(part) for part in category.path.strip("/").split("/") if part.isdigit()]
    if not ids:
        return [category]
    by_id = {c.pk: c for c in Category.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


# --- one product -----------------------------------------------------------------------------


@dataclass
class ProductDetail:
    product: Product
    breadcrumbs: list[Category]
    skus: list[Sku]  # annotated with dealer_price and available; ``units`` prefetched
    attributes: list[AttributeValue]  # the product's own values (not a single SKU's)
    sku_attributes: dict[int, list[AttributeValue]]
    images: list[ProductImage]
    tags: list[Tag]
    related: list[RelatedProduct]  # ``related`` loaded; only products the reader may see
    dealer: Dealer | None

    @property
    def price_source(self) -> str:
        return "dealer" if self.dealer else "list"


def product_detail(*, actor: Actor, dealer: Dealer | None, product_id: int | str) -> ProductDetail:
    """A product page's data in a fixed number of queries, whatever the number of SKUs or images.

    Buying as a dealer (a dealer user, or staff naming one) shows only what that dealer may buy;
    staff browsing without a dealer see every product and SKU, drafts included.
    """
    check_dealer(actor, dealer)
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        raise ProductNotFound()
    restricted = dealer is not None
    products = sellable_products(dealer) if restricted else Product.objects.all()
    skus = Sku.objects.filter(is_active=True) if restricted else Sku.objects.all()
    skus = with_stock(with_prices(skus, dealer=dealer), dealer=dealer).order_by("sort", "code")
    related = RelatedProduct.objects.select_related("related").order_by("kind", "sort", "related__code")
    if restricted:
        related = related.filter(
            Exists(Sku.objects.filter(product_id=OuterRef("related_id"), is_active=True)),
            related__status=Product.Status.ON_SALE,
        ).filter(region_visibility_q(dealer, "related__"))
    values = AttributeValue.objects.select_related("attribute").order_by("attribute__sort", "attribute__code")
    product = (
        products.select_related("brand", "category")
        .prefetch_related(
            Prefetch("skus", queryset=skus.prefetch_related("units")),
            "tags",
            "images",
            Prefetch("attribute_values", queryset=values),
            Prefetch("related", queryset=related),
        )
        .filter(pk=pk)
        .first()
    )
    if product is None:
        raise ProductNotFound(detail={"product": pk})
    sku_attributes: dict[int, list[AttributeValue]] = {}
    own: list[AttributeValue] = []
    for value in product.attribute_values.all():
        (sku_attributes.setdefault(value.sku_id, []) if value.sku_id else own).append(value)
    return ProductDetail(
        product=product,
        breadcrumbs=category_ancestors(product.category),
        skus=list(product.skus.all()),
        attributes=own,
        sku_attributes=sku_attributes,
        images=list(product.images.all()),
        tags=list(product.tags.all()),
        related=list(product.related.all()),
        dealer=dealer,
    )
