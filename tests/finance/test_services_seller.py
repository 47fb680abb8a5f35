"""The seller's (the tenant's) tax details on invoices: edited by the tenant admin and audited, copied
onto each invoice when issued (later edits leave it alone), printed on the PDF, and required (the
taxpayer id) for a VAT special invoice."""

from decimal import Decimal

import pytest
from django.utils import translation

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.models import Dealer
from dinghuo.finance import documents
from dinghuo.finance import invoices as inv
from dinghuo.finance.errors import SellerDetailsMissing, SettingInvalid
from dinghuo.finance.models import Invoice
from dinghuo.finance.policy import seller_details_update
from tests.finance.conftest import pdf_text, prepaid_order

D = Decimal
SELLER = {"legal_name": "清泉饮料股份有限公司", "tax_id": "91440101MA5CQ8XY3K",
          "registered_address": "广州市天河区华夏路10号", "phone": "020-38881234",
          "bank_name": "中国工商银行广州天河支行", "bank_account": "3602000109200088888"}  # fmt: skip


def set_seller(shop, **changes):
    admin = shop.staff(Role.ADMIN)
    with tenant_context(shop.tenant, admin):
        return seller_details_update(actor=admin, **{**SELLER, **changes})


def special_request(shop, order):
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        Dealer.objects.filter(pk=shop.dealer.pk).update(tax_id="91440300MA5ABCDE1X", bank_name="招商银行深圳分行",
                                                        bank_account="755900000000001")  # fmt: skip
        return inv.invoice_request(actor=dealer_fin, dealer_id=shop.dealer.pk, kind="special", order_ids=[order.pk])


def test_the_tenant_admin_edits_the_seller_details_audited(shop):
    # when the admin saves the seller's details (the tax id typed with spaces, in lower case)
    after = set_seller(shop, tax_id=" 91440101ma5cq8xy3k ")
    # then they are on the tenant, normalised, and the change is audited with before and after
    shop.tenant.refresh_from_db()
    assert after["tax_id"] == shop.tenant.tax_id == "91440101MA5CQ8XY3K"
    assert shop.tenant.legal_name == SELLER["legal_name"] and shop.tenant.bank_account == SELLER["bank_account"]
    with tenant_context(shop.tenant):
        entry = AuditEntry.objects.get(action="tenant.seller_details_changed")
    assert entry.before["tax_id"] == "" and entry.after["tax_id"] == "91440101MA5CQ8XY3K"
    # a taxpayer id that cannot be one is refused, nothing changes
    with pytest.raises(SettingInvalid) as err:
        set_seller(shop, tax_id="12345")
    assert "tax_id" in err.value.detail
    shop.tenant.refresh_from_db()
    assert shop.tenant.tax_id == "91440101MA5CQ8XY3K"
    # finance staff (not the tenant admin) may not change them
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance), pytest.raises(PermissionDenied):
        seller_details_update(actor=finance, **SELLER)


def test_a_special_invoice_is_refused_without_the_sellers_tax_id(shop):
    # given a special invoice requested while the seller's taxpayer id is empty
    order = prepaid_order(shop, [("COLA", 1)])
    set_seller(shop, tax_id="")
    request = special_request(shop, order)
    finance = shop.staff(Role.FINANCE)
    # when finance issues it, then it is refused naming the missing field, in Chinese too
    with tenant_context(shop.tenant, finance):
        with pytest.raises(SellerDetailsMissing) as err:
            inv.invoice_issue(actor=finance, invoice_id=request.pk)
        assert err.value.code == "seller_details_missing"
        with translation.override("en"):
            assert "seller's taxpayer id (unified social credit code)" in err.value.message
        with translation.override("zh-hans"):
            assert "销售方纳税人识别号" in err.value.message and "专用发票" in err.value.message
        # and nothing changed
        assert Invoice.objects.get(pk=request.pk).status == "requested"
        # an ordinary invoice needs no seller tax id
        ordinary = inv.invoice_request(actor=finance, dealer_id=shop.dealer.pk, kind="ordinary",
                                       order_ids=[prepaid_order(shop, [("COLA", 1)]).pk])  # fmt: skip
        assert inv.invoice_issue(actor=finance, invoice_id=ordinary.pk).status == "issued"
    # once the admin fills it in, the special invoice is issued
    set_seller(shop)
    with tenant_context(shop.tenant, finance):
        assert inv.invoice_issue(actor=finance, invoice_id=request.pk).seller_tax_id == SELLER["tax_id"]


def test_the_seller_is_copied_when_issued_and_later_edits_leave_old_invoices_alone(shop):
    # given a special invoice issued with the seller's details
    set_seller(shop)
    order = prepaid_order(shop, [("COLA", 2)])
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        issued = inv.invoice_issue(actor=finance, invoice_id=special_request(shop, order).pk)
    assert (issued.seller_name, issued.seller_tax_id) == (SELLER["legal_name"], SELLER["tax_id"])
    assert issued.seller_address_phone == "广州市天河区华夏路10号 020-38881234"
    assert issued.seller_bank_account == "中国工商银行广州天河支行 3602000109200088888"
    # when the company moves and changes bank
    set_seller(
        shop, registered_address="广州市黄埔区科学城1号", bank_name="中国银行广州分行", bank_account="6216600000000001"
    )
    with tenant_context(shop.tenant, finance):
        old = Invoice.objects.get(pk=issued.pk)
        # then the issued invoice keeps what it was issued with
        assert inv.seller_of(old).address_phone == "广州市天河区华夏路10号 020-38881234"
        # its red-letter reversal mirrors it
        red = inv.invoice_void(actor=finance, invoice_id=issued.pk, reason="购方信息有误")
        assert red.seller_bank_account == old.seller_bank_account
        # and an invoice issued now carries the new details
        fresh = inv.invoice_issue(actor=finance, invoice_id=special_request(shop, order).pk)
    assert fresh.seller_bank_account == "中国银行广州分行 6216600000000001"
    assert fresh.seller_address_phone.startswith("广州市黄埔区")


def test_the_pdf_shows_the_seller_next_to_the_purchaser(shop):
    # given an issued invoice for a paid order
    set_seller(shop)
    order = prepaid_order(shop, [("COLA", 2)])
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        invoice = inv.invoice_issue(actor=finance, invoice_id=special_request(shop, order).pk)
        # when it is printed (in Chinese)
        with translation.override("zh-hans"):
            text = pdf_text(documents.invoice_pdf(invoice, list(invoice.lines.all()), seller=inv.seller_of(invoice)))
    # then both parties' four items read back, and the line names its order
    assert "购买方" in text and "销售方" in text and "纳税人识别号" in text
    for value in (SELLER["legal_name"], SELLER["tax_id"], "020-38881234", SELLER["bank_account"],
                  "91440300MA5ABCDE1X", invoice.invoice_no, order.number):  # fmt: skip
        assert value in text, value
    assert f"{invoice.total:,}" in text
