"""Staff users and their roles; disabling any user of the tenant (staff or a dealer's)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dinghuo.accounts import services as account_services
from dinghuo.accounts.permissions import PERMISSIONS, require
from dinghuo.accounts.roles import STAFF_ROLES, Role
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms import users as forms
from dinghuo.backoffice.views.base import go, next_or, page, tabs
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import paginate, staff_page

STAFF_ORDER = [Role.OWNER, Role.ADMIN, Role.SALES_REP, Role.REVIEWER, Role.WAREHOUSE, Role.FINANCE]


@require_http_methods(["GET", "POST"])
@staff_page("staff.manage")
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    role = request.GET.get("role", "")
    role = role if role in STAFF_ROLES else ""
    form = forms.StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = account_services.staff_create(actor=request.actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("%(user)s added.") % {"user": membership.user.get_full_name() or membership.user}
            )
            return go("backoffice:user_list")
    context = {
        "title": _("Staff"),
        "nav": "users",
        "tabs": tabs(request, "users", "staff"),
        "page": paginate(request, selectors.staff_list(actor=request.actor, q=q, role=role)),
        "form": form,
        "q": q,
        "role": role,
        "role_choices": forms.STAFF_ROLE_CHOICES,
    }
    return page(request, "backoffice/pages/user_list.html", context)


@require_GET
@staff_page("staff.manage")
def role_matrix(request: HttpRequest) -> HttpResponse:
    """What each staff role may do: the one permission matrix the pages, the API and services check."""
    rows = [
        {"perm": perm, "roles": [role in roles for role in STAFF_ORDER]}
        for perm, roles in sorted(PERMISSIONS.items())
        if roles & STAFF_ROLES
    ]
    context = {
        "title": _("Roles and permissions"),
        "nav": "users",
        "tabs": tabs(request, "users", "roles"),
        "roles": [r.label for r in STAFF_ORDER],
        "rows": rows,
    }
    return page(request, "backoffice/pages/role_matrix.html", context)


@require_POST
@staff_page()
def user_disable(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(pk)
    require(request.actor, "dealer_users.manage" if membership.dealer_id else "staff.manage")
    form = forms.DisableForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if request.POST.get("enable"):
        account_services.user_enable(actor=request.actor, membership=membership)
        messages.success(request, _("%(user)s enabled.") % {"user": membership.user})
    else:
        account_services.user_disable(actor=request.actor, membership=membership, reason=reason)
        messages.success(request, _("%(user)s disabled; their sessions have ended.") % {"user": membership.user})
    if membership.dealer_id:
        return next_or(request, "backoffice:dealer_detail", membership.dealer_id)
    return next_or(request, "backoffice:user_list")


@require_POST
@staff_page("staff.manage")
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(pk)
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        account_services.membership_set_role(actor=request.actor, membership=membership, role=form.cleaned_data["role"])
        messages.success(request, _("Role changed."))
    else:
        messages.error(request, _("Choose a valid role."))
    return next_or(request, "backoffice:user_list")
