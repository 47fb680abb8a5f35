"""Excel order import: a template with Chinese headers, tolerant reading, all-or-nothing per order.

Rows are grouped into orders by the 订单分组 column (rows without one form a single order); staff
name the dealer in 经销商编码, dealer users import for themselves. Every row is checked first
(SKU code or barcode known, quantity and unit understood, dealer known); then each order is
placed through the same ``order_place`` as the portal and the API, so the same prices, rules,
stock and credit apply. An order whose rows are all good is placed whole or not at all; the other
orders of the file are not affected. The report names every refused row and why, and can be
downloaded as .xlsx.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.catalog.models import Sku, SkuUnit
from dinghuo.core import xlsx
from dinghuo.core.errors import DomainError
from dinghuo.core.jobs import job_finish, job_progress
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor
from dinghuo.core.xlsx import Column
from dinghuo.dealers.models import Dealer
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place
from dinghuo.pricing.engine import CartItem

COLUMNS = [
    Column("group", gettext_lazy("Order group"), required=False, aliases=("订单分组", "分组", "group", "单号"),
           example="A1", help=gettext_lazy("Rows with the same group become one order; leave empty for a single order.")),
    Column("dealer", gettext_lazy("Dealer code"), required=False, aliases=("经销商编码", "客户编码", "dealer"),
           example="GD01", help=gettext_lazy("Staff only: the dealer the order is for.")),
    Column("sku", gettext_lazy("SKU code or barcode"), aliases=("SKU编码", "商品编码", "条码", "sku", "barcode", "编码"),
           example="COLA-500-24"),
    Column("qty", gettext_lazy("Quantity"), kind="quantity", aliases=("数量", "qty", "订货数量"), example="10箱",
           help=gettext_lazy("A number, optionally followed by its unit (10箱).")),
    Column("unit", gettext_lazy("Unit"), required=False, aliases=("单位", "unit"), example="箱"),
    Column("note", gettext_lazy("Note"), required=False, aliases=("备注", "note"), example=""),
]  # fmt: skip


@dataclass
class GroupResult:
    key: str
    rows: list[int]
    order_number: str = ""
    order_id: int | None = None
    status: str = ""
    error: str = ""
    row_errors: dict[int, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    groups: list[GroupResult]
    rows: int

    @property
    def placed(self) -> list[GroupResult]:
        return [g for g in self.groups if g.order_id]

    @property
    def failed(self) -> list[GroupResult]:
        return [g for g in self.groups if not g.order_id]

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "orders": [
                {"group": g.key, "number": g.order_number, "id": g.order_id, "status": g.status} for g in self.placed
            ],
            "failed": [
                {
                    "group": g.key,
                    "rows": g.rows,
                    "error": g.error,
                    "row_errors": {str(k): v for k, v in g.row_errors.items()},
                }
                for g in self.failed
            ],
        }


def template() -> bytes:
    return xlsx.template_workbook(
        COLUMNS,
        title=_("Order import"),
        examples=[["A1", "", "COLA-500-24", "10箱", "", "周五前送达"], ["A1", "", "6901234567892", "24", "瓶", ""]],
    )


def import_orders(
    *, actor: Actor, data: bytes, progress=None, channel: str = Order.Channel.IMPORT
) -> tuple[ImportResult, xlsx.Table]:
    table = xlsx.read_table(data, COLUMNS)
    total = len(table.rows)
    # 1. resolve every SKU code / barcode and dealer code in two queries
    codes = {r.values["sku"] for r in table.rows if r.values.get("sku")}
    by_code: dict[str, tuple[int, str | None]] = {}
    for sku_id, code, barcode in Sku.objects.filter(Q(code__in=codes) | Q(barcode__in=codes)).values_list(
        "pk", "code", "barcode"
    ):
        by_code.setdefault(code, (sku_id, None))
        if barcode:
            by_code.setdefault(barcode, (sku_id, None))
    for sku_id, name, barcode in SkuUnit.objects.filter(barcode__in=codes).values_list("sku_id", "name", "barcode"):
        by_code.setdefault(barcode, (sku_id, name))
    dealers: dict[str, int] = {}
    if not actor.is_dealer:
        wanted = {r.values["dealer"] for r in table.rows if r.values.get("dealer")}
        dealers = dict(Dealer.objects.filter(code__in=wanted).values_list("code", "pk"))
    # 2. group rows into orders, checking each row
    groups: OrderedDict[tuple[str, str], list] = OrderedDict()
    for row in table.rows:
        v = row.values
        if not row.errors:
            if v.get("sku") not in by_code:
                row.errors["sku"] = _("unknown SKU code or barcode “%(code)s”") % {"code": v.get("sku")}
            if not actor.is_dealer and not v.get("dealer"):
                row.errors["dealer"] = _("required")
            elif not actor.is_dealer and v.get("dealer") not in dealers:
                row.errors["dealer"] = _("unknown dealer “%(code)s”") % {"code": v.get("dealer")}
            qty, unit_in_qty = v.get("qty") or (Decimal(0), "")
            if qty <= 0:
                row.errors["qty"] = _("must be greater than zero")
        groups.setdefault((v.get("group") or "", v.get("dealer") or ""), []).append(row)
    results: list[GroupResult] = []
    done = 0
    for (key, dealer_code), rows in groups.items():
        group = GroupResult(key=key or _("(single order)"), rows=[r.number for r in rows])
        results.append(group)
        bad = {r.number: "；".join(r.errors.values()) for r in rows if r.errors}
        if bad:
            group.row_errors = bad
            group.error = _("%(n)s row(s) of this order have errors; the order was not placed.") % {"n": len(bad)}
        else:
            items = []
            for r in rows:
                qty, unit_in_qty = r.values["qty"]
                sku_id, barcode_unit = by_code[r.values["sku"]]
                items.append(CartItem(sku_id=sku_id, qty=qty, unit=r.values.get("unit") or unit_in_qty or barcode_unit))
            note = "；".join(r.values["note"] for r in rows if r.values.get("note"))[:500]
            dealer_id = actor.dealer_id if actor.is_dealer else dealers[dealer_code]
            try:
                placed = order_place(actor=actor, dealer_id=dealer_id, items=items, note=note, channel=channel)
            except DomainError as exc:
                group.error = exc.message
                line = exc.detail.get("line") if isinstance(exc.detail, dict) else None
                if isinstance(line, int) and 0 <= line < len(rows):
                    group.row_errors[rows[line].number] = exc.message
                for check in (exc.detail.get("checks") or []) if isinstance(exc.detail, dict) else []:
                    for n in check.get("lines") or []:
                        if 1 <= n <= len(rows):
                            group.row_errors[rows[n - 1].number] = check["message"]
            else:
                group.order_id, group.order_number, group.status = (
                    placed.order.pk,
                    placed.order.number,
                    placed.order.status,
                )
        done += len(rows)
        if progress:
            progress(done, total)
    return ImportResult(groups=results, rows=total), table


def run_order_import(job: Job) -> None:
    """Background job handler (core.jobs): the uploaded file is ``job.input_file``."""
    from dinghuo.core.tenancy import current_actor

    actor = current_actor()
    with job.input_file.open("rb") as fh:
        data = fh.read()
    job_progress(job, done=0, total=0, message=_("Reading the file…"))
    result, table = import_orders(actor=actor, data=data, progress=lambda d, t: job_progress(job, done=d, total=t))
    output = None
    extra = {n: msg for g in result.failed for n, msg in (g.row_errors or dict.fromkeys(g.rows, g.error)).items()}
    if result.failed:
        output = ContentFile(xlsx.error_report(table, extra_errors=extra), name=f"order-import-{job.pk}-errors.xlsx")
    message = _("%(placed)s order(s) placed, %(failed)s refused.") % {
        "placed": len(result.placed),
        "failed": len(result.failed),
    }
    job_finish(job, result=result.as_dict(), output=output, message=message)
