"""Invoice pages for paid orders and the seller's details, through the Django test client: the dealer
asks for an invoice for a prepaid order on the portal, finance issues it in the back office, both
see the seller; the tenant admin edits the seller's details; bad input answered, never a 500."""

from decimal import Decimal

from django.test import Client

from dinghuo.accounts.roles import Role
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance.models import Invoice
from tests.finance.conftest import pdf_text, prepaid_order, ship

D = Decimal
SELLER = {"legal_name": "清泉饮料股份有限公司", "tax_id": "91440101MA5CQ8XY3K",
          "registered_address": "广州市天河区华夏路10号", "phone": "020-38881234",
          "bank_name": "中国工商银行广州天河支行", "bank_account": "3602000109200088888"}  # fmt: skip


def test_a_dealer_requests_an_invoice_for_a_prepaid_order_and_reads_it_back(shop, login):
    # given the seller's details and a prepaid order not shipped yet
    admin = login(shop.world.user(Role.ADMIN), Client())
    assert admin.post("/bo/finance/seller/", SELLER).status_code == 302
    order = prepaid_order(shop, [("COLA", 2)])
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    # the request form offers the order by payment
    form = dealer.get("/portal/finance/invoices/new/").content.decode()
    assert f'name="orders" value="{order.pk}"' in form and order.number in form
    # when the dealer asks for it
    response = dealer.post("/portal/finance/invoices/new/", {"kind": "ordinary", "orders": [order.pk]})
    assert response.status_code == 302
    with tenant_context(shop.tenant):
        invoice = Invoice.objects.get()
        assert invoice.total == order.total and invoice.lines.filter(shipment_line__isnull=True).count() == 1
    # asking again is refused with a message naming the invoice, nothing more is made
    again = dealer.post("/portal/finance/invoices/new/", {"kind": "ordinary", "orders": [order.pk]})
    assert again.status_code == 200 and invoice.number in again.content.decode()
    # the detail page shows the order line and the seller (current details until issued)
    page = dealer.get(f"/portal/finance/invoices/{invoice.pk}/").content.decode()
    assert order.number in page and "已付款订单" in page and SELLER["legal_name"] in page
    # when finance issues it in the back office
    staff = login(shop.world.user(Role.FINANCE), Client())
    assert staff.post(f"/bo/finance/invoices/{invoice.pk}/issue/").status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.seller_tax_id == SELLER["tax_id"]
    # then the dealer's PDF carries the seller's tax details, in Chinese
    pdf = dealer.get(f"/portal/finance/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for value in ("销售方", SELLER["legal_name"], SELLER["tax_id"], SELLER["bank_account"], invoice.invoice_no):
        assert value in text, value
    # and once the order ships, its shipment is not offered
    ship(shop, order)
    form = dealer.get("/portal/finance/invoices/new/").content.decode()
    assert 'name="shipments"' not in form and 'name="orders"' not in form


def test_finance_invoices_a_paid_order_in_the_back_office_and_is_told_what_is_missing(shop, login):
    # given a prepaid order of a dealer with full tax details, and no seller tax id yet
    order = prepaid_order(shop, [("COLA", 1)])
    with tenant_context(shop.tenant):
        from dinghuo.dealers.models import Dealer

        Dealer.objects.filter(pk=shop.dealer.pk).update(tax_id="91440300MA5ABCDE1X", bank_name="招商银行",
                                                        bank_account="755900000000001")  # fmt: skip
    staff = login(shop.world.user(Role.FINANCE), Client())
    page = staff.get(f"/bo/finance/invoices/new/?dealer={shop.dealer.pk}").content.decode()
    assert f'name="orders" value="{order.pk}"' in page
    # when finance saves a special invoice and asks to issue it at once
    response = staff.post(f"/bo/finance/invoices/new/?dealer={shop.dealer.pk}",
                          {"kind": "special", "orders": [order.pk], "issue": "1"}, follow=True)  # fmt: skip
    # then the request is kept, not issued, and the page says the seller's taxpayer id is missing
    assert response.status_code == 200
    body = response.content.decode()
    assert "销售方纳税人识别号" in body and "专用发票" in body
    with tenant_context(shop.tenant):
        invoice = Invoice.objects.get()
    assert invoice.status == "requested"
    # the finance clerk cannot fix it (the tenant admin's job): no tab, no page
    assert "/bo/finance/seller/" not in body
    assert staff.get("/bo/finance/seller/").status_code in (403, 404)


def test_the_tenant_admin_edits_the_seller_details_page(shop, login):
    admin = login(shop.world.user(Role.ADMIN), Client())
    page = admin.get("/bo/finance/seller/")
    assert page.status_code == 200 and "统一社会信用代码" in page.content.decode()
    assert "/bo/finance/seller/" in admin.get("/bo/finance/invoices/").content.decode()
    # a bad taxpayer id is answered on the form, nothing saved
    bad = admin.post("/bo/finance/seller/", {**SELLER, "tax_id": "ABC"})
    assert bad.status_code == 200 and "纳税人识别号为 15 至 20 位" in bad.content.decode()
    shop.tenant.refresh_from_db()
    assert shop.tenant.tax_id == ""
    # a good one is saved and audited
    assert admin.post("/bo/finance/seller/", SELLER).status_code == 302
    shop.tenant.refresh_from_db()
    assert (shop.tenant.legal_name, shop.tenant.tax_id) == (SELLER["legal_name"], SELLER["tax_id"])
    with tenant_context(shop.tenant):
        assert AuditEntry.objects.filter(action="tenant.seller_details_changed").count() == 1


def test_invoice_request_pages_with_many_paid_orders_run_a_bounded_number_of_queries(
    shop, login, django_assert_max_num_queries
):
    for _ in range(6):
        prepaid_order(shop, [("COLA", 1), ("WATER", 2)])
    dealer = login(shop.world.user(Role.DEALER_FINANCE), Client())
    staff = login(shop.world.user(Role.FINANCE), Client())
    with django_assert_max_num_queries(25):
        assert dealer.get("/portal/finance/invoices/new/").status_code == 200
    with django_assert_max_num_queries(25):
        assert staff.get(f"/bo/finance/invoices/new/?dealer={shop.dealer.pk}").status_code == 200
