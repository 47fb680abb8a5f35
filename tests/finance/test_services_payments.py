"""Payments: recorded, confirmed once, applied oldest first (or as chosen), overpayments to prepaid,
refunds out of prepaid, credit notes; every bad input refused with nothing half-applied."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import DomainError, PermissionDenied
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import payments as pay
from dinghuo.finance.errors import (
    AmountInvalid,
    InsufficientBalance,
    PaymentAlreadyProcessed,
    PaymentInvalid,
    PaymentTooLarge,
    ReceivableChoiceInvalid,
    VoucherInvalid,
    VoucherTooLarge,
)
from dinghuo.finance.models import DealerAccount, LedgerEntry, Payment, PaymentApplication, Receivable
from dinghuo.notify.models import Notification, OutboxEvent
from tests.finance.conftest import ship_on_credit

D = Decimal


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def voucher(name="回单.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, data if data is not None else png_bytes(), content_type=content_type)


def test_a_dealers_transfer_waits_then_settles_the_oldest_receivables_first(shop):
    # given three shipments on credit (72.00 each), the first due earliest
    receivables = [ship_on_credit(shop, 1)[1][0] for _ in range(3)]
    with tenant_context(shop.tenant):
        Receivable.objects.filter(pk=receivables[2].pk).update(due_date=timezone.localdate() - dt.timedelta(days=5))
        DealerAccount.objects.filter(dealer=shop.dealer).update(
            oldest_due_date=timezone.localdate() - dt.timedelta(days=5)
        )
    finance, dealer_fin = shop.staff(Role.FINANCE), shop.world.actor(Role.DEALER_FINANCE)
    # when the dealer's finance user uploads a voucher for 100.00
    with tenant_context(shop.tenant, dealer_fin):
        payment = pay.payment_record(
            actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer", amount=D("100.00"), voucher=voucher()
        )
    # then nothing is applied yet
    assert payment.status == "pending" and shop.account().receivable == D("216.00")
    # when finance confirms it
    with tenant_context(shop.tenant, finance):
        pay.payment_confirm(actor=finance, payment_id=payment.pk)
        # then the overdue one (the oldest due date) is settled first, the rest goes to the next oldest
        by_id = {r.pk: r for r in Receivable.objects.filter(pk__in=[r.pk for r in receivables])}
        assert by_id[receivables[2].pk].status == "paid" and by_id[receivables[2].pk].paid == D("72.00")
        assert by_id[receivables[0].pk].paid == D("28.00") and by_id[receivables[0].pk].status == "open"
        assert by_id[receivables[1].pk].paid == D("0.00")
        account = DealerAccount.objects.get(dealer=shop.dealer)
        assert account.receivable == D("116.00")
        # and the overdue date moved on to the oldest still open
        assert account.oldest_due_date == by_id[receivables[0].pk].due_date
        # and each application is a ledger entry referencing the payment
        entries = LedgerEntry.objects.filter(ref_type="payment", ref_id=str(payment.pk)).order_by("id")
        assert [e.amount for e in entries] == [D("-72.00"), D("-28.00")]
        assert PaymentApplication.objects.filter(payment=payment).count() == 2
        assert OutboxEvent.objects.filter(topic="payment.confirmed").count() == 1
        assert Notification.objects.filter(dealer=shop.dealer, title__contains=payment.number).exists()


def test_an_overpayment_goes_to_the_prepaid_balance(shop):
    ship_on_credit(shop, 1)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        payment = pay.payment_record(
            actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("100.00"), confirm=True
        )
        payment.refresh_from_db()
        account = DealerAccount.objects.get(dealer=shop.dealer)
    assert (payment.applied, payment.to_prepaid) == (D("72.00"), D("28.00"))
    assert account.receivable == D("0.00") and account.prepaid == D("28.00") and account.oldest_due_date is None


def test_finance_may_choose_which_receivables_a_payment_settles(shop):
    first = ship_on_credit(shop, 1)[1][0]
    second = ship_on_credit(shop, 2)[1][0]
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        payment = pay.payment_record(
            actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=D("144.00"), bank_ref="B1"
        )
        pay.payment_confirm(actor=finance, payment_id=payment.pk, receivable_ids=[second.pk])
        first.refresh_from_db()
        second.refresh_from_db()
    assert second.status == "paid" and first.paid == D("0.00")


def test_applying_the_same_payment_twice_is_refused_and_changes_nothing(shop):
    ship_on_credit(shop, 2)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        payment = pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=D("50.00"))
        pay.payment_confirm(actor=finance, payment_id=payment.pk)
        before = DealerAccount.objects.get(dealer=shop.dealer).receivable
        with pytest.raises(PaymentAlreadyProcessed) as err:
            pay.payment_confirm(actor=finance, payment_id=payment.pk)
        assert payment.number in err.value.message
        with pytest.raises(PaymentAlreadyProcessed):
            pay.payment_reject(actor=finance, payment_id=payment.pk, reason="late")
        assert DealerAccount.objects.get(dealer=shop.dealer).receivable == before == D("94.00")
        assert PaymentApplication.objects.filter(payment=payment).count() == 1


def test_a_rejected_voucher_applies_nothing_and_tells_the_dealer_why(shop):
    ship_on_credit(shop, 1)
    dealer_fin, finance = shop.world.actor(Role.DEALER_FINANCE), shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment = pay.payment_record(
            actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer", amount=D("72.00"), voucher=voucher()
        )
    with tenant_context(shop.tenant, finance):
        with pytest.raises(PaymentInvalid):
            pay.payment_reject(actor=finance, payment_id=payment.pk, reason=" ")
        pay.payment_reject(actor=finance, payment_id=payment.pk, reason="金额与银行流水不符")
        payment.refresh_from_db()
        assert payment.status == "rejected" and shop.account().receivable == D("72.00")
        assert Notification.objects.filter(body="金额与银行流水不符").exists()
        with pytest.raises(PaymentAlreadyProcessed):
            pay.payment_confirm(actor=finance, payment_id=payment.pk)


def test_a_prepaid_top_up_by_acceptance_bill(shop):
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        payment = pay.payment_record(
            actor=finance, dealer_id=shop.dealer.pk, method="bill", purpose="topup", amount=D("5000.00"),
            bill=pay.Bill(number="2300 1234 5678", due_date=timezone.localdate() + dt.timedelta(days=180),
                          issuer="工商银行"), confirm=True,
        )  # fmt: skip
        payment.refresh_from_db()
        entry = LedgerEntry.objects.get(ref_type="payment", ref_id=str(payment.pk))
    assert payment.to_prepaid == D("5000.00") and entry.kind == "topup" and entry.bucket == "prepaid"
    assert shop.account().prepaid == D("5000.00")


@pytest.mark.parametrize(
    ("amount", "error"),
    [(D("-5.00"), AmountInvalid), (D("0"), AmountInvalid), (D("1.234"), AmountInvalid), (D("NaN"), AmountInvalid),
     (D("100000000.01"), PaymentTooLarge), ("12", AmountInvalid)],
)  # fmt: skip
def test_bad_amounts_are_refused_with_a_translated_message(shop, amount, error):
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        with pytest.raises(error) as err:
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=amount)
        assert Payment.objects.count() == 0
    from django.utils import translation

    with translation.override("zh-hans"):
        assert err.value.message and err.value.message != err.value.code


def test_a_payment_limit_set_by_finance_is_enforced(shop):
    from dinghuo.finance.policy import finance_settings_update

    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        finance_settings_update(actor=finance, rebate_max_percent=D("30"), payment_max_amount=D("1000.00"),
                                reminder_days_before=3)  # fmt: skip
        with pytest.raises(PaymentTooLarge):
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("1000.01"))
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("1000.00"))
        shop.tenant.refresh_from_db()
    assert shop.tenant.settings["rebate_max_percent"] == "30.00"


def test_vouchers_must_really_be_images_or_pdfs(shop, settings):
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    bad = [
        voucher("回单.png", b"MZ\x90\x00 this is an exe renamed to png"),
        voucher("x.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "application/pdf"),  # no xref, no %%EOF
        voucher("x.png", png_bytes()[:60]),  # truncated image
        voucher("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
        voucher("empty.png", b""),
    ]
    with tenant_context(shop.tenant, dealer_fin):
        for upload in bad:
            with pytest.raises(VoucherInvalid):
                pay.payment_record(actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer", amount=D("10.00"),
                                   voucher=upload)  # fmt: skip
        settings.DINGHUO_MAX_VOUCHER_BYTES = 1000
        with pytest.raises(VoucherTooLarge):
            pay.payment_record(actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer", amount=D("10.00"),
                               voucher=voucher("big.png", b"\x89PNG" + b"0" * 2000))  # fmt: skip
        assert Payment.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_a_real_pdf_voucher_is_accepted_and_stored_privately(shop, settings):
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(100, 700, "Bank receipt 100.00")
    c.save()
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment = pay.payment_record(actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer",
                                     amount=D("10.00"), voucher=voucher("回单.pdf", out.getvalue(), "application/pdf"))  # fmt: skip
    assert payment.voucher.name.startswith(f"private/vouchers/{shop.tenant.pk}/")
    assert payment.voucher.name.endswith(".pdf") and payment.voucher_name == "回单.pdf"
    assert payment.voucher_type == "application/pdf"


def test_dealers_pay_only_for_themselves_and_cannot_confirm(shop):
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    buyer = shop.buyer()
    with tenant_context(shop.tenant, dealer_fin):
        with pytest.raises(PermissionDenied):
            pay.payment_record(actor=dealer_fin, dealer_id=shop.world.other_dealer.pk, method="transfer",
                               amount=D("10.00"), voucher=voucher())  # fmt: skip
        with pytest.raises(PaymentInvalid):  # a dealer cannot record cash or credit notes
            pay.payment_record(actor=dealer_fin, dealer_id=shop.dealer.pk, method="cash", amount=D("10.00"))
        payment = pay.payment_record(actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer",
                                     amount=D("10.00"), voucher=voucher(), confirm=True)  # fmt: skip
        assert payment.status == "pending"
        with pytest.raises(PermissionDenied):
            pay.payment_confirm(actor=dealer_fin, payment_id=payment.pk)
    with tenant_context(shop.tenant, buyer), pytest.raises(PermissionDenied):
        pay.payment_record(
            actor=buyer, dealer_id=shop.dealer.pk, method="transfer", amount=D("1.00"), voucher=voucher()
        )


def test_choosing_a_receivable_that_is_not_open_is_refused(shop):
    receivable = ship_on_credit(shop, 1)[1][0]
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("72.00"), confirm=True)
        with pytest.raises(ReceivableChoiceInvalid):
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("5.00"),
                               receivable_ids=[receivable.pk])  # fmt: skip
        with pytest.raises(ReceivableChoiceInvalid):
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", amount=D("5.00"),
                               receivable_ids=["x"])  # fmt: skip


def test_a_refund_takes_money_out_of_prepaid_back_to_the_bank(shop):
    # given a prepaid order that was cancelled (orders.services returned the money to prepaid)
    from dinghuo.orders import services as svc
    from dinghuo.orders.placement import order_place

    finance, buyer = shop.staff(Role.FINANCE), shop.buyer()
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", purpose="topup",
                           amount=D("100.00"), confirm=True)  # fmt: skip
    with tenant_context(shop.tenant, buyer):
        order = order_place(actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")],
                            pay_prepaid=D("72.00"), tenant_settings={}).order  # fmt: skip
        svc.order_cancel(actor=buyer, order_id=order.pk, reason="不要了")
    assert shop.account().prepaid == D("100.00")
    with tenant_context(shop.tenant, finance):
        # when finance refunds more than the prepaid balance, it is refused
        with pytest.raises(InsufficientBalance):
            pay.refund_record(actor=finance, dealer_id=shop.dealer.pk, amount=D("100.01"), note="退款")
        refund = pay.refund_record(actor=finance, dealer_id=shop.dealer.pk, amount=D("72.00"), note="订单取消退款",
                                   bank_ref="HX001")  # fmt: skip
    assert refund.direction == "out" and refund.status == "confirmed"
    assert shop.account().prepaid == D("28.00")


def test_a_credit_note_lowers_receivables_like_a_payment(shop):
    receivable = ship_on_credit(shop, 1)[1][0]
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        with pytest.raises(PaymentInvalid):
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="credit_note", amount=D("10.00"))
        note = pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="credit_note", amount=D("10.00"),
                                  note="破损退货 2 瓶", confirm=True)  # fmt: skip
        receivable.refresh_from_db()
        assert LedgerEntry.objects.get(ref_type="payment", ref_id=str(note.pk)).kind == "credit_note"
    assert receivable.paid == D("10.00")


def test_a_dealer_may_withdraw_its_waiting_payment(shop):
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment = pay.payment_record(actor=dealer_fin, dealer_id=shop.dealer.pk, method="transfer",
                                     amount=D("10.00"), voucher=voucher())  # fmt: skip
        pay.payment_cancel(actor=dealer_fin, payment_id=payment.pk)
        with pytest.raises(DomainError):
            pay.payment_cancel(actor=dealer_fin, payment_id=payment.pk)


def _online(shop, amount: str, receivable_ids=None):
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment, _checkout = pay.payment_start_online(
            actor=dealer_fin, dealer_id=shop.dealer.pk, provider="sandbox", amount=D(amount),
            receivable_ids=receivable_ids, notify_url="", return_url="",
        )  # fmt: skip
    return payment, dealer_fin


def _sandbox_paid(payment: Payment) -> Payment:
    from dinghuo.finance.providers.sandbox import SandboxProvider

    params = SandboxProvider().notification(out_trade_no=payment.number, amount=payment.amount)
    return pay.payment_notify(provider="sandbox", params=params)


def test_money_paid_online_after_the_payer_withdrew_the_payment_is_still_applied(shop):
    # given a receivable of 72.00 and an online payment the dealer started, then withdrew here
    receivable = ship_on_credit(shop, 1)[1][0]
    payment, dealer_fin = _online(shop, "72.00")
    with tenant_context(shop.tenant, dealer_fin):
        pay.payment_cancel(actor=dealer_fin, payment_id=payment.pk)
        assert Payment.objects.get(pk=payment.pk).status == "cancelled"
    # when the provider reports it paid after all (the cashier tab was still open)
    _sandbox_paid(payment)
    # then the money is applied once, and the reopening is audited
    with tenant_context(shop.tenant):
        done = Payment.objects.get(pk=payment.pk)
        assert done.status == "confirmed" and done.applied == D("72.00") and done.provider_trade_no
        assert Receivable.objects.get(pk=receivable.pk).status == "paid"
        assert shop.account().receivable == D("0.00")
        from dinghuo.core.models import AuditEntry

        assert AuditEntry.objects.filter(action="payment.reopened", object_id=str(payment.pk)).count() == 1


def test_an_online_payment_whose_chosen_receivable_was_settled_meanwhile_still_applies(shop):
    # given two receivables; the dealer starts paying the second one online
    first = ship_on_credit(shop, 1)[1][0]
    second = ship_on_credit(shop, 1)[1][0]
    payment, _dealer_fin = _online(shop, "72.00", receivable_ids=[second.pk])
    # and meanwhile finance settles that receivable with a bank transfer
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=D("72.00"),
                           receivable_ids=[second.pk], confirm=True)  # fmt: skip
    # when the provider's notification arrives
    _sandbox_paid(payment)
    # then the money is not refused: it settles the receivable still open (the oldest)
    with tenant_context(shop.tenant):
        done = Payment.objects.get(pk=payment.pk)
        assert done.status == "confirmed" and done.applied == D("72.00") and done.to_prepaid == D("0.00")
        assert Receivable.objects.get(pk=first.pk).status == "paid"
        assert shop.account().receivable == D("0.00")


def test_finance_sets_prepaid_money_against_the_oldest_receivables(shop):
    # given two receivables of 72.00 and 50.00 of prepaid money (a top-up)
    receivables = [ship_on_credit(shop, 1)[1][0] for _ in range(2)]
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", purpose="topup",
                           amount=D("50.00"), confirm=True)  # fmt: skip
        before = shop.account()
        # when finance sets as much as possible against the receivables
        offset = pay.prepaid_offset(actor=finance, dealer_id=shop.dealer.pk)
        # then all 50.00 of prepaid settles the oldest receivable in part, nothing is left over
        assert offset.method == "prepaid" and offset.status == "confirmed"
        assert (offset.amount, offset.applied, offset.to_prepaid) == (D("50.00"), D("50.00"), D("0.00"))
        after = shop.account()
        assert after.prepaid == before.prepaid - D("50.00") == D("0.00")
        assert after.receivable == before.receivable - D("50.00")
        assert Receivable.objects.get(pk=receivables[0].pk).paid == D("50.00")
        entries = LedgerEntry.objects.filter(ref_type="payment", ref_id=str(offset.pk))
        assert sorted((e.bucket, e.amount) for e in entries) == [("prepaid", D("-50.00")), ("receivable", D("-50.00"))]
        # when there is no prepaid money left, or more is asked than is held or owed, it is refused
        with pytest.raises(PaymentInvalid):
            pay.prepaid_offset(actor=finance, dealer_id=shop.dealer.pk)
        with pytest.raises(InsufficientBalance):
            pay.prepaid_offset(actor=finance, dealer_id=shop.dealer.pk, amount=D("10.00"))
        pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="cash", purpose="topup",
                           amount=D("500.00"), confirm=True)  # fmt: skip
        with pytest.raises(PaymentInvalid):
            pay.prepaid_offset(actor=finance, dealer_id=shop.dealer.pk, amount=D("400.00"))  # only 94.00 open
        with pytest.raises(AmountInvalid):
            pay.prepaid_offset(actor=finance, dealer_id=shop.dealer.pk, amount=D("-1.00"))
        # and a chosen receivable is settled in full with exactly what it needs
        chosen = pay.prepaid_offset(actor=finance, dealer_id=shop.dealer.pk, receivable_ids=[receivables[1].pk])
        assert chosen.amount == D("72.00") and Receivable.objects.get(pk=receivables[1].pk).status == "paid"
        assert shop.account().prepaid == D("428.00")
    # and a dealer cannot do it itself
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin), pytest.raises(PermissionDenied):
        pay.prepaid_offset(actor=dealer_fin, dealer_id=shop.dealer.pk)
