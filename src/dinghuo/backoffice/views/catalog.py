"""The catalog: products and their SKUs (list, search, detail, edit, status, units, attributes),
categories, brands, attributes, and the .xlsx import (a background job) and export."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dinghuo.accounts.permissions import require
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms import catalog as forms
from dinghuo.backoffice.forms.common import UploadForm
from dinghuo.backoffice.views.base import go, page, tabs
from dinghuo.catalog import importers
from dinghuo.catalog import services as catalog_services
from dinghuo.catalog.models import Brand, Product, Tag
from dinghuo.catalog.services import UnitSpec, attributes_for_category
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import paginate, staff_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _catalog_options() -> dict:
    return {
        "categories": selectors.category_options(),
        "brands": list(Brand.objects.order_by("name")),
        "tags": list(Tag.objects.order_by("name")),
    }


# --- products -----------------------------------------------------------------------------------------


@require_GET
@staff_page("catalog.view")
def product_list(request: HttpRequest) -> HttpResponse:
    options = _catalog_options()
    form = forms.ProductFilterForm(request.GET or None, categories=options["categories"], brands=options["brands"])
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.product_list(
        actor=request.actor,
        q=(data.get("q") or "").strip(),
        category_id=data.get("category"),
        brand_id=data.get("brand"),
        status=data.get("status") or "",
    )
    context = {
        "title": _("Products"),
        "nav": "catalog",
        "tabs": tabs(request, "catalog", "products"),
        "form": form,
        "page": paginate(request, qs),
    }
    template = "backoffice/partials/product_rows.html" if request.htmx else "backoffice/pages/product_list.html"
    return page(request, template, context)


@require_http_methods(["GET", "POST"])
@staff_page("catalog.manage")
def product_create(request: HttpRequest) -> HttpResponse:
    form = forms.ProductForm(request.POST or None, **_catalog_options())
    if request.method == "POST" and form.is_valid():
        try:
            product = catalog_services.product_create(actor=request.actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Product %(name)s created; now add its SKUs.") % {"name": product.name})
            return go("backoffice:product_detail", product.pk)
    context = {
        "title": _("New product"),
        "nav": "catalog",
        "form": form,
        "cancel_url": reverse("backoffice:product_list"),
    }
    return page(request, "backoffice/pages/form.html", context)


def _product_page(request: HttpRequest, product: Product, **bound) -> HttpResponse:
    applicable = sorted(attributes_for_category(product.category).values(), key=lambda a: (a.sort, a.code))
    values = {(v.attribute_id, v.sku_id): v for v in product.attribute_values.all()}
    attributes_form = bound.get("attributes_form") or forms.ProductAttributesForm(
        attributes=[a for a in applicable if not a.is_spec],
        initial={
            f"attr_{a.code}": (v.value_bool if v.value_bool is not None else v.display)
            for a in applicable
            if (v := values.get((a.pk, None))) is not None
        },
    )
    context = {
        "title": product.name,
        "nav": "catalog",
        "product": product,
        "skus": list(product.skus.all()),
        "spec_values": sorted(
            (v for v in product.attribute_values.all() if v.sku_id), key=lambda v: (v.sku.code, v.attribute.sort)
        ),
        "status_form": bound.get("status_form") or forms.ProductStatusForm(),
        "attributes_form": attributes_form,
        "next_statuses": sorted(catalog_services.STATUS_FLOW.get(product.status, ())),
        "status_labels": dict(Product.Status.choices),
    }
    return page(request, "backoffice/pages/product_detail.html", context)


@require_GET
@staff_page("catalog.view")
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_page(request, selectors.product_get(actor=request.actor, pk=pk))


@require_http_methods(["GET", "POST"])
@staff_page("catalog.manage")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.actor, pk=pk)
    initial = forms.ProductForm.initial_for(product)
    form = forms.ProductForm(request.POST or None, initial=initial, editing=product, **_catalog_options())
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "code" and v != _compare(initial, k)}
        try:
            catalog_services.product_update(actor=request.actor, product=product, **changes)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return go("backoffice:product_detail", product.pk)
    context = {
        "title": _("Edit %(name)s") % {"name": product.name},
        "nav": "catalog",
        "form": form,
        "cancel_url": reverse("backoffice:product_detail", args=[product.pk]),
    }
    return page(request, "backoffice/pages/form.html", context)


def _compare(initial: dict, key: str):
    value = initial.get(key)
    if key == "sale_regions":
        return [c.strip() for c in value.split(",") if c.strip()] if value else []
    return value


@require_POST
@staff_page("catalog.manage")
def product_status(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.actor, pk=pk)
    form = forms.ProductStatusForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.product_set_status(
                actor=request.actor,
                product=product,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return go("backoffice:product_detail", product.pk)
    return _product_page(request, product, status_form=form)


@require_POST
@staff_page("catalog.manage")
def product_attributes(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.actor, pk=pk)
    applicable = sorted(attributes_for_category(product.category).values(), key=lambda a: (a.sort, a.code))
    form = forms.ProductAttributesForm(request.POST, attributes=[a for a in applicable if not a.is_spec])
    if form.is_valid():
        try:
            catalog_services.product_set_attributes(actor=request.actor, product=product, values=form.values())
        except DomainError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            code = detail.get("attribute")
            if code and f"attr_{code}" in form.fields:
                form.add_error(f"attr_{code}", exc.message)
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, _("Attributes saved."))
            return go("backoffice:product_detail", product.pk)
    return _product_page(request, product, attributes_form=form)


# --- SKUs ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page("catalog.manage")
def sku_create(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(actor=request.actor, pk=pk)
    form = forms.SkuForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sku = catalog_services.sku_create(actor=request.actor, product=product, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("SKU %(code)s added.") % {"code": sku.code})
            return go("backoffice:sku_edit", sku.pk)
    context = {
        "title": _("New SKU of %(name)s") % {"name": product.name},
        "nav": "catalog",
        "form": form,
        "cancel_url": reverse("backoffice:product_detail", args=[product.pk]),
    }
    return page(request, "backoffice/pages/form.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("catalog.manage")
def sku_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sku = selectors.sku_get(actor=request.actor, pk=pk)
    initial = forms.SkuForm.initial_for(sku)
    form = forms.SkuForm(request.POST or None, initial=initial, editing=sku)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if initial.get(k) != v and str(initial.get(k)) != str(v)}
        try:
            catalog_services.sku_update(actor=request.actor, sku=sku, **changes)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return go("backoffice:sku_edit", sku.pk)
    return _sku_page(request, sku, form=form)


def _sku_page(request: HttpRequest, sku, *, form=None, units_form=None) -> HttpResponse:
    units = list(sku.units.all())
    packs = [u for u in units if u.factor != 1 or u.name != sku.base_unit]
    default = next((u.name for u in units if u.is_default), sku.base_unit)
    context = {
        "title": f"{sku.code} {sku.name}",
        "nav": "catalog",
        "sku": sku,
        "units": units,
        "form": form or forms.SkuForm(initial=forms.SkuForm.initial_for(sku), editing=sku),
        "units_form": units_form
        or forms.SkuUnitsForm(
            initial={"units": "; ".join(f"{u.name}={u.factor.normalize():f}" for u in packs), "default_unit": default}
        ),
    }
    return page(request, "backoffice/pages/sku_edit.html", context)


@require_POST
@staff_page("catalog.manage")
def sku_units(request: HttpRequest, pk: int) -> HttpResponse:
    sku = selectors.sku_get(actor=request.actor, pk=pk)
    form = forms.SkuUnitsForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.sku_set_units(
                actor=request.actor,
                sku=sku,
                units=[UnitSpec(name, factor) for name, factor in form.cleaned_data["units"]],
                default_unit=form.cleaned_data["default_unit"] or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Units saved."))
            return go("backoffice:sku_edit", sku.pk)
    return _sku_page(request, sku, units_form=form)


# --- categories, brands, attributes ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page("catalog.view")
def category_list(request: HttpRequest) -> HttpResponse:
    options = selectors.category_options()
    form = forms.CategoryForm(request.POST or None, categories=options)
    if request.method == "POST":
        require(request.actor, "catalog.manage")
        if form.is_valid():
            try:
                catalog_services.category_create(actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Category added."))
                return go("backoffice:category_list")
    context = {
        "title": _("Categories"),
        "nav": "catalog",
        "tabs": tabs(request, "catalog", "categories"),
        "rows": selectors.category_rows(),
        "form": form,
        "move_form": forms.CategoryMoveForm(categories=options),
    }
    return page(request, "backoffice/pages/category_list.html", context)


@require_POST
@staff_page("catalog.manage")
def category_move(request: HttpRequest, pk: int) -> HttpResponse:
    from dinghuo.catalog.errors import CategoryNotFound
    from dinghuo.catalog.models import Category

    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise CategoryNotFound()
    form = forms.CategoryMoveForm(request.POST, categories=selectors.category_options())
    if form.is_valid():
        catalog_services.category_move(actor=request.actor, category=category, parent=form.cleaned_data["parent"])
        messages.success(request, _("Category moved."))
    else:
        messages.error(request, _("Choose a valid parent category."))
    return go("backoffice:category_list")


@require_http_methods(["GET", "POST"])
@staff_page("catalog.view")
def brand_list(request: HttpRequest) -> HttpResponse:
    form = forms.BrandForm(request.POST or None)
    if request.method == "POST":
        require(request.actor, "catalog.manage")
        if form.is_valid():
            try:
                catalog_services.brand_create(actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Brand added."))
                return go("backoffice:brand_list")
    context = {
        "title": _("Brands"),
        "nav": "catalog",
        "tabs": tabs(request, "catalog", "brands"),
        "rows": paginate(request, selectors.brand_rows(), 50),
        "form": form,
    }
    return page(request, "backoffice/pages/brand_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("catalog.view")
def attribute_list(request: HttpRequest) -> HttpResponse:
    form = forms.AttributeForm(request.POST or None, categories=selectors.category_options())
    if request.method == "POST":
        require(request.actor, "catalog.manage")
        if form.is_valid():
            try:
                catalog_services.attribute_define(actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Attribute defined."))
                return go("backoffice:attribute_list")
    context = {
        "title": _("Attributes"),
        "nav": "catalog",
        "tabs": tabs(request, "catalog", "attributes"),
        "rows": paginate(request, selectors.attribute_rows(), 50),
        "form": form,
    }
    return page(request, "backoffice/pages/attribute_list.html", context)


# --- import and export ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page("catalog.manage")
def product_import(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importers.start_product_import(actor=request.actor, file=form.cleaned_data["file"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return go("backoffice:job_detail", job.pk)
    context = {
        "title": _("Import and export products"),
        "nav": "catalog",
        "tabs": tabs(request, "catalog", "import"),
        "form": form,
        "jobs": selectors.recent_jobs(kind=importers.JOB_KIND),
        "template_url": "backoffice:product_import_template",
        "export_url": "backoffice:product_export",
        "intro": _(
            "One row per SKU; rows with the same product code make one product. Existing codes are updated, "
            "new codes created. The whole file is checked first: if a row is wrong nothing is saved, and the "
            "error report names every wrong cell."
        ),
    }
    return page(request, "backoffice/pages/import.html", context)


@require_GET
@staff_page("catalog.manage")
def product_import_template(request: HttpRequest) -> HttpResponse:
    return xlsx_response(importers.import_template(actor=request.actor), _("product-import-template") + ".xlsx")


@require_GET
@staff_page("catalog.manage")
def product_export(request: HttpRequest) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d")
    name = _("products")  # outside the f-string, where xgettext finds it
    return xlsx_response(importers.export_products(actor=request.actor), f"{name}-{stamp}.xlsx")
