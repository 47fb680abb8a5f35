"""The catalog API (mounted at /api/v1/catalog): search, suggestions, products, categories, matching.

Callers authenticate as everywhere in the API: with an API key (``Authorization: Bearer …``; it acts
as its user, narrowed to its scopes — reading here takes the ``catalog`` scope) or a signed-in
session. A dealer user always reads as its own dealer — its prices, its region's products; staff read
list prices, or a dealer's with ``dealer=<id>``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from dinghuo.api.errors import CursorInvalid
from dinghuo.catalog import schemas, selectors
from dinghuo.catalog.matching import Check, MatchOutcome, match_need
from dinghuo.catalog.models import Product, ProductImage, SkuUnit
from dinghuo.catalog.search import SearchFilters, SearchResult, search_skus, suggest
from dinghuo.catalog.search_errors import SearchInvalid
from dinghuo.core.errors import NotAuthenticated
from dinghuo.core.money import quantize
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer

router = Router(tags=["catalog"])


def _actor(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    if actor is None:
        raise NotAuthenticated()
    return actor


def _buyer(request: HttpRequest, actor: Actor, dealer_id: int | None) -> Dealer | None:
    """``selectors.pricing_dealer``, holding the request's tenant (loaded by the authentication), so
    that the dealer's price settings need no query of their own (``selectors.price_key``)."""
    dealer = selectors.pricing_dealer(actor=actor, dealer_id=dealer_id)
    tenant = getattr(request, "tenant", None)
    if dealer is not None and tenant is not None and tenant.pk == dealer.tenant_id:
        dealer.tenant = tenant
    return dealer


def _cursor(page: int) -> str:
    """Search ranks by computed relevance or price, so its cursor is the page it points at (opaque)."""
    return base64.urlsafe_b64encode(json.dumps({"page": page}).encode()).decode().rstrip("=")


def _page_of(params: schemas.SearchParams) -> int:
    if not params.cursor:
        return params.page
    try:
        page = json.loads(base64.urlsafe_b64decode(params.cursor + "=" * (-len(params.cursor) % 4)))["page"]
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError, KeyError):
        raise CursorInvalid(detail={"cursor": params.cursor})
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= 10_000:
        raise CursorInvalid(detail={"cursor": params.cursor})
    return page


def _filters(params: schemas.SearchParams) -> SearchFilters:
    attributes: dict[str, tuple[str, ...]] = {}
    ranges: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for raw in params.attr:
        code, sep, value = raw.partition(":")
        code, value = code.strip(), value.strip()
        if not sep or not code or not value:
            raise SearchInvalid(reason=_("an attribute filter is code:value or code:min..max"), detail={"attr": raw})
        if ".." in value:
            low, _sep, high = value.partition("..")
            try:
                ranges[code] = (Decimal(low) if low.strip() else None, Decimal(high) if high.strip() else None)
            except InvalidOperation:
                raise SearchInvalid(reason=_("a range needs numbers"), detail={"attr": raw})
        else:
            attributes[code] = tuple(v.strip() for v in value.split(",") if v.strip())
    return SearchFilters(
        category_id=params.category,
        brand_ids=tuple(params.brand),
        tag_ids=tuple(params.tag),
        attributes=attributes,
        ranges=ranges,
        price_min=params.price_min,
        price_max=params.price_max,
        in_stock=params.in_stock,
        shelf_life_max_days=params.shelf_life_max,
    )


def _brief(product: Product, image: ProductImage | None = None) -> dict:
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "subtitle": product.subtitle,
        "brand": product.brand.name if product.brand_id else None,
        "category_id": product.category_id,
        "category": product.category.name,
        "image": image.image.url if image is not None and image.image else None,
    }


def _units(units: Iterable[SkuUnit]) -> list[dict]:
    return [{"name": u.name, "factor": u.factor, "barcode": u.barcode, "is_default": u.is_default} for u in units]


def _stock(status: str, available: Decimal, actor: Actor) -> dict:
    return {
        "status": status,
        "label": str(selectors.STOCK_LABELS[status]),
        "available": available if actor.is_staff else None,
    }


def _search_out(result: SearchResult, actor: Actor) -> dict:
    return {
        "q": result.q,
        "sort": result.sort,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
        "next_page": result.page + 1 if result.has_next else None,
        "next_cursor": _cursor(result.page + 1) if result.has_next else None,
        "items": [
            {
                "sku_id": hit.sku.pk,
                "sku_code": hit.sku.code,
                "sku_name": hit.sku.name,
                "barcode": hit.sku.barcode,
                "base_unit": hit.sku.base_unit,
                "moq": hit.sku.moq,
                "order_multiple": hit.sku.order_multiple,
                "price": hit.price,
                "price_source": hit.price_source,
                "product": _brief(hit.product, hit.image),
                "stock": _stock(hit.stock_status, hit.available, actor),
                "matched_on": hit.matched_on,
                "matched_on_label": hit.matched_on_label,
                "units": _units(hit.units),
            }
            for hit in result.hits
        ],
        "facets": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "unit": f.unit,
                "values": [vars(v) for v in f.values],
            }
            for f in result.facets
        ],
    }


