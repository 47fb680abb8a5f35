"""Keyword search that understands Chinese, with facets and as-you-type suggestions.

How text is indexed and matched (jieba words, pinyin, initials, codes with typos; a GIN-indexed
token array on PostgreSQL, FTS5 on SQLite) is in ``catalog/search_index.py``; ``reindex_products``
is re-exported here for the catalog's writers. ``search_skus`` filters what the dealer may buy
(``selectors.sellable_skus``), ranks it in SQL (exact code, barcode, similar code, code prefix,
where the words are), prices it at the dealer's own price and counts facets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dinghuo.catalog import selectors
from dinghuo.catalog.models import Attribute, AttributeValue, Category, Product, ProductImage, Sku, SkuUnit
from dinghuo.catalog.search_errors import CategoryNotFound, SearchInvalid
from dinghuo.catalog.search_index import (
    CJK_RUN,
    CodeHits,
    TextQuery,
    TokenMatch,
    code_hits,
    normalize,
    number_text,
    parse_query,
    pinyin_of,
    reindex_products,
)
from dinghuo.core.money import quantize
from dinghuo.core.prepared import prepared
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer

__all__ = ["SearchFilters", "SearchResult", "reindex_products", "search_skus", "suggest"]

MAX_PER_PAGE = 100


# --- search ----------------------------------------------------------------------------------

SORTS = {
    "relevance": _("Relevance"),
    "price_asc": _("Price, low to high"),
    "price_desc": _("Price, high to low"),
    "sales": _("Best-selling in your region"),
    "newest": _("Newest"),
}
REASONS = {
    "code": _("SKU code"),
    "barcode": _("Barcode"),
    "code_typo": _("Similar SKU code"),
    "name": _("Name"),
    "spec": _("Spec"),
    "brand": _("Brand"),
    "category": _("Category"),
    "pinyin": _("Pinyin"),
    "initials": _("Pinyin initials"),
    "keyword": _("Keyword"),
    "": _("All products"),
}


class _Category(NamedTuple):  # what search needs of a category: read as tuples, one query per search
    pk: int
    name: str
    path: str
    sort: int


@dataclass(frozen=True)
class SearchFilters:
    category_id: int | None = None  # the category and its whole subtree
    brand_ids: tuple[int, ...] = ()
    tag_ids: tuple[int, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # attribute code → accepted values
    ranges: Mapping[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)  # code → (min, max)
    price_min: Decimal | None = None  # at the dealer's own price per base unit
    price_max: Decimal | None = None
    in_stock: bool = False
    shelf_life_max_days: int | None = None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facet:
    key: str  # "category", "brand", "tag" or "attr:<code>"
    label: str
    kind: str  # category | brand | tag | choice | text | number | boolean
    values: list[FacetValue]
    unit: str = ""


@dataclass
class SearchHit:
    sku: Sku  # product, brand and category loaded
    units: list[SkuUnit]  # by size
    image: ProductImage | None  # the product's first image
    price: Decimal
    price_source: str  # "dealer" (the dealer's own price) or "list"
    stock_status: str
    available: Decimal
    matched_on: str

    @property
    def product(self) -> Product:
        return self.sku.product

    @property
    def stock_label(self) -> str:
        return str(selectors.STOCK_LABELS[self.stock_status])

    @property
    def matched_on_label(self) -> str:
        return str(REASONS[self.matched_on])


@dataclass
class SearchResult:
    q: str
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    sort: str
    facets: list[Facet]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search_skus(
    *,
    actor: Actor,
    dealer: Dealer | None = None,
    q: str = "",
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    facets: bool = True,
    at: dt.datetime | None = None,
) -> SearchResult:
    """The SKUs ``dealer`` may buy that match ``q`` and ``filters``, ranked, one page, with facets.

    A fixed number of queries whatever the page size (at most 12): the dealer's price settings,
    code lookup (two queries for a mistyped barcode), categories, the count with the category and brand counts, the page, its units,
    its images, tag counts and attribute counts (and brand counts apart when brands are filtered).
    The words match through an init plan in each query (a GIN lookup of a millisecond or so): a
    list of matching ids resolved once would cost more to plan than the lookups it saves.
    Prices are the dealer's own (list prices without a dealer); the regional sales rank counts the
    dealer's province over the last 90 days.
    """
    selectors.check_dealer(actor, dealer)
    filters = filters or SearchFilters()
    if sort not in SORTS:
        raise SearchInvalid(reason=_("unknown sort order"), detail={"sort": sort})
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchInvalid(reason=_("page out of range"), detail={"page": page, "per_page": per_page})
    if filters.price_min is not None and filters.price_max is not None and filters.price_min > filters.price_max:
        raise SearchInvalid(
            reason=_("the lowest price is above the highest"), detail={"price_min": "", "price_max": ""}
        )
    at = at or timezone.now()
    key = selectors.price_key(dealer) if dealer is not None else None
    text = parse_query(q)
    base = selectors.sellable_skus(dealer)
    hits = code_hits(text)
    if text:
        base = base.filter(Q(TokenMatch(F("product_id"), text)) | Q(pk__in=hits.ids))
    elif text.raw:  # nothing searchable in it (only punctuation): no results rather than everything
        base = base.none()
    categories: dict[int, _Category] = {}
    if facets or filters.category_id:
        categories = {row[0]: _Category(*row) for row in _categories.queryset()}
    if filters.category_id and filters.category_id not in categories:
        raise CategoryNotFound(detail={"category": filters.category_id})

    def filtered(skip: str = "") -> QuerySet[Sku]:
        if (skip == "brand" and filters.brand_ids) or (skip == "tag" and filters.tag_ids):
            return _apply_filters(base, filters, dealer=dealer, key=key, at=at, categories=categories, skip=skip)
        return results

    results = _apply_filters(base, filters, dealer=dealer, key=key, at=at, categories=categories)
    groups: list[tuple[int, int | None, str | None, int]] = []  # (category, brand, brand name, SKUs)
    if facets:  # the count and two facets in one scan of the result
        by = ("product__category_id", "product__brand_id", "product__brand__name")
        groups = list(results.values_list(*by).annotate(n=Count("pk")).order_by())
        total = sum(g[3] for g in groups)
    else:
        total = results.count()
    skus = (
        _page(results, text, hits, dealer=dealer, key=key, at=at, sort=sort, page=page, per_page=per_page)
        if total
        else []
    )
    units, images = _units_and_images(skus)
    return SearchResult(
        q=text.raw,
        hits=[_hit(sku, units.get(sku.pk, []), images.get(sku.product_id), text, hits, dealer) for sku in skus],
        total=total,
        page=page,
        per_page=per_page,
        sort=sort,
        facets=_facets(groups, filtered, filters, categories) if facets and total else [],
    )


def _apply_filters(
    qs: QuerySet[Sku],
    filters: SearchFilters,
    *,
    dealer: Dealer | None,
    key: Any,
    at: dt.datetime,
    categories: Mapping[int, _Category],
    skip: str = "",
) -> QuerySet[Sku]:
    if filters.category_id:
        qs = qs.filter(product__category__path__startswith=categories[filters.category_id].path)
    if filters.brand_ids and skip != "brand":
        qs = qs.filter(product__brand_id__in=filters.brand_ids)
    if filters.tag_ids and skip != "tag":
        tagged = Product.tags.through.objects.filter(product_id=OuterRef("product_id"), tag_id__in=filters.tag_ids)
        qs = qs.filter(Exists(tagged))
    for code, accepted in filters.attributes.items():
        if accepted:
            booleans = {v.lower() in {"1", "true", "yes", "是"} for v in accepted}
            wanted = Q(value_text__in=accepted) | Q(value_bool__in=booleans)
            qs = qs.filter(Exists(_values_of_sku(code).filter(wanted)))
    for code, (low, high) in filters.ranges.items():
        bounds = Q(value_number__isnull=False)
        if low is not None:
            bounds &= Q(value_number__gte=low)
        if high is not None:
            bounds &= Q(value_number__lte=high)
        qs = qs.filter(Exists(_values_of_sku(code).filter(bounds)))
    if filters.in_stock:
        qs = qs.filter(selectors.in_stock_q(dealer))
    if filters.shelf_life_max_days is not None:
        qs = qs.filter(product__shelf_life_days__lte=filters.shelf_life_max_days)
    if filters.price_min is not None or filters.price_max is not None:
        qs = selectors.with_prices(qs, dealer=dealer, key=key, at=at)
        qs = qs.filter(_Within(F("dealer_price"), filters.price_min, filters.price_max))
    return qs


class _Within(Func):
    """``low ≤ value ≤ high`` (either end open) naming ``value`` once: the dealer's price is a
    correlated subquery, and ``price >= low AND price <= high`` (or BETWEEN, which PostgreSQL
    expands so) runs it twice per SKU. PostgreSQL: ``numrange(low, high, '[]') @> value``."""

    output_field = BooleanField()

    def __init__(self, value: Any, low: Decimal | None, high: Decimal | None):
        super().__init__(value)
        self.low, self.high = low, high

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        bounds = [(op, v) for op, v in ((">=", self.low), ("<=", self.high)) if v is not None]
        return " AND ".join(f"({sql}) {op} %s" for op, _v in bounds), [p for _op, v in bounds for p in (*params, v)]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"numrange(%s::numeric, %s::numeric, '[]') @> ({sql})", [self.low, self.high, *params]


def _values_of_sku(attribute_code: str) -> QuerySet[AttributeValue]:
    """Attribute values that apply to the outer SKU: its own, or its product's (not another SKU's)."""
    return AttributeValue.objects.filter(attribute__code=attribute_code).filter(
        Q(sku_id=OuterRef("pk")) | Q(sku__isnull=True, product_id=OuterRef("product_id"))
    )


def _page(
    qs: QuerySet[Sku],
    text: TextQuery,
    hits: CodeHits,
    *,
    dealer: Dealer | None,
    key: Any,
    at: dt.datetime,
    sort: str,
    page: int,
    per_page: int,
) -> list[Sku]:
    qs = selectors.with_prices(qs, dealer=dealer, key=key, at=at)
    qs = selectors.with_stock(qs, dealer=dealer)
    tail = ["product__sort", "product__code", "sort", "code", "pk"]
    if sort == "relevance" and (text or hits.ids):
        qs = qs.annotate(score=_score(text, hits))
        order = ["-score", *tail]
    elif sort == "price_asc":
        order = ["dealer_price", *tail]
    elif sort == "price_desc":
        order = ["-dealer_price", *tail]
    elif sort == "sales":
        qs = selectors.with_regional_sales(qs, dealer=dealer, at=at)
        order = ["-region_sales", *tail]
    elif sort == "newest":
        order = ["-product__created_at", *tail]
    else:
        order = tail
    start = (page - 1) * per_page
    return list(qs.select_related("product__brand", "product__category").order_by(*order)[start : start + per_page])


def _units_and_images(skus: list[Sku]) -> tuple[dict[int, list[SkuUnit]], dict[int, ProductImage]]:
    """The page's units and first images, two queries (``prefetch_related`` would build a
    tenant-scoped queryset per SKU to hold its results, which costs more than the queries)."""
    units: dict[int, list[SkuUnit]] = {}
    images: dict[int, ProductImage] = {}
    if skus:
        for unit in _units.queryset(sku_ids=[s.pk for s in skus]):
            units.setdefault(unit.sku_id, []).append(unit)
        for image in _images.queryset(product_ids=sorted({s.product_id for s in skus})):
            images.setdefault(image.product_id, image)
    return units, images


@prepared
def _categories() -> QuerySet[Category]:
    return Category.objects.values_list("pk", "name", "path", "sort")


@prepared
def _units(sku_ids: list[int]) -> QuerySet[SkuUnit]:
    return SkuUnit.objects.filter(sku_id__any=sku_ids).order_by("factor", "pk")


@prepared
def _images(product_ids: list[int]) -> QuerySet[ProductImage]:
    return ProductImage.objects.filter(product_id__any=product_ids).order_by("sort", "pk")


def _score(text: TextQuery, hits: CodeHits) -> Any:
    """Relevance in SQL: exact code, barcode, similar code, code prefix, then where the words are."""
    phrase = text.raw.strip()

    def points(condition: Q, value: int) -> Case:
        return Case(When(condition, then=Value(value)), default=Value(0), output_field=IntegerField())

    score: Any = Value(0)
    for ids, value in ((hits.exact, 1000), (hits.barcode, 900), (hits.typo, 600)):
        if ids:
            score += points(Q(pk__in=ids), value)
    if _is_barcode(phrase):
        score += points(Q(Exists(SkuUnit.objects.filter(sku_id=OuterRef("pk"), barcode=phrase))), 900)
    if phrase:
        score += points(Q(code__istartswith=phrase), 500)
        score += Case(
            When(product__name__iexact=phrase, then=Value(300)),
            When(product__name__istartswith=phrase, then=Value(250)),
            When(product__name__icontains=phrase, then=Value(200)),
            default=Value(0),
            output_field=IntegerField(),
        )
        score += points(Q(name__icontains=phrase), 60)
    for term in text.terms[:4]:
        score += points(Q(product__name__icontains=term), 30) + points(Q(name__icontains=term), 20)
    return score


def _is_barcode(text: str) -> bool:
    return text.isdigit() and 8 <= len(text) <= 14


def _hit(
    sku: Sku, units: list[SkuUnit], image: ProductImage | None, text: TextQuery, hits: CodeHits, dealer: Dealer | None
) -> SearchHit:
    return SearchHit(
        sku=sku,
        units=units,
        image=image,
        price=quantize(sku.dealer_price),
        price_source="dealer" if dealer is not None else "list",
        stock_status=selectors.stock_status(sku.available, sku.allow_backorder),
        available=selectors.quantity(sku.available),
        matched_on=_reason(sku, units, text, hits),
    )


def _reason(sku: Sku, units: list[SkuUnit], text: TextQuery, hits: CodeHits) -> str:
    if sku.pk in hits.exact:
        return "code"
    if sku.pk in hits.barcode or (_is_barcode(text.raw) and any(u.barcode == text.raw for u in units)):
        return "barcode"
    if sku.pk in hits.typo:
        return "code_typo"
    if not text:
        return ""
    product = sku.product
    terms = text.terms
    if normalize(sku.code).startswith(normalize(text.raw.strip())):
        return "code"
    fields = (
        ("name", f"{product.name} {product.subtitle}"),
        ("spec", sku.name),
        ("brand", product.brand.name if product.brand_id else ""),
        ("category", product.category.name),
    )
    for reason, value in fields:
        if all(t in normalize(value) for t in terms):
            return reason
    ascii_terms = [t for t in terms if t.isascii() and t.isalpha()]
    if ascii_terms:
        tokens = set()
        for run in CJK_RUN.findall(product.name):
            full, first, initials = pinyin_of(run)
            tokens.update(("pinyin", "".join(full[i:])) for i in range(len(full)))
            tokens.update(("initials", "".join(s[i:])) for s in (first, initials) for i in range(len(s)))
        for reason in ("pinyin", "initials"):
            if all(any(v.startswith(t) for r, v in tokens if r == reason) for t in ascii_terms):
                return reason
    return "keyword"


def _facets(
    groups: list[tuple[int, int | None, str | None, int]],
    filtered: Any,
    filters: SearchFilters,
    categories: Mapping[int, _Category],
) -> list[Facet]:
    """Brand and tag counts ignore their own filter (to offer the alternatives); category counts
    (the selected category's children: its subtree is all they need) and attribute counts are over
    the full result. Counts are of SKUs. ``groups`` are the result's (category, brand) counts."""
    out: list[Facet] = []
    by_category: dict[int, int] = {}
    by_brand: dict[tuple[int, str], int] = {}
    for category_id, brand_id, brand, n in groups:
        by_category[category_id] = by_category.get(category_id, 0) + n
        if brand_id is not None:
            by_brand[brand_id, brand] = by_brand.get((brand_id, brand), 0) + n
    out.append(_category_facet(by_category, filters.category_id, categories))
    if filters.brand_ids:  # the alternatives to the brands chosen: counted without that filter
        rows = filtered("brand").filter(product__brand__isnull=False)
        rows = rows.values_list("product__brand_id", "product__brand__name").annotate(n=Count("pk")).order_by()
        by_brand = {(pk, name): n for pk, name, n in rows}
    brands = sorted(by_brand.items(), key=lambda kv: (-kv[1], kv[0][1]))[:30]
    brands = [(pk, name, n) for (pk, name), n in brands]
    out.append(
        Facet(
            "brand",
            str(_("Brand")),
            "brand",
            [FacetValue(str(pk), name, n, pk in filters.brand_ids) for pk, name, n in brands],
        )
    )
    tags = (
        filtered("tag")
        .filter(product__tags__isnull=False)
        .values_list("product__tags__id", "product__tags__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "product__tags__name")[:30]
    )
    out.append(
        Facet(
            "tag", str(_("Tags")), "tag", [FacetValue(str(pk), name, n, pk in filters.tag_ids) for pk, name, n in tags]
        )
    )
    out += _attribute_facets(filtered(), filters)
    return [f for f in out if f.values]


def _category_facet(counts: Mapping[int, int], selected: int | None, categories: Mapping[int, _Category]) -> Facet:
    """Counts rolled up to the children of the selected category (or to the roots), with the selected one."""
    root = categories.get(selected) if selected else None
    depth_ids = lambda c: [int(p) for p in c.path.strip("/").split("/") if p.isdigit()] or [c.pk]  # noqa: E731
    rolled: dict[int, int] = {}
    for category_id, n in counts.items():
        category = categories.get(category_id)
        if category is None:
            continue
        chain = depth_ids(category)
        if root is None:
            target = chain[0]
        elif root.pk in chain:
            index = chain.index(root.pk)
            target = chain[index + 1] if index + 1 < len(chain) else root.pk
        else:
            continue
        rolled[target] = rolled.get(target, 0) + n
    values = [
        FacetValue(str(pk), categories[pk].name, n, pk == selected)
        for pk, n in sorted(rolled.items(), key=lambda kv: (kv[0] != selected, categories[kv[0]].sort, -kv[1]))
        if pk in categories
    ]
    return Facet("category", str(_("Category")), "category", values)


def _attribute_facets(results: QuerySet[Sku], filters: SearchFilters) -> list[Facet]:
    """Counts per value of each filterable attribute (its product's values and the SKU's own), in
    one hash-aggregated query. (A SKU whose own value overrides its product's for the same
    attribute counts under both; catalogs set one or the other.)"""
    a = "product__attribute_values__"
    applies = Q(**{f"{a}sku__isnull": True}) | Q(**{f"{a}sku": F("pk")})
    about = {k: Min(f"{a}attribute__{k}") for k in ("code", "name", "kind", "unit", "sort")}
    rows = (
        results.filter(applies, **{f"{a}attribute__is_filterable": True})
        .values_list(f"{a}attribute_id", f"{a}value_text", f"{a}value_number", f"{a}value_bool")
        .annotate(n=Count("pk"), **about)
        .order_by()
    )
    facets: dict[int, Facet] = {}
    for attribute_id, text, number, flag, n, code, name, kind, unit, _sort in sorted(
        rows, key=lambda r: (r[9], r[5], -r[4])
    ):
        facet = facets.setdefault(attribute_id, Facet(f"attr:{code}", name, kind, [], unit))
        if number is not None:
            value, label = number_text(number), number_text(number) + unit
        elif flag is not None:
            value, label = ("true", str(_("Yes"))) if flag else ("false", str(_("No")))
        elif text:
            value = label = text
        else:
            continue
        if len(facet.values) < 30:
            facet.values.append(FacetValue(value, label, n, value in filters.attributes.get(code, ())))
    for facet in facets.values():
        if facet.kind == Attribute.Kind.NUMBER:
            facet.values.sort(key=lambda v: Decimal(v.value))
    return [f for f in facets.values() if f.values]


# --- suggestions -----------------------------------------------------------------------------


@dataclass
class Suggestion:
    text: str
    kind: str  # "sku" (a code), "product" or "category"
    id: int
    detail: str = ""


def suggest(*, dealer: Dealer | None, q: str, limit: int = 8) -> list[Suggestion]:
    """As-you-type suggestions: SKU codes and barcodes starting with what was typed, products whose
    names match it (Chinese, pinyin, initials) and categories named like it. Three queries at most."""
    text = parse_query(q)
    limit = max(1, min(limit, 20))
    if not text:
        return []
    typed = text.raw.strip()
    out: list[Suggestion] = []
    if typed.isascii() and any(c.isdigit() for c in typed):
        skus = (
            selectors.sellable_skus(dealer)
            .filter(Q(code__istartswith=typed) | Q(barcode__startswith=typed))
            .order_by("code")
            .values_list("pk", "code", "name", "product__name")[:limit]
        )
        out += [Suggestion(code, "sku", pk, f"{product} {name}".strip()) for pk, code, name, product in skus]
    rank = Case(
        When(name__istartswith=typed, then=Value(2)),
        When(name__icontains=typed, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    products = (
        selectors.sellable_products(dealer)
        .filter(TokenMatch(F("pk"), text))
        .annotate(rank=rank)
        .order_by("-rank", "sort", "code")
        .values_list("pk", "name")[:limit]
    )
    out += [Suggestion(name, "product", pk) for pk, name in products]
    if CJK_RUN.search(typed):
        categories = Category.objects.filter(name__icontains=typed).order_by("depth", "sort").values_list("pk", "name")
        out += [Suggestion(name, "category", pk) for pk, name in categories[:3]]
    seen: set[tuple[str, str]] = set()
    unique = [s for s in out if (s.kind, s.text) not in seen and not seen.add((s.kind, s.text))]
    return unique[:limit]
