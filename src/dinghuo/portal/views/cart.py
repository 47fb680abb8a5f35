"""The cart with live pricing, adding from anywhere (htmx), and the quick order pad."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from dinghuo.catalog.selectors import sellable_skus
from dinghuo.core.errors import DomainError, NotFound
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import dealer_page
from dinghuo.orders import cart as carts
from dinghuo.orders.errors import QuickOrderInvalid
from dinghuo.orders.models import CartLine
from dinghuo.portal import selectors
from dinghuo.portal.forms import AddToCartForm, CartLineForm, QuickOrderForm
from dinghuo.portal.views.base import back, dealer, page


def _cart_context(request: HttpRequest, **extra) -> dict:
    view = selectors.cart_view(actor=request.actor, dealer=dealer(request))
    return {"title": _("Cart"), "nav": "cart", "cv": view, "cart_count": view.count, **extra}


@require_http_methods(["GET"])
@dealer_page("orders.place")
def cart(request: HttpRequest) -> HttpResponse:
    context = _cart_context(request)
    if request.htmx:
        return render(request, "portal/partials/cart_body.html", context)
    return page(request, "portal/pages/cart.html", context)


@require_POST
@dealer_page("orders.place")
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add a SKU in a unit. htmx gets the form back (errors inline) plus a toast and the new badge."""
    form = AddToCartForm(request.POST)
    me = dealer(request)
    raw = (request.POST.get("sku") or "").strip()
    sku = None
    if raw.isdigit() and 0 < int(raw) < 2**63:
        sku = sellable_skus(me).select_related("product").prefetch_related("units").filter(pk=int(raw)).first()
    if form.is_valid():
        if sku is None:
            form.add_error("sku", _("This item is not available to order."))
        else:
            try:
                carts.cart_add(
                    actor=request.actor,
                    cart=carts.cart_for(actor=request.actor),
                    sku_id=sku.pk,
                    qty=form.cleaned_data["qty"],
                    unit=form.cleaned_data["unit"] or None,
                )
            except DomainError as exc:
                if exc.code == "unit_unknown":
                    form.add_error(
                        "unit", _("This item cannot be ordered in “%(unit)s”.") % {"unit": form.cleaned_data["unit"]}
                    )
                else:
                    add_domain_error(form, exc)
    ok = form.is_bound and not form.errors
    style = request.POST.get("style") if request.POST.get("style") in ("full", "compact", "tap") else "compact"
    units = list(sku.units.all()) if sku else []
    context = {
        "form": form,
        "ok": ok,
        "sku": sku,
        "sku_id": raw if raw.isdigit() else "",
        "units": units,
        "unit": request.POST.get("unit") or (selectors.default_unit(sku)[0] if sku else ""),
        "qty": request.POST.get("qty", "1") if not ok or style == "tap" else "1",
        "added_qty": form.cleaned_data.get("qty") if ok else None,
        "added_unit": (form.cleaned_data.get("unit") or (selectors.default_unit(sku)[0] if sku else "")) if ok else "",
        "cart_count": selectors.cart_count(request.actor),
        "style": style,
    }
    if request.htmx:
        return render(request, "portal/partials/cart_added.html", context)
    if ok:
        messages.success(request, _("Added to the cart: %(name)s") % {"name": f"{sku.product.name} {sku.name}"})
        return back(request, "portal:cart")
    context.update({"title": _("Add to cart"), "nav": "catalog"})
    return page(request, "portal/pages/cart_add.html", context)


def _line(request: HttpRequest, pk: int) -> CartLine:
    line = CartLine.objects.filter(
        pk=pk, cart__user_id=request.actor.user_id, cart__dealer_id=request.actor.dealer_id
    ).first()
    if line is None:
        raise NotFound()
    return line


@require_POST
@dealer_page("orders.place")
def cart_set(request: HttpRequest, pk: int) -> HttpResponse:
    """A new quantity for a line (0 removes it); the cart comes back re-priced."""
    line = _line(request, pk)
    form = CartLineForm(request.POST)
    errors = {}
    if form.is_valid():
        try:
            carts.cart_set(actor=request.actor, cart=line.cart, line_id=line.pk, qty=form.cleaned_data["qty"])
        except DomainError as exc:
            errors[line.pk] = exc.message
    else:
        errors[line.pk] = " ".join(form.errors.get("qty", []))
    context = _cart_context(request, line_errors=errors, typed={line.pk: request.POST.get("qty", "")})
    if request.htmx:
        return render(request, "portal/partials/cart_body.html", context)
    if errors:
        return page(request, "portal/pages/cart.html", context)
    return HttpResponseRedirect(reverse("portal:cart"))


@require_POST
@dealer_page("orders.place")
def cart_remove(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk)
    carts.cart_set(actor=request.actor, cart=line.cart, line_id=line.pk, qty=0)
    if request.htmx:
        return render(request, "portal/partials/cart_body.html", _cart_context(request))
    return HttpResponseRedirect(reverse("portal:cart"))


@require_POST
@dealer_page("orders.place")
def cart_clear(request: HttpRequest) -> HttpResponse:
    carts.cart_clear(cart=carts.cart_for(actor=request.actor))
    messages.info(request, _("The cart is empty now."))
    return HttpResponseRedirect(reverse("portal:cart"))


@require_http_methods(["GET", "POST"])
@dealer_page("orders.place")
def quick_order(request: HttpRequest) -> HttpResponse:
    """Paste or type codes (or barcodes) and quantities; every line that cannot be understood says why."""
    form = QuickOrderForm(request.POST or None)
    line_errors: list[dict] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = carts.quick_add_to_cart(
                actor=request.actor, cart=carts.cart_for(actor=request.actor), text=form.cleaned_data["text"]
            )
        except QuickOrderInvalid as exc:
            detail = exc.detail.get("lines") if isinstance(exc.detail, dict) else None
            if isinstance(detail, list):
                line_errors = detail
                form.add_error("text", exc.message)
            else:
                add_domain_error(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            n = len(result.items)
            messages.success(
                request, ngettext("%(n)s line added to the cart.", "%(n)s lines added to the cart.", n) % {"n": n}
            )
            return HttpResponseRedirect(reverse("portal:cart"))
    context = {
        "title": _("Quick order"),
        "nav": "quick",
        "tab": "quick",
        "form": form,
        "line_errors": line_errors,
        "imports": selectors.recent_imports(request.actor),
    }
    return page(request, "portal/pages/quick_order.html", context)
