"""Finance pages through the Django test client: who may see and do what, bad input answered with a
translated message (never a 500), the voucher served only to who may see it, bounded queries."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import payments as pay
from dinghuo.finance.models import Invoice, Payment, Statement
from dinghuo.finance.statements import statement_generate
from dinghuo.orders.models import Shipment
from tests.finance.conftest import ship_on_credit

D = Decimal


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


BO_PAGES = ["/bo/finance/", "/bo/finance/payments/", "/bo/finance/payments/new/", "/bo/finance/refunds/new/",
            "/bo/finance/receivables/", "/bo/finance/credit/", "/bo/finance/statements/", "/bo/finance/invoices/",
            "/bo/finance/invoices/new/", "/bo/finance/rebates/", "/bo/finance/rebates/new/", "/bo/finance/settings/"]  # fmt: skip
PORTAL_PAGES = ["/portal/finance/", "/portal/finance/pay/", "/portal/finance/payments/", "/portal/finance/ledger/",
                "/portal/finance/statements/", "/portal/finance/invoices/", "/portal/finance/invoices/new/",
                "/portal/finance/rebates/"]  # fmt: skip


def test_finance_staff_and_dealer_finance_see_every_page(shop, login):
    ship_on_credit(shop, 2)
    staff = login(shop.world.user(Role.FINANCE), Client())
    for path in BO_PAGES:
        assert staff.get(path).status_code == 200, path
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    for path in PORTAL_PAGES:
        assert dealer.get(path).status_code == 200, path
    # and the menus link to them
    assert b"/bo/finance/" in staff.get("/bo/").content
    assert b"/portal/finance/" in dealer.get("/portal/").content


def test_roles_without_finance_are_kept_out(shop, login):
    warehouse = login(shop.world.user(Role.WAREHOUSE), Client())
    for path in ["/bo/finance/", "/bo/finance/payments/", "/bo/finance/receivables/"]:
        assert warehouse.get(path).status_code == 403, path
    admin = login(shop.world.user(Role.ADMIN), Client())  # may look, may not manage
    assert admin.get("/bo/finance/").status_code == 200
    assert admin.get("/bo/finance/payments/new/").status_code == 403
    assert admin.post(f"/bo/finance/dealers/{shop.dealer.pk}/credit/", {"credit_limit": "1", "terms_days": "1",
                                                                        "reason": "x"}).status_code == 403  # fmt: skip
    buyer = login(shop.world.user(Role.BUYER), Client())
    assert buyer.get("/portal/finance/").status_code == 403
    assert buyer.get("/bo/finance/").status_code == 403
    dealer_fin = login(shop.world.user(Role.DEALER_FINANCE), Client())
    assert dealer_fin.get("/bo/finance/").status_code == 403


def test_a_dealer_uploads_a_voucher_and_finance_confirms_it(shop, login):
    ship_on_credit(shop, 1)
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    response = dealer.post("/portal/finance/pay/", {"way": "transfer", "purpose": "receivables", "amount": "72.00",
                                                    "voucher": upload("回单.png", png(), "image/png"),
                                                    "bank_ref": "20261122001"})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(shop.tenant):
        payment = Payment.objects.get()
    assert payment.status == "pending" and payment.voucher_type == "image/png"
    # the voucher is served to the dealer and to finance, with its checked type, never sniffed
    own = dealer.get(f"/portal/finance/payments/{payment.pk}/voucher/")
    assert own.status_code == 200 and own["Content-Type"] == "image/png" and own["X-Content-Type-Options"] == "nosniff"
    assert b"".join(own.streaming_content) == png()
    staff = login(shop.world.user(Role.FINANCE), Client())
    assert staff.get(f"/bo/finance/payments/{payment.pk}/voucher/").status_code == 200
    # but never through the public media URL
    assert Client().get(f"/media/{payment.voucher.name}").status_code in (302, 404)
    assert staff.get(f"/media/{payment.voucher.name}").status_code == 404
    # and not to another dealer's user
    other = login(shop.world.other_dealer_user.user, Client())
    assert other.get(f"/portal/finance/payments/{payment.pk}/voucher/").status_code in (403, 404)
    # when finance confirms it on the page
    page = staff.get(f"/bo/finance/payments/{payment.pk}/")
    assert page.status_code == 200 and payment.number.encode() in page.content
    assert staff.post(f"/bo/finance/payments/{payment.pk}/confirm/").status_code == 302
    assert shop.account().receivable == D("0.00")
    # and a second confirmation says so, changing nothing
    response = staff.post(f"/bo/finance/payments/{payment.pk}/confirm/", follow=True)
    assert response.status_code == 200
    assert payment.number in response.content.decode() and shop.account().receivable == D("0.00")


def test_bad_uploads_and_amounts_are_answered_on_the_form(shop, login):
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    cases = [
        ({"way": "transfer", "amount": "10.00", "voucher": upload("a.png", b"not an image at all", "image/png")},
         "不是" if False else None),
        ({"way": "transfer", "amount": "-3"}, None),
        ({"way": "transfer", "amount": "abc"}, None),
        ({"way": "transfer", "amount": "10.00"}, None),  # no voucher
        ({"way": "bill", "amount": "10.00", "bill_number": ""}, None),
        ({"way": "online", "amount": "100000000.01", "provider": "sandbox"}, None),
    ]  # fmt: skip
    for data, _ in cases:
        response = dealer.post("/portal/finance/pay/", {"purpose": "receivables", **data})
        assert response.status_code == 200, data
        assert b"is-invalid" in response.content or b"alert-danger" in response.content, data
    with tenant_context(shop.tenant):
        assert Payment.objects.count() == 0


def test_an_oversize_voucher_is_refused_with_a_message(shop, login, settings):
    settings.DINGHUO_MAX_VOUCHER_BYTES = 2000
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(out, format="PNG")
    response = dealer.post("/portal/finance/pay/", {"way": "transfer", "purpose": "receivables", "amount": "10.00",
                                                    "voucher": upload("big.png", out.getvalue(), "image/png")})  # fmt: skip
    assert response.status_code == 200 and b"MB" in response.content


def test_the_sandbox_pays_online_through_the_notification_path(shop, login):
    ship_on_credit(shop, 1)
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    response = dealer.post("/portal/finance/pay/", {"way": "online", "provider": "sandbox", "purpose": "receivables",
                                                    "amount": "72.00"})  # fmt: skip
    assert response.status_code == 302 and "/pay/sandbox/" in response["Location"]
    assert dealer.get(response["Location"]).status_code == 200
    assert dealer.post(response["Location"], {"pay": "1"}).status_code == 302
    with tenant_context(shop.tenant):
        payment = Payment.objects.get()
    assert payment.status == "confirmed" and payment.provider == "sandbox"
    assert shop.account().receivable == D("0.00")


def test_the_notification_endpoint_answers_success_or_failure(shop, client):
    from dinghuo.finance.providers.sandbox import SandboxProvider

    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment, _ = pay.payment_start_online(actor=dealer_fin, dealer_id=shop.dealer.pk, provider="sandbox",
                                              amount=D("20.00"), purpose="topup", notify_url="", return_url="")  # fmt: skip
    notice = SandboxProvider().notification(out_trade_no=payment.number, amount=D("20.00"))
    forged = {**notice, "total_amount": "2000.00"}
    assert client.post("/portal/finance/pay/notify/sandbox/", forged).content == b"failure"
    assert client.post("/portal/finance/pay/notify/nope/", notice).status_code == 404
    assert client.get("/portal/finance/pay/notify/sandbox/").status_code == 405
    ok = client.post("/portal/finance/pay/notify/sandbox/", notice)
    assert ok.status_code == 200 and ok.content == b"success"
    assert client.post("/portal/finance/pay/notify/sandbox/", notice).content == b"success"  # repeated: once
    assert shop.account().prepaid == D("20.00")


def test_statement_confirm_dispute_resolve_and_downloads(shop, login):
    ship_on_credit(shop, 1)
    finance = shop.staff(Role.FINANCE)
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        statement = statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today)
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    page = dealer.get(f"/portal/finance/statements/{statement.pk}/")
    assert page.status_code == 200 and statement.number.encode() in page.content
    # each line links to the document it traces to: the shipment's order, on either side
    with tenant_context(shop.tenant):
        order_id = Shipment.objects.filter(order__dealer=shop.dealer).values_list("order_id", flat=True).first()
    assert f'href="/portal/orders/{order_id}/"'.encode() in page.content
    staff_page = login(shop.world.user(Role.FINANCE), Client()).get(f"/bo/finance/statements/{statement.pk}/")
    assert f'href="/bo/orders/{order_id}/"'.encode() in staff_page.content
    for kind, ctype in (("pdf", "application/pdf"), ("xlsx", "spreadsheetml")):
        response = dealer.get(f"/portal/finance/statements/{statement.pk}/file.{kind}")
        assert response.status_code == 200 and ctype in response["Content-Type"]
    assert dealer.get(f"/portal/finance/statements/{statement.pk}/file.exe").status_code == 404
    # a dispute without a reason is refused with a message; with one it is recorded
    dealer.post(f"/portal/finance/statements/{statement.pk}/dispute/", {"reason": ""})
    statement.refresh_from_db()
    assert statement.status == "issued"
    dealer.post(f"/portal/finance/statements/{statement.pk}/dispute/", {"reason": "运费不对", "lines": ["1"]})
    statement.refresh_from_db()
    assert statement.status == "disputed" and statement.disputed_lines == [1]
    staff = login(shop.world.user(Role.FINANCE), Client())
    assert staff.get(f"/bo/finance/statements/{statement.pk}/").status_code == 200
    staff.post(f"/bo/finance/statements/{statement.pk}/resolve/", {"resolution": "运费已按合同核对无误"})
    dealer.post(f"/portal/finance/statements/{statement.pk}/confirm/")
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CONFIRMED


def test_invoice_request_issue_and_void_through_the_pages(shop, login):
    order, _ = ship_on_credit(shop, 2)
    with tenant_context(shop.tenant):
        shipment = order.shipments.first()
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    assert (
        dealer.post("/portal/finance/invoices/new/", {"kind": "ordinary", "shipments": [shipment.pk]}).status_code
        == 302
    )
    # asking again for the same shipment is refused with a message, nothing created
    again = dealer.post("/portal/finance/invoices/new/", {"kind": "ordinary", "shipments": [shipment.pk]})
    assert again.status_code == 200 and shipment.number in again.content.decode()
    with tenant_context(shop.tenant):
        invoice = Invoice.objects.get()
    staff = login(shop.world.user(Role.FINANCE), Client())
    staff.post(f"/bo/finance/invoices/{invoice.pk}/issue/")
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.invoice_no
    pdf = dealer.get(f"/portal/finance/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    response = staff.post(f"/bo/finance/invoices/{invoice.pk}/void/", {"reason": "抬头错误"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "voided"
    assert staff.post(f"/bo/finance/invoices/{invoice.pk}/bogus/").status_code == 404


def test_credit_terms_change_on_the_page_is_audited(shop, login):
    from dinghuo.core.models import AuditEntry

    staff = login(shop.world.user(Role.FINANCE), Client())
    response = staff.post(f"/bo/finance/dealers/{shop.dealer.pk}/credit/",
                          {"credit_limit": "5000.00", "terms_days": "45", "reason": "年度授信调整"})  # fmt: skip
    assert response.status_code == 302
    account = shop.account()
    assert (account.credit_limit, account.terms_days) == (D("5000.00"), 45)
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.filter(action="credit.terms_changed", reason="年度授信调整").exists()
    bad = staff.post(f"/bo/finance/dealers/{shop.dealer.pk}/credit/", {"credit_limit": "-1", "terms_days": "999",
                                                                       "reason": "x"}, follow=True)  # fmt: skip
    assert bad.status_code == 200 and shop.account().credit_limit == D("5000.00")


def test_finance_settings_page_changes_the_rebate_limit(shop, login):
    staff = login(shop.world.user(Role.FINANCE), Client())
    assert staff.post("/bo/finance/settings/", {"rebate_max_percent": "150", "payment_max_amount": "100",
                                                "reminder_days_before": "3"}).status_code == 200  # fmt: skip
    assert staff.post("/bo/finance/settings/", {"rebate_max_percent": "20", "payment_max_amount": "50000",
                                                "reminder_days_before": "5"}).status_code == 302  # fmt: skip
    shop.tenant.refresh_from_db()
    assert shop.tenant.settings["rebate_max_percent"] == "20.00"


@pytest.mark.parametrize("path", ["/bo/finance/payments/", "/bo/finance/receivables/", "/bo/finance/credit/",
                                  "/bo/finance/statements/", "/bo/finance/invoices/", "/bo/finance/"])  # fmt: skip
def test_back_office_lists_run_a_bounded_number_of_queries(shop, login, django_assert_max_num_queries, path):
    from tests.factories import make_dealer

    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        for i in range(12):
            dealer = make_dealer(shop.tenant, code=f"B{i:03d}")
            pay.payment_record(actor=finance, dealer_id=dealer.pk, method="cash", amount=D("10.00"))
    ship_on_credit(shop, 1)
    staff = login(shop.world.user(Role.FINANCE), Client())
    with django_assert_max_num_queries(25):
        assert staff.get(path).status_code == 200


def test_portal_pages_run_a_bounded_number_of_queries(shop, login, django_assert_max_num_queries):
    for _ in range(4):
        ship_on_credit(shop, 1)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        for _ in range(10):
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("5.00"), confirm=True)
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    for path in PORTAL_PAGES:
        with django_assert_max_num_queries(25):
            assert dealer.get(path).status_code == 200, path


def test_a_receivable_closed_by_payment_lifts_the_overdue_block(shop):
    # given an overdue receivable that blocks ordering on credit
    from dinghuo.core.errors import DomainError
    from dinghuo.finance.models import DealerAccount, Receivable
    from dinghuo.orders.placement import order_place

    receivable = ship_on_credit(shop, 1)[1][0]
    long_ago = timezone.localdate() - dt.timedelta(days=40)
    with tenant_context(shop.tenant):
        Receivable.objects.filter(pk=receivable.pk).update(due_date=long_ago)
        DealerAccount.objects.filter(dealer=shop.dealer).update(oldest_due_date=long_ago)
    buyer, finance = shop.buyer(), shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, buyer), pytest.raises(DomainError):
        order_place(actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")], tenant_settings={})
    # when it is paid
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=D("72.00"), confirm=True)
    # then ordering on credit works again
    with tenant_context(shop.tenant, buyer):
        placed = order_place(actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")],
                             tenant_settings={})  # fmt: skip
    assert placed.order.status == "approved"


def test_finance_sets_prepaid_against_receivables_on_the_dealer_page(shop, login):
    ship_on_credit(shop, 1)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", purpose="topup",
                           amount=D("30.00"), confirm=True)  # fmt: skip
    staff = login(shop.world.user(Role.FINANCE), Client())
    page = staff.get(f"/bo/finance/dealers/{shop.dealer.pk}/")
    assert b'data-testid="prepaid-offset"' in page.content
    # a bad amount is answered with a message, nothing changes
    bad = staff.post(f"/bo/finance/dealers/{shop.dealer.pk}/offset/", {"amount": "abc"}, follow=True)
    assert bad.status_code == 200 and shop.account().prepaid == D("30.00")
    # an empty amount sets as much as possible
    staff.post(f"/bo/finance/dealers/{shop.dealer.pk}/offset/", {"amount": ""})
    assert shop.account().prepaid == D("0.00") and shop.account().receivable == D("42.00")


def test_an_invoice_is_requested_for_a_statements_shipments(shop, login):
    # given a statement of this month with two shipments on credit
    ship_on_credit(shop, 1)
    ship_on_credit(shop, 2)
    finance = shop.staff(Role.FINANCE)
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        statement = statement_generate(actor=finance, dealer_id=shop.dealer.pk, start=today.replace(day=1), end=today)
        shipments = list(Shipment.objects.filter(order__dealer=shop.dealer).order_by("pk").values_list("pk", flat=True))
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    # the statement page offers an invoice, and the request form comes with its shipments ticked
    assert f"/portal/finance/invoices/new/?statement={statement.pk}".encode() in dealer.get(
        f"/portal/finance/statements/{statement.pk}/"
    ).content
    form = dealer.get(f"/portal/finance/invoices/new/?statement={statement.pk}").content.decode()
    for pk in shipments:
        assert f'value="{pk}" id="sh{pk}" checked' in form
    # when the dealer sends it
    response = dealer.post("/portal/finance/invoices/new/", {"kind": "ordinary", "statement": statement.pk,
                                                             "shipments": shipments})  # fmt: skip
    assert response.status_code == 302
    # then the invoice is tied to the statement and covers its shipments
    with tenant_context(shop.tenant):
        invoice = Invoice.objects.get(dealer=shop.dealer)
        assert invoice.statement_id == statement.pk
        assert set(invoice.lines.values_list("shipment_line__shipment_id", flat=True)) == set(shipments)
    # and the back office offers the same from its statement page
    staff = login(shop.world.user(Role.FINANCE), Client())
    bo = staff.get(f"/bo/finance/invoices/new/?statement={statement.pk}")
    assert bo.status_code == 200 and shop.dealer.name in bo.content.decode()


def test_an_invoice_cannot_claim_another_dealers_statement(shop):
    from dinghuo.finance import invoices as inv
    from dinghuo.finance.errors import InvoiceInvalid

    # given a shipment of this dealer and a statement of another dealer
    ship_on_credit(shop, 1)
    finance = shop.staff(Role.FINANCE)
    today = timezone.localdate()
    with tenant_context(shop.tenant, finance):
        theirs = statement_generate(actor=finance, dealer_id=shop.world.other_dealer.pk, start=today.replace(day=1),
                                    end=today)  # fmt: skip
        shipment = Shipment.objects.filter(order__dealer=shop.dealer).values_list("pk", flat=True).first()
        # when an invoice of this dealer names that statement, then it is refused and nothing is made
        with pytest.raises(InvoiceInvalid):
            inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=[shipment],
                                statement_id=theirs.pk)  # fmt: skip
        assert not Invoice.objects.exists()
