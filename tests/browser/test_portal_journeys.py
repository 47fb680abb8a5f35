"""The dealer portal in a real browser against the real server and the demo: a buyer's whole journey
on a desktop and on a phone, an Excel import with a bad row, and a double-submitted checkout."""

from __future__ import annotations

import io
import re

BUYER = "bev-gd01-buyer"
COLA = "BV1001-500B24"  # 清泉 可乐 500ml×24瓶: 买10箱送1箱 gives a gift line, 满500减30 a discount


def empty_cart(w) -> None:
    w.go("/portal/cart/")
    clear = w.page.locator("form[action$='/cart/clear/'] button")
    if clear.count():
        w.page.once("dialog", lambda d: d.accept())
        clear.click()
        w.page.wait_for_load_state()


def orders_total(w) -> int:
    w.go("/portal/orders/")
    return int(w.page.locator("[data-testid=order-rows]").get_attribute("data-total"))


def search(w, text: str, box: str = "main input[data-suggest]") -> None:
    """Type like a person (the suggestions follow), then press Enter."""
    field = w.page.locator(box).first
    field.click()
    field.fill("")
    field.press_sequentially(text, delay=40)
    w.page.wait_for_selector("main .dh-suggest .dh-suggest-item, main .dh-suggest .dh-suggest-empty")
    field.press("Enter")
    w.page.wait_for_load_state()


def add_to_cart(w, sku: str, qty: str) -> None:
    card = w.page.locator(f"article.dh-item[data-sku='{sku}']").first
    card.locator("input[name=qty]").fill(qty)
    card.locator("button[type=submit]").click()
    w.page.wait_for_selector("#toasts .toast")


def check_out_on_credit(w) -> None:
    """Check out with nothing from the prepaid or rebate balances: the whole total goes on credit."""
    w.go("/portal/checkout/")
    assert w.page.locator("input[name=pay_prepaid]").input_value() in ("0.00", "0")
    assert w.page.locator("input[name=pay_rebate]").input_value() in ("0.00", "0")
    w.page.click("[data-testid=place-order]")
    w.page.wait_for_load_state()
    blocked = w.page.locator("[data-testid=rule-results]")
    assert not blocked.count(), blocked.inner_text() if blocked.count() else ""
    w.page.wait_for_selector("[data-testid=order-number]")
    total = w.page.locator("[data-testid=order-total]").inner_text().strip()
    assert w.page.locator("[data-testid=pay-credit]").inner_text().strip() == total
    assert w.page.locator("[data-testid=pay-prepaid]").count() == 0


def see_the_order_with_its_timeline(w) -> None:
    """The order page: approved at once, its progress, the gift line and the timeline, newest first."""
    assert w.page.locator("[data-testid=order-status]").get_attribute("data-status") == "approved"
    assert w.page.locator(".dh-progresssteps li.done").count() == 2
    assert w.page.locator(".dh-line-gift").count() == 1
    timeline = w.page.locator("[data-testid=timeline] li")
    assert timeline.count() >= 2
    assert "提交订单" in timeline.last.inner_text() and "已审核" in timeline.first.inner_text()


def test_a_dealer_searches_filters_orders_on_credit_and_follows_the_order(page):
    page.login(BUYER)
    empty_cart(page)
    # searching in Chinese: suggestions while typing, then the results
    page.go("/portal/catalog/")
    search(page, "可乐")
    assert int(page.page.locator("[data-testid=result-total]").get_attribute("data-total")) > 0
    card = page.page.locator(f"article[data-sku='{COLA}']")
    assert card.count() == 1
    # the dealer's own price and the promotion running on it show on the result
    assert card.locator("[data-testid=price]").inner_text().startswith("¥")
    assert "买10箱送1箱" in card.locator(".dh-badges").inner_text()
    page.shot("search-chinese")
    # and in pinyin, full and initials
    for q in ("kele", "kl"):
        search(page, q)
        assert page.page.locator(f"article[data-sku='{COLA}']").count() == 1, q
    page.shot("search-pinyin")
    # filtering: in stock only, then a brand; each shows as a removable chip
    with page.page.expect_navigation():
        page.page.check("#f-stock")
    assert "in_stock=1" in page.page.url
    with page.page.expect_navigation():
        page.page.locator(".dh-facets label.dh-chip-toggle").first.click()
    assert page.page.locator(".dh-chips .dh-chip").count() >= 2
    page.shot("filtered")
    # adding 10 cases: a toast, and the badge counts the line
    search(page, "可乐")
    add_to_cart(page, COLA, "10")
    assert page.page.locator("#cart-badge").inner_text().strip() == "1"
    # the cart: live prices, the promotions applied, the gift line, and why each price is what it is
    page.go("/portal/cart/")
    assert page.page.locator("[data-testid=gift-line]").count() == 1
    applied = page.page.locator("[data-testid=promotions-applied]").inner_text()
    assert "买10箱送1箱" in applied
    page.page.locator("details.dh-explain summary").first.click()
    assert page.page.locator("details.dh-explain[open] li").count() >= 2
    page.shot("cart")
    # changing the quantity re-prices the cart in place
    total_before = page.page.locator("[data-testid=cart-total]").inner_text()
    page.page.locator(".dh-line-qty [data-step='1']").first.click()
    page.page.wait_for_function(
        "t => document.querySelector('[data-testid=cart-total]').innerText !== t", arg=total_before
    )
    # checking out on credit, then the order with its timeline
    check_out_on_credit(page)
    see_the_order_with_its_timeline(page)
    page.shot("order")
    # and it is the first of the order list
    number = page.page.locator("[data-testid=order-number]").inner_text()
    page.go("/portal/orders/")
    assert page.page.locator(".dh-order").first.get_attribute("data-number") == number


