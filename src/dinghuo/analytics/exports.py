"""The sales report to Excel (.xlsx): every dealer × month × category cell, as a background job.

A year of a big brand is ~700,000 cells, too many for a request: ``start_sales_export`` queues a job
(``core.jobs``) and the worker streams the facts from a database cursor into openpyxl's write-only
workbook on disk, reporting progress as it goes, so memory stays flat whatever the size. The job's
page then offers the file. Headers are fixed Chinese (the file is data, whatever the interface
language); one row per cell, amounts as numbers. A sheet holds at most ``SHEET_ROWS`` rows (Excel's
limit is 1,048,576); more continue on 销售明细(2) and so on.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.analytics import selectors
from dinghuo.analytics.selectors import SalesFilter
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.jobs import job_finish, job_progress, job_start
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor, current_actor
from dinghuo.core.xlsx import Sheet, save_workbook

JOB_KIND = "analytics.sales_export"
JOB_HANDLER = "dinghuo.analytics.exports:run_sales_export"
SHEET_TITLE = "销售明细"
SHEET_ROWS = 1_000_000
PROGRESS_EVERY = 10_000
HEADERS = ["经销商编码", "经销商名称", "所在地区", "月份", "一级分类", "分类",
           "金额(元)", "数量(基本单位)", "订单数", "订单行数"]  # fmt: skip
WIDTHS = [14, 28, 18, 10, 14, 16, 16, 16, 10, 10]


def export_filename(filters: SalesFilter) -> str:
    return f"销售报表_{filters.month_from:%Y%m}-{filters.month_to:%Y%m}.xlsx"


def start_sales_export(*, actor: Actor, filters: SalesFilter) -> Job:
    """Queue the export of what the report shows with these filters; the job runs as ``actor``, so
    a sales rep's file holds only their dealers."""
    require(actor, "reports.view")
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=JOB_KIND,
            handler=JOB_HANDLER,
            params={"filters": filters.as_params(), "filename": export_filename(filters)},
        )


def _rows(job: Job, actor: Actor, filters: SalesFilter, total: int) -> Iterator[list]:
    from dinghuo.core import regions

    tree = selectors.category_tree()
    places: dict[str, str] = {}
    qs = selectors.sales_export_rows(actor=actor, filters=filters, tree=tree)
    for n, (code, name, region_code, month, category_id, amount, qty, orders, lines) in enumerate(
        qs.iterator(chunk_size=5000), start=1
    ):
        place = places.get(region_code)
        if place is None:
            place = places[region_code] = regions.display_name(region_code) if regions.get(region_code) else region_code
        yield [code, name, place, f"{month:%Y-%m}", tree.top_name(category_id), tree.names.get(category_id, ""),
               amount, qty, orders, lines]  # fmt: skip
        if n % PROGRESS_EVERY == 0:
            job_progress(job, done=n, total=max(total, n))


def _sheets(rows: Iterable[list]) -> Iterator[Sheet]:
    """Sheets of at most SHEET_ROWS rows each, cut from one stream (at least one sheet, with headers).
    Each sheet's rows are consumed (written) before the next sheet is asked for."""
    stream = iter(rows)
    first = next(stream, None)
    for number in itertools.count(1):
        chunk = [] if first is None else itertools.chain([first], itertools.islice(stream, SHEET_ROWS - 1))
        yield Sheet(title=SHEET_TITLE if number == 1 else f"{SHEET_TITLE}({number})", headers=HEADERS,
                    rows=chunk, widths=WIDTHS)  # fmt: skip
        first = next(stream, None)
        if first is None:
            return


def run_sales_export(job: Job) -> None:
    """The job handler: writes the workbook to a temporary file, then attaches it to the job."""
    actor = current_actor()
    if actor is None or (actor.is_system and job.created_by_id):
        # whoever started it can no longer sign in to this tenant: write nothing on their behalf
        raise PermissionDenied()
    filters = SalesFilter.from_params(job.params["filters"])
    total = selectors.sales_export_rows(actor=actor, filters=filters).count()
    job_progress(job, done=0, total=total, message=_("Writing the Excel file…"))
    written = 0

    def counted(rows: Iterable[list]) -> Iterator[list]:
        nonlocal written
        for row in rows:
            written += 1
            yield row

    with tempfile.TemporaryFile(suffix=".xlsx") as fh:
        save_workbook(_sheets(counted(_rows(job, actor, filters, total))), fh)
        fh.seek(0)
        name = job.params.get("filename") or export_filename(filters)
        message = _("%(rows)s rows written.") % {"rows": f"{written:,}"}
        job_finish(job, result={"rows": written}, output=File(fh, name=name), message=message)
