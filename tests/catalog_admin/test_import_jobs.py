import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dinghuo.catalog import importers
from dinghuo.catalog.importers import start_product_import
from dinghuo.catalog.models import Product, Sku
from dinghuo.core import xlsx
from dinghuo.core.models import Job
from tests.catalog_admin.factories import book, make_brand, make_category

HEAD = ["商品编码", "商品名称", "分类编码", "品牌编码", "SKU编码", "包装单位", "指导价(含税)"]


@pytest.fixture
def shop(in_alpha):
    make_category(in_alpha.tenant, code="01")
    make_brand(in_alpha.tenant, code="QQ")
    return in_alpha


def upload(rows, name="products.xlsx"):
    return SimpleUploadedFile(
        name, book(HEAD, rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_the_job_imports_and_reports_progress_and_result(
    shop, admin_actor, monkeypatch, django_capture_on_commit_callbacks
):
    # given 1,200 rows, and a recorder of the job's progress
    rows = [[f"P{i // 2}", f"商品{i // 2}", "01", "QQ", f"S{i}", "箱=12", 3] for i in range(1200)]
    seen = []
    real = importers.job_progress
    monkeypatch.setattr(importers, "job_progress", lambda job, **kw: (seen.append(kw), real(job, **kw)))
    # when the import is started (the job runs when the transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_product_import(actor=admin_actor, file=upload(rows))
    # then it ran, moved forward as it went, and finished with counts
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.kind == "catalog.import" and job.params == {"filename": "products.xlsx"}
    assert job.result["products_created"] == 600 and job.result["skus_created"] == 1200
    assert (job.done, job.total, job.percent) == (1200, 1200, 100)
    progress = [kw["done"] for kw in seen if kw.get("total")]
    assert progress == sorted(progress) and progress[0] < 1200 and progress[-1] == 1200
    assert Sku.objects.count() == 1200


def test_a_failed_job_offers_an_error_report_and_saves_nothing(shop, admin_actor, django_capture_on_commit_callbacks):
    rows = [["P1", "好", "01", "QQ", "S1", "箱", 3], ["P2", "坏", "99", "QQ", "S1", None, -1]]
    with django_capture_on_commit_callbacks(execute=True):
        job = start_product_import(actor=admin_actor, file=upload(rows))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.result["error"]["code"] == "catalog_import_invalid"
    assert {(e["row"], e["column"]) for e in job.result["error"]["detail"]["rows"]} == {
        (2, "包装单位"),
        (3, "分类编码"),
        (3, "SKU编码"),
        (3, "指导价(含税)"),
    }
    with job.output_file.open("rb") as fh:
        ws = openpyxl.load_workbook(fh).active
    report = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "包装单位" in report[2] and "分类编码" in report[3] and "指导价(含税)" in report[3]
    assert not Product.objects.exists()


def test_a_broken_file_fails_the_job_with_a_clear_message(shop, admin_actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_product_import(actor=admin_actor, file=SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really"))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.result["error"]["code"] == "xlsx_invalid"
    assert job.message and not job.output_file


def test_an_upload_over_the_limit_is_refused_before_a_job_starts(shop, admin_actor, settings):
    settings.DINGHUO_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(xlsx.XlsxTooLarge):
        start_product_import(actor=admin_actor, file=upload([["P1", "x", "01", None, "S1", None, 1]] * 50))
    assert not Job.objects.exists()
