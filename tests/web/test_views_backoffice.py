"""The back office's pages through the Django test client: every page answers, permissions per role,
bounded queries on the main lists, inline translated form errors, no 500 for bad input, and the
order flows (review, ship in parts, 代客下单) through the pages."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from dinghuo.accounts.roles import Role
from dinghuo.catalog.search import reindex_products
from dinghuo.core.models import AuditEntry, Job
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.inventory.models import Stock
from dinghuo.orders.models import Order, Shipment
from dinghuo.orders.placement import order_place
from dinghuo.pricing.engine import CartItem
from tests.orders.factories import make_shop

D = Decimal


@pytest.fixture
def shop(world):
    shop = make_shop(world, credit_limit="1000.00")
    with tenant_context(world.tenant):
        reindex_products()
    return shop


def as_role(login, shop, role: str) -> Client:
    return login(shop.world.user(role), Client())


def place(shop, qty: int = 2, dealer=None, code: str = "COLA") -> Order:
    dealer = dealer or shop.dealer
    with tenant_context(shop.tenant):
        return order_place(
            actor=Actor.system(shop.tenant.pk),
            dealer_id=dealer.pk,
            items=[CartItem(sku_id=shop.skus[code].pk, qty=D(qty), unit="箱")],
        ).order


def over_limit(shop) -> Order:
    """An order of 20 cases × 24 × ¥3 = ¥1,440 on a ¥1,000 limit: it waits for review."""
    order = place(shop, qty=20)
    assert order.status == Order.Status.PENDING_REVIEW
    return order


def reload(model, pk, tenant):
    with tenant_context(tenant):
        return model.objects.get(pk=pk)


def shows_errors(response) -> bool:
    """A form shown again with its errors: 200 (browsers log 4xx documents as console errors), and the errors."""
    body = response.content.decode()
    return response.status_code == 200 and ("invalid-feedback" in body or "alert-danger" in body)


def required_zh() -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext("This field is required."))


# --- every page answers ---------------------------------------------------------------------------------


def test_every_back_office_page_answers_for_the_owner(shop, login):
    # given an owner, an order waiting for review and a shipped-to-be order
    client = as_role(login, shop, Role.OWNER)
    pending = over_limit(shop)
    approved = place(shop)
    with tenant_context(shop.tenant):
        stock = Stock.objects.first()
        product_id = shop.skus["COLA"].product_id
        from dinghuo.pricing.models import PriceList

        pl = PriceList.objects.create(code="PL-T", name="测试价", kind="list")
    # when they open every page, then each answers
    for path in [
        "/bo/",
        "/bo/orders/",
        "/bo/orders/?status=pending_review&q=COLA",
        "/bo/orders/review/",
        "/bo/orders/new/",
        f"/bo/orders/new/?dealer={shop.dealer.pk}",
        f"/bo/orders/{pending.pk}/",
        f"/bo/orders/{pending.pk}/edit/",
        f"/bo/orders/{approved.pk}/",
        f"/bo/orders/{approved.pk}/ship/",
        "/bo/catalog/",
        "/bo/catalog/?q=kele",
        f"/bo/catalog/products/{product_id}/",
        f"/bo/catalog/products/{product_id}/edit/",
        f"/bo/catalog/products/{product_id}/skus/new/",
        f"/bo/catalog/skus/{shop.skus['COLA'].pk}/",
        "/bo/catalog/products/new/",
        "/bo/catalog/categories/",
        "/bo/catalog/brands/",
        "/bo/catalog/attributes/",
        "/bo/catalog/import/",
        "/bo/prices/",
        "/bo/prices/new/",
        f"/bo/prices/{pl.pk}/",
        f"/bo/prices/{pl.pk}/edit/",
        "/bo/prices/import/",
        "/bo/promotions/",
        "/bo/promotions/new/?kind=threshold",
        "/bo/promotions/new/?kind=gift",
        "/bo/promotions/new/?kind=percent",
        "/bo/promotions/new/?kind=flash",
        "/bo/inventory/",
        "/bo/inventory/?low=1",
        f"/bo/inventory/stock/{stock.pk}/",
        "/bo/inventory/movements/",
        "/bo/inventory/low/",
        "/bo/inventory/warehouses/",
        "/bo/inventory/import/",
        "/bo/dealers/",
        f"/bo/dealers/{shop.dealer.pk}/",
        "/bo/dealers/tiers/",
        "/bo/users/",
        "/bo/users/roles/",
        "/bo/audit/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    for path in [
        "/bo/catalog/import/template.xlsx",
        "/bo/catalog/export.xlsx",
        "/bo/prices/import/template.xlsx",
        "/bo/prices/export.xlsx",
        "/bo/inventory/import/template.xlsx",
    ]:
        response = client.get(path)
        assert response.status_code == 200 and response.content[:2] == b"PK", path


def test_the_dashboard_passes_its_chart_data_without_inline_scripts(shop, login):
    place(shop)
    body = as_role(login, shop, Role.OWNER).get("/bo/").content.decode()
    assert 'id="chart-daily-data" type="application/json"' in body
    assert 'data-chart="provinces"' in body and "/static/vendor/echarts/echarts.min.js" in body
    # every <script> has a src, except the JSON data blocks
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag or 'type="application/json"' in tag, tag


# --- permissions per role -------------------------------------------------------------------------------


def test_a_warehouse_user_cannot_approve_orders(shop, login):
    order = over_limit(shop)
    client = as_role(login, shop, Role.WAREHOUSE)
    assert client.post(f"/bo/orders/{order.pk}/approve/", {"override_credit": "on", "reason": "x"}).status_code == 403
    assert client.post(f"/bo/orders/{order.pk}/reject/", {"reason": "x"}).status_code == 403
    assert client.get("/bo/orders/review/").status_code == 403
    assert reload(Order, order.pk, shop.tenant).status == Order.Status.PENDING_REVIEW
    # and the page does not offer it
    assert 'data-testid="approve"' not in client.get(f"/bo/orders/{order.pk}/").content.decode()


def test_a_reviewer_cannot_change_credit_limits_but_finance_can_and_it_is_audited(shop, login):
    url = f"/bo/dealers/{shop.dealer.pk}/credit/"
    data = {"credit_limit": "50000", "terms_days": "45", "reason": "年度授信"}
    reviewer = as_role(login, shop, Role.REVIEWER)
    assert reviewer.post(url, data).status_code == 403
    assert "credit-form" not in reviewer.get(f"/bo/dealers/{shop.dealer.pk}/").content.decode()
    assert shop.account().credit_limit == D("1000.00")
    # finance changes it through finance's service: saved and audited with the reason
    finance = as_role(login, shop, Role.FINANCE)
    assert finance.post(url, data).status_code == 302
    account = shop.account()
    assert (account.credit_limit, account.terms_days) == (D("50000.00"), 45)
    with tenant_context(shop.tenant):
        entry = AuditEntry.objects.filter(action="credit.terms_changed").latest("id")
    assert entry.reason == "年度授信" and entry.after["credit_limit"] == "50000"
    # and the dealer's page lists the change: from what, to what, who and why
    page = finance.get(f"/bo/dealers/{shop.dealer.pk}/").content.decode()
    history = re.search(r'data-testid="credit-history">(.*?)</details>', page, re.S).group(1)
    assert "¥1,000.00 → ¥50,000.00" in history and "年度授信" in history and "45" in history


def test_a_sales_rep_sees_only_its_dealers_orders(shop, login):
    # given an order of the rep's dealer and one of a dealer it does not represent
    mine = place(shop)
    other = place(shop, dealer=shop.world.other_dealer)
    rep = as_role(login, shop, Role.SALES_REP)
    body = rep.get("/bo/orders/").content.decode()
    assert f'data-number="{mine.number}"' in body and other.number not in body
    assert rep.get(f"/bo/orders/{other.pk}/").status_code == 404
    assert f'data-number="{other.number}"' not in rep.get(f"/bo/orders/?q={other.number}").content.decode()
    # and it cannot act on orders at all
    assert rep.post(f"/bo/orders/{mine.pk}/cancel/").status_code == 403


def test_roles_see_only_their_menu_and_pages(shop, login):
    wh = as_role(login, shop, Role.WAREHOUSE)
    menu = wh.get("/bo/").content.decode()
    assert "/bo/inventory/" in menu and "/bo/users/" not in menu and "/bo/audit/" not in menu
    assert wh.get("/bo/catalog/products/new/").status_code == 403
    assert wh.get("/bo/prices/new/").status_code == 403
    assert wh.get("/bo/inventory/import/").status_code == 200
    finance = as_role(login, shop, Role.FINANCE)
    assert finance.get("/bo/inventory/").status_code == 403
    assert finance.post("/bo/catalog/brands/", {"code": "X", "name": "X"}).status_code == 403
    buyer = as_role(login, shop, Role.BUYER)
    assert buyer.get("/bo/orders/").status_code == 403


# --- bounded queries --------------------------------------------------------------------------------------


def test_the_main_lists_issue_a_bounded_number_of_queries(shop, login, django_assert_max_num_queries):
    # given many orders (with lines, shipments' worth of stock movements and audit rows)
    for _ in range(10):
        place(shop)
    for _ in range(2):
        over_limit(shop)
    client = as_role(login, shop, Role.OWNER)
    for path, most in [
        ("/bo/", 16),
        ("/bo/orders/", 12),
        ("/bo/orders/review/", 12),
        ("/bo/dealers/", 12),
        ("/bo/catalog/", 12),
        ("/bo/inventory/", 12),
        ("/bo/inventory/movements/", 12),
        ("/bo/audit/", 12),
        ("/bo/users/", 12),
        ("/bo/prices/", 12),
        ("/bo/promotions/", 12),
    ]:
        with django_assert_max_num_queries(most):
            response = client.get(path)
        assert response.status_code == 200, path


MAIN_LISTS = ["/bo/", "/bo/orders/", "/bo/orders/review/", "/bo/dealers/", "/bo/catalog/", "/bo/inventory/",
              "/bo/inventory/movements/", "/bo/inventory/low/", "/bo/audit/", "/bo/users/", "/bo/prices/",
              "/bo/promotions/"]  # fmt: skip


def test_the_main_lists_issue_no_more_queries_for_many_rows_than_for_few(shop, login, django_assert_max_num_queries):
    # given a few orders, and each main list counted once it is warm
    place(shop)
    over_limit(shop)
    client = as_role(login, shop, Role.OWNER)
    few = {}
    for path in MAIN_LISTS:
        client.get(path)
        with django_assert_max_num_queries(40) as counted:
            assert client.get(path).status_code == 200, path
        few[path] = len(counted.captured_queries)
    # when there are many more rows of each kind: orders of two SKUs, their movements and audit rows,
    # and more orders waiting for review once the dealer's exposure passes its ¥1,000 limit
    for _ in range(10):
        place(shop, qty=2, code="WATER")
    for _ in range(3):
        place(shop, qty=1)
    with tenant_context(shop.tenant):
        assert Order.objects.filter(status=Order.Status.PENDING_REVIEW).count() >= 2
    # then no list issues a query more than it did for a few rows
    for path in MAIN_LISTS:
        with django_assert_max_num_queries(few[path]):
            assert client.get(path).status_code == 200, path


def test_an_order_page_issues_the_same_number_of_queries_for_many_lines(shop, login, django_assert_max_num_queries):
    small = place(shop)
    with tenant_context(shop.tenant):
        big = order_place(
            actor=Actor.system(shop.tenant.pk),
            dealer_id=shop.dealer.pk,
            items=[
                CartItem(sku_id=shop.skus[c].pk, qty=D(q), unit="箱")
                for c, q in [("COLA", 2), ("WATER", 4), ("PREORDER", 1)]
            ],
        ).order
    client = as_role(login, shop, Role.OWNER)
    with django_assert_max_num_queries(16) as few:
        client.get(f"/bo/orders/{small.pk}/")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/bo/orders/{big.pk}/")


# --- inline translated form errors ---------------------------------------------------------------------------


def test_rejecting_without_a_reason_shows_the_error_next_to_the_field_in_chinese(shop, login):
    order = over_limit(shop)
    client = as_role(login, shop, Role.REVIEWER)
    response = client.post(f"/bo/orders/{order.pk}/reject/", {"reason": ""})
    assert shows_errors(response)
    body = response.content.decode()
    error = re.search(r'id="id_reason_errors"[^>]*>([^<]+)<', body)
    assert error and required_zh() in error.group(1)
    assert reload(Order, order.pk, shop.tenant).status == Order.Status.PENDING_REVIEW


def test_form_errors_follow_the_chosen_language(shop, login):
    client = as_role(login, shop, Role.FINANCE)
    client.post("/i18n/setlang/", {"language": "en", "next": "/bo/"})
    body = client.post(f"/bo/dealers/{shop.dealer.pk}/credit/", {"credit_limit": "-5", "terms_days": "400"}).content
    body = body.decode()
    assert "Ensure this value is greater than or equal to 0." in body
    assert "Ensure this value is less than or equal to 365." in body
    assert "This field is required." in body  # the reason


def test_approving_over_the_limit_needs_the_override_and_a_reason(shop, login):
    order = over_limit(shop)
    # a reviewer without orders.override_credit is told why, on the page
    reviewer = as_role(login, shop, Role.REVIEWER)
    response = reviewer.post(f"/bo/orders/{order.pk}/approve/", {"reason": ""})
    assert shows_errors(response) and "alert-danger" in response.content.decode()
    assert reload(Order, order.pk, shop.tenant).status == Order.Status.PENDING_REVIEW
    # the owner overriding without a reason gets an inline error
    owner = as_role(login, shop, Role.OWNER)
    response = owner.post(f"/bo/orders/{order.pk}/approve/", {"override_credit": "on", "reason": ""})
    assert shows_errors(response) and 'id="id_reason_errors"' in response.content.decode()
    # and with one the order is approved, the override recorded
    response = owner.post(f"/bo/orders/{order.pk}/approve/", {"override_credit": "on", "reason": "老客户，月底回款"})
    assert response.status_code == 302
    approved = reload(Order, order.pk, shop.tenant)
    assert approved.status == Order.Status.APPROVED and approved.credit_override


# --- no 500 for bad input ----------------------------------------------------------------------------------------


def test_bad_input_is_answered_never_a_500(shop, login, world_b):
    order = place(shop)
    pending = over_limit(shop)
    client = as_role(login, shop, Role.OWNER)
    with tenant_context(shop.tenant):
        stock = Stock.objects.first()
    with tenant_context(world_b.tenant):
        b_order_make = make_shop(world_b)
        b_order = place(b_order_make)
    cases = [
        ("get", "/bo/orders/?date_from=2024-13-45&dealer=abc&status=nope&channel=%00", None, {200}),
        ("get", "/bo/orders/?page=999999", None, {200}),
        ("get", "/bo/catalog/?category=-1&brand=x&status=zzz", None, {200}),
        ("get", "/bo/inventory/?warehouse=99999999999999999999&low=maybe", None, {200}),
        ("get", "/bo/audit/?date_from=yesterday", None, {200}),
        ("get", "/bo/orders/99999999/", None, {404}),
        ("get", f"/bo/orders/{b_order.pk}/", None, {404}),
        ("post", f"/bo/orders/{b_order.pk}/cancel/", {"reason": "x"}, {404}),
        ("get", "/bo/orders/new/?dealer=notanumber", None, {200}),
        ("get", f"/bo/orders/new/?dealer={world_b.dealer.pk}", None, {200}),
        ("post", "/bo/orders/new/", {"dealer": str(world_b.dealer.pk)}, "errors"),
        ("post", f"/bo/orders/{pending.pk}/edit/", {"line_1": "-3"}, "errors"),
        ("post", f"/bo/orders/{pending.pk}/edit/", {"line_1": "abc"}, "errors"),
        ("post", f"/bo/orders/{order.pk}/ship/", {"carrier": "", "tracking_no": ""}, "errors"),
        ("post", f"/bo/inventory/stock/{stock.pk}/adjust/", {"mode": "set", "qty": "-1", "reason": "x"}, "errors"),
        ("post", f"/bo/inventory/stock/{stock.pk}/adjust/", {"mode": "delta", "qty": "1e999", "reason": "x"}, "errors"),
        ("post", f"/bo/inventory/stock/{stock.pk}/safety/", {"safety_stock": "-5"}, "errors"),
        (
            "post",
            "/bo/promotions/new/",
            {
                "kind": "threshold",
                "code": "P1",
                "name": "x",
                "valid_from": "2030-01-02T00:00",
                "valid_to": "2030-01-01T00:00",
                "threshold": "-1",
                "priority": "0",
            },
            "errors",
        ),
        ("post", "/bo/prices/new/", {"code": "X", "name": "x", "kind": "contract"}, "errors"),
        ("post", f"/bo/dealers/{shop.dealer.pk}/credit/", {"credit_limit": "abc", "terms_days": "-1"}, "errors"),
        ("post", "/bo/dealers/tiers/", {"what": "tier", "code": "", "name": "", "rank": "-9"}, "errors"),
        ("post", "/bo/catalog/brands/", {"code": "has space", "name": ""}, "errors"),
        ("post", "/bo/inventory/warehouses/", {"code": "W9", "name": "x", "region_code": "火星"}, "errors"),
        ("get", "/bo/jobs/99999/", None, {404}),
        ("get", "/bo/jobs/99999/report.xlsx", None, {404}),
    ]
    for method, path, data, expected in cases:
        response = getattr(client, method)(path, data or {})
        if expected == "errors":
            assert shows_errors(response), (method, path, response.status_code)
        else:
            assert response.status_code in expected, (method, path, response.status_code)
    # a negative shipment quantity is refused next to its line
    response = client.post(f"/bo/orders/{order.pk}/ship/", _ship_data(shop, order, qty="-1"))
    assert shows_errors(response) and "invalid-feedback" in response.content.decode()
    with tenant_context(shop.tenant):
        assert not Shipment.objects.filter(order_id=order.pk).exists()


# --- flows through the pages --------------------------------------------------------------------------------------


def _ship_data(shop, order, *, qty: str | None = None, tracking: str = "SF1000000001") -> dict:
    with tenant_context(shop.tenant):
        line = order.lines.get(line_no=1)
        allocation = line.allocations.first()
    return {
        "warehouse": str(allocation.warehouse_id_snapshot),
        f"line_{line.pk}": qty if qty is not None else str(allocation.open_base),
        "carrier": "顺丰速运",
        "tracking_no": tracking,
    }


def test_staff_ship_an_order_in_two_parts(shop, login):
    # given an approved order of 2 cases (48 bottles)
    order = place(shop)
    client = as_role(login, shop, Role.WAREHOUSE)
    assert client.post(f"/bo/orders/{order.pk}/pick/").status_code == 302
    # when the warehouse ships 20, then the other 28, with two tracking numbers
    assert (
        client.post(f"/bo/orders/{order.pk}/ship/", _ship_data(shop, order, qty="20", tracking="SF1")).status_code
        == 302
    )
    assert reload(Order, order.pk, shop.tenant).status == Order.Status.PARTIALLY_SHIPPED
    # shipping more than is left is refused on the page, next to the line
    too_many = client.post(f"/bo/orders/{order.pk}/ship/", _ship_data(shop, order, qty="29", tracking="SF2"))
    assert shows_errors(too_many)
    assert (
        client.post(f"/bo/orders/{order.pk}/ship/", _ship_data(shop, order, qty="28", tracking="SF2")).status_code
        == 302
    )
    # then the order is shipped and its page shows both shipments
    assert reload(Order, order.pk, shop.tenant).status == Order.Status.SHIPPED
    body = client.get(f"/bo/orders/{order.pk}/").content.decode()
    assert 'data-tracking="SF1"' in body and 'data-tracking="SF2"' in body
    # and the rest of the life: delivered, completed
    assert client.post(f"/bo/orders/{order.pk}/deliver/").status_code == 302
    assert client.post(f"/bo/orders/{order.pk}/complete/").status_code == 302
    assert reload(Order, order.pk, shop.tenant).status == Order.Status.COMPLETED


def test_a_reviewer_edits_quantities_and_the_order_is_repriced(shop, login):
    order = over_limit(shop)
    client = as_role(login, shop, Role.REVIEWER)
    response = client.post(f"/bo/orders/{order.pk}/edit/", {"line_1": "5", "reason": "按库存调整"})
    assert response.status_code == 302
    edited = reload(Order, order.pk, shop.tenant)
    assert edited.total < order.total
    with tenant_context(shop.tenant):
        assert edited.lines.get(line_no=1).qty == D(5)


def test_a_sales_rep_orders_for_its_dealer(shop, login):
    rep = as_role(login, shop, Role.SALES_REP)
    page = rep.get(f"/bo/orders/new/?dealer={shop.dealer.pk}").content.decode()
    address = re.search(r'name="address"[^>]*>\s*<option value="(\d+)"', page)
    data = {
        "dealer": str(shop.dealer.pk),
        "address": address.group(1),
        "note": "业务员代下",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "3",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-sku": "COLA",
        "lines-0-qty": "2",
        "lines-0-unit": "箱",
        "lines-1-sku": "NOPE",
        "lines-1-qty": "1",
        "lines-1-unit": "",
        "lines-2-sku": "",
        "lines-2-qty": "",
        "lines-2-unit": "",
    }
    # an unknown code is named on its line, nothing is placed
    response = rep.post("/bo/orders/new/", data)
    assert shows_errors(response) and "NOPE" in response.content.decode()
    # fixed, the order is placed on the dealer's behalf
    data["lines-1-sku"], data["lines-1-qty"] = "", ""
    response = rep.post("/bo/orders/new/", data)
    assert response.status_code == 302
    with tenant_context(shop.tenant):
        order = Order.objects.latest("id")
    assert order.on_behalf and order.channel == Order.Channel.ON_BEHALF and order.dealer_id == shop.dealer.pk
    # a dealer the rep does not represent cannot be chosen
    data["dealer"] = str(shop.world.other_dealer.pk)
    assert shows_errors(rep.post("/bo/orders/new/", data))


def _stock_file(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["仓库编码", "SKU编码", "库存数量", "安全库存"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_stock_import_with_a_bad_row_names_that_row(shop, login, world_b, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_role(login, shop, Role.WAREHOUSE)
    upload = SimpleUploadedFile(
        "库存.xlsx", _stock_file([["GZ", "COLA", 500, 48], ["GZ", "NO-SUCH", 5, None], ["HZ", "WATER", -2, None]])
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/bo/inventory/import/", {"file": upload})
    assert response.status_code == 302
    job_url = response["Location"]
    body = client.get(job_url).content.decode()
    assert 'data-status="failed"' in body
    errors = re.search(r'data-testid="import-errors".*?</table>', body, re.S).group(0)
    assert "NO-SUCH" in errors and re.search(r">\s*3\s*<", errors) and re.search(r">\s*4\s*<", errors)
    # the error report downloads, for the tenant's staff allowed to import stock only
    report = client.get(job_url + "report.xlsx")
    assert report.status_code == 200 and b"".join(report.streaming_content)[:2] == b"PK"
    assert as_role(login, shop, Role.FINANCE).get(job_url + "report.xlsx").status_code == 403
    outsider = login(world_b.user(Role.OWNER), Client())
    assert outsider.get(job_url).status_code == 404 and outsider.get(job_url + "report.xlsx").status_code == 404
    # and nothing was saved
    with tenant_context(shop.tenant):
        assert Stock.objects.get(warehouse__code="GZ", sku__code="COLA").on_hand == D(1000)
        assert Job.objects.get().status == Job.Status.FAILED


def test_an_upload_that_is_not_xlsx_is_refused_on_the_form(shop, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_role(login, shop, Role.OWNER)
    response = client.post("/bo/catalog/import/", {"file": SimpleUploadedFile("x.csv", b"a,b")})
    assert shows_errors(response) and 'id="id_file_errors"' in response.content.decode()


def test_catalog_and_prices_are_edited_through_their_services(shop, login):
    client = as_role(login, shop, Role.ADMIN)
    sku = shop.skus["COLA"]
    # a product's status
    response = client.post(f"/bo/catalog/products/{sku.product_id}/status/", {"status": "discontinued"})
    assert response.status_code == 302
    # a price list with volume tiers
    response = client.post("/bo/prices/new/", {"code": "PL-GOLD", "name": "金牌价", "kind": "list", "is_active": "on"})
    assert response.status_code == 302
    pl_url = response["Location"]
    response = client.post(pl_url + "items/", {"sku": "COLA", "tiers": "1=2.80; 240=2.60"})
    assert response.status_code == 302
    body = client.get(pl_url).content.decode()
    assert "¥2.80" in body and "¥2.60" in body
    # a bad tier is named on the form
    response = client.post(pl_url + "items/", {"sku": "COLA", "tiers": "0=1"})
    assert shows_errors(response) and 'id="id_tiers_errors"' in response.content.decode()
    # a promotion of each kind
    base = {"valid_from": "2030-01-01T00:00", "valid_to": "2030-02-01T00:00", "priority": "0", "stackable": "on",
            "is_active": "on"}  # fmt: skip
    for kind, extra in [
        ("threshold", {"threshold": "500", "off": "30", "repeat": "on"}),
        ("percent", {"percent": "5"}),
        ("gift", {"buy_qty": "10", "buy_unit": "箱", "gift_sku": "WATER", "gift_qty": "1"}),
        ("flash", {"flash_sku": "COLA", "flash_price": "2.00", "total_cap": "240"}),
    ]:
        data = {**base, **extra, "kind": kind, "code": f"P-{kind}", "name": f"测试{kind}"}
        response = client.post(f"/bo/promotions/new/?kind={kind}", data)
        assert response.status_code == 302, (
            kind,
            re.findall(r"invalid-feedback[^>]*>([^<]+)", response.content.decode()),
        )
    with tenant_context(shop.tenant):
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"product.status_changed", "price_list.created", "price_item.set", "promotion.created"} <= actions


def test_a_refused_product_status_change_is_shown_on_the_products_page(shop, login):
    # given a product on sale (which cannot go back to draft)
    client = as_role(login, shop, Role.ADMIN)
    product_id = shop.skus["COLA"].product_id
    url = f"/bo/catalog/products/{product_id}/status/"
    # when the status form asks for a move the flow refuses, or for no known status at all
    for status in ("draft", "nonsense", ""):
        response = client.post(url, {"status": status}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        # then the product's page comes back with the reason, and the product is unchanged
        assert shows_errors(response), (status, response.status_code)
        assert 'data-testid="product-status-errors"' in response.content.decode(), status
    with tenant_context(shop.tenant):
        from dinghuo.catalog.models import Product

        assert Product.objects.get(pk=product_id).status == Product.Status.ON_SALE


def test_an_admin_manages_a_dealer_through_its_pages_and_each_change_is_audited(shop, login):
    from dinghuo.accounts.models import Membership
    from dinghuo.dealers.models import Dealer, DealerRegion, DealerTier

    client = as_role(login, shop, Role.ADMIN)
    rep = shop.world.user(Role.SALES_REP)
    # given a new tier, made on the tiers page
    assert (
        client.post("/bo/dealers/tiers/", {"what": "tier", "code": "gold", "name": "金牌", "rank": "9"}).status_code
        == 302
    )
    with tenant_context(shop.tenant):
        gold = DealerTier.objects.get(code="gold")
        std = DealerTier.objects.exclude(pk=gold.pk).first()
    # when an admin creates a dealer, then moves it to that tier with a sales rep
    response = client.post(
        "/bo/dealers/new/", {"code": "SZ09", "name": "深圳新店", "tier": std.pk, "region_code": "440300"}
    )
    assert response.status_code == 302, re.findall(r"invalid-feedback[^>]*>([^<]+)", response.content.decode())
    with tenant_context(shop.tenant):
        dealer = Dealer.objects.get(code="SZ09")
    edit = {"name": "深圳新店", "tier": gold.pk, "sales_rep": rep.pk, "region_code": "440300"}
    assert client.post(f"/bo/dealers/{dealer.pk}/edit/", edit).status_code == 302
    # and authorises it for two regions, adds an address and a buyer, and suspends it
    assert client.post(f"/bo/dealers/{dealer.pk}/regions/", {"regions": "440300, 广州市"}).status_code == 302
    address = {"receiver": "李四", "phone": "13800000000", "text": "广东省深圳市南山区科苑路15号"}
    assert client.post(f"/bo/dealers/{dealer.pk}/addresses/", address).status_code == 302
    user = {"username": "sz09-buyer", "display_name": "王五", "role": Role.BUYER, "password": "Qingquan#2026"}
    assert client.post(f"/bo/dealers/{dealer.pk}/users/", user).status_code == 302
    assert client.post(f"/bo/dealers/{dealer.pk}/status/", {"status": "suspended", "reason": "欠款"}).status_code == 302
    # then the dealer is what the pages said, and every change has its audit row
    with tenant_context(shop.tenant):
        dealer.refresh_from_db()
        assert (dealer.tier_id, dealer.sales_rep_id, dealer.status) == (gold.pk, rep.pk, "suspended")
        assert set(DealerRegion.objects.filter(dealer=dealer).values_list("region_code", flat=True)) == {
            "440300", "440100"}  # fmt: skip
        assert Membership.objects.filter(dealer=dealer, role=Role.BUYER, user__username="sz09-buyer").exists()
        actions = set(AuditEntry.objects.filter(object_id=str(dealer.pk)).values_list("action", flat=True))
    assert {"dealer.created", "dealer.updated", "dealer.regions_changed", "dealer.status_changed"} <= actions, actions
    page = client.get(f"/bo/dealers/{dealer.pk}/").content.decode()
    assert "深圳新店" in page and "sz09-buyer" in page and "科苑路15号" in page
    # and an unknown region is named next to the field, the regions unchanged
    response = client.post(
        f"/bo/dealers/{dealer.pk}/regions/", {"regions": "440300, 火星"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert shows_errors(response) and "火星" in response.content.decode()


def test_the_exported_workbooks_are_named_in_chinese(shop, login):
    # given the owner reading the back office in Chinese
    client = as_role(login, shop, Role.OWNER)
    for path, name in [("/bo/catalog/export.xlsx", "商品"), ("/bo/prices/export.xlsx", "价目表"),
                       ("/bo/promotions/export.xlsx", "促销")]:  # fmt: skip
        # when an export downloads
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        # then its file name says what it holds in Chinese
        assert response.status_code == 200 and response.content[:2] == b"PK", path
        assert quote(name) in response["Content-Disposition"], (path, response["Content-Disposition"])


def test_adjusting_stock_needs_a_reason_and_is_audited(shop, login):
    client = as_role(login, shop, Role.WAREHOUSE)
    with tenant_context(shop.tenant):
        stock = Stock.objects.get(warehouse__code="GZ", sku__code="COLA")
    response = client.post(f"/bo/inventory/stock/{stock.pk}/adjust/", {"mode": "set", "qty": "990", "reason": ""})
    assert shows_errors(response) and 'id="id_reason_errors"' in response.content.decode()
    response = client.post(f"/bo/inventory/stock/{stock.pk}/adjust/", {"mode": "delta", "qty": "-10", "reason": "破损"})
    assert response.status_code == 302
    assert reload(Stock, stock.pk, shop.tenant).on_hand == D(990)
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.filter(action="stock.adjusted", reason="破损").exists()


def test_the_audit_verify_button_checks_the_chain(shop, login):
    client = as_role(login, shop, Role.OWNER)
    response = client.post("/bo/audit/verify/", follow=True)
    assert response.status_code == 200
    assert "alert-success" in response.content.decode()
    assert as_role(login, shop, Role.REVIEWER).post("/bo/audit/verify/").status_code == 403


def test_promotions_export_to_xlsx_with_the_lists_filters(shop, login):
    # given a gift promotion and a percentage discount
    from tests.pricing.factories import make_promotion

    cola = shop.skus["COLA"]
    make_promotion(shop.tenant, "gift", {"buy_qty": "10", "gift_qty": "1"}, code="GIFT1", name="买十送一",
                   scope={"skus": [cola.pk]})  # fmt: skip
    make_promotion(shop.tenant, "percent", {"percent": "10"}, code="PCT1", name="九折", scope={"skus": [cola.pk]})
    client = as_role(login, shop, Role.FINANCE)
    assert "promotions/export.xlsx" in client.get("/bo/promotions/").content.decode()
    # when the list filtered to gifts is exported
    response = client.get("/bo/promotions/export.xlsx", {"kind": "gift"})
    # then the workbook holds that promotion only, with its code, name and rules
    assert response.status_code == 200 and response["Content-Disposition"].rstrip('"').endswith(".xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["GIFT1"]
    assert rows[1][1] == "买十送一" and rows[1][3]
    # and a dealer's user cannot export them
    assert as_role(login, shop, Role.BUYER).get("/bo/promotions/export.xlsx").status_code == 403


def test_brands_attributes_and_warehouses_are_listed_a_page_at_a_time(shop, login):
    # given more brands than a page holds
    from dinghuo.catalog.models import Brand

    with tenant_context(shop.tenant):
        Brand.objects.bulk_create(
            [Brand(tenant_id=shop.tenant.pk, code=f"B{i:03d}", name=f"品牌{i:03d}") for i in range(57)]
        )
        total = Brand.objects.count()
    client = as_role(login, shop, Role.OWNER)
    # when the owner opens the brand list, then its second page
    first = client.get("/bo/catalog/brands/")
    second = client.get("/bo/catalog/brands/?page=2")
    # then the first page shows 50 of them and says how many there are, the second the rest
    assert first.status_code == 200 and second.status_code == 200
    assert f'data-total="{total}"' in first.content.decode()
    assert first.content.decode().count("?brand=") == 50
    assert second.content.decode().count("?brand=") == total - 50
    # and the attribute and warehouse lists carry the same pager
    for url in ("/bo/catalog/attributes/", "/bo/inventory/warehouses/"):
        assert 'data-testid="pager"' in client.get(url).content.decode(), url
    # and the tiers page pages its two tables apart, the price groups by their own parameter
    from dinghuo.dealers.models import PriceGroup

    with tenant_context(shop.tenant):
        PriceGroup.objects.bulk_create(
            [PriceGroup(tenant_id=shop.tenant.pk, code=f"G{i:03d}", name=f"组{i}") for i in range(51)]
        )
    tiers_page = client.get("/bo/dealers/tiers/").content.decode()
    assert tiers_page.count('data-testid="pager"') == 2
    assert "gpage=2" in tiers_page and "?page=2" not in tiers_page


def test_the_order_filters_fold_away_on_small_screens_unless_they_need_attention(shop, login):
    client = as_role(login, shop, Role.OWNER)
    # folded below md (the button opens them), always shown from md up
    body = client.get("/bo/orders/").content.decode()
    assert '<div class="collapse d-md-block" id="order-filters">' in body
    assert 'data-bs-target="#order-filters" aria-expanded="false"' in body
    # the button counts the filters in force
    body = client.get("/bo/orders/", {"q": "COLA", "channel": "portal"}).content.decode()
    assert re.search(r'data-testid="filters-toggle">.*?<span class="badge[^"]*">2</span>', body)
    # and a bad value opens them, so the error next to the field is seen
    body = client.get("/bo/orders/", {"date_from": "yesterday"}).content.decode()
    assert '<div class="collapse d-md-block show" id="order-filters">' in body
    assert 'aria-expanded="true"' in body
