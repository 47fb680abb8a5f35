"""The audit log (hash-chained) with filters and the verify button."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms.audit import AuditFilterForm
from dinghuo.backoffice.views.base import go, page
from dinghuo.core.audit import audit_verify
from dinghuo.core.web import paginate, staff_page


@require_GET
@staff_page("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.AuditFilter(
        action=data.get("action") or "",
        obj=data.get("object") or "",
        who=data.get("who") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    context = {
        "title": _("Audit log"),
        "nav": "audit",
        "form": form,
        "page": paginate(request, selectors.audit_list(actor=request.actor, filters=filters), 50),
        "actions": selectors.audit_actions(),
    }
    return page(request, "backoffice/pages/audit_log.html", context)


@require_POST
@staff_page("audit.verify")
def audit_verify_view(request: HttpRequest) -> HttpResponse:
    checked, problem = audit_verify(request.actor.tenant_id)
    if problem:
        messages.error(request, _("The audit log is broken: %(problem)s") % {"problem": problem})
    else:
        messages.success(request, _("Audit log intact: %(n)s entries checked.") % {"n": checked})
    return go("backoffice:audit_log")
