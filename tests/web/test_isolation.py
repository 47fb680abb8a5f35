"""Invariant 1 through every page: tenant A's users can neither read nor change tenant B's rows.

The URL configuration is walked, so a page added later is covered the day it is added: every
route that takes an object id is called, as GET and as POST, with ids of tenant B's real rows,
and every string slot of such a route (a file format, an action, a payment number) with the values
it really takes, so that the request reaches the object lookup instead of 404ing on the word.
"""

import itertools
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import Actor, TenantModel, all_tenants, tenant_context
from dinghuo.finance.invoices import invoice_request
from dinghuo.finance.models import Payment
from dinghuo.finance.payments import payment_start_online
from dinghuo.finance.statements import statement_generate
from tests.finance.conftest import prepaid_order
from tests.orders.factories import make_shop

ID_PARAM = re.compile(r"<(?:int|str|slug|uuid):(\w+)>")
SLOT = re.compile(r"<(int|str|slug|uuid):(\w+)>")
PAGE_PREFIXES = ("bo/", "portal/", "accounts/")
# What the string slots of the pages take for real; a slot named here gets each value in turn.
WORDS = {
    "fmt_": ("xlsx", "pdf"),  # statements/<pk>/file.<fmt_>
    "action": ("issue", "sent", "void", "refuse"),  # invoices/<pk>/<action>/
    "provider": ("sandbox", "alipay"),  # pay/notify/<provider>/
}
# A payment provider's notification has no session: its signature is the authentication, and a
# forged one is answered 400 ("failure") like the provider's protocol wants.
SIGNED = "portal/finance/pay/notify/<str:provider>/"
# Every page's language switcher echoes the requested path: what we sent, not what the page shows.
ECHO = re.compile(rb'<input name="next" type="hidden" value="[^"]*">')


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def id_routes():
    return sorted({r for r in walk(get_resolver().url_patterns) if r.startswith(PAGE_PREFIXES) and ID_PARAM.search(r)})


def tenant_rows(tenant) -> dict[str, list[int]]:
    """One row id per tenant-scoped model (first and last), for id guessing."""
    out = {}
    with all_tenants():
        for model in apps.get_models():
            if issubclass(model, TenantModel):
                ids = list(model.unscoped.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))
                if ids:
                    out[model._meta.label] = sorted({ids[0], ids[-1]})
    return out


def fingerprint(tenant) -> dict:
    with all_tenants():
        return {
            model._meta.label: sorted(map(str, model.unscoped.filter(tenant=tenant).values_list()))
            for model in apps.get_models()
            if issubclass(model, TenantModel)
        }


def urls_for(route: str, pk: int, words: dict | None = None) -> list[str]:
    """``route`` with ``pk`` in its id slots and, in its string slots, every value the slot takes for
    real (WORDS, plus ``words``: e.g. B's payment numbers); a string slot nobody named gets ``pk``."""
    words = {**WORDS, **(words or {})}
    slots = [
        [str(pk)] if conv == "int" else [str(w) for w in words.get(name, ())] or [str(pk)]
        for conv, name in SLOT.findall(route)
    ]
    template = "/" + SLOT.sub("{}", route)
    return [template.format(*values) for values in itertools.product(*slots)]


def b_finance(world_b):
    """Tenant B with money on the books: a prepaid order (its top-up a confirmed transfer), an invoice
    requested for it, this month's statement and a sandbox payment the dealer started (pending)."""
    shop = make_shop(world_b)
    order = prepaid_order(shop)
    system = Actor.system(world_b.tenant.pk, "tests")
    dealer_finance = world_b.actor(Role.DEALER_FINANCE)
    with tenant_context(world_b.tenant, system):
        invoice = invoice_request(actor=system, dealer_id=shop.dealer.pk, kind="ordinary", order_ids=[order.pk])
        today = timezone.localdate()
        statement = statement_generate(actor=system, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today)
    with tenant_context(world_b.tenant, dealer_finance):
        online, _checkout = payment_start_online(
            actor=dealer_finance,
            dealer_id=shop.dealer.pk,
            provider="sandbox",
            amount=Decimal("8.00"),
            purpose="topup",
            notify_url="",
            return_url="",
        )
    with all_tenants():
        numbers = sorted(Payment.unscoped.filter(tenant=world_b.tenant).values_list("number", flat=True))
    return SimpleNamespace(
        world=world_b,
        shop=shop,
        order=order,
        invoice=invoice,
        statement=statement,
        online=online,
        payment_numbers=numbers,
    )


def word_routes() -> list[str]:
    """The object pages with a string slot besides (or instead of) the id."""
    return [r for r in id_routes() if any(conv != "int" for conv, _name in SLOT.findall(r))]


