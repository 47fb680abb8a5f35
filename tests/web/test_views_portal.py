"""The dealer portal's pages through the Django test client: permissions, isolation, bounded queries,
inline translated form errors, no 500 for bad input, and one order per checkout form."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Category, Product, Sku, SkuUnit
from dinghuo.catalog.search import reindex_products
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.finance.models import LedgerEntry
from dinghuo.finance.services import account_for, balance_credit
from dinghuo.notify.models import Notification
from dinghuo.orders.cart import cart_add, cart_for
from dinghuo.orders.models import CartLine, Order
from dinghuo.orders.placement import order_place
from dinghuo.pricing.engine import CartItem
from tests.orders.factories import make_shop

D = Decimal


@pytest.fixture
def shop(world):
    shop = make_shop(world, prepaid="500.00", rebate="100.00")
    with tenant_context(world.tenant):
        reindex_products()
    return shop


def client_for(login, shop, role: str = Role.BUYER) -> Client:
    return login(shop.world.user(role), Client())


def place(shop, dealer=None, actor=None, qty: int = 2) -> Order:
    dealer = dealer or shop.dealer
    with tenant_context(shop.tenant):
        return order_place(
            actor=actor or Actor.system(shop.tenant.pk),
            dealer_id=dealer.pk,
            items=[CartItem(sku_id=shop.skus["COLA"].pk, qty=D(qty), unit="箱")],
        ).order


def fill_cart(shop, role: str = Role.BUYER, qty: str = "2", code: str = "COLA", unit: str = "箱") -> None:
    actor = shop.world.actor(role)
    with tenant_context(shop.tenant, actor):
        cart_add(actor=actor, cart=cart_for(actor=actor), sku_id=shop.skus[code].pk, qty=D(qty), unit=unit)


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def address_of(body: str) -> str:
    return re.search(r'name="address" id="addr-\d+" value="(\d+)"', body).group(1)


def more_products(shop, n: int) -> None:
    with tenant_context(shop.tenant):
        category = Category.objects.first()
        for i in range(n):
            product = Product.objects.create(
                code=f"P-X{i}", name=f"清泉可乐 批量{i}", category=category, status=Product.Status.ON_SALE
            )
            sku = Sku.objects.create(product=product, code=f"X{i}", name="500ml×24瓶", base_unit="瓶", list_price=D(3))
            SkuUnit.objects.create(sku=sku, name="瓶", factor=D(1))
            SkuUnit.objects.create(sku=sku, name="箱", factor=D(24), is_default=True)
        reindex_products()


# --- every page answers, and answers only the right people ------------------------------------------


def test_a_buyer_sees_every_portal_page(shop, login):
    # given a buyer with something in the cart and a past order
    client = client_for(login, shop)
    fill_cart(shop)
    order = place(shop)
    product = shop.skus["COLA"].product_id
    # when they open each page, then each answers
    for path in [
        "/portal/",
        "/portal/catalog/",
        "/portal/catalog/?q=可乐",
        "/portal/catalog/?q=kele",
        "/portal/catalog/?q=qqkl",
        "/portal/catalog/?match=24瓶",
        "/portal/catalog/suggest/?q=kl",
        f"/portal/products/{product}/",
        "/portal/cart/",
        "/portal/checkout/",
        "/portal/quick/",
        "/portal/import/",
        "/portal/orders/",
        f"/portal/orders/{order.pk}/",
        "/portal/account/",
        "/portal/account/notifications/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert client.get("/portal/import/template.xlsx").content[:2] == b"PK"
    pdf = client.get(f"/portal/orders/{order.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content


def test_chinese_search_and_pinyin_find_the_same_product(shop, login):
    client = client_for(login, shop)
    for q in ["可乐", "kele", "kl"]:
        body = client.get("/portal/catalog/", {"q": q}).content.decode()
        assert 'data-sku="COLA"' in body, q
    suggestions = client.get("/portal/catalog/suggest/", {"q": "kel"}).content.decode()
    assert "清泉可乐" in suggestions


def test_a_buyer_cannot_see_another_dealers_order(shop, login):
    # given an order of the sub-dealer, placed with the brand (not with its parent)
    theirs = place(shop, dealer=shop.world.other_dealer)
    client = client_for(login, shop)
    # then its pages do not exist for the buyer of the parent dealer
    for path in [f"/portal/orders/{theirs.pk}/", f"/portal/orders/{theirs.pk}/pdf/"]:
        assert client.get(path).status_code == 404, path
    assert client.post(f"/portal/orders/{theirs.pk}/cancel/").status_code == 404
    assert client.post(f"/portal/orders/{theirs.pk}/reorder/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status != Order.Status.CANCELLED
    # and it is not in their list either
    assert theirs.number not in client.get("/portal/orders/").content.decode()


def test_dealer_finance_reads_but_cannot_order(shop, login):
    client = client_for(login, shop, Role.DEALER_FINANCE)
    place(shop)
    # the permission matrix gives dealer finance no orders.place: the cart, checkout and quick order are closed
    for path in ["/portal/cart/", "/portal/checkout/", "/portal/quick/", "/portal/import/"]:
        assert client.get(path).status_code == 403, path
    sku = shop.skus["COLA"].pk
    assert client.post("/portal/cart/add/", {"sku": sku, "qty": "1"}).status_code == 403
    assert client.post("/portal/checkout/", {"token": "x" * 32}).status_code == 403
    with tenant_context(shop.tenant):
        assert not CartLine.objects.exists()
    # but it reads orders, balances and the ledger
    for path in ["/portal/orders/", "/portal/account/ledger/", "/portal/account/"]:
        assert client.get(path).status_code == 200, path
    # and the menu does not offer the cart
    assert "/portal/cart/" not in client.get("/portal/").content.decode()


def test_a_buyer_has_no_ledger_and_staff_have_no_portal(shop, login):
    assert client_for(login, shop).get("/portal/account/ledger/").status_code == 403
    staff = login(shop.world.user(Role.OWNER), Client())
    assert staff.get("/portal/").status_code == 403
    assert staff.get("/portal/catalog/").status_code == 403


def shown_skus(body: str) -> set[str]:
    return set(re.findall(r'data-sku="([^"]+)"', body))


def test_the_shelf_life_filter_keeps_only_skus_that_keep_at_most_that_long(shop, login):
    # given cola keeping 60 days, water a year, and a product with no shelf life
    with tenant_context(shop.tenant):
        Product.objects.filter(code="P-COLA").update(shelf_life_days=60)
        Product.objects.filter(code="P-WATER").update(shelf_life_days=365)
        Product.objects.filter(code="P-LOCAL").update(shelf_life_days=None)
    client = client_for(login, shop)
    everything = shown_skus(client.get("/portal/catalog/").content.decode())
    assert {"COLA", "WATER"} <= everything
    # when the buyer keeps those keeping at most 90 days
    response = client.get("/portal/catalog/", {"shelf_life_max": "90"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    # then only cola is left, the control keeps the choice and a chip removes it
    assert response.status_code == 200
    assert shown_skus(body) == {"COLA"}
    assert '<label for="f-shelf-life">保质期</label>' in body
    assert '<option value="90" selected>90 天以内</option>' in body
    assert 'class="dh-chip" href="?"' in body and "保质期 ≤ 90 天" in body
    # and a year lets water in as well, never the product without a shelf life
    year = shown_skus(client.get("/portal/catalog/", {"shelf_life_max": "365"}).content.decode())
    assert {"COLA", "WATER"} <= year and "LOCAL" not in year


def test_a_bad_shelf_life_is_reported_next_to_the_control_and_ignored(shop, login):
    client = client_for(login, shop)
    for bad in ["abc", "7", "-1", "9" * 30]:
        response = client.get("/portal/catalog/", {"shelf_life_max": bad}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        body = response.content.decode()
        assert response.status_code == 200, bad
        assert re.search(r'id="f-shelf-life-errors">请从列表中选择保质期。</div>', body), bad
        assert 'aria-describedby="f-shelf-life-errors"' in body
        assert {"COLA", "WATER"} <= shown_skus(body)  # the bad filter is ignored
        assert 'dh-chip"' not in body


# --- bounded queries ------------------------------------------------------------------------------


def test_the_catalog_page_issues_a_bounded_number_of_queries(shop, login, django_assert_max_num_queries):
    client = client_for(login, shop)
    more_products(shop, 30)
    client.get("/portal/catalog/?q=可乐")  # warm the session
    with django_assert_max_num_queries(26):
        response = client.get("/portal/catalog/", {"q": "可乐"})
    assert response.status_code == 200 and response.content.decode().count("dh-item-card") == 20
    with django_assert_max_num_queries(26):
        assert client.get("/portal/catalog/", {"in_stock": "1", "sort": "price_asc"}).status_code == 200


def test_the_order_list_issues_a_bounded_number_of_queries(shop, login, django_assert_max_num_queries):
    for _ in range(25):
        place(shop, qty=1)
    client = client_for(login, shop)
    with django_assert_max_num_queries(12):
        response = client.get("/portal/orders/")
    assert response.status_code == 200 and response.content.decode().count('class="dh-order"') == 20
    with django_assert_max_num_queries(12):
        assert client.get("/portal/orders/", {"status": "approved", "q": "COLA"}).status_code == 200


def test_the_ledger_issues_a_bounded_number_of_queries(shop, login, django_assert_max_num_queries):
    with tenant_context(shop.tenant):
        for i in range(40):
            balance_credit(
                actor=Actor.system(shop.tenant.pk), dealer=shop.dealer, bucket="prepaid", amount=D(i + 1), kind="topup"
            )
        assert LedgerEntry.objects.filter(account=account_for(shop.dealer)).count() > 40
    client = client_for(login, shop, Role.DEALER_FINANCE)
    with django_assert_max_num_queries(14):
        response = client.get("/portal/account/ledger/")
    assert response.status_code == 200 and response.content.decode().count("<tr><td") == 25


PORTAL_LISTS = ["/portal/", "/portal/orders/", "/portal/account/", "/portal/account/ledger/",
                "/portal/account/notifications/", "/portal/cart/", "/portal/checkout/"]  # fmt: skip


def test_the_portal_pages_issue_no_more_queries_for_many_rows_than_for_few(shop, login, django_assert_max_num_queries):
    # given a dealer admin with an order, a notification and a cart of one line, each page counted warm
    place(shop)
    with tenant_context(shop.tenant):
        Notification.objects.create(dealer=shop.dealer, title="通知 0")
    fill_cart(shop, role=Role.DEALER_ADMIN)
    client = client_for(login, shop, Role.DEALER_ADMIN)
    few = {}
    for path in PORTAL_LISTS:
        client.get(path)
        with django_assert_max_num_queries(60) as counted:
            assert client.get(path).status_code == 200, path
        few[path] = len(counted.captured_queries)
    # when there are many orders (with their ledger entries), notifications, and more cart lines
    for i in range(12):
        place(shop, qty=1 + i % 2)
    with tenant_context(shop.tenant):
        for i in range(1, 15):
            Notification.objects.create(dealer=shop.dealer, title=f"通知 {i}")
    fill_cart(shop, role=Role.DEALER_ADMIN, code="WATER", qty="2")
    fill_cart(shop, role=Role.DEALER_ADMIN, code="PREORDER", qty="1")
    # then no page issues a query more than it did for a few rows
    for path in PORTAL_LISTS:
        with django_assert_max_num_queries(few[path]):
            assert client.get(path).status_code == 200, path


# --- checkout: one order per form, errors in place ----------------------------------------------


def test_double_submitting_checkout_creates_one_order(shop, login):
    # given a cart and the checkout form with its per-form token
    client = client_for(login, shop)
    fill_cart(shop)
    body = client.get("/portal/checkout/").content.decode()
    data = {"token": token_of(body), "address": address_of(body), "pay_prepaid": "0", "pay_rebate": "0", "note": ""}
    with tenant_context(shop.tenant):
        before = Order.objects.count()
    # when the same form is submitted twice (a double tap, a retry)
    first = client.post("/portal/checkout/", data)
    second = client.post("/portal/checkout/", data)
    # then one order exists and both answers lead to it
    with tenant_context(shop.tenant):
        assert Order.objects.count() == before + 1
        order = Order.objects.order_by("-id").first()
        assert not CartLine.objects.exists()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/portal/orders/{order.pk}/"
    detail = client.get(first["Location"]).content.decode()
    assert order.number in detail and 'data-testid="timeline"' in detail


def test_checkout_errors_show_next_to_their_fields_translated(shop, login):
    client = client_for(login, shop)
    fill_cart(shop)
    body = client.get("/portal/checkout/").content.decode()
    data = {"token": token_of(body), "address": address_of(body), "pay_prepaid": "-5", "pay_rebate": "999999"}
    response = client.post(
        "/portal/checkout/", {**data, "requested_date": "2001-01-01"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200  # the form again, with its errors (a 4xx page is a console error)
    page = response.content.decode()
    with translation.override("zh-hans"):
        negative = str(translation.gettext("The amount cannot be negative."))
        past = str(translation.gettext("The delivery date cannot be in the past."))
        rebate = translation.gettext("Your rebate balance is %(balance)s.") % {"balance": "¥100.00"}
    for field, message in (("pay_prepaid", negative), ("pay_rebate", rebate), ("requested_date", past)):
        assert re.search(rf'id="id_{field}_errors">\s*<li>{re.escape(message)}</li>', page), field
        assert f'aria-describedby="id_{field}_errors"' in page
    with tenant_context(shop.tenant):
        assert not Order.objects.exists()


def test_an_order_the_rules_block_explains_why_in_plain_words(shop, login):
    client = client_for(login, shop)
    fill_cart(shop, qty="25", code="WATER", unit="瓶")  # not a multiple of 24, below the MOQ of 48
    body = client.get("/portal/checkout/").content.decode()
    assert 'data-testid="qty-hints"' not in body  # (the hints are the cart's)
    response = client.post(
        "/portal/checkout/", {"token": token_of(body), "address": address_of(body), "pay_prepaid": "0"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="rule-results"' in page
    assert "WATER" in page and "48" in page
    cart = client.get("/portal/cart/").content.decode()
    assert 'data-testid="qty-hints"' in cart


def test_the_sub_user_form_shows_its_errors_next_to_the_fields(shop, login):
    client = client_for(login, shop, Role.DEALER_ADMIN)
    response = client.post(
        "/portal/account/users/", {"username": "", "display_name": "x", "role": "owner", "password": "1"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    with translation.override("zh-hans"):
        required = str(translation.gettext("This field is required."))
    assert required != "This field is required."  # Chinese, from the compiled catalog
    assert re.search(rf'id="id_username_errors"><li>{re.escape(required)}</li>', page)
    assert 'id="id_role_errors"' in page and 'id="id_password_errors"' in page


# --- bad input is an answer, never a 500 ------------------------------------------------------------


def test_bad_input_is_answered_never_a_500(shop, login, world_b):
    client = client_for(login, shop)
    fill_cart(shop)
    with tenant_context(world_b.tenant):
        category = Category.objects.create(code="b", name="B")
        product = Product.objects.create(code="PB", name="B品", category=category, status="on_sale")
        foreign = Sku.objects.create(product=product, code="B1", name="b", list_price=D(1))
    with tenant_context(shop.tenant):
        line = CartLine.objects.get()
    hx = {"HTTP_HX_REQUEST": "true"}
    posts = [
        ("/portal/cart/add/", {"sku": shop.skus["COLA"].pk, "qty": "-3"}),
        ("/portal/cart/add/", {"sku": shop.skus["COLA"].pk, "qty": "abc"}),
        ("/portal/cart/add/", {"sku": shop.skus["COLA"].pk, "qty": "1e999"}),
        ("/portal/cart/add/", {"sku": shop.skus["COLA"].pk, "qty": "1", "unit": "吨"}),
        ("/portal/cart/add/", {"sku": "999999999", "qty": "1"}),
        ("/portal/cart/add/", {"sku": foreign.pk, "qty": "1"}),
        ("/portal/cart/add/", {"sku": shop.skus["OLD"].pk, "qty": "1"}),
        ("/portal/cart/add/", {"sku": "x", "qty": "1"}),
        (f"/portal/cart/lines/{line.pk}/", {"qty": "-5"}),
        (f"/portal/cart/lines/{line.pk}/", {"qty": "zz"}),
        ("/portal/cart/lines/999999999/", {"qty": "1"}),
        ("/portal/cart/lines/99999999999999999999/", {"qty": "1"}),
        ("/portal/cart/lines/99999999999999999999/remove/", {}),
        ("/portal/orders/99999999999999999999/cancel/", {}),
        ("/portal/orders/99999999999999999999/receive/", {}),
        ("/portal/orders/99999999999999999999/reorder/", {}),
        ("/portal/quick/", {"text": "NOPE 3\nCOLA -1\n???"}),
        ("/portal/checkout/", {"token": "short", "address": "999999999", "pay_prepaid": "x"}),
        ("/portal/import/", {}),
        (f"/portal/account/notifications/{999999999}/read/", {}),
    ]
    for path, data in posts:
        for extra in ({}, hx):
            response = client.post(path, data, **extra)
            assert response.status_code < 500, (path, data, response.status_code)
    gets = [
        "/portal/catalog/?page=abc&price_min=x&price_max=-1&category=99999999&brand=z&attr=bad&attr=a:1..x&sort=evil",
        "/portal/catalog/?q=" + "可" * 500,
        "/portal/catalog/?match=",
        "/portal/catalog/?match=%%%",
        "/portal/catalog/suggest/?q=" + "x" * 500,
        f"/portal/products/{product.pk}/",
        "/portal/products/999999999/",
        "/portal/products/99999999999999999999/",
        "/portal/orders/99999999999999999999/pdf/",
        "/portal/orders/?date_from=yesterday&date_to=2026-13-45&status=nonsense&page=-1",
        "/portal/orders/999999999/",
        "/portal/account/ledger/?bucket=evil&page=zz",
        "/portal/import/999999999/",
    ]
    for path in gets:
        assert client.get(path).status_code < 500, path
    assert client.get(f"/portal/products/{product.pk}/").status_code == 404
    with tenant_context(shop.tenant):
        assert CartLine.objects.get().qty == D(2)  # nothing bad was added, the line kept its quantity


def test_adding_to_the_cart_answers_htmx_with_the_form_the_toast_and_the_badge(shop, login):
    client = client_for(login, shop)
    response = client.post(
        "/portal/cart/add/", {"sku": shop.skus["COLA"].pk, "qty": "3", "unit": "箱"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="cart-badge"' in page and 'hx-swap-oob="true"' in page and 'id="toasts"' in page
    with tenant_context(shop.tenant):
        assert CartLine.objects.get().qty == D(3)
    bad = client.post("/portal/cart/add/", {"sku": shop.skus["COLA"].pk, "qty": "-1"}, HTTP_HX_REQUEST="true")
    assert 'class="dh-errors"' in bad.content.decode() and 'id="toasts"' not in bad.content.decode()


def test_the_quick_order_pad_names_every_bad_line(shop, login):
    client = client_for(login, shop)
    response = client.post("/portal/quick/", {"text": "COLA 2箱\nNOPE 3\nWATER 48瓶"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="quick-errors"' in page
    assert re.search(r"<td>2</td><td[^>]*>NOPE 3</td>", page)
    with tenant_context(shop.tenant):
        assert not CartLine.objects.exists()  # all or nothing
    ok = client.post("/portal/quick/", {"text": "COLA 2箱\nWATER 48瓶"})
    assert ok.status_code == 302
    with tenant_context(shop.tenant):
        assert CartLine.objects.count() == 2


# --- orders ---------------------------------------------------------------------------------------------


def test_a_buyer_cancels_reorders_and_the_timeline_tells_it(shop, login):
    client = client_for(login, shop)
    order = place(shop, actor=shop.buyer())
    assert client.post(f"/portal/orders/{order.pk}/reorder/").status_code == 302
    with tenant_context(shop.tenant):
        assert CartLine.objects.count() == 1
    assert client.post(f"/portal/orders/{order.pk}/cancel/", {"reason": "下错了"}).status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "下错了" in page and "#cancel-box" not in page
    # a cancelled order cannot be cancelled again: an answer, not an error page
    again = client.post(
        f"/portal/orders/{order.pk}/cancel/", HTTP_REFERER=f"http://testserver/portal/orders/{order.pk}/"
    )
    assert again.status_code == 302


def test_the_order_list_filters_by_status_date_and_sku(shop, login):
    client = client_for(login, shop)
    kept = place(shop)
    gone = place(shop)
    from dinghuo.orders.services import order_cancel

    with tenant_context(shop.tenant):
        order_cancel(actor=Actor.system(shop.tenant.pk), order_id=gone.pk)
    body = client.get("/portal/orders/", {"status": "cancelled"}).content.decode()
    assert gone.number in body and kept.number not in body
    body = client.get("/portal/orders/", {"q": kept.number}).content.decode()
    assert kept.number in body and gone.number not in body
    body = client.get("/portal/orders/", {"date_from": "2000-01-01", "date_to": "2000-01-02"}).content.decode()
    assert kept.number not in body
    bad = client.get("/portal/orders/", {"date_from": "2026-02-30"}).content.decode()
    assert 'id="id_date_from_errors"' in bad and kept.number in bad  # reported, and ignored


# --- Excel import ------------------------------------------------------------------------------------


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单分组", "SKU编码", "数量", "单位"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_import_with_a_bad_row_names_it_and_only_its_creator_gets_the_report(
    shop, login, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(login, shop)
    upload = SimpleUploadedFile("orders.xlsx", xlsx([["A", "COLA", "2", "箱"], ["B", "NOPE", "1", ""]]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/import/", {"file": upload})
    assert response.status_code == 302
    job_url = response["Location"]
    page = client.get(job_url).content.decode()
    assert 'data-status="done"' in page and "NOPE" in page and 'data-testid="import-errors"' in page
    assert re.search(r"<td>3</td><td>B</td>", page)  # row 3 of the sheet, order group B
    report = client.get(job_url + "report.xlsx")
    assert report.status_code == 200 and b"".join(report.streaming_content)[:2] == b"PK"
    # another user of the same dealer gets nothing
    admin = client_for(login, shop, Role.DEALER_ADMIN)
    assert admin.get(job_url).status_code == 404
    assert admin.get(job_url + "report.xlsx").status_code == 404


def test_a_wrong_file_is_refused_next_to_the_field(shop, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(login, shop)
    response = client.post("/portal/import/", {"file": SimpleUploadedFile("orders.csv", b"a,b\n1,2")})
    assert response.status_code == 200 and 'id="id_file_errors"' in response.content.decode()


# --- notifications ----------------------------------------------------------------------------------


def test_notifications_of_the_user_and_its_dealer_are_marked_read_only_by_them(shop, login):
    with tenant_context(shop.tenant):
        mine = Notification.objects.create(user=shop.world.user(Role.BUYER), title="发货通知")
        dealer_wide = Notification.objects.create(dealer=shop.dealer, title="五一放假通知")
        theirs = Notification.objects.create(dealer=shop.world.other_dealer, title="别人的通知")
    client = client_for(login, shop)
    page = client.get("/portal/account/notifications/").content.decode()
    assert "发货通知" in page and "五一放假通知" in page and "别人的通知" not in page
    assert client.post(f"/portal/account/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/portal/account/notifications/{mine.pk}/read/").status_code == 302
    assert client.post("/portal/account/notifications/read/").status_code == 302
    for n in (mine, dealer_wide, theirs):
        n.refresh_from_db()
    assert mine.read_at and dealer_wide.read_at and theirs.read_at is None


def test_the_cart_hints_the_next_volume_price_in_the_unit_the_line_is_ordered_in(shop, login):
    # given COLA at ¥3.00 a bottle, ¥2.50 from 240 bottles (10 cases of 24), and 2 cases in the cart
    from tests.pricing.factories import make_price_list

    make_price_list(shop.tenant, prices={shop.skus["COLA"]: [("1", "3.00"), ("240", "2.50")]})
    fill_cart(shop, qty="2")
    # when the buyer opens the cart
    page = client_for(login, shop).get("/portal/cart/").content.decode()
    # then the hint counts the 8 cases still missing, not 192 bottles, and prices the bottle
    hint = re.search(r'dh-hint-good">.*?</i>(.*?)</div>', page, re.S).group(1)
    assert "8" in hint and "箱" in hint and "192" not in hint and "¥2.50" in hint


def test_the_progress_bar_counts_a_step_passed_over_as_done():
    # given an order that went from approved straight to shipped, without a picking step
    from types import SimpleNamespace

    from dinghuo.portal.views.orders import _progress

    events = [SimpleNamespace(to_status=s) for s in ("submitted", "approved", "shipped")]
    order = SimpleNamespace(status=Order.Status.SHIPPED, events=SimpleNamespace(all=lambda: events))
    # when its progress is drawn, then every step up to 'shipped' is done, and only receipt is to come
    assert [s["done"] for s in _progress(order)] == [True, True, True, True, False]
