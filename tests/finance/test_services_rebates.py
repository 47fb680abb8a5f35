"""Rebate programmes: accrued once per dealer and period on paid, shipped purchases, tiered by
volume or limited to a category, credited to the rebate balance with the calculation kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Category, Product
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance import payments as pay
from dinghuo.finance import rebates as rb
from dinghuo.finance.errors import PeriodInvalid, RebateInvalid
from dinghuo.finance.models import LedgerEntry, RebateAccrual
from dinghuo.finance.periods import parse_period, previous_period
from dinghuo.orders.models import Shipment
from tests.finance.conftest import ship_on_credit

D = Decimal


def last_month_label() -> str:
    p = previous_period("month", timezone.localdate())
    return p.label


def into_last_month(shop) -> None:
    """Move every shipment into last month (as if shipped then)."""
    p = parse_period(last_month_label())
    at = timezone.make_aware(dt.datetime.combine(p.start + dt.timedelta(days=10), dt.time(10)))
    with tenant_context(shop.tenant):
        Shipment.objects.update(shipped_at=at)


def programme(shop, **kw):
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        return rb.programme_save(actor=finance, name=kw.pop("name", "月度返利"), period="month",
                                 percent=kw.pop("percent", D("2.00")), starts_on=dt.date(2020, 1, 1), **kw)  # fmt: skip


def pay_all(shop) -> None:
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        owed = shop.account().receivable
        if owed:
            pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer", amount=owed, confirm=True)


def test_paid_shipped_purchases_accrue_once_with_the_calculation_shown(shop):
    # given 3 boxes shipped and paid, 1 box shipped and not paid (another order)
    ship_on_credit(shop, 3)
    pay_all(shop)
    ship_on_credit(shop, 1)
    into_last_month(shop)
    prog = programme(shop)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        made = rb.accrue_rebates(actor=finance, period=last_month_label())
        again = rb.accrue_rebates(actor=finance, period=last_month_label())
        accrual = RebateAccrual.objects.get()
        entry = LedgerEntry.objects.get(ref_type="rebate_accrual", ref_id=str(accrual.pk))
        lines = list(accrual.lines.all())
    assert len(made) == 1 and again == []
    assert accrual.programme == prog and accrual.basis == D("216.00") and accrual.amount == D("4.32")
    assert entry.bucket == "rebate" and entry.amount == D("4.32") and shop.account().rebate == D("4.32")
    assert sum(ln.basis for ln in lines) == accrual.basis and all(ln.order_number for ln in lines)


def test_the_share_paid_with_rebates_earns_no_rebate(shop):
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        from dinghuo.finance.services import balance_credit

        balance_credit(actor=finance, dealer=shop.dealer, bucket="rebate", amount=D("72.00"), kind="rebate_accrual")
    ship_on_credit(shop, 2, pay_rebate="72.00")
    pay_all(shop)
    into_last_month(shop)
    programme(shop, percent=D("10.00"))
    with tenant_context(shop.tenant, finance):
        (accrual,) = rb.accrue_rebates(actor=finance, period=last_month_label())
    assert accrual.basis == D("72.00") and accrual.amount == D("7.20")


def test_volume_tiers_and_a_category_filter(shop):
    ship_on_credit(shop, 10, "COLA")  # 720.00
    pay_all(shop)
    into_last_month(shop)
    with tenant_context(shop.tenant):
        other = Category.objects.create(code="tea", name="茶饮", path="/", depth=0)
        Product.objects.filter(code="P-WATER").update(category=other)
    tiered = programme(shop, name="阶梯返利", percent=D("1.00"), tiers=rb.parse_tiers("500:3, 1000：5"))
    tea_only = programme(shop, name="茶饮返利", percent=D("8.00"), category_id=other.pk)
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        made = {a.programme_id: a for a in rb.accrue_rebates(actor=finance, period=last_month_label())}
    assert made[tiered.pk].percent == D("3.00") and made[tiered.pk].amount == D("21.60")
    assert tea_only.pk not in made  # no tea was shipped


def test_programme_validation_and_unfinished_periods(shop):
    finance = shop.staff(Role.FINANCE)
    with tenant_context(shop.tenant, finance):
        with pytest.raises(RebateInvalid):
            rb.programme_save(actor=finance, name="", period="week", percent=D("101"), starts_on=None)
        with pytest.raises(RebateInvalid):
            rb.parse_tiers("100:3, abc")
        with pytest.raises(RebateInvalid):
            rb.parse_tiers("100:3, 100:4")
        this_month = timezone.localdate().strftime("%Y-%m")
        with pytest.raises(PeriodInvalid):
            rb.accrue_rebates(actor=finance, period=this_month)
        with pytest.raises(PeriodInvalid):
            rb.accrue_rebates(actor=finance, period="Q5")


def test_the_command_and_the_task_accrue_for_every_tenant(shop):
    ship_on_credit(shop, 1)
    pay_all(shop)
    into_last_month(shop)
    programme(shop)
    call_command("accrue_rebates", "--period", last_month_label(), "--tenant", shop.tenant.code)
    call_command("accrue_rebates", "--period", last_month_label())  # again: nothing new
    with tenant_context(shop.tenant):
        assert RebateAccrual.objects.count() == 1
    from dinghuo.finance.tasks import accrue_rebates_task

    accrue_rebates_task.enqueue(tenant_id=shop.tenant.pk, period=last_month_label())  # runs inline under tests


def test_periods_parse():
    assert parse_period("2026-Q3").start == dt.date(2026, 7, 1) and parse_period("2026-Q3").end == dt.date(2026, 9, 30)
    assert parse_period("2026-02").end == dt.date(2026, 2, 28) and parse_period("2026").end == dt.date(2026, 12, 31)
    assert previous_period("quarter", dt.date(2026, 1, 5)).label == "2025-Q4"
    for bad in ["2026-13", "26-Q1", "", "2026-Q0", "1999"]:
        with pytest.raises(PeriodInvalid):
            parse_period(bad)


def test_the_daily_command_runs_every_job_once_however_often_it_runs(shop):
    from dinghuo.finance.models import ReminderLog, Statement
    from dinghuo.notify.models import OutboxEvent

    # given a paid shipment last month under a monthly programme, and a receivable 10 days overdue
    ship_on_credit(shop, 3)
    pay_all(shop)
    into_last_month(shop)
    with tenant_context(shop.tenant):
        LedgerEntry.objects.update(created_at=timezone.make_aware(
            dt.datetime.combine(parse_period(last_month_label()).start + dt.timedelta(days=10), dt.time(10))))  # fmt: skip
    programme(shop)
    _order, receivables = ship_on_credit(shop, 1)
    with tenant_context(shop.tenant):
        from dinghuo.finance.models import Receivable

        Receivable.objects.filter(pk=receivables[0].pk).update(due_date=timezone.localdate() - dt.timedelta(days=10))
    # when cron runs the daily command twice
    call_command("finance_daily")
    call_command("finance_daily", "--tenant", shop.tenant.code)
    # then the reminder, the rebate and last month's statement each happened exactly once
    with tenant_context(shop.tenant):
        assert ReminderLog.objects.count() == 1
        assert OutboxEvent.objects.filter(topic="credit.overdue").count() == 1
        accrual = RebateAccrual.objects.get()
        assert accrual.period == last_month_label() and accrual.amount == (accrual.basis * D("0.02")).quantize(D("0.01"))
        assert Statement.objects.filter(dealer=shop.dealer).count() == 1
    with pytest.raises(Exception, match="no active tenant"):
        call_command("finance_daily", "--tenant", "nope")
