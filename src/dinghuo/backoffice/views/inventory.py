"""Inventory: stock by warehouse, one stock row (its movements, adjustments with a reason, safety
stock), the movements ledger, low stock, warehouses, and the stock import (.xlsx) with its template."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dinghuo.accounts.permissions import require
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms import inventory as forms
from dinghuo.backoffice.forms.common import UploadForm
from dinghuo.backoffice.views.base import go, page, tabs
from dinghuo.backoffice.views.catalog import xlsx_response
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.jobs import job_start
from dinghuo.core.web import paginate, staff_page
from dinghuo.inventory import importers
from dinghuo.inventory import services as stock_services

STOCK_IMPORT_KIND = "inventory.import"
STOCK_IMPORT_HANDLER = "dinghuo.inventory.importers:run_stock_import"


def _filters(request: HttpRequest) -> forms.StockFilterForm:
    form = forms.StockFilterForm(request.GET or None, warehouses=selectors.warehouse_options())
    if form.is_bound:
        form.is_valid()
    return form


@require_GET
@staff_page("inventory.view")
def stock_list(request: HttpRequest) -> HttpResponse:
    form = _filters(request)
    qs = selectors.stock_list(
        actor=request.actor,
        filters=selectors.StockFilter(
            warehouse_id=form.value("warehouse"), q=(form.value("q") or "").strip(), low=bool(form.value("low"))
        ),
    )
    context = {
        "title": _("Stock"),
        "nav": "inventory",
        "tabs": tabs(request, "inventory", "stock"),
        "form": form,
        "page": paginate(request, qs, 50),
    }
    template = "backoffice/partials/stock_rows.html" if request.htmx else "backoffice/pages/stock_list.html"
    return page(request, template, context)


def _stock_page(request: HttpRequest, stock, **bound) -> HttpResponse:
    context = {
        "title": f"{stock.sku.code} @ {stock.warehouse.name}",
        "nav": "inventory",
        "stock": stock,
        "page": paginate(request, selectors.movement_list(actor=request.actor, stock=stock), 30),
        "adjust_form": bound.get("adjust_form") or forms.AdjustForm(),
        "safety_form": bound.get("safety_form") or forms.SafetyForm(initial={"safety_stock": stock.safety_stock}),
    }
    return page(request, "backoffice/pages/stock_detail.html", context)


@require_GET
@staff_page("inventory.view")
def stock_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _stock_page(request, selectors.stock_get(actor=request.actor, pk=pk))


@require_POST
@staff_page("inventory.manage")
def stock_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    stock = selectors.stock_get(actor=request.actor, pk=pk)
    form = forms.AdjustForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            stock_services.stock_adjust(
                actor=request.actor,
                stock=stock,
                set_to=d["qty"] if d["mode"] == "set" else None,
                delta=d["qty"] if d["mode"] == "delta" else None,
                reason=d["reason"],
            )
        except DomainError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            if {"qty", "set_to"} & set(detail):
                form.add_error("qty", exc.message)
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, _("Stock adjusted."))
            return go("backoffice:stock_detail", stock.pk)
    return _stock_page(request, stock, adjust_form=form)


@require_POST
@staff_page("inventory.manage")
def stock_safety(request: HttpRequest, pk: int) -> HttpResponse:
    stock = selectors.stock_get(actor=request.actor, pk=pk)
    form = forms.SafetyForm(request.POST)
    if form.is_valid():
        try:
            stock_services.stock_set_safety(actor=request.actor, stock=stock, qty=form.cleaned_data["safety_stock"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Safety stock saved."))
            return go("backoffice:stock_detail", stock.pk)
    return _stock_page(request, stock, safety_form=form)


@require_GET
@staff_page("inventory.view")
def movement_list(request: HttpRequest) -> HttpResponse:
    form = _filters(request)
    qs = selectors.movement_list(
        actor=request.actor,
        warehouse_id=form.value("warehouse"),
        kind=form.value("kind") or "",
        q=(form.value("q") or "")[:60],
    )
    context = {
        "title": _("Stock movements"),
        "nav": "inventory",
        "tabs": tabs(request, "inventory", "movements"),
        "form": form,
        "page": paginate(request, qs, 50),
    }
    return page(request, "backoffice/pages/movement_list.html", context)


@require_GET
@staff_page("inventory.view")
def low_stock(request: HttpRequest) -> HttpResponse:
    form = _filters(request)
    context = {
        "title": _("Low stock"),
        "nav": "inventory",
        "tabs": tabs(request, "inventory", "low"),
        "form": form,
        "page": paginate(
            request, selectors.low_stock_alerts(actor=request.actor, warehouse_id=form.value("warehouse")), 50
        ),
    }
    return page(request, "backoffice/pages/low_stock.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("inventory.view")
def warehouse_list(request: HttpRequest) -> HttpResponse:
    form = forms.WarehouseForm(request.POST or None)
    if request.method == "POST":
        require(request.actor, "inventory.manage")
        if form.is_valid():
            try:
                stock_services.warehouse_create(actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Warehouse added."))
                return go("backoffice:warehouse_list")
    context = {
        "title": _("Warehouses"),
        "nav": "inventory",
        "tabs": tabs(request, "inventory", "warehouses"),
        "rows": paginate(request, selectors.warehouse_rows(actor=request.actor), 50),
        "form": form,
    }
    return page(request, "backoffice/pages/warehouse_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("inventory.manage")
def stock_import(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = job_start(
                actor=request.actor,
                kind=STOCK_IMPORT_KIND,
                handler=STOCK_IMPORT_HANDLER,
                input_file=upload,
                params={"filename": upload.name[-80:]},
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return go("backoffice:job_detail", job.pk)
    context = {
        "title": _("Stock import"),
        "nav": "inventory",
        "tabs": tabs(request, "inventory", "import"),
        "form": form,
        "jobs": selectors.recent_jobs(kind=STOCK_IMPORT_KIND),
        "template_url": "backoffice:stock_import_template",
        "intro": _(
            "One row per SKU and warehouse with the counted quantity on hand (and, optionally, the safety stock). "
            "What is reserved for orders is respected. The whole file is checked first: if a row is wrong "
            "nothing is saved, and the error report names every wrong cell."
        ),
    }
    return page(request, "backoffice/pages/import.html", context)


@require_GET
@staff_page("inventory.manage")
def stock_import_template(request: HttpRequest) -> HttpResponse:
    return xlsx_response(importers.template(), _("stock-import-template") + ".xlsx")