def test_the_same_journey_on_a_phone(phone):
    phone.login(BUYER)
    empty_cart(phone)
    # the home page: search box, promotions, the bottom tab bar
    phone.go("/portal/")
    assert phone.page.locator(".portal-tabbar a").count() == 5
    assert phone.page.locator(".portal-tabbar").is_visible()
    assert phone.page.locator("[data-testid=promotions] .dh-promocard").count() > 0
    phone.assert_fits()
    phone.shot("home")
    # searching in Chinese, then in pinyin, from the home page's search box
    search(phone, "可乐")
    assert phone.page.locator(f"article[data-sku='{COLA}']").count() == 1
    search(phone, "kele")
    assert phone.page.locator(f"article[data-sku='{COLA}']").count() == 1
    assert "买10箱送1箱" in phone.page.locator(f"article[data-sku='{COLA}'] .dh-badges").inner_text()
    phone.assert_fits()
    phone.shot("results")
    # filters live in an off-canvas panel on a phone
    phone.page.click("button[data-bs-toggle='offcanvas'][data-bs-target='#filters']")
    phone.page.wait_for_selector("#filters.show")
    phone.page.check("#f-stock")
    phone.shot("filters")
    phone.page.click("#filters .dh-filter-actions button[type=submit]")
    phone.page.wait_for_url(re.compile(r"in_stock=1"))
    add_to_cart(phone, COLA, "10")
    assert phone.page.locator("#tab-cart-badge").inner_text().strip() == "1"
    # the cart from the tab bar, with the gift line and the bar to check out
    phone.page.click(".portal-tabbar a[data-tab=cart]")
    phone.page.wait_for_load_state()
    assert phone.page.locator("[data-testid=gift-line]").count() == 1
    assert "买10箱送1箱" in phone.page.locator("[data-testid=promotions-applied]").inner_text()
    assert phone.page.locator(".dh-checkoutbar").is_visible()
    phone.assert_fits()
    phone.shot("cart")
    phone.page.click(".dh-checkoutbar a")
    phone.page.wait_for_load_state()
    phone.assert_fits()
    phone.shot("checkout")
    check_out_on_credit(phone)
    see_the_order_with_its_timeline(phone)
    phone.assert_fits()
    phone.shot("order")
    number = phone.page.locator("[data-testid=order-number]").inner_text()
    phone.page.click(".portal-tabbar a[data-tab=orders]")
    phone.page.wait_for_load_state()
    assert phone.page.locator(".dh-order").first.get_attribute("data-number") == number
    phone.assert_fits()
    phone.shot("orders")


