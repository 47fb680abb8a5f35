"""Price lists in and out of Excel (.xlsx), one row per volume tier of a SKU in a list.

The file format
---------------
Fixed Chinese headers (the file is data, whatever the interface language); English aliases are
accepted on import. ``*`` marks the required columns.

==========================  ====================================================================
价目表编码*                  the code of an existing price list (create lists in the back office)
SKU编码*                     the SKU's code
起订数量(基本单位)            the volume tier's start, in base units (blank: 1)
单价(含税)*                  tax-inclusive price per base unit, yuan and fen
价目表名称, 商品名称, 规格,    written by the export for people to read; ignored on import
基本单位
==========================  ====================================================================

Rules: the rows of one SKU in one list are its complete tier ladder and replace the prices that
SKU had in that list; SKUs of the list that are not in the file keep theirs, unless the import
runs with ``replace=True`` (then the file is the whole content of every list it names).

All or nothing: the whole file is validated first — unknown list or SKU, a negative or
fractional-fen price, a quantity ≤ 0, the same tier twice, a SKU that another list of the same
target prices during an overlapping window — and every bad row is reported with its Excel row
number and column; only a clean file is written, in one transaction, audited like any price change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Sku
from dinghuo.core.jobs import job_fail, job_finish, job_progress, job_start
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor, current_actor, current_tenant_id
from dinghuo.core.xlsx import (
    Column,
    Row,
    Sheet,
    Table,
    XlsxRowErrors,
    XlsxTooLarge,
    error_report,
    read_table,
    template_workbook,
    write_workbook,
)
from dinghuo.pricing.models import PriceList, PriceListItem
from dinghuo.pricing.services import MAX_PRICE, MAX_QTY, overlapping, price_items_set_many

SHEET_TITLE = "价目表"
JOB_KIND = "pricing.import"
JOB_HANDLER = "dinghuo.pricing.importers:run_price_import"

COLUMNS: list[Column] = [
    Column(
        "price_list", "价目表编码", aliases=("price list", "price list code", "价目表"), example="PL-GOLD", width=16
    ),
    Column("price_list_name", "价目表名称", required=False, aliases=("price list name",), width=20),
    Column("sku", "SKU编码", aliases=("sku", "sku code"), example="QS-500-24", width=18),
    Column("product_name", "商品名称", required=False, aliases=("product", "product name"), width=24),
    Column("spec", "规格", required=False, width=16),
    Column("base_unit", "基本单位", required=False, aliases=("base unit",), width=10),
    Column(
        "min_qty",
        "起订数量(基本单位)",
        kind="decimal",
        required=False,
        aliases=("起订数量", "起订量", "min qty", "from quantity"),
        example=1,
        help=gettext_lazy("Volume tier start in base units; blank means 1."),
        width=18,
    ),
    Column(
        "price",
        "单价(含税)",
        kind="decimal",
        aliases=("单价", "价格", "price"),
        example=Decimal("2.50"),
        help=gettext_lazy("Tax-inclusive price per base unit."),
        width=14,
    ),
]


class PriceImportInvalid(XlsxRowErrors):
    """Rows are wrong; ``detail["rows"]`` lists them and ``table`` feeds ``xlsx.error_report``."""

    code = "price_import_invalid"

    def __init__(self, *args: Any, table: Table | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.table = table


@dataclass
class ImportResult:
    price_lists: int
    skus: int
    items: int

    def as_dict(self) -> dict:
        return {"price_lists": self.price_lists, "skus": self.skus, "items": self.items}


def import_price_lists(*, actor: Actor, data: bytes, replace: bool = False) -> ImportResult:
    """Validate every row of ``data`` (an .xlsx), then write every list's prices at once, or nothing.

    Raises ``XlsxError`` subclasses for a file that is not a safe, readable workbook and
    ``PriceImportInvalid`` when any row is wrong.
    """
    require(actor, "prices.manage")
    table = read_table(data, COLUMNS)
    plan, where = _validate(table)
    _fail_if_errors(table)
    with transaction.atomic():
        lists = {pl.code: pl for pl in PriceList.objects.filter(code__in=list(plan))}
        # lists are taken target by target in one global order, so two imports never lock in a cycle
        order = sorted(plan, key=lambda c: _target_key(lists[c]))
        for code in order:
            clashes = overlapping(lists[code], sku_ids=list(plan[code])) if lists[code].is_active else []
            for other, sku_code, sku_id in clashes:
                for number in where[(code, sku_id)]:
                    _row(table, number).errors["sku"] = _(
                        "price list %(other)s prices SKU %(sku)s for the same dealers in an overlapping period"
                    ) % {"other": other, "sku": sku_code}
        _fail_if_errors(table)
        items = 0
        for code in order:
            written = price_items_set_many(actor=actor, price_list=lists[code], prices=plan[code], replace_all=replace)
            items += sum(len(v) for v in written.values())
    return ImportResult(price_lists=len(plan), skus=len({s for p in plan.values() for s in p}), items=items)


def _validate(table: Table) -> tuple[dict[str, dict[int, list[tuple[Decimal, Decimal]]]], dict]:
    codes = {r.values["price_list"] for r in table.rows if r.values.get("price_list")}
    sku_codes = {r.values["sku"] for r in table.rows if r.values.get("sku")}
    lists = set(PriceList.objects.filter(code__in=list(codes)).values_list("code", flat=True)) if codes else set()
    skus = dict(Sku.objects.filter(code__in=list(sku_codes)).values_list("code", "pk")) if sku_codes else {}
    plan: dict[str, dict[int, list[tuple[Decimal, Decimal]]]] = defaultdict(lambda: defaultdict(list))
    where: dict[tuple[str, int], list[int]] = defaultdict(list)
    seen: dict[tuple[str, int, Decimal], int] = {}
    for row in table.rows:
        v = row.values
        code, sku_code = v.get("price_list"), v.get("sku")
        if code and code not in lists:
            row.errors["price_list"] = _("no price list has this code")
        if sku_code and sku_code not in skus:
            row.errors["sku"] = _("no SKU has this code")
        qty = v.get("min_qty")
        qty = Decimal(1) if qty is None else qty
        if "min_qty" not in row.errors and (qty <= 0 or qty > MAX_QTY or qty != qty.quantize(Decimal("0.001"))):
            row.errors["min_qty"] = _("must be greater than zero, with at most 3 decimals")
        price = v.get("price")
        if price is not None and "price" not in row.errors:
            if price < 0:
                row.errors["price"] = _("must not be negative")
            elif price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
                row.errors["price"] = _("must be in yuan and fen (two decimals)")
        if row.errors:
            continue
        sku_id = skus[sku_code]
        key = (code, sku_id, qty)
        if key in seen:
            row.errors["min_qty"] = _("the same tier is already on row %(row)s") % {"row": seen[key]}
            continue
        seen[key] = row.number
        plan[code][sku_id].append((qty, price.quantize(Decimal("0.01"))))
        where[(code, sku_id)].append(row.number)
    return {k: dict(v) for k, v in plan.items()}, where


def _target_key(pl: PriceList) -> tuple:
    return (pl.kind, pl.dealer_id or 0, pl.price_group_id or 0, pl.tier_id or 0, pl.region_code, pl.pk)


def _row(table: Table, number: int) -> Row:
    return next(r for r in table.rows if r.number == number)


def _fail_if_errors(table: Table) -> None:
    rows = table.errors
    if rows:
        raise PriceImportInvalid(table=table, count=len({e["row"] for e in rows}), detail={"rows": rows[:1000]})


# --- export and template ----------------------------------------------------------------------------


def export_rows(price_list_ids: Sequence[int] | None = None) -> list[list[Any]]:
    qs = PriceListItem.objects.select_related("price_list", "sku__product")
    if price_list_ids is not None:
        qs = qs.filter(price_list_id__in=list(price_list_ids))
    return [
        [
            item.price_list.code,
            item.price_list.name,
            item.sku.code,
            item.sku.product.name,
            item.sku.name,
            item.sku.base_unit,
            int(item.min_qty) if item.min_qty == item.min_qty.to_integral_value() else item.min_qty.normalize(),
            item.price,
        ]
        for item in qs.order_by("price_list__code", "sku__code", "min_qty")
    ]


def export_price_lists(*, actor: Actor, price_list_ids: Sequence[int] | None = None) -> bytes:
    """An .xlsx of the lists' prices (every list when None) that ``import_price_lists`` reads back unchanged."""
    require(actor, "prices.view_all")
    sheet = Sheet(
        title=SHEET_TITLE,
        headers=[str(c.header) for c in COLUMNS],
        rows=export_rows(price_list_ids),
        widths=[c.width for c in COLUMNS],
    )
    return write_workbook([sheet])


