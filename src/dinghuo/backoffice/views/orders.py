"""Orders: the list, the review queue, an order's page with its actions (approve, reject, edit,
pick, ship in parts, deliver, complete, cancel), and 代客下单 — a sales rep ordering for a dealer."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dinghuo.accounts.permissions import can
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms import orders as forms
from dinghuo.backoffice.views.base import go, int_or_none, next_or, page, tabs
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import paginate, staff_page
from dinghuo.orders import selectors as order_selectors
from dinghuo.orders import services as order_services
from dinghuo.orders import states
from dinghuo.orders.errors import OrderBlocked, ShipmentInvalid
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place
from dinghuo.orders.rules import REVIEW
from dinghuo.pricing.engine import CartItem

S = Order.Status


# --- lists -----------------------------------------------------------------------------------------


@require_GET
@staff_page("orders.view")
def order_list(request: HttpRequest) -> HttpResponse:
    dealers = selectors.order_dealers(actor=request.actor)
    form = forms.OrderFilterForm(request.GET or None, dealers=dealers)
    if form.is_bound:
        form.is_valid()
    filters = order_selectors.OrderFilter(
        q=(form.value("q") or "").strip(),
        status=form.value("status") or "",
        dealer_id=form.value("dealer"),
        date_from=form.value("date_from"),
        date_to=form.value("date_to") if "date_to" not in form.errors else None,
        channel=form.value("channel") or "",
    )
    context = {
        "title": _("Orders"),
        "nav": "orders",
        "tabs": tabs(request, "orders", "orders"),
        "form": form,
        "page": paginate(request, order_selectors.order_list(actor=request.actor, filters=filters)),
        "status_counts": selectors.order_status_counts(actor=request.actor),
        "statuses": S.choices,
        "filter_count": sum(1 for name in ("q", "dealer", "channel", "date_from", "date_to") if request.GET.get(name)),
    }
    template = "backoffice/partials/order_rows.html" if request.htmx else "backoffice/pages/order_list.html"
    return page(request, template, context)


@require_GET
@staff_page("orders.review")
def review_queue(request: HttpRequest) -> HttpResponse:
    qs = selectors.review_queue(actor=request.actor)
    context = {
        "title": _("Review queue"),
        "nav": "orders",
        "tabs": tabs(request, "orders", "review"),
        "page": paginate(request, qs, 10),
        "can_override": can(request.actor, "orders.override_credit"),
        "next": request.get_full_path(),
    }
    return page(request, "backoffice/pages/review_queue.html", context)


# --- one order -------------------------------------------------------------------------------------


def _allocations(order: Order) -> list[dict]:
    """The order's reservations grouped by warehouse: what is reserved, shipped and still open."""
    groups: dict[int, list] = defaultdict(list)
    for line in order.lines.all():
        for a in line.allocations.all():
            groups[a.warehouse_id_snapshot].append({"line": line, "a": a})
    warehouses = selectors.warehouses_by_id(groups)
    return [
        {
            "warehouse": warehouses.get(wid),
            "warehouse_id": wid,
            "rows": rows,
            "open": sum((r["a"].open_base for r in rows), Decimal(0)),
        }
        for wid, rows in sorted(groups.items())
    ]


def _detail(request: HttpRequest, order: Order, **bound) -> HttpResponse:
    actor = request.actor
    status = order.status
    allocations = _allocations(order)
    shipped_any = bool(order.shipments.all())
    flags = {
        "can_review": status == S.PENDING_REVIEW and can(actor, "orders.review"),
        "can_override": can(actor, "orders.override_credit"),
        "can_pick": status == S.APPROVED and can(actor, "orders.fulfil"),
        "can_ship": status in states.SHIPPABLE
        and order.funds_taken
        and can(actor, "orders.fulfil")
        and any(g["open"] > 0 for g in allocations),
        "can_deliver": status == S.SHIPPED and can(actor, "orders.fulfil"),
        "can_complete": status == S.DELIVERED and can(actor, "orders.fulfil"),
        "can_cancel": status in states.STAFF_CANCELLABLE and not shipped_any and can(actor, "orders.cancel"),
    }
    lines = list(order.lines.all())
    context = {
        "title": order.number,
        "nav": "orders",
        "order": order,
        "lines": [line for line in lines if not line.is_gift],
        "gifts": [line for line in lines if line.is_gift],
        "allocations": allocations,
        "events": list(order.events.all()),
        "shipments": list(order.shipments.all()),
        "account": selectors.dealer_account(order.dealer) if status == S.PENDING_REVIEW else None,
        "approve_form": bound.get("approve_form") or forms.ApproveForm(),
        "reject_form": bound.get("reject_form") or forms.RejectForm(),
        "cancel_form": bound.get("cancel_form") or forms.CancelForm(),
        "open_form": next(iter(bound), ""),
        **flags,
    }
    return page(request, "backoffice/pages/order_detail.html", context)


