"""Invoices: requested for shipped lines, issued through the adapter, voided by a red-letter reversal;
a line is on one live invoice at most; the tax split adds up to the cent."""

from decimal import Decimal

import pytest

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Sku
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.models import Dealer
from dinghuo.finance import documents
from dinghuo.finance import invoices as inv
from dinghuo.finance.einvoice import INTERNAL_NOTE
from dinghuo.finance.errors import AlreadyInvoiced, InvoiceInvalid, InvoiceStateInvalid
from dinghuo.finance.models import Invoice, InvoiceLine
from dinghuo.finance.policy import Seller
from dinghuo.orders.models import Shipment
from tests.finance.conftest import pdf_text, ship_on_credit

D = Decimal


def mixed_rates(shop):
    """Water at 9%, cola at 13%, shipped in one order each."""
    with tenant_context(shop.tenant):
        Sku.objects.filter(pk=shop.skus["WATER"].pk).update(vat_rate=D("0.09"))
    ship_on_credit(shop, 3, "COLA")
    ship_on_credit(shop, 2, "WATER")
    with tenant_context(shop.tenant):
        return list(Shipment.objects.filter(order__dealer=shop.dealer).order_by("pk").values_list("pk", flat=True))


def test_an_invoice_splits_tax_per_rate_and_adds_up_to_the_cent(shop):
    shipments = mixed_rates(shop)
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        invoice = inv.invoice_request(
            actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=shipments
        )
        lines = list(invoice.lines.all())
    assert invoice.status == "requested" and invoice.title == shop.dealer.name
    assert invoice.total == sum(ln.gross for ln in lines) == invoice.net + invoice.tax
    assert all(ln.net + ln.tax == ln.gross for ln in lines)
    rates = {r["rate"]: r for r in invoice.tax_breakdown}
    assert set(rates) == {"0.13", "0.09"}
    for rate, r in rates.items():
        mine = [ln for ln in lines if str(ln.tax_rate) == rate]
        assert D(r["tax"]) == sum(ln.tax for ln in mine) and D(r["gross"]) == sum(ln.gross for ln in mine)
        assert D(r["net"]) + D(r["tax"]) == D(r["gross"])
    # 216.00 of cola at 13%: 191.15 + 24.85
    assert (D(rates["0.13"]["net"]), D(rates["0.13"]["tax"])) == (D("191.15"), D("24.85"))


def test_already_invoiced_lines_are_refused_until_voided(shop):
    shipments = mixed_rates(shop)
    dealer_fin, finance = shop.world.actor(Role.DEALER_FINANCE), shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        first = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                    shipment_ids=shipments[:1])  # fmt: skip
        with pytest.raises(AlreadyInvoiced) as err:
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=shipments)
        assert first.number in err.value.message
        assert Invoice.objects.count() == 1
    with tenant_context(shop.tenant, finance):
        issued = inv.invoice_issue(actor=finance, invoice_id=first.pk)
        assert issued.invoice_no and issued.adapter == "internal" and issued.adapter_note == str(INTERNAL_NOTE)
        with pytest.raises(InvoiceStateInvalid):
            inv.invoice_issue(actor=finance, invoice_id=first.pk)
        red = inv.invoice_void(actor=finance, invoice_id=first.pk, reason="抬头开错")
        first.refresh_from_db()
        assert first.status == "voided" and red.is_red and red.reversal_of_id == first.pk
        assert red.total == -first.total and red.tax == -first.tax and red.status == "issued"
        assert sum(ln.gross for ln in red.lines.all()) == -first.total
        with pytest.raises(InvoiceStateInvalid):
            inv.invoice_void(actor=finance, invoice_id=first.pk, reason="again")
    # then the lines may be invoiced again
    with tenant_context(shop.tenant, dealer_fin):
        again = inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary",
                                    shipment_ids=shipments[:1])  # fmt: skip
    assert again.total == first.total
    with tenant_context(shop.tenant):
        assert InvoiceLine.objects.filter(active=True).count() == again.lines.count()


def test_a_special_invoice_needs_the_dealers_tax_details(shop):
    shipments = mixed_rates(shop)
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        with pytest.raises(InvoiceInvalid):
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="special", shipment_ids=shipments)
        Dealer.objects.filter(pk=shop.dealer.pk).update(tax_id="91440300MA5ABCDE1X", bank_name="招商银行深圳分行",
                                                        bank_account="755900000000001", invoice_title="测试商贸有限公司")  # fmt: skip
        invoice = inv.invoice_request(
            actor=dealer_fin, dealer_id=shop.dealer.pk, kind="special", shipment_ids=shipments
        )
    assert invoice.tax_id == "91440300MA5ABCDE1X" and "招商银行" in invoice.bank_account