def _workbook(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单分组", "SKU编码", "数量", "单位", "备注"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_excel_import_with_one_bad_row_shows_that_rows_error(page, worker, tmp_path):
    # given a file with two good orders and one with an unknown code on its second row (on
    # PostgreSQL the worker places the good ones from forked processes)
    path = tmp_path / "订单导入.xlsx"
    path.write_bytes(
        _workbook(
            [["A", COLA, "2", "箱", "浏览器测试"], ["B", COLA, "1", "箱", ""], ["B", "NO-SUCH-SKU", "3", "箱", ""],
             ["C", COLA, "1", "箱", ""]]
        )
    )  # fmt: skip
    page.login(BUYER)
    page.go("/portal/import/")
    # the template downloads
    with page.page.expect_download() as template:
        page.page.click("[data-testid=template-link]")
    assert template.value.suggested_filename.endswith(".xlsx")
    # when it is uploaded
    page.page.set_input_files("input[name=file]", str(path))
    page.page.click("[data-testid=upload]")
    # then the progress bar follows the job until it is done, and the bad row is named
    page.page.wait_for_selector("[data-testid=import-status][data-status=done]", timeout=90_000)
    errors = page.page.locator("[data-testid=import-errors]").inner_text()
    assert "NO-SUCH-SKU" in errors and re.search(r"\b4\b", errors)
    assert page.page.locator(".dh-placed a").count() == 2
    page.shot("import-report")
    with page.page.expect_download() as report:
        page.page.click("[data-testid=report-link]")
    assert report.value.suggested_filename.endswith(".xlsx")


def test_double_submitting_checkout_creates_one_order(page):
    page.login(BUYER)
    empty_cart(page)
    page.go(f"/portal/catalog/?q={COLA}")
    add_to_cart(page, COLA, "2")
    before = orders_total(page)
    page.go("/portal/checkout/")
    # when the same checkout form goes twice at once (a double tap on a slow network)
    statuses = page.page.evaluate(
        """async () => {
            const form = document.getElementById('checkout-form');
            const send = () => fetch(form.action || location.href, {method: 'POST', body: new FormData(form),
                                                                   redirect: 'follow', credentials: 'same-origin'});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => [a.status, a.url]);
        }"""
    )
    # then both land on the same order, and there is one more order, not two
    assert [s for s, _u in statuses] == [200, 200], statuses
    assert statuses[0][1] == statuses[1][1] and "/portal/orders/" in statuses[0][1], statuses
    assert orders_total(page) == before + 1
    page.go(statuses[0][1].split(page.base_url, 1)[1])
    page.shot("one-order")


def test_checkout_and_quick_order_errors_show_next_to_their_fields(page):
    # given a buyer with cola in the cart, on the checkout page with the browser's own checks off
    # (so the server's answer is what shows)
    page.login(BUYER)
    empty_cart(page)
    page.go(f"/portal/catalog/?q={COLA}")
    add_to_cart(page, COLA, "2")
    page.go("/portal/checkout/")
    page.page.evaluate("() => document.getElementById('checkout-form').noValidate = true")
    # when they ask for a negative prepaid amount and a delivery date in the past
    page.page.fill("input[name=pay_prepaid]", "-5")
    page.page.fill("input[name=requested_date]", "2001-01-01")
    page.page.click("[data-testid=place-order]")
    page.page.wait_for_load_state()
    # then each error is next to its field, in Chinese, and no order is placed (the fixture also
    # checks that the page with the errors logs no console error)
    assert page.page.locator("#id_pay_prepaid_errors").inner_text().strip() == "金额不能为负数。"
    assert page.page.locator("#id_requested_date_errors").inner_text().strip() == "到货日期不能早于今天。"
    assert page.page.locator("input[name=pay_prepaid]").get_attribute("aria-describedby") == "id_pay_prepaid_errors"
    assert page.page.locator("[data-testid=order-number]").count() == 0
    page.shot("checkout-errors")
    # and the quick order pad names each line it cannot read
    page.go("/portal/quick/")
    page.page.fill("textarea[name=text]", f"NO-SUCH-SKU 3\n{COLA} 2 箱")
    page.page.locator("form:has(textarea[name=text]) button[type=submit]").click()
    page.page.wait_for_load_state()
    errors = page.page.locator("[data-testid=quick-errors]").inner_text()
    assert "NO-SUCH-SKU" in errors and COLA not in errors
    page.shot("quick-order-errors")


def test_the_header_search_placeholder_fits_beside_a_full_menu_at_1366(page):
    # given a dealer admin, whose menu also holds Finance and API keys, on a 1366×768 screen
    page.page.set_viewport_size({"width": 1366, "height": 768})
    page.login("bev-gd01")
    page.go("/portal/orders/")
    menu = page.page.locator(".dh-mainnav a").all_inner_texts()
    assert "财务" in menu and "API 密钥" in menu, menu
    # then the header's search box shows its whole placeholder
    box = page.page.locator(".dh-topsearch input[data-suggest]")
    assert box.is_visible()
    placeholder, text_width, room, scroll, client = box.evaluate(
        """(input) => {
            const style = getComputedStyle(input);
            const ctx = document.createElement("canvas").getContext("2d");
            ctx.font = [style.fontStyle, style.fontWeight, style.fontSize, style.fontFamily].join(" ");
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [input.placeholder, ctx.measureText(input.placeholder).width, room, input.scrollWidth,
                    input.clientWidth];
        }"""
    )
    assert placeholder and text_width <= room, (placeholder, text_width, room)
    assert scroll <= client
    assert placeholder == "搜索商品名、拼音、编码或条码"  # at 1366 the full hint has room
    page.assert_fits()
    page.shot("header-1366")
