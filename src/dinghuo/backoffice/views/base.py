"""What every back-office view shares: rendering a page, the sub-navigation tabs, safe redirects."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.permissions import can

# area → [(key, label, url name, permission)]
TABS = {
    "orders": [
        ("orders", _("All orders"), "backoffice:order_list", "orders.view"),
        ("review", _("Review queue"), "backoffice:review_queue", "orders.review"),
        ("new", _("Order for a dealer"), "backoffice:order_new", "orders.place_on_behalf"),
    ],
    "catalog": [
        ("products", _("Products"), "backoffice:product_list", "catalog.view"),
        ("categories", _("Categories"), "backoffice:category_list", "catalog.view"),
        ("brands", _("Brands"), "backoffice:brand_list", "catalog.view"),
        ("attributes", _("Attributes"), "backoffice:attribute_list", "catalog.view"),
        ("import", _("Import and export"), "backoffice:product_import", "catalog.manage"),
    ],
    "prices": [
        ("lists", _("Price lists"), "backoffice:price_list_list", "prices.view_all"),
        ("promotions", _("Promotions"), "backoffice:promotion_list", "prices.view_all"),
        ("import", _("Import and export"), "backoffice:price_import", "prices.manage"),
    ],
    "inventory": [
        ("stock", _("Stock"), "backoffice:stock_list", "inventory.view"),
        ("movements", _("Movements"), "backoffice:movement_list", "inventory.view"),
        ("low", _("Low stock"), "backoffice:low_stock", "inventory.view"),
        ("warehouses", _("Warehouses"), "backoffice:warehouse_list", "inventory.view"),
        ("import", _("Stock import"), "backoffice:stock_import", "inventory.manage"),
    ],
    "dealers": [
        ("dealers", _("Dealers"), "backoffice:dealer_list", "dealers.view"),
        ("tiers", _("Tiers and price groups"), "backoffice:tier_list", "dealers.view"),
    ],
    "users": [
        ("staff", _("Staff"), "backoffice:user_list", "staff.manage"),
        ("roles", _("Roles and permissions"), "backoffice:role_matrix", "staff.manage"),
    ],
}


def tabs(request: HttpRequest, area: str, active: str) -> list[dict]:
    return [
        {"key": key, "label": label, "url": reverse(url_name), "active": key == active}
        for key, label, url_name, perm in TABS[area]
        if can(request.actor, perm)
    ]


def page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render a page. A form shown again with its errors answers 200 like any page (browsers log
    4xx documents as console errors); the errors are next to their fields."""
    return render(request, template, context, status=status)


def go(name: str, *args, query: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=args) + (f"?{query}" if query else ""))


def next_or(request: HttpRequest, name: str, *args) -> HttpResponseRedirect:
    """Back to a same-site ``next`` (the review queue, a filtered list), else to ``name``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return go(name, *args)


def int_or_none(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
