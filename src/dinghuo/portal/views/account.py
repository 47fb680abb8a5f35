"""The dealer's account: credit and balances with their ledgers, addresses, sub-users, notifications."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dinghuo.accounts import services as account_services
from dinghuo.accounts.models import Membership
from dinghuo.accounts.permissions import can
from dinghuo.accounts.roles import DEALER_ROLES, Role
from dinghuo.core.errors import DomainError, NotFound
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import dealer_page, paginate
from dinghuo.dealers.models import DealerRegion
from dinghuo.finance.models import LedgerEntry
from dinghuo.portal import selectors, services
from dinghuo.portal.forms import SubUserForm
from dinghuo.portal.views.base import dealer, page, safe_next

LEDGER_PAGE = 25


def _account_context(request: HttpRequest, user_form: SubUserForm | None = None) -> dict:
    actor = request.actor
    me = dealer(request)
    context = {
        "title": _("Account"),
        "nav": "account",
        "regions": list(DealerRegion.objects.filter(dealer=me).order_by("region_code")),
        "addresses": selectors.addresses(me),
        "unread": selectors.notifications_for(actor).filter(read_at__isnull=True).count(),
        "role_label": Role(actor.role).label if actor.role in Role.values else actor.role,
    }
    if can(actor, "finance.view"):
        context.update(selectors.account_summary(actor=actor, dealer=me))
    if can(actor, "dealer_users.manage"):
        context["users"] = list(
            Membership.objects.filter(dealer=me).select_related("user").order_by("-is_active", "id")
        )
        context["user_form"] = user_form or SubUserForm(initial={"role": Role.BUYER})
        context["dealer_roles"] = [(r.value, r.label) for r in Role if r in DEALER_ROLES]
    return context


@require_GET
@dealer_page()
def account(request: HttpRequest) -> HttpResponse:
    return page(request, "portal/pages/account.html", _account_context(request))


@require_http_methods(["GET", "POST"])
@dealer_page("dealer_users.manage")
def user_add(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return HttpResponseRedirect(reverse("portal:account") + "#users")
    form = SubUserForm(request.POST)
    if form.is_valid():
        try:
            account_services.dealer_user_create(actor=request.actor, dealer=dealer(request), **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(user)s can sign in now.") % {"user": form.cleaned_data["username"]})
            return HttpResponseRedirect(reverse("portal:account") + "#users")
    return page(request, "portal/pages/account.html", _account_context(request, user_form=form))


def _membership(request: HttpRequest, pk: int) -> Membership:
    membership = Membership.objects.select_related("user").filter(pk=pk, dealer_id=request.actor.dealer_id).first()
    if membership is None:
        raise NotFound()
    return membership


@require_POST
@dealer_page("dealer_users.manage")
def user_disable(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    account_services.user_disable(actor=request.actor, membership=membership)
    messages.success(request, _("%(user)s disabled; their sessions have ended.") % {"user": membership.user})
    return HttpResponseRedirect(reverse("portal:account") + "#users")


@require_POST
@dealer_page("dealer_users.manage")
def user_enable(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    account_services.user_enable(actor=request.actor, membership=membership)
    messages.success(request, _("%(user)s can sign in again.") % {"user": membership.user})
    return HttpResponseRedirect(reverse("portal:account") + "#users")


@require_POST
@dealer_page("dealer_users.manage")
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    role = request.POST.get("role", "")
    if membership.user_id == request.actor.user_id:
        messages.error(request, _("You cannot change your own role."))
    else:
        account_services.membership_set_role(actor=request.actor, membership=membership, role=role)
        messages.success(request, _("%(user)s is now: %(role)s.") % {"user": membership.user, "role": Role(role).label})
    return HttpResponseRedirect(reverse("portal:account") + "#users")


@require_GET
@dealer_page("finance.view")
def ledger(request: HttpRequest) -> HttpResponse:
    bucket = request.GET.get("bucket", "")
    if bucket not in selectors.BUCKETS:
        bucket = ""
    qs = selectors.ledger(actor=request.actor, dealer=dealer(request), bucket=bucket)
    entries = paginate(request, qs, LEDGER_PAGE)
    context = {
        "title": _("Account ledger"),
        "nav": "account",
        "page": entries,
        "orders": selectors.ledger_refs(entries),
        "bucket": bucket,
        "buckets": LedgerEntry.Bucket.choices,
        **selectors.account_summary(actor=request.actor, dealer=dealer(request)),
    }
    return page(request, "portal/pages/ledger.html", context)


@require_GET
@dealer_page()
def notifications(request: HttpRequest) -> HttpResponse:
    qs = selectors.notifications_for(request.actor)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    context = {
        "title": _("Notifications"),
        "nav": "account",
        "page": paginate(request, qs),
        "unread_only": unread_only,
    }
    return page(request, "portal/pages/notifications.html", context)


@require_POST
@dealer_page()
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.notifications_for(request.actor).filter(pk=pk).exists():
        raise NotFound()
    services.notification_mark_read(actor=request.actor, notification_id=pk)
    return HttpResponseRedirect(safe_next(request, request.POST.get("next"), "portal:notifications"))


@require_POST
@dealer_page()
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    n = services.notifications_mark_all_read(actor=request.actor)
    if n:
        messages.success(request, _("All notifications are marked read."))
    return HttpResponseRedirect(reverse("portal:notifications"))