@router.get("/search", response=schemas.SearchOut, summary="Search SKUs (Chinese, pinyin, codes) with facets")
def search(request: HttpRequest, params: Query[schemas.SearchParams]) -> dict:
    actor = _actor(request)
    dealer = _buyer(request, actor, params.dealer)
    result = search_skus(
        actor=actor,
        dealer=dealer,
        q=params.q,
        filters=_filters(params),
        sort=params.sort,
        page=_page_of(params),
        per_page=params.per_page,
        facets=params.facets,
    )
    return _search_out(result, actor)


@router.get("/suggest", response=list[schemas.SuggestionOut], summary="As-you-type suggestions")
def suggestions(request: HttpRequest, q: str = "", limit: int = 8, dealer: int | None = None) -> list:
    actor = _actor(request)
    buyer = selectors.pricing_dealer(actor=actor, dealer_id=dealer)
    return [vars(s) for s in suggest(dealer=buyer, q=q[:100], limit=limit)]


@router.get("/categories", response=list[schemas.CategoryOut], summary="The category tree, parents first")
def categories(request: HttpRequest, dealer: int | None = None) -> list:
    actor = _actor(request)
    buyer = selectors.pricing_dealer(actor=actor, dealer_id=dealer)
    return [
        {k: getattr(node, k) for k in schemas.CategoryOut.model_fields}
        for node in selectors.walk_tree(selectors.category_tree(dealer=buyer))
    ]


@router.get("/products/{product_id}", response=schemas.ProductOut, summary="A product with its SKUs, units and prices")
def product(request: HttpRequest, product_id: int, dealer: int | None = None) -> dict:
    actor = _actor(request)
    buyer = selectors.pricing_dealer(actor=actor, dealer_id=dealer)
    detail = selectors.product_detail(actor=actor, dealer=buyer, product_id=product_id)
    p = detail.product

    def attributes(values: list) -> list[dict]:
        return [
            {"code": v.attribute.code, "name": v.attribute.name, "kind": v.attribute.kind, "unit": v.attribute.unit}
            | {"value": v.display}
            for v in values
        ]

    return {
        **_brief(p, detail.images[0] if detail.images else None),
        "description": p.description,
        "status": p.status,
        "breadcrumbs": [{"id": c.pk, "code": c.code, "name": c.name} for c in detail.breadcrumbs],
        "shelf_life_days": p.shelf_life_days,
        "attributes": attributes(detail.attributes),
        "skus": [
            {
                "id": sku.pk,
                "code": sku.code,
                "name": sku.name,
                "barcode": sku.barcode,
                "base_unit": sku.base_unit,
                "moq": sku.moq,
                "order_multiple": sku.order_multiple,
                "price": quantize(sku.dealer_price),
                "price_source": detail.price_source,
                "is_active": sku.is_active,
                "stock": _stock(
                    selectors.stock_status(sku.available, sku.allow_backorder), selectors.quantity(sku.available), actor
                ),
                "units": _units(sku.units.all()),
                "attributes": attributes(detail.sku_attributes.get(sku.pk, [])),
            }
            for sku in detail.skus
        ],
        "images": [
            {"url": i.image.url, "thumbnail": i.thumbnail.url if i.thumbnail else None, "alt": i.alt}
            for i in detail.images
        ],
        "tags": [{"code": t.code, "name": t.name, "color": t.color} for t in detail.tags],
        "related": [
            {
                "kind": r.kind,
                "kind_label": r.get_kind_display(),
                "product_id": r.related_id,
                "code": r.related.code,
                "name": r.related.name,
            }
            for r in detail.related
        ],
    }


def _match_out(outcome: MatchOutcome) -> dict:
    def check(c: Check) -> dict:
        k = c.constraint
        return {"key": k.key, "kind": k.kind, "kind_label": k.kind_label, "label": k.label} | {
            "met": c.met,
            "actual": c.actual,
            "note": c.note,
        }

    return {
        "text": outcome.text,
        "constraints": [
            {"key": c.key, "kind": c.kind, "kind_label": c.kind_label, "text": c.text, "label": c.label}
            for c in outcome.constraints
        ],
        "results": [
            {
                "grade": r.grade,
                "grade_label": r.grade_label,
                "sku_id": r.sku.pk,
                "sku_code": r.sku.code,
                "sku_name": r.sku.name,
                "price": r.price,
                "product": _brief(r.sku.product),
                "substitute_for": r.substitute_for,
                "met": [check(c) for c in r.met],
                "missed": [check(c) for c in r.missed],
            }
            for r in outcome.results
        ],
    }


@router.post("/match", response=schemas.MatchOut, summary="Parameter matching (型号智能匹配)")
def match(request: HttpRequest, body: schemas.MatchIn) -> dict:
    actor = _actor(request)
    buyer = selectors.pricing_dealer(actor=actor, dealer_id=body.dealer)
    return _match_out(match_need(actor=actor, dealer=buyer, text=body.text, limit=body.limit))
