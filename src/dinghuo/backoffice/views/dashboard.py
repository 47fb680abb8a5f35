"""The dashboard: today's figures, what waits for someone, and the last 30 days in charts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dinghuo.backoffice import selectors
from dinghuo.backoffice.views.base import page
from dinghuo.core.web import staff_page


@require_GET
@staff_page("orders.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    data = selectors.dashboard(actor=request.actor)
    charts = {
        "daily": {
            **data.daily,
            "labels": {"orders": _("Orders"), "amount": _("Amount (¥)")},
        },
        "provinces": {
            **data.provinces,
            "labels": {"orders": _("Orders"), "amount": _("Amount (¥)")},
        },
    }
    context = {"title": _("Dashboard"), "nav": "dashboard", "data": data, "charts": charts}
    return page(request, "backoffice/pages/dashboard.html", context)
