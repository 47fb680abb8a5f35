"""The back office's promotion import: the owner uploads a file and follows the job; a bad file
names its rows and offers the error report; staff without the permission are refused."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dinghuo.accounts.roles import Role
from dinghuo.core.models import AuditEntry, Job
from dinghuo.core.tenancy import tenant_context
from dinghuo.pricing.models import Promotion
from dinghuo.pricing.promotion_import import COLUMNS
from tests.pricing.factories import make_promotion, make_sku

HEADERS = [str(c.header) for c in COLUMNS]


def _file(rows: list[dict]) -> bytes:
    keys = {str(c.header): c.key for c in COLUMNS}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append([row.get(keys[h]) for h in HEADERS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row(code: str, kind: str, **values) -> dict:
    return {"code": code, "name": f"促销{code}", "kind": kind, "valid_from": "2026-12-01 00:00",
            "valid_to": "2026-12-31 00:00", **values}  # fmt: skip


@pytest.fixture
def skus(world):
    return {code: make_sku(world.tenant, code=code) for code in ("COLA", "WATER")}


def _client(login, world, role: str) -> Client:
    return login(world.user(role), Client())


def _promotions(world) -> dict[str, Promotion]:
    with tenant_context(world.tenant):
        return {p.code: p for p in Promotion.objects.all()}


def _upload(client: Client, data: bytes, name: str = "促销.xlsx", capture=None):
    upload = SimpleUploadedFile(name, data)
    with capture(execute=True):
        return client.post("/bo/promotions/import/", {"file": upload})


def test_the_owner_imports_promotions_and_follows_the_job(world, skus, login, django_capture_on_commit_callbacks):
    client = _client(login, world, Role.OWNER)
    # the list offers the import, whose page offers the template
    assert 'data-testid="promotion-import"' in client.get("/bo/promotions/").content.decode()
    page = client.get("/bo/promotions/import/").content.decode()
    assert "/bo/promotions/import/template.xlsx" in page and "/bo/promotions/export.xlsx" in page
    template = client.get("/bo/promotions/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    # when the owner uploads a file of two promotions
    data = _file(
        [
            _row("MJ", "满减", threshold=500, off=50, scope_skus="COLA, WATER"),
            _row("MS", "秒杀", flash_sku="COLA", flash_price="1.50", per_dealer_cap=24),
        ]
    )
    response = _upload(client, data, capture=django_capture_on_commit_callbacks)
    # then the job page shows it done, with its summary
    assert response.status_code == 302 and re.fullmatch(r"/bo/jobs/\d+/", response["Location"])
    body = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in body and "/bo/promotions/import/" in body
    got = _promotions(world)
    assert set(got) == {"MJ", "MS"} and got["MS"].rules["sku"] == skus["COLA"].pk
    with tenant_context(world.tenant):
        assert AuditEntry.objects.filter(action="promotion.created", actor_id=world.user(Role.OWNER).pk).count() == 2
    # and the page's export, uploaded again, changes nothing
    export = client.get("/bo/promotions/export.xlsx")
    again = _upload(client, export.content, capture=django_capture_on_commit_callbacks)
    with tenant_context(world.tenant):
        job = Job.objects.get(pk=int(again["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert job.status == Job.Status.DONE and job.result["promotions_unchanged"] == 2


def test_a_bad_file_names_its_rows_offers_the_report_and_saves_nothing(
    world, world_b, skus, login, django_capture_on_commit_callbacks
):
    make_promotion(world.tenant, "percent", {"percent": "5"}, code="ZK")
    client = _client(login, world, Role.OWNER)
    data = _file(
        [
            _row("MJ", "满减", threshold=500, off=50),  # 2: fine
            _row("MZ", "满赠", threshold=100, gift_sku="NO-SUCH", gift_qty=1),  # 3: unknown SKU
            _row("ZK", "折扣", percent=-10),  # 4: negative
            _row("K", "抽奖", percent=5),  # 5: unknown kind
        ]
    )
    response = _upload(client, data, capture=django_capture_on_commit_callbacks)
    job_url = response["Location"]
    body = client.get(job_url).content.decode()
    assert 'data-status="failed"' in body
    errors = re.search(r'data-testid="import-errors".*?</table>', body, re.S).group(0)
    for number, column in ((3, "赠品SKU编码"), (4, "减免比例(%)"), (5, "类型")):
        assert re.search(rf">\s*{number}\s*</td><td>{re.escape(column)}<", errors)
    assert not re.search(r">\s*2\s*</td>", errors)
    # the error report downloads for staff who may import promotions, in this tenant only
    report = client.get(job_url + "report.xlsx")
    assert report.status_code == 200 and b"".join(report.streaming_content)[:2] == b"PK"
    assert _client(login, world, Role.FINANCE).get(job_url + "report.xlsx").status_code == 403
    outsider = login(world_b.user(Role.OWNER), Client())
    assert outsider.get(job_url).status_code == 404 and outsider.get(job_url + "report.xlsx").status_code == 404
    # and nothing was saved
    got = _promotions(world)
    assert set(got) == {"ZK"} and got["ZK"].rules == {"percent": "5.00"}


def test_a_file_that_is_not_a_workbook_is_refused_clearly(world, login, django_capture_on_commit_callbacks):
    client = _client(login, world, Role.OWNER)
    # a .csv is refused on the form, next to the field
    response = client.post("/bo/promotions/import/", {"file": SimpleUploadedFile("促销.csv", b"code,name")})
    assert response.status_code == 200 and 'id="id_file_errors"' in response.content.decode()
    # a renamed file reaches the job, which says what is wrong with it
    response = _upload(client, b"code,name\nP1,x", name="促销.xlsx", capture=django_capture_on_commit_callbacks)
    body = client.get(response["Location"]).content.decode()
    message = re.search(r'data-testid="import-message">(.*?)<', body).group(1)
    assert 'data-status="failed"' in body and ".xlsx" in message
    assert _promotions(world) == {}


@pytest.mark.parametrize("role", [Role.FINANCE, Role.SALES_REP, Role.WAREHOUSE])
def test_staff_without_the_permission_are_refused(world, skus, login, role):
    client = _client(login, world, role)
    data = _file([_row("MJ", "满减", threshold=500, off=50)])
    assert 'data-testid="promotion-import"' not in client.get("/bo/promotions/").content.decode()
    assert client.get("/bo/promotions/import/").status_code == 403
    assert client.get("/bo/promotions/import/template.xlsx").status_code == 403
    response = client.post("/bo/promotions/import/", {"file": SimpleUploadedFile("促销.xlsx", data)})
    assert response.status_code == 403
    assert _promotions(world) == {}
    with tenant_context(world.tenant):
        assert not Job.objects.exists()


def test_a_dealer_user_is_refused(world, login):
    client = _client(login, world, Role.DEALER_ADMIN)
    data = _file([_row("MJ", "满减", threshold=500, off=50)])
    response = client.post("/bo/promotions/import/", {"file": SimpleUploadedFile("促销.xlsx", data)})
    assert response.status_code in (302, 403, 404)
    assert _promotions(world) == {}
