"""The brand back office in a real browser against the real server and the demo: an over-limit order
reviewed and approved, an order shipped in two parts that the dealer follows on the portal, the
dashboard's charts, a stock import with a bad row, and the back office on a phone."""

from __future__ import annotations

import io
import re

COLA = "BV1001-500B24"  # 清泉 可乐 500ml×24瓶, in stock in the 广州 warehouse


def switch_user(w, username: str) -> None:
    w.page.context.clear_cookies()
    w.login(username)


def set_credit_limit(w, dealer_code: str, limit: str) -> None:
    """As finance, on the dealer's page: change the credit limit (audited, through finance's service)."""
    w.go(f"/bo/dealers/?q={dealer_code}")
    w.page.locator("[data-testid=dealer-rows] tbody a").first.click()
    w.page.wait_for_load_state()
    w.page.click("button[data-bs-target='#credit-form']")
    # Bootstrap animates the form open (.collapsing, overflow hidden): a click on its submit button
    # before the animation ends can be lost (no submit, no request), so wait until it is fully open
    w.page.wait_for_selector("#credit-form.collapse.show")
    w.page.fill("#id_credit_limit", limit)
    w.page.fill("#id_terms_days", "30")
    w.page.fill("#id_reason", "浏览器测试：调整授信")
    with w.page.expect_navigation():
        w.page.click("#credit-form button[type=submit]")
    assert w.page.locator("[data-testid=credit-limit]").inner_text().replace(",", "") == f"¥{limit}.00"
    # the change is listed on the page, newest first, with its reason
    w.page.click("[data-testid=credit-history] summary")
    newest = w.page.locator("[data-testid=credit-history] li").first.inner_text()
    assert f"→ ¥{limit}.00" in newest.replace(",", "") and "浏览器测试：调整授信" in newest


def portal_order_on_credit(w, sku: str, qty: str) -> str:
    """As a dealer user on the portal: empty the cart, add ``qty`` cases of ``sku``, check out on credit."""
    w.go("/portal/cart/")
    clear = w.page.locator("form[action$='/cart/clear/'] button")
    if clear.count():
        w.page.once("dialog", lambda d: d.accept())
        clear.click()
        w.page.wait_for_load_state()
    w.go(f"/portal/catalog/?q={sku}")
    card = w.page.locator(f"article.dh-item[data-sku='{sku}']").first
    card.locator("input[name=qty]").fill(qty)
    card.locator("button[type=submit]").click()
    w.page.wait_for_selector("#toasts .toast")
    w.go("/portal/checkout/")
    w.page.click("[data-testid=place-order]")
    w.page.wait_for_selector("[data-testid=order-number]")
    return w.page.locator("[data-testid=order-number]").inner_text().strip()