def test_requests_for_someone_elses_or_no_shipments_are_refused(shop):
    shipments = mixed_rates(shop)
    ship_on_credit(shop, 1, dealer=shop.world.other_dealer)
    dealer_fin, other = shop.world.actor(Role.DEALER_FINANCE), shop.world.other_dealer
    with tenant_context(shop.tenant):
        theirs = Shipment.objects.filter(order__dealer=other).values_list("pk", flat=True).first()
    with tenant_context(shop.tenant, dealer_fin):
        with pytest.raises(InvoiceInvalid):
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=[theirs])
        with pytest.raises(InvoiceInvalid):
            inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=[])
        with pytest.raises(PermissionDenied):
            inv.invoice_request(actor=dealer_fin, dealer_id=other.pk, kind="ordinary", shipment_ids=[theirs])
        with pytest.raises(PermissionDenied):
            inv.invoice_issue(actor=dealer_fin, invoice_id=1)
    assert shipments


def test_refused_requests_free_their_lines_and_sent_invoices_stay_voidable(shop):
    shipments = mixed_rates(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        request = inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=shipments)
        inv.invoice_refuse(actor=finance, invoice_id=request.pk, reason="请合并到月结发票")
        issued = inv.invoice_issue(
            actor=finance,
            invoice_id=inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                           shipment_ids=shipments).pk,
        )  # fmt: skip
        sent = inv.invoice_mark_sent(actor=finance, invoice_id=issued.pk)
        assert sent.status == "sent"
        red = inv.invoice_void(actor=finance, invoice_id=sent.pk, reason="购方退票")
    assert red.invoice_no.startswith("NBH")


def test_the_invoice_pdf_shows_the_lines_the_tax_and_the_internal_notice(shop):
    shipments = mixed_rates(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        invoice = inv.invoice_issue(
            actor=finance,
            invoice_id=inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                           shipment_ids=shipments).pk,
        )  # fmt: skip
        lines = list(invoice.lines.all())
        seller = Seller(name="清泉饮料有限公司", tax_id="", address_phone="", bank_account="")
        pdf = documents.invoice_pdf(invoice, lines, seller=seller)
    text = pdf_text(pdf)
    assert invoice.invoice_no in text and "清泉饮料有限公司" in text and shop.dealer.name in text
    assert f"{invoice.tax:,}" in text and f"{invoice.total:,}" in text
    assert "13%" in text and "9%" in text
    assert str(INTERNAL_NOTE) in text


class FlakyAdapter:
    """An e-invoice service that is down for the first red-letter request, then works."""

    code = "flaky"
    official = True
    calls: list[str] = []

    def issue(self, invoice):
        from dinghuo.finance.einvoice import Issued

        return Issued(code="", number=f"T{invoice.number}")

    def reverse(self, original, red):
        from dinghuo.finance.einvoice import Issued

        FlakyAdapter.calls.append(red.number)
        if len(FlakyAdapter.calls) == 1:
            raise ConnectionError("tax service unavailable")
        return Issued(code="", number=f"TH{red.number}")


def test_a_void_that_failed_at_the_tax_service_can_be_retried(shop):
    # given an issued invoice and a tenant whose e-invoice service fails once
    shipments = mixed_rates(shop)
    finance = shop.staff(Role.FINANCE)
    FlakyAdapter.calls = []
    with tenant_context(shop.tenant, finance):
        shop.tenant.settings = {**(shop.tenant.settings or {}), "einvoice_adapter": f"{__name__}.FlakyAdapter"}
        shop.tenant.save(update_fields=["settings"])
        issued = inv.invoice_issue(
            actor=finance,
            invoice_id=inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                           shipment_ids=shipments[:1]).pk,
        )  # fmt: skip
        # when voiding fails at the service
        with pytest.raises(ConnectionError):
            inv.invoice_void(actor=finance, invoice_id=issued.pk, reason="开错抬头")
        # then the original is still issued, its lines still invoiced
        assert Invoice.objects.get(pk=issued.pk).status == "issued"
        with pytest.raises(AlreadyInvoiced):
            inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary", shipment_ids=shipments[:1])
        # and a waiting red invoice can be neither issued on its own nor refused
        waiting = Invoice.objects.get(reversal_of=issued)
        for act in (lambda: inv.invoice_issue(actor=finance, invoice_id=waiting.pk),
                    lambda: inv.invoice_refuse(actor=finance, invoice_id=waiting.pk, reason="x")):  # fmt: skip
            with pytest.raises(InvoiceStateInvalid):
                act()
        # when finance retries
        red = inv.invoice_void(actor=finance, invoice_id=issued.pk, reason="开错抬头")
        # then the same red invoice is issued (the service asked twice for the same number), the original voided
        assert red.pk == waiting.pk and red.status == "issued" and red.invoice_no == f"TH{red.number}"
        assert FlakyAdapter.calls == [red.number, red.number]
        assert Invoice.objects.get(pk=issued.pk).status == "voided"
        assert Invoice.objects.filter(reversal_of=issued).count() == 1
        # and a third void is refused
        with pytest.raises(InvoiceStateInvalid):
            inv.invoice_void(actor=finance, invoice_id=issued.pk, reason="again")
