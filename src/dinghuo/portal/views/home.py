"""The portal's home: what is on promotion, what is new, what the dealer usually buys, and news."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import can
from dinghuo.catalog.search import SearchFilters, search_skus
from dinghuo.core.web import dealer_page
from dinghuo.portal import selectors
from dinghuo.portal.views.base import dealer, page

NEW_ITEMS = 8


@dealer_page()
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    me = dealer(request)
    promotions = selectors.promotions_for(me)
    context = {
        "title": _("Home"),
        "nav": "home",
        "promotions": promotions[:8],
        "notifications": list(selectors.notifications_for(actor)[:4]),
        "recent_orders": selectors.recent_orders(actor) if can(actor, "orders.view") else [],
        "frequent": selectors.frequent_items(actor=actor, dealer=me) if can(actor, "orders.place") else [],
        "new_items": [],
        "account": selectors.account_of(me) if can(actor, "finance.view") else None,
    }
    if can(actor, "catalog.view"):
        tag = selectors.new_tag()
        filters = SearchFilters(tag_ids=(tag.pk,)) if tag else SearchFilters()
        result = search_skus(actor=actor, dealer=me, filters=filters, sort="newest", per_page=NEW_ITEMS, facets=False)
        context["new_items"] = selectors.cards(actor=actor, dealer=me, hits=result.hits, promotions=promotions)
        context["new_tag"] = tag
    return page(request, "portal/pages/home.html", context)