def test_an_order_over_the_credit_limit_is_reviewed_and_approved(page):
    # given a dealer whose credit limit finance lowered to ¥100
    page.login("bev-finance")
    set_credit_limit(page, "ZJ01", "100")
    page.shot("credit-lowered")
    restored = False
    try:
        # when the dealer places two orders for more than that on the portal
        switch_user(page, "bev-zj01")
        number = portal_order_on_credit(page, COLA, "2")
        # then the order waits, and the dealer is told why in plain words
        assert page.page.locator("[data-testid=order-status]").get_attribute("data-status") == "pending_review"
        assert "¥100.00" in page.page.locator("[data-testid=order-checks]").inner_text()
        page.shot("portal-order-waits")
        second = portal_order_on_credit(page, COLA, "2")
        # and the orders wait in the review queue, with the credit rule's result in plain words
        switch_user(page, "bev-review")
        page.go("/bo/orders/review/")
        card = page.page.locator(f"[data-testid=review-order][data-number='{number}']")
        card.wait_for()
        assert "¥100.00" in card.inner_text()
        assert page.page.locator(f"[data-testid=review-order][data-number='{second}']").count() == 1
        page.shot("review-queue")
        # a reviewer without the right to override the credit limit is told why, on the order's page
        card.locator("[data-testid=approve]").click()
        page.page.wait_for_load_state()
        assert page.page.locator("[data-testid=order-status]").get_attribute("data-status") == "pending_review"
        assert page.page.locator("#review .alert-danger").count() == 1
        page.shot("reviewer-cannot-override")
        # the owner approves the first, overriding the limit with a reason
        switch_user(page, "bev-owner")
        page.go("/bo/orders/review/")
        card = page.page.locator(f"[data-testid=review-order][data-number='{number}']")
        card.locator("input[name=reason]").fill("老客户，月底回款")
        card.locator("input[name=override_credit]").check()
        card.locator("[data-testid=approve]").click()
        page.page.wait_for_load_state()
        assert page.page.locator(".alert-success").count() == 1
        assert page.page.locator(f"[data-testid=review-order][data-number='{number}']").count() == 0
        page.go(f"/bo/orders/?q={number}")
        page.page.locator(f"tr[data-number='{number}'] a").click()
        page.page.wait_for_load_state()
        assert page.page.locator("[data-testid=order-status]").get_attribute("data-status") == "approved"
        assert "老客户，月底回款" in page.page.locator("[data-testid=timeline]").inner_text()
        page.shot("approved-with-override")
        # once finance has raised the limit again, the reviewer approves the second one
        switch_user(page, "bev-finance")
        set_credit_limit(page, "ZJ01", "300000")
        restored = True
        switch_user(page, "bev-review")
        page.go("/bo/orders/review/")
        card = page.page.locator(f"[data-testid=review-order][data-number='{second}']")
        card.locator("input[name=reason]").fill("额度已恢复")
        card.locator("[data-testid=approve]").click()
        page.page.wait_for_load_state()
        assert page.page.locator(".alert-success").count() == 1
        assert page.page.locator(f"[data-testid=review-order][data-number='{second}']").count() == 0
        # and the dealer sees it approved, with the reviewer's word on its timeline
        switch_user(page, "bev-zj01")
        page.go(f"/portal/orders/?q={second}")
        page.page.locator(f".dh-order[data-number='{second}']").click()
        page.page.wait_for_load_state()
        assert page.page.locator("[data-testid=order-status]").get_attribute("data-status") == "approved"
        assert "额度已恢复" in page.page.locator("[data-testid=timeline]").inner_text()
        page.shot("dealer-sees-approved")
    finally:
        if not restored:
            switch_user(page, "bev-finance")
            set_credit_limit(page, "ZJ01", "300000")


def test_staff_ship_in_two_parts_and_the_dealer_sees_both_tracking_numbers(page):
    # given an order a sales rep places for 广东盛世 (代客下单): 4 cases of cola
    page.login("bev-sales")
    page.go("/bo/orders/new/")
    value = page.page.locator("#pick-dealer option", has_text="GD01 ").first.get_attribute("value")
    with page.page.expect_navigation():
        page.page.select_option("#pick-dealer", value)
    page.page.fill("#id_lines-0-sku", COLA)
    page.page.fill("#id_lines-0-qty", "4")
    page.page.fill("#id_lines-0-unit", "箱")
    page.page.fill("#id_note", "业务员代客下单（浏览器测试）")
    page.shot("order-for-a-dealer")
    page.page.click("[data-testid=place-order]")
    page.page.wait_for_selector("[data-testid=order-number]")
    assert page.page.locator("[data-testid=order-status]").get_attribute("data-status") == "approved"
    order_url = page.page.url.split(page.base_url, 1)[1]
    order_id = re.search(r"/bo/orders/(\d+)/", order_url).group(1)
    # when the warehouse picks it and ships 2 cases, then the other 2, with two tracking numbers
    switch_user(page, "bev-wh")
    page.go(order_url)
    page.page.click("[data-testid=pick]")
    page.page.wait_for_load_state()
    for tracking in ("SF7001000001", "SF7001000002"):
        page.page.click("[data-testid=ship]")
        page.page.wait_for_selector("[data-testid=ship-form]")
        page.page.locator("[data-testid=ship-form] input[name^=line_]").first.fill("48")
        page.page.fill("#id_carrier", "顺丰速运")
        page.page.fill("#id_tracking_no", tracking)
        page.shot(f"ship-{tracking}")
        page.page.click("[data-testid=ship-submit]")
        page.page.wait_for_selector("[data-testid=order-number]")
    assert page.page.locator("[data-testid=order-status]").get_attribute("data-status") == "shipped"
    assert page.page.locator("[data-testid=shipment]").count() == 2
    page.shot("shipped-in-two-parts")
    # then the dealer sees both tracking numbers on the portal's order page
    switch_user(page, "bev-gd01-buyer")
    page.go(f"/portal/orders/{order_id}/")
    shipments = page.page.locator("[data-testid=shipments]").inner_text()
    assert "SF7001000001" in shipments and "SF7001000002" in shipments
    page.shot("portal-tracking")


