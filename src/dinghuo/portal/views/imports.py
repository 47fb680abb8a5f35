"""Excel order import: the template, the upload (a background job), its progress and its report."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dinghuo.core.errors import DomainError, NotFound
from dinghuo.core.forms import add_domain_error
from dinghuo.core.jobs import job_start
from dinghuo.core.models import Job
from dinghuo.core.web import dealer_page
from dinghuo.orders import importers
from dinghuo.portal import selectors
from dinghuo.portal.forms import ImportForm
from dinghuo.portal.views.base import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_http_methods(["GET", "POST"])
@dealer_page("orders.import")
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_start(
                actor=request.actor,
                kind=selectors.IMPORT_KIND,
                handler=selectors.IMPORT_HANDLER,
                input_file=form.cleaned_data["file"],
                params={"filename": form.cleaned_data["file"].name[:200]},
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return HttpResponseRedirect(reverse("portal:import_job", args=[job.pk]))
    context = {
        "title": _("Excel order import"),
        "nav": "quick",
        "tab": "import",
        "form": form,
        "imports": selectors.recent_imports(request.actor),
    }
    return page(request, "portal/pages/import.html", context)


@require_GET
@dealer_page("orders.import")
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(importers.template(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, _("order-import-template") + ".xlsx")
    return response


def _job_context(job: Job) -> dict:
    result = job.result or {}
    failed = result.get("failed") or []
    rows = []
    for group in failed:
        errors = group.get("row_errors") or {}
        if errors:
            rows += [{"group": group.get("group", ""), "row": int(r), "error": e} for r, e in errors.items()]
        else:
            rows += [
                {"group": group.get("group", ""), "row": r, "error": group.get("error", "")}
                for r in group.get("rows", [])
            ]
    rows.sort(key=lambda r: r["row"])
    return {
        "job": job,
        "finished": job.status in (Job.Status.DONE, Job.Status.FAILED),
        "placed": result.get("orders") or [],
        "failed": failed,
        "row_errors": rows,
        "file_error": (result.get("error") or {}).get("message", "") if job.status == Job.Status.FAILED else "",
    }


@require_GET
@dealer_page("orders.import")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; htmx polls it for the progress bar until the job has finished."""
    job = selectors.import_job(actor=request.actor, pk=pk)
    context = {"title": _("Excel order import"), "nav": "quick", "tab": "import", **_job_context(job)}
    if request.htmx:
        return render(request, "portal/partials/import_status.html", context)
    return page(request, "portal/pages/import_job.html", context)


@require_GET
@dealer_page("orders.import")
def import_report(request: HttpRequest, pk: int) -> FileResponse:
    """The row-level error report: only for the job's own tenant (scoping) and creator."""
    job = selectors.import_job(actor=request.actor, pk=pk)
    if not job.output_file:
        raise NotFound()
    try:
        handle = job.output_file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound()
    return FileResponse(handle, as_attachment=True, filename=f"order-import-{job.pk}-errors.xlsx", content_type=XLSX)
