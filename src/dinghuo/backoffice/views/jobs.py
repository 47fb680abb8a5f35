"""Background jobs started from the back office (imports, exports): progress, result, and the file
they produce (an import's error report, an export's workbook)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dinghuo.backoffice import selectors
from dinghuo.backoffice.views.base import page
from dinghuo.core.errors import NotFound
from dinghuo.core.models import Job
from dinghuo.core.web import staff_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {
    "catalog.import": (gettext_lazy("Product import"), "catalog", "backoffice:product_import"),
    "pricing.import": (gettext_lazy("Price import"), "prices", "backoffice:price_import"),
    "pricing.promotion_import": (gettext_lazy("Promotion import"), "prices", "backoffice:promotion_import"),
    "inventory.import": (gettext_lazy("Stock import"), "inventory", "backoffice:stock_import"),
    "analytics.sales_export": (gettext_lazy("Sales report export"), "reports", "backoffice:sales_report"),
}
EXPORTS = {"analytics.sales_export"}  # jobs whose file is the result, not an error report


SUMMARY_LABELS = {
    "rows": gettext_lazy("Rows"),
    "products_created": gettext_lazy("Products created"),
    "products_updated": gettext_lazy("Products updated"),
    "skus_created": gettext_lazy("SKUs created"),
    "skus_updated": gettext_lazy("SKUs updated"),
    "skus_unchanged": gettext_lazy("SKUs unchanged"),
    "price_lists": gettext_lazy("Price lists"),
    "skus": gettext_lazy("SKUs"),
    "items": gettext_lazy("Prices"),
    "promotions_created": gettext_lazy("Promotions created"),
    "promotions_updated": gettext_lazy("Promotions updated"),
    "promotions_unchanged": gettext_lazy("Promotions unchanged"),
}


def _context(job: Job) -> dict:
    result = job.result or {}
    error = result.get("error") or {}
    detail = error.get("detail") if isinstance(error.get("detail"), dict) else {}
    rows = detail.get("rows") if isinstance(detail.get("rows"), list) else []
    summary = {
        SUMMARY_LABELS[k]: v
        for k, v in result.items()
        if k in SUMMARY_LABELS and isinstance(v, int) and not isinstance(v, bool)
    }
    warehouses = result.get("warehouses") if isinstance(result.get("warehouses"), dict) else {}
    for code, changed in warehouses.items():
        summary[_("Warehouse %(code)s: rows changed") % {"code": code}] = changed
    title, nav, back = KINDS[job.kind]
    return {
        "job": job,
        "job_title": title,
        "nav": nav,
        "back_url": reverse(back),
        "finished": job.status in (Job.Status.DONE, Job.Status.FAILED),
        "row_errors": rows[:200],
        "more_errors": max(0, len(rows) - 200),
        "summary": summary,
        "is_export": job.kind in EXPORTS,
    }


@require_GET
@staff_page()
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; htmx polls it for the progress bar until the job has finished."""
    job = selectors.job_get(actor=request.actor, pk=pk)
    context = {"title": str(KINDS[job.kind][0]), **_context(job)}
    if request.htmx:
        return page(request, "backoffice/partials/job_status.html", context)
    return page(request, "backoffice/pages/job_detail.html", context)


@require_GET
@staff_page()
def job_report(request: HttpRequest, pk: int) -> FileResponse:
    """The job's file (an import's error report, an export's workbook), served only to staff allowed to
    run that kind of job in this tenant (and, for an export, only to whoever started it)."""
    job = selectors.job_get(actor=request.actor, pk=pk)
    if not job.output_file:
        raise NotFound()
    try:
        handle = job.output_file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound()
    if job.kind in EXPORTS:
        filename = str(job.params.get("filename") or f"{job.kind.split('.')[0]}-export-{job.pk}.xlsx")
    else:
        filename = f"{job.kind.split('.')[0]}-import-{job.pk}-errors.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)