def test_the_dashboard_draws_its_charts(page):
    page.login("bev-owner")
    page.go("/bo/")
    for chart in ("#chart-daily", "#chart-provinces"):
        page.page.wait_for_selector(f"{chart} canvas")
    assert int(page.page.locator("[data-testid=stat-today-orders]").inner_text()) >= 0
    assert page.page.locator(".bo-sidebar .nav-link.active").count() == 1
    page.shot("dashboard")
    # a role without inventory sees no low-stock card but still the charts
    switch_user(page, "bev-finance")
    page.go("/bo/")
    page.page.wait_for_selector("#chart-daily canvas")
    assert page.page.locator("[data-testid=stat-low-stock]").count() == 0
    page.shot("dashboard-finance")


def _stock_workbook(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["仓库编码", "SKU编码", "库存数量", "安全库存"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_stock_import_with_one_bad_row_shows_that_rows_error(page, worker, tmp_path):
    # given a stocktake file whose third row names an unknown SKU
    path = tmp_path / "盘点.xlsx"
    path.write_bytes(
        _stock_workbook([["GZ", COLA, 2400, 240], ["GZ", "NO-SUCH-SKU", 5, None], ["CD", COLA, 240, None]])
    )
    page.login("bev-wh")
    page.go("/bo/inventory/import/")
    with page.page.expect_download() as template:
        page.page.click("[data-testid=template-link]")
    assert template.value.suggested_filename.endswith(".xlsx")
    # when it is uploaded
    page.page.set_input_files("input[name=file]", str(path))
    page.page.click("[data-testid=import-form] button[type=submit]")
    # then the progress follows the job until it fails, naming the bad row and its problem
    page.page.wait_for_selector("[data-testid=import-status][data-status=failed]", timeout=90_000)
    errors = page.page.locator("[data-testid=import-errors]").inner_text()
    assert "NO-SUCH-SKU" in errors and re.search(r"\b3\b", errors)
    page.shot("stock-import-error")
    with page.page.expect_download() as report:
        page.page.click("[data-testid=report-link]")
    assert report.value.suggested_filename.endswith(".xlsx")


def test_the_back_office_on_a_phone(phone):
    phone.login("bev-owner")
    phone.go("/bo/orders/")
    # the sidebar is an off-canvas menu behind the menu button
    assert not phone.page.locator("#bo-sidebar").is_visible()
    phone.page.click("button[data-bs-target='#bo-sidebar']")
    phone.page.wait_for_selector("#bo-sidebar.show")
    phone.shot("menu")
    phone.page.locator("#bo-sidebar a.nav-link[href='/bo/inventory/']").click()
    phone.page.wait_for_url(re.compile(r"/bo/inventory/$"))
    assert phone.page.locator("[data-testid=stock-rows] tbody tr").count() > 0
    phone.shot("inventory")
    phone.go("/bo/")
    phone.page.wait_for_selector("#chart-daily canvas")
    phone.shot("dashboard")


def test_the_order_list_on_a_phone_shows_orders_first_and_filters_on_demand(phone):
    phone.login("bev-owner")
    phone.go("/bo/orders/")
    # the filter panel is folded away, so the first order is on the first screen
    filters = phone.page.locator("#order-filters")
    assert not filters.is_visible()
    first = phone.page.locator("[data-testid=order-rows] tbody tr").first
    box, height = first.bounding_box(), phone.page.evaluate("() => window.innerHeight")
    assert box is not None and box["y"] + box["height"] <= height, (box, height)
    assert phone.page.evaluate("() => window.scrollY") == 0
    phone.shot("orders-folded")
    # the filter button opens it
    toggle = phone.page.locator("[data-testid=filters-toggle]")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    phone.page.wait_for_selector("#order-filters.show")
    assert phone.page.locator("#order-filters input[name=q]").is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    phone.shot("orders-filters-open")
    phone.assert_fits()
    # and on a desktop the panel is always open, without the button
    phone.page.set_viewport_size({"width": 1366, "height": 900})
    assert filters.is_visible() and not toggle.is_visible()
