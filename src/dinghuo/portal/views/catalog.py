"""The catalog: category tree, keyword search with suggestions and facets, parameter matching,
and the product page. Prices are the dealer's own; badges name the promotions in force."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dinghuo.catalog import selectors as catalog_selectors
from dinghuo.catalog.matching import match_need
from dinghuo.catalog.models import RelatedProduct
from dinghuo.catalog.search import SORTS, SearchFilters, search_skus, suggest
from dinghuo.catalog.search_errors import CategoryNotFound, MatchTextEmpty, SearchInvalid
from dinghuo.core.web import dealer_page
from dinghuo.portal import selectors
from dinghuo.portal.forms import CatalogParams
from dinghuo.portal.views.base import dealer, page

PER_PAGE = 20


@require_GET
@dealer_page("catalog.view")
def catalog(request: HttpRequest) -> HttpResponse:
    me = dealer(request)
    params = CatalogParams(request.GET)
    promotions = selectors.promotions_for(me)
    tree = catalog_selectors.category_tree(dealer=me)
    context = {
        "title": _("Products"),
        "nav": "catalog",
        "params": params,
        "tree": tree,
        "open_ids": _open_ids(tree, params.category),
        "sorts": list(SORTS.items()),
        "mode": "match" if "match" in request.GET else "search",
        "keep": [("category", params.category)] if params.category else [],
    }
    if context["mode"] == "match":
        context.update(_match(request, me, params, promotions))
    else:
        context.update(_search(request, me, params, promotions))
    template = "portal/partials/catalog_results.html" if request.htmx and not request.htmx.boosted else None
    return page(request, template or "portal/pages/catalog.html", context)


def _search(request: HttpRequest, me, params: CatalogParams, promotions) -> dict:
    filters = SearchFilters(
        category_id=params.category,
        brand_ids=params.brands,
        tag_ids=params.tags,
        attributes=params.attributes,
        ranges=params.ranges,
        price_min=params.price_min,
        price_max=params.price_max,
        in_stock=params.in_stock,
        shelf_life_max_days=params.shelf_life_max,
    )
    error = ""
    try:
        result = search_skus(
            actor=request.actor, dealer=me, q=params.q, filters=filters, sort=params.sort, page=params.page,
            per_page=PER_PAGE,
        )  # fmt: skip
    except (SearchInvalid, CategoryNotFound) as exc:
        error = exc.message
        result = search_skus(actor=request.actor, dealer=me, q=params.q, sort="relevance", per_page=PER_PAGE)
    chips = _chips(request, params, result.facets)
    return {
        "facet_groups": _facet_groups(result.facets, params),
        "result": result,
        "cards": selectors.cards(actor=request.actor, dealer=me, hits=result.hits, promotions=promotions),
        "facets": result.facets,
        "chips": chips,
        "search_error": error,
        "page_links": _page_links(request, result.page, result.pages),
    }


def _match(request: HttpRequest, me, params: CatalogParams, promotions) -> dict:
    if not params.match:
        return {"outcome": None, "match_error": ""}
    try:
        outcome = match_need(actor=request.actor, dealer=me, text=params.match, limit=30)
    except MatchTextEmpty as exc:
        return {"outcome": None, "match_error": exc.message}
    skus = [r.sku for r in outcome.results]
    badges = selectors.promotion_badges(promotions, skus)
    rows = []
    for r in outcome.results:
        unit, factor = selectors.default_unit(r.sku)
        rows.append(
            {
                "r": r,
                "unit": unit,
                "unit_price": r.price * factor,
                "units": list(r.sku.units.all()),
                "badges": badges.get(r.sku.pk, []),
            }
        )
    return {"outcome": outcome, "match_rows": rows, "match_error": ""}


def _facet_groups(facets, params: CatalogParams) -> list[dict]:
    """Facets as checkbox groups: the query parameter and value each checkbox sends."""
    chosen = set(params.attr_values)
    groups = []
    for facet in facets:
        if facet.key == "category":
            continue
        options = []
        for v in facet.values:
            if facet.key == "brand":
                name, value, selected = "brand", v.value, v.value.isdigit() and int(v.value) in params.brands
            elif facet.key == "tag":
                name, value, selected = "tag", v.value, v.value.isdigit() and int(v.value) in params.tags
            else:
                code = facet.key.removeprefix("attr:")
                value = f"{code}:{v.value}..{v.value}" if facet.kind == "number" else f"{code}:{v.value}"
                name, selected = "attr", value in chosen
            options.append({"name": name, "value": value, "label": v.label, "count": v.count, "selected": selected})
        groups.append(
            {"key": facet.key, "label": facet.label, "options": options, "open": any(o["selected"] for o in options)}
        )
    return groups


def _open_ids(tree, selected: int | None) -> set[int]:
    if not selected:
        return set()
    for node in catalog_selectors.walk_tree(tree):
        if node.id == selected:
            return {int(p) for p in node.path.strip("/").split("/") if p.isdigit()} | {node.id}
    return set()


def _chips(request: HttpRequest, params: CatalogParams, facets) -> list[dict]:
    """The filters in force, each with the link that removes it."""
    labels = {}
    for facet in facets:
        for value in facet.values:
            labels[(facet.key, value.value)] = value.label
    chips = []

    def without(keys: tuple[str, ...], value: str | None = None) -> str:
        pairs = [
            (k, v)
            for k in request.GET
            for v in request.GET.getlist(k)
            if k != "page" and not (k in keys and (value is None or v == value))
        ]
        return "?" + urlencode(pairs)

    if params.category:
        label = labels.get(("category", str(params.category)), _("Category"))
        chips.append({"label": label, "url": without(("category",))})
    for pk in params.brands:
        chips.append({"label": labels.get(("brand", str(pk)), _("Brand")), "url": without(("brand",), str(pk))})
    for pk in params.tags:
        chips.append({"label": labels.get(("tag", str(pk)), _("Tag")), "url": without(("tag",), str(pk))})
    for raw in params.attr_values:
        code, _sep, value = raw.partition(":")
        label = labels.get((f"attr:{code}", value.split("..")[0]), value)
        chips.append({"label": label, "url": without(("attr",), raw)})
    if params.in_stock:
        chips.append({"label": _("In stock"), "url": without(("in_stock",))})
    if params.shelf_life_max is not None:
        label = _("Shelf life ≤ %(n)s days") % {"n": params.shelf_life_max}
        chips.append({"label": label, "url": without(("shelf_life_max",))})
    if params.price_min is not None or params.price_max is not None:
        low = f"¥{params.price_min}" if params.price_min is not None else ""
        high = f"¥{params.price_max}" if params.price_max is not None else ""
        chips.append({"label": f"{low}–{high}", "url": without(("price_min", "price_max"))})
    return chips


def _page_links(request: HttpRequest, current: int, pages: int) -> dict:
    def link(n: int) -> str:
        pairs = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k != "page"]
        return "?" + urlencode([*pairs, ("page", n)])

    return {
        "prev": link(current - 1) if current > 1 else "",
        "next": link(current + 1) if current < pages else "",
        "current": current,
        "pages": pages,
    }


@require_GET
@dealer_page("catalog.view")
def suggestions(request: HttpRequest) -> HttpResponse:
    """As-you-type suggestions (htmx): codes, product names in Chinese or pinyin, categories."""
    q = (request.GET.get("q") or "").strip()[:60]
    items = suggest(dealer=dealer(request), q=q, limit=8) if q else []
    return render(request, "portal/partials/suggestions.html", {"items": items, "q": q})


@require_GET
@dealer_page("catalog.view")
def product(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    me = dealer(request)
    detail = catalog_selectors.product_detail(actor=actor, dealer=me, product_id=pk)
    promotions = selectors.promotions_for(me)
    from dinghuo.pricing.selectors import dealer_prices

    prices = dealer_prices(actor=actor, dealer=me, skus=detail.skus) if detail.skus else {}
    badges = selectors.promotion_badges(promotions, detail.skus)
    wanted = request.GET.get("sku", "")
    skus = []
    for sku in detail.skus:
        unit, factor = selectors.default_unit(sku)
        price = prices.get(sku.pk)
        skus.append(
            {
                "sku": sku,
                "unit": unit,
                "factor": factor,
                "price": price.price if price else sku.dealer_price,
                "unit_price": (price.price if price else sku.dealer_price) * factor,
                "tiers": price.tiers if price else [],
                "list_price": sku.list_price,
                "saving": price.saving if price else 0,
                "source": selectors.SOURCE_LABELS.get(price.source, "") if price else "",
                "units": list(sku.units.all()),
                "stock_status": catalog_selectors.stock_status(sku.available, sku.allow_backorder),
                "attributes": detail.sku_attributes.get(sku.pk, []),
                "badges": badges.get(sku.pk, []),
                "moq_hint": selectors.moq_hint(sku),
                "selected": str(sku.pk) == wanted,
            }
        )
    if skus and not any(s["selected"] for s in skus):
        skus[0]["selected"] = True
    for s in skus:
        s["stock_label"] = catalog_selectors.STOCK_LABELS[s["stock_status"]]
    related = [r for r in detail.related if r.kind != RelatedProduct.Kind.SUBSTITUTE]
    substitutes = [r for r in detail.related if r.kind == RelatedProduct.Kind.SUBSTITUTE]
    context = {
        "title": detail.product.name,
        "nav": "catalog",
        "detail": detail,
        "product": detail.product,
        "skus": skus,
        "related": related,
        "substitutes": substitutes,
        "promotions": {p.pk: p for s in skus for p in s["badges"]}.values(),
    }
    return page(request, "portal/pages/product.html", context)
