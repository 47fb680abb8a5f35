"""Payments under real concurrency (PostgreSQL, one connection per thread): confirmations of the same
payments racing each other and order placements of the same dealer never free more credit than was
paid, never apply a payment twice, and never let exposure pass the limit."""

from decimal import Decimal

import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.finance import payments as pay
from dinghuo.finance.models import DealerAccount, Payment, PaymentApplication, Receivable
from dinghuo.finance.providers.sandbox import SandboxProvider
from dinghuo.finance.services import credit_set_terms
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place
from tests.factories import make_world
from tests.finance.conftest import ship_on_credit
from tests.orders.conftest import assert_invariants
from tests.orders.factories import make_shop
from tests.orders.test_concurrency import run_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def shop():
    shop = make_shop(make_world("race-fin"))
    yield shop
    assert_invariants(shop.tenant)


def test_confirmations_racing_orders_never_over_free_credit(shop):
    # given 10 boxes shipped on credit (720.00 owed) under a limit of 940.00
    for _ in range(10):
        ship_on_credit(shop, 1)
    finance, buyer = shop.staff(Role.FINANCE), shop.buyer()
    with tenant_context(shop.tenant, finance):
        credit_set_terms(actor=Actor.system(shop.tenant.pk), dealer=shop.dealer, limit=D("940.00"), terms_days=30)
        payments = [
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=D("72.00")).pk
            for _ in range(6)
        ]

    def act(i):
        if i < 18:  # every payment confirmed by three clerks at once
            with tenant_context(shop.tenant, finance):
                return pay.payment_confirm(actor=finance, payment_id=payments[i % 6]).status
        with tenant_context(shop.tenant, buyer):
            return order_place(actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")],
                               tenant_settings={"rules": {"credit": "block"}}).order.status  # fmt: skip

    # when 18 confirmations and 30 orders race
    results = run_all(48, act, workers=48)
    # then nothing crashed; each payment was applied exactly once, the others were told so
    assert not [r for r in results if r[0] == "crash"], [r for r in results if r[0] == "crash"][:3]
    confirmations = results[:18]
    assert sum(1 for r in confirmations if r == ("ok", "confirmed")) == 6
    assert {r[1] for r in confirmations if r[0] == "error"} <= {"payment_already_processed"}
    assert {r[1] for r in results[18:] if r[0] == "error"} <= {"credit_limit_exceeded", "order_blocked"}
    with tenant_context(shop.tenant):
        account = DealerAccount.objects.get(dealer=shop.dealer)
        applied = sum((a.amount for a in PaymentApplication.objects.all()), D(0))
        shipped = sum((r.amount for r in Receivable.objects.filter(dealer=shop.dealer)), D(0))
        approved = Order.objects.filter(status="approved").count()
        # the receivables fell by exactly what was paid — credit freed once per payment, not more
        assert applied == D("432.00") and account.receivable == shipped - applied == D("288.00")
        assert Payment.objects.filter(status="confirmed").count() == 6
        # and the orders that got through hold credit within the limit
        assert account.credit_hold == approved * D("72.00")
        assert account.receivable + account.credit_hold <= account.credit_limit
        assert approved >= 3  # at least what fitted before any payment


def test_a_notification_delivered_many_times_at_once_applies_once(shop):
    ship_on_credit(shop, 2)
    dealer_fin = shop.world.actor(Role.DEALER_FINANCE)
    with tenant_context(shop.tenant, dealer_fin):
        payment, _ = pay.payment_start_online(actor=dealer_fin, dealer_id=shop.dealer.pk, provider="sandbox",
                                              amount=D("100.00"), notify_url="", return_url="")  # fmt: skip
    notice = SandboxProvider().notification(out_trade_no=payment.number, amount=D("100.00"))

    def deliver(_i):
        return pay.payment_notify(provider="sandbox", params=dict(notice)).status

    results = run_all(12, deliver, workers=12)
    assert not [r for r in results if r[0] == "crash"], results
    assert {r[1] for r in results if r[0] == "error"} <= {"payment_already_processed"}
    with tenant_context(shop.tenant):
        assert PaymentApplication.objects.filter(payment_id=payment.pk).count() == 1
        account = DealerAccount.objects.get(dealer=shop.dealer)
    assert account.receivable == D("44.00") and account.prepaid == D("0.00")
