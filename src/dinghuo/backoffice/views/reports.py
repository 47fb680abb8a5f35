"""The sales report (销售报表): amounts by dealer × month (or × category) from the sales facts, with
the period's totals by month and by category, a chart, and the full table exported to Excel."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dinghuo.analytics import exports
from dinghuo.analytics import selectors as analytics
from dinghuo.backoffice import selectors
from dinghuo.backoffice.forms.reports import SalesReportForm
from dinghuo.backoffice.views.base import go, page
from dinghuo.core.web import staff_page


@require_GET
@staff_page("reports.view")
def sales_report(request: HttpRequest) -> HttpResponse:
    tree = analytics.category_tree()
    form = SalesReportForm(request.GET, categories=tree.roots)
    report = analytics.sales_report_page(
        actor=request.actor, filters=form.filters(), page=request.GET.get("page"), by=form.view_by(), tree=tree
    )
    best = max(zip(report.months, report.month_totals, strict=True), key=lambda mt: mt[1], default=None)
    chart = {
        "months": [f"{m:%Y-%m}" for m in report.months],
        "amount": [str(a) for a in report.month_totals],
        "labels": {"amount": _("Amount (¥)"), "average": _("Monthly average")},
    }
    context = {
        "title": _("Sales report"),
        "nav": "reports",
        "form": form,
        "report": report,
        "page": report.page,
        "chart": chart,
        "average": report.total / len(report.months) if report.months else report.total,
        "best_month": best if report.total > 0 else None,
        "exports": selectors.recent_jobs(kind=exports.JOB_KIND, created_by=request.actor.user_id, limit=3),
    }
    template = "backoffice/partials/sales_report.html" if request.htmx else "backoffice/pages/sales_report.html"
    return page(request, template, context)


@require_POST
@staff_page("reports.view")
def sales_report_export(request: HttpRequest) -> HttpResponse:
    """Export what the report shows (same filters), every dealer × month × category cell, in the background."""
    form = SalesReportForm(request.POST, categories=analytics.category_tree().roots)
    job = exports.start_sales_export(actor=request.actor, filters=form.filters())
    return go("backoffice:job_detail", job.pk)