def probe(client, *, routes, pks, data: dict, hidden: list[str], words: dict | None = None) -> list[str]:
    """GET and POST every page of ``routes`` for each of ``pks`` (string slots filled by urls_for) and
    assert that nothing is shown or done: 403, 404 or 405 (400 for a forged notification), and none
    of ``hidden`` (B's codes and numbers) in the answer. Returns the URLs requested, once each."""
    requested: dict[str, None] = {}
    for route in routes:
        for pk in pks:
            for url in urls_for(route, pk, words):
                if url in requested:
                    continue
                requested[url] = None
                for method in ("get", "post"):
                    response = getattr(client, method)(url, data)
                    allowed = {403, 404, 405} | ({400} if route == SIGNED and method == "post" else set())
                    assert response.status_code in allowed, (method, url, response.status_code)
                    if response.status_code != 405:
                        shown = ECHO.sub(b"", response.content)
                        for value in hidden:
                            assert value.encode() not in shown, (method, url, value)
    return list(requested)


@pytest.fixture
def finance_b(world_b):
    return b_finance(world_b)


def test_the_walk_finds_the_object_pages():
    routes = id_routes()
    assert "bo/dealers/<int:pk>/" in routes
    assert "portal/account/users/<int:pk>/disable/" in routes


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.FINANCE, Role.SALES_REP])
def test_staff_of_a_cannot_read_or_change_any_object_of_b(world, world_b, login, role):
    # given a signed-in staff member of tenant A and the ids of every kind of row tenant B owns
    client = login(world.user(role), Client())
    pks = sorted({pk for ids in tenant_rows(world_b.tenant).values() for pk in ids})
    before = fingerprint(world_b.tenant)
    # when they request every object page with B's ids, reading and posting
    # then nothing is shown or done: not found, forbidden or method not allowed
    requested = probe(
        client,
        routes=id_routes(),
        pks=pks,
        data={"status": "suspended", "role": "owner", "regions": "110000"},
        hidden=[world_b.dealer.code],
    )
    assert fingerprint(world_b.tenant) == before
    assert len(requested) > 50


def test_the_walk_fills_string_slots_with_real_values():
    # given the pages whose string slot a guessed number never fills for real
    routes = word_routes()
    for route in (
        "bo/finance/statements/<int:pk>/file.<str:fmt_>",
        "portal/finance/statements/<int:pk>/file.<str:fmt_>",
        "bo/finance/invoices/<int:pk>/<str:action>/",
        "portal/finance/pay/sandbox/<str:number>/",
        SIGNED,
    ):
        assert route in routes, route
    # then every string slot of them has its values: none would 404 on the word alone
    for route in routes:
        for _conv, name in (slot for slot in SLOT.findall(route) if slot[0] != "int"):
            assert name in WORDS or name == "number", (route, name)
    assert urls_for("bo/finance/invoices/<int:pk>/<str:action>/", 7) == [
        f"/bo/finance/invoices/7/{a}/" for a in ("issue", "sent", "void", "refuse")
    ]
    assert urls_for("portal/finance/pay/sandbox/<str:number>/", 7, {"number": ["P1", "P2"]}) == [
        "/portal/finance/pay/sandbox/P1/",
        "/portal/finance/pay/sandbox/P2/",
    ]


@pytest.mark.parametrize("role", [Role.OWNER, Role.FINANCE, Role.DEALER_ADMIN, Role.DEALER_FINANCE])
def test_pages_with_a_word_in_the_url_neither_show_nor_change_anything_of_b(world, finance_b, login, role):
    # given tenant B's statement, invoice and payments (a confirmed transfer, a pending sandbox one)
    b = finance_b
    rows = tenant_rows(b.world.tenant)
    pks = sorted({pk for label in ("finance.Statement", "finance.Invoice", "finance.Payment") for pk in rows[label]})
    hidden = [b.world.dealer.code, b.statement.number, b.invoice.number, *b.payment_numbers]
    before = fingerprint(b.world.tenant)
    client = login(world.user(role), Client())
    # when A's user downloads B's statement as xlsx and pdf, issues, marks sent, voids and refuses B's
    # invoice, and pays B's sandbox payment or forges its notification, reading and posting
    data = {
        "reason": "x",
        "out_trade_no": b.online.number,
        "total_amount": "8.00",
        "trade_status": "TRADE_SUCCESS",
        "sign": "0" * 64,
    }
    requested = probe(
        client, routes=word_routes(), pks=pks, data=data, hidden=hidden, words={"number": b.payment_numbers}
    )
    # then nothing of B was shown (checked above) and not one of B's rows changed
    assert fingerprint(b.world.tenant) == before
    # and the walk did try the real values, on B's real rows
    for url in (
        f"/bo/finance/statements/{b.statement.pk}/file.xlsx",
        f"/portal/finance/statements/{b.statement.pk}/file.pdf",
        f"/bo/finance/invoices/{b.invoice.pk}/void/",
        f"/portal/finance/pay/sandbox/{b.online.number}/",
    ):
        assert url in requested, url


