"""Excel order import: a template with Chinese headers, tolerant reading, all-or-nothing per order.

Rows are grouped into orders by the 订单分组 column (rows without one form a single order); staff
name the dealer in 经销商编码, dealer users import for themselves. Every row is checked first
(SKU code or barcode known, quantity and unit understood, dealer known); then each order is
placed through the same ``order_place`` as the portal and the API, so the same prices, rules,
stock and credit apply. An order whose rows are all good is placed whole or not at all; the other
orders of the file are not affected. The report names every refused row and why, and can be
downloaded as .xlsx.

A big file on PostgreSQL is placed by several forked processes at once (``import_workers``), each
order still in its own transaction; an order that lost a race for stock, credit or a flash sale to
another order meanwhile is checked again, so the file ends as if its orders had come one by one.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.catalog.models import Sku, SkuUnit
from dinghuo.core import xlsx
from dinghuo.core.bulkwrite import is_postgres
from dinghuo.core.errors import DomainError
from dinghuo.core.jobs import job_finish, job_progress
from dinghuo.core.models import Job
from dinghuo.core.tenancy import Actor
from dinghuo.core.xlsx import Column
from dinghuo.dealers.models import Dealer
from dinghuo.finance.errors import CreditLimitExceeded
from dinghuo.inventory.errors import OutOfStock
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place
from dinghuo.pricing.engine import CartItem, Catalog
from dinghuo.pricing.errors import FlashSaleSoldOut

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
    for sku_id, code, barcode in Sku.objects.filter(Q(code__any=codes) | Q(barcode__any=codes)).values_list(
        "pk", "code", "barcode"
    ):
        by_code.setdefault(code, (sku_id, None))
        if barcode:
            by_code.setdefault(barcode, (sku_id, None))
    for sku_id, name, barcode in SkuUnit.objects.filter(barcode__any=codes).values_list("sku_id", "name", "barcode"):
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
            qty, _unit = v.get("qty") or (Decimal(0), "")
            if qty <= 0:
                row.errors["qty"] = _("must be greater than zero")
        groups.setdefault((v.get("group") or "", v.get("dealer") or ""), []).append(row)
    results: list[GroupResult] = []
    todo: list[tuple[GroupResult, list, int]] = []
    done = 0
    for (key, dealer_code), rows in groups.items():
        group = GroupResult(key=key or _("(single order)"), rows=[r.number for r in rows])
        results.append(group)
        bad = {r.number: "；".join(r.errors.values()) for r in rows if r.errors}
        if bad:
            group.row_errors = bad
            group.error = _("%(n)s row(s) of this order have errors; the order was not placed.") % {"n": len(bad)}
            done += len(rows)
        else:
            todo.append((group, rows, actor.dealer_id if actor.is_dealer else dealers[dealer_code]))

    # 3. place each good order; SKUs and units read for one order are kept for the next ones
    catalog = Catalog()

    def place(index: int) -> tuple[int, tuple]:
        _group, rows, dealer_id = todo[index]
        return index, _place_group(actor, rows, dealer_id, by_code, channel, catalog)

    for index, (order_id, number, status, error, row_errors) in _run(place, len(todo), import_workers(len(todo))):
        group, rows, _dealer = todo[index]
        group.order_id, group.order_number, group.status, group.error = order_id, number, status, error
        group.row_errors.update(row_errors)
        done += len(rows)
        if progress:
            progress(done, total)
    return ImportResult(groups=results, rows=total), table


def _place_group(actor: Actor, rows: list, dealer_id: int, by_code: dict, channel: str, catalog) -> tuple:
    """Place one order of the file: (order id, number, status, error, {row number: error})."""
    items = []
    for r in rows:
        qty, unit_in_qty = r.values["qty"]
        sku_id, barcode_unit = by_code[r.values["sku"]]
        items.append(CartItem(sku_id=sku_id, qty=qty, unit=r.values.get("unit") or unit_in_qty or barcode_unit))
    note = "；".join(r.values["note"] for r in rows if r.values.get("note"))[:500]
    try:
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                placed = order_place(
                    actor=actor, dealer_id=dealer_id, items=items, note=note, channel=channel, catalog=catalog
                )
                break
            except (OutOfStock, CreditLimitExceeded, FlashSaleSoldOut):
                # another order (of this file, or anyone's) took the stock, credit or flash-sale
                # quantity between this order's reads and its guarded writes: the order is checked
                # again against what is left now, as if it had come a moment later
                if attempt == RACE_ATTEMPTS:
                    raise
    except DomainError as exc:
        row_errors = {}
        line = exc.detail.get("line") if isinstance(exc.detail, dict) else None
        if isinstance(line, int) and 0 <= line < len(rows):
            row_errors[rows[line].number] = str(exc.message)
        for check in (exc.detail.get("checks") or []) if isinstance(exc.detail, dict) else []:
            for n in check.get("lines") or []:
                if 1 <= n <= len(rows):
                    row_errors[rows[n - 1].number] = str(check["message"])
        return None, "", "", str(exc.message), row_errors
    return placed.order.pk, placed.order.number, placed.order.status, "", {}


RACE_ATTEMPTS = 3


def import_workers(orders: int) -> int:
    """How many processes place the file's orders (each order is still its own transaction).

    On PostgreSQL, one per core (at most 4), so that one order's Python overlaps another's, and
    the database's work. One on SQLite (a single writer); one inside an enclosing transaction,
    which other connections could not see; one with a connection pool, whose sockets a forked
    process must not share; and one where processes cannot be forked.
    """
    db = settings.DATABASES["default"]
    if (
        orders < 2
        or not is_postgres()
        or connection.in_atomic_block
        or (db.get("OPTIONS") or {}).get("pool")
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 1
    wanted = settings.DINGHUO_IMPORT_WORKERS or min(4, os.cpu_count() or 1)
    return max(1, min(wanted, orders))


def _run(fn, count: int, workers: int):
    """Yield ``fn(i)`` for i in range(count): in order in this process, or in completion order from
    ``workers`` forked processes, each with its own database connection. The children inherit the
    caller's context (tenant, actor, language) and memory; results come back pickled."""
    if workers <= 1:
        for i in range(count):
            yield fn(i)
        return
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)
    results = ctx.Queue()
    connections.close_all()  # a child must open its own connection, never share this one's socket
    children = [ctx.Process(target=_child, args=(fn, counter, count, results), daemon=True) for _ in range(workers)]
    gc.freeze()  # the children's collector then leaves the inherited objects alone (no copy-on-write)
    try:
        for child in children:
            child.start()
    finally:
        gc.unfreeze()
    try:
        received = 0
        while received < count:
            try:
                ok, value = results.get(timeout=1)
            except queue.Empty:
                if not any(c.is_alive() for c in children) and results.empty():
                    raise RuntimeError("the import's worker processes stopped before finishing")
                continue
            if not ok:
                raise RuntimeError(f"an import worker process failed:\n{value}")
            received += 1
            yield value
    finally:
        with counter.get_lock():
            counter.value = count  # on an error, hand out no more orders
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.terminate()


def _child(fn, counter, count: int, results) -> None:
    try:
        while True:
            with counter.get_lock():
                index = counter.value
                counter.value += 1
            if index >= count:
                return
            try:
                results.put((True, fn(index)))
            except BaseException:
                results.put((False, traceback.format_exc()))
                return
    finally:
        connections.close_all()


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
