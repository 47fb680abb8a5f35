"""What every portal view shares: the page context (dealer, cart badge) and htmx answers."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from dinghuo.dealers.models import Dealer
from dinghuo.portal import selectors


def dealer(request: HttpRequest) -> Dealer:
    """The signed-in user's dealer, loaded once per request."""
    cached = getattr(request, "_portal_dealer", None)
    if cached is None:
        cached = request._portal_dealer = selectors.portal_dealer(request.actor)
    return cached


def page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render a portal page with what the layout needs: the dealer and the cart badge.

    A form shown again with its errors answers 200, as in the back office: browsers log a 4xx
    document as a console error, and the errors are the page's content, not a failed request.
    """
    context.setdefault("dealer", dealer(request))
    context.setdefault("cart_count", selectors.cart_count(request.actor))
    return render(request, template, context, status=status)


def back(request: HttpRequest, default: str = "portal:home") -> HttpResponseRedirect:
    """Redirect to the page the request came from (same site only), else to ``default``."""
    referer = request.headers.get("Referer", "")
    if referer and urlsplit(referer).netloc == request.get_host():
        return HttpResponseRedirect(referer)
    return HttpResponseRedirect(reverse(default))


def safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return reverse(default)