def test_the_same_urls_work_for_b_itself(finance_b, login):
    # given B's own finance staff and dealer finance user (the control: the walk's URLs are live)
    b = finance_b
    staff = login(b.world.user(Role.FINANCE), Client())
    dealer = login(b.world.user(Role.DEALER_FINANCE), Client())
    # then B reads its statement in both formats, on both sides, and opens its sandbox cashier
    for url in urls_for("bo/finance/statements/<int:pk>/file.<str:fmt_>", b.statement.pk):
        assert staff.get(url).status_code == 200, url
    for url in urls_for("portal/finance/statements/<int:pk>/file.<str:fmt_>", b.statement.pk):
        assert dealer.get(url).status_code == 200, url
    sandbox = urls_for("portal/finance/pay/sandbox/<str:number>/", 0, {"number": [b.online.number]})
    assert dealer.get(sandbox[0]).status_code == 200
    # and B's finance refuses the invoice through the action URL the walk tried
    refuse = f"/bo/finance/invoices/{b.invoice.pk}/refuse/"
    assert refuse in urls_for("bo/finance/invoices/<int:pk>/<str:action>/", b.invoice.pk)
    assert staff.post(refuse, {"reason": "抬头有误"}).status_code == 302
    with tenant_context(b.world.tenant):
        b.invoice.refresh_from_db()
    assert b.invoice.status == "refused"


def test_lists_of_a_never_show_rows_of_b(world, world_b, login):
    client = login(world.user(Role.OWNER), Client())
    for path in ["/bo/dealers/", f"/bo/dealers/?q={world_b.dealer.code}", "/bo/users/", "/bo/audit/", "/bo/"]:
        body = client.get(path).content.decode()
        # (a searched-for code is echoed in the search box, so look for it as shown content)
        assert f">{world_b.dealer.code}<" not in body, path
        assert world_b.staff[Role.FINANCE].user.username not in body, path


def test_dealer_users_are_confined_to_their_own_dealer(world, login):
    # given a buyer of dealer X and a dealer admin of X
    buyer = login(world.user(Role.BUYER), Client())
    admin = login(world.user(Role.DEALER_ADMIN), Client())
    # then the back office is closed to them
    for path in ["/bo/", "/bo/dealers/", f"/bo/dealers/{world.dealer.pk}/", "/bo/users/", "/bo/audit/"]:
        assert buyer.get(path).status_code == 403, path
    # and the portal shows only their dealer
    body = buyer.get("/portal/account/").content.decode()
    assert world.dealer.code in body and world.other_dealer.code not in body
    # and a dealer admin cannot disable a user of another dealer by guessing its id
    victim = world.other_dealer_user
    assert admin.post(f"/portal/account/users/{victim.pk}/disable/").status_code == 404
    victim.refresh_from_db()
    assert victim.is_active
    # and a buyer cannot manage sub-users at all
    assert buyer.post("/portal/account/users/", {"username": "x"}).status_code == 403


def test_role_permissions_hold_on_pages(world, login):
    warehouse = login(world.user(Role.WAREHOUSE), Client())
    assert warehouse.get("/bo/users/").status_code == 403
    assert warehouse.get("/bo/audit/").status_code == 403
    assert warehouse.get(f"/bo/dealers/{world.dealer.pk}/edit/").status_code == 403
    rep = login(world.user(Role.SALES_REP), Client())
    assert rep.get("/bo/dealers/").status_code == 200
    # a sales rep sees only their own dealers
    assert rep.get(f"/bo/dealers/{world.other_dealer.pk}/").status_code == 404
    assert rep.post(f"/bo/dealers/{world.dealer.pk}/status/", {"status": "suspended"}).status_code == 403
    world.dealer.refresh_from_db()
    assert world.dealer.status == "active"


def test_dealer_list_queries_are_bounded(world, login, django_assert_max_num_queries):
    from tests.factories import make_dealer

    for _ in range(30):
        make_dealer(world.tenant, sales_rep=world.user(Role.SALES_REP), parent=world.dealer)
    client = login(world.user(Role.OWNER), Client())
    with django_assert_max_num_queries(12):
        response = client.get("/bo/dealers/")
    assert response.status_code == 200
