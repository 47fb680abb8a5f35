import io
from decimal import Decimal

import openpyxl
import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core import xlsx
from dinghuo.core.tenancy import tenant_context
from dinghuo.orders import importers
from dinghuo.orders.models import Order

D = Decimal


def book(rows, header=("订单分组", "经销商编码", "SKU编码", "数量", "单位", "备注")) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_dealer_imports_real_world_rows_into_orders(shop):
    data = book(
        [
            ["A", "", " COLA ", "２箱", "", "周五前"],
            [None, None, None, None, None, None],  # blank row
            ["A", "", "WATER", "4８", "瓶", ""],
            ["B", "", "COLA", "1,200", "瓶", ""],
        ]
    )
    with tenant_context(shop.tenant):
        result, _table = importers.import_orders(actor=shop.buyer(), data=data)
        assert [(g.key, bool(g.order_id)) for g in result.groups] == [("A", True), ("B", True)]
        a = Order.objects.get(number=result.groups[0].order_number)
        assert [(line.sku_code, line.qty_base) for line in a.lines.order_by("line_no")] == [
            ("COLA", D(48)),
            ("WATER", D(48)),
        ]
        assert a.channel == "import" and a.note == "周五前"


def test_a_bad_row_refuses_its_order_only_and_names_the_row(shop):
    data = book(
        [
            ["A", "", "COLA", "2箱", "", ""],
            ["B", "", "COLA", "1", "箱", ""],
            ["B", "", "NOPE", "1", "", ""],  # unknown SKU: order B is refused
            ["C", "", "WATER", "25", "瓶", ""],  # not a multiple of 24: order C blocked by the rule check
        ]
    )
    with tenant_context(shop.tenant):
        before = Order.objects.count()
        result, table = importers.import_orders(actor=shop.buyer(), data=data)
        assert [g.key for g in result.placed] == ["A"]
        failed = {g.key: g for g in result.failed}
        assert failed["B"].row_errors == {4: "unknown SKU code or barcode “NOPE”"} or 4 in failed["B"].row_errors
        assert 5 in failed["C"].row_errors
        assert Order.objects.count() == before + 1
    report = openpyxl.load_workbook(io.BytesIO(xlsx.error_report(table, extra_errors={4: "x"}))).active
    assert report["A2"].value == 4


def test_staff_import_needs_a_known_dealer_per_row(shop):
    data = book([["A", "GHOST", "COLA", "1", "箱", ""], ["B", shop.dealer.code, "COLA", "1", "箱", ""]])
    with tenant_context(shop.tenant):
        result, _t = importers.import_orders(actor=shop.staff(Role.SALES_REP), data=data)
    assert [g.key for g in result.placed] == ["B"]
    assert "GHOST" in next(iter(result.failed[0].row_errors.values()))


@pytest.mark.parametrize(
    "data",
    [b"not an excel file", b"PK\x03\x04garbage", b""],
)
def test_broken_files_are_refused_with_a_clear_error(shop, data):
    with tenant_context(shop.tenant), pytest.raises(xlsx.XlsxError):
        importers.import_orders(actor=shop.buyer(), data=data)


def test_the_import_runs_as_a_background_job_with_progress_and_an_error_report(shop, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.db import transaction

    from dinghuo.core.jobs import job_start
    from dinghuo.core.models import Job

    data = book([["A", "", "COLA", "1", "箱", ""], ["B", "", "NOPE", "1", "", ""]])
    with tenant_context(shop.tenant, shop.buyer()):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            job = job_start(
                actor=shop.buyer(),
                kind="orders.import",
                handler="dinghuo.orders.importers:run_order_import",
                input_file=ContentFile(data, name="orders.xlsx"),
            )
        # (the immediate test backend runs the job when the transaction commits)
        job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.DONE and job.percent == 100
    assert job.result["orders"][0]["group"] == "A" and job.result["failed"][0]["group"] == "B"
    assert job.output_file.name.endswith(".xlsx")


def test_the_template_has_chinese_headers_and_reads_back(shop):
    data = importers.template()
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    headers = [c.value for c in ws[1]]
    assert "数量*" in headers and "SKU编码或条码*" in headers
