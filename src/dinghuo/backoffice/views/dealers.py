"""Dealers: the list, a dealer's page (profile, credit, regions, addresses, users, service history),
creating and editing dealers, and the tiers and price groups they belong to."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dinghuo.accounts import services as account_services
from dinghuo.accounts.permissions import can
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms import dealers as forms
from dinghuo.backoffice.forms.users import DealerUserForm
from dinghuo.backoffice.views.base import go, int_or_none, page, tabs
from dinghuo.core import regions
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import paginate, staff_page
from dinghuo.dealers import selectors as dealer_selectors
from dinghuo.dealers import services as dealer_services
from dinghuo.dealers.models import Dealer
from dinghuo.finance import services as finance_services


@require_http_methods(["GET"])
@staff_page("dealers.view")
def dealer_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = selectors.dealer_rows(
        actor=request.actor,
        q=g.get("q", "").strip()[:60],
        tier_id=int_or_none(g.get("tier")),
        status=g.get("status", "") if g.get("status") in Dealer.Status.values else "",
        province=g.get("province", "")[:6],
        sales_rep_id=int_or_none(g.get("rep")),
    )
    context = {
        "title": _("Dealers"),
        "nav": "dealers",
        "tabs": tabs(request, "dealers", "dealers"),
        "page": paginate(request, qs),
        "tiers": list(dealer_selectors.tiers()),
        "reps": list(dealer_selectors.sales_reps()) if request.actor.role != "sales_rep" else [],
        "provinces": regions.provinces(),
        "statuses": Dealer.Status.choices,
        "filters": g,
    }
    template = "backoffice/partials/dealer_rows.html" if request.htmx else "backoffice/pages/dealer_list.html"
    return page(request, template, context)


def _detail(request: HttpRequest, dealer: Dealer, **bound) -> HttpResponse:
    account = selectors.dealer_account(dealer)
    credit_initial = {"credit_limit": account.credit_limit, "terms_days": account.terms_days} if account else {}
    forms_ = {
        "regions_form": forms.RegionsForm(initial={"regions": ""}),
        "address_form": forms.AddressForm(),
        "user_form": DealerUserForm(),
        "service_form": forms.ServiceRecordForm(),
        "credit_form": forms.CreditForm(initial=credit_initial),
        **bound,
    }
    context = {
        "title": dealer.name,
        "nav": "dealers",
        "dealer": dealer,
        "account": account,
        "credit_history": selectors.credit_history(account),
        "recent_orders": selectors.dealer_recent_orders(actor=request.actor, dealer=dealer),
        "ledger_url": _url_or_empty("finance_bo:dealer_account", dealer.pk)
        if can(request.actor, "finance.view")
        else "",
        **dealer_selectors.dealer_detail_related(dealer),
        **forms_,
        "open_form": next(iter(bound), ""),
    }
    return page(request, "backoffice/pages/dealer_detail.html", context)


def _url_or_empty(name: str, *args) -> str:
    """A link into another app's pages, or nothing when that app is not installed here."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@require_http_methods(["GET"])
@staff_page("dealers.view")
def dealer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    return _detail(request, dealer)


@require_http_methods(["GET", "POST"])
@staff_page("dealers.manage")
def dealer_create(request: HttpRequest) -> HttpResponse:
    form = forms.DealerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            dealer = dealer_services.dealer_create(
                actor=request.actor,
                code=data.pop("code"),
                name=data.pop("name"),
                tier=data.pop("tier"),
                region_code=data.pop("region_code"),
                **data,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Dealer %(name)s created.") % {"name": dealer.name})
            return go("backoffice:dealer_detail", dealer.pk)
    context = {
        "title": _("New dealer"),
        "nav": "dealers",
        "form": form,
        "cancel_url": reverse("backoffice:dealer_list"),
    }
    return page(request, "backoffice/pages/form.html", context)


@require_http_methods(["GET", "POST"])
@staff_page("dealers.manage")
def dealer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    initial = {f: getattr(dealer, f) for f in forms.DealerForm.base_fields}
    form = forms.DealerForm(request.POST or None, initial=initial, editing=dealer)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "code" and initial.get(k) != v}
        try:
            dealer_services.dealer_update(actor=request.actor, dealer=dealer, **changes)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return go("backoffice:dealer_detail", dealer.pk)
    context = {
        "title": _("Edit %(name)s") % {"name": dealer.name},
        "nav": "dealers",
        "form": form,
        "cancel_url": reverse("backoffice:dealer_detail", args=[dealer.pk]),
    }
    return page(request, "backoffice/pages/form.html", context)


