"""Every page a dealer or a brand's staff reaches from the menus, opened in the real browser: each
answers, draws without a console error or a failed request (the fixtures check it), fits a phone's
width without scrolling sideways, and leaves a screenshot; and the pages speak English on request."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PORTAL_PAGES = ["/portal/", "/portal/catalog/", "/portal/catalog/?q=可乐", "/portal/cart/", "/portal/quick/",
                "/portal/import/", "/portal/orders/", "/portal/account/", "/portal/account/ledger/",
                "/portal/account/notifications/"]  # fmt: skip


def _path(w, href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(w, selector: str) -> list[str]:
    return [_path(w, h) for h in w.page.locator(selector).evaluate_all("els => els.map(e => e.href)")]


def _visit(w, path: str, phone: bool) -> None:
    response = w.go(path)
    assert response.status == 200, f"{path} answered {response.status}"
    w.page.wait_for_load_state("networkidle")
    if phone:
        w.assert_fits()
    w.shot(re.sub(r"[^\w]+", "-", path.strip("/")) or "home")


def _portal_pages(w) -> list[str]:
    """The fixed list, what the menus link to, and the first product and order pages."""
    w.go("/portal/")
    pages = PORTAL_PAGES + _links(w, ".dh-mainnav a, .portal-tabbar a")
    w.go("/portal/catalog/?q=可乐")
    pages.append(_links(w, "article.dh-item a.dh-item-title")[0])
    w.go("/portal/orders/")
    pages.append(_links(w, "a.dh-order")[0])
    return list(dict.fromkeys(p for p in pages if p.startswith("/")))


def test_every_portal_page_on_a_desktop(page):
    page.login("bev-gd01")
    for path in _portal_pages(page):
        _visit(page, path, phone=False)


def test_every_portal_page_on_a_phone(phone):
    phone.login("bev-gd01")
    for path in _portal_pages(phone):
        _visit(phone, path, phone=True)


def test_parameter_search_in_an_industrial_catalog(page):
    # given the parts supplier's dealer, describing what it needs in its own words
    page.login("parts-d01")
    page.go("/portal/catalog/?match=不锈钢 螺栓")
    # then the constraints are understood and the matching items come with what they meet
    assert page.page.locator("[data-testid=constraints] .dh-constraint").count() >= 1
    assert page.page.locator("[data-testid=match-results] article.dh-match").count() > 0
    assert page.page.locator("[data-testid=match-results] .dh-checks li.met").count() > 0
    page.shot("parameter-search")


def _back_office_pages(w) -> list[str]:
    """Each menu entry, and each tab of each menu entry's page."""
    w.go("/bo/")
    pages = []
    for entry in _links(w, "#bo-nav a.nav-link"):
        pages.append(entry)
        w.go(entry)
        pages += _links(w, ".bo-tabs a.nav-link")
    w.go("/bo/orders/")
    pages.append(_links(w, "[data-testid=order-rows] tbody a")[0])
    w.go("/bo/dealers/")
    pages.append(_links(w, "[data-testid=dealer-rows] tbody a")[0])
    return list(dict.fromkeys(p for p in pages if p.startswith("/") and not p.endswith(".xlsx")))


def test_every_back_office_page_for_the_owner(page):
    page.login("bev-owner")
    pages = _back_office_pages(page)
    assert len(pages) >= 15, pages
    for path in pages:
        _visit(page, path, phone=False)


def test_every_back_office_page_fits_a_phone(phone):
    phone.login("bev-owner")
    for path in _back_office_pages(phone):
        _visit(phone, path, phone=True)


def test_the_pages_speak_english_when_asked(page):
    # given a dealer who switches the language at the foot of the page
    page.login("bev-gd01-buyer")
    page.go("/portal/")
    page.page.click(".lang-form button[value=en]")
    page.page.wait_for_load_state()
    # then the portal's own words are English, and the choice holds on the next page
    assert page.page.locator("html").get_attribute("lang") == "en"
    assert "Orders" in page.page.locator(".dh-mainnav").inner_text()
    page.go("/portal/cart/")
    assert page.page.locator("html").get_attribute("lang") == "en"
    assert "Cart" in page.page.title()
    page.shot("portal-in-english")
    # and so does the back office for staff
    page.page.context.clear_cookies()
    page.login("bev-owner")
    page.page.click(".lang-form button[value=en]")
    page.page.wait_for_load_state()
    assert "Dashboard" in page.page.locator("#bo-nav").inner_text()
    page.shot("back-office-in-english")
    page.page.click(".lang-form button[value=zh-hans]")
    page.page.wait_for_load_state()