def import_template(*, actor: Actor) -> bytes:
    require(actor, "prices.manage")
    pl = PriceList.objects.order_by("kind", "code").first()
    sku = Sku.objects.select_related("product").order_by("code").first()
    code = pl.code if pl else "PL-GOLD"
    first = [code, pl.name if pl else "金牌价", sku.code if sku else "QS-500-24", None, None, None, 1, Decimal("2.50")]
    second = [*first[:6], 240, Decimal("2.30")]
    return template_workbook(COLUMNS, title=SHEET_TITLE, examples=[first, second])


# --- background job ---------------------------------------------------------------------------------


def start_price_import(*, actor: Actor, file: File, replace: bool = False) -> Job:
    """Queue an import of an uploaded .xlsx; the worker runs ``run_price_import``."""
    require(actor, "prices.manage")
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise XlsxTooLarge(size=f"{size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}", detail={"file": size})
    name = str(getattr(file, "name", "") or "prices.xlsx").rsplit("/", 1)[-1][-80:]
    with transaction.atomic():
        return job_start(
            actor=actor,
            kind=JOB_KIND,
            handler=JOB_HANDLER,
            input_file=file,
            params={"filename": name, "replace": bool(replace)},
        )


def run_price_import(job: Job) -> None:
    """The job handler: the result, or an error report (.xlsx) listing every bad row."""
    limit = settings.DINGHUO_MAX_UPLOAD_BYTES
    if job.input_file.size > limit:
        raise XlsxTooLarge(size=f"{job.input_file.size / 1048576:.1f}", limit=f"{limit / 1048576:.0f}")
    with job.input_file.open("rb") as fh:
        data = fh.read(limit + 1)
    actor = current_actor() or Actor.system(current_tenant_id(), "job")
    job_progress(job, done=0, total=0, message=_("Reading the file…"))
    try:
        result = import_price_lists(actor=actor, data=data, replace=bool((job.params or {}).get("replace")))
    except PriceImportInvalid as exc:
        report = ContentFile(error_report(exc.table), name=f"errors-{job.pk}.xlsx")
        job_fail(job, message=exc.message, result={"error": exc.as_dict()}, output=report)
        return
    message = _("%(items)s prices of %(skus)s SKUs written to %(lists)s price lists.") % {
        "items": result.items,
        "skus": result.skus,
        "lists": result.price_lists,
    }
    job_finish(job, result=result.as_dict(), message=message)
