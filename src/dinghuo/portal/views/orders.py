"""The dealer's orders: list with filters and search, detail with timeline and shipments, actions, PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from dinghuo.accounts.permissions import can
from dinghuo.core.web import dealer_page, paginate
from dinghuo.orders import cart as carts
from dinghuo.orders import selectors as order_selectors
from dinghuo.orders import services as order_services
from dinghuo.orders import states
from dinghuo.orders.models import Order
from dinghuo.orders.rules import PASS
from dinghuo.orders.selectors import OrderFilter
from dinghuo.portal.forms import CancelForm, OrderFilterForm
from dinghuo.portal.views.base import page

PER_PAGE = 20
STEPS = [
    (Order.Status.SUBMITTED, gettext_lazy("Submitted")),
    (Order.Status.APPROVED, gettext_lazy("Approved")),
    (Order.Status.PICKING, gettext_lazy("Picking")),
    (Order.Status.SHIPPED, gettext_lazy("Shipped")),
    (Order.Status.DELIVERED, gettext_lazy("Goods received")),
]


@require_GET
@dealer_page("orders.view")
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    values = form.values() if request.GET else {"q": "", "status": "", "date_from": None, "date_to": None}
    qs = order_selectors.order_list(actor=request.actor, filters=OrderFilter(**values))
    context = {
        "title": _("Orders"),
        "nav": "orders",
        "form": form,
        "page": paginate(request, qs, PER_PAGE),
        "values": values,
        "statuses": Order.Status.choices,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "portal/partials/order_rows.html", context)
    return page(request, "portal/pages/orders.html", context)


def _progress(order: Order) -> list[dict]:
    """The order's steps for the progress bar: done, current, to come (or the closing state)."""
    reached = {e.to_status for e in order.events.all() if e.to_status}
    reached.add(order.status)
    if order.status == Order.Status.PARTIALLY_SHIPPED:
        reached.add(Order.Status.PICKING)
    if order.status in (Order.Status.DELIVERED, Order.Status.COMPLETED):
        reached |= {Order.Status.SHIPPED}
    if order.status in (Order.Status.SHIPPED, Order.Status.PARTIALLY_SHIPPED, Order.Status.DELIVERED):
        reached |= {Order.Status.APPROVED}
    # a step passed over (an order shipped without a picking step) is behind the order all the same
    furthest = max((i for i, (status, _label) in enumerate(STEPS) if status in reached), default=-1)
    return [{"label": label, "done": i <= furthest} for i, (_status, label) in enumerate(STEPS)]


@require_GET
@dealer_page("orders.view")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    order = order_selectors.order_detail(actor=actor, pk=pk)
    mine = order.dealer_id == actor.dealer_id
    cancellable = (
        mine and can(actor, "orders.cancel") and order.status in states.DEALER_CANCELLABLE and not order.shipments.all()
    )
    lines = list(order.lines.all())
    context = {
        "title": _("Order %(number)s") % {"number": order.number},
        "nav": "orders",
        "order": order,
        "lines": [line for line in lines if not line.is_gift],
        "gifts": [line for line in lines if line.is_gift],
        "events": list(order.events.all())[::-1],
        "shipments": list(order.shipments.all()),
        "checks": [c for c in (order.checks or []) if c.get("outcome") != PASS],
        "mine": mine,
        "can_cancel": cancellable,
        "can_receive": mine and can(actor, "orders.place") and order.status == Order.Status.SHIPPED,
        "can_reorder": mine and can(actor, "orders.place"),
        "steps": _progress(order),
        "closed": order.status in (Order.Status.CANCELLED, Order.Status.REJECTED),
        "cancel_form": CancelForm(),
    }
    return page(request, "portal/pages/order.html", context)


@require_POST
@dealer_page("orders.cancel")
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    order_services.order_cancel(actor=request.actor, order_id=order.pk, reason=reason)
    messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    return HttpResponseRedirect(reverse("portal:order", args=[order.pk]))


@require_POST
@dealer_page("orders.place")
def order_receive(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    order_services.order_mark_delivered(
        actor=request.actor, order_id=order.pk, reason=_("Receipt confirmed by the dealer")
    )
    messages.success(request, _("Thank you: receipt of order %(number)s is confirmed.") % {"number": order.number})
    return HttpResponseRedirect(reverse("portal:order", args=[order.pk]))


@require_POST
@dealer_page("orders.place")
def order_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    n = carts.reorder(actor=request.actor, cart=carts.cart_for(actor=request.actor), order_id=order.pk)
    if n:
        messages.success(
            request,
            ngettext(
                "%(n)s line of order %(number)s is in your cart again.",
                "%(n)s lines of order %(number)s are in your cart again.",
                n,
            )
            % {"n": n, "number": order.number},
        )
    else:
        messages.warning(
            request, _("None of the items of order %(number)s can be ordered any more.") % {"number": order.number}
        )
    return HttpResponseRedirect(reverse("portal:cart"))


@require_GET
@dealer_page("orders.view")
def order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from dinghuo.orders.documents import order_pdf as render_pdf

    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    response = HttpResponse(render_pdf(order), content_type="application/pdf")
    inline = request.GET.get("download") != "1"
    response["Content-Disposition"] = content_disposition_header(not inline, f"{order.number}.pdf")
    return response
