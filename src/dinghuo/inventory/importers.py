"""Stock import from .xlsx (stocktake counts and safety stock), all or nothing.

Columns: 仓库编码, SKU编码 (or barcode), 库存数量 (the counted on-hand quantity in base units),
安全库存 (optional). Each warehouse's rows are applied as one WMS-style snapshot through
``stock_sync`` (so what is reserved for orders is respected, and re-uploading the same file is
harmless), inside one transaction for the whole file.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Sku
from dinghuo.core import xlsx
from dinghuo.core.jobs import job_finish, job_progress
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor
from dinghuo.core.xlsx import Column
from dinghuo.inventory.models import Stock, StockSync, Warehouse
from dinghuo.inventory.services import SyncLine, stock_set_safety, stock_sync

COLUMNS = [
    Column("warehouse", gettext_lazy("Warehouse code"), aliases=("仓库编码", "仓库", "warehouse"), example="GZ"),
    Column("sku", gettext_lazy("SKU code or barcode"), aliases=("SKU编码", "商品编码", "条码", "sku"), example="COLA-500-24"),
    Column("qty", gettext_lazy("On hand"), kind="decimal", aliases=("库存数量", "数量", "库存", "qty", "on hand"),
           example="480", help=gettext_lazy("The counted quantity in the SKU's base unit.")),
    Column("safety", gettext_lazy("Safety stock"), kind="decimal", required=False, aliases=("安全库存", "safety"),
           example="96"),
]  # fmt: skip


def template() -> bytes:
    return xlsx.template_workbook(COLUMNS, title=_("Stock import"))


def import_stock(*, actor: Actor, data: bytes, progress=None) -> tuple[dict, xlsx.Table]:
    require(actor, "inventory.manage")
    table = xlsx.read_table(data, COLUMNS)
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in={r.values["warehouse"] for r in table.rows})}
    codes = {r.values["sku"] for r in table.rows if r.values.get("sku")}
    skus: dict[str, Sku] = {}
    for sku in Sku.objects.filter(Q(code__in=codes) | Q(barcode__in=codes)):
        skus.setdefault(sku.code, sku)
        if sku.barcode:
            skus.setdefault(sku.barcode, sku)
    seen: dict[tuple[str, int], int] = {}
    for row in table.rows:
        v = row.values
        if v.get("warehouse") and v["warehouse"] not in warehouses:
            row.errors["warehouse"] = _("unknown warehouse “%(code)s”") % {"code": v["warehouse"]}
        if v.get("sku") and v["sku"] not in skus:
            row.errors["sku"] = _("unknown SKU code or barcode “%(code)s”") % {"code": v["sku"]}
        if v.get("qty") is not None and v["qty"] < 0:
            row.errors["qty"] = _("cannot be negative")
        if v.get("safety") is not None and v["safety"] < 0:
            row.errors["safety"] = _("cannot be negative")
        if not row.errors:
            key = (v["warehouse"], skus[v["sku"]].pk)
            if key in seen:
                row.errors["sku"] = _("the same SKU and warehouse already appear on row %(row)s") % {"row": seen[key]}
            seen[key] = row.number
    table.raise_for_errors()
    by_wh: dict[str, list] = defaultdict(list)
    for row in table.rows:
        by_wh[row.values["warehouse"]].append(row)
    digest = hashlib.sha256(data).hexdigest()[:24]
    summary = {"rows": len(table.rows), "warehouses": {}, "short": []}
    done = 0
    with transaction.atomic():
        for code, rows in by_wh.items():
            sync: StockSync = stock_sync(
                actor=actor,
                warehouse=warehouses[code],
                sync_id=f"xlsx-{digest}-{code}",
                mode=StockSync.Mode.SNAPSHOT,
                lines=[SyncLine(skus[r.values["sku"]].code, r.values["qty"]) for r in rows],
            )
            summary["warehouses"][code] = sync.result.get("changed", 0)
            summary["short"] += sync.result.get("short", [])
            for r in rows:
                if r.values.get("safety") is not None:
                    stock = Stock.objects.get(warehouse=warehouses[code], sku=skus[r.values["sku"]])
                    if stock.safety_stock != r.values["safety"]:
                        stock_set_safety(actor=actor, stock=stock, qty=Decimal(r.values["safety"]))
            done += len(rows)
            if progress:
                progress(done, len(table.rows))
    return summary, table


def run_stock_import(job: Job) -> None:
    from dinghuo.core.errors import DomainError
    from dinghuo.core.jobs import job_fail
    from dinghuo.core.tenancy import current_actor

    with job.input_file.open("rb") as fh:
        data = fh.read()
    try:
        summary, _table = import_stock(
            actor=current_actor(), data=data, progress=lambda d, t: job_progress(job, done=d, total=t)
        )
    except xlsx.XlsxRowErrors as exc:
        table = xlsx.read_table(data, COLUMNS)
        by_row = {e["row"]: f"{e['column']}: {e['message']}" for e in exc.detail.get("rows", [])}
        report = ContentFile(xlsx.error_report(table, extra_errors=by_row), name=f"stock-import-{job.pk}-errors.xlsx")
        job_fail(job, message=exc.message, result={"error": exc.as_dict()}, output=report)
        return
    except DomainError:
        raise
    job_finish(job, result=summary, message=_("Stock updated from %(n)s row(s).") % {"n": summary["rows"]})