@require_GET
@staff_page("orders.view")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    return _detail(request, order)


@require_POST
@staff_page("orders.review")
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    form = forms.ApproveForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            order_services.order_approve(
                actor=request.actor, order_id=order.pk, reason=d["reason"], override_credit=d["override_credit"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Order %(number)s approved.") % {"number": order.number})
            return next_or(request, "backoffice:order_detail", order.pk)
    return _detail(request, order, approve_form=form)


@require_POST
@staff_page("orders.review")
def order_reject(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    form = forms.RejectForm(request.POST)
    if form.is_valid():
        try:
            order_services.order_reject(actor=request.actor, order_id=order.pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Order %(number)s rejected.") % {"number": order.number})
            return next_or(request, "backoffice:order_detail", order.pk)
    return _detail(request, order, reject_form=form)


@require_POST
@staff_page("orders.cancel")
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    form = forms.CancelForm(request.POST)
    if form.is_valid():
        try:
            order_services.order_cancel(actor=request.actor, order_id=order.pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
            return go("backoffice:order_detail", order.pk)
    return _detail(request, order, cancel_form=form)


def _simple_transition(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    service(actor=request.actor, order_id=order.pk)  # a refused transition becomes a message (middleware)
    messages.success(request, done % {"number": order.number})
    return go("backoffice:order_detail", order.pk)


@require_POST
@staff_page("orders.fulfil")
def order_pick(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_transition(request, pk, order_services.order_start_picking, _("Order %(number)s is being picked."))


@require_POST
@staff_page("orders.fulfil")
def order_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_transition(request, pk, order_services.order_mark_delivered, _("Order %(number)s delivered."))


@require_POST
@staff_page("orders.fulfil")
def order_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_transition(request, pk, order_services.order_complete, _("Order %(number)s completed."))


@require_http_methods(["GET", "POST"])
@staff_page("orders.review")
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer changes quantities of an order waiting for review (re-priced as placed)."""
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    if order.status != S.PENDING_REVIEW:
        messages.warning(request, _("Only orders waiting for review can be edited."))
        return go("backoffice:order_detail", order.pk)
    form = forms.EditQuantitiesForm(request.POST or None, lines=list(order.lines.all()))
    if request.method == "POST" and form.is_valid():
        edits = [order_services.LineEdit(line_no=n, qty=q) for n, q in form.edits()]
        if not edits:
            messages.info(request, _("No quantity changed."))
            return go("backoffice:order_detail", order.pk)
        try:
            order_services.order_edit_quantities(
                actor=request.actor, order_id=order.pk, edits=edits, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Quantities changed; the order was re-priced."))
            return go("backoffice:order_detail", order.pk)
    context = {"title": _("Edit quantities"), "nav": "orders", "order": order, "form": form}
    return page(request, "backoffice/pages/order_edit.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("orders.fulfil")
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Ship from one warehouse: choose it, then the lines and quantities, the carrier and tracking number."""
    order = order_selectors.order_detail(actor=request.actor, pk=pk)
    groups = [g for g in _allocations(order) if g["open"] > 0]
    if order.status not in states.SHIPPABLE or not order.funds_taken or not groups:
        messages.warning(request, _("Nothing of this order can be shipped now."))
        return go("backoffice:order_detail", order.pk)
    wanted = int_or_none(request.POST.get("warehouse") or request.GET.get("warehouse"))
    group = next((g for g in groups if g["warehouse_id"] == wanted), groups[0])
    per_line: dict[int, tuple] = {}
    for r in group["rows"]:
        line, open_base = r["line"], r["a"].open_base
        if open_base > 0:
            prev = per_line.get(line.pk, (line, Decimal(0)))
            per_line[line.pk] = (line, prev[1] + open_base)
    rows = sorted(per_line.values(), key=lambda t: t[0].line_no)
    form = forms.ShipForm(request.POST if request.method == "POST" else None, rows=rows)
    if request.method == "POST" and form.is_valid():
        items = [order_services.ShipItem(line_id=i, qty_base=q) for i, q in form.items()]
        try:
            shipment = order_services.shipment_create(
                actor=request.actor,
                order_id=order.pk,
                warehouse_id=group["warehouse_id"],
                items=items,
                carrier=form.cleaned_data["carrier"],
                tracking_no=form.cleaned_data["tracking_no"],
            )
        except ShipmentInvalid as exc:
            line_id = exc.detail.get("line_id") if isinstance(exc.detail, dict) else None
            if line_id and f"line_{line_id}" in form.fields:
                form.add_error(f"line_{line_id}", exc.message)
            else:
                add_domain_error(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Shipment %(number)s sent with %(carrier)s %(tracking)s.")
                % {"number": shipment.number, "carrier": shipment.carrier, "tracking": shipment.tracking_no},
            )
            return go("backoffice:order_detail", order.pk)
    context = {
        "title": _("Ship"),
        "nav": "orders",
        "order": order,
        "groups": groups,
        "group": group,
        "form": form,
        "carriers": forms.CARRIERS,
    }
    return page(request, "backoffice/pages/order_ship.html", context)


# --- 代客下单 -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page("orders.place_on_behalf")
def order_new(request: HttpRequest) -> HttpResponse:
    """A sales rep (or an admin) places an order for one of its dealers through ``order_place``."""
    actor = request.actor
    dealers = selectors.order_dealers(actor=actor)
    dealer = selectors.dealer_for_order(actor=actor, pk=request.POST.get("dealer") or request.GET.get("dealer"))
    addresses = list(dealer.addresses.all()) if dealer else []
    is_post = request.method == "POST" and dealer is not None
    form = forms.PlaceOrderForm(request.POST if is_post else None, addresses=addresses)
    lines = forms.OrderLineFormSet(
        request.POST if is_post else None, prefix="lines", initial=None if is_post else [{}] * 5
    )
    checks: list[dict] = []
    if is_post and form.is_valid() and lines.is_valid():
        rows = [(f, f.cleaned_data) for f in lines.forms if f.cleaned_data.get("sku")]
        skus = selectors.skus_by_code([d["sku"] for _f, d in rows])
        for f, d in rows:
            if d["sku"] not in skus:
                f.add_error("sku", _("Unknown SKU code “%(code)s”.") % {"code": d["sku"]})
        if not rows:
            form.add_error(None, _("Add at least one line."))
        if not form.errors and not any(f.errors for f in lines.forms):
            items = [CartItem(sku_id=skus[d["sku"]].pk, qty=d["qty"], unit=d["unit"] or None) for _f, d in rows]
            try:
                placed = order_place(
                    actor=actor,
                    dealer_id=dealer.pk,
                    items=items,
                    address_id=form.cleaned_data["address"],
                    note=form.cleaned_data["note"],
                    requested_date=form.cleaned_data["requested_date"],
                )
            except OrderBlocked as exc:
                checks = exc.detail.get("checks", []) if isinstance(exc.detail, dict) else []
                form.add_error(None, _("The order cannot be placed; see the order check below."))
            except DomainError as exc:
                _line_error(lines, rows, exc) or add_domain_error(form, exc)
            else:
                order = placed.order
                if order.status == S.PENDING_REVIEW:
                    reasons = "；".join(c["message"] for c in placed.checks if c["outcome"] == REVIEW)
                    messages.warning(
                        request,
                        _("Order %(number)s is placed and waits for review: %(reasons)s")
                        % {"number": order.number, "reasons": reasons},
                    )
                else:
                    messages.success(request, _("Order %(number)s placed.") % {"number": order.number})
                return go("backoffice:order_detail", order.pk)
    context = {
        "title": _("Order for a dealer"),
        "nav": "orders",
        "tabs": tabs(request, "orders", "new"),
        "dealers": dealers,
        "dealer": dealer,
        "account": getattr(dealer, "account", None) if dealer else None,
        "form": form,
        "lines": lines,
        "checks": checks,
        "sku_choices": selectors.sku_choices_for_order() if dealer else [],
        "dealer_error": _("Choose a dealer.") if request.method == "POST" and dealer is None else "",
    }
    return page(request, "backoffice/pages/order_new.html", context)


def _line_error(lines, rows, exc: DomainError) -> bool:
    """Put a pricing error naming a line (``detail["line"]``, 0-based) next to that line's fields."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    try:
        index = int(detail.get("line"))
    except (TypeError, ValueError):
        return False
    if 0 <= index < len(rows):
        field = "unit" if "unit" in str(exc.code) else "sku" if "sku" in str(exc.code) else "qty"
        rows[index][0].add_error(field, exc.message)
        return True
    return False