@require_POST
@staff_page("dealers.manage")
def dealer_status(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    form = forms.DealerStatusForm(request.POST)
    if form.is_valid():
        dealer_services.dealer_set_status(
            actor=request.actor, dealer=dealer, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a valid status."))
    return go("backoffice:dealer_detail", dealer.pk)


@require_POST
@staff_page("dealers.manage")
def dealer_regions(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    form = forms.RegionsForm(request.POST)
    if form.is_valid():
        try:
            dealer_services.dealer_set_regions(
                actor=request.actor, dealer=dealer, region_codes=form.cleaned_data["regions"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Authorised regions saved."))
            return go("backoffice:dealer_detail", dealer.pk)
    return _detail(request, dealer, regions_form=form)


@require_POST
@staff_page("dealers.manage")
def dealer_address_add(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    form = forms.AddressForm(request.POST)
    if form.is_valid():
        try:
            dealer_services.address_create(actor=request.actor, dealer=dealer, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Address added."))
            return go("backoffice:dealer_detail", dealer.pk)
    return _detail(request, dealer, address_form=form)


@require_POST
@staff_page("dealer_users.manage")
def dealer_user_add(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    form = DealerUserForm(request.POST)
    if form.is_valid():
        try:
            account_services.dealer_user_create(actor=request.actor, dealer=dealer, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("User added."))
            return go("backoffice:dealer_detail", dealer.pk)
    return _detail(request, dealer, user_form=form)


@require_POST
@staff_page("dealers.service.log")
def dealer_service_add(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    form = forms.ServiceRecordForm(request.POST)
    if form.is_valid():
        dealer_services.service_record_add(actor=request.actor, dealer=dealer, **form.cleaned_data)
        messages.success(request, _("Service record added."))
        return go("backoffice:dealer_detail", dealer.pk)
    return _detail(request, dealer, service_form=form)


@require_POST
@staff_page("dealers.credit.manage")
def dealer_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Credit limit and terms through finance's service: finance role only, always audited."""
    dealer = dealer_selectors.dealer_get(actor=request.actor, pk=pk)
    form = forms.CreditForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            finance_services.credit_set_terms(
                actor=request.actor,
                dealer=dealer,
                limit=d["credit_limit"],
                terms_days=d["terms_days"],
                reason=d["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Credit terms saved."))
            return go("backoffice:dealer_detail", dealer.pk)
    return _detail(request, dealer, credit_form=form)


# --- tiers and price groups ------------------------------------------------------------------------


def _paged_tiers_and_groups(request: HttpRequest) -> dict:
    from django.core.paginator import Paginator

    lists = selectors.tiers_and_groups()
    return {
        "tiers": paginate(request, lists["tiers"], 50),
        "groups": Paginator(lists["groups"], 50).get_page(request.GET.get("gpage")),
    }


@require_http_methods(["GET", "POST"])
@staff_page("dealers.view")
def tier_list(request: HttpRequest) -> HttpResponse:
    tier_form = forms.TierForm(request.POST if request.POST.get("what") == "tier" else None)
    group_form = forms.PriceGroupForm(request.POST if request.POST.get("what") == "group" else None)
    if request.method == "POST":
        if not can(request.actor, "dealers.manage"):
            from dinghuo.core.errors import PermissionDenied

            raise PermissionDenied()
        form = tier_form if tier_form.is_bound else group_form
        if form.is_valid():
            try:
                if form is tier_form:
                    dealer_services.dealer_tier_create(actor=request.actor, **form.cleaned_data)
                else:
                    dealer_services.price_group_create(actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return go("backoffice:tier_list")
    context = {
        "title": _("Tiers and price groups"),
        "nav": "dealers",
        "tabs": tabs(request, "dealers", "tiers"),
        **_paged_tiers_and_groups(request),
        "tier_form": tier_form,
        "group_form": group_form,
    }
    return page(request, "backoffice/pages/tier_list.html", context)
