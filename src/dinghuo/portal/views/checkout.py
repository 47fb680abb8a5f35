"""Checkout: ship-to, payment mix, date and note; one order per rendered form, however often sent."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.idempotency import IdempotencyInProgress, IdempotencyKeyReused
from dinghuo.core.web import dealer_page
from dinghuo.orders.errors import EmptyOrder, OrderBlocked
from dinghuo.orders.models import Order
from dinghuo.orders.rules import BLOCK, PASS, REVIEW
from dinghuo.portal import selectors, services
from dinghuo.portal.forms import CheckoutForm, new_token
from dinghuo.portal.views.base import dealer, page


@never_cache
@require_http_methods(["GET", "POST"])
@dealer_page("orders.place")
def checkout(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    me = dealer(request)
    cv = selectors.cart_view(actor=actor, dealer=me)
    addresses = selectors.addresses(me)
    account = selectors.account_of(me)
    total = cv.priced.total if cv.priced else None
    default = next((a.pk for a in addresses if a.is_default), addresses[0].pk if addresses else None)
    form = CheckoutForm(
        request.POST if request.method == "POST" else None,
        addresses=addresses,
        account=account,
        total=total,
        initial={"token": new_token(), "address": default, "pay_prepaid": "0.00", "pay_rebate": "0.00"},
    )
    checks: list[dict] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            placed = services.checkout_place(
                actor=actor,
                cart=cv.cart,
                token=data["token"],
                address_id=data["address"],
                pay_prepaid=data["pay_prepaid"],
                pay_rebate=data["pay_rebate"],
                note=data["note"],
                requested_date=data["requested_date"],
            )
        except OrderBlocked as exc:
            checks = exc.detail.get("checks", []) if isinstance(exc.detail, dict) else []
            form.add_error(None, _("The order cannot be placed yet; see why below."))
        except EmptyOrder:
            messages.warning(request, _("Your cart is empty."))
            return HttpResponseRedirect(reverse("portal:cart"))
        except IdempotencyKeyReused:
            messages.warning(request, _("This checkout form was already used to place an order; see your orders."))
            return HttpResponseRedirect(reverse("portal:orders"))
        except IdempotencyInProgress:
            messages.info(request, _("Your order is being placed; it will appear in your orders in a moment."))
            return HttpResponseRedirect(reverse("portal:orders"))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            order = placed.order
            if not placed.created:
                messages.info(request, _("Order %(number)s was already placed.") % {"number": order.number})
            elif order.status == Order.Status.PENDING_REVIEW:
                reasons = "；".join(c["message"] for c in placed.checks if c["outcome"] == REVIEW)
                messages.warning(
                    request,
                    _("Order %(number)s is placed and waits for review: %(reasons)s")
                    % {"number": order.number, "reasons": reasons},
                )
            else:
                messages.success(request, _("Order %(number)s is placed.") % {"number": order.number})
            return HttpResponseRedirect(reverse("portal:order", args=[order.pk]))
    if request.method == "GET" and cv.empty:
        messages.info(request, _("Your cart is empty."))
        return HttpResponseRedirect(reverse("portal:cart"))
    context = {
        "title": _("Checkout"),
        "nav": "cart",
        "cv": cv,
        "form": form,
        "addresses": addresses,
        "account": account,
        "checks": [c for c in checks if c.get("outcome") != PASS],
        "passed": [c for c in checks if c.get("outcome") == PASS],
        "BLOCK": BLOCK,
        "pay_credit": form.pay_credit() if form.is_bound and form.is_valid() else total,
    }
    return page(request, "portal/pages/checkout.html", context)
