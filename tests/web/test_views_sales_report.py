"""The back office's sales report (销售报表): the page's sums, filters and pages, who may see it, its
query count, and the Excel export run as a background job whose workbook adds up to the page."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from dinghuo.accounts.roles import Role
from dinghuo.core.models import Job
from dinghuo.core.tenancy import tenant_context
from tests.analytics.factories import make_fact, make_many_dealers, make_sales
from tests.pricing.factories import make_category

D = Decimal
URL = "/bo/reports/sales/"


@pytest.fixture
def sales(world):
    return make_sales(world)


def _client(login, world, role: str = Role.OWNER) -> Client:
    return login(world.user(role), Client())


def _pivot(html: str) -> dict[str, list[str]]:
    """The dealer table: {dealer code: [its cells as shown]} (a crude reader, enough for these pages)."""
    out = {}
    for code, row in re.findall(r'<tr data-dealer="([^"]+)">(.*?)</tr>', html, re.S):
        out[code] = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r'<td class="num(?! rank)[^"]*">(.*?)</td>', row, re.S)
        ]
    return out


def test_the_owner_reads_the_sums_by_month_and_category(sales, world, login):
    client = _client(login, world)
    # the menu leads to the report
    assert URL in client.get("/bo/").content.decode()
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    # the totals above the table: every matching fact, by month (the chart's data) and by category
    assert 'data-testid="report-total">¥390.75<' in html
    assert 'data-testid="report-dealers">2<' in html
    assert (
        '"amount": ["0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "230.25", "160.50"]'
        in html
    )
    assert re.search(rf'data-category="{sales.cats["饮料"].pk}">.*?¥350\.75', html, re.S)
    assert re.search(rf'data-category="{sales.cats["零食"].pk}">.*?¥40\.00', html, re.S)
    # the dealer table: biggest first, a cell per month, the total last
    rows = _pivot(html)
    assert list(rows) == [world.other_dealer.code, world.dealer.code]
    assert rows[world.dealer.code][-3:] == ["30.00", "150.50", "180.50"]
    assert rows[world.other_dealer.code][-3:] == ["200.25", "10.00", "210.25"]
    assert 'data-testid="pivot-totals"' in html and "230.25" in html and "390.75" in html
    # by category instead of by month
    rows = _pivot(client.get(URL, {"by": "category"}).content.decode())
    assert rows[world.dealer.code][-3:] == ["150.50", "30.00", "180.50"]


def test_the_filters_narrow_the_page(sales, world, login):
    client = _client(login, world)
    page = client.get(URL, {"province": "330000"}).content.decode()
    assert list(_pivot(page)) == [world.other_dealer.code] and "¥210.25" in page
    page = client.get(URL, {"category": sales.cats["零食"].pk}).content.decode()
    assert 'data-testid="report-total">¥40.00<' in page and "饼干" in page
    page = client.get(URL, {"q": world.dealer.code}).content.decode()
    assert list(_pivot(page)) == [world.dealer.code]
    m13 = sales.m13.strftime("%Y-%m")
    page = client.get(URL, {"month_from": m13, "month_to": m13}).content.decode()
    assert 'data-testid="report-total">¥999.00<' in page and _pivot(page)[world.dealer.code] == ["999.00", "999.00"]
    # htmx asks for the report alone
    partial = client.get(URL, {"province": "330000"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'data-testid="sales-pivot"' in partial


def test_bad_filters_are_explained_and_fall_back_to_the_defaults(sales, world, login):
    client = _client(login, world)
    for params in ({"month_from": "2026-13"}, {"month_from": "2026-05", "month_to": "2026-01"},
                   {"month_from": "2020-01", "month_to": "2026-01"}, {"category": "x"}, {"page": "-3"},
                   {"province": "999999"}, {"by": "dealer"}):  # fmt: skip
        response = client.get(URL, params)
        assert response.status_code == 200, params
        assert 'data-testid="report-total">¥390.75<' in response.content.decode(), params
    assert "截止月份早于起始月份" in client.get(URL, {"month_from": "2026-05", "month_to": "2026-01"}).content.decode()


def test_pages_of_fifty_dealers(sales, world, login):
    make_many_dealers(world, 51, sales.m0, sales.cats["饼干"])
    client = _client(login, world)
    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": 2}).content.decode()
    assert len(_pivot(first)) == 50 and len(_pivot(second)) == 3
    assert 'data-total="53"' in first and "1 / 2" in first
    # the totals are the whole report's on every page
    assert 'data-testid="report-total">¥441.75<' in first and 'data-testid="report-total">¥441.75<' in second


def test_another_tenants_sales_never_appear(sales, world, world_b, login):
    make_fact(world_b.dealer, sales.m0, make_category(world_b.tenant, "饮料"), "5000.00")
    html = _client(login, world).get(URL).content.decode()
    assert world_b.dealer.code not in _pivot(html) and "5,000.00" not in html and "¥390.75" in html
    html_b = login(world_b.user(Role.OWNER), Client()).get(URL).content.decode()
    assert list(_pivot(html_b)) == [world_b.dealer.code] and world.dealer.code not in _pivot(html_b)


def test_who_may_read_the_report(sales, world, login):
    # a sales rep sees their own dealers only
    rep = _client(login, world, Role.SALES_REP).get(URL).content.decode()
    assert list(_pivot(rep)) == [world.dealer.code] and 'data-testid="report-total">¥180.50<' in rep
    assert _client(login, world, Role.FINANCE).get(URL).status_code == 200
    # staff without reports.view, and dealer users, are refused (and the menu has no entry for them)
    warehouse = _client(login, world, Role.WAREHOUSE)
    assert warehouse.get(URL).status_code == 403 and URL not in warehouse.get("/bo/").content.decode()
    assert _client(login, world, Role.DEALER_ADMIN).get(URL).status_code == 403
    assert _client(login, world, Role.DEALER_ADMIN).post(f"{URL}export/").status_code == 403
    assert Client().get(URL).status_code == 302  # signed out: to the login page


def test_a_page_runs_a_bounded_number_of_queries(sales, world, login, django_assert_max_num_queries):
    client = _client(login, world)
    client.get(URL)  # warm the session
    make_many_dealers(world, 120, sales.m0, sales.cats["饼干"])
    for params in ({}, {"page": 2}, {"by": "category", "category": sales.cats["零食"].pk}):
        with django_assert_max_num_queries(10):  # 3 for the session, 6 for the report, 1 for my exports
            assert client.get(URL, params).status_code == 200


def _export(client, capture, **filters) -> str:
    """Start an export from the report's button; the job runs when the request's transaction commits."""
    with capture(execute=True):
        response = client.post(f"{URL}export/", filters)
    assert response.status_code == 302 and re.fullmatch(r"/bo/jobs/\d+/", response["Location"])
    return response["Location"]


def _workbook(data: bytes) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [row for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]


def test_the_export_writes_every_cell_to_an_xlsx_that_adds_up(sales, world, login, django_capture_on_commit_callbacks):
    client = _client(login, world)
    assert 'data-testid="export-form"' in client.get(URL).content.decode()
    # when the owner exports the last 12 months
    job_url = _export(client, django_capture_on_commit_callbacks)
    # then the job's page says it is done and offers the file
    page = client.get(job_url).content.decode()
    assert 'data-status="done"' in page and 'data-testid="download-link"' in page
    download = client.get(f"{job_url}report.xlsx")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert ".xlsx" in download["Content-Disposition"]
    rows = _workbook(b"".join(download.streaming_content))
    # Chinese headers, then one row per dealer × month × category cell of the period
    assert rows[0] == ("经销商编码", "经销商名称", "所在地区", "月份", "一级分类", "分类",
                       "金额(元)", "数量(基本单位)", "订单数", "订单行数")  # fmt: skip
    data = rows[1:]
    assert len(data) == 5
    assert sum(D(str(r[6])) for r in data) == D("390.75")
    cells = {(r[0], r[3], r[5]): r for r in data}
    row = cells[(world.dealer.code, sales.m0.strftime("%Y-%m"), "碳酸饮料")]
    assert row[1] == world.dealer.name and row[4] == "饮料"
    assert (D(str(row[6])), D(str(row[7])), row[8], row[9]) == (D("100.00"), D("24"), 2, 2)
    assert cells[(world.other_dealer.code, sales.m1.strftime("%Y-%m"), "碳酸饮料")][6] == 200.25
    # by dealer code, then month
    assert [(r[0], r[3]) for r in data] == sorted((r[0], r[3]) for r in data)
    assert any("浙江省" in (r[2] or "") for r in data)


def test_an_export_follows_the_filters_and_the_scope(sales, world, login, django_capture_on_commit_callbacks):
    # a sales rep's export holds only their dealer
    rep = _client(login, world, Role.SALES_REP)
    job_url = _export(rep, django_capture_on_commit_callbacks, month_from="2000-01", month_to="2000-01")
    assert 'data-status="done"' in rep.get(job_url).content.decode()
    assert _workbook(b"".join(rep.get(f"{job_url}report.xlsx").streaming_content))[1:] == []
    job_url = _export(rep, django_capture_on_commit_callbacks)
    rows = _workbook(b"".join(rep.get(f"{job_url}report.xlsx").streaming_content))[1:]
    assert {r[0] for r in rows} == {world.dealer.code} and sum(D(str(r[6])) for r in rows) == D("180.50")
    # and nobody else may open that job or its file, not even the owner
    owner = _client(login, world)
    assert owner.get(job_url).status_code == 404 and owner.get(f"{job_url}report.xlsx").status_code == 404
    # the owner's export of one province
    job_url = _export(owner, django_capture_on_commit_callbacks, province="330000")
    rows = _workbook(b"".join(owner.get(f"{job_url}report.xlsx").streaming_content))[1:]
    assert {r[0] for r in rows} == {world.other_dealer.code}


def test_a_large_export_continues_on_further_sheets(
    sales, world, login, django_capture_on_commit_callbacks, monkeypatch
):
    from dinghuo.analytics import exports

    monkeypatch.setattr(exports, "SHEET_ROWS", 2)
    client = _client(login, world)
    job_url = _export(client, django_capture_on_commit_callbacks)
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(f"{job_url}report.xlsx").streaming_content)))
    assert wb.sheetnames == ["销售明细", "销售明细(2)", "销售明细(3)"]
    assert [ws.max_row for ws in wb.worksheets] == [3, 3, 2]  # each with its header row
    with tenant_context(world.tenant):
        job = Job.objects.get(pk=int(job_url.split("/")[-2]))
    assert job.result == {"rows": 5} and job.status == Job.Status.DONE and job.percent == 100
