"""Prices: price lists with their items and volume tiers, promotions of each kind, and the .xlsx
import (a background job) and export of price lists and of promotions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dinghuo.accounts.permissions import can
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms import pricing as forms
from dinghuo.backoffice.forms.common import PriceImportForm, UploadForm
from dinghuo.backoffice.views.base import go, int_or_none, page, tabs
from dinghuo.backoffice.views.catalog import xlsx_response
from dinghuo.catalog.models import Brand
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import paginate, staff_page
from dinghuo.dealers import selectors as dealer_selectors
from dinghuo.dealers.models import DealerTier, PriceGroup
from dinghuo.pricing import importers, promotion_import
from dinghuo.pricing import selectors as pricing_selectors
from dinghuo.pricing import services as pricing_services
from dinghuo.pricing.models import PriceList, Promotion


def _targets(request: HttpRequest) -> dict:
    return {
        "dealers": selectors.order_dealers(actor=request.actor),
        "groups": list(PriceGroup.objects.order_by("code")),
        "tiers": list(DealerTier.objects.order_by("rank", "code")),
    }


def _price_list_fields(data: dict) -> dict:
    """The form's ids → the service's objects (ids come from choices of this tenant's rows)."""
    from dinghuo.dealers.models import Dealer

    out = dict(data)
    out["dealer"] = Dealer.objects.filter(pk=data.get("dealer")).first() if data.get("dealer") else None
    out["price_group"] = (
        PriceGroup.objects.filter(pk=data.get("price_group")).first() if data.get("price_group") else None
    )
    out["tier"] = DealerTier.objects.filter(pk=data.get("tier")).first() if data.get("tier") else None
    return out


# --- price lists --------------------------------------------------------------------------------------


@require_GET
@staff_page("prices.view_all")
def price_list_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    qs = pricing_selectors.price_list_list(
        actor=request.actor,
        kind=kind if kind in PriceList.Kind.values else "",
        q=request.GET.get("q", "").strip()[:60],
        active_at=timezone.now() if request.GET.get("active") else None,
    )
    context = {
        "title": _("Price lists"),
        "nav": "prices",
        "tabs": tabs(request, "prices", "lists"),
        "page": paginate(request, qs),
        "kinds": PriceList.Kind.choices,
        "filters": request.GET,
        "now": timezone.now(),
    }
    return page(request, "backoffice/pages/price_list_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("prices.manage")
def price_list_create(request: HttpRequest) -> HttpResponse:
    form = forms.PriceListForm(request.POST or None, **_targets(request))
    if request.method == "POST" and form.is_valid():
        try:
            pl = pricing_services.price_list_create(actor=request.actor, **_price_list_fields(form.cleaned_data))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Price list %(code)s created; now add its prices.") % {"code": pl.code})
            return go("backoffice:price_list_detail", pl.pk)
    context = {
        "title": _("New price list"),
        "nav": "prices",
        "form": form,
        "cancel_url": reverse("backoffice:price_list_list"),
    }
    return page(request, "backoffice/pages/form.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("prices.manage")
def price_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pl = pricing_selectors.price_list_get(actor=request.actor, pk=pk)
    initial = forms.PriceListForm.initial_for(pl)
    form = forms.PriceListForm(request.POST or None, initial=initial, editing=pl, **_targets(request))
    if request.method == "POST" and form.is_valid():
        fields = _price_list_fields(form.cleaned_data)
        fields.pop("code", None)
        try:
            pricing_services.price_list_update(actor=request.actor, price_list=pl, **fields)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return go("backoffice:price_list_detail", pl.pk)
    context = {
        "title": _("Edit %(name)s") % {"name": pl.name},
        "nav": "prices",
        "form": form,
        "cancel_url": reverse("backoffice:price_list_detail", args=[pl.pk]),
    }
    return page(request, "backoffice/pages/form.html", context)


def _price_list_page(request: HttpRequest, pl: PriceList, *, item_form=None) -> HttpResponse:
    items = pricing_selectors.price_list_items(actor=request.actor, price_list=pl)
    q = request.GET.get("q", "").strip()[:40]
    if q:
        items = items.filter(sku__code__icontains=q)
    context = {
        "title": pl.name,
        "nav": "prices",
        "pl": pl,
        "page": paginate(request, items, 100),
        "item_form": item_form or forms.PriceItemForm(),
        "sku_choices": selectors.sku_choices_for_order() if can(request.actor, "prices.manage") else [],
        "q": q,
    }
    return page(request, "backoffice/pages/price_list_detail.html", context)


@require_GET
@staff_page("prices.view_all")
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _price_list_page(request, pricing_selectors.price_list_get(actor=request.actor, pk=pk))


@require_POST
@staff_page("prices.manage")
def price_item_set(request: HttpRequest, pk: int) -> HttpResponse:
    pl = pricing_selectors.price_list_get(actor=request.actor, pk=pk)
    form = forms.PriceItemForm(request.POST)
    if form.is_valid():
        sku = selectors.skus_by_code([form.cleaned_data["sku"].strip()]).get(form.cleaned_data["sku"].strip())
        if sku is None:
            form.add_error("sku", _("Unknown SKU code “%(code)s”.") % {"code": form.cleaned_data["sku"]})
        else:
            try:
                pricing_services.price_item_set(
                    actor=request.actor, price_list=pl, sku=sku, tiers=form.cleaned_data["tiers"]
                )
            except DomainError as exc:
                if isinstance(exc.detail, dict) and str(sku.pk) in exc.detail:
                    form.add_error("tiers", exc.message)
                else:
                    add_domain_error(form, exc)
            else:
                messages.success(request, _("Prices of %(sku)s saved.") % {"sku": sku.code})
                return go("backoffice:price_list_detail", pl.pk)
    return _price_list_page(request, pl, item_form=form)


@require_POST
@staff_page("prices.manage")
def price_item_remove(request: HttpRequest, pk: int, sku_pk: int) -> HttpResponse:
    pl = pricing_selectors.price_list_get(actor=request.actor, pk=pk)
    if pricing_services.price_item_remove(actor=request.actor, price_list=pl, sku=sku_pk):
        messages.success(request, _("Price removed."))
    return go("backoffice:price_list_detail", pl.pk)


# --- promotions ---------------------------------------------------------------------------------------


def _promotion_options() -> dict:
    return {
        "categories": selectors.category_options(),
        "brands": list(Brand.objects.order_by("name")),
        "tiers": list(dealer_selectors.tiers()),
    }


@require_GET
@staff_page("prices.view_all")
def promotion_list(request: HttpRequest) -> HttpResponse:
    qs = _promotions_filtered(request)
    context = {
        "title": _("Promotions"),
        "nav": "prices",
        "tabs": tabs(request, "prices", "promotions"),
        "page": paginate(request, qs),
        "kinds": Promotion.Kind.choices,
        "filters": request.GET,
        "now": timezone.now(),
    }
    return page(request, "backoffice/pages/promotion_list.html", context)


def _promotions_filtered(request: HttpRequest):
    kind = request.GET.get("kind", "")
    return pricing_selectors.promotion_list(
        actor=request.actor,
        kind=kind if kind in Promotion.Kind.values else "",
        active_at=timezone.now() if request.GET.get("active") else None,
    )


@require_GET
@staff_page("prices.view_all")
def promotion_export(request: HttpRequest) -> HttpResponse:
    """The promotions the list shows (same filters), one row each, in the import's format."""
    data = promotion_import.export_promotions(actor=request.actor, promotions=_promotions_filtered(request))
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx_response(data, f"{Promotion._meta.verbose_name_plural}-{stamp}.xlsx")


def _promotion_fields(form: forms.PromotionForm) -> tuple[dict, list[str]]:
    """The form → the service's arguments; unknown SKU codes are returned to be shown on the form."""
    d = form.cleaned_data
    skus = selectors.skus_by_code(form.sku_codes())
    unknown = [c for c in form.sku_codes() if c not in skus]
    ids = {code: sku.pk for code, sku in skus.items()}
    scope = {
        "skus": [ids[c] for c in d["scope_skus"] if c in ids],
        "categories": d["scope_categories"],
        "brands": d["scope_brands"],
    }
    fields = {
        "name": d["name"],
        "rules": form.rules(ids),
        "valid_from": d["valid_from"],
        "valid_to": d["valid_to"],
        "scope": {k: v for k, v in scope.items() if v},
        "tiers": d["tiers"],
        "regions": d["regions"],
        "priority": d["priority"],
        "stackable": d["stackable"],
        "exclusive_group": d["exclusive_group"],
        "total_cap": d["total_cap"] if form.chosen_kind == Promotion.Kind.FLASH else None,
        "per_dealer_cap": d["per_dealer_cap"] if form.chosen_kind == Promotion.Kind.FLASH else None,
        "is_active": d["is_active"],
    }
    return fields, unknown


def _unknown_skus(form: forms.PromotionForm, unknown: list[str]) -> None:
    d = form.cleaned_data
    for code in unknown:
        field = "gift_sku" if code == d.get("gift_sku") else "flash_sku" if code == d.get("flash_sku") else "scope_skus"
        form.add_error(field, _("Unknown SKU code “%(code)s”.") % {"code": code})


def _promotion_error(form: forms.PromotionForm, exc: DomainError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    placed = False
    for key in detail:
        field = forms.PROMOTION_ERROR_FIELDS.get(key, key)
        if field in form.fields:
            form.add_error(field, exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
@staff_page("promotions.manage")
def promotion_create(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or request.POST.get("kind") or Promotion.Kind.THRESHOLD
    kind = kind if kind in Promotion.Kind.values else Promotion.Kind.THRESHOLD
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {"kind": kind, "valid_from": now, "valid_to": now + dt.timedelta(days=30)}
    form = forms.PromotionForm(request.POST or None, initial=initial, **_promotion_options())
    if request.method == "POST" and form.is_valid():
        fields, unknown = _promotion_fields(form)
        if unknown:
            _unknown_skus(form, unknown)
        else:
            try:
                promotion = pricing_services.promotion_create(
                    actor=request.actor, code=form.cleaned_data["code"], kind=form.chosen_kind, **fields
                )
            except DomainError as exc:
                _promotion_error(form, exc)
            else:
                messages.success(request, _("Promotion %(name)s created.") % {"name": promotion.name})
                return go("backoffice:promotion_list")
    context = {
        "title": _("New promotion"),
        "nav": "prices",
        "form": form,
        "kinds": Promotion.Kind.choices,
        "editing": None,
    }
    return page(request, "backoffice/pages/promotion_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("promotions.manage")
def promotion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = pricing_selectors.promotion_get(actor=request.actor, pk=pk)
    sku_ids = set((promotion.scope or {}).get("skus", []))
    for key in ("gift_sku", "sku"):
        if (promotion.rules or {}).get(key):
            sku_ids.add(promotion.rules[key])
    codes = selectors.sku_codes_by_id(sku_ids)
    initial = forms.PromotionForm.initial_for(promotion, codes)
    form = forms.PromotionForm(request.POST or None, initial=initial, editing=promotion, **_promotion_options())
    if request.method == "POST" and form.is_valid():
        fields, unknown = _promotion_fields(form)
        if unknown:
            _unknown_skus(form, unknown)
        else:
            try:
                pricing_services.promotion_update(actor=request.actor, promotion=promotion, **fields)
            except DomainError as exc:
                _promotion_error(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return go("backoffice:promotion_list")
    context = {
        "title": _("Edit %(name)s") % {"name": promotion.name},
        "nav": "prices",
        "form": form,
        "editing": promotion,
    }
    return page(request, "backoffice/pages/promotion_form.html", context)


@require_POST
@staff_page("promotions.manage")
def promotion_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = pricing_selectors.promotion_get(actor=request.actor, pk=pk)
    pricing_services.promotion_deactivate(
        actor=request.actor, promotion=promotion, reason=request.POST.get("reason", "")[:200]
    )
    messages.success(request, _("Promotion %(name)s ended.") % {"name": promotion.name})
    return go("backoffice:promotion_list")


# --- import and export ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_page("prices.manage")
def price_import(request: HttpRequest) -> HttpResponse:
    form = PriceImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importers.start_price_import(
                actor=request.actor, file=form.cleaned_data["file"], replace=form.cleaned_data["replace"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return go("backoffice:job_detail", job.pk)
    context = {
        "title": _("Import and export prices"),
        "nav": "prices",
        "tabs": tabs(request, "prices", "import"),
        "form": form,
        "jobs": selectors.recent_jobs(kind=importers.JOB_KIND),
        "template_url": "backoffice:price_import_template",
        "export_url": "backoffice:price_export",
        "intro": _(
            "One row per volume tier of a SKU in a price list (create the lists here first). The rows of a SKU "
            "in a list replace its prices there. The whole file is checked first: if a row is wrong nothing is "
            "saved, and the error report names every wrong cell."
        ),
    }
    return page(request, "backoffice/pages/import.html", context)


@require_GET
@staff_page("prices.manage")
def price_import_template(request: HttpRequest) -> HttpResponse:
    return xlsx_response(importers.import_template(actor=request.actor), _("price-import-template") + ".xlsx")


@require_GET
@staff_page("prices.view_all")
def price_export(request: HttpRequest) -> HttpResponse:
    list_id = int_or_none(request.GET.get("list"))
    ids = [pricing_selectors.price_list_get(actor=request.actor, pk=list_id).pk] if list_id else None
    stamp = timezone.localtime().strftime("%Y%m%d")
    data = importers.export_price_lists(actor=request.actor, price_list_ids=ids)
    name = _("price-lists")  # outside the f-string, where xgettext finds it
    return xlsx_response(data, f"{name}-{stamp}.xlsx")


@require_http_methods(["GET", "POST"])
@staff_page("promotions.manage")
def promotion_import_page(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = promotion_import.start_promotion_import(actor=request.actor, file=form.cleaned_data["file"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return go("backoffice:job_detail", job.pk)
    context = {
        "title": _("Import and export promotions"),
        "nav": "prices",
        "tabs": tabs(request, "prices", "promotions"),
        "form": form,
        "jobs": selectors.recent_jobs(kind=promotion_import.JOB_KIND),
        "template_url": "backoffice:promotion_import_template",
        "export_url": "backoffice:promotion_export",
        "intro": _(
            "One row per promotion: a new code creates it, a known code updates it (its kind cannot change). "
            "Fill the columns of the row's kind and leave the others blank. The whole file is checked first: if "
            "a row is wrong nothing is saved, and the error report names every wrong cell."
        ),
    }
    return page(request, "backoffice/pages/import.html", context)


@require_GET
@staff_page("promotions.manage")
def promotion_import_template(request: HttpRequest) -> HttpResponse:
    data = promotion_import.promotion_import_template(actor=request.actor)
    return xlsx_response(data, _("promotion-import-template") + ".xlsx")
